"""Work out the scale of the LoWi3's current field "I" from the readings themselves.

Pure Python, no Home Assistant import. The protocol notes disagree by a factor of ten: the seed
says hundredths of an ampere, three owners treat it as milliamperes. Voltage times current must
be at least the real power on the line (the apparent power is never below the real power), and
is rarely more than a few times it. So, with enough load, each reading votes for the scale that
puts U x I nearest the grid power (imported + exported), on a logarithmic scale.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
import math
from typing import Final

# The candidates, as divisors to amperes, and the name of each.
SCALES: Final = {"milliampere": 1000.0, "centiampere": 100.0}
MIN_POWER_W: Final = 300.0  # below this, standby loads and rounding make the ratio meaningless
MIN_VOTES: Final = 10
WINDOW: Final = 60


# On a logarithmic scale, U x I / divisor is nearer the power for the milliampere divisor
# exactly when U x I / power is above the geometric mean of the two divisors.
_MILLI_ABOVE: Final = math.sqrt(SCALES["milliampere"] * SCALES["centiampere"])


@dataclass(slots=True)
class CurrentScaleEstimator:
    """Votes of recent loaded readings for one scale or the other."""

    _votes: deque[str] = field(default_factory=lambda: deque(maxlen=WINDOW))
    # Votes in the window, by scale: kept as they come and go.
    _counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SCALES, 0))
    # The scale most recent votes agree on, or None while unsure: worked out when a reading
    # votes, not when read (it is read for every message).
    scale: str | None = field(default=None, init=False)

    def add(self, voltage: float | None, current_raw: float | None, power: float | None) -> None:
        """Record one reading; readings without enough load are ignored."""
        if not voltage or not current_raw or power is None or power < MIN_POWER_W:
            return
        best = "milliampere" if voltage * current_raw / power >= _MILLI_ABOVE else "centiampere"
        if len(self._votes) == WINDOW:
            self._counts[self._votes[0]] -= 1
        self._votes.append(best)
        self._counts[best] += 1
        self.scale = self._agreed()

    @property
    def votes(self) -> int:
        """Return how many readings voted."""
        return len(self._votes)

    def _agreed(self) -> str | None:
        """Return the scale most recent votes agree on, or None while unsure."""
        if (votes := len(self._votes)) < MIN_VOTES:
            return None
        counts = self._counts
        winner = max(counts, key=counts.__getitem__)
        # A clear majority, or stay unsure.
        return winner if counts[winner] >= 0.8 * votes else None
