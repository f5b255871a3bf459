"""Business-day arithmetic for port dates: windows, earliest dates, wished dates.

Business days skip weekends and the country's public holidays as the
`holidays` package lists them (for the US: the federal holidays, with the
weekday a weekend holiday is observed on). Times are read in the provider's
time zone; a naive datetime is taken as UTC.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import holidays

logger = logging.getLogger(__name__)

DEFAULT_TZ = "America/New_York"
DEFAULT_CUTOFF_HOUR = 17
REJECTED_WEEKS = 4


def is_business_day(d: date, country: str = "US") -> bool:
    """Whether providers work on this day: a weekday that is not a holiday."""
    return d.weekday() < 5 and d not in _holidays(country, d.year)


def add_business_days(start: date, n: int, country: str = "US") -> date:
    """The date `n` business days after `start` (before it when `n` is negative)."""
    step = 1 if n >= 0 else -1
    day = start
    for _ in range(abs(n)):
        day += timedelta(days=step)
        while not is_business_day(day, country):
            day += timedelta(days=step)
    return day


def port_window(
    submitted_at: datetime,
    *,
    toll_free: bool,
    tz: str = DEFAULT_TZ,
    cutoff_hour: int = DEFAULT_CUTOFF_HOUR,
    min_days: int = 5,
    max_days: int = 15,
    toll_free_min_days: int = 3,
) -> tuple[date, date]:
    """The first and last day a port is expected, counted in business days."""
    start = _counting_day(submitted_at, tz, cutoff_hour)
    first = toll_free_min_days if toll_free else min_days
    return add_business_days(start, first), add_business_days(start, max_days)


def earliest_port_date(
    now: datetime,
    *,
    tz: str = DEFAULT_TZ,
    cutoff_hour: int = DEFAULT_CUTOFF_HOUR,
    min_business_days: int = 5,
) -> date:
    """The soonest port date a customer can ask for if they submit now."""
    return add_business_days(_counting_day(now, tz, cutoff_hour), min_business_days)


def latest_port_date(
    now: datetime, *, tz: str = DEFAULT_TZ, max_days: int = 30
) -> date:
    """The last business day within `max_days` calendar days of today."""
    day = _local(now, tz).date() + timedelta(days=max_days)
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def bookable_dates(
    now: datetime,
    *,
    tz: str = DEFAULT_TZ,
    cutoff_hour: int = DEFAULT_CUTOFF_HOUR,
    min_business_days: int = 5,
    max_days: int = 30,
) -> tuple[date, date]:
    """The first and last wished port date a customer submitting now can pick."""
    earliest = earliest_port_date(
        now, tz=tz, cutoff_hour=cutoff_hour, min_business_days=min_business_days
    )
    return earliest, latest_port_date(now, tz=tz, max_days=max_days)


def check_requested_date(
    d: date,
    now: datetime,
    *,
    tz: str = DEFAULT_TZ,
    cutoff_hour: int = DEFAULT_CUTOFF_HOUR,
    min_business_days: int = 5,
    max_days: int = 30,
) -> str | None:
    """None when a wished port date works, else a sentence saying what to pick."""
    earliest = earliest_port_date(
        now, tz=tz, cutoff_hour=cutoff_hour, min_business_days=min_business_days
    )
    latest = latest_port_date(now, tz=tz, max_days=max_days)

    if d < _local(now, tz).date():
        return (
            f"{format_date(d)} is already in the past. Please pick a business day "
            f"from {format_date(earliest)} on, or leave it empty for the earliest "
            "date."
        )
    if d < earliest:
        return (
            f"{format_date(d)} is sooner than we can manage: the earliest date "
            f"we can ask for is {format_date(earliest)}."
        )
    if d > latest:
        return (
            f"{format_date(d)} is further out than we can book: please pick a "
            f"date up to {format_date(latest)}."
        )
    if d.weekday() >= 5:
        return (
            f"{d:%B} {d.day}, {d.year} is a {d:%A}, and ports only happen on business "
            f"days. How about {format_date(_next_business_day(d))}?"
        )
    holiday = _holidays("US", d.year).get(d)
    if holiday:
        return (
            f"{format_date(d)} is {holiday}, when ports don't happen. How about "
            f"{format_date(_next_business_day(d))}?"
        )
    return None


def rejected_window_note() -> str:
    """What to expect when the current provider turns the first request down."""
    return (
        f"If the current provider turns down the first request, the move can take "
        f"{REJECTED_WEEKS} weeks or more: we'll tell you what they need and send "
        "it again."
    )


def format_date(d: date) -> str:
    """A date as customers read it, like "Thursday, December 3, 2026"."""
    return f"{d:%A}, {d:%B} {d.day}, {d.year}"


def _counting_day(moment: datetime, tz: str, cutoff_hour: int) -> date:
    """The business day a request made at `moment` is counted from."""
    local = _local(moment, tz)
    day = local.date()
    if local.hour >= cutoff_hour or not is_business_day(day):
        return _next_business_day(day)
    return day


def _next_business_day(d: date) -> date:
    return add_business_days(d, 1)


def _local(moment: datetime, tz: str) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(tz))


@functools.lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> holidays.HolidayBase:
    # One fixed calendar per country and year, so the shared object is never
    # filled in lazily while another thread reads it.
    return holidays.country_holidays(country, years=year, expand=False)
