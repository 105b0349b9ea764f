"""Tests of the sensors: every entity's state and registry entry, and each payload variant."""

from __future__ import annotations

from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.lowi_ores.const import CONF_CURRENT_SCALE, CONF_GAS_UNIT, CONF_TARIFF_CODES
from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .conftest import Dongle, make_payload

# Voltage and current are disabled by default; these tests look at them too.
INDEX_DAY = "sensor.lowi3_3494546c709b_import_index_day"

pytestmark = pytest.mark.usefixtures("mqtt_mock", "entity_registry_enabled_by_default")


async def test_all_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    dongle: Dongle,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every entity's state and registry entry, after a full CH0 message."""
    freezer.move_to("2026-03-01T11:59:30+00:00")
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.lowi_ores.PLATFORMS", [Platform.SENSOR]):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await dongle.send_confirmed(make_payload())
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


async def test_values_and_units(
    init_integration: MockConfigEntry, hass: HomeAssistant, dongle: Dongle
) -> None:
    """Wh counters become kWh, totals and net values are derived, dm3 become m3."""
    await dongle.send_confirmed(make_payload(PI="0", PE="2500"))
    states = {
        key: hass.states.get(f"sensor.lowi3_3494546c709b_{key}")
        for key in (
            "power_imported", "power_exported", "net_power", "import_index_day",
            "import_index_night", "export_index_day", "export_index_night",
            "import_index_total", "export_index_total", "net_index", "gas_index",
            "water_index", "voltage", "current", "tariff",
        )
    }  # fmt: skip
    values = {key: state.state if state else None for key, state in states.items()}
    assert values == {
        "power_imported": "0.0",
        "power_exported": "2500.0",
        "net_power": "-2500.0",
        "import_index_day": "1234.567",
        "import_index_night": "2345.678",
        "export_index_day": "3456.789",
        "export_index_night": "456.789",
        "import_index_total": "3580.245",
        "export_index_total": "3913.578",
        "net_index": "-333.333",
        "gas_index": "4321.987",
        "water_index": "123.456",
        "voltage": "231.4",
        "current": "5.2",
        "tariff": "day",
    }
    assert states["import_index_day"] is not None
    assert states["import_index_day"].attributes["unit_of_measurement"] == "kWh"
    assert states["import_index_day"].attributes["state_class"] == "total_increasing"
    assert states["net_index"] is not None
    assert states["net_index"].attributes["state_class"] == "total"
    assert states["gas_index"] is not None
    assert states["gas_index"].attributes["unit_of_measurement"] == "m³"
    assert states["gas_index"].attributes["device_class"] == "gas"


async def test_numbers_as_json_numbers(
    init_integration: MockConfigEntry, hass: HomeAssistant, dongle: Dongle
) -> None:
    """An emulator's JSON numbers read the same as the dongle's strings."""
    await dongle.send_confirmed(make_payload(PI=812.5, CIH=1234567, T=0))
    assert hass.states.get("sensor.lowi3_3494546c709b_power_imported").state == "812.5"
    assert hass.states.get("sensor.lowi3_3494546c709b_import_index_day").state == "1234.567"
    assert hass.states.get("sensor.lowi3_3494546c709b_tariff").state == "night"


async def test_gas_and_water_only_when_reported(
    init_integration: MockConfigEntry, hass: HomeAssistant, dongle: Dongle
) -> None:
    """A dongle without gas and water meters gets no such entities, until it reports them."""
    await dongle.send_confirmed(make_payload(CG=None, CW=None))
    assert hass.states.get("sensor.lowi3_3494546c709b_gas_index") is None
    assert hass.states.get("sensor.lowi3_3494546c709b_water_index") is None
    assert hass.states.get("sensor.lowi3_3494546c709b_import_index_day").state == "1234.567"
    await dongle.send_confirmed(make_payload(CW=None))
    assert hass.states.get("sensor.lowi3_3494546c709b_gas_index").state == "4321.987"
    assert hass.states.get("sensor.lowi3_3494546c709b_water_index") is None
    # Once known, a message without gas keeps the last index rather than losing it.
    await dongle.send(make_payload(CG=None, CW=None))
    assert hass.states.get("sensor.lowi3_3494546c709b_gas_index").state == "4321.987"


async def test_gas_entity_recreated_after_restart(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mqtt_mock: object, dongle: Dongle
) -> None:
    """A gas entity in the registry is set up at once on the next start."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await dongle.send_confirmed(make_payload())
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get("sensor.lowi3_3494546c709b_gas_index")
    assert state is not None
    assert state.state == STATE_UNKNOWN


async def test_missing_power_is_unknown(
    init_integration: MockConfigEntry, hass: HomeAssistant, dongle: Dongle
) -> None:
    """A field missing from a message shows as unknown, not as zero."""
    await dongle.send_confirmed(make_payload(PE=None, U=None, I=None, T=None))
    assert hass.states.get("sensor.lowi3_3494546c709b_power_imported").state == "1200.0"
    assert hass.states.get("sensor.lowi3_3494546c709b_power_exported").state == STATE_UNKNOWN
    assert hass.states.get("sensor.lowi3_3494546c709b_net_power").state == STATE_UNKNOWN
    assert hass.states.get("sensor.lowi3_3494546c709b_voltage").state == STATE_UNKNOWN
    assert hass.states.get("sensor.lowi3_3494546c709b_current").state == STATE_UNKNOWN
    assert hass.states.get("sensor.lowi3_3494546c709b_tariff").state == STATE_UNKNOWN


async def test_impossible_power_is_dropped(
    init_integration: MockConfigEntry,
    hass: HomeAssistant,
    dongle: Dongle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A power no home can draw never reaches the state machine."""
    await dongle.send_confirmed(make_payload(PI="999999"))
    assert hass.states.get("sensor.lowi3_3494546c709b_power_imported").state == STATE_UNKNOWN
    assert hass.states.get("sensor.lowi3_3494546c709b_import_index_day").state == "1234.567"
    impossible = [r for r in caplog.records if "impossible power" in r.message]
    # Three messages: one warning, then debug lines.
    assert [r.levelname for r in impossible] == ["WARNING", "DEBUG", "DEBUG"]
    assert "import_power 999999.0 W" in impossible[0].message
    await dongle.send(make_payload())
    await dongle.send(make_payload(PE="500000"))
    impossible = [r for r in caplog.records if "impossible power" in r.message]
    # A plausible message between them does not start a new series.
    assert [r.levelname for r in impossible] == ["WARNING", "DEBUG", "DEBUG", "DEBUG"]
    assert "export_power 500000.0 W" in impossible[-1].message


async def test_counter_glitches_never_reach_the_state(
    init_integration: MockConfigEntry,
    hass: HomeAssistant,
    dongle: Dongle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Zero for a message, a huge jump, a drop: the index sensors keep the last good value."""
    await dongle.send_confirmed(make_payload())
    seen: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            seen.append(event.data["new_state"].state)
            if event.data["entity_id"] == INDEX_DAY
            else None
        ),
    )
    await dongle.send(make_payload(CIH="0"))
    assert "the import_day counter went from 1234567.0 to 0.0" in caplog.text
    await dongle.send(make_payload(CIH="1234570"))
    await dongle.send(make_payload(CIH="99999999"))
    await dongle.send(make_payload(CIH="1234571"))
    await dongle.send(make_payload(CIH="1000"))
    await dongle.send(make_payload(CIH="1234575"))
    assert seen == ["1234.57", "1234.571", "1234.575"]
    # The totals follow the guarded values.
    assert hass.states.get("sensor.lowi3_3494546c709b_import_index_total").state == "3580.253"


async def test_meter_replacement(
    init_integration: MockConfigEntry,
    hass: HomeAssistant,
    dongle: Dongle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A new meter's low index is accepted once it stays consistent."""
    await dongle.send_confirmed(make_payload())
    await dongle.send(make_payload(CIH="15"))
    await dongle.send(make_payload(CIH="16"))
    assert hass.states.get(INDEX_DAY).state == "1234.567"
    await dongle.send(make_payload(CIH="17"))
    assert hass.states.get(INDEX_DAY).state == "0.017"
    assert "accepted as a new meter level" in caplog.text


@pytest.mark.parametrize(
    ("options", "current_raw", "current", "tariff_code", "tariff"),
    [
        ({}, "5200", "5.2", "1", "day"),
        ({CONF_CURRENT_SCALE: "centiampere"}, "520", "5.2", "1", "day"),
        (
            {CONF_CURRENT_SCALE: "milliampere", CONF_TARIFF_CODES: "0_day_1_night"},
            "5200",
            "5.2",
            "1",
            "night",
        ),
        ({CONF_TARIFF_CODES: "0_day_1_night"}, "5200", "5.2", "0", "day"),
        ({CONF_TARIFF_CODES: "1_day_2_night"}, "5200", "5.2", "2", "night"),
        ({CONF_TARIFF_CODES: "1_day_2_night"}, "5200", "5.2", "0", STATE_UNKNOWN),
        ({}, "5200", "5.2", "7", STATE_UNKNOWN),
    ],
)
async def test_user_corrections(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    dongle: Dongle,
    options: dict[str, str],
    current_raw: str,
    current: str,
    tariff_code: str,
    tariff: str,
) -> None:
    """The options correct the guesses about the current's unit and the tariff code."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options=options)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await dongle.send_confirmed(make_payload(I=current_raw, T=tariff_code))
    assert hass.states.get("sensor.lowi3_3494546c709b_current").state == current
    assert hass.states.get("sensor.lowi3_3494546c709b_tariff").state == tariff


async def test_current_scale_detected(
    init_integration: MockConfigEntry, hass: HomeAssistant, dongle: Dongle
) -> None:
    """In automatic mode, a firmware sending hundredths of an ampere is recognised."""
    for _ in range(12):
        await dongle.send(make_payload(U="230", I="520", PI="1150", PE="0"))
    assert hass.states.get("sensor.lowi3_3494546c709b_current").state == "5.2"
    assert hass.states.get("sensor.lowi3_3494546c709b_current_unit").state == "centiampere"


async def test_gas_in_cubic_metres(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, dongle: Dongle
) -> None:
    """A firmware that sends m3 can be told so."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_GAS_UNIT: "m3"})
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await dongle.send_confirmed(make_payload(CG="4321.987"))
    assert hass.states.get("sensor.lowi3_3494546c709b_gas_index").state == "4321.987"
