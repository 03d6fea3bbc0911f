"""Survey reach as evidence: per municipality and phase, the surveys sent or answered and the
answers, and a gap where a closed survey's response rate stayed under its target.

A municipality's count of answers to a survey is shown only at or above the survey's
anonymity threshold, as on the survey's own pages: below it the record says "færre enn N"
and leaves the count out of its sums."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.anchoring.source import Cell, Context, Finding, Gap, Item, PhaseSpan, Target
from medvirkning.surveys.models import Survey, SurveyAnswer, SurveyVersion
from medvirkning.surveys.respondents import SurveyRecipient


@dataclass
class _Reach:
    """One survey in one municipality."""

    title: str
    threshold: int
    target: int  # per cent
    closes_at: datetime | None
    invited: int = 0
    answered: int = 0

    @property
    def shown(self) -> bool:
        return self.answered >= self.threshold

    def below_target(self, now: datetime) -> bool:
        closed = self.closes_at is not None and self.closes_at <= now
        return closed and self.invited > 0 and 100 * self.answered < self.target * self.invited


class SurveySource:
    key = "undersokelser"
    title = "Undersøkelser: svar"
    figures = {"surveys": "undersøkelser", "answers": "svar"}
    risk_factors = (1,)
    targets: tuple[Target, ...] = ()  # each survey carries its own response target

    async def _reach(self, db: AsyncSession, context: Context) -> dict[tuple[Cell, int], _Reach]:
        """Per (cell, survey): invited and answered, in two grouped statements."""
        phase = func.coalesce(Survey.phase_id, context.phase_of_moment(Survey.opens_at))
        described = (
            Survey.id,
            Survey.title,
            Survey.threshold,
            Survey.response_target,
            Survey.closes_at,
            phase.label("phase_id"),
        )
        # Counted per version first, on the answers' own columns: the join and the phase are
        # then worked out once a version, not once an answer.
        counted = (
            select(
                SurveyAnswer.survey_version_id,
                SurveyAnswer.municipality_id,
                func.count().label("answers"),
            )
            .group_by(SurveyAnswer.survey_version_id, SurveyAnswer.municipality_id)
            .subquery()
        )
        answered = (
            select(
                counted.c.municipality_id, *described, cast(func.sum(counted.c.answers), Integer)
            )
            .join(SurveyVersion, SurveyVersion.id == counted.c.survey_version_id)
            .join(Survey, Survey.id == SurveyVersion.survey_id)
            .where(Survey.is_template.is_(False))
            .group_by(counted.c.municipality_id, *described)
        )
        invited = (
            select(SurveyRecipient.municipality_id, *described, func.count())
            .join(Survey, Survey.id == SurveyRecipient.survey_id)
            .where(Survey.is_template.is_(False), SurveyRecipient.open_link_id.is_(None))
            .group_by(SurveyRecipient.municipality_id, *described)
        )
        reach: dict[tuple[Cell, int], _Reach] = {}
        for statement, field in ((answered, "answered"), (invited, "invited")):
            for (
                municipality_id,
                survey_id,
                title,
                threshold,
                target,
                closes,
                phase_id,
                n,
            ) in await db.execute(statement):
                if phase_id is None:
                    continue
                key = ((municipality_id, phase_id), survey_id)
                found = reach.setdefault(key, _Reach(title, threshold, target, closes))
                setattr(found, field, int(n))
        return reach

    async def collect(self, db: AsyncSession, context: Context) -> Finding:
        figures: dict[Cell, dict[str, int]] = defaultdict(lambda: {"surveys": 0, "answers": 0})
        gaps: list[Gap] = []
        for (cell, _), reach in sorted(
            (await self._reach(db, context)).items(), key=lambda item: item[1].title
        ):
            figures[cell]["surveys"] += 1
            figures[cell]["answers"] += reach.answered if reach.shown else 0
            if reach.below_target(context.now):
                text = (
                    f"Undersøkelsen «{reach.title}» fikk svar fra færre enn "
                    f"{reach.target} % av de spurte."
                )
                gaps.append(Gap("survey_response", self.risk_factors, *cell, text, self.key))
        return Finding(dict(figures), gaps)

    async def items(
        self, db: AsyncSession, context: Context, municipality_id: int | None, phase: PhaseSpan
    ) -> list[Item]:
        items = []
        for (cell, _), reach in (await self._reach(db, context)).items():
            if cell != (municipality_id, phase.id):
                continue
            answers = (
                f"{reach.answered} svar" if reach.shown else f"færre enn {reach.threshold} svar"
            )
            asked = f" av {reach.invited} spurte" if reach.invited else ""
            items.append(Item(f"{reach.title} ({answers}{asked})"))
        return sorted(items, key=lambda item: item.text)
