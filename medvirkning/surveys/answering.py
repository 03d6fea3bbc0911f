"""Answering through a link, with no sign-in: find the link by its token's keyed hash, keep a
sealed draft between sections, and submit exactly once.

A submit is validated here and stored by `submitting.py`: the recipient's "has answered"
mark decides (when two submits through one link race, the second is told it was already
answered), the answer is kept with no token, person or time of day, the drafts are deleted,
and `mixing.mix` rewrites answers and marks in random order: in the same transaction for a
single submit, within about a second for the answering pages' batches. The pages read the
links of those who arrive together in one statement (`LinkReads`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

import msgspec
from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from medvirkning.db import upsert_for, utcnow
from medvirkning.errors import Conflict, NotFound
from medvirkning.formats import OSLO
from medvirkning.settings import Settings
from medvirkning.signing import sign
from medvirkning.surveys.gathering import Gathered
from medvirkning.surveys.models import Survey, SurveyVersion
from medvirkning.surveys.respondents import (
    SurveyAnswered,
    SurveyDraft,
    SurveyLink,
    SurveyRecipient,
)
from medvirkning.surveys.sealing import seal, unseal
from medvirkning.surveys.store import definition_of
from medvirkning.surveys.submitting import Submission, store_submissions
from medvirkning.transaction import Database
from surveys.answers import validate_answers
from surveys.definition import Survey as Definition
from surveys.problems import InvalidAnswers


class AlreadyAnswered(Conflict):
    code = "already_answered"
    message = "Denne lenken er allerede brukt til å svare. Svaret ditt er registrert én gang."


class NotOpen(Conflict):
    code = "survey_not_open"
    message = "Undersøkelsen er ikke åpen for svar."


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(settings: Settings, token: str) -> str:
    """The only form a link's token is stored in: a keyed hash (HMAC with the secret key)."""
    return sign(settings, "survey-link", token)


async def add_link(db: AsyncSession, settings: Settings, recipient_id: int) -> str:
    """A new link for the recipient; the token goes into the letter, its hash into the table."""
    token = new_token()
    db.add(SurveyLink(recipient_id=recipient_id, token_hash=token_hash(settings, token)))
    return token


@dataclass
class Respondent:
    """What the answering pages know about the holder of a link."""

    link_id: int
    recipient_id: int
    municipality_id: int | None
    survey: Survey
    version: SurveyVersion | None
    definition: Definition | None
    answered: bool
    draft: dict[str, Any] = field(default_factory=dict)
    section: int = 0

    @property
    def state(self) -> str:
        """answered, not_open, not_yet_open, closed or open."""
        if self.answered:
            return "answered"
        if self.version is None or self.survey.is_template:
            return "not_open"
        now = utcnow()
        if self.survey.opens_at is not None and now < self.survey.opens_at:
            return "not_yet_open"
        if self.survey.closes_at is not None and now >= self.survey.closes_at:
            return "closed"
        return "open"


async def published_version(db: AsyncSession, survey_id: int) -> SurveyVersion | None:
    return await db.scalar(
        select(SurveyVersion)
        .where(SurveyVersion.survey_id == survey_id, SurveyVersion.published_at.is_not(None))
        .order_by(SurveyVersion.number.desc())
        .limit(1)
    )


@cache
def _respondent_query() -> Select[Any]:
    """Made once: building a statement of this size costs more than running it."""
    answered = (
        select(SurveyAnswered.recipient_id)
        .where(
            SurveyAnswered.survey_id == Survey.id,
            SurveyAnswered.recipient_id == SurveyRecipient.id,
        )
        .exists()
    )
    sealed = select(SurveyDraft.sealed).where(SurveyDraft.link_id == SurveyLink.id)
    other = aliased(SurveyVersion)
    newest = (
        select(other.id)
        .where(other.survey_id == Survey.id, other.published_at.is_not(None))
        .order_by(other.number.desc())
        .limit(1)
    )
    return (
        select(
            SurveyLink.id,
            SurveyRecipient.id,
            SurveyRecipient.municipality_id,
            Survey,
            answered,
            sealed.scalar_subquery(),
            SurveyVersion,
        )
        .join(SurveyRecipient, SurveyRecipient.id == SurveyLink.recipient_id)
        .join(Survey, Survey.id == SurveyRecipient.survey_id)
        .outerjoin(SurveyVersion, SurveyVersion.id == newest.scalar_subquery())
        .where(SurveyLink.token_hash.in_(bindparam("token_hashes", expanding=True)))
        .add_columns(SurveyLink.token_hash)
    )


class UnknownLink(NotFound):
    message = "Lenken er ikke gyldig. Sjekk at hele lenken fra e-posten er med."


async def respondent(db: AsyncSession, settings: Settings, token: str) -> Respondent:
    """The link's holder, with their draft opened; NotFound for a token we never gave."""
    (found,) = await respondents(db, settings, [token])
    if found is None:
        raise UnknownLink()
    return found


async def respondents(
    db: AsyncSession, settings: Settings, tokens: Sequence[str]
) -> list[Respondent | None]:
    """The holders of several links (None for a token we never gave), in one statement: each
    link, its recipient and survey, whether they have answered, their sealed draft and the
    survey's newest published version."""
    hashes = [token_hash(settings, token) for token in tokens]
    rows = (await db.execute(_respondent_query(), {"token_hashes": sorted(set(hashes))})).all()
    by_hash = {row[-1]: row for row in rows}
    return [
        await _respondent(db, token, row) if (row := by_hash.get(hashed)) else None
        for token, hashed in zip(tokens, hashes, strict=True)
    ]


async def _respondent(db: AsyncSession, token: str, row: Any) -> Respondent:
    link_id, recipient_id, municipality_id, survey, has_answered, sealed_draft, published, _ = row
    found = Respondent(
        link_id=link_id,
        recipient_id=recipient_id,
        municipality_id=municipality_id,
        survey=survey,
        version=None,
        definition=None,
        answered=bool(has_answered),
    )
    draft = _open_draft(token, sealed_draft)
    version = None
    if draft is not None:
        # Usually the published version just read: then no statement (the identity map).
        version = await db.get(SurveyVersion, draft.get("version_id"))
        found.draft = dict(draft.get("answers", {}))
        found.section = int(draft.get("section", 0))
    if version is None or version.survey_id != survey.id:
        version = published
    found.version = version
    found.definition = definition_of(version) if version is not None else None
    return found


class LinkReads:
    """The links of one process's answering pages, read together: those asked for while a
    read is running wait and go in the next one, in a short transaction of its own, so many
    people answering at once cost one statement a batch and hold no connection between."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self.batches: Gathered[None, str, Respondent | None] = Gathered(self._read, _READS)

    async def respondent(self, token: str) -> Respondent:
        """As `respondent`, with the records detached: read them, change nothing."""
        found = await self.batches(None, token)
        if found is None:
            raise UnknownLink()
        return found

    async def _read(self, _: None, tokens: list[str]) -> list[Respondent | None]:
        async with self.database.transaction() as db:
            return await respondents(db, self.settings, tokens)


_READS = 500  # at most this many links in one statement


def _open_draft(token: str, sealed: str | None) -> dict[str, Any] | None:
    if sealed is None:
        return None
    plain = unseal(token, sealed)
    if plain is None:
        return None  # sealed under another of the recipient's links: start afresh
    opened: dict[str, Any] = msgspec.json.decode(plain)
    return opened


def require_open(found: Respondent) -> Definition:
    if found.state == "answered":
        raise AlreadyAnswered()
    if found.state != "open" or found.definition is None:
        raise NotOpen()
    return found.definition


def section_problems(
    definition: Definition, answers: dict[str, Any], section: int
) -> InvalidAnswers | None:
    """The problems with the answers to one section (later sections are not asked yet)."""
    try:
        validate_answers(definition, answers)
    except InvalidAnswers as refused:
        return problems_in(definition, refused, section)
    return None


def problems_in(
    definition: Definition, refused: InvalidAnswers, section: int
) -> InvalidAnswers | None:
    """The problems of one section among all of a refused answer set's, if it has any."""
    ids = {question.id for question in definition.sections[section].questions}
    mine = [problem for problem in refused.problems if problem.field in ids]
    return InvalidAnswers(mine) if mine else None


async def save_draft(
    db: AsyncSession, token: str, found: Respondent, answers: dict[str, Any], section: int
) -> None:
    """Keep what is answered so far, sealed with the token, under the link."""
    assert found.version is not None
    plain = msgspec.json.encode(
        {"version_id": found.version.id, "section": section, "answers": answers}
    )
    values = {"link_id": found.link_id, "sealed": seal(token, plain)}
    upsert = upsert_for(db.get_bind().dialect.name)
    stmt = upsert(SurveyDraft).values(**values)
    await db.execute(
        stmt.on_conflict_do_update(
            index_elements=[SurveyDraft.link_id], set_={"sealed": stmt.excluded.sealed}
        )
    )


def oslo_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(OSLO).date()


def submission_of(found: Respondent, answers: dict[str, Any]) -> Submission:
    """The answers validated and ready to store; InvalidAnswers names every problem."""
    definition = require_open(found)
    assert found.version is not None
    answer_set = validate_answers(definition, answers)
    return Submission(
        survey_id=found.survey.id,
        recipient_id=found.recipient_id,
        version_id=found.version.id,
        municipality_id=found.municipality_id,
        answers=msgspec.json.encode(answer_set.answers).decode(),
        day=oslo_today(),
    )


async def submit(db: AsyncSession, found: Respondent, answers: dict[str, Any]) -> None:
    """Store the answer once, in the caller's transaction. InvalidAnswers names every
    problem; AlreadyAnswered if this recipient's mark is there (also when a racing submit
    wrote it a moment ago)."""
    (stored,) = await store_submissions(db, [submission_of(found, answers)])
    if not stored:
        raise AlreadyAnswered()
