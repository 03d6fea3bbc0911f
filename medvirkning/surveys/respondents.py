"""Who is asked and who has answered a survey, never what: recipients, their links (the
token only as a keyed hash), the "has answered" marks, drafts sealed with the link's own
token, and open links for an intranet.

None of these tables is audited: an audit row carries a precise time and the writing
transaction, which is exactly what could tie a person to an answer. No table here is
joined to `survey_answer`; `anonymity.mix` rewrites the marks and the answers together.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from medvirkning.db import Base


class SurveyRecipient(Base):
    """One person asked (or, through an open link, one anonymous visitor: no e-mail)."""

    __tablename__ = "survey_recipient"
    __audit__ = False
    __table_args__ = (UniqueConstraint("survey_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    email: Mapped[str | None] = mapped_column(String(254))
    # The group the answer counts in for the anonymity rule and the response rate.
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    open_link_id: Mapped[int | None] = mapped_column(ForeignKey("survey_open_link.id"))
    invited_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]


class SurveyLink(Base):
    """A link that lets its holder answer as the recipient; only the keyed hash is kept."""

    __tablename__ = "survey_link"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("survey_recipient.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)


class SurveyAnswered(Base):
    """The mark that a recipient has answered; no time, no answer id. Its primary key makes
    a second answer through any of the recipient's links impossible."""

    __tablename__ = "survey_answered"
    __audit__ = False

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("survey_recipient.id"), primary_key=True)


class SurveyUnmixed(Base):
    """A survey whose newest answers and marks wait for the next mix (`mixing.py`): written
    with them, deleted by the mix, so a restart mixes what a stopped process left."""

    __tablename__ = "survey_unmixed"
    __audit__ = False

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), primary_key=True)


class SurveyDraft(Base):
    """Answers saved to finish later, sealed with a key only the link's token gives: the
    database alone (or with the service's secret key) cannot read them. Deleted on submit."""

    __tablename__ = "survey_draft"
    __audit__ = False

    link_id: Mapped[int] = mapped_column(ForeignKey("survey_link.id"), primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)


class SurveyOpenLink(Base):
    """A link for an intranet: anyone who has it may answer, at most `limit_per_hour`
    starts an hour from one client."""

    __tablename__ = "survey_open_link"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    limit_per_hour: Mapped[int] = mapped_column(default=60)
