"""Look-ups in the recorder's long-term statistics of the integration's own index sensors.

Every query runs in the recorder's executor. Hourly statistics: the row that starts an hour
before a moment holds the index (``state``) and the running ``sum`` as of that moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.components.sensor import DOMAIN as SENSOR_DOMAIN
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance

from ..billing.net_metering import REGISTERS
from ..const import DOMAIN

# Guarded counter -> the key of the index sensor that shows it.
INDEX_SENSORS = {register: register.replace("_", "_index_") for register in REGISTERS}


def index_statistic_ids(hass: HomeAssistant, ident: str) -> dict[str, str] | None:
    """Return register -> entity id of our index sensors; None when one is missing."""
    registry = er.async_get(hass)
    ids: dict[str, str] = {}
    for register, key in INDEX_SENSORS.items():
        entity_id = registry.async_get_entity_id(SENSOR_DOMAIN, DOMAIN, f"{ident}_{key}")
        if entity_id is None:
            return None
        ids[register] = entity_id
    return ids


async def async_values_at(
    hass: HomeAssistant, ident: str, moment: datetime, column: Literal["state", "sum"]
) -> dict[str, float] | None:
    """Return each register's statistic column as of a moment (a whole hour), or None."""
    if "recorder" not in hass.config.components:
        return None
    if (ids := index_statistic_ids(hass, ident)) is None:
        return None
    start = moment - timedelta(hours=1)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        start,
        moment,
        set(ids.values()),
        "hour",
        {"energy": UnitOfEnergy.KILO_WATT_HOUR},
        {column},
    )
    values: dict[str, float] = {}
    for register, entity_id in ids.items():
        found = [
            row.get(column) for row in rows.get(entity_id, []) if row["start"] == start.timestamp()
        ]
        if not found or not isinstance(value := found[0], (int, float)):
            return None
        values[register] = float(value)
    return values
