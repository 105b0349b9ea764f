"""Tests of setup, unload, availability, bad input, persistence and reconfigured idents."""

from __future__ import annotations

import logging
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.lowi_ores.const import CONF_IDENT, CONF_TIMEOUT, DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .conftest import IDENT, TOPIC, Dongle, make_payload

POWER = "sensor.lowi3_3494546c709b_power_imported"
INDEX = "sensor.lowi3_3494546c709b_import_index_day"


def _matches(topic_filter: str, topic: str) -> bool:
    """Return True when an MQTT topic filter (with + and #) matches a topic."""
    levels = topic.split("/")
    for index, level in enumerate(topic_filter.split("/")):
        if level == "#":
            return True
        if index >= len(levels) or level not in ("+", levels[index]):
            return False
    return len(topic_filter.split("/")) == len(levels)


async def test_setup_subscribes_and_unload_unsubscribes(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, init_integration: MockConfigEntry
) -> None:
    """No two of the integration's subscriptions match one topic of the dongle.

    CH0 comes through the one discovery subscription, each channel through its exact topic. A
    wildcard over the dongle's topics would match CH0's too: a broker that sends a copy per
    matching subscription (MQTT 5 without subscription identifiers) would double every message.
    """
    assert init_integration.state is ConfigEntryState.LOADED
    # (The other topics are MQTT discovery's, for every integration.)
    filters = {
        call.args[0] for call in mqtt_mock.async_subscribe.call_args_list if "/PUB/" in call.args[0]
    }
    assert filters == {"+/PUB/CH0", *(f"{IDENT}/PUB/CH{number}" for number in range(1, 15))}
    for number in range(15):
        topic = f"{IDENT}/PUB/CH{number}"
        assert sum(_matches(topic_filter, topic) for topic_filter in filters) == 1, topic
    assert hass.states.get(POWER).state == STATE_UNKNOWN

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    with patch("custom_components.lowi_ores.coordinator.parse_payload") as parse:
        async_fire_mqtt_message(hass, TOPIC, make_payload())
        await hass.async_block_till_done()
    parse.assert_not_called()
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE


async def test_device(
    hass: HomeAssistant, init_integration: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """One device per dongle, with its MAC address as a connection."""
    devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    assert len(devices) == 1
    device = devices[0]
    assert device.identifiers == {(DOMAIN, IDENT)}
    assert device.name == f"LoWi3 {IDENT}"
    assert device.model == "LoWi3"
    assert device.connections == {(dr.CONNECTION_NETWORK_MAC, "34:94:54:6c:70:9b")}


async def test_availability_timeout(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without a valid message for the timeout, entities turn unavailable; logged once each way."""
    caplog.set_level(logging.INFO)
    await dongle.send_confirmed(make_payload())
    assert hass.states.get(POWER).state == "1200.0"

    await dongle.wait(199)
    assert hass.states.get(POWER).state == "1200.0"

    await dongle.wait(2)
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE
    assert hass.states.get(INDEX).state == STATE_UNAVAILABLE
    # Invalid messages do not bring it back, and do not log "unavailable" again.
    for _ in range(5):
        await dongle.send(b"Connected with MQTT.", after=300)
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE
    assert caplog.text.count("is unavailable") == 1

    await dongle.send(make_payload(PI="300"))
    assert hass.states.get(POWER).state == "300.0"
    assert caplog.text.count("is sending valid messages again") == 1


async def test_unavailable_without_any_message(
    hass: HomeAssistant, init_integration: MockConfigEntry, dongle: Dongle
) -> None:
    """A dongle that never publishes after setup also turns unavailable."""
    await dongle.wait(201)
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE


async def test_configurable_timeout(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    mock_config_entry: MockConfigEntry,
    dongle: Dongle,
) -> None:
    """The timeout option is used."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_TIMEOUT: 30})
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await dongle.send_confirmed(make_payload())
    await dongle.wait(31)
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE


async def test_broker_disconnect(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    init_integration: MockConfigEntry,
    dongle: Dongle,
) -> None:
    """When HA loses the broker, the entities are unavailable at once; a message restores them."""
    await dongle.send_confirmed(make_payload())
    coordinator = init_integration.runtime_data.coordinator
    coordinator._async_connection_changed(False)
    await hass.async_block_till_done()
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE
    coordinator._async_connection_changed(True)
    await dongle.send(make_payload())
    assert hass.states.get(POWER).state == "1200.0"


async def test_invalid_payloads_are_skipped_and_logged_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Garbage never crashes or changes a state; the log gets one warning per series."""
    await dongle.send_confirmed(make_payload())
    bad: list[str | bytes] = [
        b"",
        b"Connected with MQTT.",
        b"\xff\xfe\x00",
        "[1,2,3]",
        '{"PI": NaN}',
        '{"PI": "-12"}',
        '{"CIH": "abc"}',
        "{}",
    ]
    for payload in bad:
        await dongle.send(payload, after=1)
    assert hass.states.get(POWER).state == "1200.0"
    assert hass.states.get(INDEX).state == "1234.567"
    warnings = _integration_warnings(caplog)
    assert len(warnings) == 1
    assert (
        "Skipped an invalid message on 3494546c709b/PUB/CH0: empty payload" in warnings[0].message
    )
    assert init_integration.runtime_data.coordinator.rejections.total == len(bad)
    # A valid message between bad ones does not start a new series.
    await dongle.send(make_payload())
    await dongle.send(b"oops")
    assert len(_integration_warnings(caplog)) == 1


def _integration_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.lowi_ores")
        and record.levelno == logging.WARNING
    ]


async def test_guard_state_survives_restart(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    mock_config_entry: MockConfigEntry,
    dongle: Dongle,
    hass_storage: dict[str, Any],
) -> None:
    """After a reload, a first message of zero is held, not taken as the new baseline."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await dongle.send_confirmed(make_payload())
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    stored = hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}"]["data"]["guards"]
    assert stored["import_day"]["value"] == 1234567.0

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await dongle.send(make_payload(CIH="0"))
    # Held back: the restored value is shown, not zero.
    assert hass.states.get(INDEX).state == "1234.567"
    # And a normal value is accepted with a single message: no new confirmation needed.
    await dongle.send(make_payload(CIH="1234580"))
    assert hass.states.get(INDEX).state == "1234.58"


async def test_guard_saved_while_running(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    hass_storage: dict[str, Any],
) -> None:
    """The guards are saved periodically, not only at unload, and not on every message."""
    key = f"{DOMAIN}.{init_integration.entry_id}"
    await dongle.send_confirmed(make_payload())
    assert key not in hass_storage
    # Messages keep coming every 10 s; the save still happens after the delay.
    for _ in range(5):
        await dongle.send(make_payload(CIH="1234600"))
    assert key not in hass_storage
    for _ in range(2):
        await dongle.send(make_payload(CIH="1234600"))
    assert hass_storage[key]["data"]["guards"]["import_day"]["value"] == 1234600.0


async def test_remove_entry_deletes_store(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    hass_storage: dict[str, Any],
) -> None:
    """Removing the entry removes what it stored."""
    await dongle.send_confirmed(make_payload())
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert f"{DOMAIN}.{init_integration.entry_id}" in hass_storage
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.{init_integration.entry_id}" not in hass_storage


async def test_new_ident_moves_entities_and_device(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    mock_config_entry: MockConfigEntry,
    dongle: Dongle,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """After the ident changes, the same entity ids (and so history) follow the new dongle."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await dongle.send_confirmed(make_payload())
    entity_ids = {
        e.entity_id
        for e in er.async_entries_for_config_entry(entity_registry, mock_config_entry.entry_id)
    }
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)

    new_ident = "244cab25438c"
    hass.config_entries.async_update_entry(
        mock_config_entry,
        unique_id=new_ident,
        data={CONF_IDENT: new_ident},
        title=f"LoWi3 {new_ident}",
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    entries = er.async_entries_for_config_entry(entity_registry, mock_config_entry.entry_id)
    assert {e.entity_id for e in entries} == entity_ids
    assert all(e.unique_id.startswith(f"{new_ident}_") for e in entries)
    devices = dr.async_entries_for_config_entry(device_registry, mock_config_entry.entry_id)
    assert len(devices) == 1
    assert devices[0].identifiers == {(DOMAIN, new_ident)}
    assert devices[0].connections == {(dr.CONNECTION_NETWORK_MAC, "24:4c:ab:25:43:8c")}

    for _ in range(3):
        await dongle.send(make_payload(), topic=f"{new_ident}/PUB/CH0")
    assert hass.states.get(POWER).state == "1200.0"


async def test_setup_retries_without_mqtt(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Without HA's MQTT integration, setup is retried later instead of failing."""
    mock_config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert mock_config_entry.reason == "Home Assistant's MQTT integration is not available yet"


async def test_disabled_by_default(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """Voltage, current and the last message time are there, but off until the user wants them."""
    disabled = {
        entry.unique_id.removeprefix(f"{IDENT}_")
        for entry in er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
        if entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    }
    assert disabled == {"voltage", "current", "last_message"}
