"""Which groups' figures may be shown: the threshold rule with a second hidden cell.

A group below the threshold is hidden. Since the total is shown, one hidden group alone
could be worked out as the total minus the others, so more groups are hidden, smallest
first, until the hidden groups together hold at least the threshold.
"""

from __future__ import annotations

from collections.abc import Mapping

from surveys.definition import MINIMUM_THRESHOLD


def hidden_groups(counts: Mapping[str, int], threshold: int) -> frozenset[str]:
    """The groups whose figures must not be shown, given each group's number of answers."""
    if threshold < MINIMUM_THRESHOLD:
        raise ValueError(f"an anonymity threshold below {MINIMUM_THRESHOLD}: {threshold}")
    if any(count < 0 for count in counts.values()):
        raise ValueError("a negative number of answers")
    if not total_shown(sum(counts.values()), threshold):
        return frozenset(counts)
    hidden = {group for group, count in counts.items() if count < threshold}
    # Smallest first, then by name, so the same figures always hide the same groups.
    shown = sorted(set(counts) - hidden, key=lambda group: (counts[group], group))
    # Total minus the shown groups is the hidden groups' sum: it must be a group big enough
    # to show, and a zero counts too (it would tell that nobody there answered).
    while hidden and shown and sum(counts[group] for group in hidden) < threshold:
        hidden.add(shown.pop(0))
    return frozenset(hidden)


def total_shown(total: int, threshold: int) -> bool:
    """The whole survey (or question) is a group too: below the threshold, nothing is shown."""
    return total >= threshold
