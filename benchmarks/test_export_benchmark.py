"""Benchmark of the export action: `bash scripts/benchmark` (not part of the test suite).

Builds a recorder database in a SQLite file, as Home Assistant keeps it by default:
- 10 days of a dongle publishing every 10 seconds: 86,400 states for each of the four
  indexes, gas, water and the import power (604,800 states);
- one year of hourly long-term statistics of the four indexes and gas (43,800 rows).
Then times the action (wall clock) and measures its peak memory (tracemalloc, in a second run)
for 1 day and 10 days of 15-minute rows, and 1 month and 1 year of hourly rows, and prints them.
"""

from __future__ import annotations

from datetime import timedelta
import logging
from pathlib import Path
import time
import tracemalloc
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from sqlalchemy import insert, select

from custom_components.lowi_ores.const import CONF_IDENT, DOMAIN
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.db_schema import States, StatesMeta, Statistics
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    get_metadata_with_session,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance, session_scope
from homeassistant.util import dt as dt_util
from tests.conftest import IDENT, TOPIC, counter_statistic, make_payload

PREFIX = f"sensor.lowi3_{IDENT}_"
STEP = 10  # seconds between messages
DAYS = 10
COUNTERS = ("import_index_day", "import_index_night", "export_index_day", "export_index_night")
VOLUMES = ("gas_index", "water_index")
POWER = "power_imported"
RESULTS: list[str] = []


@pytest.fixture
def recorder_db_url(tmp_path: Path, hass_fixture_setup: list[bool]) -> str:
    """A SQLite file, as Home Assistant's default recorder uses."""
    assert not hass_fixture_setup
    return f"sqlite:///{tmp_path / 'home-assistant_v2.db'}"


@pytest.fixture
def mock_recorder_before_hass(recorder_db_url: str) -> None:
    """Prepare the recorder's database before hass is created."""


def _fill_states(hass: HomeAssistant, end: float) -> int:
    """10 days of 10-second states, written straight into the recorder's tables."""
    ids = [*(PREFIX + key for key in COUNTERS + VOLUMES), PREFIX + POWER]
    with session_scope(hass=hass) as session:
        metadata = dict(
            session.execute(
                select(StatesMeta.entity_id, StatesMeta.metadata_id).where(
                    StatesMeta.entity_id.in_(ids)
                )
            ).all()
        )
        assert len(metadata) == len(ids), metadata
        start = end - DAYS * 86400
        count = int(DAYS * 86400 / STEP)
        written = 0
        batch: list[dict[str, Any]] = []
        for n in range(count):
            timestamp = start + n * STEP
            hour = (timestamp % 86400) / 3600
            power = 300 + 1500 * (18 <= hour < 21)
            wh = power * STEP / 3600
            values = {
                "import_index_day": 1000 + n * wh / 1000 * (hour >= 7),
                "import_index_night": 2000 + n * wh / 1000 * (hour < 7),
                "export_index_day": 500 + n * 0.001,
                "export_index_night": 300.0,
                "gas_index": 4321 + n * 0.00002,
                "water_index": 123 + n * 0.000005,
                POWER: power,
            }
            batch.extend(
                {
                    "metadata_id": metadata[PREFIX + key],
                    "state": f"{value:.3f}",
                    "last_updated_ts": timestamp,
                    "last_changed_ts": timestamp,
                }
                for key, value in values.items()
            )
            if len(batch) >= 50_000:
                session.execute(insert(States), batch)
                written += len(batch)
                batch = []
        session.execute(insert(States), batch)
        written += len(batch)
    return written


def _fill_statistics(hass: HomeAssistant, end: float) -> int:
    """One year of hourly statistics for the indexes and gas."""
    keys = (*COUNTERS, "gas_index")
    with session_scope(hass=hass) as session:
        metadata = get_metadata_with_session(
            get_instance(hass), session, statistic_ids={PREFIX + key for key in keys}
        )
        hours = 365 * 24
        first = end - end % 3600 - hours * 3600
        rows = [
            {
                "metadata_id": metadata[PREFIX + key][0],
                "start_ts": first + h * 3600,
                "created_ts": first + h * 3600,
                "state": 1000 + 0.5 * h,
                "sum": 0.5 * (h + 1),
            }
            for key in keys
            for h in range(hours)
        ]
        session.execute(insert(Statistics), rows)
    return len(rows)


async def _timed(hass: HomeAssistant, **data: Any) -> tuple[float, float, dict[str, Any]]:
    started = time.perf_counter()
    response = await hass.services.async_call(
        DOMAIN, "export", data, blocking=True, return_response=True
    )
    seconds = time.perf_counter() - started
    tracemalloc.start()
    await hass.services.async_call(DOMAIN, "export", data, blocking=True, return_response=True)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert isinstance(response, dict)
    return seconds, peak / 2**20, response


@pytest.mark.usefixtures("mqtt_mock")
async def test_export_benchmark(recorder_mock: Recorder, hass: HomeAssistant) -> None:
    """Print wall time and peak memory of the export for small and large periods."""
    # The test plugin logs every SQL statement; a benchmark must not pay for that.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    await hass.config.async_set_time_zone("Europe/Brussels")
    entry = MockConfigEntry(
        domain=DOMAIN, title=f"LoWi3 {IDENT}", unique_id=IDENT, data={CONF_IDENT: IDENT}
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    for _ in range(3):
        async_fire_mqtt_message(hass, TOPIC, make_payload())
        await hass.async_block_till_done()
    year_ago = (dt_util.utcnow() - timedelta(days=400)).replace(minute=0, second=0, microsecond=0)
    for key in (*COUNTERS, "gas_index"):
        gas = key == "gas_index"
        async_import_statistics(
            hass,
            counter_statistic(PREFIX + key, "volume" if gas else "energy", "m³" if gas else "kWh"),
            [{"start": year_ago, "state": 0.0, "sum": 0.0}],
        )
    await async_wait_recording_done(hass)

    now = dt_util.utcnow()
    end = now.timestamp() - now.timestamp() % 3600 - 3600
    recorder = get_instance(hass)
    started = time.perf_counter()
    states = await recorder.async_add_executor_job(_fill_states, hass, end)
    statistics = await recorder.async_add_executor_job(_fill_statistics, hass, end)
    RESULTS.append(
        f"database: {states:,} states and {statistics:,} hourly statistics rows written "
        f"in {time.perf_counter() - started:.1f} s"
    )

    end_local = dt_util.as_local(dt_util.utc_from_timestamp(end))
    cases = [
        ("15-minute rows, 1 day", "15_minutes", timedelta(days=1)),
        ("15-minute rows, 10 days", "15_minutes", timedelta(days=DAYS - 1)),
        ("hourly rows, 1 month", "hour", timedelta(days=30)),
        ("hourly rows, 1 year", "hour", timedelta(days=364)),
    ]
    for title, resolution, length in cases:
        for fmt in ("csv", "xlsx"):
            seconds, peak, response = await _timed(
                hass,
                start=(end_local - length).isoformat(),
                end=end_local.isoformat(),
                resolution=resolution,
                format=fmt,
            )
            RESULTS.append(
                f"{title:<24} {fmt:<5} {response['rows']:>6,} rows  {seconds:6.2f} s  "
                f"peak {peak:5.1f} MiB  (rows without data: {response['rows_without_data']})"
            )
            assert response["rows_without_data"] <= 1
    print("\n" + "\n".join(RESULTS))
