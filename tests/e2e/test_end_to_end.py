"""End to end: the simulator publishes to a real Mosquitto, a real Home Assistant reads it.

One scenario, step by step, against real processes (see conftest.py):

1. simulated LoWi3 messages are published; every sensor's state, read through the REST API,
   is the value the message carried;
2. the broker stops: the entities become unavailable; it starts again: they recover;
3. Home Assistant restarts: the counters carry on, and the long-term statistics of every meter
   index grow by exactly what the meter counted, without a jump.

Deselect with `-m "not e2e"`. Bounded by a timeout; the fixtures stop every process they started.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import time
from typing import Any

from paho.mqtt import publish
import pytest

from demo.hass_config import IDENT, entity_id
from demo.processes import HomeAssistant, Mosquitto, wait_for
from simulator import Simulation, SimulationConfig

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(170),
    pytest.mark.usefixtures("socket_enabled"),
]

# Sensor key -> how its state follows from a message's fields.
EXPECTED: dict[str, Callable[[dict[str, str]], float]] = {
    "power_imported": lambda f: float(f["PI"]),
    "power_exported": lambda f: float(f["PE"]),
    "net_power": lambda f: float(f["PI"]) - float(f["PE"]),
    "import_index_day": lambda f: int(f["CIH"]) / 1000,
    "import_index_night": lambda f: int(f["CIL"]) / 1000,
    "export_index_day": lambda f: int(f["CEH"]) / 1000,
    "export_index_night": lambda f: int(f["CEL"]) / 1000,
    "import_index_total": lambda f: (int(f["CIH"]) + int(f["CIL"])) / 1000,
    "export_index_total": lambda f: (int(f["CEH"]) + int(f["CEL"])) / 1000,
    "gas_index": lambda f: int(f["CG"]) / 1000,
    "water_index": lambda f: int(f["CW"]) / 1000,
}
INDEXES = [key for key in EXPECTED if "index" in key]
# The dongle's extra channels (a heat pump on CH1, the PV inverter on CH2): entity -> value.
CHANNELS: dict[str, tuple[int, Callable[[dict[str, str]], float]]] = {
    "sensor.heat_pump_power": (1, lambda f: float(f["P"])),
    "sensor.heat_pump_index_total": (1, lambda f: (int(f["CH"]) + int(f["CL"])) / 1000),
    "sensor.solar_panels_power": (2, lambda f: float(f["P"])),
    "sensor.solar_panels_index_total": (2, lambda f: (int(f["CH"]) + int(f["CL"])) / 1000),
}


class Dongle:
    """The simulated LoWi3, publishing on the broker one message at a time."""

    def __init__(self, port: int) -> None:
        """Start a deterministic simulation: a sunny June midday, exporting."""
        self.port = port
        self.simulation = Simulation(
            SimulationConfig(
                seed=4,
                start=datetime(2026, 6, 22, 10, 0, tzinfo=UTC),
                heat_pump_channel=1,
                pv_channel=2,
            )
        )
        self.fields: dict[str, str] = {}
        self.channels: dict[int, dict[str, str]] = {}
        # Messages published, by topic level ("CH0", "CH1", ...), since `sent` was last cleared.
        self.sent: dict[str, int] = {}

    def publish(self) -> dict[str, str]:
        """Publish the next message on CH0, then the channels'; return CH0's fields."""
        message = self.simulation.step()
        assert message is not None
        assert message.fields is not None
        channel_messages = self.simulation.channel_messages()
        publish.multiple(
            [(m.topic, m.payload) for m in (message, *channel_messages)],
            hostname="127.0.0.1",
            port=self.port,
            keepalive=10,
        )
        for m in (message, *channel_messages):
            level = m.topic.rpartition("/")[2]
            self.sent[level] = self.sent.get(level, 0) + 1
        self.fields = message.fields
        self.channels = {int(m.topic.rpartition("CH")[2]): m.fields or {} for m in channel_messages}
        return message.fields


def mismatches(
    hass: HomeAssistant, fields: dict[str, str], channels: dict[int, dict[str, str]]
) -> dict[str, Any]:
    """Return the sensors whose state differs from what was sent, with their state."""
    expected: dict[str, float] = {
        entity_id(key, IDENT): value(fields) for key, value in EXPECTED.items()
    } | {entity: value(channels[number]) for entity, (number, value) in CHANNELS.items()}
    wrong: dict[str, Any] = {}
    for entity, value in expected.items():
        state = hass.state(entity)
        try:
            if abs(float(state or "nan") - value) < 1e-6:
                continue
        except ValueError:
            pass
        wrong[entity] = (state, value)
    return wrong


def publish_until_read_back(hass: HomeAssistant, dongle: Dongle, timeout: float, what: str) -> None:
    """Publish a message every half second until Home Assistant shows the last one exactly."""

    def shown() -> bool:
        try:
            fields = dongle.publish()
        except OSError:  # the broker is not there (yet)
            return False
        time.sleep(0.3)
        return not mismatches(hass, fields, dongle.channels)

    try:
        wait_for(what, shown, timeout, interval=0.2)
    except TimeoutError as err:
        raise AssertionError(
            f"{err}: {mismatches(hass, dongle.fields, dongle.channels)}\n{hass.log_tail()}"
        ) from err


def compile_statistics(hass: HomeAssistant, start: datetime) -> None:
    """Have Home Assistant compile the 5-minute statistics of the period starting at `start`."""
    status, body = hass.call(
        "POST",
        "/api/services/e2e_stats/compile?return_response",
        {"start": start.isoformat()},
        timeout=40,
    )
    assert status == 200, body


def read_statistics(hass: HomeAssistant, start: datetime) -> dict[str, list[dict[str, Any]]]:
    """Return the 5-minute statistics of the meter indexes from `start` on, per sensor key."""
    ids = {entity_id(key, IDENT): key for key in INDEXES}
    status, body = hass.call(
        "POST",
        "/api/services/e2e_stats/read?return_response",
        {"statistic_ids": sorted(ids), "start": start.isoformat()},
    )
    assert status == 200, body
    return {ids[statistic_id]: rows for statistic_id, rows in body["service_response"].items()}


def messages_received(hass: HomeAssistant) -> dict[str, int]:
    """Return the dongle's messages received per channel, from the entry's diagnostics."""
    status, entries = hass.call("GET", "/api/config/config_entries/entry?domain=lowi_ores")
    assert status == 200, entries
    (entry,) = entries
    status, body = hass.call("GET", f"/api/diagnostics/config_entry/{entry['entry_id']}")
    assert status == 200, body
    received: dict[str, int] = body["data"]["messages_received"]
    return received


def test_simulated_dongle_through_real_broker_and_home_assistant(
    broker: Mosquitto, home_assistant: HomeAssistant
) -> None:
    """Read back, broker loss and return, restart without a statistics jump."""
    hass = home_assistant
    dongle = Dongle(broker.port)
    probe = entity_id("power_imported", IDENT)

    # 1. Every sensor shows what the dongle sent (the indexes after 3 agreeing messages).
    publish_until_read_back(hass, dongle, 30, "the first messages to be read back")
    before_restart = dict(dongle.fields)

    # Statistics of a period after every real 5-minute compile of this run: the baseline.
    now = datetime.now(UTC)
    first_period = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    first_period += timedelta(minutes=10)
    compile_statistics(hass, first_period)

    # 2. The broker goes away: unavailable at once. It comes back: so do the values.
    broker.stop()
    wait_for(
        "the entities to become unavailable",
        lambda: (
            all(
                hass.state(entity_id(key, IDENT)) == "unavailable"
                for key in ("power_imported", *INDEXES)
            )
            and all(hass.state(entity) == "unavailable" for entity in CHANNELS)
        ),
        15,
    )
    broker.start()
    publish_until_read_back(hass, dongle, 40, "the entities to recover after the broker restart")

    # 3. Home Assistant restarts; the counters carry on where they were.
    assert hass.stop(timeout=30) == 0, hass.log_tail()
    hass.start(timeout=60, entity_id=probe)
    publish_until_read_back(hass, dongle, 30, "the values after Home Assistant's restart")
    # Each message is handled once: no two of the integration's subscriptions match one topic
    # (the broker would send a copy per subscription, and Home Assistant hands each copy to
    # every matching callback).
    received_before = messages_received(hass)
    dongle.sent.clear()
    for _ in range(3):
        dongle.publish()
    publish_until_read_back(hass, dongle, 30, "the last messages")
    received = messages_received(hass)
    assert {
        level: count - received_before.get(level, 0) for level, count in received.items()
    } == dongle.sent
    after_restart = dict(dongle.fields)
    second_period = first_period + timedelta(minutes=5)
    compile_statistics(hass, second_period)

    statistics = read_statistics(hass, first_period)
    assert set(statistics) == set(INDEXES)
    exported = EXPECTED["export_index_day"]
    assert exported(after_restart) > exported(before_restart), "the simulated roof exports"
    for key, rows in statistics.items():
        assert [row["start"] for row in rows] == [
            first_period.timestamp(),
            second_period.timestamp(),
        ], key
        first, second = rows
        expected = EXPECTED[key]
        assert first["state"] == pytest.approx(expected(before_restart)), key
        assert second["state"] == pytest.approx(expected(after_restart)), key
        # No jump: the sum grew by what the meter counted, no more (a reset or a glitch would
        # add the whole index again), no less.
        growth = expected(after_restart) - expected(before_restart)
        assert second["sum"] - first["sum"] == pytest.approx(growth, abs=1e-6), key
