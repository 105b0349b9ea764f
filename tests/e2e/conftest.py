"""Fixtures of the end-to-end test: a real Mosquitto and a real Home Assistant, as processes.

Unlike the other tests, nothing runs inside pytest's Home Assistant: the processes are started
in their own sessions and always stopped (process group killed) by the fixtures' teardown, even
when the test fails or times out.
"""

from __future__ import annotations

from collections.abc import Generator
import os
from pathlib import Path

import pytest

from demo.hass_config import IDENT, Helper, entity_id, write_config
from demo.processes import HomeAssistant, Mosquitto, free_port, mosquitto_binary

# Statistics on demand (tests/e2e/stats_helper.py), an integration only in the test's folder.
HELPER = Helper(
    domain="e2e_stats",
    name="End-to-end test helper: compile and read statistics on demand",
    source=Path(__file__).parent / "stats_helper.py",
    dependencies=("recorder",),
)


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, so that `-m "not e2e"` deselects this test."""
    config.addinivalue_line(
        "markers", "e2e: end-to-end test with real Mosquitto and Home Assistant processes"
    )


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the suite's autouse fixture: no in-process Home Assistant here."""


def _frontend_path() -> str | None:
    """Return the folder holding Home Assistant's frontend package (loaded at every start)."""
    extra = os.environ.get("LOWI_ORES_HASS_EXTRA")
    if extra and (Path(extra) / "hass_frontend").is_dir():
        return extra
    try:
        import hass_frontend  # noqa: F401
    except ImportError:
        return None
    return ""


@pytest.fixture
def prerequisites() -> str:
    """Return the frontend's folder; skip (or fail under scripts/test) if anything is missing."""
    missing = []
    if mosquitto_binary() is None:
        missing.append("mosquitto (Debian package mosquitto)")
    if (frontend := _frontend_path()) is None:
        missing.append("home-assistant-frontend (set LOWI_ORES_HASS_EXTRA to its folder)")
    if missing:
        message = "end-to-end test needs " + ", ".join(missing) + "; scripts/setup provides them"
        if os.environ.get("LOWI_ORES_E2E_REQUIRED"):
            pytest.fail(message)
        pytest.skip(message)
    return frontend


@pytest.fixture
def broker(tmp_path: Path, prerequisites: str) -> Generator[Mosquitto]:
    """Start a private Mosquitto on a free loopback port."""
    mosquitto = Mosquitto(tmp_path / "mosquitto")
    try:
        mosquitto.start()
        yield mosquitto
    finally:
        mosquitto.stop()


@pytest.fixture
def home_assistant(
    tmp_path: Path, broker: Mosquitto, prerequisites: str
) -> Generator[HomeAssistant]:
    """Start Home Assistant with the MQTT entry on the broker and the LoWi3 entry."""
    config_dir = tmp_path / "config"
    port = free_port()
    login = write_config(
        config_dir,
        broker_host="127.0.0.1",
        broker_port=broker.port,
        http_port=port,
        name="LoWi3 end-to-end test",
        # A short timeout; the broker's loss is noticed at once anyway.
        lowi_options={"availability_timeout": 60},
        extra_yaml="\ne2e_stats:\ndiagnostics:\nconfig:\n",
        energy=False,
        helpers=(HELPER,),
    )
    hass = HomeAssistant(
        config_dir,
        port,
        login.access_token,
        log_path=tmp_path / "home-assistant.log",
        extra_path=prerequisites or None,
    )
    try:
        hass.start(timeout=90, entity_id=entity_id("power_imported", IDENT))
        yield hass
    finally:
        hass.stop(timeout=30)
