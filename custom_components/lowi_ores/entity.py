"""Base entities: one device per dongle, and one per channel the dongle publishes."""

from __future__ import annotations

from typing import Any, override

from homeassistant.core import callback
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity, DataUpdateCoordinator

from .channels import LowiChannel
from .const import DOMAIN, MANUFACTURER, MODEL
from .coordinator import LowiCoordinator
from .parser import mac_address


def device_info(ident: str, name: str) -> DeviceInfo:
    """Return the device of a dongle, with its MAC address when the ident is one."""
    info = DeviceInfo(
        identifiers={(DOMAIN, ident)}, manufacturer=MANUFACTURER, model=MODEL, name=name
    )
    if mac := mac_address(ident):
        info["connections"] = {(CONNECTION_NETWORK_MAC, mac)}
    return info


class ChangedStateEntity[CoordinatorT: DataUpdateCoordinator[Any]](CoordinatorEntity[CoordinatorT]):
    """An entity that writes its state only when what it shows changed.

    A dongle repeats most values in every message (the indexes move a Wh at a time, the tariff
    twice a day): writing them all again would cost Home Assistant a state write per entity and
    message for nothing. As Home Assistant's own MQTT entities do, the entity compares what it
    would write with what it wrote last; availability is part of it, so it is always written.
    """

    _attr_has_entity_name = True
    _written: tuple[object, ...] | None = None

    def _shown(self) -> tuple[object, ...]:
        """Return everything the entity's state shows: a change of any of it is written."""
        return (self.available, self.state, self.extra_state_attributes)

    @override
    async def async_added_to_hass(self) -> None:
        """Start listening; what is written right after this is the first state."""
        await super().async_added_to_hass()
        self._written = self._shown()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Write the state when a message, or the loss of the dongle, changed what it shows."""
        self._write_if_changed()

    def _write_if_changed(self) -> None:
        """Write the state if what it shows differs from what was written last."""
        shown = self._shown()
        if shown == self._written:
            return
        self._written = shown
        self.async_write_ha_state()


class LowiEntity(ChangedStateEntity[LowiCoordinator]):
    """An entity of a LoWi3 dongle (its P1 meter, CH0)."""

    def __init__(self, coordinator: LowiCoordinator, description: EntityDescription) -> None:
        """Initialize with the dongle's device and a unique id from ident and key."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.ident}_{description.key}"
        self._attr_device_info = device_info(coordinator.ident, coordinator.config_entry.title)


class LowiChannelEntity(ChangedStateEntity[LowiChannel]):
    """An entity of one of a dongle's channels: listens to that channel only, not to CH0."""

    def __init__(self, channel: LowiChannel, description: EntityDescription) -> None:
        """Initialize with the channel's device, created when the channel first appeared."""
        super().__init__(channel)
        self.entity_description = description
        self._attr_unique_id = f"{channel.identifier}_{description.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, channel.identifier)})
