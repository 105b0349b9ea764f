"""The fuzz mix through a real Mosquitto and a real Home Assistant: how many warning lines.

Publishes ``simulator.fuzz`` 's 10,000 payloads (a third valid, the rest junk, interleaved) to a
private broker, waits until Home Assistant has taken the last valid one, and counts the warning
lines the integration wrote to Home Assistant's log. Run with ``scripts/benchmark`` (or
``pytest benchmarks/test_fuzz_log.py -s`` in the test environment); needs mosquitto and the
frontend package, as the end-to-end test.
"""

from __future__ import annotations

from collections.abc import Generator
import os
from pathlib import Path
import re
import time

import pytest

from demo.hass_config import IDENT, entity_id, write_config
from demo.processes import HomeAssistant, Mosquitto, free_port, mosquitto_binary, wait_for
from simulator.fuzz import fuzz_mix
from simulator.publisher import MqttPublisher

pytestmark = [pytest.mark.timeout(600), pytest.mark.usefixtures("socket_enabled")]

COUNT = 10_000
SEED = 9
WARNING_LINE = re.compile(r" WARNING \([^)]*\) \[custom_components\.lowi_ores[.\]]")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the suite's autouse fixture: no in-process Home Assistant here."""


@pytest.fixture
def processes(tmp_path: Path) -> Generator[tuple[Mosquitto, HomeAssistant]]:
    """Start a broker and Home Assistant with the LoWi3 entry; stop both afterwards."""
    extra = os.environ.get("LOWI_ORES_HASS_EXTRA")
    if mosquitto_binary() is None or not extra:
        pytest.skip("needs mosquitto and the frontend package (scripts/setup)")
    broker = Mosquitto(tmp_path / "mosquitto")
    hass: HomeAssistant | None = None
    try:
        broker.start()
        port = free_port()
        login = write_config(
            tmp_path / "config",
            broker_host="127.0.0.1",
            broker_port=broker.port,
            http_port=port,
            name="LoWi3 fuzz",
            energy=False,
        )
        hass = HomeAssistant(
            tmp_path / "config",
            port,
            login.access_token,
            log_path=tmp_path / "hass-output.log",
            extra_path=extra,
        )
        hass.start(timeout=120)
        yield broker, hass
    finally:
        if hass is not None:
            hass.stop(timeout=30)
        broker.stop()


def test_fuzz_mix_through_real_processes(processes: tuple[Mosquitto, HomeAssistant]) -> None:
    """At most 20 warning lines for the whole mix (published within an hour)."""
    broker, hass = processes
    payloads, last_import_day = fuzz_mix(COUNT, SEED, IDENT)
    publisher = MqttPublisher("127.0.0.1", broker.port, client_id="lowi3-fuzz-benchmark")
    assert publisher.start(timeout=10)
    started = time.monotonic()
    try:
        for payload in payloads:
            assert publisher.publish(f"{IDENT}/PUB/CH0", payload)
            time.sleep(0.003)
    finally:
        publisher.stop()
    expected = str(last_import_day / 1000)
    wait_for(
        "the last valid index",
        lambda: hass.state(entity_id("import_index_day")) == expected,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    log = (hass.config_dir / "home-assistant.log").read_text(errors="replace")
    warnings = [line for line in log.splitlines() if WARNING_LINE.search(line)]
    print(f"\n{COUNT} payloads in {elapsed:.0f} s: {len(warnings)} warning lines")
    for line in warnings[:30]:
        print("  " + line[:200])
    assert len(warnings) <= 20
