"""Reading surveys for the builder and the results. Every read goes through `readable_by`:
the project staff build them, the steering group reads their results, no one else sees one."""

from __future__ import annotations

import msgspec
from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.auth.access import Principal
from medvirkning.auth.models import Role
from medvirkning.errors import NotFound
from medvirkning.surveys.models import Survey, SurveyAnswer, SurveyVersion
from surveys.definition import Survey as Definition


def readable_by(user: Principal) -> ColumnElement[bool]:
    """Admins and the steering group read every survey; members and union reps none."""
    return true() if user.has(Role.ADMIN, Role.STEERING) else false()


async def get_survey(db: AsyncSession, user: Principal, survey_id: int) -> Survey:
    survey = await db.scalar(select(Survey).where(readable_by(user), Survey.id == survey_id))
    if survey is None:
        raise NotFound(f"Fant ikke undersøkelsen med id {survey_id}.")
    return survey


async def load_survey(db: AsyncSession, survey_id: int) -> Survey:
    """A survey for the service itself (a change the route's rule already allowed)."""
    survey = await db.get(Survey, survey_id)
    if survey is None:
        raise NotFound(f"Fant ikke undersøkelsen med id {survey_id}.")
    return survey


async def list_surveys(db: AsyncSession, user: Principal) -> list[Survey]:
    """Surveys newest first, templates last."""
    return list(
        await db.scalars(
            select(Survey)
            .where(readable_by(user))
            .order_by(Survey.is_template, Survey.created_at.desc(), Survey.id.desc())
            .limit(500)
        )
    )


async def versions_of(db: AsyncSession, survey_ids: list[int]) -> dict[int, list[SurveyVersion]]:
    """Each survey's versions, oldest first."""
    found: dict[int, list[SurveyVersion]] = {survey_id: [] for survey_id in survey_ids}
    rows = await db.scalars(
        select(SurveyVersion)
        .where(SurveyVersion.survey_id.in_(survey_ids))
        .order_by(SurveyVersion.survey_id, SurveyVersion.number)
    )
    for version in rows:
        found[version.survey_id].append(version)
    return found


async def answer_counts(db: AsyncSession, version_ids: list[int]) -> dict[int, int]:
    rows = await db.execute(
        select(SurveyAnswer.survey_version_id, func.count())
        .where(SurveyAnswer.survey_version_id.in_(version_ids))
        .group_by(SurveyAnswer.survey_version_id)
    )
    return {row[0]: row[1] for row in rows}


async def published_version(
    db: AsyncSession, survey_id: int, number: int | None = None
) -> SurveyVersion | None:
    """The version answers are given on now (the newest published), or the one asked for."""
    stmt = select(SurveyVersion).where(
        SurveyVersion.survey_id == survey_id, SurveyVersion.published_at.is_not(None)
    )
    if number is not None:
        stmt = stmt.where(SurveyVersion.number == number)
    return await db.scalar(stmt.order_by(SurveyVersion.number.desc()).limit(1))


def draft_of(version: SurveyVersion) -> Definition:
    """A version's definition as stored, without the checks a published one has passed: a
    draft may still have a section with no questions."""
    return msgspec.json.decode(version.definition, type=Definition)
