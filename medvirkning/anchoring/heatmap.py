"""The heat map as server-rendered SVG: rows of municipalities, columns of phases, each cell
coloured by its number of gaps and linked to its evidence. A pure core: values in, text out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

LABEL_WIDTH = 150
CELL_WIDTH = 90
CELL_HEIGHT = 34
HEAD_HEIGHT = 30
# Light fills with dark text: contrast holds in every cell (WCAG 1.4.3).
FILLS = {"none": "#d9f2df", "some": "#fff0c2", "many": "#f9d2cc", "later": "#eeeeee"}


@dataclass(frozen=True)
class HeatCell:
    gaps: int | None  # None: the phase has not begun
    href: str
    label: str  # what a screen reader says for the link


def fill(gaps: int | None) -> str:
    if gaps is None:
        return FILLS["later"]
    return FILLS["none"] if gaps == 0 else FILLS["some"] if gaps == 1 else FILLS["many"]


def render(
    title: str, rows: Sequence[str], columns: Sequence[str], cells: Sequence[Sequence[HeatCell]]
) -> str:
    width = LABEL_WIDTH + CELL_WIDTH * len(columns)
    height = HEAD_HEIGHT + CELL_HEIGHT * len(rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="heatmap-title">',
        f'<title id="heatmap-title">{escape(title)}</title>',
    ]
    for c, column in enumerate(columns):
        x = LABEL_WIDTH + c * CELL_WIDTH + CELL_WIDTH / 2
        parts.append(
            f'<text x="{x:g}" y="20" text-anchor="middle" font-size="14" '
            f'font-weight="600" fill="#1e2b3c">{escape(column)}</text>'
        )
    for r, row in enumerate(rows):
        y = HEAD_HEIGHT + r * CELL_HEIGHT
        parts.append(f'<text x="4" y="{y + 22}" font-size="14" fill="#1e2b3c">{escape(row)}</text>')
        for c, cell in enumerate(cells[r]):
            x = LABEL_WIDTH + c * CELL_WIDTH
            shown = "–" if cell.gaps is None else str(cell.gaps)
            parts.append(
                f'<a href="{escape(cell.href)}" aria-label="{escape(cell.label)}">'
                f'<rect x="{x + 2}" y="{y + 2}" width="{CELL_WIDTH - 4}" '
                f'height="{CELL_HEIGHT - 4}" rx="4" fill="{fill(cell.gaps)}" stroke="#68707c"/>'
                f'<text x="{x + CELL_WIDTH / 2:g}" y="{y + 22}" text-anchor="middle" '
                f'font-size="15" fill="#1e2b3c">{shown}</text></a>'
            )
    parts.append("</svg>")
    return "".join(parts)
