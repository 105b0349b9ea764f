"""The costs part with Home Assistant's recorder: history look-ups and the Energy dashboard."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from demo.hass_config import energy_preferences
from homeassistant.components.energy import data as energy_data
from homeassistant.components.energy.validate import async_validate
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from .conftest import IDENT
from .test_costs import DYNAMIC, NOON, PREFIX, SPOT, House, buy, part, setup, value

pytestmark = pytest.mark.usefixtures("mqtt_mock")


@pytest.fixture
def mock_recorder_before_hass(recorder_db_url: str) -> None:
    """Prepare the recorder's database before hass is created (the recorder_mock rule)."""


async def test_recorder_history_prices_a_slot_begun_before_setup(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Set up after a quarter's midpoint: its spot price comes from the recorder's history."""
    house = House(hass, freezer, NOON - timedelta(minutes=12))
    hass.states.async_set(SPOT, "70", {"unit_of_measurement": "EUR/MWh"})
    await async_wait_recording_done(hass)
    await house._move(NOON - timedelta(minutes=5))
    house.now = NOON - timedelta(minutes=5)
    entry = await setup(hass, DYNAMIC)
    await house.run(NOON + timedelta(minutes=2))
    for _ in range(3):  # the look-up runs in the recorder's thread
        await async_wait_recording_done(hass)
        await hass.async_block_till_done()
    # 11:45-12:00: 2 minutes counted (from 11:58, the guard's third message) at 70 EUR/MWh.
    assert part(entry).book.pending == []
    assert value(hass, "import_cost") == pytest.approx(0.12 * buy(70), abs=1e-4)


@pytest.mark.parametrize("way", ["totals", "price_entities"])
async def test_energy_dashboard_accepts_costs_and_prices(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory, way: str
) -> None:
    """Both ways of the README: our cost totals, or our price entities; no validation issue."""
    assert await async_setup_component(hass, "energy", {})
    house = House(hass, freezer, NOON - timedelta(minutes=10))
    hass.states.async_set(SPOT, "80", {"unit_of_measurement": "EUR/MWh"})
    await setup(hass, DYNAMIC)
    await house.run(NOON + timedelta(minutes=20), watts={"CIH": 3600, "CEH": 1800})
    await async_wait_recording_done(hass)
    do_adhoc_statistics(hass, start=NOON)
    await async_wait_recording_done(hass)

    preferences = energy_preferences(IDENT, costs=way == "totals")
    grid = preferences["energy_sources"][0]
    if way == "price_entities":
        grid |= {
            "entity_energy_price": PREFIX + "buy_price",
            "entity_energy_price_export": PREFIX + "sell_price",
        }
    else:
        assert grid["stat_cost"] == PREFIX + "import_cost"
        assert grid["stat_compensation"] == PREFIX + "export_revenue"
    manager = await energy_data.async_get_manager(hass)
    await manager.async_update(preferences)  # type: ignore[arg-type]
    validation = (await async_validate(hass)).as_dict()
    assert all(issues == [] for issues in validation["energy_sources"]), validation
