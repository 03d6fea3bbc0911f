"""A built scenario for the anchoring record: 8 municipalities, the 3 seeded phases, every
cell covered except four planted gaps."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.consultations.models import (
    Consultation,
    ConsultationDocument,
    ConsultationKind,
    ProtocolStatus,
    ProtocolVersion,
)
from medvirkning.inputs.models import (
    Decision,
    DecisionBody,
    DecisionMunicipality,
    FollowUp,
    Input,
    LearningPoint,
    LessonKind,
    SourceKind,
    StakeholderKind,
    Theme,
)
from medvirkning.meetings.models import Invitation
from medvirkning.people.models import Group, GroupKind, Membership, MembershipRole
from medvirkning.plan.models import Phase
from medvirkning.surveys.models import Survey, SurveyAnswer, SurveyVersion
from medvirkning.surveys.respondents import SurveyRecipient
from tests import scenario

# (rule, municipality or None for the region, phase number)
PLANTED = {
    ("group_members", "Rollag", 2),  # Rollag's member left after phase 1, another came in 3
    ("meetings_attended", "Hjartdal", 3),  # Hjartdal's member missed phase 3's meeting
    ("input_follow_up_days", "Kongsberg", 3),  # an input left lying since May 2025
    ("learning_points", None, 2),  # nothing learnt recorded in phase 2
    ("consultation_notice", "Notodden", 2),  # documents sent the day before the meeting
    ("protocol_confirm_days", None, 3),  # KDU's protocol sent, never confirmed
    ("survey_response", "Tinn", 3),  # 2 of 10 answered a closed survey, the target is 50 %
}
# (municipality, invited, answered) for a survey closed in phase 3, and one still open.
SURVEY_REACH = [("Tinn", 10, 2), ("Kongsberg", 10, 8)]
# (matter, municipality or None, documents sent, meeting, protocol status)
CONSULTATIONS = [
    ("Opplæringsplan for lønn", "Notodden", (2025, 1, 20), (2025, 1, 21), "confirmed"),
    ("Felles kontoplan", None, (2025, 9, 15), (2025, 10, 6), "sent"),
    ("Valg av leverandør", "Kongsberg", (2024, 2, 1), (2024, 3, 4), "confirmed"),
]
# Decisions concerning a set of municipalities (evidence only: no rule finds gaps in them).
DECISIONS = [("Felles lønnskjøring fra 2025", date(2025, 2, 10), ("Kongsberg", "Flesberg"))]
MEETING_DAYS = {
    1: datetime(2024, 3, 1, 9, tzinfo=UTC),
    2: datetime(2025, 1, 15, 9, tzinfo=UTC),
    3: datetime(2025, 10, 1, 8, tzinfo=UTC),
}


async def build(db: AsyncSession, scale: int = 1) -> dict[str, int]:
    """The scenario; `scale` repeats the evidence (people, meetings, input) so the same gaps
    stand on more rows."""
    municipalities = await scenario.municipality_ids(db)
    phases = {p.number: p.id for p in await db.scalars(select(Phase))}
    group_id = await db.scalar(
        insert(Group)
        .values(name=f"Referansegruppe økonomi {scale}", kind=GroupKind.REFERENCE_GROUP)
        .returning(Group.id)
    )
    people: dict[str, list[int]] = {}
    memberships = []
    for name, municipality_id in municipalities.items():
        people[name] = await scenario.add_people(
            db, scale, municipality_id, prefix=name.lower().replace(" ", "-")
        )
        for person_id in people[name]:
            spans = [(date(2023, 9, 1), None)]
            if name == "Rollag":
                spans = [(date(2023, 9, 1), date(2024, 9, 30)), (date(2025, 4, 1), None)]
            memberships += [
                {
                    "group_id": group_id,
                    "person_id": person_id,
                    "role": MembershipRole.MEMBER,
                    "starts_on": start,
                    "ends_on": end,
                }
                for start, end in spans
            ]
    await db.execute(insert(Membership), memberships)
    everyone = [p for ids in people.values() for p in ids]
    for number, starts_at in MEETING_DAYS.items():
        for n in range(scale):
            meeting_id, _ = await scenario.add_meeting(
                db,
                f"Referansegruppemøte fase {number}",
                starts_at + timedelta(days=n),
                everyone,
                [group_id],
            )
            missed = people["Hjartdal"] if number == 3 else []
            await db.execute(
                update(Invitation)
                .where(Invitation.meeting_id == meeting_id)
                .values(attended=~Invitation.person_id.in_(missed) if missed else True)
            )
    theme_id = await db.scalar(select(Theme.id).where(Theme.name == "Lønn"))
    inputs = []
    for n in range(scale):
        inputs += [
            {
                "text": f"Lønnskjøringen må kunne testes før innføring ({n})",
                "stakeholder_kind": StakeholderKind.STAFF,
                "municipality_id": municipalities["Kongsberg"],
                "theme_id": theme_id,
                "source_kind": SourceKind.EMAIL,
                "received_on": date(2025, 5, 2),
                "status": FollowUp.RECEIVED,
            },
            {
                "text": f"Felles kontoplan tidlig ({n})",
                "stakeholder_kind": StakeholderKind.UNION,
                "municipality_id": municipalities["Notodden"],
                "theme_id": theme_id,
                "source_kind": SourceKind.OTHER,
                "received_on": date(2025, 5, 2),
                "status": FollowUp.TAKEN_IN,
                "reference": "Krav 4.2 i konkurransegrunnlaget",
            },
        ]
    await db.execute(insert(Input), inputs)
    await db.execute(
        insert(LearningPoint),
        [
            {
                "kind": LessonKind.POSITIVE,
                "what_happened": f"Lokale møter i hver kommune ({n})",
                "phase_id": phases[number],
                "recorded_on": date(2025, 6, 1),
            }
            for number in (1, 3)
            for n in range(scale)
        ],
    )
    await _consultations(db, municipalities, scale)
    await _decisions(db, municipalities, scale)
    for title, closes in (("Opplæringsbehov", 31), ("Piloten", None)):
        await _survey(db, municipalities, title, closes, scale)
    return municipalities


async def _decisions(db: AsyncSession, municipalities: dict[str, int], scale: int) -> None:
    for title, decided_on, concerning in DECISIONS:
        for n in range(scale):
            decision_id = await db.scalar(
                insert(Decision)
                .values(body=DecisionBody.KDU, decided_on=decided_on, title=f"{title} ({n})")
                .returning(Decision.id)
            )
            await db.execute(
                insert(DecisionMunicipality),
                [
                    {"decision_id": decision_id, "municipality_id": municipalities[name]}
                    for name in concerning
                ],
            )


async def _survey(
    db: AsyncSession, municipalities: dict[str, int], title: str, closes: int | None, scale: int
) -> None:
    """A survey sent in phase 3; closed on that October day, or still open."""
    survey_id = await db.scalar(
        insert(Survey)
        .values(
            title=title,
            opens_at=datetime(2025, 10, 10, 8, tzinfo=UTC),
            closes_at=datetime(2025, 10, closes, 20, tzinfo=UTC) if closes else None,
        )
        .returning(Survey.id)
    )
    version_id = await db.scalar(
        insert(SurveyVersion)
        .values(survey_id=survey_id, number=1, definition="{}")
        .returning(SurveyVersion.id)
    )
    recipients, answers = [], []
    for name, invited, answered in SURVEY_REACH:
        recipients += [
            {
                "survey_id": survey_id,
                "email": f"{name}{n}@kommune.no",
                "municipality_id": municipalities[name],
            }
            for n in range(invited * scale)
        ]
        answers += [
            {
                "id": uuid.uuid4().hex,
                "survey_version_id": version_id,
                "municipality_id": municipalities[name],
                "answered_on": date(2025, 10, 15),
                "answers": "{}",
            }
            for _ in range(answered * scale)
        ]
    await db.execute(insert(SurveyRecipient), recipients)
    await db.execute(insert(SurveyAnswer), answers)


async def _consultations(db: AsyncSession, municipalities: dict[str, int], scale: int) -> None:
    for matter, where, sent, held, status in CONSULTATIONS:
        for n in range(scale):
            meeting_id, _ = await scenario.add_meeting(
                db, f"Drøfting: {matter}", datetime(*held, 10, tzinfo=UTC) + timedelta(hours=n), []
            )
            consultation_id = await db.scalar(
                insert(Consultation)
                .values(
                    matter=f"{matter} ({n})",
                    kind=ConsultationKind.CONSULTATION,
                    municipality_id=municipalities[where] if where else None,
                    meeting_id=meeting_id,
                )
                .returning(Consultation.id)
            )
            sent_at = datetime(*sent, 12, tzinfo=UTC)
            await db.execute(
                insert(ConsultationDocument).values(
                    consultation_id=consultation_id,
                    title="Saksframlegg",
                    url="https://example.no/sak.pdf",
                    sent_at=sent_at,
                )
            )
            await db.execute(
                insert(ProtocolVersion).values(
                    consultation_id=consultation_id,
                    number=1,
                    text="Partene drøftet saken.",
                    status=ProtocolStatus(status),
                    sent_at=sent_at + timedelta(days=30),
                )
            )
