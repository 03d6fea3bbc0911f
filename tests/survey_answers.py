"""Answers put straight into the answer table, for tests of what reads them (results,
exports, versions). The service stores answers only through `surveys/submitting.py`."""

from __future__ import annotations

import secrets
from datetime import date

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.surveys.models import SurveyAnswer, SurveyVersion
from medvirkning.surveys.store import definition_of
from surveys.answers import validate_answers


async def keep_answer(
    db: AsyncSession,
    version: SurveyVersion,
    raw: dict[str, object],
    *,
    municipality_id: int | None,
    today: date,
) -> str:
    """Validate (InvalidAnswers lists every problem) and store under a random id."""
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
