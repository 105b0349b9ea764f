"""Turn recorded values into export rows, one per interval, in a single streaming pass.

Pure: no Home Assistant import. Two sources feed the same rows:

- recorded states (15-minute rows): every change of the counters and of the import power,
  merged in time order; a counter's value at a boundary is the state in effect at that instant;
- hourly long-term statistics (hour, day and month rows): the state and the running sum of each
  counter at the end of each hour.

Nothing is invented: a value that is not known at a boundary leaves its cells empty, and an
interval whose counters are not known at both ends carries no energy.

15-minute rows also carry the quarter-hour's average import power as the capacity tariff counts
it (:mod:`..billing.quarters`): the import total (day + night) at each boundary interpolated
between the recorded values around it, and estimated where the counters were unavailable.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
import math

from ..billing.quarters import Quarter, QuarterAccumulator


class Counter(StrEnum):
    """The dongle's counters an export reads, in the user's words.

    A channel's index is read as well when asked for: its key is channel_key(number), a plain
    string, so that rows and totals are keyed by str.
    """

    IMPORT_DAY = "import_index_day"
    IMPORT_NIGHT = "import_index_night"
    EXPORT_DAY = "export_index_day"
    EXPORT_NIGHT = "export_index_night"
    GAS = "gas_index"
    WATER = "water_index"


ELECTRICITY_COUNTERS = (
    Counter.IMPORT_DAY,
    Counter.IMPORT_NIGHT,
    Counter.EXPORT_DAY,
    Counter.EXPORT_NIGHT,
)
IMPORT_COUNTERS = (Counter.IMPORT_DAY, Counter.IMPORT_NIGHT)
EXPORT_COUNTERS = (Counter.EXPORT_DAY, Counter.EXPORT_NIGHT)
CHANNEL_KEY_FORMAT = "ch{number}_index_total"


def channel_key(number: int) -> str:
    """Return the key of a channel's index total among an export's counters."""
    return CHANNEL_KEY_FORMAT.format(number=number)


# The import power's key among the recorded states.
IMPORT_POWER = "import_power"
# A fall to less than 90% of the previous value is a counter reset (a replaced meter), as Home
# Assistant's statistics read a total_increasing sensor; a smaller fall is a correction.
RESET_RATIO = 0.9
HOUR_SECONDS = 3600.0


@dataclass(slots=True)
class Row:
    """One interval of the export. None means "not known", never zero."""

    start: datetime
    end: datetime
    indexes: dict[str, float | None]
    usage: dict[str, float | None]
    average_import_power: float | None = None
    peak_import_power: float | None = None
    # The quarter-hour's average import power from the indexes (kW), and whether it is estimated.
    quarter_power: float | None = None
    quarter_estimated: bool | None = None
    # Month rows: the capacity tariff's peak of the month (kW) and when its quarter-hour began.
    month_peak: float | None = None
    month_peak_start: datetime | None = None
    # Still running when the export was made: its values are "so far".
    running: bool = False
    # Net-metering balance since the reading date at the row's end, when asked and known.
    balance: float | None = None
    # The quarter-hour's imported and exported energy from the indexes interpolated at its
    # boundaries (kWh), as the costs ledger counts its slots.
    quarter_imported: float | None = None
    quarter_exported: float | None = None
    # Prices (EUR/MWh spot, EUR/kWh buy and sell) and money (EUR), when a contract prices them.
    spot_price: float | None = None
    buy_price: float | None = None
    sell_price: float | None = None
    import_cost: float | None = None
    export_revenue: float | None = None

    def _sum(self, counters: Sequence[str]) -> float | None:
        values = [self.usage.get(counter) for counter in counters]
        if any(value is None for value in values):
            return None
        return sum(value for value in values if value is not None)

    @property
    def imported(self) -> float | None:
        """Energy imported during the interval (day + night), when known."""
        return self._sum(IMPORT_COUNTERS)

    @property
    def exported(self) -> float | None:
        """Energy exported during the interval (day + night), when known."""
        return self._sum(EXPORT_COUNTERS)

    @property
    def net(self) -> float | None:
        """Imported minus exported, when both are known."""
        if self.imported is None or self.exported is None:
            return None
        return self.imported - self.exported

    @property
    def start_net_index(self) -> float | None:
        """Import minus export indexes at the start of the interval, when all four are known."""
        values = [self.indexes.get(counter) for counter in ELECTRICITY_COUNTERS]
        if any(value is None for value in values):
            return None
        day_import, night_import, day_export, night_export = (v or 0.0 for v in values)
        return day_import + night_import - day_export - night_export

    @property
    def has_data(self) -> bool:
        """Whether the interval's electricity is known."""
        return self.net is not None


@dataclass(slots=True)
class Totals:
    """The period's totals over the rows that have data."""

    imported: float = 0.0
    exported: float = 0.0
    usage: dict[str, float] = field(default_factory=dict)
    rows: int = 0
    rows_without_data: int = 0
    # Over the rows whose money is known.
    import_cost: float = 0.0
    export_revenue: float = 0.0

    def add(self, row: Row) -> None:
        """Count one row."""
        self.rows += 1
        if not row.has_data:
            self.rows_without_data += 1
        self.imported += row.imported or 0.0
        self.exported += row.exported or 0.0
        self.import_cost += row.import_cost or 0.0
        self.export_revenue += row.export_revenue or 0.0
        for counter, used in row.usage.items():
            if used is not None:
                self.usage[counter] = self.usage.get(counter, 0.0) + used

    @property
    def net(self) -> float:
        """Imported minus exported over the period."""
        return self.imported - self.exported


def parse_number(state: str | None) -> float | None:
    """Return a recorded state as a finite number, or None (unavailable, unknown, garbage)."""
    if state is None:
        return None
    try:
        value = float(state)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class _CounterTrack:
    """A counter followed through its states: value in effect, and what it counted since."""

    __slots__ = ("counted", "last_number", "value")

    def __init__(self) -> None:
        self.value: float | None = None  # in effect now; None while unavailable
        self.last_number: float | None = None  # last numeric value, across unavailability
        self.counted = 0.0

    def update(self, value: float | None) -> None:
        self.value = value
        if value is None:
            return
        previous = self.last_number
        if previous is not None:
            if value < previous * RESET_RATIO:
                self.counted += value  # a new meter counts from zero
            else:
                self.counted += value - previous
        self.last_number = value


class _PowerTrack:
    """Time-weighted average and peak of a power within the current interval."""

    __slots__ = ("area", "covered", "peak", "since", "value")

    def __init__(self) -> None:
        self.value: float | None = None
        self.since = 0.0
        self.area = 0.0
        self.covered = 0.0
        self.peak: float | None = None

    def start(self, timestamp: float) -> None:
        self.since = timestamp
        self.area = self.covered = 0.0
        self.peak = self.value

    def advance(self, timestamp: float) -> None:
        if self.value is not None:
            self.area += self.value * (timestamp - self.since)
            self.covered += timestamp - self.since
        self.since = timestamp

    def update(self, timestamp: float, value: float | None) -> None:
        self.advance(timestamp)
        self.value = value
        if value is not None and (self.peak is None or value > self.peak):
            self.peak = value

    def average(self, length: float) -> float | None:
        # An average over part of the quarter would not be the quarter's average.
        if length <= 0 or self.covered < length - 1e-6:
            return None
        return self.area / length


class _Series:
    """One total (import or export) through its recorded values, closing quarter-hours."""

    __slots__ = ("accumulator", "closed", "first", "gap")

    def __init__(self, first: float) -> None:
        self.first = first  # the first row's start: earlier quarters are not exported
        # Recorded states only change with the value: a long time between two is no gap; an
        # unavailable counter is.
        self.accumulator = QuarterAccumulator(gap_seconds=math.inf)
        self.gap = False
        self.closed: dict[float, Quarter] = {}

    def update(self, timestamp: float, total: float | None) -> None:
        if total is None:
            self.gap = True
            return
        for quarter in self.accumulator.add(timestamp, total, gap=self.gap):
            if quarter.start >= self.first:
                self.closed[quarter.start] = quarter
        self.gap = False

    def passed(self, start: float) -> bool:
        running = self.accumulator.quarter
        return running is not None and start < running


class _QuarterTrack:
    """The import and export totals, closing quarter-hours as rows wait."""

    __slots__ = ("exports", "imports", "rows")

    def __init__(self, first: float) -> None:
        self.imports = _Series(first)
        self.exports = _Series(first)
        self.rows: deque[Row] = deque()

    def ready(self, *, flush: bool = False) -> Iterator[Row]:
        """Yield the waiting rows whose quarter is closed (all of them when flushing)."""
        while self.rows and (
            flush
            or (
                self.imports.passed(start := self.rows[0].start.timestamp())
                and self.exports.passed(start)
            )
        ):
            row = self.rows.popleft()
            start = row.start.timestamp()
            if (quarter := self.imports.closed.pop(start, None)) is not None:
                row.quarter_power = quarter.average_power
                row.quarter_estimated = quarter.estimated
                row.quarter_imported = quarter.energy
            if (exported := self.exports.closed.pop(start, None)) is not None:
                row.quarter_exported = exported.energy
            yield row


def _total(tracks: dict[str, _CounterTrack], counters: Sequence[str]) -> float | None:
    values = [tracks[counter].value for counter in counters if counter in tracks]
    if len(values) < len(counters) or any(value is None for value in values):
        return None
    return sum(value for value in values if value is not None)


def _import_total(tracks: dict[str, _CounterTrack]) -> float | None:
    return _total(tracks, IMPORT_COUNTERS)


def _export_total(tracks: dict[str, _CounterTrack]) -> float | None:
    return _total(tracks, EXPORT_COUNTERS)


def rows_from_states(
    bounds: Iterable[datetime],
    initial: dict[str, float | None],
    changes: Iterable[tuple[float, str, float | None]],
    counters: Sequence[str],
    initial_time: float | None = None,
    *,
    export_initial_time: float | None = None,
) -> Iterator[Row]:
    """Yield one row per interval from recorded states.

    initial: each key's value in effect at the first boundary.
    changes: (timestamp, key, value or None) after the first boundary, in time order; keys are
    counter names and IMPORT_POWER. A change at a boundary's exact instant is in effect there.
    Changes after the last boundary only serve the last quarter-hour's end.
    initial_time: when the import total in effect at the first boundary was recorded (None: not
    known, so the first quarter-hour's start is estimated); export_initial_time the same for
    the export total.
    """
    tracks = {counter: _CounterTrack() for counter in counters}
    power = _PowerTrack()
    for counter, track in tracks.items():
        track.update(initial.get(counter))
    power.value = initial.get(IMPORT_POWER)
    pending = iter(changes)
    upcoming = next(pending, None)
    bound_iter = iter(bounds)
    start = next(bound_iter, None)
    if start is None:
        return
    quarters = (
        _QuarterTrack(start.timestamp())
        if Counter.IMPORT_DAY in tracks and Counter.IMPORT_NIGHT in tracks
        else None
    )
    if quarters is not None:
        for series, moment, total in (
            (quarters.imports, initial_time, _import_total(tracks)),
            (quarters.exports, export_initial_time, _export_total(tracks)),
        ):
            series.update(start.timestamp() if moment is None else moment, total)
            if moment is None:
                series.accumulator.estimated = True
    start_values = {counter: track.value for counter, track in tracks.items()}
    power.start(start.timestamp())
    for end in bound_iter:
        end_ts = end.timestamp()
        for track in tracks.values():
            track.counted = 0.0
        while upcoming is not None and upcoming[0] <= end_ts:
            timestamp, key, value = upcoming
            if key == IMPORT_POWER:
                power.update(timestamp, value)
            elif (counter_track := tracks.get(key)) is not None:
                counter_track.update(value)
                if quarters is not None:
                    _follow(quarters, tracks, key, timestamp)
            upcoming = next(pending, None)
        power.advance(end_ts)
        end_values = {counter: track.value for counter, track in tracks.items()}
        row = Row(
            start=start,
            end=end,
            indexes=start_values,
            usage={
                counter: track.counted
                if start_values[counter] is not None and end_values[counter] is not None
                else None
                for counter, track in tracks.items()
            },
            average_import_power=power.average(end_ts - start.timestamp()),
            peak_import_power=power.peak if power.covered > 0 else None,
        )
        if quarters is None:
            yield row
        else:
            quarters.rows.append(row)
            yield from quarters.ready()
        start, start_values = end, end_values
        power.start(end_ts)
    if quarters is None:
        return
    # The last quarter-hours end with the first values after them.
    while quarters.rows and upcoming is not None:
        timestamp, key, value = upcoming
        if key in ELECTRICITY_COUNTERS and (counter_track := tracks.get(key)) is not None:
            counter_track.update(value)
            _follow(quarters, tracks, key, timestamp)
            yield from quarters.ready()
        upcoming = next(pending, None)
    yield from quarters.ready(flush=True)


def _follow(
    quarters: _QuarterTrack, tracks: dict[str, _CounterTrack], key: str, timestamp: float
) -> None:
    """Feed the total a counter's change moved."""
    if key in IMPORT_COUNTERS:
        quarters.imports.update(timestamp, _import_total(tracks))
    elif key in EXPORT_COUNTERS:
        quarters.exports.update(timestamp, _export_total(tracks))


def _hour_end(boundary: datetime) -> float:
    """Return the end of the statistics hour that a boundary closes (the hour it floors to)."""
    timestamp = boundary.timestamp()
    return timestamp - timestamp % HOUR_SECONDS


def rows_from_statistics(
    bounds: Iterable[datetime],
    hours: Iterable[tuple[float, str, float | None, float | None]],
    counters: Sequence[str],
) -> Iterator[Row]:
    """Yield one row per interval from hourly long-term statistics.

    hours: (hour start timestamp, counter, state, sum) in time order, from the hour that ends at
    the first boundary on. A counter's index at a boundary is the state of the hour that ends
    there, and the energy of an interval is the difference of the sums at both ends: it counts
    resets and gaps exactly as Home Assistant's Energy dashboard does.
    """
    last: dict[str, tuple[float, float | None, float | None]] = {}
    pending = iter(hours)
    upcoming = next(pending, None)

    def at(boundary: datetime) -> dict[str, tuple[float | None, float | None]]:
        nonlocal upcoming
        hour_end = _hour_end(boundary)
        while upcoming is not None and upcoming[0] + HOUR_SECONDS <= hour_end:
            hour_start, key, state, total = upcoming
            if key in counters:
                last[key] = (hour_start + HOUR_SECONDS, state, total)
            upcoming = next(pending, None)
        values: dict[str, tuple[float | None, float | None]] = {}
        for counter in counters:
            known = last.get(counter)
            values[counter] = (
                (known[1], known[2]) if known and known[0] == hour_end else (None, None)
            )
        return values

    bound_iter = iter(bounds)
    start = next(bound_iter, None)
    if start is None:
        return
    start_values = at(start)
    for end in bound_iter:
        end_values = at(end)
        usage: dict[str, float | None] = {}
        for counter in counters:
            begin_sum, end_sum = start_values[counter][1], end_values[counter][1]
            usage[counter] = (
                end_sum - begin_sum if begin_sum is not None and end_sum is not None else None
            )
        yield Row(
            start=start,
            end=end,
            indexes={counter: start_values[counter][0] for counter in counters},
            usage=usage,
        )
        start, start_values = end, end_values
