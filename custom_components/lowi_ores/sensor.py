"""Sensors of a LoWi3: grid power, meter indexes, gas, water, voltage, current, tariff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, override

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfVolume,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .const import CURRENT_SCALE_CENTI, CURRENT_SCALE_MILLI, DOMAIN, TARIFF_DAY, TARIFF_NIGHT
from .coordinator import LowiConfigEntry, LowiCoordinator, MeterData
from .entity import LowiEntity
from .ledger.sensor import LedgerSensor

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
    return LowiSensorEntityDescription(
        key=key,
        translation_key=key,
        native_unit_of_measurement=UnitOfVolume.CUBIC_METERS,
        device_class=device_class,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=3,
        value_fn=lambda data: data.counters.get(key.removesuffix("_index")),
        reported_fn=lambda data: data.counters.get(key.removesuffix("_index")) is not None,
    )


SENSORS: Final[tuple[LowiSensorEntityDescription, ...]] = (
    _power("import_power", lambda data: data.import_power),
    _power("export_power", lambda data: data.export_power),
    _power("net_power", lambda data: data.net_power),
    _energy("import_index_day", lambda data: data.counters["import_day"]),
    _energy("import_index_night", lambda data: data.counters["import_night"]),
    _energy("export_index_day", lambda data: data.counters["export_day"]),
    _energy("export_index_night", lambda data: data.counters["export_night"]),
    _energy("import_index_total", lambda data: data.import_total),
    _energy("export_index_total", lambda data: data.export_total),
    # Import minus export can fall and go negative: a total, not total_increasing.
    _energy("net_index", lambda data: data.net_index, SensorStateClass.TOTAL),
    _volume("gas_index", SensorDeviceClass.GAS),
    _volume("water_index", SensorDeviceClass.WATER),
    # A new value with every message, rarely wanted: disabled by default, as HA core's P1
    # integrations do.
    _measurement(
        "voltage",
        UnitOfElectricPotential.VOLT,
        SensorDeviceClass.VOLTAGE,
        1,
        lambda data: data.reading.voltage,
        enabled=False,
    ),
    _measurement(
        "current",
        UnitOfElectricCurrent.AMPERE,
        SensorDeviceClass.CURRENT,
        2,
        lambda data: data.current,
        enabled=False,
    ),
    LowiSensorEntityDescription(
        key="tariff",
        translation_key="tariff",
        device_class=SensorDeviceClass.ENUM,
        options=[TARIFF_DAY, TARIFF_NIGHT],
        value_fn=lambda data: data.tariff,
    ),
    LowiSensorEntityDescription(
        key="current_scale",
        translation_key="current_scale",
        device_class=SensorDeviceClass.ENUM,
        options=[CURRENT_SCALE_MILLI, CURRENT_SCALE_CENTI],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.current_scale,
    ),
    LowiSensorEntityDescription(
        key="last_message",
        translation_key="last_message",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.received,
    ),
)
SENSOR_KEYS: Final = frozenset(description.key for description in SENSORS)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LowiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors; gas and water once the dongle reports them."""
    coordinator = entry.runtime_data.coordinator
    if (ledger := entry.runtime_data.ledger) is not None:
        async_add_entities(LedgerSensor(ledger, d) for d in ledger.sensor_descriptions())
    registry = er.async_get(hass)

    def _known(description: LowiSensorEntityDescription) -> bool:
        """Return True for an entity to create now: always-there, or seen in an earlier run."""
        unique_id = f"{coordinator.ident}_{description.key}"
        return (
            description.reported_fn is None
            or registry.async_get_entity_id(SENSOR_DOMAIN, DOMAIN, unique_id) is not None
        )

    async_add_entities(LowiSensor(coordinator, d) for d in SENSORS if _known(d))
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


class LowiSensor(LowiEntity, SensorEntity):
    """A sensor of a LoWi3 dongle."""

    entity_description: LowiSensorEntityDescription

    def __init__(
        self, coordinator: LowiCoordinator, description: LowiSensorEntityDescription
    ) -> None:
        """Initialize the sensor."""
        super().__init__(coordinator, description)

    @property
    @override
    def native_value(self) -> StateType | datetime:
        """Return the value from the last valid message."""
        if (data := self.coordinator.data) is None:
            return None
        return self.entity_description.value_fn(data)
