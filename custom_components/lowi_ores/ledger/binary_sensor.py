"""The ledger's binary sensors: one entity class for every part's descriptions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, override

from homeassistant.components.binary_sensor import BinarySensorEntity

from ..entity import device_info
from . import BillingLedger, LedgerBinarySensorEntityDescription


class LedgerBinarySensor(BinarySensorEntity):
    """A billing condition on the dongle's device, refreshed when its ledger part changes."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: LedgerBinarySensorEntityDescription

    def __init__(
        self, ledger: BillingLedger, description: LedgerBinarySensorEntityDescription
    ) -> None:
        """Initialize with the dongle's device and a unique id from ident and key."""
        self.entity_description = description
        self._ledger = ledger
        ident = ledger.coordinator.ident
        self._attr_unique_id = f"{ident}_{description.key}"
        self._attr_device_info = device_info(ident, ledger.entry.title)

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the ledger."""
        await super().async_added_to_hass()
        self.async_on_remove(self._ledger.async_add_listener(self.async_write_ha_state))

    @property
    @override
    def available(self) -> bool:
        """Return False while the part says its condition is not live (the meter is silent)."""
        if (available_fn := self.entity_description.available_fn) is None:
            return True
        return available_fn()

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the part's condition."""
        return self.entity_description.is_on_fn()

    @property
    @override
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the part's attributes for this condition."""
        if (attributes_fn := self.entity_description.attributes_fn) is None:
            return None
        return attributes_fn()
