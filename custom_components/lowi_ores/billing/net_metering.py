"""Wallonia's net metering ("compensation"): the balance since the yearly reading.

Under compensation the supplier bills, once a year, import minus export between two readings: a
positive balance is billed, a negative one (a surplus) is lost. Some suppliers net the day and
night registers apart. Everything here is in kWh and plain Python.

Energy is counted per register from the guarded counters (``RegisterTracker``): the positive
increments of each register are summed, and a counter that goes down (the counter guard only
lets that through for a confirmed new meter) continues from its new level, so a meter
replacement carries the period's energy over instead of making the balance jump.

The projection to the next reading (``seasonal_projection``) is, when the recorder cannot give
the same days of last year, a stated model: a day's net (import - export) is
``consumption - production x w(day)``, where ``w`` is the typical Belgian PV yield of that day's
month relative to the yearly mean (``PV_MONTHLY_SHARES``), and ``consumption`` and
``production`` are the household's own daily averages, fitted by least squares on the days of
the period seen so far. With too little variety in those days (less than ``MIN_FIT_DAYS`` days or
one month only) it falls back to the period's own average net per day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
import math
from typing import Any, Final

from .periods import hours_between, local_date, local_midnight

IMPORT_DAY: Final = "import_day"
IMPORT_NIGHT: Final = "import_night"
EXPORT_DAY: Final = "export_day"
EXPORT_NIGHT: Final = "export_night"
REGISTERS: Final = (IMPORT_DAY, IMPORT_NIGHT, EXPORT_DAY, EXPORT_NIGHT)

# Share of a year's PV yield per month, January first: a south-facing roof at 35 degrees in
# central Belgium (rounded from the European Commission's PVGIS long-term means).
PV_MONTHLY_SHARES: Final = (
    0.026,
    0.043,
    0.079,
    0.114,
    0.130,
    0.130,
    0.130,
    0.115,
    0.088,
    0.061,
    0.030,
    0.022,
)
# Share of a year's heating degree-days per month, January first: Uccle's long-term normals
# (base 16.5 degrees C), rounded. Lighting, pumps and the time spent indoors follow them too.
WINTER_MONTHLY_SHARES: Final = (
    0.172,
    0.147,
    0.128,
    0.087,
    0.047,
    0.017,
    0.006,
    0.006,
    0.024,
    0.069,
    0.124,
    0.173,
)
MIN_FIT_DAYS: Final = 14
# A year's yield of a Belgian roof per kW of inverter power (inverters are sized close to the
# panels' peak power; Belgian roofs yield 850-1000 kWh/kWp a year).
YIELD_KWH_PER_KW: Final = 950.0


class Netting(StrEnum):
    """How the supplier nets the registers."""

    TOGETHER = "together"
    SEPARATE = "separate"


class Method(StrEnum):
    """How a projection was made."""

    HISTORY = "history"
    SEASONAL = "seasonal"
    AVERAGE = "average"


@dataclass(frozen=True, slots=True)
class Balance:
    """Energy of each register over a window, kWh."""

    import_day: float = 0.0
    import_night: float = 0.0
    export_day: float = 0.0
    export_night: float = 0.0

    @classmethod
    def from_mapping(cls, values: Mapping[str, float]) -> Balance:
        """Build from a register -> kWh mapping (missing registers count 0)."""
        return cls(*(float(values.get(key, 0.0)) for key in REGISTERS))

    def as_dict(self) -> dict[str, float]:
        """Return register -> kWh."""
        return {key: getattr(self, key) for key in REGISTERS}

    def __add__(self, other: Balance) -> Balance:
        """Return the sum of two windows."""
        return Balance(*(getattr(self, k) + getattr(other, k) for k in REGISTERS))

    @property
    def day(self) -> float:
        """Return day import minus day export."""
        return self.import_day - self.export_day

    @property
    def night(self) -> float:
        """Return night import minus night export."""
        return self.import_night - self.export_night

    @property
    def total(self) -> float:
        """Return import minus export, negative when more was exported."""
        return self.day + self.night

    def billable(self, netting: Netting) -> float:
        """Return the kWh billed if the period ended now (never -0.0)."""
        if netting is Netting.SEPARATE:
            return max(0.0, self.day) + max(0.0, self.night)
        return max(0.0, self.total)

    def surplus(self, netting: Netting) -> float:
        """Return the kWh that would be lost if the period ended now.

        0.0 first in max(): max(-0.0, 0.0) is -0.0, which the sensor showed as "-0.0 kWh"
        whenever the balance was exactly zero (at the start of every period).
        """
        if netting is Netting.SEPARATE:
            return max(0.0, -self.day) + max(0.0, -self.night)
        return max(0.0, -self.total)


@dataclass(slots=True)
class RegisterTracker:
    """Sums the positive increments of each guarded register since a start."""

    levels: dict[str, float] = field(default_factory=dict)
    energy: dict[str, float] = field(default_factory=dict)
    replacements: int = 0

    @classmethod
    def starting_at(cls, levels: Mapping[str, float]) -> RegisterTracker:
        """Return a tracker whose period starts at these indexes."""
        return cls(
            levels={k: float(v) for k, v in levels.items()}, energy=dict.fromkeys(REGISTERS, 0.0)
        )

    @property
    def complete(self) -> bool:
        """Return True once every register has a level."""
        return all(key in self.levels for key in REGISTERS)

    def feed(self, counters: Mapping[str, float | None]) -> Balance:
        """Take guarded counters; return the energy added by this reading."""
        added: dict[str, float] = {}
        for key in REGISTERS:
            value = counters.get(key)
            if value is None or not math.isfinite(value):
                continue
            previous = self.levels.get(key)
            self.levels[key] = value
            if previous is None:
                continue
            if value >= previous:
                added[key] = value - previous
                self.energy[key] = self.energy.get(key, 0.0) + value - previous
            else:
                # Only a confirmed new meter goes down past the guard: carry on from its level.
                self.replacements += 1
        return Balance.from_mapping(added)

    @property
    def balance(self) -> Balance:
        """Return the energy of each register since the start."""
        return Balance.from_mapping(self.energy)

    def as_dict(self) -> dict[str, Any]:
        """Return what must survive a restart."""
        return {
            "levels": dict(self.levels),
            "energy": dict(self.energy),
            "replacements": self.replacements,
        }

    @classmethod
    def from_dict(cls, data: Any) -> RegisterTracker | None:
        """Return the tracker stored by as_dict(), or None when malformed."""
        if not isinstance(data, dict):
            return None
        levels, energy = data.get("levels"), data.get("energy")
        if not isinstance(levels, dict) or not isinstance(energy, dict):
            return None
        if not (_is_numbers(levels) and _is_numbers(energy)):
            return None
        replacements = data.get("replacements", 0)
        return cls(
            levels={k: float(v) for k, v in levels.items() if k in REGISTERS},
            energy={k: float(v) for k, v in energy.items() if k in REGISTERS},
            replacements=replacements if isinstance(replacements, int) else 0,
        )


def _is_numbers(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        for v in value.values()
    )


def _days_in_month(day: date) -> int:
    return ((day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day


def pv_weight(day: date) -> float:
    """Return a day's typical PV yield relative to the yearly mean day (mean 1 over a year)."""
    return PV_MONTHLY_SHARES[day.month - 1] / sum(PV_MONTHLY_SHARES) * 365.25 / _days_in_month(day)


def winter_weight(day: date) -> float:
    """Return a day's typical heating need relative to the yearly mean day (mean 1 over a year)."""
    share = WINTER_MONTHLY_SHARES[day.month - 1] / sum(WINTER_MONTHLY_SHARES)
    return share * 365.25 / _days_in_month(day)


def pv_days(start: datetime, end: datetime) -> float:
    """Return the PV-weighted length of a window in days (a summer day counts more than one)."""
    return _weighted_days(start, end, pv_weight)


def winter_days(start: datetime, end: datetime) -> float:
    """Return the winter-weighted length of a window in days."""
    return _weighted_days(start, end, winter_weight)


def _weighted_days(start: datetime, end: datetime, weight: Callable[[date], float]) -> float:
    if end <= start:
        return 0.0
    total = 0.0
    day = local_date(start)
    while (day_start := local_midnight(day)) < end:
        day_end = local_midnight(day + timedelta(days=1))
        overlap = hours_between(max(start, day_start), min(end, day_end))
        if overlap > 0:
            total += weight(day) * overlap / hours_between(day_start, day_end)
        day += timedelta(days=1)
    return total


@dataclass(frozen=True, slots=True)
class Observation:
    """The net energy of a window: its length in days, its PV- and winter-weighted lengths."""

    days: float
    pv_days: float
    net: float
    winter_days: float | None = None


@dataclass(frozen=True, slots=True)
class SeasonalModel:
    """A day's net = consumption + winter extra x winter weight - production x PV weight."""

    consumption: float
    production: float
    method: Method
    winter: float = 0.0

    def net(self, days: float, weighted_days: float, winter_days: float = 0.0) -> float:
        """Return the expected net of a window."""
        return self.consumption * days + self.winter * winter_days - self.production * weighted_days


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float] | None:
    """Solve a small linear system by Gaussian elimination; None when it is (nearly) singular."""
    size = len(vector)
    rows = [[*matrix[i], vector[i]] for i in range(size)]
    scale = max(abs(x) for row in matrix for x in row) or 1.0
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        if abs(rows[pivot][col]) < 1e-9 * scale:
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(size):
            if r != col:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[i][size] / rows[i][i] for i in range(size)]


def _least_squares(obs: list[Observation], features: list[list[float]]) -> list[float] | None:
    """Least squares of net on the features, each window weighted by 1 / its length."""
    size = len(features[0])
    matrix = [
        [sum(f[i] * f[j] / o.days for f, o in zip(features, obs, strict=True)) for j in range(size)]
        for i in range(size)
    ]
    vector = [
        sum(f[i] * o.net / o.days for f, o in zip(features, obs, strict=True)) for i in range(size)
    ]
    return _solve(matrix, vector)


def fit_seasonal(
    observations: Iterable[Observation], daily_production: float | None = None
) -> SeasonalModel | None:
    """Fit the household's daily consumption and production on the days seen.

    With ``daily_production`` (the roof's mean yield a day, from its power) only consumption is
    fitted: a constant plus a winter extra (dropped when it comes out negative, or with fewer than
    ``MIN_FIT_DAYS`` days). Without it, consumption and production are both fitted, and the
    period's average net per day stands in when the days seen are too few or too alike. None
    without any data.
    """
    obs = [o for o in observations if o.days > 0]
    total_days = sum(o.days for o in obs)
    if total_days <= 0:
        return None
    if daily_production is not None:
        load = [
            Observation(o.days, o.pv_days, o.net + daily_production * o.pv_days, o.winter_days)
            for o in obs
        ]
        consumption = sum(o.net for o in load) / total_days
        if total_days < MIN_FIT_DAYS or len(obs) < 2:
            return SeasonalModel(consumption, daily_production, Method.SEASONAL)
        solution = _least_squares(load, [[o.days, o.winter_days or 0.0] for o in load])
        if solution is not None and min(solution) >= 0:
            return SeasonalModel(solution[0], daily_production, Method.SEASONAL, solution[1])
        return SeasonalModel(consumption, daily_production, Method.SEASONAL)
    average = SeasonalModel(sum(o.net for o in obs) / total_days, 0.0, Method.AVERAGE)
    if total_days < MIN_FIT_DAYS or len(obs) < 2:
        return average
    solution = _least_squares(obs, [[o.days, -o.pv_days] for o in obs])
    if solution is None or min(solution) < 0:
        return average
    return SeasonalModel(solution[0], solution[1], Method.SEASONAL)


def seasonal_projection(
    observations: Iterable[Observation],
    now: datetime,
    end: datetime,
    daily_production: float | None = None,
) -> tuple[float, Method] | None:
    """Return the expected net from now to end, and the method; None without data."""
    if (model := fit_seasonal(observations, daily_production)) is None:
        return None
    if end <= now:
        return 0.0, model.method
    days = hours_between(now, end) / 24
    return model.net(days, pv_days(now, end), winter_days(now, end)), model.method


def daily_production(inverter_kw: float) -> float:
    """Return a Belgian roof's mean yield a day, kWh, from its inverter's power (see YIELD)."""
    return inverter_kw * YIELD_KWH_PER_KW / 365.25


def prosumer_fee(inverter_kw: float, rate: float, vat: float, fraction: float) -> float:
    """Return the prosumer tariff incl. VAT for a fraction of the year's fee."""
    return inverter_kw * rate * (1 + vat) * min(max(fraction, 0.0), 1.0)


def cost(billable: float, price: float, fee: float) -> float:
    """Return what the bill would say: billable energy at the price, plus the fee."""
    return billable * price + fee


@dataclass(frozen=True, slots=True)
class BalancePeriod:
    """A reading period as the export sees it: its bounds and its net index at the start."""

    start: datetime
    end: datetime
    start_net_index: float


class RunningBalance:
    """The balance since the reading date at the end of consecutive export rows.

    A row in the same period as the one before adds its net energy to the running balance (so
    that a replaced meter inside the period changes nothing); otherwise the balance is read
    from the indexes at the row's start against those at the period's start. A row whose end
    falls in no known period, or whose figures are not known, has no balance: nothing is
    guessed.
    """

    def __init__(self, periods: Iterable[BalancePeriod]) -> None:
        """Remember the known periods."""
        self._periods = tuple(periods)
        self._period: BalancePeriod | None = None
        self._value: float | None = None

    def next(
        self, start: datetime, end: datetime, start_net_index: float | None, net: float | None
    ) -> float | None:
        """Return the balance at the end of the next row."""
        period = next((p for p in self._periods if p.start < end <= p.end), None)
        value: float | None = None
        if period is not None and net is not None:
            if period is self._period and self._value is not None and start >= period.start:
                value = self._value + net
            elif start_net_index is not None:
                value = start_net_index + net - period.start_net_index
        self._period, self._value = period, value
        return value
