"""When a sensor writes a new value: every message, a time-weighted mean, or a thinned index.

Pure Python, no Home Assistant import. With the option "write power at most every N seconds"
(``power_interval``), Home Assistant's recorder gets far fewer rows for the same information:

- a power (any measurement) publishes the time-weighted mean of each window of N seconds, each
  value weighing for as long as it held, when the first message after the window's end arrives;
- an index publishes at most once per N seconds, and always the meter's own last value, so every
  value written is exact. Near the end of each 5-minute statistics period it writes every change,
  so that the period closes on the same value as with every message: long-term statistics are
  identical whenever the dongle sends at least once per N seconds or once per 30 seconds,
  whichever is shorter (a dongle sending less often than every N seconds has every message
  written anyway).

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
    """An index written at most once per `interval` seconds, and in full near period ends."""

    interval: float
    period: float
    closing: float
    _written_at: float | None = None
    _shown: float | None = None

    def offer(self, now: float, value: float | None) -> float | None:
        """Take a message's value; return the value to show."""
        if value == self._shown:
            return value
        if (
            value is None
            or self._shown is None
            or self._written_at is None
            or now - self._written_at >= self.interval
            or now < self._written_at
            or self.period - now % self.period <= min(self.interval, self.closing)
        ):
            self._shown = value
            self._written_at = now
        return self._shown
