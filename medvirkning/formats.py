"""Dates and times as Norwegians write them: 08.02.2026, 13:00, Europe/Oslo."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def date_no(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(OSLO).date()
    return value.strftime("%d.%m.%Y")


def time_no(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(OSLO).strftime("%H:%M")


def datetime_no(value: datetime | None) -> str:
    return "" if value is None else f"{date_no(value)} kl. {time_no(value)}"


def number_no(value: int) -> str:
    """12 345: a no-break space between thousands, as Norwegians write numbers."""
    return f"{value:,}".replace(",", "\u00a0")
