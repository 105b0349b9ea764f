"""The ledger's binary sensors: one entity class for every part's descriptions."""

from __future__ import annotations

from typing import override

from homeassistant.components.binary_sensor import BinarySensorEntity

from . import BillingLedger, LedgerBinarySensorEntityDescription
from .entity import LedgerEntity


class LedgerBinarySensor(LedgerEntity, BinarySensorEntity):
    """A billing condition on the dongle's device."""

    entity_description: LedgerBinarySensorEntityDescription

    def __init__(
        self, ledger: BillingLedger, description: LedgerBinarySensorEntityDescription
    ) -> None:
        """Initialize from a part's description."""
        super().__init__(ledger, description)

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the part's condition."""
        return self.entity_description.is_on_fn()
