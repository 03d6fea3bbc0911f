"""A survey, its versions (a published one is frozen), and its anonymous answers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from medvirkning.choices import WrittenForm, choice_column
from medvirkning.db import Base, Timestamped


class Survey(Timestamped, Base):
    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    language_form: Mapped[WrittenForm] = mapped_column(
        choice_column(WrittenForm), default=WrittenForm.BOKMAL
    )
    threshold: Mapped[int] = mapped_column(default=5)
    # The share of the invited who should answer, in per cent (the anchoring record's gap rule).
    response_target: Mapped[int] = mapped_column(default=50)
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("phase.id"))
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    # A template is copied, never sent.
    is_template: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class SurveyVersion(Base):
    __tablename__ = "survey_version"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    number: Mapped[int]
    # The engine's definition as JSON (surveys.definition.Survey); frozen once published.
    definition: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime | None]


class SurveyAnswer(Base):
    """One respondent's answers. Nothing here points at a person: a random id, the day at
    most, and the municipality only as the respondent's group for the anonymity rule."""

    __tablename__ = "survey_answer"
    __audit__ = False  # the audit log would stamp it with a time and a transaction
    # Counts per version and municipality (results, the anchoring record) read the index alone.
    __table_args__ = (
        Index("ix_survey_answer_version_municipality", "survey_version_id", "municipality_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id"))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    answered_on: Mapped[date]
    answers: Mapped[str] = mapped_column(Text)  # JSON: question id -> value
