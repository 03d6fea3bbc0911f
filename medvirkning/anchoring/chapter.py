"""The learning points as the final report's learning chapter: grouped by phase, then by
risk factor; as Markdown, DOCX, and CSV streamed row by row."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from medvirkning.anchoring.exports import _bytes
from medvirkning.formats import date_no
from medvirkning.inputs.models import LearningPoint
from medvirkning.people.models import Person
from medvirkning.plan.models import Phase, RiskFactor
from medvirkning.transaction import Database

TITLE = "Læringspunkter"
NO_RISK_FACTOR = "Uten risikofaktor"
CSV_HEADER = [
    "Fase",
    "Risikofaktor",
    "Type erfaring",
    "Hva skjedde",
    "Årsak",
    "Virkning",
    "Tidlige varsler",
    "Kjent risiko",
    "Anbefaling",
    "Prioritet",
    "Dato",
    "Registrert av",
]
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class RiskGroup:
    heading: str
    points: list[LearningPoint] = field(default_factory=list)


@dataclass
class PhaseGroup:
    heading: str
    groups: list[RiskGroup] = field(default_factory=list)


def _ordered() -> Select[Any]:
    factor = aliased(RiskFactor)
    return (
        select(LearningPoint)
        .join(Phase, Phase.id == LearningPoint.phase_id)
        .outerjoin(factor, factor.id == LearningPoint.risk_factor_id)
        .where(LearningPoint.active.is_(True))
        .order_by(
            Phase.number,
            factor.number.is_(None),
            factor.number,
            LearningPoint.recorded_on,
            LearningPoint.id,
        )
    )


def _risk_heading(point: LearningPoint) -> str:
    factor = point.risk_factor
    return f"Risikofaktor {factor.number}: {factor.risk}" if factor else NO_RISK_FACTOR


async def chapter(db: AsyncSession) -> list[PhaseGroup]:
    phases: list[PhaseGroup] = []
    for point in (await db.scalars(_ordered())).unique():
        heading = f"Fase {point.phase.number}: {point.phase.name}"
        if not phases or phases[-1].heading != heading:
            phases.append(PhaseGroup(heading))
        risk = _risk_heading(point)
        if not phases[-1].groups or phases[-1].groups[-1].heading != risk:
            phases[-1].groups.append(RiskGroup(risk))
        phases[-1].groups[-1].points.append(point)
    return phases


def chapter_docx(phases: list[PhaseGroup]) -> bytes:
    from docx import Document  # lxml and python-docx: loaded by the first DOCX export

    doc = Document()
    doc.core_properties.title = TITLE
    doc.core_properties.language = "nb-NO"
    doc.add_heading(TITLE, 0)
    if not phases:
        doc.add_paragraph("Ingen læringspunkter er registrert.")
    for phase in phases:
        doc.add_heading(phase.heading, 1)
        for group in phase.groups:
            doc.add_heading(group.heading, 2)
            for point in group.points:
                doc.add_heading(point.what_happened, 3)
                for label, value in _fields(point):
                    if value:
                        paragraph = doc.add_paragraph()
                        paragraph.add_run(f"{label}: ").bold = True
                        paragraph.add_run(value)
    return _bytes(doc)


def _fields(point: LearningPoint) -> list[tuple[str, str]]:
    return [
        ("Type erfaring", point.kind.label),
        ("Årsak", point.cause),
        ("Virkning", point.effect),
        ("Tidlige varsler", point.warning_signs),
        ("Kjent risiko", point.known_risk.label),
        ("Anbefaling", point.recommendation),
        ("Prioritet", point.priority.label),
        ("Registrert", date_no(point.recorded_on)),
    ]


def neutralised(value: Any) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_rows() -> Any:
    factor = aliased(RiskFactor)
    return (
        select(
            Phase.number,
            factor.number,
            LearningPoint.kind,
            LearningPoint.what_happened,
            LearningPoint.cause,
            LearningPoint.effect,
            LearningPoint.warning_signs,
            LearningPoint.known_risk,
            LearningPoint.recommendation,
            LearningPoint.priority,
            LearningPoint.recorded_on,
            Person.name,
        )
        .join(Phase, Phase.id == LearningPoint.phase_id)
        .outerjoin(factor, factor.id == LearningPoint.risk_factor_id)
        .outerjoin(Person, Person.id == LearningPoint.recorded_by_id)
        .where(LearningPoint.active.is_(True))
        .order_by(
            Phase.number,
            factor.number.is_(None),
            factor.number,
            LearningPoint.recorded_on,
            LearningPoint.id,
        )
        .execution_options(yield_per=500)
    )


def _line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerow(values)
    return out.getvalue()


async def chapter_csv(database: Database) -> AsyncIterator[bytes]:
    """The CSV a chunk at a time from a server-side cursor, so memory stays flat however many
    points there are. Semicolons and a BOM, as Norwegian Excel reads it."""
    yield ("\ufeff" + _line(CSV_HEADER)).encode()
    async with database.transaction() as db:
        result = await db.stream(_csv_rows())
        async for rows in result.partitions():
            chunk = []
            for phase, factor, kind, *texts, known, recommendation, priority, on, by in rows:
                values = [
                    f"Fase {phase}",
                    f"{factor}" if factor else NO_RISK_FACTOR,
                    kind.label,
                    *texts,
                    known.label,
                    recommendation,
                    priority.label,
                    date_no(on),
                    by or "",
                ]
                chunk.append(_line([neutralised(v) for v in values]))
            yield "".join(chunk).encode()
