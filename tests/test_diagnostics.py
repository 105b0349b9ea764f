"""Tests of the diagnostics download."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .conftest import IDENT, Dongle, make_payload


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    freezer: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
) -> None:
    """The download shows the reading, guards and rejections, without the ident or names."""
    await dongle.send_confirmed(make_payload())
    await dongle.send(make_payload(CIH="0"))
    await dongle.send(b'{"ident": "3494546c709b", "PI": -1}')
    await dongle.send(b"3494546c709b: Connected with MQTT.")
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    received = datetime.fromisoformat(result["last_message"].pop("received"))
    assert received == dt_util.utcnow() - timedelta(seconds=20)  # the last valid message
    assert IDENT not in str(result)
    assert "REDACTED" in result["rejected_messages"]["last_reason"]
    assert "Maison" not in str(result)
    assert result == snapshot


@pytest.mark.usefixtures("init_integration")
async def test_diagnostics_before_any_message(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, init_integration: MockConfigEntry
) -> None:
    """Diagnostics work before the dongle has said anything."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert result["last_message"] is None
    assert result["rejected_messages"] == {"total": 0, "by_reason": {}, "last_reason": None}
