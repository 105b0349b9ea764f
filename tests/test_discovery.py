"""Tests of discovery through the MQTT integration, against its real discovery code.

Home Assistant's MQTT integration starts a config flow for every message on a manifest topic whose
payload differs from the previous one. These tests publish a dongle's steady stream and count the
flows that are started.
"""

from __future__ import annotations

from collections.abc import Generator
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.lowi_ores.config_flow import LowiConfigFlow
from custom_components.lowi_ores.const import CONF_IDENT, DOMAIN
from homeassistant.config_entries import SOURCE_IGNORE
from homeassistant.core import HomeAssistant

from .conftest import IDENT, Dongle, make_payload

pytestmark = pytest.mark.usefixtures("mqtt_mock")

OTHER = "244cab25438c"


def _stream(index: int) -> str:
    """A message of a steady stream: the power changes every time."""
    return make_payload(PI=str(1000 + index), CIH=str(1234567 + index))


@pytest.fixture
def flows_started() -> Generator[list[str]]:
    """Record the topic of every MQTT discovery flow our config flow is asked to handle."""
    topics: list[str] = []
    original = LowiConfigFlow.async_step_mqtt

    async def _counting(self: LowiConfigFlow, discovery_info):  # type: ignore[no-untyped-def]
        topics.append(discovery_info.topic)
        return await original(self, discovery_info)

    with patch.object(LowiConfigFlow, "async_step_mqtt", _counting):
        yield topics


def _our_flows(hass: HomeAssistant) -> list[dict[str, object]]:
    return [dict(flow) for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)]


async def test_what_mqtt_discovery_does_alone(
    hass: HomeAssistant, dongle: Dongle, flows_started: list[str]
) -> None:
    """Without the hand-over, HA starts a flow for every changed payload: the behaviour we avoid."""
    with patch("custom_components.lowi_ores.discovery._stop_manifest_subscription"):
        for index in range(12):
            await dongle.send(_stream(index), topic=f"{IDENT}/PUB/CH0")
    assert len(flows_started) >= 12
    assert len(_our_flows(hass)) == 1


async def test_steady_stream_starts_one_flow(
    hass: HomeAssistant, dongle: Dongle, flows_started: list[str]
) -> None:
    """A new dongle publishing every 10 seconds for two minutes: one flow, offered once."""
    for index in range(12):
        await dongle.send(_stream(index), topic=f"{IDENT}/PUB/CH0")
    assert flows_started == [f"{IDENT}/PUB/CH0"]
    flows = _our_flows(hass)
    assert len(flows) == 1
    assert flows[0]["step_id"] == "discovery_confirm"
    assert flows[0]["context"]["unique_id"] == IDENT  # type: ignore[index]


async def test_second_dongle_is_offered_once(
    hass: HomeAssistant, dongle: Dongle, flows_started: list[str]
) -> None:
    """After the hand-over, a second dongle is still discovered, once."""
    for index in range(6):
        await dongle.send(_stream(index), topic=f"{IDENT}/PUB/CH0")
        await dongle.send(b"Connected with MQTT.", topic=f"{OTHER}/PUB/CH0", after=1)
    # Its text is not a reading: nothing offered yet.
    assert {flow["context"]["unique_id"] for flow in _our_flows(hass)} == {IDENT}  # type: ignore[index]
    for index in range(6):
        await dongle.send(_stream(index), topic=f"{OTHER}/PUB/CH0")
    assert flows_started == [f"{IDENT}/PUB/CH0", f"{OTHER}/PUB/CH0"]
    assert {flow["context"]["unique_id"] for flow in _our_flows(hass)} == {IDENT, OTHER}  # type: ignore[index]


async def test_configured_dongle_starts_no_flow(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    flows_started: list[str],
) -> None:
    """A configured dongle's stream starts no flow: its entry took discovery over at setup."""
    for index in range(30):
        await dongle.send(_stream(index), topic=f"{IDENT}/PUB/CH0")
    assert flows_started == []
    assert _our_flows(hass) == []
    assert hass.states.get("sensor.lowi3_3494546c709b_power_imported").state == "1029.0"


async def test_ignored_dongle_is_not_offered(
    hass: HomeAssistant, dongle: Dongle, flows_started: list[str]
) -> None:
    """An ignored dongle stays ignored, and its stream starts no flows."""
    MockConfigEntry(
        domain=DOMAIN, source=SOURCE_IGNORE, unique_id=IDENT, data={CONF_IDENT: IDENT}
    ).add_to_hass(hass)
    for index in range(12):
        await dongle.send(_stream(index), topic=f"{IDENT}/PUB/CH0")
    assert len(flows_started) <= 1
    assert _our_flows(hass) == []


async def test_removed_dongle_is_offered_again(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    flows_started: list[str],
) -> None:
    """Once its entry is removed, the dongle is discovered again."""
    for index in range(3):
        await dongle.send(_stream(index), topic=f"{IDENT}/PUB/CH0")
    assert _our_flows(hass) == []
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    for index in range(3):
        await dongle.send(_stream(index), topic=f"{IDENT}/PUB/CH0")
    assert [flow["context"]["unique_id"] for flow in _our_flows(hass)] == [IDENT]  # type: ignore[index]


async def test_hand_over_survives_a_missing_mqtt_internal(
    hass: HomeAssistant, dongle: Dongle, flows_started: list[str], mqtt_mock: MqttMockHAClient
) -> None:
    """If a future MQTT integration drops the internal we use, discovery still works."""
    from homeassistant.components.mqtt.models import DATA_MQTT

    saved = hass.data.pop(DATA_MQTT)
    try:
        from custom_components.lowi_ores.discovery import _stop_manifest_subscription

        _stop_manifest_subscription(hass)  # must not raise
    finally:
        hass.data[DATA_MQTT] = saved
    for index in range(3):
        await dongle.send(_stream(index), topic=f"{IDENT}/PUB/CH0")
    assert len(_our_flows(hass)) == 1
