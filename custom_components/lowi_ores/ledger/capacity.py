"""The capacity part of the ledger: quarter-hour peaks as the Flemish grid fee counts them.

On by default in Flanders, offered (off) elsewhere for households who watch their peaks anyway.
The arithmetic is pure (``billing/quarters.py``, ``billing/capacity.py``); this part feeds it the
import total of each message whose import indexes the counter guard accepted, keeps the running
quarter-hour and the peaks of the running month and the twelve before it in the ledger's Store
(a restart inside a quarter resumes it, a restart never resets a peak), and describes the
entities.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import UnitOfPower
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.event import async_track_utc_time_change
from homeassistant.util import dt as dt_util

from ..billing.capacity import (
    PeakHistory,
    month_of,
    monthly_cost,
    peak_warning,
    projected_power,
    warning_threshold,
)
from ..billing.periods import BRUSSELS
from ..billing.quarters import QUARTER_SECONDS, QuarterAccumulator, quarter_floor
from ..const import (
    CAPACITY_RATE_2026,
    CONF_CAPACITY_RATE,
    CONF_CAPACITY_TARIFF,
    CONF_CAPACITY_WARNING_MARGIN,
    DEFAULT_CAPACITY_WARNING_MARGIN,
    REGION_FLANDERS,
)
from ..coordinator import MeterData
from . import (
    BillingLedger,
    LedgerBinarySensorEntityDescription,
    LedgerPart,
    LedgerSensorEntityDescription,
)

QUARTER_AVERAGE: Final = "quarter_hour_average_power"
QUARTER_PROJECTED: Final = "quarter_hour_projected_power"
MONTH_PEAK: Final = "month_peak_power"
BILLED_POWER: Final = "capacity_billed_power"
COST: Final = "capacity_cost"
PEAK_WARNING: Final = "capacity_peak_warning"
SENSOR_KEYS: Final = frozenset({QUARTER_AVERAGE, QUARTER_PROJECTED, MONTH_PEAK, BILLED_POWER, COST})
BINARY_SENSOR_KEYS: Final = frozenset({PEAK_WARNING})
# The counters hold kWh with three decimals; the message's own values are Wh.
_SAME_KWH: Final = 0.0005


def capacity_enabled(options: Mapping[str, Any], region: str | None) -> bool:
    """Return whether the entry follows the capacity tariff (by default only in Flanders)."""
    return bool(options.get(CONF_CAPACITY_TARIFF, region == REGION_FLANDERS))


def create_part(ledger: BillingLedger) -> CapacityPart | None:
    """Return the part when the entry follows the capacity tariff."""
    if not capacity_enabled(ledger.options, ledger.region):
        return None
    return CapacityPart(ledger)


def fresh_import_total(data: MeterData) -> float | None:
    """Return the import total (kWh) when this message's import indexes were accepted.

    A message without them, or one whose value the counter guard held back, leaves the guarded
    counters at an older level: counted at this message's time, that level would move energy
    in time. Such a message is skipped; the next good one closes the step.
    """
    reading = data.reading
    for key, raw in (
        ("import_day", reading.import_index_day),
        ("import_night", reading.import_index_night),
    ):
        value = data.counters.get(key)
        if raw is None or value is None or abs(value - raw / 1000) > _SAME_KWH:
            return None
    return data.import_total


def capacity_month_peaks(
    ledger: BillingLedger | None,
) -> dict[date, tuple[float, datetime]] | None:
    """Return the month peaks the ledger keeps (kW, quarter start), None without the tariff."""
    for part in ledger.parts if ledger is not None else ():
        if isinstance(part, CapacityPart):
            return {
                month: (peak.power, peak.start_time(BRUSSELS))
                for month, peak in part.history.peaks.items()
            }
    return None


class CapacityPart(LedgerPart):
    """Quarter-hours, month peaks, the billed 12-month mean, its cost and the peak warning."""

    key = "capacity"

    def __init__(self, ledger: BillingLedger) -> None:
        """Read the rate and the warning margin from the entry's options."""
        super().__init__(ledger)
        options = ledger.options
        self.rate = float(options.get(CONF_CAPACITY_RATE, CAPACITY_RATE_2026))
        self.margin = float(
            options.get(CONF_CAPACITY_WARNING_MARGIN, DEFAULT_CAPACITY_WARNING_MARGIN)
        )
        self.quarters = QuarterAccumulator()
        self.history = PeakHistory(BRUSSELS)
        self.power: float | None = None  # kW drawn from the grid at the last message
        self._unsub_tick: CALLBACK_TYPE | None = None

    def restore(self, data: Any) -> None:
        """Take back the running quarter-hour and the month peaks."""
        if not isinstance(data, dict):
            return
        self.quarters.restore(data.get("quarter"))
        self.history.restore(data.get("peaks"))

    def as_dict(self) -> dict[str, Any]:
        """Return the running quarter-hour and the month peaks."""
        return {"quarter": self.quarters.as_dict(), "peaks": self.history.as_dict()}

    async def async_start(self) -> None:
        """Refresh the entities at each quarter-hour, before its first message arrives."""
        self._unsub_tick = async_track_utc_time_change(
            self.ledger.hass, self._async_quarter_started, minute=(0, 15, 30, 45), second=0
        )

    async def async_stop(self) -> None:
        """Stop the quarter-hour refresh."""
        if self._unsub_tick is not None:
            self._unsub_tick()
            self._unsub_tick = None

    @callback
    def _async_quarter_started(self, _now: datetime) -> None:
        self.ledger.async_changed()

    def counters_updated(self, data: MeterData) -> None:
        """Count the import total of a message; a quarter-hour it closes may set a peak."""
        total = fresh_import_total(data)
        if total is None:
            return
        for quarter in self.quarters.add(data.received.timestamp(), total):
            self.history.add(quarter)
        power = data.import_power
        self.power = None if power is None else power / 1000
        self.ledger.async_changed()

    # -- the figures -----------------------------------------------------------------------

    def _live(self) -> bool:
        coordinator = self.ledger.coordinator
        return coordinator.last_update_success and coordinator.data is not None

    def average_power(self) -> float | None:
        """Return the running quarter-hour's energy so far x 4, kW."""
        running = self.quarters.running_at(dt_util.utcnow().timestamp())
        return None if running is None else round(running.average_power, 3)

    def projection(self) -> float | None:
        """Return where the running quarter-hour ends if the current import goes on, kW.

        The energy so far is known up to the last message: the current power fills the rest
        (and the first seconds of a quarter in which the data began).
        """
        running, last_time = self.quarters.running, self.quarters.last_time
        if running is None or last_time is None or self.power is None:
            return None
        if quarter_floor(dt_util.utcnow().timestamp()) > running.start:
            # A new quarter-hour without a message yet: nothing counted in it so far.
            return projected_power(0.0, self.power, QUARTER_SECONDS)
        # Where the data began inside this quarter, its first seconds are not counted either.
        unknown = running.end - last_time + self.quarters.unknown_head
        return projected_power(running.energy, self.power, unknown)

    def _month(self) -> date:
        return month_of(dt_util.utcnow().timestamp(), BRUSSELS)

    def month_peak(self) -> float | None:
        """Return the running month's highest quarter-hour so far, kW."""
        peak = self.history.peak(self._month())
        return None if peak is None else round(peak.power, 3)

    def _peak_attributes(self) -> dict[str, Any]:
        peak = self.history.peak(self._month())
        if peak is None:
            return {}
        return {"peak_start": peak.start_time(BRUSSELS), "estimated": peak.estimated}

    def billed_power(self) -> float:
        """Return the mean of the billed months' peaks (each at least 2.5 kW), kW."""
        return round(self.history.billed_power(self._month()), 3)

    def _billed_attributes(self) -> dict[str, Any]:
        return {
            "months": {
                f"{month:%Y-%m}": round(power, 3)
                for month, power in self.history.billed_months(self._month())
            }
        }

    def cost(self) -> float:
        """Return what the capacity part of the grid fee costs a month, EUR."""
        return round(monthly_cost(self.history.billed_power(self._month()), self.rate), 2)

    def warning(self) -> bool | None:
        """Return True while the projection comes within the margin of a new month peak."""
        projection = self.projection()
        if projection is None:
            return None
        return peak_warning(projection, self.month_peak(), self.margin)

    def _warning_attributes(self) -> dict[str, Any]:
        return {"threshold": round(warning_threshold(self.month_peak(), self.margin), 3)}

    # -- the entities ----------------------------------------------------------------------

    def sensor_descriptions(self) -> tuple[LedgerSensorEntityDescription, ...]:
        """Return the quarter-hour, month peak, billed power and cost sensors."""

        def power(key: str, **kwargs: Any) -> LedgerSensorEntityDescription:
            return LedgerSensorEntityDescription(
                key=key,
                translation_key=key,
                native_unit_of_measurement=UnitOfPower.KILO_WATT,
                device_class=SensorDeviceClass.POWER,
                state_class=SensorStateClass.MEASUREMENT,
                suggested_display_precision=2,
                **kwargs,
            )

        return (
            power(QUARTER_AVERAGE, value_fn=self.average_power, available_fn=self._live),
            power(QUARTER_PROJECTED, value_fn=self.projection, available_fn=self._live),
            power(MONTH_PEAK, value_fn=self.month_peak, attributes_fn=self._peak_attributes),
            power(BILLED_POWER, value_fn=self.billed_power, attributes_fn=self._billed_attributes),
            LedgerSensorEntityDescription(
                key=COST,
                translation_key=COST,
                native_unit_of_measurement="EUR",
                device_class=SensorDeviceClass.MONETARY,
                suggested_display_precision=2,
                value_fn=self.cost,
            ),
        )

    def binary_sensor_descriptions(self) -> tuple[LedgerBinarySensorEntityDescription, ...]:
        """Return the peak warning."""
        return (
            LedgerBinarySensorEntityDescription(
                key=PEAK_WARNING,
                translation_key=PEAK_WARNING,
                is_on_fn=self.warning,
                attributes_fn=self._warning_attributes,
                available_fn=self._live,
            ),
        )
