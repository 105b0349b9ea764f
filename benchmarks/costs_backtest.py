"""Backtest of the dynamic-price costs: our slot costs against the simulator's exact energies.

    bash -c '. scripts/_env.sh; run_in_env "python -m benchmarks.costs_backtest"'
    ... "python -m benchmarks.costs_backtest --days 30 --start 2026-06-01 --seed 3"

The simulator's household is run for a month, its meter read by a LoWi3 every 10 seconds (and,
from the same run, every 60 seconds), with the simulated Belgian spot price (`simulator.spot`)
published by a spot sensor a few seconds after each quarter-hour boundary. Three figures for a
quarter-hour contract and for an hourly one:

* **ours**: the integration's pure code as the ledger uses it (quarter-hour slots from
  ``billing.quarters``, spot values read at each slot's midpoint, ``billing.prices``);
* **exact**: an independent recomputation from the simulator's exact quarter-hour energies
  (its counters' integrals, in Fractions, at each boundary) and the supplier formula written out
  here again, with the spot prices taken straight from the curve;
* **HA price entity**: Home Assistant's Energy dashboard method, the energy of each meter
  update times the price entity's state at that moment (``homeassistant/components/energy/
  sensor.py``), with a price entity that follows the spot sensor;
  compared with the exact cost of the same span.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from functools import lru_cache
import itertools
import math
import time
from typing import Final

from custom_components.lowi_ores.billing.prices import (
    Contract,
    CostBook,
    DynamicFormula,
    PricedSlot,
    PriceModel,
    SpotTimeline,
    dynamic_price,
)
from custom_components.lowi_ores.billing.quarters import QuarterAccumulator
from simulator import Simulation, SimulationConfig
from simulator.belgium import from_local
from simulator.spot import spot_price

QUARTER: Final = 900
# A contract as the user's seed describes it: supplier energy part, grid fees and taxes on top.
FORMULA: Final = DynamicFormula(
    buy_factor=0.1039, buy_offset=0.8702, sell_factor=0.1, sell_offset=0.5, extra_buy_cost=10.0
)
SENSOR_DELAY: Final = 5.0  # seconds after a boundary before the spot sensor shows the new price


@dataclass(frozen=True, slots=True)
class Reading:
    """One LoWi3 message: when, the indexes it shows (whole Wh) and the exact integrals (Wh)."""

    moment: float
    imported_wh: int
    exported_wh: int
    exact_imported: Fraction
    exact_exported: Fraction


@dataclass(slots=True)
class Run:
    """A simulated stretch: every 10-second message and the exact integrals at each boundary."""

    seed: int
    readings: list[Reading] = field(default_factory=list)
    boundaries: dict[float, tuple[Fraction, Fraction]] = field(default_factory=dict)


def simulate(seed: int, start: datetime, days: float, interval: int = 10, offset: int = 3) -> Run:
    """Run the household from `start` + `offset` seconds, a message every `interval` seconds.

    Messages are off the quarter-hour grid (``offset``), as a real dongle's are. At each
    boundary the simulation is stopped, the counters' exact integrals noted, and resumed.
    """
    first = start + timedelta(seconds=offset)
    simulation = Simulation(
        SimulationConfig(seed=seed, start=first, interval=interval, gas=False, water=False)
    )
    run = Run(seed)
    moment = first.timestamp()
    boundary = (moment // QUARTER + 1) * QUARTER

    def note() -> None:
        run.readings.append(
            Reading(
                moment,
                simulation.imported.total,
                simulation.exported.total,
                simulation.imported.integral,
                simulation.exported.integral,
            )
        )

    note()
    for _ in range(round(days * 86400 / interval)):
        target = moment + interval
        if boundary <= target:
            simulation.advance(round((boundary - moment) * 1000))
            run.boundaries[boundary] = (simulation.imported.integral, simulation.exported.integral)
            if target > boundary:
                simulation.advance(round((target - boundary) * 1000))
            boundary += QUARTER
        else:
            simulation.advance(interval * 1000)
        moment = target
        note()
    return run


def contract(resolution: int) -> Contract:
    """Return the dynamic contract of the backtest at a resolution (15 or 60 minutes)."""
    return Contract(PriceModel.DYNAMIC, formula=FORMULA, resolution=resolution)


# --- the exact, independent side ----------------------------------------------------------------


@lru_cache(maxsize=8192)
def _spot(seed: int, quarter: float) -> float:
    return spot_price(seed, datetime.fromtimestamp(quarter, UTC))


def exact_spot(seed: int, quarter: float, resolution: int) -> float:
    """Return the spot price a quarter is paid at: its own, or its hour's mean."""
    if resolution == 15:
        return _spot(seed, quarter)
    hour = quarter - quarter % 3600
    return sum(_spot(seed, hour + QUARTER * n) for n in range(4)) / 4


def exact_buy(spot: float) -> float:
    """Return the buy price in EUR/kWh, the formula written out (independently of prices.py)."""
    return (0.1039 * spot + 0.8702 + 10.0) * 1.06 / 100


def exact_sell(spot: float) -> float:
    """Return the sell price in EUR/kWh."""
    return (0.1 * spot - 0.5) / 100


def exact_quarter_costs(
    run: Run, quarters: Sequence[float], resolution: int
) -> tuple[float, float, float, float]:
    """Return the exact import kWh, export kWh, import cost and export revenue of quarters."""
    imported = exported = cost = revenue = Fraction(0)
    for quarter in quarters:
        start, end = run.boundaries[quarter], run.boundaries[quarter + QUARTER]
        energy_in = (end[0] - start[0]) / 1000
        energy_out = (end[1] - start[1]) / 1000
        spot = exact_spot(run.seed, quarter, resolution)
        imported += energy_in
        exported += energy_out
        cost += energy_in * Fraction(exact_buy(spot))
        revenue += energy_out * Fraction(exact_sell(spot))
    return float(imported), float(exported), float(cost), float(revenue)


# --- our method -------------------------------------------------------------------------------


def spot_changes(run: Run, delay: float) -> Iterator[tuple[float, float]]:
    """Yield (moment, EUR/MWh) as the spot sensor changes: `delay` seconds after each boundary."""
    first = run.readings[0].moment // QUARTER * QUARTER
    last = run.readings[-1].moment
    quarter = first
    while quarter <= last:
        yield quarter + delay, _spot(run.seed, quarter)
        quarter += QUARTER


def our_slots(
    run: Run, resolution: int, every: int = 1, delay: float = SENSOR_DELAY
) -> list[PricedSlot]:
    """Return the slots priced by the integration's code, reading every `every`-th message."""
    imports, exports = QuarterAccumulator(), QuarterAccumulator()
    book, timeline = CostBook(), SpotTimeline()
    terms = contract(resolution)
    changes = spot_changes(run, delay)
    change = next(changes, None)
    priced: list[PricedSlot] = []
    for reading in run.readings[::every]:
        now = reading.moment
        while change is not None and change[0] <= now:
            timeline.record(*change)
            change = next(changes, None)
        timeline.follow_until(now)
        for quarter in imports.add(now, reading.imported_wh / 1000):
            book.add_import(quarter.start, quarter.energy, estimated=quarter.estimated)
        for quarter in exports.add(now, reading.exported_wh / 1000):
            book.add_export(quarter.start, quarter.energy, estimated=quarter.estimated)
        done, _ = book.settle(lambda start: dynamic_price(terms, timeline, start), now)
        priced.extend(done)
    # The first quarter began before the first message: its start is unknown, leave it out.
    return [slot for slot in priced if not slot.estimated]


# --- Home Assistant's price-entity method --------------------------------------------------------


def ha_price_entity(
    run: Run, resolution: int, every: int = 1, delay: float = SENSOR_DELAY
) -> tuple[float, float, float, float]:
    """Return HA's cost and revenue and the exact ones over the same span.

    HA's cost sensor adds (index change) x (price entity's state) at each change of the index.
    The price entity shows the slot's buy (sell) price from `delay` seconds after the slot's
    start, as a template over the spot sensor would.
    """
    readings = run.readings[::every]
    cost = revenue = 0.0
    for before, after in itertools.pairwise(readings):
        shown = after.moment - delay  # the slot whose price the entity shows
        spot = exact_spot(run.seed, shown - shown % QUARTER, resolution)
        cost += (after.imported_wh - before.imported_wh) / 1000 * exact_buy(spot)
        revenue += (after.exported_wh - before.exported_wh) / 1000 * exact_sell(spot)
    first, last = readings[0], readings[-1]
    exact_cost = exact_revenue = Fraction(0)
    moment, energy = first.moment, (first.exact_imported, first.exact_exported)
    for boundary in sorted(run.boundaries):
        if not first.moment < boundary <= last.moment:
            continue
        spot = exact_spot(run.seed, moment - moment % QUARTER, resolution)
        values = run.boundaries[boundary]
        exact_cost += (values[0] - energy[0]) / 1000 * Fraction(exact_buy(spot))
        exact_revenue += (values[1] - energy[1]) / 1000 * Fraction(exact_sell(spot))
        moment, energy = boundary, values
    spot = exact_spot(run.seed, moment - moment % QUARTER, resolution)
    exact_cost += (last.exact_imported - energy[0]) / 1000 * Fraction(exact_buy(spot))
    exact_revenue += (last.exact_exported - energy[1]) / 1000 * Fraction(exact_sell(spot))
    return cost, revenue, float(exact_cost), float(exact_revenue)


@dataclass(frozen=True, slots=True)
class Figures:
    """One contract and message rate: our totals, the exact ones, HA's and its exact span."""

    resolution: int
    interval: int
    quarters: int
    imported: float
    exported: float
    ours: tuple[float, float]  # import cost, export revenue (EUR)
    exact: tuple[float, float]
    ha: tuple[float, float]
    ha_exact: tuple[float, float]
    negative_slots: int


def figures(run: Run, resolution: int, interval: int = 10, delay: float = SENSOR_DELAY) -> Figures:
    """Compute every figure for one contract resolution, message rate and sensor delay."""
    every = max(1, round(interval / (run.readings[1].moment - run.readings[0].moment)))
    slots = our_slots(run, resolution, every, delay)
    quarters = [slot.start for slot in slots]
    imported, exported, cost, revenue = exact_quarter_costs(run, quarters, resolution)
    ha_cost, ha_revenue, ha_exact_cost, ha_exact_revenue = ha_price_entity(
        run, resolution, every, delay
    )
    return Figures(
        resolution=resolution,
        interval=interval,
        quarters=len(slots),
        imported=imported,
        exported=exported,
        ours=(
            math.fsum(slot.import_cost for slot in slots),
            math.fsum(slot.export_revenue for slot in slots),
        ),
        exact=(cost, revenue),
        ha=(ha_cost, ha_revenue),
        ha_exact=(ha_exact_cost, ha_exact_revenue),
        negative_slots=sum(slot.price.sell < 0 for slot in slots),
    )


def _row(label: str, value: tuple[float, float], exact: tuple[float, float]) -> str:
    return (
        f"  {label:<22} import cost {value[0]:10.4f} EUR ({value[0] - exact[0]:+.4f})   "
        f"export revenue {value[1]:10.4f} EUR ({value[1] - exact[1]:+.4f})"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Print the figures of a month."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.costs_backtest")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 6, 1))
    parser.add_argument("--days", type=float, default=30)
    args = parser.parse_args(argv)
    start = from_local(datetime.combine(args.start, datetime.min.time()))
    began = time.perf_counter()
    run = simulate(args.seed, start, args.days)
    print(
        f"Seed {args.seed}, {args.days:g} days from {args.start} (Belgian time), "
        f"{len(run.readings):,} messages every 10 s, simulated in "
        f"{time.perf_counter() - began:.0f} s"
    )
    for resolution in (15, 60):
        for interval in (10, 60):
            result = figures(run, resolution, interval)
            print(
                f"\n{'Quarter-hour' if resolution == 15 else 'Hourly'} contract, a message every "
                f"{interval} s: {result.quarters} quarters, {result.imported:.3f} kWh imported, "
                f"{result.exported:.3f} kWh exported, {result.negative_slots} quarters with a "
                "negative sell price"
            )
            print(_row("exact (simulator)", result.exact, result.exact))
            print(_row("ours (slot costs)", result.ours, result.exact))
            print(_row("exact, HA's span", result.ha_exact, result.ha_exact))
            print(_row("HA price entity", result.ha, result.ha_exact))
            late = figures(run, resolution, interval, delay=60.0)
            print(_row("HA, entity 60 s late", late.ha, late.ha_exact))


if __name__ == "__main__":
    main()
