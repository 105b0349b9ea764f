"""When a sensor writes a new value: every message, a time-weighted mean, or a thinned index.

Pure Python, no Home Assistant import. With the option "write power at most every N seconds"
(``power_interval``), Home Assistant's recorder gets far fewer rows for the same information:

- a power (any measurement) publishes the time-weighted mean of each window of N seconds, each
  value weighing for as long as it held, when the first message after the window's end arrives;
- an index publishes at most once per `interval` seconds (the sensor asks for N, one minute at
  least), and always the meter's own last value, so every value written is exact. So that each
  5-minute statistics period closes on the same value as with every message, the index is
  flushed a few seconds before the period ends (its last value, if not shown yet: a timer of the
  entity calls `flush`), and every change in those final seconds is written. Long-term
  statistics are therefore identical whatever the dongle's rhythm.

Each publisher gets the time of a message (seconds) and the value it carried, and returns the
value to show; the entity writes only when that differs from what it last wrote.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class TimeWeightedMean:
    """The mean of a measurement over windows of `interval` seconds, weighted by time."""

    interval: float
    _start: float | None = None
    _last_time: float = 0.0
    _last_value: float = 0.0
    _area: float = 0.0
    _shown: float | None = None

    def reset(self) -> None:
        """Forget the open window (after a silence): the next value is shown as it is."""
        self._start = None

    def offer(self, now: float, value: float | None) -> float | None:
        """Take a message's value; return the value to show."""
        if value is None:
            # A missing value ends the window: unknown is shown at once.
            self._start = None
            self._shown = None
            return None
        if self._start is None or now < self._last_time:
            self._start = self._last_time = now
            self._last_value = value
            self._area = 0.0
            self._shown = value
            return value
        self._area += self._last_value * (now - self._last_time)
        self._last_time = now
        self._last_value = value
        if (length := now - self._start) >= self.interval:
            self._shown = round(self._area / length, 3)
            self._start = now
            self._area = 0.0
        return self._shown


@dataclass(slots=True)
class ThinnedIndex:
    """An index written at most once per `interval` seconds, and exact when a period ends.

    `period` is the statistics period (seconds, aligned on the epoch); `closing` the final
    seconds of each period in which every change is written, and at whose start `flush` shows
    the meter's last value.
    """

    interval: float
    period: float
    closing: float
    _written_at: float | None = None
    _shown: float | None = None
    _latest: float | None = None

    def reset(self) -> None:
        """Forget when the index was last written (after a silence): the next value is shown."""
        self._written_at = None

    def offer(self, now: float, value: float | None) -> float | None:
        """Take a message's value; return the value to show."""
        self._latest = value
        if value == self._shown:
            return value
        if (
            value is None
            or self._shown is None
            or self._written_at is None
            or now - self._written_at >= self.interval
            or now < self._written_at
            or self.period - now % self.period <= self.closing
        ):
            self._shown = value
            self._written_at = now
        return self._shown

    def next_flush(self, now: float) -> float:
        """Return the first start of a period's closing seconds after `now`."""
        flush = (now // self.period + 1) * self.period - self.closing
        return flush if flush > now else flush + self.period

    def flush(self, now: float) -> float | None:
        """At the start of a period's closing seconds: show the meter's last value."""
        if self._latest != self._shown:
            self._shown = self._latest
            self._written_at = now
        return self._shown


type Publisher = TimeWeightedMean | ThinnedIndex
