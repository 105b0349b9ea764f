"""Push coordinator: owns the MQTT subscription, the counter guards and availability."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import logging
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .channels import ChannelManager
from .const import (
    CHANNEL_TOPIC_FORMAT,
    CONF_CURRENT_SCALE,
    CONF_GAS_UNIT,
    CONF_IDENT,
    CONF_IGNORED_CHANNELS,
    CONF_TARIFF_CODES,
    CONF_TIMEOUT,
    CONF_WATER_UNIT,
    CURRENT_DIVISORS,
    CURRENT_SCALE_AUTO,
    DEFAULT_CURRENT_SCALE,
    DEFAULT_GAS_UNIT,
    DEFAULT_TARIFF_CODES,
    DEFAULT_TIMEOUT,
    DEFAULT_WATER_UNIT,
    DOMAIN,
    INDEX_GUARD_MARGIN_WH,
    LAST_CHANNEL,
    MAX_HOME_POWER_W,
    MAX_PLAUSIBLE_POWER_W,
    METER_TOPIC_FORMAT,
    STORAGE_SAVE_DELAY,
    STORAGE_VERSION,
    TARIFF_CODE_MAPS,
    VOLUME_DIVISORS,
)
from .counter_guard import CounterGuard, CounterLimits
from .counters import GuardedCounters
from .current_scale import CurrentScaleEstimator
from .discovery import async_subscribe_meter
from .parser import Reading, Rejected, parse_payload
from .problem_log import ProblemLog, RejectionLog
from .push import PushCoordinator
from .repairs import (
    async_clear_counter_behind,
    async_clear_current_scale,
    async_report_counter_behind,
    async_report_current_scale,
    async_report_rejections,
)

if TYPE_CHECKING:
    from .data import LowiData

_LOGGER = logging.getLogger(__name__)

type LowiConfigEntry = ConfigEntry[LowiData]

# Physical bounds of the volume counters, in their final units per hour (electricity's is
# MAX_HOME_POWER_W): a G10 gas meter at 16 m3/h; a home water meter well below 10 m3/h.
MAX_GAS_FLOW_M3_H: Final = 16.0
MAX_WATER_FLOW_M3_H: Final = 10.0

ENERGY_COUNTERS: Final = ("import_day", "import_night", "export_day", "export_night")
VOLUME_COUNTERS: Final = ("gas", "water")
# Counter key -> the Reading attribute it is fed from.
COUNTER_SOURCES: Final = {
    "import_day": "import_index_day",
    "import_night": "import_index_night",
    "export_day": "export_index_day",
    "export_night": "export_index_night",
    "gas": "gas_index",
    "water": "water_index",
}

# The counters' values of a reading, in COUNTER_SOURCES's order.
_counter_values: Final = attrgetter(*COUNTER_SOURCES.values())


# Not frozen, for the same reason as Reading: one per message. Nothing changes it once pushed.
@dataclass(slots=True)
class MeterData:
    """What the entities show: the last valid reading, in Home Assistant's units."""

    reading: Reading
    received: datetime
    # Guarded counters in kWh (electricity) and m3 (gas, water); None until accepted.
    counters: Mapping[str, float | None]
    # The counters added up, kWh (None while either is unknown): entities, ledger and export.
    import_total: float | None  # day + night
    export_total: float | None  # day + night
    net_index: float | None  # import total minus export total
    current: float | None
    current_scale: str
    tariff: str | None
    # The reading's powers, W (those of an impossible value dropped), and import minus export
    # (negative while exporting; None while either is unknown). Fields, not properties: the
    # sensors read them for every message.
    import_power: float | None
    export_power: float | None
    net_power: float | None


def index_totals(
    counters: Mapping[str, float | None],
) -> tuple[float | None, float | None, float | None]:
    """Return the import total, the export total (day + night) and the net index, kWh.

    Each rounded to the counters' Wh; None while a counter it needs is unknown.
    """
    import_day, import_night = counters.get("import_day"), counters.get("import_night")
    export_day, export_night = counters.get("export_day"), counters.get("export_night")
    imported = (
        None if import_day is None or import_night is None else round(import_day + import_night, 3)
    )
    exported = (
        None if export_day is None or export_night is None else round(export_day + export_night, 3)
    )
    net = None if imported is None or exported is None else round(imported - exported, 3)
    return imported, exported, net


def _clock() -> float:
    """Return the time, in seconds, as the guards and the logs count it."""
    return dt_util.utcnow().timestamp()


def guard_store(hass: HomeAssistant, entry: ConfigEntry) -> Store[dict[str, Any]]:
    """Return the store of an entry's counter guards."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}")


class LowiCoordinator(PushCoordinator[MeterData | None]):
    """Receives a LoWi3's P1 messages and keeps what its entities show."""

    config_entry: LowiConfigEntry

    def __init__(self, hass: HomeAssistant, entry: LowiConfigEntry) -> None:
        """Initialize from the config entry's data and options."""
        super().__init__(hass, _LOGGER, config_entry=entry, name=DOMAIN, update_interval=None)
        self.ident: str = entry.data[CONF_IDENT]
        self.topic = METER_TOPIC_FORMAT.format(ident=self.ident)
        options = entry.options
        self.timeout = timedelta(seconds=options.get(CONF_TIMEOUT, DEFAULT_TIMEOUT.total_seconds()))
        self.current_setting: str = options.get(CONF_CURRENT_SCALE, CURRENT_SCALE_AUTO)
        self.tariff_codes = TARIFF_CODE_MAPS[options.get(CONF_TARIFF_CODES, DEFAULT_TARIFF_CODES)]
        self.volume_divisors = {
            "gas": VOLUME_DIVISORS[options.get(CONF_GAS_UNIT, DEFAULT_GAS_UNIT)],
            "water": VOLUME_DIVISORS[options.get(CONF_WATER_UNIT, DEFAULT_WATER_UNIT)],
        }
        # Guards work on the values as sent, so a change of unit option keeps their state.
        guards = {
            key: CounterGuard(CounterLimits(MAX_HOME_POWER_W, INDEX_GUARD_MARGIN_WH, 1.0))
            for key in ENERGY_COUNTERS
        } | {
            key: CounterGuard(
                CounterLimits(
                    max_rate * self.volume_divisors[key],
                    0.05 * self.volume_divisors[key],
                    0.001 * self.volume_divisors[key],
                )
            )
            for key, max_rate in (("gas", MAX_GAS_FLOW_M3_H), ("water", MAX_WATER_FLOW_M3_H))
        }
        self.counters = GuardedCounters(
            guards,
            dict.fromkeys(ENERGY_COUNTERS, 1000.0) | self.volume_divisors,
            logger=_LOGGER,
            clock=_clock,
            ident=self.ident,
            on_behind=self._counter_behind,
        )
        self.guards = self.counters.guards
        self.current_estimator = CurrentScaleEstimator()
        self.rejections = RejectionLog(
            _LOGGER, _clock, f"invalid messages from LoWi3 {self.ident}", self._rejections_changed
        )
        self.implausible_log = ProblemLog(
            _LOGGER, _clock, f"impossible powers from LoWi3 {self.ident}"
        )
        self.connected = True
        self.channels = ChannelManager(
            self, (int(number) for number in options.get(CONF_IGNORED_CHANNELS, []))
        )
        self._store = guard_store(hass, entry)
        self._unsubscribes: list[CALLBACK_TYPE] = []
        # Messages received since the start, valid or not, by channel (0 = CH0): diagnostics.
        self.messages_received = [0] * (LAST_CHANNEL + 1)
        self._cancel_timeout: CALLBACK_TYPE | None = None
        # When the last valid message came (or watching started), for the availability timer.
        self._last_valid = dt_util.utcnow()
        self._unavailable_logged = False
        self._save_pending = False
        self._reported_estimate: str | None = None

    async def async_start(self) -> None:
        """Restore the guards, subscribe, and start watching for silence."""
        stored = await self._store.async_load()
        self.counters.restore((stored or {}).get("guards"), _clock())
        self.channels.restore((stored or {}).get("channels"))
        # A stored issue about invalid messages comes back after an hour if still true.
        async_report_rejections(self.hass, self.config_entry.entry_id, "", None)
        # CH0 comes through the discovery subscription (one broker subscription for all dongles'
        # CH0); each channel through its own exact topic, which no other subscription matches.
        self._unsubscribes.append(
            await async_subscribe_meter(self.hass, self.topic, self._async_message_received)
        )
        for number in self.channels.followed():
            self._unsubscribes.append(
                await mqtt.async_subscribe(
                    self.hass,
                    CHANNEL_TOPIC_FORMAT.format(ident=self.ident, number=number),
                    self.channels.message_handler(number),
                    qos=0,
                    encoding=None,
                )
            )
        await self.channels.async_start()
        self.config_entry.async_on_unload(
            mqtt.async_subscribe_connection_status(self.hass, self._async_connection_changed)
        )
        self._last_valid = dt_util.utcnow()
        self._schedule_timeout(self.timeout)
        if self.current_setting == CURRENT_SCALE_AUTO:
            # The user went back to automatic: nothing left to contradict.
            async_clear_current_scale(self.hass, self.config_entry.entry_id)

    async def async_stop(self) -> None:
        """Unsubscribe and save the guards."""
        while self._unsubscribes:
            self._unsubscribes.pop()()
        if self._cancel_timeout:
            self._cancel_timeout()
            self._cancel_timeout = None
        await self._store.async_save(self._stored_data())

    def _stored_data(self) -> dict[str, Any]:
        self._save_pending = False
        return {"guards": self.counters.as_dict(), "channels": self.channels.as_stored()}

    @callback
    def async_schedule_save(self) -> None:
        """Save the guards and channels within STORAGE_SAVE_DELAY.

        Rescheduling a delayed save on every message would postpone it for ever: one pending
        save at a time, which writes the state as it is when it runs.
        """
        if not self._save_pending:
            self._save_pending = True
            self._store.async_delay_save(self._stored_data, STORAGE_SAVE_DELAY)

    @property
    def current_scale(self) -> str:
        """Return the scale of the current field in use."""
        if self.current_setting != CURRENT_SCALE_AUTO:
            return self.current_setting
        return self.current_estimator.scale or DEFAULT_CURRENT_SCALE

    @property
    def current_divisor(self) -> float:
        """Return the divisor that turns the current field into amperes."""
        return CURRENT_DIVISORS[self.current_scale]

    @callback
    def _async_message_received(self, msg: mqtt.ReceiveMessage) -> None:
        self.messages_received[0] += 1
        result = parse_payload(msg.payload)
        if isinstance(result, Rejected):
            self.rejections.record(msg.topic, result.reason)
            return
        now = dt_util.utcnow()
        timestamp = now.timestamp()
        self.rejections.valid_message(timestamp)
        self._async_process(result, now, timestamp)

    @callback
    def _async_process(self, reading: Reading, now: datetime, timestamp: float) -> None:
        if (reading.import_power or 0.0) > MAX_PLAUSIBLE_POWER_W or (
            reading.export_power or 0.0
        ) > MAX_PLAUSIBLE_POWER_W:
            reading = self._drop_implausible_power(reading)
        else:
            self.implausible_log.clear()
        import_power, export_power = reading.import_power, reading.export_power
        counters = self._guard_counters(reading, timestamp)
        import_total, export_total, net_index = index_totals(counters)
        self.current_estimator.add(
            reading.voltage, reading.current_raw, (import_power or 0.0) + (export_power or 0.0)
        )
        if self.current_setting != CURRENT_SCALE_AUTO:
            self._check_current_setting()
        scale = self.current_scale
        current = (
            None
            if reading.current_raw is None
            else round(reading.current_raw / CURRENT_DIVISORS[scale], 3)
        )
        tariff = None if reading.tariff_code is None else self.tariff_codes.get(reading.tariff_code)
        if self._unavailable_logged:
            _LOGGER.info("LoWi3 %s is sending valid messages again", self.ident)
            self._unavailable_logged = False
        # The timer is not moved for every message: when it fires it looks at this time.
        self._last_valid = now
        if self._cancel_timeout is None:
            self._schedule_timeout(self.timeout)
        self.async_push(
            MeterData(
                reading=reading,
                received=now,
                counters=counters,
                import_total=import_total,
                export_total=export_total,
                net_index=net_index,
                current=current,
                current_scale=scale,
                tariff=tariff,
                import_power=import_power,
                export_power=export_power,
                net_power=(
                    None
                    if import_power is None or export_power is None
                    else import_power - export_power
                ),
            )
        )

    @callback
    def _check_current_setting(self) -> None:
        """Tell the user when the readings contradict the current unit they chose (not auto)."""
        estimate = self.current_estimator.scale
        if estimate != self._reported_estimate:
            self._reported_estimate = estimate
            async_report_current_scale(
                self.hass,
                self.config_entry.entry_id,
                self.config_entry.title,
                estimate,
                self.current_setting,
            )

    def _drop_implausible_power(self, reading: Reading) -> Reading:
        """Return the reading without its impossible power(s), logged (boundedly)."""
        powers = (("import_power", reading.import_power), ("export_power", reading.export_power))
        changes: dict[str, None] = {
            name: None for name, power in powers if (power or 0) > MAX_PLAUSIBLE_POWER_W
        }
        for name in changes:
            self.implausible_log.report(
                name,
                "Ignored an impossible power from LoWi3 %s: %s %s W",
                self.ident,
                name,
                getattr(reading, name),
            )
        return replace(reading, **changes)

    def _guard_counters(self, reading: Reading, now: float) -> Mapping[str, float | None]:
        """Offer the message's counters to their guards; return what the sensors show."""
        raws = dict(zip(COUNTER_SOURCES, _counter_values(reading), strict=True))
        shown = self.counters.offer(raws, now)
        if not self._save_pending and self.counters.started:
            self.async_schedule_save()
        return shown

    @callback
    def _counter_behind(self, key: str, figures: tuple[float, float] | None) -> None:
        entry = self.config_entry
        if figures is None:
            async_clear_counter_behind(self.hass, entry.entry_id, key)
        else:
            async_report_counter_behind(
                self.hass, entry.entry_id, entry.title, key, kept=figures[0], meter=figures[1]
            )

    @callback
    def _rejections_changed(self, too_many: bool, rejected: int, messages: int) -> None:
        async_report_rejections(
            self.hass,
            self.config_entry.entry_id,
            self.config_entry.title,
            (rejected, messages) if too_many else None,
        )

    @callback
    def _schedule_timeout(self, delay: timedelta) -> None:
        self._cancel_timeout = async_call_later(self.hass, delay, self._async_timed_out)

    @callback
    def _async_timed_out(self, now: datetime) -> None:
        """Turn unavailable after a silence of the timeout; else wait for the rest of it."""
        self._cancel_timeout = None
        if (remaining := self._last_valid + self.timeout - now) > timedelta(0):
            self._schedule_timeout(remaining)
            return
        self._set_unavailable(f"no valid message for {int(self.timeout.total_seconds())} seconds")

    @callback
    def _async_connection_changed(self, connected: bool) -> None:
        self.connected = connected
        if not connected:
            self._set_unavailable("the MQTT broker is disconnected")

    @callback
    def _set_unavailable(self, why: str) -> None:
        if not self._unavailable_logged:
            _LOGGER.info("LoWi3 %s is unavailable: %s", self.ident, why)
            self._unavailable_logged = True
        if self.last_update_success:
            self.last_update_success = False
            self.async_update_listeners()
