"""Counters that integrate a rate exactly, as a meter's registers do.

A rate (W, dm3/h, L/h) is a whole number; a duration is a whole number of milliseconds. Their
product is accumulated as an integer, so no energy is ever lost to rounding: whole units go to the
register in force, the fractional rest is carried to the next interval (across registers, so the
sum of the registers is always the floor of the exact integral).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final

MS_PER_HOUR: Final = 3_600_000


@dataclass(slots=True)
class IntegratingCounter:
    """One quantity (e.g. imported energy, in Wh) counted on one or more registers."""

    registers: list[int]
    _rest: int = field(default=0, repr=False)  # unit-milliseconds per hour, below one unit
    _integral: int = field(default=0, repr=False)  # everything added, unit-ms per hour

    def add(self, rate: int, duration_ms: int, register: int = 0) -> int:
        """Integrate `rate` (units per hour) over `duration_ms`; return the whole units added."""
        if rate < 0 or duration_ms < 0:
            raise ValueError("a counter only counts up")
        amount = rate * duration_ms
        self._integral += amount
        whole, self._rest = divmod(self._rest + amount, MS_PER_HOUR)
        self.registers[register] += whole
        return whole

    @property
    def total(self) -> int:
        """Return the sum of the registers (whole units)."""
        return sum(self.registers)

    @property
    def integral(self) -> Fraction:
        """Return the exact integral of everything added since creation, in units."""
        return Fraction(self._integral, MS_PER_HOUR)

    @property
    def rest(self) -> Fraction:
        """Return the fraction of a unit integrated but not yet on a register."""
        return Fraction(self._rest, MS_PER_HOUR)
