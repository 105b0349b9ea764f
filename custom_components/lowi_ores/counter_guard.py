"""Keep glitched meter counters out of Home Assistant's long-term statistics.

Pure Python, no Home Assistant import. The rule, for each counter (index) separately:

* A value is accepted when it is not lower than the last accepted one and has not risen by more
  than is physically possible since then: ``max_rate`` per hour over the elapsed time, doubled,
  plus a fixed ``margin`` for rounding and message timing.
* Anything else (a drop, a fall to zero, an impossible jump) is held back: the counter keeps its
  last accepted value.
* A new level is accepted as a meter replacement once ``confirmations`` messages in a row agree
  with each other by the same rule. A fall to zero never replaces a non-zero counter: that is how
  glitches look.
* The first value ever seen needs the same confirmations, so a glitch at start-up cannot become
  the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
import math
from typing import Any, Final

DEFAULT_CONFIRMATIONS: Final = 3
SAFETY_FACTOR: Final = 2.0


class Verdict(StrEnum):
    """What the guard did with a value."""

    ACCEPTED = "accepted"
    HELD = "held"
    REPLACED = "replaced"


@dataclass(frozen=True, slots=True)
class CounterLimits:
    """Physical limits of one counter, in its unit (kWh or m3) and per hour."""

    max_rate: float
    margin: float

    def allows(self, previous: float, previous_time: float, value: float, time: float) -> bool:
        """Return True when value can follow previous, by the rule above."""
        if value < previous:
            return False
        elapsed_hours = max(time - previous_time, 0.0) / 3600
        return value - previous <= self.max_rate * elapsed_hours * SAFETY_FACTOR + self.margin


@dataclass(slots=True)
class CounterGuard:
    """The state of one counter: its last accepted value and a candidate new level."""

    limits: CounterLimits
    confirmations: int = DEFAULT_CONFIRMATIONS
    value: float | None = None
    time: float | None = None
    _candidates: list[tuple[float, float]] = field(default_factory=list)

    def update(self, value: float, time: float) -> Verdict:
        """Offer a value received at time (seconds, monotonic within a run or epoch)."""
        if (
            self.value is not None
            and self.time is not None
            and self.limits.allows(self.value, self.time, value, time)
        ):
            self._accept(value, time)
            return Verdict.ACCEPTED
        if self._candidates and self.limits.allows(*self._candidates[-1], value, time):
            self._candidates.append((value, time))
        else:
            self._candidates = [(value, time)]
        if len(self._candidates) >= self.confirmations and not (
            value == 0 and self.value  # zero never replaces a non-zero counter
        ):
            self._accept(value, time)
            return Verdict.REPLACED
        return Verdict.HELD

    def _accept(self, value: float, time: float) -> None:
        self.value = value
        self.time = time
        self._candidates = []

    @property
    def holding(self) -> bool:
        """Return True while values are being held back."""
        return bool(self._candidates)

    def as_dict(self) -> dict[str, Any]:
        """Return what must survive a restart."""
        return {"value": self.value, "time": self.time}

    def restore(self, data: Any) -> None:
        """Restore from as_dict() output; ignore anything malformed."""
        if not isinstance(data, dict):
            return
        value, time = data.get("value"), data.get("time")
        if (
            isinstance(value, (int, float))
            and isinstance(time, (int, float))
            and not isinstance(value, bool)
            and not isinstance(time, bool)
            and math.isfinite(value)
            and math.isfinite(time)
            and value >= 0
        ):
            self.value = float(value)
            self.time = float(time)
