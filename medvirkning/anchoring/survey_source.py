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
        answers = self._answers(context).subquery()
        stmt = select(
            answers.c.municipality_id,
            answers.c.phase_id,
            func.count(distinct(answers.c.survey_id)),
            func.count(answers.c.answer_id),
        ).group_by(answers.c.municipality_id, answers.c.phase_id)
        figures: dict[Cell, dict[str, int]] = {}
        for municipality_id, phase_id, surveys, count in await db.execute(stmt):
            if phase_id is not None:
                figures[(municipality_id, phase_id)] = {"surveys": surveys, "answers": count}
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
