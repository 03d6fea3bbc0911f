"""A meeting series: its occurrences in Oslo wall time, its rule, and the rule in words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from medvirkning.formats import OSLO, date_no

MAX_OCCURRENCES = 110


def occurrences(start: datetime, every_weeks: int | None, until: date | None) -> list[datetime]:
    """The starts of a series in Oslo wall time: 10:00 stays 10:00 across summer time."""
    if not every_weeks or until is None:
        return [start]
    local, starts = start.astimezone(OSLO), list[datetime]()
    while local.date() <= until and len(starts) <= MAX_OCCURRENCES:
        starts.append(local)
        local = (local.replace(tzinfo=None) + timedelta(weeks=every_weeks)).replace(tzinfo=OSLO)
    return starts


def rule(every_weeks: int, last_start: datetime) -> str:
    until = last_start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"FREQ=WEEKLY;INTERVAL={every_weeks};UNTIL={until}"


def in_words(series_rule: str, form: str) -> str:
    """The series in words, for the invitation's text."""
    if not series_rule:
        return ""
    parts = dict(part.split("=", 1) for part in series_rule.split(";"))
    last = datetime.strptime(parts["UNTIL"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    weekly = parts["INTERVAL"] == "1"
    if form == "nynorsk":
        return (
            f"Møtet blir gjenteke {'kvar veke' if weekly else 'annakvar veke'} til {date_no(last)}."
        )
    return f"Møtet gjentas {'hver uke' if weekly else 'annenhver uke'} til {date_no(last)}."
