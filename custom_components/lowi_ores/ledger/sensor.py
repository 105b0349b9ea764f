"""The ledger's sensors: one entity class for every part's descriptions."""

from __future__ import annotations

from datetime import datetime
from typing import override

from homeassistant.components.sensor import SensorEntity
from homeassistant.helpers.typing import StateType

from . import BillingLedger, LedgerSensorEntityDescription
from .entity import LedgerEntity


class LedgerSensor(LedgerEntity, SensorEntity):
    """A billing figure on the dongle's device."""

    entity_description: LedgerSensorEntityDescription

    def __init__(self, ledger: BillingLedger, description: LedgerSensorEntityDescription) -> None:
        """Initialize from a part's description."""
        super().__init__(ledger, description)

    @property
    @override
    def native_value(self) -> StateType | datetime:
        """Return the part's figure."""
        return self.entity_description.value_fn()

    @property
    @override
    def last_reset(self) -> datetime | None:
        """Return the start of the figure's period, if it has one."""
        if (last_reset_fn := self.entity_description.last_reset_fn) is None:
            return None
        return last_reset_fn()
