"""Bad input in bulk: bounded warnings, counts, and the repair issues that tell the user."""

from __future__ import annotations

from collections import Counter, defaultdict
import logging

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
)

from custom_components.lowi_ores.const import DOMAIN
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from simulator.fuzz import fuzz_mix

from .conftest import IDENT, TOPIC, Dongle, make_payload

pytestmark = pytest.mark.usefixtures("mqtt_mock")

INDEX = f"sensor.lowi3_{IDENT}_import_index_day"
# The issue's target: at most this many warning lines an hour, whatever the mix.
MAX_WARNINGS_PER_HOUR = 20
BLANK = {STATE_UNKNOWN, STATE_UNAVAILABLE}


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.lowi_ores")
        and record.levelno >= logging.WARNING
    ]


async def test_fuzz_mix_logs_few_warnings(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """10,000 payloads, a third valid, one a second: at most 20 warnings a simulated hour."""
    freezer.move_to("2026-03-01T00:00:00+00:00")
    start = freezer.time_to_freeze.timestamp()  # type: ignore[attr-defined]
    payloads = fuzz_mix(10_000, seed=9, ident=IDENT).payloads
    written: dict[str, list[float]] = defaultdict(list)

    @callback
    def _record(event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        entity_id = event.data["entity_id"]
        # The net index (import minus export) may go down; the others never.
        if "_index" in entity_id and "net" not in entity_id and state and state.state not in BLANK:
            written[entity_id].append(float(state.state))

    hass.bus.async_listen(EVENT_STATE_CHANGED, _record)
    for number, payload in enumerate(payloads):
        freezer.tick(1)
        async_fire_mqtt_message(hass, TOPIC, payload)
        if number % 100 == 0:
            async_fire_time_changed(hass)
            await hass.async_block_till_done()
    await hass.async_block_till_done()
    per_hour = Counter(int((record.created - start) // 3600) for record in _warnings(caplog))
    assert sum(per_hour.values()) > 0
    assert max(per_hour.values()) <= MAX_WARNINGS_PER_HOUR, per_hour
    coordinator = init_integration.runtime_data.coordinator
    assert coordinator.rejections.total > 3000
    assert coordinator.counters.held_back_log.total > 1000
    assert coordinator.implausible_log.total > 100
    # No index, nor a total of them, ever went down.
    assert len(written) == 8
    assert len(written[INDEX]) > 100
    for entity_id, values in written.items():
        assert values == sorted(values), entity_id
    # Half of the junk parses (a glitch in a valid message): a third of the messages are
    # rejected, not more than half, so no repair issue.
    assert (
        coordinator.rejections.share.last_rejected * 2 < coordinator.rejections.share.last_messages
    )
    issue_id = f"rejected_messages_{init_integration.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_rejections_issue_clears_after_a_clean_hour(
    hass: HomeAssistant, init_integration: MockConfigEntry, dongle: Dongle
) -> None:
    """Raised after an hour with mostly invalid messages; gone after a clean one."""
    issues = ir.async_get(hass)
    issue_id = f"rejected_messages_{init_integration.entry_id}"
    for _ in range(60):
        await dongle.send(b"junk", after=20)
        await dongle.send(b"junk", after=20)
        await dongle.send(make_payload(), after=20)
    await dongle.send(make_payload(), after=20)
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "title": init_integration.title,
        "rejected": "120",
        "messages": "180",
    }
    for _ in range(180):
        await dongle.send(make_payload(), after=20)
    assert issues.async_get_issue(DOMAIN, issue_id) is None


async def test_counter_behind(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A small lasting drop: the index stays, one warning, an issue after a day, cleared after."""
    caplog.set_level(logging.INFO)
    issues = ir.async_get(hass)
    issue_id = f"counter_behind_{init_integration.entry_id}_import_day"
    await dongle.send_confirmed(make_payload())
    seen: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            seen.append(event.data["new_state"].state) if event.data["entity_id"] == INDEX else None
        ),
    )
    # The publisher restarts a few Wh lower and counts on from there.
    for _ in range(10):
        await dongle.send(make_payload(CIH="1234500"))
    await dongle.send(make_payload(CIH="1234501"), after=86_000)
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    await dongle.send(make_payload(CIH="1234502"), after=400)
    assert hass.states.get(INDEX).state == "1234.567"
    behind = [r for r in caplog.records if "not low enough for a meter reset" in r.message]
    assert len(behind) == 1
    assert behind[0].levelno == logging.WARNING
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "counter_behind_import_day"
    assert issue.translation_placeholders == {
        "title": init_integration.title,
        "kept": "1234.567",
        "meter": "1234.502",
    }
    # The meter passes the kept value: the index follows again and the issue is gone.
    await dongle.send(make_payload(CIH="1234568"))
    assert hass.states.get(INDEX).state == "1234.568"
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    assert "the import_day counter is counting again from 1234568" in caplog.text
    # Unavailable during the long silences, never lower.
    values = [float(state) for state in seen if state != "unavailable"]
    assert values == sorted(values)
    assert values[0] == 1234.567
    assert values[-1] == 1234.568


async def test_counter_behind_issue_after_restart(
    hass: HomeAssistant, init_integration: MockConfigEntry, dongle: Dongle
) -> None:
    """The day is counted across a restart: the issue comes back from the stored state."""
    issues = ir.async_get(hass)
    issue_id = f"counter_behind_{init_integration.entry_id}_gas"
    await dongle.send_confirmed(make_payload())
    for _ in range(3):
        await dongle.send(make_payload(CG="4321000"))
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await dongle.wait(86_400)
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["meter"] == "4321"
    # Removing the entry removes its issues.
    assert await hass.config_entries.async_remove(init_integration.entry_id)
    assert issues.async_get_issue(DOMAIN, issue_id) is None
