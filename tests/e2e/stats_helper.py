"""Test helper loaded into the Home Assistant that the end-to-end test starts; never shipped.

tests/e2e/conftest.py writes it, with a manifest, as the integration ``e2e_stats`` into the
test's configuration folder (demo.hass_config.Helper): the repository holds no second manifest.

Home Assistant compiles long-term statistics every 5 minutes, too slowly for a test. This
component offers two actions:

- ``e2e_stats.compile`` with ``start`` (ISO time): compile the 5-minute statistics of the period
  starting then, exactly as the recorder's timer would, and wait until it is written;
- ``e2e_stats.read`` with ``statistic_ids`` and ``start``: return the 5-minute statistics (state
  and sum) from then on.
"""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.components.recorder.tasks import StatisticsTask, SynchronizeTask
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

DOMAIN = "e2e_stats"


def _start(call: ServiceCall) -> Any:
    start = dt_util.parse_datetime(str(call.data["start"]))
    if start is None:
        raise ValueError(f"not a time: {call.data['start']}")
    return dt_util.as_utc(start)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions."""
    instance = get_instance(hass)

    async def compile_period(call: ServiceCall) -> ServiceResponse:
        start = _start(call)
        instance.queue_task(StatisticsTask(start, True))
        done: asyncio.Future[None] = hass.loop.create_future()
        instance.queue_task(SynchronizeTask(done))
        await asyncio.wait_for(done, 30)
        return {"compiled": start.isoformat()}

    async def read(call: ServiceCall) -> ServiceResponse:
        rows = await instance.async_add_executor_job(
            statistics_during_period,
            hass,
            _start(call),
            None,
            set(call.data["statistic_ids"]),
            "5minute",
            None,
            {"state", "sum"},
        )
        return {key: [dict(row) for row in value] for key, value in rows.items()}

    hass.services.async_register(
        DOMAIN, "compile", compile_period, supports_response=SupportsResponse.ONLY
    )
    hass.services.async_register(DOMAIN, "read", read, supports_response=SupportsResponse.ONLY)
    return True
