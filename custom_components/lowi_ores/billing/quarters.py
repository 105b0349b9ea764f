"""Fixed clock quarter-hours and the energy a meter index counts in each of them.

Pure Python, no Home Assistant import. Used by the Flemish capacity tariff (the average import
power of each quarter-hour) and by anything else billed per quarter-hour slot.

Quarter-hours start at :00, :15, :30 and :45 on the local clock of Europe/Brussels. Belgian
offsets from UTC are whole hours (+1 in winter, +2 in summer), so those local boundaries are the
multiples of 900 seconds of Unix time: a quarter is stepped in real time and a local day has 92
quarters on the spring clock change, 100 on the autumn one and 96 otherwise.

A dongle publishes its indexes every few seconds or once a minute, never exactly on a boundary.
The index at a boundary is interpolated linearly between the last message before it and the first
after it: between two messages, the energy they differ by is spread over the time between them.
The energy of a quarter is its end index minus its start index, so the quarters of any window add
up to the index difference over it: nothing is created or lost, not across a gap either.

A gap (no message for longer than ``gap_seconds``) that carried energy makes the quarters it
touches *estimated*: their energy is right in total, its place in time is a guess. So is the
quarter in which the data starts (its beginning is unknown) and any quarter in which the index
fell or jumped by more than is physically possible (a new meter, a firmware glitch): that step
is not counted as energy at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
import math
from typing import Any, Final
from zoneinfo import ZoneInfo

QUARTER_SECONDS: Final = 900
QUARTERS_PER_HOUR: Final = 4
BRUSSELS: Final = ZoneInfo("Europe/Brussels")
# More than two missed messages at the LoWi3's default rate of one a minute.
DEFAULT_GAP_SECONDS: Final = 150.0
# Twice the largest Belgian home connection (3 x 400 V x 63 A is about 44 kVA, 60 kW with room):
# an index rising faster than this is not energy but a glitch or a new meter.
DEFAULT_MAX_POWER_KW: Final = 120.0
# Above the slope limit, a step this small is still accepted (rounding, messages close together).
JUMP_MARGIN_KWH: Final = 0.1


def quarter_floor(timestamp: float) -> float:
    """Return the start (Unix seconds) of the quarter-hour that contains a moment."""
    return timestamp - timestamp % QUARTER_SECONDS


def quarter_start(moment: datetime) -> datetime:
    """Return the start of the quarter-hour that contains an aware moment, in UTC."""
    return datetime.fromtimestamp(quarter_floor(moment.timestamp()), UTC)


def local_midnight(day: date, zone: tzinfo = BRUSSELS) -> datetime:
    """Return local midnight of a calendar day, as an aware UTC datetime."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def quarters_of_day(day: date, zone: tzinfo = BRUSSELS) -> list[datetime]:
    """Return the starts (UTC) of the quarter-hours of a local calendar day."""
    start = local_midnight(day, zone)
    end = local_midnight(day + timedelta(days=1), zone)
    step = timedelta(seconds=QUARTER_SECONDS)
    count = int((end - start) / step)
    return [start + number * step for number in range(count)]


@dataclass(frozen=True, slots=True)
class Quarter:
    """One quarter-hour: when it starts and the energy counted in it (kWh)."""

    start: float  # Unix seconds
    energy: float  # kWh
    estimated: bool = False

    @property
    def end(self) -> float:
        """Return when the quarter ends (Unix seconds, excluded)."""
        return self.start + QUARTER_SECONDS

    @property
    def average_power(self) -> float:
        """Return the quarter's average power, kW: its energy x 4."""
        return self.energy * QUARTERS_PER_HOUR

    def start_time(self, zone: tzinfo = BRUSSELS) -> datetime:
        """Return the quarter's start as an aware datetime in a time zone."""
        return datetime.fromtimestamp(self.start, zone)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def finite_number(value: Any) -> float | None:
    """Return a stored value as a finite float, or None when it is anything else."""
    return float(value) if _finite(value) else None


@dataclass(slots=True)
class QuarterAccumulator:
    """Follows one index through its messages and closes quarter-hours as their end is known.

    Feed it ``(Unix seconds, index in kWh)`` with :meth:`add`; it returns the quarters that the
    message closed (a quarter closes with the first message at or after its end, which its end
    index is interpolated from). :attr:`running` is the quarter of the last message so far.
    """

    gap_seconds: float = DEFAULT_GAP_SECONDS
    max_power: float = DEFAULT_MAX_POWER_KW  # kW
    last_time: float | None = None
    last_index: float | None = None
    quarter: float | None = None  # start of the running quarter
    # The index at the running quarter's start, on the scale of last_index (after a new meter,
    # moved with it, so that last_index - start_index is always the energy so far).
    start_index: float = 0.0
    estimated: bool = False
    # Since when the running quarter's energy is known: its start, or the first message when the
    # data began inside it.
    since: float | None = None

    def add(self, timestamp: float, index: float, *, gap: bool | None = None) -> list[Quarter]:
        """Take one message's index; return the quarters it closes, oldest first.

        gap: whether data is missing since the previous index; None decides by the time between
        them (longer than gap_seconds). Either way a step without energy is no estimate.
        """
        if not (_finite(timestamp) and _finite(index)) or index < 0:
            return []
        if self.last_time is None or self.last_index is None or self.quarter is None:
            self._begin(timestamp, index)
            return []
        if timestamp < self.last_time:
            return []  # older than what is already counted: nothing to learn from it
        elapsed = timestamp - self.last_time
        delta = index - self.last_index
        if delta < 0 or delta > self.max_power * elapsed / 3600 + JUMP_MARGIN_KWH:
            # Not energy: count nothing over the step and carry on from the new level.
            closed = self._spread(
                self.last_time, self.last_index, self.quarter, timestamp, self.last_index, True
            )
            self.start_index += index - self.last_index
            self.last_index = index
            self.estimated = True
            return closed
        missing = elapsed > self.gap_seconds if gap is None else gap
        uncertain = missing and delta > 0
        return self._spread(
            self.last_time, self.last_index, self.quarter, timestamp, index, uncertain
        )

    def _begin(self, timestamp: float, index: float) -> None:
        self.quarter = quarter_floor(timestamp)
        self.start_index = index
        self.last_time, self.last_index = timestamp, index
        # What the quarter counted before its first message is unknown.
        self.estimated = timestamp > self.quarter
        self.since = timestamp

    def _spread(  # noqa: PLR0917 - one step, its two ends
        self,
        first_time: float,
        first_index: float,
        quarter: float,
        timestamp: float,
        index: float,
        uncertain: bool,
    ) -> list[Quarter]:
        """Spread the energy of a step linearly over its time; close the quarters it ends."""
        closed: list[Quarter] = []
        if uncertain:
            self.estimated = True
        while timestamp >= (boundary := quarter + QUARTER_SECONDS):
            # first_time < boundary <= timestamp: the interpolation is defined.
            fraction = (boundary - first_time) / (timestamp - first_time)
            value = first_index + (index - first_index) * fraction
            closed.append(Quarter(quarter, value - self.start_index, self.estimated))
            quarter = boundary
            self.start_index = value
            self.estimated = uncertain and timestamp > boundary
        if closed:
            self.since = quarter
        self.quarter = quarter
        self.last_time, self.last_index = timestamp, index
        return closed

    @property
    def running(self) -> Quarter | None:
        """Return the quarter of the last message, with the energy counted so far."""
        if self.quarter is None or self.last_index is None:
            return None
        return Quarter(self.quarter, self.last_index - self.start_index, self.estimated)

    @property
    def unknown_head(self) -> float:
        """Return the seconds at the start of the running quarter before the data began."""
        if self.quarter is None or self.since is None:
            return 0.0
        return self.since - self.quarter

    def running_at(self, timestamp: float) -> Quarter | None:
        """Return the quarter that contains a moment, with what is counted in it so far.

        A quarter after the last message's has counted nothing yet (its start is not known until
        the next message); a moment before the last message's quarter returns None.
        """
        running = self.running
        if running is None:
            return None
        start = quarter_floor(timestamp)
        if start == running.start:
            return running
        if start > running.start:
            return Quarter(start, 0.0)
        return None

    def as_dict(self) -> dict[str, Any]:
        """Return what must survive a restart."""
        return {
            "last_time": self.last_time,
            "last_index": self.last_index,
            "quarter": self.quarter,
            "start_index": self.start_index,
            "estimated": self.estimated,
            "since": self.since,
        }

    def restore(self, data: Any) -> bool:
        """Restore from :meth:`as_dict` output; ignore anything malformed. Return success."""
        if not isinstance(data, dict):
            return False
        last_time = finite_number(data.get("last_time"))
        last_index = finite_number(data.get("last_index"))
        quarter = finite_number(data.get("quarter"))
        start_index = finite_number(data.get("start_index"))
        if last_time is None or last_index is None or quarter is None or start_index is None:
            return False
        if (
            quarter != quarter_floor(last_time)
            or last_index < 0
            or not -JUMP_MARGIN_KWH <= last_index - start_index <= self.max_power / 4
        ):
            return False
        self.last_time, self.last_index = last_time, last_index
        self.quarter, self.start_index = quarter, start_index
        self.estimated = bool(data.get("estimated", True))
        since = finite_number(data.get("since"))
        self.since = since if since is not None and quarter <= since <= last_time else quarter
        return True


def quarters_from_samples(
    samples: Iterable[tuple[float, float]],
    *,
    gap_seconds: float = DEFAULT_GAP_SECONDS,
    max_power: float = DEFAULT_MAX_POWER_KW,
) -> Iterator[Quarter]:
    """Yield the closed quarters of a series of (Unix seconds, index kWh) in time order."""
    accumulator = QuarterAccumulator(gap_seconds=gap_seconds, max_power=max_power)
    for timestamp, index in samples:
        yield from accumulator.add(timestamp, index)
