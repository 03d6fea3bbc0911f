"""The anchoring record: every evidence source compiled against the same phases,
municipalities and targets; per cell the figures and gaps, per risk factor the evidence
and the gaps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.anchoring.consultation_source import ConsultationSource
from medvirkning.anchoring.models import AnchoringTarget
from medvirkning.anchoring.register_sources import DecisionSource, LearningSource
from medvirkning.anchoring.source import Context, Finding, Gap, Item, PhaseSpan, Source, Target
from medvirkning.anchoring.sources import GroupSource, InputSource, MeetingSource
from medvirkning.anchoring.survey_source import SurveySource
from medvirkning.db import utcnow
from medvirkning.errors import NotFound
from medvirkning.formats import OSLO
from medvirkning.plan.models import Phase, RiskFactor
from medvirkning.region.models import Municipality
from medvirkning.settings import Settings

# Every capability that gives evidence.
SOURCES: tuple[Source, ...] = (
    GroupSource(),
    MeetingSource(),
    SurveySource(),
    ConsultationSource(),
    InputSource(),
    DecisionSource(),
    LearningSource(),
)
REGION = "Hele regionen"


def all_targets() -> list[Target]:
    return [target for source in SOURCES for target in source.targets]


async def load_context(
    db: AsyncSession, now: datetime | None = None, notice_days: int = 5
) -> Context:
    now = now or utcnow()
    phases = await db.scalars(select(Phase).where(Phase.active.is_(True)).order_by(Phase.number))
    municipalities = await db.execute(
        select(Municipality.id, Municipality.name)
        .where(Municipality.active.is_(True))
        .order_by(Municipality.name)
    )
    set_values = dict((await db.execute(select(AnchoringTarget.code, AnchoringTarget.value))).all())
    return Context(
        today=now.astimezone(OSLO).date(),
        now=now,
        phases=tuple(PhaseSpan(p.id, p.number, p.name, p.starts_on, p.ends_on) for p in phases),
        municipalities=dict(municipalities.all()),
        targets={t.code: set_values.get(t.code, t.default) for t in all_targets()},
        notice_days=notice_days,
    )


@dataclass(frozen=True)
class RiskFactorView:
    number: int
    risk: str
    follow_up: str
    evidence: list[tuple[str, int]]  # (what, how many in all)
    gaps: list[Gap]


@dataclass(frozen=True)
class AnchoringRecord:
    context: Context
    findings: dict[str, Finding]
    risk_factors: list[RiskFactorView]

    @property
    def rows(self) -> list[tuple[int | None, str]]:
        """The municipalities, then the region as a whole."""
        return [*self.context.municipalities.items(), (None, REGION)]

    @property
    def gaps(self) -> list[Gap]:
        return [gap for finding in self.findings.values() for gap in finding.gaps]

    def gaps_in(self, municipality_id: int | None, phase_id: int) -> list[Gap]:
        return [
            g for g in self.gaps if (g.municipality_id, g.phase_id) == (municipality_id, phase_id)
        ]

    def figures_in(
        self, municipality_id: int | None, phase_id: int
    ) -> list[tuple[Source, list[tuple[str, int]]]]:
        shown = []
        for source in SOURCES:
            values = self.findings[source.key].figures.get((municipality_id, phase_id), {})
            if values:
                shown.append(
                    (source, [(label, values.get(k, 0)) for k, label in source.figures.items()])
                )
        return shown

    def row_name(self, municipality_id: int | None) -> str:
        return REGION if municipality_id is None else self.context.municipalities[municipality_id]

    def phase(self, phase_id: int) -> PhaseSpan:
        return next(p for p in self.context.phases if p.id == phase_id)


def _totals(source: Source, finding: Finding) -> list[tuple[str, int]]:
    if finding.totals is not None:
        return [(source.figures[k], v) for k, v in finding.totals.items()]
    sums = dict.fromkeys(source.figures, 0)
    for values in finding.figures.values():
        for key in sums:
            sums[key] += values.get(key, 0)
    return [(source.figures[k], v) for k, v in sums.items()]


async def compile_record(
    db: AsyncSession, settings: Settings, now: datetime | None = None
) -> AnchoringRecord:
    """The whole record, in a fixed number of statements whatever the data's size."""
    context = await load_context(db, now, settings.consultation_notice_days)
    findings = {source.key: await source.collect(db, context) for source in SOURCES}
    factors = await db.scalars(
        select(RiskFactor).where(RiskFactor.active.is_(True)).order_by(RiskFactor.number)
    )
    views = []
    for factor in factors:
        evidence: list[tuple[str, int]] = []
        gaps: list[Gap] = []
        for source in SOURCES:
            if factor.number in source.risk_factors:
                evidence += _totals(source, findings[source.key])
            gaps += [g for g in findings[source.key].gaps if factor.number in g.risk_factors]
        views.append(RiskFactorView(factor.number, factor.risk, factor.follow_up, evidence, gaps))
    return AnchoringRecord(context, findings, views)


async def cell_evidence(
    db: AsyncSession, record: AnchoringRecord, municipality_id: int | None, phase_id: int
) -> list[tuple[Source, list[Item]]]:
    """What lies behind one cell, source by source."""
    if municipality_id is not None and municipality_id not in record.context.municipalities:
        raise NotFound("Fant ikke kommunen.")
    phase = next((p for p in record.context.phases if p.id == phase_id), None)
    if phase is None:
        raise NotFound("Fant ikke fasen.")
    shown: list[tuple[Source, list[Item]]] = []
    for source in SOURCES:
        shown.append((source, await source.items(db, record.context, municipality_id, phase)))
    return shown


def started(record: AnchoringRecord) -> Sequence[PhaseSpan]:
    return record.context.started_phases()


def today(record: AnchoringRecord) -> date:
    return record.context.today
