"""Keep glitched meter counters out of Home Assistant's long-term statistics.

Pure Python, no Home Assistant import. The rule, for each counter (index) separately:

* A value is accepted when it is not lower than the last accepted one and has not risen by more
  than is physically possible since then: ``max_rate`` per hour over the elapsed time, doubled,
  plus a fixed ``margin`` for rounding and message timing.
* Anything else (a drop, a fall to zero, an impossible jump) is held back: the counter keeps its
  last accepted value.
* A new level is confirmed once ``confirmations`` messages in a row agree with each other by the
  same rule. What a confirmed level does depends on where it is:

  - above the accepted value (an impossible jump that stayed): accepted as a new level;
  - below 90% of the accepted value: a meter reset or replacement, accepted as a new level. That
    is what Home Assistant's statistics call a new meter cycle;
  - lower than the accepted value but not below 90% of it: the meter is *behind*. A real meter
    never runs backwards, and Home Assistant would record the small drop as negative energy, so
    the accepted value is kept until the meter passes it again;
  - zero never replaces a non-zero counter: that is how glitches look.

* The first value ever seen needs the same confirmations, so a glitch at start-up cannot become
  the baseline.

So the accepted series only ever rises, except at a reset, which is below 90% of the value
before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import math
from typing import Any, Final, TypeIs

DEFAULT_CONFIRMATIONS: Final = 3
SAFETY_FACTOR: Final = 2.0
# Home Assistant's statistics read a fall of a total_increasing sensor below this share of the
# previous value as a new meter cycle, and a smaller fall as negative energy.
RESET_RATIO: Final = 0.9


class Verdict(StrEnum):
    """What the guard did with a value."""

    ACCEPTED = "accepted"
    HELD = "held"
    REPLACED = "replaced"
    # Confirmed lower than the accepted value, but not a reset: the accepted value is kept.
    BEHIND = "behind"


@dataclass(frozen=True, slots=True)
class CounterLimits:
    """Physical limits of one counter, in its unit (kWh or m3) and per hour."""

    max_rate: float
    margin: float
    # The smallest step the sensor shows (it rounds to 3 decimals of its unit), in this unit.
    resolution: float = 0.0

    def allows(self, previous: float, previous_time: float, value: float, time: float) -> bool:
        """Return True when value can follow previous, by the rule above."""
        if value < previous:
            return False
        elapsed_hours = max(time - previous_time, 0.0) / 3600
        return value - previous <= self.max_rate * elapsed_hours * SAFETY_FACTOR + self.margin


def is_reset(previous: float, value: float, resolution: float = 0.0) -> bool:
    """Return True when a fall from previous to value is a new meter cycle for the statistics.

    With the sensor's rounding (half a resolution either way), the statistics must still see a
    value below 90% of the previous one.
    """
    return value < previous * RESET_RATIO - resolution


def _finite_number(value: Any) -> TypeIs[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(slots=True)
class CounterGuard:
    """The state of one counter: its last accepted value and a candidate new level."""

    limits: CounterLimits
    confirmations: int = DEFAULT_CONFIRMATIONS
    value: float | None = None
    time: float | None = None
    # Since when the meter has been confirmed behind the accepted value, and its last value.
    behind_since: float | None = None
    meter_value: float | None = None
    # The last candidate of a new level and how many agreeing messages led to it.
    _candidate: tuple[float, float] | None = None
    _agreeing: int = 0

    def update(self, value: float, time: float) -> Verdict:
        """Offer a value received at time (seconds, monotonic within a run or epoch)."""
        if self.accept_unmoved(value, time):
            return Verdict.ACCEPTED
        return self._update(value, time)

    def accept_unmoved(self, value: float, time: float) -> bool:
        """Accept the usual message, a counter that has not moved; False for any other value.

        With nothing pending (no candidate, not behind), the rule would accept it too: this is
        its shortcut, for callers that skip their own bookkeeping when it applies.
        """
        if value == self.value and self._candidate is None and self.behind_since is None:
            self.time = time
            return True
        return False

    def _update(self, value: float, time: float) -> Verdict:
        """Apply the rule to a value (the rule in full, for any value)."""
        if (
            self.value is not None
            and self.time is not None
            and self.limits.allows(self.value, self.time, value, time)
        ):
            self._accept(value, time)
            return Verdict.ACCEPTED
        if self._candidate is not None and self.limits.allows(*self._candidate, value, time):
            self._agreeing += 1
        else:
            self._agreeing = 1
        self._candidate = (value, time)
        if self._agreeing < self.confirmations:
            return Verdict.HELD
        if self.value is None or value > self.value:
            self._accept(value, time)
            return Verdict.REPLACED
        if value == 0:  # zero never replaces a non-zero counter
            return Verdict.HELD
        if is_reset(self.value, value, self.limits.resolution):
            self._accept(value, time)
            return Verdict.REPLACED
        # A small, lasting drop: keep the accepted value until the meter passes it again.
        if self.behind_since is None:
            self.behind_since = time
        self.meter_value = value
        return Verdict.BEHIND

    def _accept(self, value: float, time: float) -> None:
        self.value = value
        self.time = time
        self.behind_since = None
        self.meter_value = None
        self._candidate = None
        self._agreeing = 0

    @property
    def holding(self) -> bool:
        """Return True while values are being held back."""
        return self._candidate is not None

    def as_dict(self) -> dict[str, Any]:
        """Return what must survive a restart."""
        return {
            "value": self.value,
            "time": self.time,
            "behind_since": self.behind_since,
            "meter_value": self.meter_value,
        }

    def restore(self, data: Any) -> None:
        """Restore from as_dict() output (older ones included); ignore anything malformed."""
        if not isinstance(data, dict):
            return
        value, time = data.get("value"), data.get("time")
        if not (_finite_number(value) and _finite_number(time) and value >= 0):
            return
        self.value = float(value)
        self.time = float(time)
        behind_since, meter_value = data.get("behind_since"), data.get("meter_value")
        if _finite_number(behind_since) and _finite_number(meter_value) and meter_value >= 0:
            self.behind_since = float(behind_since)
            self.meter_value = float(meter_value)
