from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medvirkning.choices import Choice, choice_column
from medvirkning.db import Base, Timestamped, utcnow
from medvirkning.meetings.models import Meeting
from medvirkning.people.models import Person
from medvirkning.plan.models import Milestone, Phase
from medvirkning.region.models import Municipality, Organisation


class ConsultationKind(Choice):
    INFORMATION = "information", "informasjon"
    CONSULTATION = "consultation", "drøfting"
    OTHER = "other", "annet"


class ProtocolStatus(Choice):
    DRAFT = "draft", "utkast"
    SENT = "sent", "sendt til tillitsvalgte"
    CONFIRMED = "confirmed", "bekreftet av alle parter"


class Answer(Choice):
    CONFIRMED = "confirmed", "bekreftet"
    DISPUTED = "disputed", "bestridt"


class Consultation(Timestamped, Base):
    """An information or consultation meeting with the unions at one level: the region
    (through KDU, no municipality) or one municipality."""

    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    matter: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ConsultationKind] = mapped_column(choice_column(ConsultationKind))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), index=True)
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("phase.id"))
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestone.id"))
    # The decision register comes in its own issue; until then a case number or a summary.
    decision_ref: Mapped[str] = mapped_column(String(200), default="")
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"), index=True)
    employer_participants: Mapped[str] = mapped_column(Text, default="")
    agreed: Mapped[bool | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    municipality: Mapped[Municipality | None] = relationship(lazy="joined")
    phase: Mapped[Phase | None] = relationship(lazy="joined")
    milestone: Mapped[Milestone | None] = relationship(lazy="joined")
    meeting: Mapped[Meeting | None] = relationship(lazy="joined")
    unions: Mapped[list[ConsultationUnion]] = relationship(
        lazy="selectin", order_by="ConsultationUnion.id", cascade="all, delete-orphan"
    )
    documents: Mapped[list[ConsultationDocument]] = relationship(
        lazy="selectin", order_by="ConsultationDocument.id", cascade="all, delete-orphan"
    )
    protocols: Mapped[list[ProtocolVersion]] = relationship(
        lazy="selectin", order_by="ProtocolVersion.number"
    )
    comments: Mapped[list[ConsultationComment]] = relationship(
        lazy="selectin", order_by="ConsultationComment.id"
    )

    @property
    def level(self) -> str:
        return self.municipality.name if self.municipality else "Regionalt (KDU)"

    @property
    def protocol(self) -> ProtocolVersion | None:
        """The newest protocol version, the one that counts."""
        return self.protocols[-1] if self.protocols else None


class ConsultationUnion(Timestamped, Base):
    """A union taking part: who came for it, its position and its protocol addition."""

    __tablename__ = "consultation_union"
    __table_args__ = (UniqueConstraint("consultation_id", "union_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    union_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    participants: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[str] = mapped_column(Text, default="")
    # Protokolltilførsel: the union's own statement added to the protocol.
    addition: Mapped[str] = mapped_column(Text, default="")

    union: Mapped[Organisation] = relationship(lazy="joined")


class ConsultationDocument(Timestamped, Base):
    __tablename__ = "consultation_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    # When it went to the union representatives: notice is counted from here.
    sent_at: Mapped[datetime | None]


class ProtocolVersion(Timestamped, Base):
    """One version of the protocol; a confirmed one is locked, a correction is a new one."""

    __tablename__ = "protocol_version"
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProtocolStatus] = mapped_column(
        choice_column(ProtocolStatus), default=ProtocolStatus.DRAFT
    )
    sent_at: Mapped[datetime | None]
    locked_at: Mapped[datetime | None]

    answers: Mapped[list[ProtocolAnswer]] = relationship(
        lazy="selectin", order_by="ProtocolAnswer.id"
    )

    def answer_of(self, union_id: int | None) -> ProtocolAnswer | None:
        """A party's latest answer (union None: the employer side)."""
        found = [a for a in self.answers if a.union_id == union_id]
        return found[-1] if found else None


class ProtocolAnswer(Base):
    """A party's confirmation or dispute of one version (union None: the employer side)."""

    __tablename__ = "protocol_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    protocol_version_id: Mapped[int] = mapped_column(ForeignKey("protocol_version.id"), index=True)
    union_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    answer: Mapped[Answer] = mapped_column(choice_column(Answer))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person | None] = relationship(lazy="joined")


class ConsultationComment(Base):
    __tablename__ = "consultation_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    author: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsultationLogEntry(Base):
    """One entry of a consultation's hash chain, stored as `chain.Entry` writes it, so the
    hash can be computed again from the row alone. Append-only (database triggers)."""

    __tablename__ = "consultation_log_entry"
    # The chain is its own record of who did what; an audit row per entry would say it twice.
    __audit__ = False
    __table_args__ = (UniqueConstraint("consultation_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    sequence: Mapped[int]
    at: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
