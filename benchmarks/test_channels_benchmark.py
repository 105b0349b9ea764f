"""CPU per MQTT message: CH0, 14 busy channels, and the same channels as YAML MQTT sensors.

Messages go through Home Assistant's own MQTT client (only paho is mocked): topic matching,
payload decoding, the subscribers' callbacks and the state writes, as in a running instance.
Each figure is the best of several rounds (the machine is shared), in microseconds per message.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message

from custom_components.lowi_ores.const import CONF_IDENT, DOMAIN
from homeassistant.core import HomeAssistant
from tests.conftest import IDENT, TOPIC, make_payload

MESSAGES = 1400  # 100 per channel
ROUNDS = 9
CHANNELS = range(1, 15)


def power_messages(count: int, offset: int = 0) -> list[tuple[str, str]]:
    """Return `count` messages spread over the 14 channels, with a new power only."""
    return [
        (
            f"{IDENT}/PUB/CH{CHANNELS[k % len(CHANNELS)]}",
            json.dumps({"device_CH": str(CHANNELS[k % len(CHANNELS)]), "P": str(100 + k % 500)}),
        )
        for k in range(offset, offset + count)
    ]


def channel_messages(count: int, offset: int = 0) -> list[tuple[str, str]]:
    """Return `count` messages spread over the 14 channels, each with a new power and index."""
    messages = []
    for k in range(offset, offset + count):
        number = CHANNELS[k % len(CHANNELS)]
        payload = {
            "ident": IDENT,
            "device_CH": str(number),
            "CHname": f"Load {number}",
            "Type": "MB",
            "Units": "kWh",
            "P": str(100 + k % 500),
            "CH": str(1_000_000 + k),
            "CL": str(2_000_000 + k),
            "HC": str(k % 1000),
            "DC": str(5000 + k),
            "MC": str(90000 + k),
        }
        messages.append((f"{IDENT}/PUB/CH{number}", json.dumps(payload)))
    return messages


async def best_microseconds(hass: HomeAssistant, make: Any) -> float:
    """Return the best round's CPU time per message, in microseconds."""
    best = float("inf")
    for round_number in range(ROUNDS):
        messages = make(MESSAGES, (round_number + 1) * MESSAGES)
        began = time.process_time()
        for topic, payload in messages:
            async_fire_mqtt_message(hass, topic, payload)
        await hass.async_block_till_done()
        best = min(best, (time.process_time() - began) / len(messages) * 1e6)
    return best


def ch0_messages(count: int, offset: int) -> list[tuple[str, str]]:
    """Return CH0 messages with a new power and indexes each."""
    return [
        (TOPIC, make_payload(PI=str(1000 + k % 700), CIH=str(1_234_567 + k), CIL="2345678"))
        for k in range(offset, offset + count)
    ]


async def _setup(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, title=f"LoWi3 {IDENT}", data={CONF_IDENT: IDENT})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("mqtt_mock")
async def test_ch0_message_cost(hass: HomeAssistant) -> None:
    """CH0 alone: what every LoWi3 owner pays per message."""
    await _setup(hass)
    for topic, payload in ch0_messages(3, 0):
        async_fire_mqtt_message(hass, topic, payload)
    await hass.async_block_till_done()
    print(f"\nCH0 message: {await best_microseconds(hass, ch0_messages):.0f} us")


@pytest.mark.parametrize(
    ("make", "entities", "label"),
    [
        (power_messages, 1, "14 channels sending P, integration (1 entity each)"),
        (channel_messages, 4, "14 channels sending P, CH, CL, HC, DC, MC, integration (4 enabled)"),
    ],
)
@pytest.mark.usefixtures("mqtt_mock")
async def test_fourteen_channels_cost(
    hass: HomeAssistant, make: Any, entities: int, label: str
) -> None:
    """14 busy channels through the integration."""
    await _setup(hass)
    for topic, payload in make(42):
        async_fire_mqtt_message(hass, topic, payload)
    await hass.async_block_till_done()
    channel_sensors = [
        e for e in hass.states.async_entity_ids("sensor") if "load_" in e or "channel_" in e
    ]
    assert len(channel_sensors) == 14 * entities
    print(f"\n{label}: {await best_microseconds(hass, make):.0f} us")


def _yaml_sensor(number: int, key: str, template: str, **extra: str) -> dict[str, Any]:
    return {
        "name": f"Load {number} {key}",
        "unique_id": f"yaml_ch{number}_{key}",
        "state_topic": f"{IDENT}/PUB/CH{number}",
        "value_template": template,
        "state_class": "measurement" if key == "power" else "total_increasing",
        **extra,
    }


POWER_ONLY = [
    _yaml_sensor(n, "power", "{{ value_json.P }}", unit_of_measurement="W", device_class="power")
    for n in CHANNELS
]
SAME_ENTITIES = [
    sensor
    for n in CHANNELS
    for sensor in (
        _yaml_sensor(n, "power", "{{ value_json.P }}", unit_of_measurement="W"),
        _yaml_sensor(n, "high", "{{ value_json.CH | float / 1000 }}", unit_of_measurement="kWh"),
        _yaml_sensor(n, "low", "{{ value_json.CL | float / 1000 }}", unit_of_measurement="kWh"),
        _yaml_sensor(
            n,
            "total",
            "{{ (value_json.CH | float + value_json.CL | float) / 1000 }}",
            unit_of_measurement="kWh",
        ),
    )
]


@pytest.mark.parametrize(
    ("hass_config", "label"),
    [
        ({"mqtt": {"sensor": POWER_ONLY}}, "14 YAML MQTT sensors (power only)"),
        ({"mqtt": {"sensor": SAME_ENTITIES}}, "56 YAML MQTT sensors (the integration's entities)"),
    ],
)
@pytest.mark.usefixtures("mqtt_mock")
async def test_yaml_sensors_cost(hass: HomeAssistant, hass_config: Any, label: str) -> None:
    """The same messages, read by YAML MQTT sensors with value templates instead."""
    await hass.async_block_till_done()
    assert len(hass.states.async_entity_ids("sensor")) == len(hass_config["mqtt"]["sensor"])
    make = power_messages if len(hass_config["mqtt"]["sensor"]) == 14 else channel_messages
    print(f"\n{label}: {await best_microseconds(hass, make):.0f} us")
