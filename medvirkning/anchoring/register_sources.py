"""The evidence sources of the decision register and the lessons log."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.anchoring.rules import below_target, plural
from medvirkning.anchoring.source import Cell, Context, Finding, Item, PhaseSpan, Target
from medvirkning.anchoring.sources import table
from medvirkning.inputs.models import Decision, LearningPoint


class DecisionSource:
    key = "vedtak"
    title = "Vedtak"
    figures = {"decisions": "vedtak"}
    risk_factors = (1,)
    targets: tuple[Target, ...] = ()

    async def collect(self, db: AsyncSession, context: Context) -> Finding:
        inner = (
            select(
                Decision.municipality_id.label("municipality_id"),
                context.phase_of_day(Decision.decided_on).label("phase_id"),
                Decision.id.label("id"),
            )
            .where(Decision.active.is_(True))
            .subquery()
        )
        stmt = select(inner.c.municipality_id, inner.c.phase_id, func.count(inner.c.id)).group_by(
            inner.c.municipality_id, inner.c.phase_id
        )
        figures = table((await db.execute(stmt)).all(), ["decisions"])
        totals = {"decisions": sum(values["decisions"] for values in figures.values())}
        # A decision for the whole region concerns every municipality.
        for (row, phase_id), values in list(figures.items()):
            if row is None:
                for municipality_id in context.municipalities:
                    cell = figures.setdefault((municipality_id, phase_id), {"decisions": 0})
                    cell["decisions"] += values["decisions"]
        return Finding(figures, [], totals)

    async def items(
        self, db: AsyncSession, context: Context, municipality_id: int | None, phase: PhaseSpan
    ) -> list[Item]:
        rows = await db.scalars(
            select(Decision)
            .where(
                Decision.active.is_(True),
                or_(
                    Decision.municipality_id.is_(None), Decision.municipality_id == municipality_id
                ),
                Decision.decided_on.between(phase.starts_on, phase.ends_on),
            )
            .order_by(Decision.decided_on)
        )
        return [
            Item(
                f"{d.body.label}: {d.title}",
                d.decided_on,
                f"/admin/decisions/{d.id}",
                f"sak {d.case_number}" if d.case_number else "",
            )
            for d in rows.unique()
        ]


class LearningSource:
    key = "laering"
    title = "Læringspunkter"
    figures = {"learning_points": "læringspunkter"}
    risk_factors = (5,)
    targets = (
        Target("learning_points", "Minste antall læringspunkter per fase", 1, "læringspunkter"),
    )

    async def collect(self, db: AsyncSession, context: Context) -> Finding:
        stmt = (
            select(LearningPoint.phase_id, func.count(LearningPoint.id))
            .where(LearningPoint.active.is_(True))
            .group_by(LearningPoint.phase_id)
        )
        figures: dict[Cell, dict[str, int]] = {
            (None, phase_id): {"learning_points": n} for phase_id, n in await db.execute(stmt)
        }
        gaps = below_target(
            context,
            figures,
            "learning_points",
            "learning_points",
            [None],
            lambda found, target: (
                "Ingen læringspunkter er registrert i fasen."
                if found == 0
                else f"Bare {plural(found, 'læringspunkt', 'læringspunkter')} (målet er {target})."
            ),
            self.risk_factors,
            self.key,
        )
        return Finding(figures, gaps)

    async def items(
        self, db: AsyncSession, context: Context, municipality_id: int | None, phase: PhaseSpan
    ) -> list[Item]:
        if municipality_id is not None:
            return []
        rows = await db.scalars(
            select(LearningPoint)
            .where(LearningPoint.active.is_(True), LearningPoint.phase_id == phase.id)
            .order_by(LearningPoint.recorded_on, LearningPoint.id)
        )
        return [
            Item(p.what_happened, p.recorded_on, f"/admin/learning-points/{p.id}", p.priority.label)
            for p in rows.unique()
        ]
