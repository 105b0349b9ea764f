"""Binary sensors of a LoWi3: the billing ledger's conditions (the capacity peak warning)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import LowiConfigEntry
from .ledger.binary_sensor import LedgerBinarySensor

# Push updates: no polling, no parallel limit needed.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LowiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the ledger's binary sensors, when the entry has a ledger."""
    if (ledger := entry.runtime_data.ledger) is not None:
        async_add_entities(
            LedgerBinarySensor(ledger, description)
            for description in ledger.binary_sensor_descriptions()
        )
