"""The pure cores of union consultations: the hash-chained log and notice in working days.

The log is checked twice: by `chain.verify` and by the script printed in the README, run with
a bare Python (`-I -S`: no site-packages) on an exported file, as a union representative would.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest

from medvirkning.consultations import chain, notice
from medvirkning.consultations.chain import Entry

OSLO = ZoneInfo("Europe/Oslo")
README = Path(__file__).parent.parent / "README.md"
START = datetime(2027, 3, 1, 9, 0, tzinfo=OSLO)
EVENTS: list[tuple[str, str, dict[str, Any]]] = [
    ("Prosjektleder ERP", "created", {"matter": "Innføring av nytt ERP-system"}),
    ("Prosjektleder ERP", "document_sent", {"document": "Konsekvensanalyse.pdf"}),
    ("Prosjektleder ERP", "protocol_edited", {"text": "Partene drøftet «fase 2»."}),
    ("Kari Nordmann (Fagforbundet)", "disputed", {"reason": "Tilførsel mangler\n"}),
    ("Ola Hansen (Utdanningsforbundet)", "confirmed", {"version": 1}),
]


def build_log(events: list[tuple[str, str, dict[str, Any]]] = EVENTS) -> list[Entry]:
    entries: list[Entry] = []
    for number, (actor, kind, payload) in enumerate(events):
        previous = entries[-1] if entries else None
        at = START + timedelta(hours=number)
        entries.append(
            chain.append(
                previous, consultation_id=7, at=at, actor=actor, kind=kind, payload=payload
            )
        )
    return entries


def changed(entry: Entry, rehash: bool = False, **fields: Any) -> Entry:
    """An entry edited the way someone with write access to the table would."""
    entry = msgspec.structs.replace(entry, **fields)
    if rehash:
        body = msgspec.structs.asdict(entry)
        del body["hash"]
        entry = msgspec.structs.replace(entry, hash=chain.entry_hash(body))
    return entry


def stdlib_canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# --- the canonical form -------------------------------------------------------------------


def test_canonical_json_is_byte_for_byte_what_pythons_json_module_writes() -> None:
    awkward = {
        "z": 1,
        "Å": "æøå ÆØÅ",
        "a": {"é": [True, False, None], "b": 2**70, "e": ""},
        "ø": 'quote " backslash \\ tab \t newline \n nul \x00 del \x7f',
        "emoji": "🧾 \u2028 \u2029 \ufeff",
        "nested": [{"y": 1, "x": [{"d": 0, "c": -1}]}],
    }
    fields = {"sequence": 1, "payload": awkward, "actor": "Åse Ødegård"}
    assert chain.canonical(fields) == stdlib_canonical(fields)
    entry = chain.append(
        None, consultation_id=1, at=START, actor="Åse", kind="commented", payload=awkward
    )
    body = msgspec.structs.asdict(entry)
    del body["hash"]
    assert entry.hash == hashlib.sha256(stdlib_canonical(body)).hexdigest()


def test_the_canonical_form_of_an_entry_never_drifts() -> None:
    # Stored logs and kept e-mails depend on these exact bytes: a change here breaks them all.
    entry = chain.append(
        None,
        consultation_id=7,
        at=datetime(2027, 3, 25, 10, 30, tzinfo=OSLO),
        actor="Kari Nordmann (Fagforbundet)",
        kind="confirmed",
        payload={"version": 2, "merknad": "Godkjent på møtet"},
    )
    body = msgspec.structs.asdict(entry)
    del body["hash"]
    assert (
        chain.canonical(body)
        == (
            '{"actor":"Kari Nordmann (Fagforbundet)","at":"2027-03-25T09:30:00Z",'
            '"consultation_id":7,"kind":"confirmed","payload":{"merknad":"Godkjent på møtet",'
            '"version":2},"previous_hash":"' + "0" * 64 + '","sequence":1}'
        ).encode()
    )
    assert entry.hash == hashlib.sha256(chain.canonical(body)).hexdigest()


# --- appending ----------------------------------------------------------------------------


def test_each_entry_holds_the_hash_of_the_one_before_and_the_first_holds_zeros() -> None:
    entries = build_log()
    assert [entry.sequence for entry in entries] == [1, 2, 3, 4, 5]
    assert entries[0].previous_hash == "0" * 64
    for before, entry in itertools.pairwise(entries):
        assert entry.previous_hash == before.hash
    assert entries[0].at == "2027-03-01T08:00:00Z"  # 09:00 in Oslo in winter
    assert chain.head_of(entries[-1]) == f"5:{entries[-1].hash}"


def test_append_refuses_what_would_make_an_entry_unverifiable() -> None:
    first = build_log()[0]

    def add(**changes: Any) -> Entry:
        fields: dict[str, Any] = {
            "consultation_id": 7,
            "at": START,
            "actor": "Prosjektleder ERP",
            "kind": "commented",
        }
        fields.update(changes)
        return chain.append(first, **fields)

    with pytest.raises(ValueError, match="float"):
        add(payload={"share": [0.5]})
    with pytest.raises(ValueError, match="unknown log event kind"):
        add(kind="deleted")
    with pytest.raises(ValueError, match="naive"):
        add(at=datetime(2027, 3, 1, 9, 0))
    with pytest.raises(ValueError, match="same consultation"):
        add(consultation_id=8)
    with pytest.raises(ValueError, match="actor"):
        add(actor=" ")
    payload: dict[str, Any] = {"items": ["a"]}
    entry = add(payload=payload)
    payload["items"].append("b")  # the caller's dict changing later does not change the entry
    assert chain.verify([first, entry]).ok


# --- verifying ----------------------------------------------------------------------------


def test_an_intact_log_holds_together_and_reaches_every_head_it_has_had() -> None:
    entries = build_log()
    verdict = chain.verify(entries)
    assert verdict == chain.Verdict(True, 5, chain.head_of(entries[-1]))
    for entry in entries:
        assert chain.verify(entries, chain.head_of(entry)).ok
    assert chain.verify([]) == chain.Verdict(True, 0, None)


def test_a_changed_entry_is_named_by_its_own_hash() -> None:
    entries = build_log()
    entries[2] = changed(entries[2], payload={"text": "Partene var enige."})
    verdict = chain.verify(entries)
    assert (verdict.ok, verdict.broken, verdict.reason) == (False, 3, "content_changed")
    assert verdict.message == "Post 3 er endret: innholdet passer ikke hashen."


def test_a_changed_entry_with_its_hash_recomputed_breaks_the_next_link() -> None:
    entries = build_log()
    entries[1] = changed(entries[1], rehash=True, actor="Noen andre")
    verdict = chain.verify(entries)
    assert (verdict.broken, verdict.reason) == (3, "link_broken")
    assert verdict.message == "Post 3 peker ikke på post 2: den er endret."


def test_an_entry_removed_from_the_middle_is_named_at_the_entry_after_it() -> None:
    entries = build_log()
    del entries[2]
    verdict = chain.verify(entries)
    assert (verdict.ok, verdict.broken, verdict.reason) == (False, 4, "link_broken")
    assert verdict.message == "Post 4 peker ikke på posten foran: post 3 mangler."
    assert verdict.head == chain.head_of(entries[1])  # how far the log holds together
    del entries[0]
    assert chain.verify(entries).message == "Post 2 peker ikke på posten foran: post 1 mangler."


def test_the_newest_entries_removed_show_only_against_a_head_kept_from_an_email() -> None:
    entries = build_log()
    kept = chain.head_of(entries[4])
    truncated = entries[:3]
    assert chain.verify(truncated).ok  # nothing inside the log can tell
    verdict = chain.verify(truncated, kept)
    assert (verdict.ok, verdict.broken, verdict.reason) == (False, 4, "head_beyond_end")
    assert verdict.message == (
        "Loggen slutter ved post 3, men hodet du har er post 5 sitt: post 4–5 er fjernet."
    )
    assert chain.verify([], kept).broken == 1


def test_a_log_rewritten_from_scratch_does_not_match_a_kept_head() -> None:
    entries = build_log()
    kept = chain.head_of(entries[3])
    rewritten = build_log(
        [*EVENTS[:3], ("Kari Nordmann (Fagforbundet)", "confirmed", {}), EVENTS[4]]
    )
    assert chain.verify(rewritten).ok
    assert chain.verify(rewritten, chain.head_of(entries[2])).ok  # agreed up to entry 3
    verdict = chain.verify(rewritten, kept)
    assert (verdict.ok, verdict.broken, verdict.reason) == (False, 4, "head_mismatch")


@pytest.mark.parametrize(
    "head", ["", "5", "0:" + "a" * 64, "5:abc", "x:" + "a" * 64, "2:" + "g" * 64]
)
def test_a_head_that_is_not_one_is_refused(head: str) -> None:
    with pytest.raises(ValueError, match="not a log head"):
        chain.verify(build_log(), head)


def test_the_export_holds_every_field_and_reads_back_the_same() -> None:
    entries = build_log()
    exported = chain.export_json(entries)
    assert list(json.loads(exported)[0]) == [
        "sequence",
        "consultation_id",
        "at",
        "actor",
        "kind",
        "payload",
        "previous_hash",
        "hash",
    ]
    assert chain.load_json(exported) == entries
    with pytest.raises(ValueError, match="missing required field"):
        chain.load_json(b'[{"sequence": 1}]')


# --- the README's script ------------------------------------------------------------------


def readme_script(tmp_path: Path) -> Path:
    section = README.read_text(encoding="utf-8").split("## Consultation log", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None, "README: the Consultation log section has no Python script"
    script = tmp_path / "sjekk_logg.py"
    script.write_text(code.group(1), encoding="utf-8")
    return script


def tampered(kind: str) -> tuple[list[Entry], str | None]:
    entries = build_log()
    if kind == "changed row":
        entries[3] = changed(entries[3], payload={"reason": "Ingen innvendinger"})
    elif kind == "changed row with its hash recomputed":
        entries[3] = changed(entries[3], rehash=True, kind="confirmed")
    elif kind == "removed middle row":
        del entries[2]
    elif kind == "removed first row":
        del entries[0]
    elif kind == "truncated log":
        return entries[:2], chain.head_of(entries[4])
    elif kind == "rewritten log":
        return build_log(EVENTS[:1] + EVENTS[2:]), chain.head_of(entries[1])
    return entries, chain.head_of(entries[-1]) if kind == "intact with head" else None


@pytest.mark.parametrize(
    "kind",
    [
        "intact",
        "intact with head",
        "changed row",
        "changed row with its hash recomputed",
        "removed middle row",
        "removed first row",
        "truncated log",
        "rewritten log",
    ],
)
def test_the_readme_script_agrees_with_verify(tmp_path: Path, kind: str) -> None:
    entries, head = tampered(kind)
    exported = tmp_path / "logg.json"
    exported.write_bytes(chain.export_json(entries))
    verdict = chain.verify(chain.load_json(exported.read_bytes()), head)
    assert verdict.ok == kind.startswith("intact")
    run = subprocess.run(
        [sys.executable, "-I", "-S", str(readme_script(tmp_path)), str(exported)]
        + ([head] if head else []),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    if verdict.ok:
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == f"Hel: 5 poster, hode {verdict.head}"
    else:
        assert run.returncode == 1
        assert re.match(r"Brutt ved post (\d+):", run.stderr)
        assert run.stderr.startswith(f"Brutt ved post {verdict.broken}:"), run.stderr


# --- notice -------------------------------------------------------------------------------


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=OSLO)


def days(sent: date, meeting: date) -> int:
    return notice.working_days(at_noon(sent), at_noon(meeting))


@pytest.mark.parametrize(
    ("tuesday_before", "maundy_thursday", "tuesday_after"),
    [
        (date(2026, 3, 31), date(2026, 4, 2), date(2026, 4, 7)),
        (date(2027, 3, 23), date(2027, 3, 25), date(2027, 3, 30)),
    ],
)
def test_easter_from_maundy_thursday_to_easter_monday_is_not_counted(
    tuesday_before: date, maundy_thursday: date, tuesday_after: date
) -> None:
    assert days(maundy_thursday, tuesday_after) == 1
    assert days(tuesday_before, tuesday_after) == 2


@pytest.mark.parametrize(
    ("sent", "meeting", "expected", "why"),
    [
        (date(2028, 5, 16), date(2028, 5, 18), 1, "17 May on a Wednesday"),
        (date(2027, 5, 14), date(2027, 5, 19), 2, "17 May on a Monday, also Whit Monday"),
        (date(2026, 5, 15), date(2026, 5, 19), 2, "17 May on a Sunday costs nothing extra"),
        (date(2026, 4, 30), date(2026, 5, 4), 1, "1 May on a Friday"),
        (date(2026, 5, 13), date(2026, 5, 15), 1, "Ascension Day, Thursday 14 May 2026"),
        (date(2026, 5, 22), date(2026, 5, 26), 1, "Whit Monday, 25 May 2026"),
        (date(2026, 12, 22), date(2026, 12, 28), 3, "Christmas Eve counts, Christmas does not"),
        (date(2026, 6, 1), date(2026, 6, 8), 5, "an ordinary week"),
    ],
)
def test_working_days_around_public_holidays(
    sent: date, meeting: date, expected: int, why: str
) -> None:
    assert days(sent, meeting) == expected, why


def test_days_are_oslo_dates_whatever_zone_the_times_come_in() -> None:
    meeting = datetime(2027, 3, 30, 8, 0, tzinfo=UTC)
    # Monday 22 March 23:30 UTC is Tuesday 00:30 in Oslo: the Tuesday before Easter.
    assert notice.working_days(datetime(2027, 3, 22, 23, 30, tzinfo=UTC), meeting) == 2
    # 22:30 UTC is still Monday in Oslo, so Tuesday 23 March counts as well.
    assert notice.working_days(datetime(2027, 3, 22, 22, 30, tzinfo=UTC), meeting) == 3
    # A meeting at 23:30 UTC on the Monday is on Easter Tuesday in Oslo (summer time).
    late = datetime(2027, 3, 29, 23, 30, tzinfo=UTC)
    assert notice.working_days(datetime(2027, 3, 25, 12, 0, tzinfo=UTC), late) == 1


def test_documents_sent_on_the_meeting_day_or_after_give_no_notice() -> None:
    assert days(date(2026, 6, 3), date(2026, 6, 3)) == 0
    assert days(date(2026, 6, 5), date(2026, 6, 3)) == 0


def test_short_notice_is_fewer_working_days_than_the_setting_asks() -> None:
    sent, meeting = at_noon(date(2027, 3, 25)), at_noon(date(2027, 3, 30))  # 1 working day
    assert notice.short_notice(sent, meeting, least_days=2)
    assert not notice.short_notice(sent, meeting, least_days=1)
    assert not notice.short_notice(sent, meeting, least_days=0)
    with pytest.raises(ValueError, match="negative"):
        notice.short_notice(sent, meeting, least_days=-1)
    with pytest.raises(ValueError, match="naive"):
        notice.working_days(datetime(2027, 3, 25, 12, 0), meeting)
