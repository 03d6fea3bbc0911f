from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medvirkning.choices import Choice, choice_column
from medvirkning.db import Base, Timestamped
from medvirkning.people.models import Group, Person
from medvirkning.plan.models import Milestone, Phase


class Answer(Choice):
    NO_ANSWER = "no_answer", "ikke svart"
    ACCEPTED = "accepted", "kommer"
    TENTATIVE = "tentative", "kommer kanskje"
    DECLINED = "declined", "kommer ikke"


# The iCalendar PARTSTAT for each answer.
PARTSTAT = {
    Answer.NO_ANSWER: "NEEDS-ACTION",
    Answer.ACCEPTED: "ACCEPTED",
    Answer.TENTATIVE: "TENTATIVE",
    Answer.DECLINED: "DECLINED",
}

meeting_group = Table(
    "meeting_group",
    Base.metadata,
    Column("meeting_id", ForeignKey("meeting.id"), primary_key=True),
    Column("group_id", ForeignKey("group.id"), primary_key=True),
)


class Meeting(Timestamped, Base):
    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable across every update and the cancellation: calendars match on it.
    uid: Mapped[str] = mapped_column(String(200), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    # An occurrence of a series: calendars know it by the series' UID and its original start.
    series_uid: Mapped[str | None] = mapped_column(String(200), index=True)
    recurrence_id: Mapped[datetime | None]
    # On the first occurrence: the rule the whole series was sent with.
    series_rule: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200))
    agenda: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(300), default="")
    video_link: Mapped[str] = mapped_column(String(500), default="")
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("phase.id"))
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestone.id"))
    cancelled_at: Mapped[datetime | None]
    minutes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    # Loaded per query (meetings.queries.meeting_loads), never behind the caller's back.
    groups: Mapped[list[Group]] = relationship(secondary=meeting_group, lazy="raise_on_sql")
    phase: Mapped[Phase | None] = relationship(lazy="raise_on_sql")
    milestone: Mapped[Milestone | None] = relationship(lazy="raise_on_sql")
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="meeting", lazy="raise_on_sql", order_by="Invitation.id"
    )
    # A new list of documents replaces the old rows.
    documents: Mapped[list[MeetingDocument]] = relationship(
        lazy="raise_on_sql", order_by="MeetingDocument.id", cascade="all, delete-orphan"
    )
    points: Mapped[list[MeetingPoint]] = relationship(
        lazy="raise_on_sql", order_by="MeetingPoint.id"
    )


class Invitation(Timestamped, Base):
    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    answer: Mapped[Answer] = mapped_column(choice_column(Answer), default=Answer.NO_ANSWER)
    answered_at: Mapped[datetime | None]
    # Filled after the meeting: from the answers, corrected by hand.
    attended: Mapped[bool | None]
    removed_at: Mapped[datetime | None]
    no_answer_reminded_at: Mapped[datetime | None]
    accepted_reminded_at: Mapped[datetime | None]

    meeting: Mapped[Meeting] = relationship(back_populates="invitations", lazy="raise_on_sql")
    person: Mapped[Person] = relationship(lazy="raise_on_sql")


class MeetingDocument(Timestamped, Base):
    __tablename__ = "meeting_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    # When it first went out with an invitation or update.
    sent_at: Mapped[datetime | None]


class MeetingPoint(Timestamped, Base):
    """A point raised in the meeting, kept so it can become a registered input."""

    __tablename__ = "meeting_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    raised_by: Mapped[str] = mapped_column(String(200), default="")
    # Set when the input register (a later issue) takes the point in.
    input_id: Mapped[int | None]


class CalendarFeed(Base):
    """The version of a person's or group's feed secret; renewing bumps it."""

    __tablename__ = "calendar_feed"
    __audit__ = False
    __table_args__ = (UniqueConstraint("owner_kind", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(10))  # person or group
    owner_id: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)
