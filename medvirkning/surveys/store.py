"""The few writes every survey capability shares: a survey with its first version, publishing
a version, and keeping one validated answer set anonymously."""

from __future__ import annotations

import secrets
from datetime import date

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.choices import WrittenForm
from medvirkning.db import utcnow
from medvirkning.surveys.models import Survey, SurveyAnswer, SurveyVersion
from surveys.answers import validate_answers
from surveys.definition import Survey as Definition
from surveys.definition import check_definition, parse_definition


async def create_survey(
    db: AsyncSession, definition: Definition, *, created_by_id: int | None = None
) -> Survey:
    """A survey with its definition as an unpublished first version."""
    check_definition(definition)
    survey = Survey(
        title=definition.title,
        language_form=WrittenForm(definition.language.value),
        threshold=definition.threshold,
        created_by_id=created_by_id,
    )
    db.add(survey)
    await db.flush()
    db.add(
        SurveyVersion(
            survey_id=survey.id, number=1, definition=msgspec.json.encode(definition).decode()
        )
    )
    await db.flush()
    return survey


async def publish(db: AsyncSession, survey_id: int) -> SurveyVersion:
    """Freeze the survey's newest version; answers are given on it from now on."""
    version = await latest_version(db, survey_id)
    if version.published_at is None:
        version.published_at = utcnow()
        await db.flush()
    return version


async def latest_version(db: AsyncSession, survey_id: int) -> SurveyVersion:
    found = await db.scalar(
        select(SurveyVersion)
        .where(SurveyVersion.survey_id == survey_id)
        .order_by(SurveyVersion.number.desc())
        .limit(1)
    )
    if found is None:
        raise LookupError(f"survey {survey_id} has no version")
    return found


def definition_of(version: SurveyVersion) -> Definition:
    return parse_definition(version.definition)


async def keep_answer(
    db: AsyncSession,
    version: SurveyVersion,
    raw: dict[str, object],
    *,
    municipality_id: int | None,
    today: date,
) -> str:
    """Validate (InvalidAnswers lists every problem) and store under a random id; no person,
    token or time of day goes with it. Returns nothing a caller could keep to find it again
    beyond this request."""
    answer_set = validate_answers(definition_of(version), raw)
    answer_id = secrets.token_hex(16)
    db.add(
        SurveyAnswer(
            id=answer_id,
            survey_version_id=version.id,
            municipality_id=municipality_id,
            answered_on=today,
            answers=msgspec.json.encode(answer_set.answers).decode(),
        )
    )
    return answer_id
