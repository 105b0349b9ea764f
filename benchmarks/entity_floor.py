"""The benchmarks' entity floor: 15 registered sensor entities, each written on change.

One ``json.loads`` per message and the sensors' values computed as the floor does; a sensor is
written only when its value changed, as Home Assistant's MQTT sensors and lowi_ores write. The
least an integration offering these sensors as entities can cost. Used in-process by
``test_message_path.py``, and in a real Home Assistant as the benchmark helper's sensor platform
(``mqtt_cpu.py`` copies this file next to the helper, whose module holds SENSORS and
floor_values).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import json
from typing import Any

from homeassistant.components import mqtt
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback


class FloorSensor(SensorEntity):
    """One of the entity floor's sensors: its value set and written by the floor's callback."""

    _attr_should_poll = False
    _attr_native_value: float | str | None = None

    def __init__(
        self,
        key: str,
        name: str,
        unit: str | None,
        device_class: str | None,
        state_class: str | None,
    ) -> None:
        """Initialize with what the integration's sensor of that key shows."""
        self._attr_unique_id = f"entity_floor_{key}"
        self._attr_name = f"LoWi3 entity floor {name}"
        self._attr_native_unit_of_measurement = unit
        self._attr_device_class = SensorDeviceClass(device_class) if device_class else None
        self._attr_state_class = SensorStateClass(state_class) if state_class else None


def floor_sensors(
    sensors: Iterable[tuple[str, str, str | None, str | None, str | None]],
) -> dict[str, FloorSensor]:
    """Return the floor's sensors by key, from (key, name, unit, device class, state class)."""
    return {key: FloorSensor(key, *rest) for key, *rest in sensors}


@callback
def write_changed(entities: Mapping[str, FloorSensor], values: Mapping[str, Any]) -> None:
    """Write each sensor whose value changed (one added to Home Assistant)."""
    for key, value in values.items():
        entity = entities[key]
        if value != entity.native_value and entity.hass is not None:
            entity._attr_native_value = value
            entity.async_write_ha_state()


async def async_setup_platform(
    hass: HomeAssistant,
    config: Any,
    async_add_entities: AddEntitiesCallback,
    discovery_info: Mapping[str, Any] | None = None,
) -> None:
    """Set up the floor as the benchmark helper's sensor platform, on the topic it is given."""
    # The helper integration's own module (written by mqtt_cpu.py), not this package's.
    from . import SENSORS, floor_values  # type: ignore[attr-defined]

    assert discovery_info is not None
    entities = floor_sensors(SENSORS)
    async_add_entities(entities.values())

    @callback
    def received(msg: mqtt.ReceiveMessage) -> None:
        write_changed(entities, floor_values(json.loads(msg.payload)))

    await mqtt.async_wait_for_mqtt_client(hass)
    await mqtt.async_subscribe(hass, discovery_info["topic"], received, encoding=None)
