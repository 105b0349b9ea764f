"""What the energy costs and earns: the ledger part behind the price and money sensors.

The arithmetic is in ``billing/prices.py`` (contracts, spot prices, the cost book) and
``billing/quarters.py`` (the quarter-hour slots); this part feeds them and keeps their state:

* fixed and day/night contracts price each rise of the meter's own day and night registers;
* band and dynamic contracts price quarter-hour slots, closed by the import and export indexes;
  a dynamic slot's spot price is the spot sensor's value at the slot's midpoint (the mean of the
  hour's four for an hourly contract);
* a slot whose spot price is missing waits; the recorder's history of the spot sensor is asked
  for it once the sensor is back; still without a price 24 hours after its end, it is left out
  and listed in a repair issue (when, how much energy), never priced at zero without a word;
* with the recorder loaded, each finished clock hour of a band or dynamic contract (its slots
  all priced or given up on: ``billing/hourly.py``) is written to two long-term statistics of the
  integration's own (``lowi_ores:<ident>_import_cost_hourly`` and
  ``..._export_revenue_hourly``, EUR, the hour's money as ``state`` and the running total as
  ``sum``). The recorder keeps them for good, unlike the states the quarter-hours were measured
  from, so an export's older hour, day and month rows keep the money the ledger counted.
  Register contracts need none: their rows price the rises of the registers' own statistics.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
import logging
from typing import Any, Final

from homeassistant.components.recorder import history
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
)
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, State, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event, async_track_time_change
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util, slugify

from ..billing.hourly import HourlyMoney, HourMoney, Recorded
from ..billing.prices import (
    GIVE_UP_SECONDS,
    Contract,
    CostBook,
    PendingSlot,
    PriceModel,
    PriceSettingError,
    SlotPrice,
    SpotTimeline,
    contract_from_options,
    contract_slot_start,
    dynamic_price,
    missing_sample_times,
    spot_in_eur_per_mwh,
)
from ..billing.quarters import BRUSSELS, QuarterAccumulator
from ..const import (
    CONF_IDENT,
    CONF_SPOT_ENTITY,
    CURRENCY_EUR,
    DOMAIN,
    PRICE_UNIT,
    TARIFF_NIGHT,
)
from ..coordinator import MeterData
from . import BillingLedger, LedgerPart, LedgerSensorEntityDescription

_LOGGER = logging.getLogger(__name__)

SENSOR_KEYS: Final = ("buy_price", "sell_price", "import_cost", "export_revenue", "net_cost")
# Ask the recorder at most this often for missing spot prices.
HISTORY_RETRY: Final = timedelta(minutes=15)
# A slot left out stays listed in the repair issue for a week.
UNPRICED_LISTED_FOR: Final = timedelta(days=7)
MAX_SLOTS_IN_ISSUE: Final = 12
REGISTERS: Final = (("import", "day"), ("import", "night"), ("export", "day"), ("export", "night"))


def unpriced_issue_id(entry_id: str) -> str:
    """Return the id of an entry's "slots without a price" repair issue."""
    return f"unpriced_slots_{entry_id}"


def money_statistic_ids(ident: str) -> tuple[str, str]:
    """Return the ids of a dongle's hourly import cost and export revenue statistics."""
    object_id = slugify(ident)
    return (
        f"{DOMAIN}:{object_id}_import_cost_hourly",
        f"{DOMAIN}:{object_id}_export_revenue_hourly",
    )


def create_part(ledger: BillingLedger) -> CostsPart | None:
    """Return the costs part when the options choose a price model."""
    try:
        contract = contract_from_options(ledger.options)
    except PriceSettingError as err:
        # The form refuses bad values; only a hand-edited or outdated entry gets here.
        _LOGGER.warning("%s: the price settings cannot be used (%s)", ledger.entry.title, err)
        return None
    if contract.model is PriceModel.NONE:
        return None
    return CostsPart(ledger, contract)


def _money(value: float) -> float:
    return round(value, 4)


class CostsPart(LedgerPart):
    """Import cost, export revenue and the prices in force, for one meter."""

    key = "costs"

    def __init__(self, ledger: BillingLedger, contract: Contract) -> None:
        """Start from zero with a contract."""
        super().__init__(ledger)
        self.contract = contract
        self.book = CostBook()
        self.timeline = SpotTimeline()
        self.imports = QuarterAccumulator()
        self.exports = QuarterAccumulator()
        self.spot_entity: str | None = ledger.options.get(CONF_SPOT_ENTITY)
        self._unsubs: list[CALLBACK_TYPE] = []
        self._nonsense_logged = False
        self._history_asked: float | None = None
        self._unpriced_reported = False
        self._tariff: str | None = None
        self.hourly = HourlyMoney()
        # Hours are written once the recorder's last ones are read (None: no recorder).
        self._statistics_ready: bool | None = None
        self.statistic_ids = money_statistic_ids(str(ledger.entry.data[CONF_IDENT]))
        self._statistic_names: tuple[str, ...] = ("", "")  # set before the first write

    # --- state -----------------------------------------------------------------------------

    def _signature(self) -> dict[str, Any]:
        """Return what the stored state was computed for: another contract starts afresh."""
        return {"model": self.contract.model.value, "spot_entity": self.spot_entity}

    def as_dict(self) -> dict[str, Any]:
        """Return what must survive a restart."""
        return {
            "signature": self._signature(),
            "book": self.book.as_dict(),
            "timeline": self.timeline.as_dict(),
            "imports": self.imports.as_dict(),
            "exports": self.exports.as_dict(),
            "hourly": self.hourly.as_dict(),
        }

    def restore(self, data: Any) -> None:
        """Take back the stored state; the totals carry on across a change of prices."""
        if not isinstance(data, dict):
            return
        self.book.restore(data.get("book"))
        # The hours' money is money counted, as the totals: it carries on too.
        self.hourly.restore(data.get("hourly"))
        if data.get("signature") != self._signature():
            # New prices, or another kind of contract: the totals carry on (they are money
            # already counted); what waits for a price under the old terms is priced under
            # the new ones (a contract priced by registers has no slots: they are dropped), the
            # quarter-hours and the spot history start over.
            self.book.registers = {}
            if not self.contract.by_slot:
                self.book.pending = []
            return
        self.timeline.restore(data.get("timeline"))
        self.imports.restore(data.get("imports"))
        self.exports.restore(data.get("exports"))

    # --- life cycle ------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Follow the spot sensor and the clock (prices change at quarter-hour boundaries)."""
        hass = self.ledger.hass
        now = dt_util.utcnow().timestamp()
        if self.contract.model is PriceModel.DYNAMIC and self.spot_entity:
            self.timeline.resume(now)
            self._unsubs.append(
                async_track_state_change_event(hass, self.spot_entity, self._async_spot_changed)
            )
            if (state := hass.states.get(self.spot_entity)) is not None:
                self._record_spot(state, now)
        self._unsubs.append(
            async_track_time_change(hass, self._async_boundary, minute=(0, 15, 30, 45), second=1)
        )
        if self.contract.by_slot and "recorder" in hass.config.components:
            self._statistics_ready = False
            # Canceled with the entry, should the recorder never get ready.
            self.ledger.entry.async_create_background_task(
                hass, self._async_resume_statistics(), "lowi_ores hourly money statistics"
            )
        self._settle(now)

    async def _async_resume_statistics(self) -> None:
        """Read the last hour of each statistic, then write the finished hours from there."""
        hass, title = self.ledger.hass, self.ledger.entry.title
        instance = get_instance(hass)
        if not await instance.async_db_ready:
            return
        # Named in Home Assistant's language (the statistics list shows the names).
        names = await async_get_translations(hass, hass.config.language, "entity", {DOMAIN})
        prefix = f"component.{DOMAIN}.entity.sensor."
        self._statistic_names = tuple(
            f"{title} {names.get(f'{prefix}{key}_hourly.name', key)}"
            for key in ("import_cost", "export_revenue")
        )
        recorded = [
            await instance.async_add_executor_job(self._last_recorded, statistic_id)
            for statistic_id in self.statistic_ids
        ]
        self.hourly.resume(*recorded)
        self._statistics_ready = True
        self._write_hours()
        self.ledger.async_changed()

    def _last_recorded(self, statistic_id: str) -> Recorded | None:
        """Return a statistic's last hour and sum (in the recorder's executor)."""
        rows = get_last_statistics(self.ledger.hass, 1, statistic_id, False, {"sum"})
        last = rows.get(statistic_id, [{}])[0]
        total = last.get("sum")
        return None if total is None else Recorded(last["start"], total)

    def _write_hours(self) -> None:
        """Write the finished hours to the statistics, oldest first."""
        if not self._statistics_ready:
            return
        running = [
            accumulator.quarter
            for accumulator in (self.imports, self.exports)
            if accumulator.quarter is not None
        ]
        hours = self.hourly.finished(
            min(running, default=None), [slot.start for slot in self.book.pending]
        )
        if not hours:
            return
        hass = self.ledger.hass
        import_id, export_id = self.statistic_ids
        import_name, export_name = self._statistic_names
        async_add_external_statistics(
            hass,
            _money_metadata(import_id, import_name),
            [_statistic(hour, hour.import_cost, hour.import_sum) for hour in hours],
        )
        async_add_external_statistics(
            hass,
            _money_metadata(export_id, export_name),
            [_statistic(hour, hour.export_revenue, hour.export_sum) for hour in hours],
        )

    async def async_stop(self) -> None:
        """Stop following."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()

    # --- inputs ----------------------------------------------------------------------------

    def counters_updated(self, data: MeterData) -> None:
        """Price what the meter counted since the last message."""
        now = data.received.timestamp()
        self._tariff = data.tariff
        if self.contract.by_register:
            for kind, register in REGISTERS:
                value = data.counters.get(f"{kind}_{register}")
                if value is None:
                    continue
                prices = self.contract.register_prices(register)
                price = prices.buy if kind == "import" else prices.sell
                self.book.add_register(register, kind, value, price)
        else:
            if (imported := data.import_total) is not None:
                for quarter in self.imports.add(now, imported):
                    self.book.add_import(quarter.start, quarter.energy, estimated=quarter.estimated)
            if (exported := data.export_total) is not None:
                for quarter in self.exports.add(now, exported):
                    self.book.add_export(quarter.start, quarter.energy, estimated=quarter.estimated)
            if self.contract.model is PriceModel.DYNAMIC and self._spot_followed():
                self.timeline.follow_until(now)
            self._settle(now)
        self.ledger.async_changed()

    def _spot_followed(self) -> bool:
        """Return True while the spot sensor exists (its last state is in force)."""
        return self.spot_entity is not None and bool(self._unsubs)

    @callback
    def _async_spot_changed(self, event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        now = dt_util.utcnow().timestamp()
        if state is None:  # removed
            self.timeline.record(now, None)
            return
        self._record_spot(state, state.last_updated.timestamp())
        self._settle(now)
        self.ledger.async_changed()

    def _record_spot(self, state: State, moment: float) -> None:
        value = spot_in_eur_per_mwh(state.state, state.attributes.get(ATTR_UNIT_OF_MEASUREMENT))
        if value is None and state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            if not self._nonsense_logged:
                _LOGGER.warning(
                    "%s: the spot price sensor %s shows %r (%s), which is not a price; its "
                    "slots wait for a valid one",
                    self.ledger.entry.title,
                    self.spot_entity,
                    state.state[:40],
                    state.attributes.get(ATTR_UNIT_OF_MEASUREMENT),
                )
                self._nonsense_logged = True
        elif value is not None and self._nonsense_logged:
            _LOGGER.info("%s: the spot price sensor shows prices again", self.ledger.entry.title)
            self._nonsense_logged = False
        self.timeline.record(moment, value)

    @callback
    def _async_boundary(self, now: datetime) -> None:
        """Settle what waits at each new slot (the price in force changed)."""
        moment = now.timestamp()
        if self.contract.model is PriceModel.DYNAMIC and self._spot_followed():
            self.timeline.follow_until(moment)
        self._settle(moment)
        self.ledger.async_changed()

    # --- pricing ---------------------------------------------------------------------------

    def _slot_price(self, start: float) -> SlotPrice | None:
        if self.contract.model is PriceModel.BANDS:
            return self.contract.band_prices(datetime.fromtimestamp(start, BRUSSELS))
        return dynamic_price(self.contract, self.timeline, start)

    def _settle(self, now: float) -> None:
        if not self.contract.by_slot:
            return
        priced, given_up = self.book.settle(self._slot_price, now)
        if self._statistics_ready is not None:
            for slot in priced:
                self.hourly.add(slot.start, slot.import_cost, slot.export_revenue)
            self._write_hours()
        if given_up:
            _LOGGER.warning(
                "%s: %s quarter-hour(s) from %s had no spot price after 24 hours and are left "
                "out of the costs",
                self.ledger.entry.title,
                len(given_up),
                datetime.fromtimestamp(given_up[0].start, BRUSSELS).isoformat(),
            )
        expired = self.book.expire_unpriced(now - UNPRICED_LISTED_FOR.total_seconds())
        # The repair issue follows the list of slots left out: raised or cleared once at
        # start, then only when that list changes, not for every message.
        if given_up or expired or not self._unpriced_reported:
            self._unpriced_reported = True
            self._report_unpriced()
        if self.book.pending and self.contract.model is PriceModel.DYNAMIC:
            self._ask_history(now)

    def _ask_history(self, now: float) -> None:
        """Ask the recorder for missing spot values, at most every HISTORY_RETRY."""
        if self.spot_entity is None or "recorder" not in self.ledger.hass.config.components:
            return
        if self.timeline.known_until is None or (
            self.timeline.value_at(self.timeline.known_until) is None
        ):
            return  # the sensor is not back yet
        if self._history_asked is not None and now - self._history_asked < (
            HISTORY_RETRY.total_seconds()
        ):
            return
        missing = missing_sample_times(
            self.contract, self.timeline, [slot.start for slot in self.book.pending]
        )
        if not missing:
            return
        self._history_asked = now
        self.ledger.entry.async_create_task(
            self.ledger.hass,
            self._async_fill_from_history(missing),
            "lowi_ores spot price history",
            eager_start=False,
        )

    async def _async_fill_from_history(self, moments: list[float]) -> None:
        """Read the spot sensor's recorded states around the moments; settle what they price."""
        entity_id = self.spot_entity
        if entity_id is None:
            return
        hass = self.ledger.hass
        start = datetime.fromtimestamp(moments[0], UTC)
        end = datetime.fromtimestamp(moments[-1], UTC) + timedelta(seconds=1)
        states = await get_instance(hass).async_add_executor_job(
            history.state_changes_during_period, hass, start, end, entity_id
        )
        recorded = states.get(entity_id.lower(), [])
        filled = 0
        for moment in moments:
            shown = [state for state in recorded if state.last_updated.timestamp() <= moment]
            if not shown:
                continue
            state = shown[-1]
            unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
            value = spot_in_eur_per_mwh(state.state, unit)
            if value is not None and self.timeline.fill(moment, value):
                filled += 1
        _LOGGER.debug(
            "%s: %s of %s missing spot values found in the recorder",
            self.ledger.entry.title,
            filled,
            len(moments),
        )
        if filled:
            self._settle(dt_util.utcnow().timestamp())
            self.ledger.async_changed()

    def _report_unpriced(self) -> None:
        hass, entry = self.ledger.hass, self.ledger.entry
        if not self.book.unpriced:
            ir.async_delete_issue(hass, DOMAIN, unpriced_issue_id(entry.entry_id))
            return
        slots = self.book.unpriced
        ir.async_create_issue(
            hass,
            DOMAIN,
            unpriced_issue_id(entry.entry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="unpriced_slots",
            translation_placeholders={
                "title": entry.title,
                "entity": self.spot_entity or "",
                "count": str(len(slots)),
                "slots": _describe(slots),
                "imported": f"{sum(slot.imported for slot in slots):.3f}",
                "exported": f"{sum(slot.exported for slot in slots):.3f}",
            },
        )

    # --- what the sensors show -------------------------------------------------------------

    def prices_now(self) -> SlotPrice | None:
        """Return the prices in force now."""
        now = dt_util.utcnow()
        model = self.contract.model
        if model is PriceModel.FIXED:
            return self.contract.register_prices("day")
        if model is PriceModel.DAY_NIGHT:
            if self._tariff is None:
                return None
            return self.contract.register_prices("night" if self._tariff == TARIFF_NIGHT else "day")
        if model is PriceModel.BANDS:
            return self.contract.band_prices(now.astimezone(BRUSSELS))
        spot = self.timeline.value_at(self.timeline.known_until or 0.0)
        if spot is None:
            return None
        return self.contract.spot_prices(spot)

    def _buy(self) -> float | None:
        prices = self.prices_now()
        return None if prices is None else round(prices.buy, 5)

    def _sell(self) -> float | None:
        prices = self.prices_now()
        return None if prices is None else round(prices.sell, 5)

    def _price_attributes(self) -> Mapping[str, Any]:
        attributes: dict[str, Any] = {}
        if self.contract.model is PriceModel.DYNAMIC:
            prices = self.prices_now()
            attributes["spot_price"] = None if prices is None else prices.spot
            attributes["resolution"] = self.contract.resolution
            now = dt_util.utcnow().timestamp()
            slot = contract_slot_start(now, self.contract.resolution)
            attributes["slot_start"] = datetime.fromtimestamp(slot, BRUSSELS).isoformat()
        elif self.contract.model is PriceModel.BANDS and self.contract.schedule is not None:
            attributes["band"] = self.contract.schedule.band_at(dt_util.now(BRUSSELS))
        return attributes

    def _money_attributes(self, side: str) -> Mapping[str, Any]:
        """Return the attributes of the import cost ("import") or export revenue ("export")."""
        book = self.book
        unpriced = book.unpriced_imported if side == "import" else book.unpriced_exported
        attributes: dict[str, Any] = {
            "slots_waiting_for_a_price": len(book.pending),
            "energy_left_out_kwh": round(unpriced, 3),
        }
        if book.last is not None:
            attributes["last_slot"] = datetime.fromtimestamp(book.last.start, BRUSSELS).isoformat()
            if side == "import":
                attributes["last_slot_cost"] = _money(book.last.import_cost)
            else:
                attributes["last_slot_revenue"] = _money(book.last.export_revenue)
        return attributes

    def sensor_descriptions(self) -> tuple[LedgerSensorEntityDescription, ...]:
        """Return the two prices in force and the three money totals."""

        def price(key: str, value_fn: Any) -> LedgerSensorEntityDescription:
            return LedgerSensorEntityDescription(
                key=key,
                translation_key=key,
                native_unit_of_measurement=PRICE_UNIT,
                suggested_display_precision=4,
                value_fn=value_fn,
                attributes_fn=self._price_attributes,
            )

        def money(key: str, value_fn: Any, attributes_fn: Any) -> LedgerSensorEntityDescription:
            return LedgerSensorEntityDescription(
                key=key,
                translation_key=key,
                native_unit_of_measurement=CURRENCY_EUR,
                device_class=SensorDeviceClass.MONETARY,
                state_class=SensorStateClass.TOTAL,
                suggested_display_precision=2,
                value_fn=value_fn,
                attributes_fn=attributes_fn,
            )

        return (
            price("buy_price", self._buy),
            price("sell_price", self._sell),
            money(
                "import_cost",
                lambda: _money(self.book.import_cost),
                lambda: self._money_attributes("import"),
            ),
            money(
                "export_revenue",
                lambda: _money(self.book.export_revenue),
                lambda: self._money_attributes("export"),
            ),
            money("net_cost", lambda: _money(self.book.net_cost), None),
        )


def _money_metadata(statistic_id: str, name: str) -> StatisticMetaData:
    return {
        "mean_type": StatisticMeanType.NONE,
        "has_sum": True,
        "name": name,
        "source": DOMAIN,
        "statistic_id": statistic_id,
        "unit_class": None,
        "unit_of_measurement": CURRENCY_EUR,
    }


def _statistic(hour: HourMoney, money: float, total: float) -> StatisticData:
    return {"start": datetime.fromtimestamp(hour.start, UTC), "state": money, "sum": total}


def _describe(slots: list[PendingSlot]) -> str:
    """Return the slots as local times, the last ones first when there are many."""
    shown = slots[-MAX_SLOTS_IN_ISSUE:]
    text = ", ".join(
        datetime.fromtimestamp(slot.start, BRUSSELS).strftime("%Y-%m-%d %H:%M") for slot in shown
    )
    if len(slots) > len(shown):
        text = f"… {text}"
    return text


__all__ = [
    "GIVE_UP_SECONDS",
    "SENSOR_KEYS",
    "CostsPart",
    "create_part",
    "money_statistic_ids",
    "unpriced_issue_id",
]
