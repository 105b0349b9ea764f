"""Tests of the extra channels CH1..CH14: devices, entities, restart, removal, options, relay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
import logging
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
    WebSocketGenerator,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.lowi_ores.const import CONF_IDENT, CONF_IGNORED_CHANNELS, DOMAIN
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from simulator.simulation import Simulation, SimulationConfig

from .conftest import IDENT, TOPIC, Dongle, make_payload

pytestmark = pytest.mark.usefixtures("mqtt_mock", "entity_registry_enabled_by_default")

# A heat pump's sub-meter as the protocol notes describe a channel: values as strings.
HEAT_PUMP: dict[str, Any] = {
    "ident": IDENT,
    "device_CH": "1",
    "Name": "Maison",
    "CHname": "Warmtepomp",
    "Type": "MB",
    "Units": "kWh",
    "U": "230.1",
    "I": "4350",
    "P": "1000",
    "CH": "1500000",
    "CL": "2500000",
    "HC": "250",
    "DC": "6500",
    "MC": "150000",
}
PLUG: dict[str, Any] = {"ident": IDENT, "device_CH": "3", "P": "40", "REL": "1", "RSSI": "-61"}


def channel_payload(base: dict[str, Any] | None = None, **changes: Any) -> str:
    """Return a channel payload; a change to None removes the field."""
    data = (HEAT_PUMP if base is None else base) | changes
    return json.dumps({key: value for key, value in data.items() if value is not None})


def channel_topic(number: int) -> str:
    """Return the topic of a channel of the test dongle."""
    return f"{IDENT}/PUB/CH{number}"


def channel_device(device_registry: dr.DeviceRegistry, number: int) -> dr.DeviceEntry | None:
    """Return the device of a channel of the test dongle."""
    devices = device_registry.async_get_devices(identifiers={(DOMAIN, f"{IDENT}_ch{number}")})
    return devices[0] if devices else None


async def send_channel(dongle: Dongle, number: int, payload: str, times: int = 1) -> None:
    """Publish on a channel's topic, as often as asked (the guard wants 3 for a first index)."""
    for _ in range(times):
        await dongle.send(payload, topic=channel_topic(number))


async def test_channel_device_and_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """A channel's first messages make a device under the dongle, with one entity per field."""
    await send_channel(dongle, 1, channel_payload(), times=3)
    device = channel_device(device_registry, 1)
    assert device is not None
    dongle_device = device_registry.async_get_devices(identifiers={(DOMAIN, IDENT)})[0]
    assert dongle_device is not None
    assert device.via_device_id == dongle_device.id
    assert device == snapshot(name="device")
    entities = sorted(
        er.async_entries_for_device(entity_registry, device.id), key=lambda e: e.unique_id
    )
    assert [entity.unique_id.removeprefix(f"{IDENT}_ch1_") for entity in entities] == [
        "current", "energy_day", "energy_hour", "energy_month", "index_high", "index_low",
        "index_total", "power", "voltage",
    ]  # fmt: skip
    for entity in entities:
        assert entity == snapshot(name=f"{entity.entity_id}-entry")
        assert hass.states.get(entity.entity_id) == snapshot(name=f"{entity.entity_id}-state")


async def test_values(
    hass: HomeAssistant, init_integration: MockConfigEntry, dongle: Dongle
) -> None:
    """Wh become kWh, indexes are guarded, the current follows the dongle's scale."""
    await send_channel(dongle, 1, channel_payload(), times=3)
    prefix = "sensor.warmtepomp_"
    values = {
        key: hass.states.get(prefix + key).state  # type: ignore[union-attr]
        for key in ("power", "index_day_high", "index_night_low", "index_total",
                    "energy_this_hour", "energy_today", "energy_this_month", "voltage", "current")
    }  # fmt: skip
    assert values == {
        "power": "1000.0",
        "index_day_high": "1500.0",
        "index_night_low": "2500.0",
        "index_total": "4000.0",
        "energy_this_hour": "0.25",
        "energy_today": "6.5",
        "energy_this_month": "150.0",
        "voltage": "230.1",
        "current": "4.35",
    }
    # A glitch to zero is held back; an impossible power is dropped.
    await send_channel(dongle, 1, channel_payload(CH="0", P="9999999"))
    assert hass.states.get(prefix + "index_day_high").state == "1500.0"  # type: ignore[union-attr]
    assert hass.states.get(prefix + "power").state == "unknown"  # type: ignore[union-attr]


async def test_entities_only_for_fields_sent(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A channel that sends only a power gets a power sensor; a later field adds its entity."""
    await send_channel(dongle, 2, json.dumps({"device_CH": 2, "P": 5}))
    device = channel_device(device_registry, 2)
    assert device is not None
    assert device.name == "Channel 2"  # no name in the payload: translated default
    keys = {e.unique_id for e in er.async_entries_for_device(entity_registry, device.id)}
    assert keys == {f"{IDENT}_ch2_power"}
    await send_channel(dongle, 2, json.dumps({"device_CH": 2, "P": 5, "CH": 1000}))
    keys = {e.unique_id for e in er.async_entries_for_device(entity_registry, device.id)}
    assert keys == {f"{IDENT}_ch2_power", f"{IDENT}_ch2_index_high", f"{IDENT}_ch2_index_total"}


async def test_non_electric_channel_kept_raw(
    hass: HomeAssistant, init_integration: MockConfigEntry, dongle: Dongle
) -> None:
    """A channel whose Units is not electricity shows its values as sent, without a unit."""
    payload = json.dumps({"CHname": "Regenwater", "Units": "Various", "P": "12", "CH": "3456"})
    await send_channel(dongle, 4, payload, times=3)
    rate = hass.states.get("sensor.regenwater_value_p_as_sent")
    index = hass.states.get("sensor.regenwater_index_ch_as_sent")
    assert rate is not None
    assert index is not None
    assert (rate.state, index.state) == ("12.0", "3456.0")
    assert "unit_of_measurement" not in index.attributes
    assert "device_class" not in index.attributes
    assert index.attributes["state_class"] == "total_increasing"


async def test_channel_before_ch0(
    hass: HomeAssistant,
    dongle: Dongle,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A channel that speaks before CH0 appears at once; CH0 is unaffected."""
    await send_channel(dongle, 5, channel_payload(device_CH="5"))
    assert channel_device(device_registry, 5) is not None
    power = hass.states.get("sensor.lowi3_3494546c709b_power_imported")
    assert power is not None
    assert power.state == "unknown"
    await dongle.send(make_payload())
    assert hass.states.get("sensor.lowi3_3494546c709b_power_imported").state == "1200.0"  # type: ignore[union-attr]
    assert hass.states.get("sensor.warmtepomp_power").state == "1000.0"  # type: ignore[union-attr]


async def test_ch0_only_makes_no_channel(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A dongle without channels keeps its single device and no switch."""
    await dongle.send_confirmed(make_payload())
    devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    assert len(devices) == 1
    assert hass.states.async_entity_ids("switch") == []
    assert init_integration.runtime_data.coordinator.channels.as_stored() == {}


async def test_fourteen_channels(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    device_registry: dr.DeviceRegistry,
) -> None:
    """All fourteen channels, each its own device under the dongle."""
    for number in range(14, 0, -1):
        await send_channel(dongle, number, json.dumps({"device_CH": number, "P": number}))
    await dongle.send(make_payload())
    devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    assert len(devices) == 15
    assert {device.name for device in devices} == {f"LoWi3 {IDENT}"} | {
        f"Channel {number}" for number in range(1, 15)
    }
    assert hass.states.get("sensor.channel_14_power").state == "14.0"  # type: ignore[union-attr]


@pytest.mark.parametrize("topic", [f"{IDENT}/PUB/CH15", f"{IDENT}/PUB/CH01", f"{IDENT}/PUB/status"])
async def test_topics_outside_the_channels_are_not_followed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    device_registry: dr.DeviceRegistry,
    topic: str,
) -> None:
    """Only CH1..CH14 are subscribed: another topic of the dongle never reaches the channels."""
    with patch("custom_components.lowi_ores.channels.parse_payload") as parse:
        await dongle.send(channel_payload(device_CH="1"), topic=topic)
    parse.assert_not_called()
    devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    assert len(devices) == 1
    assert init_integration.runtime_data.coordinator.rejections.total == 0


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        (channel_topic(1), channel_payload(device_CH="2")),
        (channel_topic(1), "Connected with MQTT."),
        (channel_topic(1), json.dumps({"device_CH": "1", "PI": "12"})),
        (channel_topic(1), channel_payload(P="-5")),
    ],
)
async def test_bad_channel_input(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    device_registry: dr.DeviceRegistry,
    caplog: pytest.LogCaptureFixture,
    topic: str,
    payload: str,
) -> None:
    """Bad input on a channel is skipped, logged once, and never makes a device."""
    caplog.set_level(logging.WARNING)
    await dongle.send(payload, topic=topic)
    await dongle.send(payload, topic=topic)
    devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    assert len(devices) == 1
    assert init_integration.runtime_data.coordinator.rejections.total == 2
    assert caplog.text.count("Skipped an invalid message") == 1


async def test_restart_with_known_channels(
    hass: HomeAssistant, init_integration: MockConfigEntry, dongle: Dongle
) -> None:
    """Known channels' entities exist at the next start, unavailable until the channel speaks."""
    await send_channel(dongle, 1, channel_payload(), times=3)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    index = "sensor.warmtepomp_index_day_high"
    assert hass.states.get(index).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    # The guard kept its value: one message is enough, a glitch still is held back.
    await send_channel(dongle, 1, channel_payload(CH="1500100"))
    assert hass.states.get(index).state == "1500.1"  # type: ignore[union-attr]
    await send_channel(dongle, 1, channel_payload(CH="100"))
    assert hass.states.get(index).state == "1500.1"  # type: ignore[union-attr]


async def test_channel_availability(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    mqtt_mock: MqttMockHAClient,
) -> None:
    """A silent channel and a lost broker make the channel's entities unavailable."""
    await send_channel(dongle, 1, channel_payload())
    power = "sensor.warmtepomp_power"
    await dongle.wait(150)
    assert hass.states.get(power).state == "1000.0"  # type: ignore[union-attr]
    await dongle.wait(70)
    assert hass.states.get(power).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    await send_channel(dongle, 1, channel_payload())
    assert hass.states.get(power).state == "1000.0"  # type: ignore[union-attr]
    mqtt_mock.connected = False
    init_integration.runtime_data.coordinator.channels._async_connection_changed(False)
    await hass.async_block_till_done()
    assert hass.states.get(power).state == STATE_UNAVAILABLE  # type: ignore[union-attr]


async def test_remove_stale_channel(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A channel silent for a day can be deleted; a sending one and the dongle cannot."""
    assert await async_setup_component(hass, "config", {})
    await send_channel(dongle, 1, channel_payload())
    device = channel_device(device_registry, 1)
    dongle_device = device_registry.async_get_devices(identifiers={(DOMAIN, IDENT)})[0]
    assert device is not None
    assert dongle_device is not None
    client = await hass_ws_client(hass)

    response = await client.remove_device(device.id)
    assert not response["success"]
    response = await client.remove_device(dongle_device.id)
    assert not response["success"]

    await dongle.wait(timedelta(days=1).total_seconds())
    response = await client.remove_device(device.id)
    assert response["success"]
    await hass.async_block_till_done()
    assert channel_device(device_registry, 1) is None
    assert hass.states.get("sensor.warmtepomp_power") is None
    assert init_integration.runtime_data.coordinator.channels.as_stored() == {}

    # It sends again: it comes back by itself.
    await send_channel(dongle, 1, channel_payload())
    assert channel_device(device_registry, 1) is not None
    assert hass.states.get("sensor.warmtepomp_power").state == "1000.0"  # type: ignore[union-attr]


async def test_ignored_channels(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    device_registry: dr.DeviceRegistry,
) -> None:
    """An ignored channel's device goes away and it makes none while it stays ignored."""
    await send_channel(dongle, 1, channel_payload())
    await send_channel(dongle, 3, channel_payload(PLUG))
    assert channel_device(device_registry, 1) is not None
    hass.config_entries.async_update_entry(init_integration, options={CONF_IGNORED_CHANNELS: ["1"]})
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert channel_device(device_registry, 1) is None
    assert channel_device(device_registry, 3) is not None
    await send_channel(dongle, 1, channel_payload())
    assert channel_device(device_registry, 1) is None
    assert init_integration.runtime_data.coordinator.rejections.total == 0


async def test_relay_switch(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    mqtt_mock: MqttMockHAClient,
) -> None:
    """A plug's relay: shown as reported, switched by a publish, optimistic until the report."""
    await send_channel(dongle, 3, channel_payload(PLUG))
    switch = "switch.channel_3_relay"
    assert hass.states.get(switch).state == STATE_ON  # type: ignore[union-attr]
    await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    assert mqtt_mock.async_publish.call_args.args[:2] == (f"{IDENT}/SET/REL/CH3", "OFF")
    assert hass.states.get(switch).state == STATE_OFF  # type: ignore[union-attr]
    # The plug did not follow: its report wins.
    await send_channel(dongle, 3, channel_payload(PLUG))
    assert hass.states.get(switch).state == STATE_ON  # type: ignore[union-attr]
    await hass.services.async_call("switch", "turn_on", {"entity_id": switch}, blocking=True)
    assert mqtt_mock.async_publish.call_args.args[:2] == (f"{IDENT}/SET/REL/CH3", "ON")
    await send_channel(dongle, 3, channel_payload(PLUG, REL="0"))
    assert hass.states.get(switch).state == STATE_OFF  # type: ignore[union-attr]
    assert hass.states.get("sensor.channel_3_wi_fi_signal").state == "-61.0"  # type: ignore[union-attr]


async def test_user_rename_wins(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The payload names a device at creation only; the user's rename stays."""
    await send_channel(dongle, 1, channel_payload())
    device = channel_device(device_registry, 1)
    assert device is not None
    device_registry.async_update_device(device.id, name_by_user="Heat pump")
    await send_channel(dongle, 1, channel_payload(CHname="Something else"))
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    await send_channel(dongle, 1, channel_payload(CHname="Something else"))
    device = channel_device(device_registry, 1)
    assert device is not None
    assert (device.name, device.name_by_user) == ("Warmtepomp", "Heat pump")


async def test_new_ident_moves_channels(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Reconfigure to a new dongle: channel devices and entities follow, ids kept."""
    await dongle.send_confirmed(make_payload())
    await send_channel(dongle, 1, channel_payload())
    voltage = "sensor.warmtepomp_voltage"
    assert entity_registry.async_get(voltage) is not None
    new_ident = "4c75252e8c51"
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    hass.config_entries.async_update_entry(
        init_integration, unique_id=new_ident, data={CONF_IDENT: new_ident}
    )
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert entity_registry.async_get(voltage).unique_id == f"{new_ident}_ch1_voltage"  # type: ignore[union-attr]
    assert (
        entity_registry.async_get("sensor.lowi3_3494546c709b_voltage").unique_id  # type: ignore[union-attr]
        == f"{new_ident}_voltage"
    )
    assert channel_device(device_registry, 1) is None
    (device,) = device_registry.async_get_devices(identifiers={(DOMAIN, f"{new_ident}_ch1")})
    assert device.name == "Warmtepomp"
    async_fire_mqtt_message(hass, f"{new_ident}/PUB/CH1", channel_payload(ident=new_ident))
    await hass.async_block_till_done()
    assert hass.states.get("sensor.warmtepomp_power").state == "1000.0"  # type: ignore[union-attr]
    devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    assert len(devices) == 2


async def test_diagnostics_with_channels(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics list each channel and its last payload, redacted like CH0's."""
    await dongle.send(make_payload(), topic=TOPIC)
    await send_channel(dongle, 1, channel_payload(), times=3)
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    channels = result["channels"]
    assert channels["1"].pop("last_received")
    assert IDENT not in str(result)
    assert "Warmtepomp" not in str(result)
    assert channels == snapshot


async def test_simulator_channels_end_to_end(
    hass: HomeAssistant,
    dongle: Dongle,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The simulator's heat pump and solar panels, through HA's MQTT, become two devices."""
    simulation = Simulation(
        SimulationConfig(
            seed=3,
            start=datetime(2026, 1, 14, 11, 0, tzinfo=UTC),
            heat_pump_channel=1,
            pv_channel=2,
        )
    )
    for message in simulation.messages(4):
        for sent in (message, *simulation.channel_messages()):
            await dongle.send(sent.payload, topic=sent.topic)
    fields = simulation.channel_fields()
    assert {device.name for device in dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )} == {f"LoWi3 {IDENT}", "Heat pump", "Solar panels"}  # fmt: skip
    expected = {
        "sensor.heat_pump_power": float(fields[1]["P"]),
        "sensor.heat_pump_index_total": (int(fields[1]["CH"]) + int(fields[1]["CL"])) / 1000,
        "sensor.solar_panels_power": float(fields[2]["P"]),
        "sensor.solar_panels_index_day_high": int(fields[2]["CH"]) / 1000,
        "sensor.solar_panels_energy_today": int(fields[2]["DC"]) / 1000,
    }
    shown = {entity: float(hass.states.get(entity).state) for entity in expected}  # type: ignore[union-attr]
    assert shown == pytest.approx(expected)
    assert expected["sensor.solar_panels_power"] > 0


async def test_power_interval_applies_to_channels(
    hass: HomeAssistant,
    dongle: Dongle,
    mock_config_entry: MockConfigEntry,
) -> None:
    """With "Write power at most every 30 s", a channel's power shows its 30-second mean."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={"power_interval": 30})
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    shown = []
    for power in ("1000", "2000", "3000", "0"):
        await send_channel(dongle, 1, channel_payload(P=power))
        shown.append(hass.states.get("sensor.warmtepomp_power").state)  # type: ignore[union-attr]
    assert shown == ["1000.0", "1000.0", "1000.0", "2000.0"]
