"""The ledger's parts: add a feature's factory and sensor keys here (see ledger/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..const import DOMAIN
from . import BillingLedger, LedgerPart
from .capacity import (
    BINARY_SENSOR_KEYS as CAPACITY_BINARY_KEYS,
    SENSOR_KEYS as CAPACITY_KEYS,
    create_part as capacity_part,
)
from .costs import (
    SENSOR_KEYS as COSTS_KEYS,
    create_part as costs_part,
    unpriced_issue_id,
)
from .net_metering import (
    SENSOR_KEYS as NET_METERING_KEYS,
    create_part as net_metering_part,
    partial_issue_id,
)

# Each factory returns its part, or None when the entry's options do not ask for it.
PART_FACTORIES: Final[tuple[Callable[[BillingLedger], LedgerPart | None], ...]] = (
    net_metering_part,
    capacity_part,
    costs_part,
)
# Every key a ledger sensor or binary sensor may have (a reconfigured ident moves their unique
# ids too; entities the options no longer ask for are removed).
LEDGER_SENSOR_KEYS: Final = frozenset(NET_METERING_KEYS | CAPACITY_KEYS | set(COSTS_KEYS))
LEDGER_BINARY_SENSOR_KEYS: Final = frozenset(CAPACITY_BINARY_KEYS)
LEDGER_ENTITY_KEYS: Final = LEDGER_SENSOR_KEYS | LEDGER_BINARY_SENSOR_KEYS


@callback
def async_clear_ledger_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the repair issues of an entry's ledger parts."""
    ir.async_delete_issue(hass, DOMAIN, partial_issue_id(entry_id))
    ir.async_delete_issue(hass, DOMAIN, unpriced_issue_id(entry_id))
