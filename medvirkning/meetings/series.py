"""A meeting series: its rule (RFC 5545 RRULE), its occurrences in Oslo wall time, and the
rule in words. The occurrences come from the rule itself, as calendars expand it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from dateutil.rrule import rrulestr

from medvirkning.formats import OSLO, date_no

MAX_OCCURRENCES = 110
REPEATS = ("weekly", "biweekly", "monthly_weekday", "monthly_date")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ORDINALS = {
    "bokmal": ("første", "andre", "tredje", "fjerde", "siste"),
    "nynorsk": ("første", "andre", "tredje", "fjerde", "siste"),
}
DAY_NAMES = {
    "bokmal": (
        "mandagen",
        "tirsdagen",
        "onsdagen",
        "torsdagen",
        "fredagen",
        "lørdagen",
        "søndagen",
    ),
    "nynorsk": (
        "måndagen",
        "tysdagen",
        "onsdagen",
        "torsdagen",
        "fredagen",
        "laurdagen",
        "sundagen",
    ),
}


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _frequency(start: datetime, repeat: str) -> str:
    local = start.astimezone(OSLO)
    if repeat == "weekly":
        return "FREQ=WEEKLY;INTERVAL=1"
    if repeat == "biweekly":
        return "FREQ=WEEKLY;INTERVAL=2"
    if repeat == "monthly_date":
        return f"FREQ=MONTHLY;BYMONTHDAY={local.day}"
    # The third Wednesday; a fifth one is "the last", which every month has.
    nth = (local.day - 1) // 7 + 1
    return f"FREQ=MONTHLY;BYDAY={-1 if nth == 5 else nth}{WEEKDAYS[local.weekday()]}"


def occurrences_of(start: datetime, rule: str, limit: int = MAX_OCCURRENCES + 1) -> list[datetime]:
    """The starts the rule gives from `start`, in Oslo wall time: 10:00 stays 10:00 across
    summer time."""
    expanded = rrulestr(rule, dtstart=start.astimezone(OSLO))
    starts = []
    for moment in expanded:
        starts.append(moment)
        if len(starts) >= limit:
            break
    return starts


def plan(
    start: datetime, repeat: str, until: date | None, count: int | None
) -> tuple[str, list[datetime]]:
    """The rule of a series and its starts; with a date, the rule's UNTIL is the last start."""
    frequency = _frequency(start, repeat)
    if count is not None:
        rule = f"{frequency};COUNT={count}"
        return rule, occurrences_of(start, rule)
    assert until is not None
    end_of_day = datetime.combine(until, time(23, 59, 59), OSLO)
    starts = occurrences_of(start, f"{frequency};UNTIL={_utc(end_of_day)}")
    return f"{frequency};UNTIL={_utc(starts[-1])}", starts


def in_words(series_rule: str, first_start: datetime, form: str) -> str:
    """The series in words, for the invitation's text."""
    if not series_rule:
        return ""
    parts = dict(part.split("=", 1) for part in series_rule.split(";"))
    local = first_start.astimezone(OSLO)
    nn = form == "nynorsk"
    if parts["FREQ"] == "WEEKLY":
        weekly = parts.get("INTERVAL", "1") == "1"
        every = (
            ("kvar veke" if weekly else "annakvar veke")
            if nn
            else ("hver uke" if weekly else "annenhver uke")
        )
    elif "BYMONTHDAY" in parts:
        every = f"den {parts['BYMONTHDAY']}. i {'månaden' if nn else 'måneden'}"
    else:
        nth = int(parts["BYDAY"][:-2])
        ordinal = ORDINALS[form][-1 if nth < 0 else nth - 1]
        every = (
            f"den {ordinal} {DAY_NAMES[form][local.weekday()]} i {'månaden' if nn else 'måneden'}"
        )
    if "COUNT" in parts:
        times = f"{parts['COUNT']} {'gonger' if nn else 'ganger'}"
        return (
            f"Møtet blir gjenteke {every}, {times}." if nn else f"Møtet gjentas {every}, {times}."
        )
    last = datetime.strptime(parts["UNTIL"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if nn:
        return f"Møtet blir gjenteke {every} til {date_no(last)}."
    return f"Møtet gjentas {every} til {date_no(last)}."


def shifted(moment: datetime, by: timedelta) -> datetime:
    """The same wall-clock shift on another day: 10:00 → 11:00 stays 11:00 in summer time."""
    local = moment.astimezone(OSLO).replace(tzinfo=None) + by
    return local.replace(tzinfo=OSLO)
