"""The exact imported energy of every quarter-hour, as only the simulator knows it.

The simulation holds each sample's power over the span before it and integrates it exactly
(:mod:`simulator.meter`). :class:`QuarterTruth` listens to that integration and splits each span
at the quarter-hour boundaries (multiples of 900 s of Unix time: the :00, :15, :30 and :45 of the
Belgian clock, whose offsets are whole hours), keeping whole watt-milliseconds: no rounding at all.
A backtest compares what an integration derives from the published messages with this.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from simulator.meter import MS_PER_HOUR, IntegratingCounter
from simulator.simulation import Simulation

QUARTER_MS: Final = 900_000


@dataclass(slots=True)
class _ListeningCounter(IntegratingCounter):
    """An integrating counter that also tells a listener what it integrates."""

    listener: Callable[[int, int], None] | None = None

    def add(self, rate: int, duration_ms: int, register: int = 0) -> int:
        """Integrate as usual; tell the listener the rate and the span's length."""
        if self.listener is not None:
            self.listener(rate, duration_ms)
        return IntegratingCounter.add(self, rate, duration_ms, register)


class QuarterTruth:
    """Exact imported energy per quarter-hour of a simulation, from its start on."""

    def __init__(self, simulation: Simulation) -> None:
        """Start listening to a fresh simulation's import counter."""
        if simulation.elapsed_ms:
            raise ValueError("attach to a simulation before it advances")
        self._simulation = simulation
        self._origin_ms = round(simulation.config.start.timestamp() * 1000)
        self._watt_ms: defaultdict[int, int] = defaultdict(int)  # quarter number -> W x ms
        counter = simulation.imported
        simulation.imported = _ListeningCounter(list(counter.registers), listener=self._add)

    def _add(self, rate: int, duration_ms: int) -> None:
        # The simulation has already moved its clock to the end of this span.
        end = self._origin_ms + self._simulation.elapsed_ms
        begin = end - duration_ms
        while begin < end:
            quarter = begin // QUARTER_MS
            until = min(end, (quarter + 1) * QUARTER_MS)
            self._watt_ms[quarter] += rate * (until - begin)
            begin = until

    def energy(self, start: float) -> float:
        """Return the exact energy (kWh) imported in the quarter starting at a Unix time."""
        return self._watt_ms.get(round(start * 1000) // QUARTER_MS, 0) / MS_PER_HOUR / 1000

    def quarters(self) -> dict[float, float]:
        """Return every quarter touched so far: start (Unix seconds) -> exact energy (kWh)."""
        return {
            quarter * QUARTER_MS / 1000: watt_ms / MS_PER_HOUR / 1000
            for quarter, watt_ms in sorted(self._watt_ms.items())
        }

    @property
    def complete_from(self) -> float:
        """Return the start of the first quarter the simulation covers from its beginning."""
        first = -(-self._origin_ms // QUARTER_MS)
        return first * QUARTER_MS / 1000

    @property
    def complete_until(self) -> float:
        """Return the end of the last quarter the simulation has fully integrated."""
        last = (self._origin_ms + self._simulation.elapsed_ms) // QUARTER_MS
        return last * QUARTER_MS / 1000
