"""The base of the ledger's entities: on the dongle's device, written only when they change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, override

from homeassistant.core import callback
from homeassistant.helpers.entity import Entity

from ..entity import device_info
from . import BillingLedger, LedgerEntityDescription


class LedgerEntity(Entity):
    """A billing figure or condition, refreshed when its ledger part changed.

    The ledger tells its entities after every message; most figures move far less often (a
    month's peak, a cost booked once per quarter-hour), so, as the meter's own entities do, an
    entity writes its state only when what it shows (availability included) changed.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False
    _written: tuple[object, ...] | None = None
    entity_description: LedgerEntityDescription

    def __init__(self, ledger: BillingLedger, description: LedgerEntityDescription) -> None:
        """Initialize with the dongle's device and a unique id from ident and key."""
        self.entity_description = description
        self._ledger = ledger
        ident = ledger.coordinator.ident
        self._attr_unique_id = f"{ident}_{description.key}"
        self._attr_device_info = device_info(ident, ledger.entry.title)

    def _shown(self) -> tuple[object, ...]:
        return (self.available, self.state, self.extra_state_attributes)

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the ledger; what is written right after this is the first state."""
        await super().async_added_to_hass()
        self.async_on_remove(self._ledger.async_add_listener(self._async_ledger_changed))
        self._written = self._shown()

    @callback
    def _async_ledger_changed(self) -> None:
        if (shown := self._shown()) == self._written:
            return
        self._written = shown
        self.async_write_ha_state()

    @property
    @override
    def available(self) -> bool:
        """Return False while the part says its figure is not live (the meter is silent)."""
        if (available_fn := self.entity_description.available_fn) is None:
            return True
        return available_fn()

    @property
    @override
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the part's attributes for this figure."""
        if (attributes_fn := self.entity_description.attributes_fn) is None:
            return None
        return attributes_fn()
