"""Backtest of the net-metering projection against the simulator.

Simulates two reading years of the simulator's household (5 kWp roof, seeded), hour by hour,
then stands at each monthly date of each year and projects the balance at the next reading the
way the integration does:

* ``history``: the balance so far plus the same calendar days one year earlier (what the
  recorder's statistics give from the second year on);
* ``seasonal``: the balance so far plus the seasonal model fitted on the period's own days
  (``billing.net_metering.seasonal_projection``, day and night apart, as the ledger does).

It prints the error against the real final balance at each month, and the mean absolute and
worst errors, in kWh and in % of the year's import (the final balance itself can be near zero,
which makes a % of it meaningless; it is printed too).

    bash -c '. scripts/_env.sh; run_in_env "python -m benchmarks.net_metering_backtest"'
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from custom_components.lowi_ores.billing.net_metering import (
    Observation,
    daily_production,
    pv_days,
    seasonal_projection,
    winter_days,
)
from custom_components.lowi_ores.billing.periods import (
    ReadingPeriod,
    add_years,
    hours_between,
    local_date,
)
from simulator import Simulation, SimulationConfig

HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class Hour:
    """Energy of one hour, kWh: day net and night net (import - export), and the import."""

    end: datetime
    day: float
    night: float
    imported: float


def simulate(first: date, years: int, seed: int, substep: float) -> list[Hour]:
    """Return the hourly nets from local midnight of ``first`` for some years."""
    start = ReadingPeriod.from_reading(first).start_time.astimezone(UTC)
    end = ReadingPeriod.from_reading(add_years(first, years - 1)).end_time
    sim = Simulation(SimulationConfig(seed=seed, start=start, substep=substep))
    hours: list[Hour] = []
    previous = (*sim.imported.registers, *sim.exported.registers)
    moment = start
    while moment < end:
        sim.advance(HOUR_MS)
        moment += timedelta(hours=1)
        now = (*sim.imported.registers, *sim.exported.registers)
        delta = [(b - a) / 1000 for a, b in zip(previous, now, strict=True)]
        previous = now
        hours.append(Hour(moment, delta[0] - delta[2], delta[1] - delta[3], delta[0] + delta[1]))
    return hours


def daily_observations(
    hours: list[Hour], since: datetime, until: datetime
) -> tuple[list[Observation], list[Observation]]:
    """Return the day and night observations per local day, as the ledger records them."""
    days: dict[date, list[float]] = {}
    for hour in hours:
        if since < hour.end <= until:
            record = days.setdefault(
                local_date(hour.end - timedelta(seconds=1)),
                [0.0, 0.0, hour.end.timestamp() - 3600, 0.0],
            )
            record[0] += hour.day
            record[1] += hour.night
            record[3] = hour.end.timestamp()
    day_obs, night_obs = [], []
    for record in days.values():
        start = datetime.fromtimestamp(record[2], UTC)
        end = datetime.fromtimestamp(record[3], UTC)
        length, weighted = hours_between(start, end) / 24, pv_days(start, end)
        winter = winter_days(start, end)
        day_obs.append(Observation(length, weighted, record[0], winter))
        night_obs.append(Observation(length, weighted, record[1], winter))
    return day_obs, night_obs


def net_between(hours: list[Hour], since: datetime, until: datetime) -> float:
    """Return the net energy (day + night) of the hours ending in (since, until]."""
    return sum(h.day + h.night for h in hours if since < h.end <= until)


def main() -> None:
    """Run the backtest and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reading-date", type=date.fromisoformat, default=date(2024, 9, 15))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--inverter-kw", type=float, default=5.0, help="the roof's inverter, kW")
    parser.add_argument("--substep", type=float, default=120.0, help="simulated seconds per sample")
    args = parser.parse_args()

    hours = simulate(args.reading_date, 2, args.seed, args.substep)
    periods = [ReadingPeriod.from_reading(args.reading_date)]
    periods.append(periods[0].following())
    summary: dict[str, list[tuple[float, float]]] = {}
    for number, period in enumerate(periods, start=1):
        start, end = period.start_time, period.end_time
        final = net_between(hours, start, end)
        imported = sum(h.imported for h in hours if start < h.end <= end)
        print(
            f"\nYear {number}: {period.start} to {period.end}: final balance {final:.1f} kWh "
            f"(import {imported:.0f} kWh, export {imported - final:.0f} kWh)"
        )
        print(
            "  month  date        so far   roof known error    roof fitted error   history   error"
        )
        for month in range(1, 12):
            at_date = period.start.replace(day=1) + timedelta(days=32 * month)
            at_date = at_date.replace(day=min(period.start.day, 28))
            at = ReadingPeriod.from_reading(at_date).start_time
            so_far = net_between(hours, start, at)
            day_obs, night_obs = daily_observations(hours, start, at)
            total_obs = [
                Observation(d.days, d.pv_days, d.net + n.net, d.winter_days)
                for d, n in zip(day_obs, night_obs, strict=True)
            ]
            free = seasonal_projection(total_obs, at, end)
            roof = seasonal_projection(total_obs, at, end, daily_production(args.inverter_kw))
            assert free is not None
            assert roof is not None
            seasonal, fitted = so_far + roof[0], so_far + free[0]
            row = (
                f"  {month:>5}  {at_date}  {so_far:8.1f}  {seasonal:8.1f} {seasonal - final:+7.1f}"
                f"  {fitted:8.1f} {fitted - final:+7.1f}"
            )
            summary.setdefault(f"year {number} seasonal, roof known", []).append(
                (seasonal - final, imported)
            )
            summary.setdefault(f"year {number} seasonal, roof fitted", []).append(
                (fitted - final, imported)
            )
            if number == 2:
                earlier = (
                    ReadingPeriod.from_reading(add_years(at_date, -1)).start_time,
                    ReadingPeriod.from_reading(add_years(period.end, -1)).start_time,
                )
                history = so_far + net_between(hours, *earlier)
                row += f"  {history:8.1f} {history - final:+7.1f}"
                summary.setdefault("year 2 history", []).append((history - final, imported))
            print(row)
    print("\nSummary (error = projection - real final balance, at months 1 to 11):")
    for name, errors in summary.items():
        absolute = [abs(e) for e, _ in errors]
        imported = errors[0][1]
        print(
            f"  {name:<32} mean |error| {sum(absolute) / len(absolute):6.1f} kWh "
            f"({100 * sum(absolute) / len(absolute) / imported:4.1f}% of the year's import), "
            f"worst {max(absolute):6.1f} kWh ({100 * max(absolute) / imported:4.1f}%)"
        )


if __name__ == "__main__":
    main()
