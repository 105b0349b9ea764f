"""What a config entry holds while it is loaded (``entry.runtime_data``)."""

from __future__ import annotations

from dataclasses import dataclass

from .coordinator import LowiCoordinator
from .ledger import BillingLedger


@dataclass(slots=True)
class LowiData:
    """The meter's coordinator, and the billing ledger when a region is set."""

    coordinator: LowiCoordinator
    ledger: BillingLedger | None = None
