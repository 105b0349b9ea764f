"""Belgian civil time, public holidays and the bi-hourly (day/night) tariff periods.

Belgian local time is computed with the EU summer-time rule (CET, UTC+1; CEST, UTC+2 from the
last Sunday of March to the last Sunday of October, switching at 01:00 UTC), so the simulator does
not depend on a time-zone database being installed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Final

CET: Final = timezone(timedelta(hours=1), "CET")
CEST: Final = timezone(timedelta(hours=2), "CEST")

# Bi-hourly contracts: weekdays 07:00-22:00 are day (high) tariff, everything else night (low),
# and weekends and public holidays are night all day. This is the usual scheme; some grid
# operators shift it by an hour.
DAY_START_HOUR: Final = 7
DAY_END_HOUR: Final = 22

# The tariff field "T": the seed says 1 = day (high), 0 = night (low).
TARIFF_DAY: Final = 1
TARIFF_NIGHT: Final = 0


def _last_sunday(year: int, month: int) -> date:
    """Return the last Sunday of a month (March or October here, both 31 days long)."""
    last = date(year, month, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


@lru_cache(maxsize=64)
def _summer_time_bounds(year: int) -> tuple[datetime, datetime]:
    """Return the UTC start and end of summer time for a year."""
    start = datetime.combine(_last_sunday(year, 3), datetime.min.time(), UTC) + timedelta(hours=1)
    end = datetime.combine(_last_sunday(year, 10), datetime.min.time(), UTC) + timedelta(hours=1)
    return start, end


def utc_offset(moment: datetime) -> timezone:
    """Return Belgium's time zone (CET or CEST) at an aware moment."""
    utc = moment.astimezone(UTC)
    start, end = _summer_time_bounds(utc.year)
    return CEST if start <= utc < end else CET


def to_local(moment: datetime) -> datetime:
    """Return an aware moment as Belgian local time (aware, with a fixed CET/CEST offset)."""
    return moment.astimezone(utc_offset(moment))


def from_local(naive: datetime) -> datetime:
    """Return the aware UTC moment of a naive Belgian wall-clock time.

    An ambiguous time (the repeated hour in October) is taken in summer time; a non-existent one
    (the skipped hour in March) is taken in winter time.
    """
    summer = naive.replace(tzinfo=CEST)
    if utc_offset(summer) is CEST:
        return summer.astimezone(UTC)
    return naive.replace(tzinfo=CET).astimezone(UTC)


def easter_sunday(year: int) -> date:
    """Return the date of (Western) Easter Sunday: the anonymous Gregorian algorithm."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """Return Belgium's ten legal public holidays of a year."""
    easter = easter_sunday(year)
    return frozenset(
        {
            date(year, 1, 1),  # New Year
            easter + timedelta(days=1),  # Easter Monday
            date(year, 5, 1),  # Labour Day
            easter + timedelta(days=39),  # Ascension
            easter + timedelta(days=50),  # Whit Monday
            date(year, 7, 21),  # National Day
            date(year, 8, 15),  # Assumption
            date(year, 11, 1),  # All Saints
            date(year, 11, 11),  # Armistice
            date(year, 12, 25),  # Christmas
        }
    )


def is_day_off(day: date) -> bool:
    """Return True on a weekend day or a public holiday."""
    return day.weekday() >= 5 or day in public_holidays(day.year)


def tariff_at(moment: datetime) -> int:
    """Return the tariff code (1 = day, 0 = night) in force at an aware moment."""
    local = to_local(moment)
    if is_day_off(local.date()):
        return TARIFF_NIGHT
    return TARIFF_DAY if DAY_START_HOUR <= local.hour < DAY_END_HOUR else TARIFF_NIGHT
