"""The record shaped for its page and its exports: one model, so the heat map, the table,
the printable page, Markdown, JSON, DOCX and PDF/A show the same figures."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from medvirkning.anchoring.heatmap import HeatCell, render
from medvirkning.anchoring.record import AnchoringRecord
from medvirkning.anchoring.source import Gap


def cell_href(municipality_id: int | None, phase_id: int) -> str:
    row = "regionen" if municipality_id is None else f"kommune/{municipality_id}"
    return f"/forankring/fase/{phase_id}/{row}"


class FigureRead(msgspec.Struct, frozen=True):
    source: str
    label: str
    value: int


class GapRead(msgspec.Struct, frozen=True):
    rule: str
    risk_factors: list[int]
    municipality: str
    phase: int
    text: str


class CellRead(msgspec.Struct, frozen=True):
    municipality: str
    phase: int
    started: bool
    gaps: int
    figures: list[FigureRead]


class PhaseRead(msgspec.Struct, frozen=True):
    number: int
    name: str
    starts_on: date
    ends_on: date


class RiskFactorRead(msgspec.Struct, frozen=True):
    number: int
    risk: str
    follow_up: str
    evidence: list[FigureRead]
    gaps: list[GapRead]


class RecordRead(msgspec.Struct, frozen=True):
    """The record as exported (JSON) and as the templates read it."""

    title: str
    compiled_at: datetime
    phases: list[PhaseRead]
    targets: dict[str, int]
    cells: list[CellRead]
    gaps: list[GapRead]
    risk_factors: list[RiskFactorRead]


TITLE = "Forankringsdokumentasjon: felles ERP i Kongsbergregionen"


def _gap(record: AnchoringRecord, gap: Gap) -> GapRead:
    return GapRead(
        gap.rule,
        list(gap.risk_factors),
        record.row_name(gap.municipality_id),
        record.phase(gap.phase_id).number,
        gap.text,
    )


def record_read(record: AnchoringRecord) -> RecordRead:
    context = record.context
    cells = []
    for municipality_id, name in record.rows:
        for phase in context.phases:
            figures = [
                FigureRead(source.title, label, value)
                for source, values in record.figures_in(municipality_id, phase.id)
                for label, value in values
            ]
            cells.append(
                CellRead(
                    name,
                    phase.number,
                    phase.started(context.today),
                    len(record.gaps_in(municipality_id, phase.id)),
                    figures,
                )
            )
    return RecordRead(
        title=TITLE,
        compiled_at=context.now,
        phases=[PhaseRead(p.number, p.name, p.starts_on, p.ends_on) for p in context.phases],
        targets=dict(context.targets),
        cells=cells,
        gaps=[_gap(record, g) for g in record.gaps],
        risk_factors=[
            RiskFactorRead(
                f.number,
                f.risk,
                f.follow_up,
                [FigureRead("", label, value) for label, value in f.evidence],
                [_gap(record, g) for g in f.gaps],
            )
            for f in record.risk_factors
        ],
    )


def heatmap_svg(record: AnchoringRecord) -> str:
    context = record.context
    rows = [name for _, name in record.rows]
    cells = []
    for municipality_id, name in record.rows:
        line = []
        for phase in context.phases:
            count = len(record.gaps_in(municipality_id, phase.id))
            begun = phase.started(context.today)
            said = (
                "ikke startet"
                if not begun
                else "ingen mangler"
                if count == 0
                else f"{count} {'mangel' if count == 1 else 'mangler'}"
            )
            line.append(
                HeatCell(
                    count if begun else None,
                    cell_href(municipality_id, phase.id),
                    f"{name}, {phase.label}: {said}",
                )
            )
        cells.append(line)
    columns = [p.label for p in context.phases]
    return render("Mangler per kommune og fase", rows, columns, cells)


def gap_rows(read: RecordRead) -> list[tuple[str, list[CellRead]]]:
    """The cells row by row (a municipality, then the region), in the record's order."""
    rows: dict[str, list[CellRead]] = {}
    for cell in read.cells:
        rows.setdefault(cell.municipality, []).append(cell)
    return list(rows.items())
