"""The evidence-source interface: each capability (groups, meetings, input, decisions,
learning points, surveys, consultations) gives the anchoring record its figures per
municipality and phase, its gaps, and the evidence behind one cell.

A new capability plugs in by writing one `Source` and listing it in `sources.SOURCES`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, case
from sqlalchemy.ext.asyncio import AsyncSession

from medvirkning.formats import OSLO

# A cell of the record: (municipality id, or None for the region as a whole; phase id).
Cell = tuple[int | None, int]


@dataclass(frozen=True)
class Target:
    """A figure a gap rule measures against; an admin sets it (`AnchoringTarget`)."""

    code: str
    label: str  # Norwegian, as the targets page names it
    default: int
    unit: str


@dataclass(frozen=True)
class PhaseSpan:
    id: int
    number: int
    name: str
    starts_on: date
    ends_on: date

    @property
    def label(self) -> str:
        return f"Fase {self.number}"

    def started(self, today: date) -> bool:
        return self.starts_on <= today

    def first_moment(self) -> datetime:
        return datetime.combine(self.starts_on, time(), OSLO)

    def after_last_moment(self) -> datetime:
        return datetime.combine(self.ends_on + timedelta(days=1), time(), OSLO)


@dataclass(frozen=True)
class Context:
    """What every source is compiled against: today, the phases, the municipalities (by id,
    with their names) and the targets in force."""

    today: date
    now: datetime
    phases: tuple[PhaseSpan, ...]
    municipalities: Mapping[int, str]
    targets: Mapping[str, int]
    # The least working days between documents and a consultation (a service setting).
    notice_days: int = 5

    def started_phases(self) -> list[PhaseSpan]:
        return [p for p in self.phases if p.started(self.today)]

    def phase_of_day(self, day: Any) -> Any:
        """A SQL expression: the phase a date column falls in (None outside every phase)."""
        whens = [(and_(day >= p.starts_on, day <= p.ends_on), p.id) for p in self.phases]
        return case(*whens, else_=None) if whens else None

    def phase_of_moment(self, moment: Any) -> Any:
        """A SQL expression: the phase a UTC time column falls in, by Oslo dates."""
        whens = [
            (and_(moment >= p.first_moment(), moment < p.after_last_moment()), p.id)
            for p in self.phases
        ]
        return case(*whens, else_=None) if whens else None


@dataclass(frozen=True)
class Gap:
    rule: str  # the target's code
    risk_factors: tuple[int, ...]  # numbers of the mandate's critical success factors
    municipality_id: int | None
    phase_id: int
    text: str  # Norwegian, one sentence
    source: str  # the source's key, so the cell page can point at its evidence


@dataclass
class Finding:
    """A source's part of the record: its figures per cell and the gaps its rules found."""

    figures: dict[Cell, dict[str, int]] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    # The figures in all, where adding up the cells would count a thing twice.
    totals: dict[str, int] | None = None


@dataclass(frozen=True)
class Item:
    """One piece of evidence behind a cell, as the cell page lists it."""

    text: str
    on: date | None = None
    href: str = ""
    note: str = ""


class Source(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def title(self) -> str:
        """The Norwegian heading."""
        ...

    @property
    def figures(self) -> Mapping[str, str]:
        """Figure key -> Norwegian label, in the order shown."""
        ...

    @property
    def risk_factors(self) -> tuple[int, ...]: ...

    @property
    def targets(self) -> Sequence[Target]: ...

    async def collect(self, db: AsyncSession, context: Context) -> Finding:
        """Figures for every cell, in a fixed number of grouped queries, and the gaps."""
        ...

    async def items(
        self, db: AsyncSession, context: Context, municipality_id: int | None, phase: PhaseSpan
    ) -> list[Item]:
        """The evidence behind one cell."""
        ...
