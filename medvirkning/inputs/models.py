"""Input (what stakeholders said, and how it was followed up), decisions, learning points."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from medvirkning.choices import Choice, choice_column
from medvirkning.db import Base, Timestamped
from medvirkning.formats import OSLO
from medvirkning.meetings.models import MeetingPoint
from medvirkning.people.models import Group, Person
from medvirkning.plan.models import Phase, RiskFactor
from medvirkning.region.models import Municipality
from medvirkning.register_links import LinkedIds

# Kongsbergregionen's municipalities, all of which the project serves (DOMAIN.md).
MUNICIPALITIES_IN_REGION = 8


def today_in_oslo() -> date:
    return datetime.now(OSLO).date()


class StakeholderKind(Choice):
    STAFF = "staff", "ansatte"
    UNION = "union", "tillitsvalgte"
    MANAGER = "manager", "ledere"
    GROUP = "group", "gruppe"


class SourceKind(Choice):
    MEETING_POINT = "meeting_point", "punkt fra møte"
    CONSULTATION = "consultation", "drøfting"
    SURVEY_QUESTION = "survey_question", "spørsmål i undersøkelse"
    EMAIL = "email", "e-post"
    OTHER = "other", "annet"


class FollowUp(Choice):
    RECEIVED = "received", "mottatt"
    ASSESSED = "assessed", "vurdert"
    TAKEN_IN = "taken_in", "tatt inn"
    REJECTED = "rejected", "avvist"


class DecisionBody(Choice):
    KDU = "kdu", "KDU"
    COUNCIL = "council", "kommunestyret"
    HR_NETWORK = "hr_network", "HR-nettverket"
    FINANCE_NETWORK = "finance_network", "økonomisjefnettverket"
    STEERING_GROUP = "steering_group", "styringsgruppen"


class LessonKind(Choice):
    POSITIVE = "positive", "positiv erfaring"
    NEGATIVE = "negative", "negativ erfaring"


class KnownRisk(Choice):
    YES = "yes", "ja"
    NO = "no", "nei"


class Priority(Choice):
    HIGH = "high", "høy"
    MEDIUM = "medium", "middels"
    LOW = "low", "lav"


class Theme(Timestamped, Base):
    """A theme input is sorted by; the list is the admins' to edit."""

    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(default=True)


class Input(Timestamped, Base):
    __tablename__ = "input"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    stakeholder_kind: Mapped[StakeholderKind] = mapped_column(choice_column(StakeholderKind))
    # No municipality: input from a regional body or the whole region.
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("group.id"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id"))
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("phase.id"))
    source_kind: Mapped[SourceKind] = mapped_column(choice_column(SourceKind))
    meeting_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_point.id"), unique=True
    )
    # The consultation or survey it came from, once those registers exist; or an e-mail's subject.
    source_note: Mapped[str] = mapped_column(String(300), default="")
    received_on: Mapped[date] = mapped_column(default=today_in_oslo, index=True)
    status: Mapped[FollowUp] = mapped_column(choice_column(FollowUp), default=FollowUp.RECEIVED)
    # Where it was taken in: a requirement, the plan, a decision.
    reference: Mapped[str] = mapped_column(String(300), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    municipality: Mapped[Municipality | None] = relationship(lazy="joined")
    group: Mapped[Group | None] = relationship(lazy="joined")
    theme: Mapped[Theme] = relationship(lazy="joined")
    phase: Mapped[Phase | None] = relationship(lazy="joined")
    # The point it came from, for the link back to its meeting.
    meeting_point: Mapped[MeetingPoint | None] = relationship(lazy="joined")


class Decision(Timestamped, Base):
    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[DecisionBody] = mapped_column(choice_column(DecisionBody))
    decided_on: Mapped[date] = mapped_column(index=True)
    case_number: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    document_url: Mapped[str] = mapped_column(String(1000), default="")
    active: Mapped[bool] = mapped_column(default=True)

    # The municipalities it concerns (all eight for KDU's and the networks' decisions).
    municipality_links: Mapped[list[DecisionMunicipality]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    municipality_ids = LinkedIds("municipality_links", "municipality_id", "municipalities")

    @property
    def municipalities(self) -> list[Municipality]:
        return Decision.municipality_ids.records_of(self)

    @property
    def concerns_all(self) -> bool:
        return len(self.municipality_links) >= MUNICIPALITIES_IN_REGION

    @property
    def concerns(self) -> str:
        """Whom it concerns, as the pages, the API's readers and the anchoring record say it."""
        if self.concerns_all:
            return "Alle åtte kommuner"
        return ", ".join(m.name for m in self.municipalities)


class DecisionMunicipality(Base):
    """A municipality a decision concerns (a row each, so the audit log names each change)."""

    __tablename__ = "decision_municipality"

    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id"), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id"), primary_key=True, index=True
    )

    municipality: Mapped[Municipality] = relationship(lazy="joined")


class LearningPoint(Timestamped, Base):
    """An entry of the lessons log (Prosjektveiviseren's erfaringslogg)."""

    __tablename__ = "learning_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[LessonKind] = mapped_column(choice_column(LessonKind))
    what_happened: Mapped[str] = mapped_column(Text)
    cause: Mapped[str] = mapped_column(Text, default="")
    effect: Mapped[str] = mapped_column(Text, default="")
    warning_signs: Mapped[str] = mapped_column(Text, default="")
    known_risk: Mapped[KnownRisk] = mapped_column(choice_column(KnownRisk), default=KnownRisk.NO)
    recommendation: Mapped[str] = mapped_column(Text, default="")
    phase_id: Mapped[int] = mapped_column(ForeignKey("phase.id"), index=True)
    risk_factor_id: Mapped[int | None] = mapped_column(ForeignKey("risk_factor.id"))
    priority: Mapped[Priority] = mapped_column(choice_column(Priority), default=Priority.MEDIUM)
    recorded_on: Mapped[date] = mapped_column(default=today_in_oslo)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    active: Mapped[bool] = mapped_column(default=True)

    phase: Mapped[Phase] = relationship(lazy="joined")
    risk_factor: Mapped[RiskFactor | None] = relationship(lazy="joined")
    recorded_by: Mapped[Person | None] = relationship(lazy="joined")


@event.listens_for(Input, "before_insert")
def _received_today(mapper: object, connection: object, row: Input) -> None:
    # A date left out is today, in Oslo.
    row.received_on = row.received_on or today_in_oslo()


@event.listens_for(LearningPoint, "before_insert")
def _recorded_by(mapper: object, connection: object, point: LearningPoint) -> None:
    point.recorded_on = point.recorded_on or today_in_oslo()
    # Whoever makes the session's changes, as the audit log names them.
    session = object_session(point)
    actor = session.info.get("actor") if session is not None else None
    if point.recorded_by_id is None and actor is not None:
        point.recorded_by_id = actor.person_id
