"""The evidence sources of the decision register and the lessons log."""

from __future__ import annotations

from sqlalchemy import Integer, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.anchoring.rules import below_target, plural
from medvirkning.anchoring.source import Cell, Context, Finding, Item, PhaseSpan, Target
from medvirkning.anchoring.sources import table
from medvirkning.inputs.models import Decision, DecisionMunicipality, LearningPoint


class DecisionSource:
    key = "vedtak"
    title = "Vedtak"
    figures = {"decisions": "vedtak"}
    risk_factors = (1,)
    targets: tuple[Target, ...] = ()

    async def collect(self, db: AsyncSession, context: Context) -> Finding:
        phase = context.phase_of_day(Decision.decided_on)
        if phase is None:  # no phases: no cell to count in
            return Finding({}, [], {"decisions": 0})
        # Per municipality each decision concerning it; the region's row counts each once.
        per_municipality = (
            select(
                DecisionMunicipality.municipality_id.label("municipality_id"),
                phase.label("phase_id"),
                Decision.id.label("id"),
            )
            .join(DecisionMunicipality, DecisionMunicipality.decision_id == Decision.id)
            .where(Decision.active.is_(True))
        )
        whole_region = select(
            literal(None, Integer).label("municipality_id"),
            phase.label("phase_id"),
            Decision.id.label("id"),
        ).where(Decision.active.is_(True))
        inner = union_all(per_municipality, whole_region).subquery()
        stmt = select(inner.c.municipality_id, inner.c.phase_id, func.count(inner.c.id)).group_by(
            inner.c.municipality_id, inner.c.phase_id
        )
        figures = table((await db.execute(stmt)).all(), ["decisions"])
        totals = {"decisions": sum(v["decisions"] for (m, _), v in figures.items() if m is None)}
        return Finding(figures, [], totals)

    async def items(
        self, db: AsyncSession, context: Context, municipality_id: int | None, phase: PhaseSpan
    ) -> list[Item]:
        stmt = select(Decision).where(
            Decision.active.is_(True), Decision.decided_on.between(phase.starts_on, phase.ends_on)
        )
        if municipality_id is not None:
            concerning = select(DecisionMunicipality.decision_id).where(
                DecisionMunicipality.municipality_id == municipality_id
            )
            stmt = stmt.where(Decision.id.in_(concerning))
        rows = await db.scalars(stmt.order_by(Decision.decided_on, Decision.id))
        return [
            Item(
                f"{d.body.label}: {d.title}",
                d.decided_on,
                f"/admin/decisions/{d.id}",
                " · ".join([*([f"sak {d.case_number}"] if d.case_number else []), _concerns(d)]),
            )
            for d in rows.unique()
        ]


def _concerns(decision: Decision) -> str:
    if decision.concerns_all:
        return "gjelder alle åtte kommuner"
    return f"gjelder {decision.concerns}"


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
