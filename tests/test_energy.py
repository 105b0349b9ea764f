"""The Energy dashboard accepts the sensors, and a glitch never reaches long-term statistics.

These tests run HA's recorder (SQLite in memory) and the energy integration's own validation.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
import random

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.lowi_ores.const import CONF_IDENT, CONF_POWER_INTERVAL, DOMAIN
from demo.hass_config import energy_preferences
from homeassistant.components.energy import data as energy_data
from homeassistant.components.energy.validate import async_validate
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from .conftest import BASE_PAYLOAD, IDENT, TOPIC, make_payload

PREFIX = "sensor.lowi3_3494546c709b_"
START = datetime(2026, 3, 2, 10, 0, tzinfo=dt_util.UTC)
INDEX_FIELDS = ("CIH", "CIL", "CEH", "CEL", "CG", "CW")


@pytest.fixture
def mock_recorder_before_hass(recorder_db_url: str) -> None:
    """Prepare the recorder's database before hass is created (the recorder_mock rule)."""


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _publish(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, at: datetime, **fields: str
) -> None:
    freezer.move_to(at)
    async_fire_mqtt_message(hass, TOPIC, make_payload(**fields))
    await hass.async_block_till_done()


@pytest.mark.usefixtures("mqtt_mock")
async def test_energy_dashboard_accepts_the_sensors(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The demo's Energy dashboard and the totals variant: HA's own validation finds no issue."""
    assert await async_setup_component(hass, "energy", {})
    await _setup(hass, mock_config_entry)
    for minute in range(4):
        await _publish(hass, freezer, START + timedelta(minutes=minute), PI="800", PE="0")
    freezer.move_to(START + timedelta(minutes=5, seconds=10))
    await async_wait_recording_done(hass)
    do_adhoc_statistics(hass, start=START)
    await async_wait_recording_done(hass)

    # The Energy dashboard of the demo (scripts/develop): day and night grid entries with net
    # power, gas and water; plus the single-rate variant, the totals, as the README offers it.
    preferences = energy_preferences(IDENT)
    sources = preferences["energy_sources"]
    totals = {key: value for key, value in sources[0].items() if key not in ("stat_rate", "name")}
    totals |= {
        "stat_energy_from": PREFIX + "import_index_total",
        "stat_energy_to": PREFIX + "export_index_total",
    }
    sources.insert(2, totals)
    assert [source.get("stat_energy_from") for source in sources] == [
        PREFIX + key
        for key in (
            "import_index_day",
            "import_index_night",
            "import_index_total",
            "gas_index",
            "water_index",
        )
    ]
    manager = await energy_data.async_get_manager(hass)
    await manager.async_update(preferences)  # type: ignore[arg-type]
    validation = (await async_validate(hass)).as_dict()
    assert validation["energy_sources"] == [[], [], [], [], []]


@pytest.mark.usefixtures("mqtt_mock")
async def test_glitches_never_reach_long_term_statistics(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A fall to zero, an impossible jump and a backwards step, inside 15 minutes of data.

    The import index grows 10 Wh a minute. Statistics must show exactly that growth.
    """
    freezer.move_to(START)
    await _setup(hass, mock_config_entry)
    glitches = {5: "0", 8: "99999999", 11: "1234000"}
    for minute in range(15):
        value = glitches.get(minute, str(1_234_567 + 10 * minute))
        await _publish(hass, freezer, START + timedelta(minutes=minute, seconds=1), CIH=value)
    freezer.move_to(START + timedelta(minutes=15, seconds=30))
    await async_wait_recording_done(hass)
    for period in range(3):
        do_adhoc_statistics(hass, start=START + timedelta(minutes=5 * period))
        await async_wait_recording_done(hass)

    entity_id = PREFIX + "import_index_day"
    stats = await hass.async_add_executor_job(
        statistics_during_period,
        hass,
        START,
        START + timedelta(minutes=15),
        {entity_id},
        "5minute",
        None,
        {"state", "sum"},
    )
    rows = stats[entity_id]
    assert [round(row["state"], 3) for row in rows] == [1234.607, 1234.657, 1234.707]
    # The first accepted value (minute 2, after its confirmations) to the last (minute 14).
    assert [round(row["sum"], 3) for row in rows] == [0.02, 0.07, 0.12]


@pytest.mark.parametrize(("fastest", "slowest"), [(0.5, 1.5), (5.0, 15.0)], ids=["1s", "10s"])
@pytest.mark.usefixtures("mqtt_mock")
async def test_power_interval_keeps_index_statistics_identical(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    fastest: float,
    slowest: float,
) -> None:
    """Three dongles get the same 15-minute stream, a message every `fastest` to `slowest`
    seconds (a LoWi3 at 1 s, or at 10 s): one entry writes every message, the others have
    power_interval 10 and 60. The 5-minute statistics of every index are the same, from a
    fraction of the state writes. The clock ticks every second between messages, so that the
    flush timers run when they are due."""
    thinned = {10: "4c75252e8c51", 60: "4c75252e8c52"}
    freezer.move_to(START)
    for interval, ident in thinned.items():
        await _setup(
            hass,
            MockConfigEntry(
                domain=DOMAIN,
                title=f"LoWi3 {ident}",
                unique_id=ident,
                data={CONF_IDENT: ident},
                options={CONF_POWER_INTERVAL: interval},
            ),
        )
    await _setup(hass, mock_config_entry)
    writes: Counter[str] = Counter()

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        writes[event.data["entity_id"]] += 1

    hass.bus.async_listen(EVENT_STATE_CHANGED, _changed)

    randomness = random.Random(14)
    fields = {key: int(value) for key, value in BASE_PAYLOAD.items() if key in INDEX_FIELDS}
    moment = START + timedelta(seconds=0.3)
    end = START + timedelta(minutes=15)
    tick = START

    async def _tick_until(until: datetime) -> None:
        """Move the clock a second at a time until `until`, firing the timers due."""
        nonlocal tick
        while tick + timedelta(seconds=1) < until:
            tick += timedelta(seconds=1)
            freezer.move_to(tick)
            async_fire_time_changed(hass, tick)
            await hass.async_block_till_done()

    while moment < end:
        await _tick_until(moment)
        for key in fields:
            fields[key] += randomness.choice((0, 0, 0, 1))
        payload = make_payload(
            PI=str(randomness.randint(0, 4000)),
            **{key: str(value) for key, value in fields.items()},
        )
        freezer.move_to(moment)
        async_fire_time_changed(hass, moment)
        for topic in (TOPIC, *(f"{ident}/PUB/CH0" for ident in thinned.values())):
            async_fire_mqtt_message(hass, topic, payload)
        await hass.async_block_till_done()
        moment += timedelta(seconds=randomness.uniform(fastest, slowest))
    await _tick_until(end)
    freezer.move_to(START + timedelta(minutes=15, seconds=30))
    await async_wait_recording_done(hass)
    for period in range(3):
        do_adhoc_statistics(hass, start=START + timedelta(minutes=5 * period))
        await async_wait_recording_done(hass)

    keys = [
        "import_index_day",
        "import_index_night",
        "export_index_day",
        "export_index_night",
        "import_index_total",
        "export_index_total",
        "net_index",
        "gas_index",
        "water_index",
    ]
    entities = {f"sensor.lowi3_{ident}_{key}" for ident in thinned.values() for key in keys}
    stats = await hass.async_add_executor_job(
        statistics_during_period,
        hass,
        START,
        START + timedelta(minutes=15),
        entities | {f"{PREFIX}{key}" for key in keys},
        "5minute",
        None,
        {"state", "sum"},
    )
    for key in keys:
        expected = stats[f"{PREFIX}{key}"]
        assert len(expected) == 3
        assert len({row["sum"] for row in expected}) == 3, key  # the index moved in each period
        for ident in thinned.values():
            assert stats[f"sensor.lowi3_{ident}_{key}"] == expected, (ident, key)

    for interval, ident in thinned.items():
        # Power: one mean per interval instead of a value per message. An index: at most once a
        # minute, plus in each of the 3 periods the flush and the changes of its last 2 s.
        for key in ("power_imported", "net_power"):
            assert writes[f"sensor.lowi3_{ident}_{key}"] <= 900 / interval + 2, key
            assert writes[f"sensor.lowi3_{ident}_{key}"] < writes[PREFIX + key], key
        for key in keys:
            assert writes[f"sensor.lowi3_{ident}_{key}"] <= 15 + 3 * (1 + 2 / fastest) + 1, key
            assert writes[f"sensor.lowi3_{ident}_{key}"] < writes[PREFIX + key], key
