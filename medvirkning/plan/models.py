from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medvirkning.db import Base, Timestamped


class Phase(Timestamped, Base):
    __tablename__ = "phase"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(150))
    goal: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    active: Mapped[bool] = mapped_column(default=True)


class Milestone(Timestamped, Base):
    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phase.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date]
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    phase: Mapped[Phase] = relationship(lazy="joined")


class RiskFactor(Timestamped, Base):
    __tablename__ = "risk_factor"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    risk: Mapped[str] = mapped_column(Text)
    follow_up: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
