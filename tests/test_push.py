"""Tests of the push coordinators: a message reaches only the entities whose value it changed."""

from __future__ import annotations

import json
import logging
import random
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_mqtt_message,
    async_fire_time_changed,
)

from custom_components.lowi_ores.push import PushCoordinator, ValueWatch
from custom_components.lowi_ores.sensor import LowiSensor
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er

from .conftest import BASE_PAYLOAD, IDENT, TOPIC, Dongle, make_payload

_LOGGER = logging.getLogger(__name__)


def _coordinator(hass: HomeAssistant) -> PushCoordinator[dict[str, int]]:
    coordinator: PushCoordinator[dict[str, int]] = PushCoordinator(
        hass, _LOGGER, config_entry=None, name="test", update_interval=None
    )
    coordinator.data = {}
    return coordinator


async def test_watched_listener_hears_only_changes(hass: HomeAssistant) -> None:
    """A watch lets a message through when its value changed; others hear every message."""
    coordinator = _coordinator(hass)
    calls: list[str] = []
    coordinator.async_add_listener(
        lambda: calls.append("a"), ValueWatch(lambda data: data.get("a"))
    )
    coordinator.async_add_listener(lambda: calls.append("every"))
    remove_b = coordinator.async_add_listener(
        lambda: calls.append("b"), ValueWatch(lambda data: data.get("b"))
    )

    coordinator.async_push({"a": 1, "b": 1})  # the watches have seen nothing yet
    assert calls == ["a", "every", "b"]
    calls.clear()
    coordinator.async_push({"a": 1, "b": 1})
    assert calls == ["every"]
    calls.clear()
    coordinator.async_push({"a": 2, "b": 1})
    assert calls == ["a", "every"]
    calls.clear()
    remove_b()
    coordinator.async_push({"a": 2, "b": 5})
    assert calls == ["every"]


async def test_watch_with_show_is_handed_the_new_value(hass: HomeAssistant) -> None:
    """A watch's show gets each changed value; availability still reaches the update callback."""
    coordinator = _coordinator(hass)
    shown: list[Any] = []
    updates: list[str] = []
    coordinator.async_add_listener(
        lambda: updates.append("update"), ValueWatch(lambda data: data.get("a"), shown.append)
    )
    coordinator.async_push({"a": 1})
    coordinator.async_push({"a": 1, "b": 2})
    coordinator.async_push({"a": 3})
    assert shown == [1, 3]
    assert updates == []

    coordinator.last_update_success = False
    coordinator.async_update_listeners()
    coordinator.async_push({"a": 3})  # back: through the update callback, which reads the data
    assert updates == ["update", "update"]
    # The watch starts afresh after a change of availability: the next value is handed over
    # even if the update callback showed it (the entity then finds nothing new to write).
    coordinator.async_push({"a": 3})
    coordinator.async_push({"a": 3})
    coordinator.async_push({"a": 4})
    assert shown == [1, 3, 3, 4]


async def test_listener_removed_during_a_push(hass: HomeAssistant) -> None:
    """A listener may remove itself or another one while a message is handed round."""
    coordinator = _coordinator(hass)
    calls: list[str] = []

    def first() -> None:
        calls.append("first")
        remove_first()
        remove_second()

    remove_first = coordinator.async_add_listener(first)
    remove_second = coordinator.async_add_listener(lambda: calls.append("second"))
    coordinator.async_add_listener(lambda: calls.append("third"))
    coordinator.async_push({})  # goes on over the listeners it started with
    assert calls == ["first", "second", "third"]
    calls.clear()
    coordinator.async_push({})
    assert calls == ["third"]


async def test_availability_reaches_every_listener_and_resets_watches(
    hass: HomeAssistant,
) -> None:
    """Losing and regaining the source calls everyone; a value seen before the loss is new."""
    coordinator = _coordinator(hass)
    calls: list[Any] = []
    coordinator.async_add_listener(
        lambda: calls.append(coordinator.data.get("a")),
        ValueWatch(lambda data: data.get("a")),
    )
    coordinator.async_push({"a": 1})
    coordinator.async_push({"a": 1})
    coordinator.async_push({"a": 2})  # the listener last heard 2
    calls.clear()

    coordinator.last_update_success = False
    coordinator.async_update_listeners()
    assert calls == [2]  # told of the loss
    coordinator.async_push({"a": 1})  # back: everyone, with the new value
    coordinator.async_push({"a": 2})  # differs from what it last heard (1): called
    assert calls == [2, 1, 2]


async def test_failing_listener_is_logged_and_others_still_hear(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception in one listener or watch does not keep the message from the others."""
    coordinator = _coordinator(hass)
    coordinator.async_push({})
    calls: list[str] = []

    def fail() -> None:
        raise RuntimeError("boom")

    coordinator.async_add_listener(fail)
    coordinator.async_add_listener(lambda: calls.append("x"), ValueWatch(lambda _data: 1 / 0))
    coordinator.async_add_listener(lambda: calls.append("ok"))
    coordinator.async_push({"a": 1})
    assert calls == ["ok"]
    assert caplog.text.count("Unexpected error updating listener") == 2


def _random_payloads(seed: int, count: int) -> list[str]:
    """Return CH0 payloads where each field sometimes changes, goes missing or is invalid."""
    rng = random.Random(seed)
    values = dict(BASE_PAYLOAD)
    payloads = []
    for _ in range(count):
        for field in ("PI", "PE", "U", "I"):
            if rng.random() < 0.5:
                values[field] = str(rng.randint(0, 3000))
        for field in ("CIH", "CIL", "CEH", "CEL", "CG", "CW"):
            if rng.random() < 0.3:
                values[field] = str(int(values[field]) + rng.randint(1, 20))
        if rng.random() < 0.05:
            values["T"] = "2" if values["T"] == "1" else "1"
        payload = dict(values)
        if rng.random() < 0.1:
            del payload[rng.choice(["PI", "PE", "CIH", "CG", "U", "I"])]
        if rng.random() < 0.03:
            payload["CIH"] = "0"  # a glitch the guard holds back
        payloads.append(json.dumps(payload))
    return payloads


OTHER = "a1b2c3d4e5f6"


async def _add_dongle(hass: HomeAssistant, ident: str) -> MockConfigEntry:
    """Set up a dongle with every sensor enabled."""
    entry = MockConfigEntry(
        domain="lowi_ores", title=f"LoWi3 {ident}", data={"ident": ident}, unique_id=ident
    )
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    for key in ("voltage", "current", "last_message"):
        registry.async_get_or_create(
            "sensor", "lowi_ores", f"{ident}_{key}", config_entry=entry, disabled_by=None
        )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _states_of(events: list[Event[Any]], ident: str) -> list[tuple[str, str, str]]:
    """Return (entity id, state, attributes) written for a dongle, its ident taken out."""
    return [
        (
            event.data["entity_id"].replace(ident, "<ident>"),
            event.data["new_state"].state,
            json.dumps(dict(event.data["new_state"].attributes), default=str).replace(
                ident, "<ident>"
            ),
        )
        for event in events
        if ident in event.data["entity_id"]
    ]


@pytest.mark.usefixtures("mqtt_mock")
async def test_watches_write_what_calling_every_entity_writes(
    hass: HomeAssistant, dongle: Dongle
) -> None:
    """Two dongles get the same stream: one as shipped, one telling every entity of every
    message. They write the same states, silences and glitches included."""
    await _add_dongle(hass, IDENT)
    every = await _add_dongle(hass, OTHER)
    coordinator = every.runtime_data.coordinator

    def tell_everyone(data: Any) -> None:
        coordinator.data = data
        coordinator.last_update_success = True
        coordinator.async_update_listeners()

    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    with patch.object(coordinator, "async_push", tell_everyone):
        for number, payload in enumerate(_random_payloads(3, 300)):
            # Now and then a silence longer than the timeout: unavailable, then back.
            dongle.freezer.tick(400 if number % 97 == 96 else 7)
            async_fire_time_changed(hass)
            async_fire_mqtt_message(hass, TOPIC, payload)
            async_fire_mqtt_message(hass, f"{OTHER}/PUB/CH0", payload)
            await hass.async_block_till_done()

    shipped = _states_of(events, IDENT)
    assert len({entity_id for entity_id, _, _ in shipped}) >= 15
    assert len(shipped) > 300
    assert any(state == "unavailable" for _, state, _ in shipped)
    assert shipped == _states_of(events, OTHER)


@pytest.mark.usefixtures("init_integration")
async def test_a_message_calls_only_the_entities_it_changes(
    hass: HomeAssistant, dongle: Dongle
) -> None:
    """With the default options, a new power reaches the power sensors alone."""
    await dongle.send_confirmed(make_payload())
    await dongle.send(make_payload())
    called: list[str] = []
    original = LowiSensor._write_if_changed

    def spy(self: LowiSensor) -> None:
        # A sensor told of a message decides whether to write: called means told.
        called.append(self.entity_description.key)
        original(self)

    with patch.object(LowiSensor, "_write_if_changed", spy):
        await dongle.send(make_payload())
        assert called == []
        await dongle.send(make_payload(PI="1500"))
        assert sorted(called) == ["import_power", "net_power"]
        called.clear()
        await dongle.send(make_payload(PI="1500", CIH="1234600"))
        assert sorted(called) == ["import_index_day", "import_index_total", "net_index"]
