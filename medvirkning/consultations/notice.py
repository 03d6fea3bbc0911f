"""Notice for a consultation: working days between documents sent and the meeting.

Counted on Oslo dates from the day after the documents were sent up to and including the
meeting day. A working day is Monday to Friday and not a Norwegian public holiday as the
`holidays` package knows them (Maundy Thursday, Good Friday, Easter Monday, 1 May, 17 May,
Ascension Day, Whit Monday, 1 January, 25 and 26 December). Christmas Eve and New Year's Eve
are not public holidays and count as working days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def working_days(sent: datetime, meeting: datetime) -> int:
    """Working days after the day `sent` up to and including the day of `meeting` (0 when the
    meeting is on the day the documents were sent, or before it)."""
    first = _oslo_date(sent, "sent") + timedelta(days=1)
    last = _oslo_date(meeting, "meeting")
    return sum(is_working_day(first + timedelta(days=n)) for n in range((last - first).days + 1))


def short_notice(sent: datetime, meeting: datetime, least_days: int) -> bool:
    """Whether the meeting came with fewer working days' notice than the setting asks."""
    if least_days < 0:
        raise ValueError(f"least_days must not be negative, got {least_days}")
    return working_days(sent, meeting) < least_days


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _public_holidays(day.year)


@cache
def _public_holidays(year: int) -> frozenset[date]:
    # Imported here: its country tables cost the serving process 3 MiB until a
    # consultation is counted. Weekends are counted apart (older releases listed Sundays).
    import holidays

    return frozenset(holidays.Norway(years=year, include_sundays=False))


def _oslo_date(moment: datetime, name: str) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime for {name} {moment!r}: notice needs aware times")
    # 23:30 UTC is already the next day in Oslo, and that day is the one people see.
    return moment.astimezone(OSLO).date()
