"""Base entities: one device per dongle, and one per channel the dongle publishes."""

from __future__ import annotations

from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

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


class LowiEntity(CoordinatorEntity[LowiCoordinator]):
    """An entity of a LoWi3 dongle."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: LowiCoordinator, description: EntityDescription) -> None:
        """Initialize with the dongle's device and a unique id from ident and key."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.ident}_{description.key}"
        self._attr_device_info = device_info(coordinator.ident, coordinator.config_entry.title)


class LowiChannelEntity(CoordinatorEntity[LowiChannel]):
    """An entity of one of a dongle's channels: listens to that channel only."""

    _attr_has_entity_name = True

    def __init__(self, channel: LowiChannel, description: EntityDescription) -> None:
        """Initialize with the channel's device, created when the channel first appeared."""
        super().__init__(channel)
        self.entity_description = description
        self._attr_unique_id = f"{channel.identifier}_{description.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, channel.identifier)})
