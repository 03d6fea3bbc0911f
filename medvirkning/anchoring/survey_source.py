"""Survey reach as evidence: answers per municipality and phase.

The response-rate rule (a survey below its `response_target`) needs the number invited per
municipality, which the survey distribution brings; until then this source gives figures
and no gaps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.anchoring.source import Cell, Context, Finding, Item, PhaseSpan, Target
from medvirkning.surveys.models import Survey, SurveyAnswer, SurveyVersion


class SurveySource:
    key = "undersokelser"
    title = "Undersøkelser: svar"
    figures = {"surveys": "undersøkelser med svar", "answers": "svar"}
    risk_factors = (1,)
    targets: tuple[Target, ...] = ()

    def _answers(self, context: Context) -> Any:
        phase = func.coalesce(Survey.phase_id, context.phase_of_moment(Survey.opens_at))
        return (
            select(
                SurveyAnswer.municipality_id.label("municipality_id"),
                phase.label("phase_id"),
                Survey.id.label("survey_id"),
                Survey.title.label("title"),
                SurveyAnswer.id.label("answer_id"),
            )
            .join(SurveyVersion, SurveyVersion.id == SurveyAnswer.survey_version_id)
            .join(Survey, Survey.id == SurveyVersion.survey_id)
            .where(Survey.is_template.is_(False))
        )

    async def collect(self, db: AsyncSession, context: Context) -> Finding:
        # Counted per version and municipality first: the phase is worked out per survey.
        counted = (
            select(
                SurveyAnswer.survey_version_id.label("version_id"),
                SurveyAnswer.municipality_id.label("municipality_id"),
                func.count().label("answers"),
            )
            .group_by(SurveyAnswer.survey_version_id, SurveyAnswer.municipality_id)
            .subquery()
        )
        phase = func.coalesce(Survey.phase_id, context.phase_of_moment(Survey.opens_at))
        placed = (
            select(
                counted.c.municipality_id,
                phase.label("phase_id"),
                Survey.id.label("survey_id"),
                counted.c.answers,
            )
            .join(SurveyVersion, SurveyVersion.id == counted.c.version_id)
            .join(Survey, Survey.id == SurveyVersion.survey_id)
            .where(Survey.is_template.is_(False))
            .subquery()
        )
        stmt = select(
            placed.c.municipality_id,
            placed.c.phase_id,
            func.count(distinct(placed.c.survey_id)),
            func.sum(placed.c.answers),
        ).group_by(placed.c.municipality_id, placed.c.phase_id)
        figures: dict[Cell, dict[str, int]] = {}
        for municipality_id, phase_id, surveys, count in await db.execute(stmt):
            if phase_id is not None:
                figures[(municipality_id, phase_id)] = {
                    "surveys": int(surveys),
                    "answers": int(count),
                }
        return Finding(figures, [])

    async def items(
        self, db: AsyncSession, context: Context, municipality_id: int | None, phase: PhaseSpan
    ) -> list[Item]:
        answers = self._answers(context).subquery()
        where = (
            answers.c.municipality_id.is_(None)
            if municipality_id is None
            else answers.c.municipality_id == municipality_id
        )
        stmt = (
            select(answers.c.title, func.count(answers.c.answer_id))
            .where(where, answers.c.phase_id == phase.id)
            .group_by(answers.c.survey_id, answers.c.title)
            .order_by(answers.c.title)
        )
        return [Item(title, note=f"{count} svar") for title, count in await db.execute(stmt)]
