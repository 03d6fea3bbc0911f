"""A meeting's letters rendered once and filled in for each invitee are the letters each
invitee would get rendered alone: names and links in both parts, HTML escaped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from medvirkning.meetings.letters import _letter, _merged
from medvirkning.meetings.models import Answer, Invitation, Meeting, MeetingDocument
from medvirkning.people.models import Person, WrittenForm
from medvirkning.settings import load_settings

NAMES = [
    "Kari Nordmann",
    "Øystein Ås",
    'Per "Pelle" O\'Brien & <b>sønn</b>',
    "Anne-Lise {{ 7*7 }} %s",
    "Åse\u200bBerg",  # an invisible character, kept as it is
]


def _meeting() -> Meeting:
    starts = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
    return Meeting(
        id=7,
        uid="m7@kongsbergregionen.no",
        title="Referansegruppe <økonomi> & lønn",
        agenda="1. Status\n2. Opplæring & <test>",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        place="Kongsberg rådhus",
        video_link="https://teams.example.no/møte?a=1&b=2",
        series_rule="",
        documents=[MeetingDocument(title="Mandat <utkast>", url="https://example.no/a?b=1&c=2")],
    )


def _invitations() -> list[Invitation]:
    invitations = []
    for n, name in enumerate(NAMES * 2):
        person = Person(
            id=100 + n,
            name=name,
            email=f"person{n}@kommune.no",
            language_form=WrittenForm.NYNORSK if n % 3 == 0 else WrittenForm.BOKMAL,
            active=True,
        )
        answer = [Answer.NO_ANSWER, Answer.ACCEPTED, Answer.DECLINED][n % 3]
        invitations.append(Invitation(id=500 + n, person=person, answer=answer))
    return invitations


@pytest.mark.parametrize(
    ("method", "kind", "moved"),
    [
        ("REQUEST", "new", False),
        ("REQUEST", "update", True),
        ("CANCEL", "cancel", False),
        ("CANCEL", "removed", False),
        (None, "reminder", False),
    ],
)
def test_each_merged_letter_is_the_letter_rendered_alone(tmp_path: Path, method, kind, moved):
    settings = load_settings({"MEDVIRKNING_DATA_DIR": str(tmp_path)})
    meeting, invitations = _meeting(), _invitations()
    previous = (meeting.starts_at - timedelta(days=1), meeting.ends_at - timedelta(days=1))
    before = previous if moved else None
    # As send() gives them: a file of each one's own, none for a reminder.
    files = {i.id: f"BEGIN:VCALENDAR {i.id}".encode() if method else None for i in invitations}
    merged = _merged(settings, meeting, invitations, method, kind, files, before)
    alone = [_letter(settings, meeting, i, method, kind, files[i.id], before) for i in invitations]
    assert len(merged) == len(alone)
    for one, other in zip(merged, alone, strict=True):
        assert one == other
    # What the check compares is what an invitee reads: their own name and link.
    tricky = merged[2]
    assert "Per &#34;Pelle&#34; O&#39;Brien &amp; &lt;b&gt;sønn&lt;/b&gt;" in tricky.html
    assert 'Per "Pelle" O\'Brien & <b>sønn</b>' in tricky.text
    assert "\x00" not in tricky.text + tricky.html
    if kind in ("new", "update", "reminder"):
        assert f"/svar/{invitations[2].id}/" in tricky.text
        assert f"/svar/{invitations[3].id}/" not in tricky.text
