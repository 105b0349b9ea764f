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

from collections.abc import Iterable, Mapping
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
MIN_FIT_DAYS: Final = 14


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
        """Return the kWh billed if the period ended now."""
        if netting is Netting.SEPARATE:
            return max(self.day, 0.0) + max(self.night, 0.0)
        return max(self.total, 0.0)

    def surplus(self, netting: Netting) -> float:
        """Return the kWh that would be lost if the period ended now."""
        if netting is Netting.SEPARATE:
            return max(-self.day, 0.0) + max(-self.night, 0.0)
        return max(-self.total, 0.0)


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


def pv_weight(day: date) -> float:
    """Return a day's typical PV yield relative to the yearly mean day (mean 1 over a year)."""
    days_in_month = (
        (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    ).day
    return PV_MONTHLY_SHARES[day.month - 1] / sum(PV_MONTHLY_SHARES) * 365.25 / days_in_month


def pv_days(start: datetime, end: datetime) -> float:
    """Return the PV-weighted length of a window in days (a summer day counts more than one)."""
    if end <= start:
        return 0.0
    total = 0.0
    day = local_date(start)
    while (day_start := local_midnight(day)) < end:
        day_end = local_midnight(day + timedelta(days=1))
        overlap = hours_between(max(start, day_start), min(end, day_end))
        if overlap > 0:
            total += pv_weight(day) * overlap / hours_between(day_start, day_end)
        day += timedelta(days=1)
    return total


@dataclass(frozen=True, slots=True)
class Observation:
    """The net energy of a window: its length in days, and its PV-weighted length."""

    days: float
    pv_days: float
    net: float


@dataclass(frozen=True, slots=True)
class SeasonalModel:
    """A day's net = consumption - production x its PV weight (kWh a day)."""

    consumption: float
    production: float
    method: Method

    def net(self, days: float, weighted_days: float) -> float:
        """Return the expected net of a window."""
        return self.consumption * days - self.production * weighted_days


def fit_seasonal(observations: Iterable[Observation]) -> SeasonalModel | None:
    """Fit the household's consumption and production per day; None without any data."""
    obs = [o for o in observations if o.days > 0]
    total_days = sum(o.days for o in obs)
    if total_days <= 0:
        return None
    average = SeasonalModel(sum(o.net for o in obs) / total_days, 0.0, Method.AVERAGE)
    if total_days < MIN_FIT_DAYS or len(obs) < 2:
        return average
    # Least squares of net = c x days - p x pv_days, each window weighted by its length.
    s_dd = sum(o.days * o.days / o.days for o in obs)
    s_dp = sum(o.days * o.pv_days / o.days for o in obs)
    s_pp = sum(o.pv_days * o.pv_days / o.days for o in obs)
    s_dn = sum(o.days * o.net / o.days for o in obs)
    s_pn = sum(o.pv_days * o.net / o.days for o in obs)
    det = s_dd * s_pp - s_dp * s_dp
    # Too little seasonal spread in the days seen (one month, say): the fit is meaningless.
    if det <= 1e-3 * s_dd * s_pp:
        return average
    consumption = (s_dn * s_pp - s_pn * s_dp) / det
    production = (s_dn * s_dp - s_pn * s_dd) / det
    if production < 0 or consumption < 0:
        return average
    return SeasonalModel(consumption, production, Method.SEASONAL)


def seasonal_projection(
    observations: Iterable[Observation], now: datetime, end: datetime
) -> tuple[float, Method] | None:
    """Return the expected net from now to end, and the method; None without data."""
    if (model := fit_seasonal(observations)) is None:
        return None
    if end <= now:
        return 0.0, model.method
    days = hours_between(now, end) / 24
    return model.net(days, pv_days(now, end)), model.method


def prosumer_fee(inverter_kw: float, rate: float, vat: float, fraction: float) -> float:
    """Return the prosumer tariff incl. VAT for a fraction of the year's fee."""
    return inverter_kw * rate * (1 + vat) * min(max(fraction, 0.0), 1.0)


def cost(billable: float, price: float, fee: float) -> float:
    """Return what the bill would say: billable energy at the price, plus the fee."""
    return billable * price + fee
