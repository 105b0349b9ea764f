"""The export's intervals: boundaries in local time, stepped safely across clock changes.

Pure: no Home Assistant import. Quarter-hours and hours are fixed lengths of real time, so they are
stepped in UTC (a day when Belgium changes clock has 92 or 100 quarter-hours, 23 or 25 hours).
Days and months follow the local calendar: each boundary is local midnight, whatever its offset.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum


class Resolution(StrEnum):
    """How long one row of the export is."""

    QUARTER_HOUR = "15_minutes"
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


FIXED_STEPS = {Resolution.QUARTER_HOUR: timedelta(minutes=15), Resolution.HOUR: timedelta(hours=1)}


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """Return local midnight of a calendar day, as an aware UTC datetime."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def floor_boundary(moment: datetime, resolution: Resolution, zone: tzinfo) -> datetime:
    """Return the start (UTC) of the interval that contains an aware moment."""
    moment = moment.astimezone(UTC)
    if resolution in FIXED_STEPS:
        # Floor in local wall time so that hours follow the local clock in any time zone,
        # then come back to the exact instant (the local offset is constant within 15 minutes
        # of any Belgian wall time, except in the repeated hour, which stays in its own fold).
        local = moment.astimezone(zone)
        step_minutes = int(FIXED_STEPS[resolution].total_seconds() // 60)
        floored = local.replace(
            minute=local.minute - local.minute % step_minutes, second=0, microsecond=0
        )
        return floored.astimezone(UTC)
    local_day = moment.astimezone(zone).date()
    if resolution is Resolution.MONTH:
        local_day = local_day.replace(day=1)
    return local_midnight(local_day, zone)


def next_boundary(boundary: datetime, resolution: Resolution, zone: tzinfo) -> datetime:
    """Return the start (UTC) of the interval after the one starting at boundary."""
    if resolution in FIXED_STEPS:
        return boundary + FIXED_STEPS[resolution]
    local_day = boundary.astimezone(zone).date()
    if resolution is Resolution.DAY:
        return local_midnight(local_day + timedelta(days=1), zone)
    return local_midnight(_first_of_next_month(local_day), zone)


def ceil_boundary(moment: datetime, resolution: Resolution, zone: tzinfo) -> datetime:
    """Return the first boundary at or after an aware moment."""
    floor = floor_boundary(moment, resolution, zone)
    return floor if floor == moment.astimezone(UTC) else next_boundary(floor, resolution, zone)


def boundaries(
    start: datetime, end: datetime, resolution: Resolution, zone: tzinfo
) -> Iterator[datetime]:
    """Yield the boundaries (UTC) from start to end inclusive; both must be boundaries."""
    boundary = start.astimezone(UTC)
    end = end.astimezone(UTC)
    while boundary <= end:
        yield boundary
        boundary = next_boundary(boundary, resolution, zone)


def last_full_month(now: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """Return the last full calendar month before now, as UTC boundaries of local midnights."""
    first_of_this_month = now.astimezone(zone).date().replace(day=1)
    first_of_last_month = (first_of_this_month - timedelta(days=1)).replace(day=1)
    return local_midnight(first_of_last_month, zone), local_midnight(first_of_this_month, zone)
