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
    # The night import counter stays a little lower: kept, the meter behind.
    for _ in range(3):
        await dongle.send(make_payload(CIL="2345000"))
    await dongle.send(b'{"ident": "3494546c709b", "PI": -1}')
    await dongle.send(b"3494546c709b: Connected with MQTT.")
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    received = datetime.fromisoformat(result["last_message"].pop("received"))
    assert received == dt_util.utcnow() - timedelta(seconds=20)  # the last valid message
    # Behind since the third lower message, 20 s before the last valid one.
    behind = result["counter_guards"]["import_night"].pop("meter_behind_since")
    assert datetime.fromisoformat(behind) == received
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
    assert result["rejected_messages"] == {
        "total": 0,
        "by_reason": {},
        "last_reason": None,
        "series_started": 0,
        "ongoing": False,
        "last_hour": {"messages": 0, "rejected": 0},
        "this_hour": {"messages": 0, "rejected": 0},
        "more_than_half_rejected": False,
    }
    assert result["held_back_values"]["total"] == 0
    assert result["counter_guards"]["gas"]["meter_behind_since"] is None
