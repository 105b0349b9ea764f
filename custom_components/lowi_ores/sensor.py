"""Sensors of a LoWi3: grid power, meter indexes, gas, water, voltage, current, tariff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfVolume,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .channel_state import (
    CURRENT,
    ENERGY_DAY,
    ENERGY_HOUR,
    ENERGY_MONTH,
    INDEX_HIGH,
    INDEX_LOW,
    INDEX_TOTAL,
    POWER,
    RSSI,
    VOLTAGE,
)
from .channels import LowiChannel
from .const import (
    CONF_POWER_INTERVAL,
    CURRENT_SCALE_CENTI,
    CURRENT_SCALE_MILLI,
    DEFAULT_POWER_INTERVAL,
    DOMAIN,
    INDEX_CLOSING_SECONDS,
    INDEX_INTERVAL_SECONDS,
    STATISTICS_PERIOD_SECONDS,
    TARIFF_DAY,
    TARIFF_NIGHT,
)
from .coordinator import LowiConfigEntry, LowiCoordinator, MeterData
from .entity import LowiChannelEntity, LowiEntity
from .ledger.parts import LEDGER_SENSOR_KEYS
from .ledger.sensor import LedgerSensor
from .publishing import Publisher, ThinnedIndex, TimeWeightedMean
from .push import ValueWatch

# Push updates: no polling, no parallel limit needed.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class LowiSensorEntityDescription(SensorEntityDescription):
    """A LoWi3 sensor: how to read its value from the meter data."""

    value_fn: Callable[[MeterData], StateType | datetime]
    # For optional meters (gas, water): created only once the dongle reports them.
    reported_fn: Callable[[MeterData], bool] | None = None


def _measurement(
    key: str,
    unit: str,
    device_class: SensorDeviceClass,
    precision: int,
    value_fn: Callable[[MeterData], float | None],
    *,
    enabled: bool = True,
) -> LowiSensorEntityDescription:
    return LowiSensorEntityDescription(
        key=key,
        translation_key=key,
        native_unit_of_measurement=unit,
        device_class=device_class,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=precision,
        entity_registry_enabled_default=enabled,
        value_fn=value_fn,
    )


def _power(key: str, value_fn: Callable[[MeterData], float | None]) -> LowiSensorEntityDescription:
    return _measurement(key, UnitOfPower.WATT, SensorDeviceClass.POWER, 0, value_fn)


def _energy(
    key: str,
    value_fn: Callable[[MeterData], float | None],
    state_class: SensorStateClass = SensorStateClass.TOTAL_INCREASING,
) -> LowiSensorEntityDescription:
    return LowiSensorEntityDescription(
        key=key,
        translation_key=key,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        device_class=SensorDeviceClass.ENERGY,
        state_class=state_class,
        suggested_display_precision=3,
        value_fn=value_fn,
    )


def _volume(key: str, device_class: SensorDeviceClass) -> LowiSensorEntityDescription:
    counter = key.removesuffix("_index")
    return LowiSensorEntityDescription(
        key=key,
        translation_key=key,
        native_unit_of_measurement=UnitOfVolume.CUBIC_METERS,
        device_class=device_class,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=3,
        value_fn=lambda data: data.counters.get(counter),
        reported_fn=lambda data: data.counters.get(counter) is not None,
    )


# A value read straight off the meter data is an attrgetter rather than a lambda: the
# coordinator reads every watched value for every message, and attrgetter costs no Python call.
SENSORS: Final[tuple[LowiSensorEntityDescription, ...]] = (
    _power("import_power", attrgetter("import_power")),
    _power("export_power", attrgetter("export_power")),
    _power("net_power", attrgetter("net_power")),
    _energy("import_index_day", lambda data: data.counters["import_day"]),
    _energy("import_index_night", lambda data: data.counters["import_night"]),
    _energy("export_index_day", lambda data: data.counters["export_day"]),
    _energy("export_index_night", lambda data: data.counters["export_night"]),
    _energy("import_index_total", attrgetter("import_total")),
    _energy("export_index_total", attrgetter("export_total")),
    # Import minus export can fall and go negative: a total, not total_increasing.
    _energy("net_index", attrgetter("net_index"), SensorStateClass.TOTAL),
    _volume("gas_index", SensorDeviceClass.GAS),
    _volume("water_index", SensorDeviceClass.WATER),
    # A new value with every message, rarely wanted: disabled by default, as HA core's P1
    # integrations do.
    _measurement(
        "voltage",
        UnitOfElectricPotential.VOLT,
        SensorDeviceClass.VOLTAGE,
        1,
        attrgetter("reading.voltage"),
        enabled=False,
    ),
    _measurement(
        "current",
        UnitOfElectricCurrent.AMPERE,
        SensorDeviceClass.CURRENT,
        2,
        attrgetter("current"),
        enabled=False,
    ),
    LowiSensorEntityDescription(
        key="tariff",
        translation_key="tariff",
        device_class=SensorDeviceClass.ENUM,
        options=[TARIFF_DAY, TARIFF_NIGHT],
        value_fn=attrgetter("tariff"),
    ),
    LowiSensorEntityDescription(
        key="current_scale",
        translation_key="current_scale",
        device_class=SensorDeviceClass.ENUM,
        options=[CURRENT_SCALE_MILLI, CURRENT_SCALE_CENTI],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=attrgetter("current_scale"),
    ),
    LowiSensorEntityDescription(
        key="last_message",
        translation_key="last_message",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=attrgetter("received"),
    ),
)
SENSOR_KEYS: Final = frozenset(description.key for description in SENSORS)


@dataclass(frozen=True, kw_only=True)
class LowiChannelSensorEntityDescription(SensorEntityDescription):
    """A sensor of a channel: how to read its value from the channel."""

    value_fn: Callable[[LowiChannel], StateType]


def _channel_value(key: str) -> Callable[[LowiChannel], StateType]:
    def value(channel: LowiChannel) -> StateType:
        result = channel.state.values.get(key)
        return result if isinstance(result, float) else None

    return value


def _channel_current(channel: LowiChannel) -> StateType:
    raw = channel.state.values.get(CURRENT)
    return round(raw / channel.current_divisor, 3) if isinstance(raw, float) else None


def _channel_sensor(
    key: str,
    unit: str | None,
    device_class: SensorDeviceClass | None,
    state_class: SensorStateClass,
    precision: int | None,
    *,
    translation_key: str | None = None,
    enabled: bool = True,
    category: EntityCategory | None = None,
    value_fn: Callable[[LowiChannel], StateType] | None = None,
) -> LowiChannelSensorEntityDescription:
    return LowiChannelSensorEntityDescription(
        key=key,
        translation_key=translation_key or f"channel_{key}",
        native_unit_of_measurement=unit,
        device_class=device_class,
        state_class=state_class,
        suggested_display_precision=precision,
        entity_registry_enabled_default=enabled,
        entity_category=category,
        value_fn=value_fn or _channel_value(key),
    )


_KWH, _ENERGY, _TOTAL = (
    UnitOfEnergy.KILO_WATT_HOUR,
    SensorDeviceClass.ENERGY,
    SensorStateClass.TOTAL_INCREASING,
)
_MEASUREMENT = SensorStateClass.MEASUREMENT
# Electricity: W and kWh (the dongle sends Wh). The hour, day and month energies restart at
# each period: total_increasing takes the fall to zero as a new cycle.
_ELECTRIC_CHANNEL_SENSORS: Final = {
    POWER: _channel_sensor(POWER, UnitOfPower.WATT, SensorDeviceClass.POWER, _MEASUREMENT, 0),
    INDEX_HIGH: _channel_sensor(INDEX_HIGH, _KWH, _ENERGY, _TOTAL, 3),
    INDEX_LOW: _channel_sensor(INDEX_LOW, _KWH, _ENERGY, _TOTAL, 3),
    INDEX_TOTAL: _channel_sensor(INDEX_TOTAL, _KWH, _ENERGY, _TOTAL, 3),
    ENERGY_HOUR: _channel_sensor(ENERGY_HOUR, _KWH, _ENERGY, _TOTAL, 3, enabled=False),
    ENERGY_DAY: _channel_sensor(ENERGY_DAY, _KWH, _ENERGY, _TOTAL, 3, enabled=False),
    ENERGY_MONTH: _channel_sensor(ENERGY_MONTH, _KWH, _ENERGY, _TOTAL, 3, enabled=False),
}
# A channel whose Units label is not electricity (gas, water, "Various"): values as sent, with
# neither unit nor device class, rather than a guess.
_RAW_CHANNEL_SENSORS: Final = {
    key: _channel_sensor(
        key,
        None,
        None,
        _MEASUREMENT if key == POWER else _TOTAL,
        None,
        translation_key=f"channel_raw_{key}",
        enabled=key not in (ENERGY_HOUR, ENERGY_DAY, ENERGY_MONTH),
    )
    for key in _ELECTRIC_CHANNEL_SENSORS
}
_COMMON_CHANNEL_SENSORS: Final = {
    VOLTAGE: _channel_sensor(
        VOLTAGE,
        UnitOfElectricPotential.VOLT,
        SensorDeviceClass.VOLTAGE,
        _MEASUREMENT,
        1,
        enabled=False,
    ),
    CURRENT: _channel_sensor(
        CURRENT,
        UnitOfElectricCurrent.AMPERE,
        SensorDeviceClass.CURRENT,
        _MEASUREMENT,
        2,
        enabled=False,
        value_fn=_channel_current,
    ),
    RSSI: _channel_sensor(
        RSSI,
        SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        SensorDeviceClass.SIGNAL_STRENGTH,
        _MEASUREMENT,
        0,
        enabled=False,
        category=EntityCategory.DIAGNOSTIC,
    ),
}


def channel_sensor_descriptions(
    channel: LowiChannel, keys: set[str]
) -> list[LowiChannelSensorEntityDescription]:
    """Return the descriptions of the sensors a channel needs for the keys it sent."""
    own = _ELECTRIC_CHANNEL_SENSORS if channel.state.electric else _RAW_CHANNEL_SENSORS
    table = own | _COMMON_CHANNEL_SENSORS
    return [table[key] for key in table if key in keys]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LowiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors; gas and water once the dongle reports them."""
    coordinator = entry.runtime_data.coordinator
    registry = er.async_get(hass)
    provided: set[str] = set()
    if (ledger := entry.runtime_data.ledger) is not None:
        descriptions = ledger.sensor_descriptions()
        provided = {d.key for d in descriptions}
        async_add_entities(LedgerSensor(ledger, d) for d in descriptions)
    # A billing figure the options no longer ask for (another region, net metering off, no
    # price, netting together) leaves no "unavailable" entity behind; its statistics stay.
    for key in LEDGER_SENSOR_KEYS - provided:
        unique_id = f"{coordinator.ident}_{key}"
        if entity_id := registry.async_get_entity_id(SENSOR_DOMAIN, DOMAIN, unique_id):
            registry.async_remove(entity_id)

    def _known(description: LowiSensorEntityDescription) -> bool:
        """Return True for an entity to create now: always-there, or seen in an earlier run."""
        unique_id = f"{coordinator.ident}_{description.key}"
        return (
            description.reported_fn is None
            or registry.async_get_entity_id(SENSOR_DOMAIN, DOMAIN, unique_id) is not None
        )

    async_add_entities(LowiSensor(coordinator, d) for d in SENSORS if _known(d))

    @callback
    def _add_channel_sensors(channel: LowiChannel, keys: set[str]) -> None:
        if descriptions := channel_sensor_descriptions(channel, keys):
            async_add_entities(LowiChannelSensor(channel, d) for d in descriptions)

    entry.async_on_unload(coordinator.channels.async_add_listener(_add_channel_sensors))
    pending = [d for d in SENSORS if not _known(d)]
    if not pending:
        return

    @callback
    def _add_reported() -> None:
        data = coordinator.data
        if data is None:
            return
        new = [d for d in pending if d.reported_fn is not None and d.reported_fn(data)]
        if not new:
            return
        async_add_entities(LowiSensor(coordinator, d) for d in new)
        pending[:] = [d for d in pending if d not in new]
        if not pending:
            remove_listener()

    remove_listener = coordinator.async_add_listener(_add_reported)
    entry.async_on_unload(lambda: remove_listener() if pending else None)


def publisher(description: SensorEntityDescription, interval: float) -> Publisher | None:
    """Return how a sensor thins out its values with a power interval; None: every message."""
    if interval <= 0:
        return None
    if description.state_class is SensorStateClass.MEASUREMENT:
        return TimeWeightedMean(interval)
    if description.state_class in (SensorStateClass.TOTAL, SensorStateClass.TOTAL_INCREASING):
        # An index moves a Wh at a time: once a minute draws the same history, and the flush
        # before each statistics period's end keeps the statistics identical.
        return ThinnedIndex(
            max(interval, INDEX_INTERVAL_SECONDS), STATISTICS_PERIOD_SECONDS, INDEX_CLOSING_SECONDS
        )
    return None


# What a sensor can show (SensorEntity.native_value).
type SensorValue = StateType | date | datetime | Decimal


class _PublishedSensor(SensorEntity):
    """What the meter's and the channels' sensors share: a value as sent, averaged or thinned."""

    _publisher: Publisher | None = None
    # The coordinator's listener context (CoordinatorEntity's).
    coordinator_context: Any
    # A thinned index: flushed by a timer shortly before each statistics period ends.
    _index: ThinnedIndex | None = None
    _cancel_flush: CALLBACK_TYPE

    def _use(self, publisher: Publisher | None) -> None:
        """Thin out the values with this publisher (None: every message)."""
        self._publisher = publisher
        if isinstance(publisher, ThinnedIndex):
            self._index = publisher
        if publisher is None:
            # Called only for the messages that change what it shows, with the new value (a
            # publisher needs them all: a mean weighs each value by its time).
            self.coordinator_context = ValueWatch(self._value_reader(), self._show_value)

    if TYPE_CHECKING:

        def _write_if_changed(self) -> None:
            """Write the state if what it shows changed (ChangedStateEntity's comparison)."""

    @override
    async def async_added_to_hass(self) -> None:
        """Start the flush timer of a thinned index."""
        await super().async_added_to_hass()
        if self._index is not None:
            self._arm_flush(self._index, dt_util.utcnow())
            self.async_on_remove(self._disarm_flush)

    @callback
    def _arm_flush(self, index: ThinnedIndex, now: datetime) -> None:
        """Call `_flush` at the start of the next closing seconds of a statistics period."""
        self._cancel_flush = async_track_point_in_utc_time(
            self.hass,
            partial(self._flush, index),
            dt_util.utc_from_timestamp(index.next_flush(now.timestamp())),
        )

    @callback
    def _disarm_flush(self) -> None:
        self._cancel_flush()

    @callback
    def _flush(self, index: ThinnedIndex, now: datetime) -> None:
        """Show the meter's last index before the statistics period ends, then re-arm."""
        self._arm_flush(index, now)
        if not self.available:
            return
        if (value := index.flush(now.timestamp())) != self._attr_native_value:
            self._attr_native_value = value
            self._write_if_changed()

    def _published(
        self, received: float | None, value: StateType | datetime
    ) -> StateType | datetime:
        """Return the value to show for a message received at that time (seconds)."""
        if (
            self._publisher is None
            or received is None
            or not (value is None or isinstance(value, float | int))
        ):
            return value
        return self._publisher.offer(received, value)

    def _publish(self) -> SensorValue:
        """Return the value to show for the last message."""
        raise NotImplementedError

    def _value_reader(self) -> Callable[[Any], SensorValue]:
        """Return how to read the value as sent from the coordinator's data (for every message).

        The sensors have no attributes of their own (unit and device class do not change
        between messages): a message changes what one shows exactly when it changes the value.
        """
        raise NotImplementedError

    @callback
    def _show_value(self, value: SensorValue) -> None:
        """Show a message's value as sent: the coordinator calls this when the value changed.

        Only while the dongle is available (its return reaches the update callback instead).
        """
        self._attr_native_value = value
        self._write_if_changed()

    def _take(self, available: bool) -> None:
        """Take a message's value (or the loss of the dongle) before the write decision."""
        if not available:
            # After a silence the mean starts afresh rather than weigh the gap, and an index
            # shows its next value at once.
            if self._publisher is not None:
                self._publisher.reset()
            return
        # Setting an _attr_ clears Home Assistant's cached properties: only on a change.
        if (value := self._publish()) != self._attr_native_value:
            self._attr_native_value = value


class LowiSensor(LowiEntity, _PublishedSensor):
    """A sensor of a LoWi3 dongle."""

    entity_description: LowiSensorEntityDescription

    def __init__(
        self, coordinator: LowiCoordinator, description: LowiSensorEntityDescription
    ) -> None:
        """Initialize the sensor with the last valid message's value, if any."""
        super().__init__(coordinator, description)
        self._use(
            publisher(
                description,
                coordinator.config_entry.options.get(CONF_POWER_INTERVAL, DEFAULT_POWER_INTERVAL),
            )
        )
        if coordinator.data is not None:
            self._attr_native_value = self._publish()

    @override
    def _publish(self) -> SensorValue:
        """Return the value to show for the last message: as sent, averaged or thinned out."""
        if (data := self.coordinator.data) is None:
            return self._attr_native_value
        value = self.entity_description.value_fn(data)
        if self._publisher is None:  # the default: as sent, no clock needed
            return value
        return self._published(data.received.timestamp(), value)

    @override
    def _value_reader(self) -> Callable[[MeterData], SensorValue]:
        return self.entity_description.value_fn

    @override
    def _shown(self) -> tuple[object, ...]:
        # The native value is enough: unit and precision do not change between messages, and
        # there are no other attributes. Availability straight from the coordinator: a sensor
        # has no other reason to be away.
        return (self.coordinator.last_update_success, self._attr_native_value)

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Take the new message's value, then write it if it changed."""
        self._take(self.coordinator.last_update_success)
        super()._handle_coordinator_update()


class LowiChannelSensor(LowiChannelEntity, _PublishedSensor):
    """A sensor of one of a dongle's channels, written as the dongle's own sensors are."""

    entity_description: LowiChannelSensorEntityDescription

    def __init__(
        self, channel: LowiChannel, description: LowiChannelSensorEntityDescription
    ) -> None:
        """Initialize the sensor with the channel's last valid message's value, if any."""
        super().__init__(channel, description)
        self._use(
            publisher(
                description,
                channel.dongle.config_entry.options.get(
                    CONF_POWER_INTERVAL, DEFAULT_POWER_INTERVAL
                ),
            )
        )
        if channel.state.last_reading is not None:
            self._attr_native_value = self._publish()

    @override
    def _publish(self) -> SensorValue:
        """Return the value to show for the last message: as sent, averaged or thinned out."""
        return self._published(
            self.coordinator.state.last_received, self.entity_description.value_fn(self.coordinator)
        )

    @override
    def _value_reader(self) -> Callable[[object], SensorValue]:
        value_fn, channel = self.entity_description.value_fn, self.coordinator
        return lambda _state: value_fn(channel)

    @override
    def _shown(self) -> tuple[object, ...]:
        return (self.coordinator.last_update_success, self._attr_native_value)

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Take the channel's new message, then write the value if it changed."""
        self._take(self.coordinator.last_update_success)
        super()._handle_coordinator_update()
