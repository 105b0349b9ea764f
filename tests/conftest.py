"""Fixtures for the LoWi3 tests."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from datetime import timedelta
import json
from typing import Any
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import MqttMockHAClient
from syrupy.assertion import SnapshotAssertion

from custom_components.lowi_ores.const import CONF_IDENT, DOMAIN
from homeassistant.components.recorder.models import StatisticMeanType, StatisticMetaData
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

IDENT = "3494546c709b"
TOPIC = f"{IDENT}/PUB/CH0"


def flatten_texts(data: Any, prefix: str = "") -> dict[str, str]:
    """Return the texts of a strings.json-like tree by dotted key (`config.step.user.title`)."""
    if isinstance(data, dict):
        flat: dict[str, str] = {}
        for key, value in data.items():
            flat |= flatten_texts(value, f"{prefix}{key}.")
        return flat
    return {prefix.rstrip("."): data}


# A CH0 message shaped as the protocol notes describe it: values as strings.
BASE_PAYLOAD: dict[str, Any] = {
    "ident": IDENT,
    "device_CH": "0",
    "Name": "Maison",
    "Type": "P1",
    "Units": "W",
    "U": "231.4",
    "I": "5200",
    "T": "1",
    "PI": "1200",
    "PE": "0",
    "CIH": "1234567",
    "CIL": "2345678",
    "CEH": "3456789",
    "CEL": "456789",
    "CG": "4321987",
    "CW": "123456",
}


def counter_statistic(statistic_id: str, unit_class: str, unit: str) -> StatisticMetaData:
    """Return the metadata of a counter's long-term statistics, as the recorder keeps them."""
    return {
        "mean_type": StatisticMeanType.NONE,
        "has_sum": True,
        "name": None,
        "source": "recorder",
        "statistic_id": statistic_id,
        "unit_class": unit_class,
        "unit_of_measurement": unit,
    }


def make_payload(**changes: Any) -> str:
    """Return a CH0 payload; a change to None removes the field."""
    data = BASE_PAYLOAD | changes
    return json.dumps({key: value for key, value in data.items() if value is not None})


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/ in every test."""


@pytest.fixture(autouse=True)
async def end_mqtt_client_loop(request: pytest.FixtureRequest) -> AsyncGenerator[None]:
    """Let the mocked MQTT client's 1-second loop timer run out before teardown checks timers."""
    yield
    if "mqtt_mock" in request.fixturenames:
        hass: HomeAssistant = request.getfixturevalue("hass")
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
        await hass.async_block_till_done()


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialize Home Assistant objects without volatile ids and times."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create entities that are disabled by default as enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """Return the config entry of the test dongle."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"LoWi3 {IDENT}",
        unique_id=IDENT,
        data={CONF_IDENT: IDENT},
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the integration with the test dongle."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


class Dongle:
    """Sends messages on the test dongle's topic, with the clock moving between them."""

    def __init__(self, hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
        """Initialize."""
        self.hass = hass
        self.freezer = freezer

    async def send(self, payload: str | bytes, *, after: float = 10, topic: str = TOPIC) -> None:
        """Move the clock by `after` seconds and publish one message."""
        self.freezer.tick(after)
        async_fire_time_changed(self.hass)
        async_fire_mqtt_message(self.hass, topic, payload)
        await self.hass.async_block_till_done()

    async def wait(self, seconds: float) -> None:
        """Let time pass without a message."""
        self.freezer.tick(seconds)
        async_fire_time_changed(self.hass)
        await self.hass.async_block_till_done()

    async def send_confirmed(self, payload: str, *, after: float = 10) -> None:
        """Publish a payload as often as the counter guard wants to see a first value."""
        for _ in range(3):
            await self.send(payload, after=after)


@pytest.fixture
def dongle(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> Generator[Dongle]:
    """Return a helper that publishes as the test dongle."""
    return Dongle(hass, freezer)
