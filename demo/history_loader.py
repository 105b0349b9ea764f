"""Demo only (scripts/develop), never shipped: load the back-filled statistics at the first start.

``python -m demo`` writes ``lowi_demo_history.json`` (see demo/history.py) into the configuration
folder. At start-up this component hands its rows to the recorder, hourly and 5-minute ones,
before the recorder compiles anything of its own, then renames the file so that it is loaded once.
It becomes the integration ``lowi_demo_history`` in the demo's configuration folder only, as a
"system" integration that "Add integration" never lists (demo.hass_config.Helper).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.db_schema import Statistics, StatisticsShortTerm
from homeassistant.components.recorder.models import StatisticMeanType, StatisticMetaData
from homeassistant.core import HomeAssistant
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

_LOGGER = logging.getLogger(__name__)
FILE_NAME = "lowi_demo_history.json"


def _load(path: Path) -> list[dict[str, Any]]:
    statistics: list[dict[str, Any]] = json.loads(path.read_text())["statistics"]
    path.rename(path.with_suffix(".imported"))
    return statistics


def _rows(rows: list[dict[str, Any]]) -> list[Any]:
    parsed = []
    for row in rows:
        start = dt_util.parse_datetime(row["start"])
        parsed.append(row | {"start": start})
    return parsed


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Queue the import of the back-filled statistics, if there are any left to import."""
    path = Path(hass.config.path(FILE_NAME))
    if not await hass.async_add_executor_job(path.exists):
        return True
    statistics = await hass.async_add_executor_job(_load, path)
    instance = get_instance(hass)
    await instance.async_db_ready
    for statistic in statistics:
        raw = statistic["metadata"]
        metadata: StatisticMetaData = {
            "statistic_id": raw["statistic_id"],
            "source": raw["source"],
            "name": raw["name"],
            "unit_of_measurement": raw["unit_of_measurement"],
            "unit_class": raw["unit_class"],
            "has_sum": raw["has_sum"],
            "mean_type": StatisticMeanType(raw["mean_type"]),
        }
        instance.async_import_statistics(metadata, _rows(statistic["hourly"]), Statistics)
        instance.async_import_statistics(
            metadata, _rows(statistic["short_term"]), StatisticsShortTerm
        )
    _LOGGER.warning(
        "Demo: imported the simulated past of %s statistics (%s hourly rows each)",
        len(statistics),
        len(statistics[0]["hourly"]) if statistics else 0,
    )
    return True
