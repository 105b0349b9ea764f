"""A simulated Belgian day-ahead spot price (EPEX Belgium), one price per quarter-hour, EUR/MWh.

Pure and seeded, like the household: the same seed gives the same price for the same quarter,
whatever else is simulated. The shape is a plausible Belgian day, not a forecast:

* a level that is higher in winter than in summer and lower at weekends, drifting day to day;
* a night trough, a morning peak around 08:00 and a higher evening peak around 19:30;
* a midday dip from solar production that deepens with the season and the day's sunshine (the
  household's own weather, so that the sunny middays when the roof exports are also the cheap
  ones): on sunny summer days, above all at weekends, it goes below zero;
* quarter-hour detail: since October 2025 each quarter has its own price, ramping within the hour.

Prices have two decimals, as EPEX publishes them, and stay within the market's harmonised limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import math
import random
from typing import Final

from simulator.belgium import is_day_off, to_local
from simulator.household import day_plan, summerness, unit_hash

QUARTER: Final = timedelta(minutes=15)
MIN_PRICE: Final = -500.0  # EUR/MWh, EPEX harmonised minimum (day-ahead)
MAX_PRICE: Final = 4000.0


def _bump(hours: float, centre: float, width: float) -> float:
    return math.exp(-(((hours - centre) / width) ** 2))


@dataclass(frozen=True, slots=True)
class _DayShape:
    level: float  # EUR/MWh
    morning: float
    evening: float
    solar_dip: float  # depth of the midday dip, EUR/MWh


def _day_shape(seed: int, day: date) -> _DayShape:
    rng = random.Random(f"{seed}:spot:{day.isoformat()}")  # noqa: S311 - a simulation
    summer = summerness(day)
    sunshine = 1 - day_plan(seed, day).cloudiness
    off = is_day_off(day)
    level = 98 - 28 * summer + rng.gauss(0, 12) - (14 if off else 0)
    solar = sunshine**1.5 * (20 + 110 * summer) * (1.3 if off else 1.0)
    return _DayShape(
        level=level,
        morning=(30 if not off else 12) * (1 - 0.4 * summer) + rng.gauss(0, 6),
        evening=55 - 15 * summer + rng.gauss(0, 8),
        solar_dip=solar * rng.uniform(0.85, 1.15),
    )


def spot_price(seed: int, moment: datetime) -> float:
    """Return the spot price (EUR/MWh) of the quarter-hour holding an aware moment."""
    start = datetime.fromtimestamp(moment.timestamp() // 900 * 900, UTC)
    local = to_local(start)
    hours = local.hour + local.minute / 60
    shape = _day_shape(seed, local.date())
    price = (
        shape.level
        - 22 * _bump(hours, 3.5, 2.2)
        + shape.morning * _bump(hours, 8.0, 1.3)
        + shape.evening * _bump(hours, 19.5, 1.8)
        - shape.solar_dip * _bump(hours, 13.5, 2.6)
    )
    # Within the hour the quarter prices ramp towards the next hour's level.
    slope = (
        shape.evening * (_bump(hours + 0.5, 19.5, 1.8) - _bump(hours - 0.5, 19.5, 1.8))
        - shape.solar_dip * (_bump(hours + 0.5, 13.5, 2.6) - _bump(hours - 0.5, 13.5, 2.6))
        + shape.morning * (_bump(hours + 0.5, 8.0, 1.3) - _bump(hours - 0.5, 8.0, 1.3))
    )
    quarter = local.minute // 15
    price += 0.35 * slope * (quarter - 1.5) / 1.5
    price += 9 * (unit_hash(seed, "spot", start.timestamp()) - 0.5)
    return round(min(max(price, MIN_PRICE), MAX_PRICE), 2)


def hourly_index(seed: int, moment: datetime) -> float:
    """Return the hourly index (EUR/MWh) of the hour holding a moment: its quarters' mean."""
    start = datetime.fromtimestamp(moment.timestamp() // 3600 * 3600, UTC)
    return round(math.fsum(spot_price(seed, start + n * QUARTER) for n in range(4)) / 4, 2)


def quarter_prices(seed: int, start: datetime, end: datetime) -> list[tuple[datetime, float]]:
    """Return (quarter start, price) for every quarter-hour from start to end (UTC)."""
    moment = datetime.fromtimestamp(start.timestamp() // 900 * 900, UTC)
    prices = []
    while moment < end:
        prices.append((moment, spot_price(seed, moment)))
        moment += QUARTER
    return prices
