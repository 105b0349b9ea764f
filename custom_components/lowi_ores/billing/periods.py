"""Reading periods between two yearly meter readings, bounded at local midnight.

A Belgian bill counts whole days: a period from its reading date to the next one starts at
midnight, local time (Europe/Brussels), of the reading date and ends at midnight of the next
reading date. Every boundary here is such a local midnight, whatever the clock changes do: a
day of the spring change has 23 hours, one of the autumn change 25.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Final
from zoneinfo import ZoneInfo

BRUSSELS: Final = ZoneInfo("Europe/Brussels")


def local_midnight(day: date, tz: tzinfo = BRUSSELS) -> datetime:
    """Return the start of a day in a time zone, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=tz)


def local_date(moment: datetime, tz: tzinfo = BRUSSELS) -> date:
    """Return the local calendar day of an aware moment."""
    return moment.astimezone(tz).date()


def add_years(day: date, years: int) -> date:
    """Return the same calendar day some years later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def hours_between(start: datetime, end: datetime) -> float:
    """Return the real hours between two aware moments (a 23- or 25-hour day counts so)."""
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class ReadingPeriod:
    """The days from one yearly reading (included) to the next (excluded)."""

    start: date
    end: date
    tz: tzinfo = BRUSSELS

    def __post_init__(self) -> None:
        """Refuse a period that does not move forward."""
        if self.end <= self.start:
            msg = f"the next reading {self.end} is not after the reading {self.start}"
            raise ValueError(msg)

    @classmethod
    def from_reading(
        cls, start: date, end: date | None = None, tz: tzinfo = BRUSSELS
    ) -> ReadingPeriod:
        """Return the period from a reading date; the next reading defaults to a year later."""
        return cls(start, end or add_years(start, 1), tz)

    @property
    def start_time(self) -> datetime:
        """Return local midnight of the reading date."""
        return local_midnight(self.start, self.tz)

    @property
    def end_time(self) -> datetime:
        """Return local midnight of the next reading date."""
        return local_midnight(self.end, self.tz)

    @property
    def days(self) -> int:
        """Return the number of calendar days in the period."""
        return (self.end - self.start).days

    def contains(self, moment: datetime) -> bool:
        """Return True when a moment falls inside the period."""
        return self.start_time <= moment < self.end_time

    def days_elapsed(self, moment: datetime) -> float:
        """Return the days gone by at a moment: whole days plus the fraction of today."""
        if moment <= self.start_time:
            return 0.0
        if moment >= self.end_time:
            return float(self.days)
        today = local_date(moment, self.tz)
        day_start = local_midnight(today, self.tz)
        day_end = local_midnight(today + timedelta(days=1), self.tz)
        fraction = hours_between(day_start, moment) / hours_between(day_start, day_end)
        return (today - self.start).days + fraction

    def days_left(self, moment: datetime) -> int:
        """Return the calendar days left until the next reading, today included."""
        if moment >= self.end_time:
            return 0
        return (self.end - max(local_date(moment, self.tz), self.start)).days

    def following(self) -> ReadingPeriod:
        """Return the next period: from the next reading, one year long."""
        return ReadingPeriod(self.end, add_years(self.end, 1), self.tz)

    def periods_until(self, moment: datetime) -> list[ReadingPeriod]:
        """Return this period and the ones that follow it, up to the one holding a moment."""
        periods = [self]
        while moment >= periods[-1].end_time:
            periods.append(periods[-1].following())
        return periods
