"""The Flemish capacity tariff: month peaks, the billed 12-month mean, its cost and the warning.

Pure Python, no Home Assistant import. The rules (Fluvius, since 2023):

* each fixed clock quarter-hour has an average import power: its imported energy x 4
  (see :mod:`.quarters`); export never offsets import;
* a month's peak is its highest quarter-hour; the month changes at local midnight (Europe/Brussels)
  on the 1st, whatever the clock change did to the offset;
* the grid fee is billed on the mean of the last 12 monthly peaks, the running month included,
  each counted at 2.5 kW at least (fewer months while the history is shorter);
* the yearly rate is per kW, so a month costs billed power x rate / 12.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
import math
from typing import Any, Final

from .quarters import (
    BRUSSELS,
    QUARTER_SECONDS,
    QUARTERS_PER_HOUR,
    Quarter,
    finite_number,
    quarter_floor,
)

MIN_MONTH_PEAK_KW: Final = 2.5
MONTHS_BILLED: Final = 12
# The running month and the twelve before it, as the meter's own peak history (P1 0-0:98.1.0).
MONTHS_KEPT: Final = 13
DEFAULT_WARNING_MARGIN_KW: Final = 0.5


def month_of(timestamp: float, zone: tzinfo = BRUSSELS) -> date:
    """Return the first day of the local calendar month that contains a moment."""
    return datetime.fromtimestamp(timestamp, zone).date().replace(day=1)


def add_months(month: date, count: int) -> date:
    """Return the first day of the month `count` months after (or before) a month's."""
    number = month.year * 12 + month.month - 1 + count
    return date(number // 12, number % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class MonthPeak:
    """A month's highest quarter-hour."""

    month: date  # first day of the month
    power: float  # kW, the quarter's average import power
    start: float  # the quarter's start, Unix seconds
    estimated: bool = False

    def start_time(self, zone: tzinfo = BRUSSELS) -> datetime:
        """Return the peak quarter's start as an aware datetime in a time zone."""
        return datetime.fromtimestamp(self.start, zone)

    @property
    def billed_power(self) -> float:
        """Return what the month counts for in the 12-month mean, kW (2.5 kW at least)."""
        return max(self.power, MIN_MONTH_PEAK_KW)


@dataclass(slots=True)
class PeakHistory:
    """The peaks of the running month and the twelve before it."""

    zone: tzinfo = BRUSSELS
    peaks: dict[date, MonthPeak] = field(default_factory=dict)

    def add(self, quarter: Quarter) -> bool:
        """Count a closed quarter; return True when it sets a new peak for its month."""
        month = month_of(quarter.start, self.zone)
        power = quarter.average_power
        current = self.peaks.get(month)
        if not math.isfinite(power) or (current is not None and power <= current.power):
            return False
        self.peaks[month] = MonthPeak(month, power, quarter.start, quarter.estimated)
        self._prune()
        return True

    def _prune(self) -> None:
        oldest = add_months(max(self.peaks), 1 - MONTHS_KEPT)
        for month in [month for month in self.peaks if month < oldest]:
            del self.peaks[month]

    def peak(self, month: date) -> MonthPeak | None:
        """Return a month's peak so far, or None before its first quarter."""
        return self.peaks.get(month)

    def billed_months(self, month: date) -> list[tuple[date, float]]:
        """Return the months of the 12-month mean ending with `month`, newest first.

        Each as (first day, kW it counts for): the running month always (2.5 kW until it has a
        higher peak), the eleven before it when their peak is known.
        """
        months = [(month, self.peaks[month].billed_power if month in self.peaks else 0.0)]
        for back in range(1, MONTHS_BILLED):
            earlier = add_months(month, -back)
            if earlier in self.peaks:
                months.append((earlier, self.peaks[earlier].billed_power))
        return [(first, max(power, MIN_MONTH_PEAK_KW)) for first, power in months]

    def billed_power(self, month: date) -> float:
        """Return the mean of the billed months' peaks, kW."""
        months = self.billed_months(month)
        return sum(power for _, power in months) / len(months)

    def as_dict(self) -> dict[str, Any]:
        """Return what must survive a restart."""
        return {
            peak.month.isoformat(): {
                "power": peak.power,
                "start": peak.start,
                "estimated": peak.estimated,
            }
            for peak in sorted(self.peaks.values(), key=lambda peak: peak.month)
        }

    def restore(self, data: Any) -> None:
        """Restore from :meth:`as_dict` output; skip any malformed month."""
        if not isinstance(data, dict):
            return
        for key, value in data.items():
            try:
                month = date.fromisoformat(key)
            except TypeError, ValueError:
                continue
            if not isinstance(value, dict):
                continue
            power, start = finite_number(value.get("power")), finite_number(value.get("start"))
            if (
                month.day != 1
                or power is None
                or start is None
                or power < 0
                or start != quarter_floor(start)
                or month_of(start, self.zone) != month
            ):
                continue
            self.peaks[month] = MonthPeak(month, power, start, bool(value.get("estimated")))
        if self.peaks:
            self._prune()


def monthly_cost(billed_power: float, yearly_rate: float) -> float:
    """Return what the capacity part of the grid fee costs a month: kW x EUR/kW/year / 12."""
    return billed_power * yearly_rate / 12


def projected_power(energy_so_far: float, import_power: float, seconds_left: float) -> float:
    """Return where a quarter ends if the current import goes on, kW.

    energy_so_far: kWh counted in the quarter up to a moment; import_power: kW at that moment;
    seconds_left: from that moment to the quarter's end.
    """
    seconds_left = min(max(seconds_left, 0.0), QUARTER_SECONDS)
    return (energy_so_far + max(import_power, 0.0) * seconds_left / 3600) * QUARTERS_PER_HOUR


def warning_threshold(month_peak: float | None, margin: float) -> float:
    """Return the projected power above which a new month peak is near, kW.

    Measured against the month's peak, and at least the 2.5 kW every month is billed anyway:
    a quarter below 2.5 kW never costs anything.
    """
    return max(month_peak or 0.0, MIN_MONTH_PEAK_KW) - margin


def peak_warning(projection: float, month_peak: float | None, margin: float) -> bool:
    """Return True while the projected quarter would come within `margin` of a new peak."""
    return projection > warning_threshold(month_peak, margin)
