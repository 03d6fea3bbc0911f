from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medvirkning.choices import Choice, WrittenForm, choice_column
from medvirkning.db import Base, Timestamped
from medvirkning.plan.models import Phase
from medvirkning.region.models import Municipality, Organisation


class GroupKind(Choice):
    PROJECT_GROUP = "project_group", "prosjektgruppe"
    STEERING_GROUP = "steering_group", "styringsgruppe"
    WORKING_GROUP = "working_group", "arbeidsgruppe"
    REFERENCE_GROUP = "reference_group", "referansegruppe"
    NETWORK = "network", "nettverk"


class MembershipRole(Choice):
    LEADER = "leader", "leder"
    MEMBER = "member", "medlem"
    UNION_REP = "union_rep", "tillitsvalgt"
    SECRETARY = "secretary", "sekretær"


class Person(Timestamped, Base):
    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint(
            "municipality_id IS NOT NULL OR organisation_id IS NOT NULL", name="has_affiliation"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    email: Mapped[str] = mapped_column(String(254))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    title: Mapped[str] = mapped_column(String(150), default="")
    union_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    language_form: Mapped[WrittenForm] = mapped_column(
        choice_column(WrittenForm), default=WrittenForm.BOKMAL
    )
    active: Mapped[bool] = mapped_column(default=True)

    municipality: Mapped[Municipality | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(
        foreign_keys=[organisation_id], lazy="joined"
    )
    union: Mapped[Organisation | None] = relationship(foreign_keys=[union_id], lazy="joined")


class Group(Timestamped, Base):
    __tablename__ = "group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    kind: Mapped[GroupKind] = mapped_column(choice_column(GroupKind))
    # No municipality means the group's scope is the whole region.
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("phase.id"))
    purpose: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    municipality: Mapped[Municipality | None] = relationship(lazy="joined")
    phase: Mapped[Phase | None] = relationship(lazy="joined")


class Membership(Timestamped, Base):
    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[MembershipRole] = mapped_column(choice_column(MembershipRole))
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]

    person: Mapped[Person] = relationship(lazy="joined")
    group: Mapped[Group] = relationship(lazy="joined")


# E-mail addresses are unique whatever their case.
Index("uq_person_email_lower", func.lower(Person.email), unique=True)
