"""The integration's own work per CH0 message, against an in-process floor.

The simulated stream of `scripts/benchmark --mqtt` (one second of meter time per message), the
same 15 sensors (voltage and current enabled), through Home Assistant's own MQTT client (only
paho is mocked), without recorder. The floor is a callback doing one ``json.loads`` and 15
``hass.states.async_set`` with the attributes the integration's states carry (friendly name,
unit, device class, state class), so both write the same states; the entity floor does the
same with 15 registered sensor entities, each written when its value changed, as the
integration's and Home Assistant's MQTT sensors are. Best of several rounds,
microseconds of CPU per message. With ``LOWI_PROFILE=1`` it prints a cProfile of the
integration's rounds. Under valgrind, with ``LOWI_COUNT_LIBRARY`` naming the compiled
``callgrind_toggle.c``, it counts the instructions of one round after one round of warm-up
instead (``scripts/benchmark --instructions``). A benchmark: nothing is asserted about time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import cProfile
import ctypes
import json
import os
import pstats
import time
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockEntityPlatform,
    async_fire_mqtt_message,
)

from benchmarks.entity_floor import floor_sensors, write_changed
from benchmarks.mqtt_cpu import SENSORS, floor_values, stream
from custom_components.lowi_ores.const import CONF_IDENT, DOMAIN
from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from tests.conftest import IDENT, TOPIC

ROUNDS = 7
MESSAGES = 600
PAYLOADS = stream(5 + ROUNDS * MESSAGES)


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Leave the event loop out of debug mode (the test plugin's default), as in a real run."""
    asyncio.get_running_loop().set_debug(False)


async def best_microseconds(hass: HomeAssistant, profile: cProfile.Profile | None = None) -> float:
    """Feed the stream in rounds; return the best round's CPU time per message.

    When counting instructions: one round of warm-up, then one counted round; returns 0.
    """
    if library := os.environ.get("LOWI_COUNT_LIBRARY"):
        counter = ctypes.CDLL(library)
        for number in range(2):
            if number:
                counter.lowi_count_start()
            for payload in PAYLOADS[5 + number * MESSAGES : 5 + (number + 1) * MESSAGES]:
                async_fire_mqtt_message(hass, TOPIC, payload)
            await hass.async_block_till_done()
        counter.lowi_count_stop()
        return 0.0
    best = float("inf")
    for number in range(ROUNDS):
        payloads = PAYLOADS[5 + number * MESSAGES : 5 + (number + 1) * MESSAGES]
        if profile:
            profile.enable()
        began = time.process_time()
        for payload in payloads:
            async_fire_mqtt_message(hass, TOPIC, payload)
        await hass.async_block_till_done()
        best = min(best, (time.process_time() - began) / len(payloads) * 1e6)
        if profile:
            profile.disable()
    return best


async def print_floor(hass: HomeAssistant, received: Callable[[Any], None], name: str) -> None:
    """Subscribe a floor's callback, let it see the first messages, then measure and print."""
    await mqtt.async_subscribe(hass, TOPIC, received, encoding=None)
    for payload in PAYLOADS[:5]:
        async_fire_mqtt_message(hass, TOPIC, payload)
    await hass.async_block_till_done()
    print(f"\n{name}: {await best_microseconds(hass):.1f} us")


@pytest.mark.usefixtures("mqtt_mock")
async def test_floor_in_process(hass: HomeAssistant) -> None:
    """One json.loads and 15 state writes with the integration's attributes, in a callback."""
    set_state = hass.states.async_set
    attributes = {
        key: {
            k: v
            for k, v in (
                ("state_class", state_class),
                ("unit_of_measurement", unit),
                ("device_class", device_class),
                ("friendly_name", f"LoWi3 {IDENT} {name}"),
            )
            if v
        }
        for key, name, unit, device_class, state_class, _ in SENSORS
    }

    @callback
    def received(msg: Any) -> None:
        for key, value in floor_values(json.loads(msg.payload)).items():
            set_state(f"sensor.floor_{key}", str(value), attributes[key])

    await print_floor(hass, received, "floor with the same attributes")


@pytest.mark.usefixtures("mqtt_mock")
async def test_entity_floor_in_process(hass: HomeAssistant) -> None:
    """One json.loads and 15 registered sensor entities, each written when its value changed.

    The least an integration exposing these sensors as entities can cost (the real-HA
    benchmark's floor_entities).
    """
    entities = floor_sensors(sensor[:5] for sensor in SENSORS)
    await MockEntityPlatform(hass, domain="sensor", platform_name="floor").async_add_entities(
        entities.values()
    )

    @callback
    def received(msg: Any) -> None:
        write_changed(entities, floor_values(json.loads(msg.payload)))

    await print_floor(hass, received, "entity floor")


@pytest.mark.usefixtures("mqtt_mock")
async def test_integration_in_process(hass: HomeAssistant) -> None:
    """The integration with its default options and voltage and current enabled."""
    registry = er.async_get(hass)
    entry = MockConfigEntry(domain=DOMAIN, title=f"LoWi3 {IDENT}", data={CONF_IDENT: IDENT})
    entry.add_to_hass(hass)
    for key in ("voltage", "current"):
        registry.async_get_or_create(
            "sensor", DOMAIN, f"{IDENT}_{key}", config_entry=entry, disabled_by=None
        )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for payload in PAYLOADS[:5]:
        async_fire_mqtt_message(hass, TOPIC, payload)
    await hass.async_block_till_done()
    for key in ("voltage", "current"):
        entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{IDENT}_{key}")
        assert entity_id is not None
        assert hass.states.get(entity_id) is not None
    profile = cProfile.Profile() if os.environ.get("LOWI_PROFILE") else None
    print(f"\nintegration: {await best_microseconds(hass, profile):.1f} us")
    if profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(50)
