"""Gap rules: pure functions from a source's figures and a target to the gaps."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from medvirkning.anchoring.source import Cell, Context, Gap


def below_target(
    context: Context,
    figures: dict[Cell, dict[str, int]],
    figure: str,
    target_code: str,
    rows: Iterable[int | None],
    message: Callable[[int, int], str],
    risk_factors: tuple[int, ...],
    source: str,
) -> list[Gap]:
    """A gap for every row (municipality, or None for the region) and phase begun where the
    figure is under the target; `message(found, target)` says it in Norwegian."""
    target = context.targets[target_code]
    gaps = []
    for phase in context.started_phases():
        for row in rows:
            found = figures.get((row, phase.id), {}).get(figure, 0)
            if found < target:
                gaps.append(
                    Gap(target_code, risk_factors, row, phase.id, message(found, target), source)
                )
    return gaps


def above_zero(
    figures: dict[Cell, dict[str, int]],
    figure: str,
    rule: str,
    message: Callable[[int], str],
    risk_factors: tuple[int, ...],
    source: str,
) -> list[Gap]:
    """A gap for every cell where a figure that should be nil is not (input left lying)."""
    return [
        Gap(rule, risk_factors, cell[0], cell[1], message(values[figure]), source)
        for cell, values in sorted(figures.items(), key=lambda c: (c[0][1], c[0][0] or 0))
        if values.get(figure, 0) > 0
    ]


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"
