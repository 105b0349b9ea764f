"""Tests of what reaches Home Assistant's state machine per message.

Change-only writes, the single availability timer, and the option "write power at most every
N seconds" (power_interval).
"""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockEntityPlatform,
    async_capture_events,
    async_fire_mqtt_message,
    async_fire_time_changed_exact,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.lowi_ores.const import CONF_POWER_INTERVAL, CONF_TIMEOUT
from custom_components.lowi_ores.entity import LowiEntity
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.entity import EntityDescription

from .conftest import TOPIC, Dongle, make_payload

PREFIX = "sensor.lowi3_3494546c709b_"
POWER = PREFIX + "power_imported"
NET_POWER = PREFIX + "net_power"
INDEX = PREFIX + "import_index_day"
TARIFF = PREFIX + "tariff"


def entity_ids(events: list[Event[Any]]) -> list[str]:
    """Return the entity ids of state events, in order."""
    return [event.data["entity_id"] for event in events]


@pytest.mark.usefixtures("init_integration")
async def test_unchanged_values_are_not_written(hass: HomeAssistant, dongle: Dongle) -> None:
    """Only the sensors whose value changed are written; the others are not even reported."""
    await dongle.send_confirmed(make_payload())
    changed = async_capture_events(hass, EVENT_STATE_CHANGED)
    reported: list[Event[Any]] = []

    @callback
    def _reported(event: Event[Any]) -> None:
        reported.append(event)

    hass.bus.async_listen(EVENT_STATE_REPORTED, _reported, event_filter=callback(lambda _: True))
    index_reported = hass.states.get(INDEX).last_reported

    await dongle.send(make_payload(PI="1500"))

    assert sorted(entity_ids(changed)) == sorted([POWER, NET_POWER])
    assert reported == []
    assert hass.states.get(INDEX).last_reported == index_reported

    await dongle.send(make_payload(PI="1500", CIH="1234600"))
    assert sorted(entity_ids(changed)) == sorted(
        [POWER, NET_POWER, INDEX, PREFIX + "import_index_total", PREFIX + "net_index"]
    )
    assert reported == []


async def test_changed_attribute_is_written(
    hass: HomeAssistant, init_integration: MockConfigEntry, dongle: Dongle
) -> None:
    """An entity with attributes writes a change of them, its state unchanged; not a repeat."""
    entity = LowiEntity(init_integration.runtime_data.coordinator, EntityDescription(key="plain"))
    entity._attr_state = "on"
    entity._attr_extra_state_attributes = {"meter": "A"}
    await MockEntityPlatform(hass, domain="switch", platform_name="test").async_add_entities(
        [entity]
    )
    await dongle.send_confirmed(make_payload())
    assert entity.entity_id is not None
    assert hass.states.get(entity.entity_id).attributes["meter"] == "A"
    changed = async_capture_events(hass, EVENT_STATE_CHANGED)

    await dongle.send(make_payload())
    assert entity.entity_id not in entity_ids(changed)

    entity._attr_extra_state_attributes = {"meter": "B"}
    await dongle.send(make_payload())
    assert entity_ids(changed) == [entity.entity_id]
    assert hass.states.get(entity.entity_id).state == "on"
    assert hass.states.get(entity.entity_id).attributes["meter"] == "B"


async def test_meter_sensors_have_no_attributes_of_their_own(
    hass: HomeAssistant, init_integration: MockConfigEntry, dongle: Dongle
) -> None:
    """What a meter sensor shows is its value: no attribute a message could change alone."""
    await dongle.send_confirmed(make_payload())
    static = {"friendly_name", "unit_of_measurement", "device_class", "state_class", "options"}
    for entity_id in hass.states.async_entity_ids("sensor"):
        assert set(hass.states.get(entity_id).attributes) <= static, entity_id


async def test_one_timer_unavailable_exactly_after_the_timeout(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Messages keep the entities available without moving the timer; silence ends it on time."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_TIMEOUT: 60})
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = mock_config_entry.runtime_data.coordinator
    timer = coordinator._cancel_timeout

    async def at(seconds: float, payload: str | None = None) -> None:
        freezer.tick(seconds)
        async_fire_time_changed_exact(hass)
        if payload is not None:
            async_fire_mqtt_message(hass, TOPIC, payload)
        await hass.async_block_till_done()

    # A message every 20 s for 5 minutes: always available, and the same timer until it fires.
    await at(20, make_payload())
    assert coordinator._cancel_timeout is timer
    for _ in range(14):
        await at(20, make_payload())
        assert hass.states.get(POWER).state != STATE_UNAVAILABLE

    # Silence: still available 0.1 s before the timeout, unavailable at it.
    await at(59.9)
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
    await at(0.1)
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE
    assert coordinator._cancel_timeout is None

    # A valid message brings it back and arms the timer again.
    await at(100, make_payload())
    assert hass.states.get(POWER).state == "1200.0"
    assert coordinator._cancel_timeout is not None
    await at(59.9)
    assert hass.states.get(POWER).state == "1200.0"
    await at(0.1)
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE


async def _setup_with_interval(hass: HomeAssistant, entry: MockConfigEntry, interval: int) -> None:
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={CONF_POWER_INTERVAL: interval})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("mqtt_mock")
async def test_power_interval_writes_means_and_thinned_indexes(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    dongle: Dongle,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Power shows the time-weighted mean of each 10 s; an index its exact value once a minute
    (an index moves a Wh at a time: more often would draw the same history)."""
    freezer.move_to("2026-03-02T10:00:00+00:00")
    await _setup_with_interval(hass, mock_config_entry, 10)
    await dongle.send_confirmed(make_payload(PI="0"), after=1)
    changed = async_capture_events(hass, EVENT_STATE_CHANGED)

    # The first window runs from the first message (t1): 0 W for 3 s, 1000 W for 7 s = 700 W.
    # The second, from t11: 2000 W for 1 s, then 1000 W for 9 s = 1100 W.
    powers = [1000] * 7 + [2000] + [1000] * 9 + [500] + [500] * 50
    for second, power in enumerate(powers, start=1):
        await dongle.send(make_payload(PI=str(power), CIH=str(1_234_567 + second)), after=1)
    power_states = [e.data["new_state"].state for e in changed if e.data["entity_id"] == POWER]
    index_states = [
        (e.data["new_state"].state, e.data["new_state"].last_updated.second)
        for e in changed
        if e.data["entity_id"] == INDEX
    ]
    assert power_states == ["700.0", "1100.0", "500.0"]
    # Written at t3 (when first accepted), then once 60 s later (t63, the 60th message since):
    # the exact value of that message, though it moved with every message.
    assert index_states == [("1234.627", 3)]

    # Unavailable after a silence; the first message after it is shown as it is.
    await dongle.wait(201)
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE
    await dongle.send(make_payload(PI="321"), after=1)
    assert hass.states.get(POWER).state == "321.0"


@pytest.mark.usefixtures("mqtt_mock")
async def test_power_interval_flushes_the_index_before_each_statistics_period_ends(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    dongle: Dongle,
    freezer: FrozenDateTimeFactory,
) -> None:
    """2 s before a 5-minute boundary the index shows the meter's last value, with no message
    needed; then every change until the boundary; then once a minute again. After a silence the
    first value is shown at once."""
    freezer.move_to("2026-03-02T10:03:50+00:00")
    await _setup_with_interval(hass, mock_config_entry, 10)
    await dongle.send_confirmed(make_payload(), after=1)  # shown at 10:03:53
    changed = async_capture_events(hass, EVENT_STATE_CHANGED)

    def index_writes() -> list[tuple[str, str]]:
        return [
            (e.data["new_state"].state, e.data["new_state"].last_updated.strftime("%M:%S.%f"))
            for e in changed
            if e.data["entity_id"] == INDEX
        ]

    # Every 6.5 s, the index a Wh higher each time, from 10:04:00.5 to 10:04:52.5.
    await dongle.wait(7)
    for step in range(9):
        await dongle.send(make_payload(CIH=str(1_234_568 + step)), after=0.5 if step == 0 else 6.5)
    assert index_writes() == []  # less than a minute since 10:03:53
    await dongle.wait(5.5)  # 10:04:58: the flush, without a message
    assert index_writes() == [("1234.576", "04:58.000000")]
    await dongle.send(make_payload(CIH="1234577"), after=1.5)  # 10:04:59.5: written
    await dongle.send(make_payload(CIH="1234578"), after=1)  # 10:05:00.5: a new period
    await dongle.wait(40)
    await dongle.send(make_payload(CIH="1234579"), after=20)  # 10:06:00.5: a minute later
    assert index_writes() == [
        ("1234.576", "04:58.000000"),
        ("1234.577", "04:59.500000"),
        ("1234.579", "06:00.500000"),
    ]

    # The flush writes nothing when the index has not moved, nor while the dongle is away.
    await dongle.wait(297.5)  # 10:10:58
    await dongle.send(make_payload(CIH="1234580"), after=5)  # 10:11:03: unavailable since 10:09:20
    assert hass.states.get(INDEX).state == "1234.58"
    await dongle.send(make_payload(CIH="1234581"), after=5)
    assert hass.states.get(INDEX).state == "1234.58"  # once a minute again
    assert len(index_writes()) == 5  # 1234.576, .577, .579, unavailable, .580


@pytest.mark.usefixtures("mqtt_mock")
async def test_power_interval_zero_writes_every_change(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, dongle: Dongle
) -> None:
    """The default: every message's own value."""
    await _setup_with_interval(hass, mock_config_entry, 0)
    await dongle.send_confirmed(make_payload(), after=1)
    for power in (100, 2000, 30):
        await dongle.send(make_payload(PI=str(power)), after=1)
        assert hass.states.get(POWER).state == f"{power}.0"


@pytest.mark.usefixtures("init_integration")
async def test_recovery_after_timeout_is_written(hass: HomeAssistant, dongle: Dongle) -> None:
    """Availability changes are always written, though the value stayed the same."""
    await dongle.send_confirmed(make_payload())
    await dongle.wait(201)
    assert hass.states.get(INDEX).state == STATE_UNAVAILABLE
    await dongle.send(make_payload())
    assert hass.states.get(INDEX).state == "1234.567"


async def test_other_platforms_compare_their_state(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The base entity, for platforms other than sensor, compares availability, state and
    attributes."""

    entity = LowiEntity(init_integration.runtime_data.coordinator, EntityDescription(key="plain"))
    entity._attr_state = "on"
    entity._attr_extra_state_attributes = {"relay": 1}
    assert entity._shown() == (True, "on", {"relay": 1})
    init_integration.runtime_data.coordinator.last_update_success = False
    assert entity._shown() == (False, "on", {"relay": 1})
