"""The few writes every survey capability shares: a survey with its first version and
publishing a version. Answers are stored in one place only, `submitting.py`, which mixes
them with the rest."""

from __future__ import annotations

from functools import lru_cache

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.choices import WrittenForm
from medvirkning.db import utcnow
from medvirkning.surveys.models import Survey, SurveyVersion
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
    """The version's definition, parsed once for each text (shared: read it, never change
    it). Every submit needs its survey's, and a definition is parsed and checked whole."""
    return _parsed(version.definition)


@lru_cache(maxsize=256)
def _parsed(definition: str) -> Definition:
    return parse_definition(definition)
