"""The ledger's sensors: one entity class for every part's descriptions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, override

from homeassistant.components.sensor import SensorEntity
from homeassistant.helpers.typing import StateType

from ..entity import device_info
from . import BillingLedger, LedgerSensorEntityDescription


class LedgerSensor(SensorEntity):
    """A billing figure on the dongle's device, refreshed when its ledger part changes."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: LedgerSensorEntityDescription

    def __init__(self, ledger: BillingLedger, description: LedgerSensorEntityDescription) -> None:
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
        """Return False while the part says its figure is not live (the meter is silent)."""
        if (available_fn := self.entity_description.available_fn) is None:
            return True
        return available_fn()

    @property
    @override
    def native_value(self) -> StateType | datetime:
        """Return the part's figure."""
        return self.entity_description.value_fn()

    @property
    @override
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the part's attributes for this figure."""
        if (attributes_fn := self.entity_description.attributes_fn) is None:
            return None
        return attributes_fn()

    @property
    @override
    def last_reset(self) -> datetime | None:
        """Return the start of the figure's period, if it has one."""
        if (last_reset_fn := self.entity_description.last_reset_fn) is None:
            return None
        return last_reset_fn()
