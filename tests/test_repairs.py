"""Tests of the repair issue raised when the readings contradict the chosen current unit."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.lowi_ores.const import CONF_CURRENT_SCALE, DOMAIN
from custom_components.lowi_ores.repairs import CurrentScaleRepairFlow
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from .conftest import Dongle, make_payload

pytestmark = pytest.mark.usefixtures("mqtt_mock")

CENTI_READING = {"U": "230", "I": "520", "PI": "1150", "PE": "0"}


async def _setup(hass: HomeAssistant, entry: MockConfigEntry, scale: str) -> None:
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={CONF_CURRENT_SCALE: scale})
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert await async_setup_component(hass, "repairs", {})


async def test_contradiction_raises_a_fixable_issue(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    dongle: Dongle,
    issue_registry: ir.IssueRegistry,
    hass_client: ClientSessionGenerator,
) -> None:
    """mA chosen, readings in hundredths: an issue whose fix switches the option."""
    await _setup(hass, mock_config_entry, "milliampere")
    issue_id = f"current_scale_{mock_config_entry.entry_id}"
    for _ in range(9):
        await dongle.send(make_payload(**CENTI_READING))
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None  # not enough evidence yet
    await dongle.send(make_payload(**CENTI_READING))
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_key == "current_scale_centiampere"
    assert issue.translation_placeholders == {"title": mock_config_entry.title}

    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == HTTPStatus.OK
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"] == {"title": mock_config_entry.title}
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert response.status == HTTPStatus.OK
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done()
    assert mock_config_entry.options[CONF_CURRENT_SCALE] == "centiampere"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await dongle.send(make_payload(**CENTI_READING))
    assert hass.states.get("sensor.lowi3_3494546c709b_current_unit").state == "centiampere"


async def test_agreement_raises_nothing(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    dongle: Dongle,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Readings that fit the chosen unit raise no issue; automatic mode never does."""
    await _setup(hass, mock_config_entry, "centiampere")
    for _ in range(12):
        await dongle.send(make_payload(**CENTI_READING))
    assert not issue_registry.issues


async def test_issue_cleared_when_back_to_automatic(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    dongle: Dongle,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Choosing automatic again, or removing the entry, clears the issue."""
    await _setup(hass, mock_config_entry, "milliampere")
    for _ in range(10):
        await dongle.send(make_payload(**CENTI_READING))
    assert len(issue_registry.issues) == 1
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_CURRENT_SCALE: "auto"})
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    assert not issue_registry.issues

    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_CURRENT_SCALE: "milliampere"}
    )
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    for _ in range(10):
        await dongle.send(make_payload(**CENTI_READING))
    assert len(issue_registry.issues) == 1
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert not issue_registry.issues


async def test_fix_flow_for_a_removed_entry(hass: HomeAssistant) -> None:
    """A fix flow whose entry is gone aborts."""
    flow = CurrentScaleRepairFlow("missing", "centiampere")
    flow.hass = hass
    result = await flow.async_step_init()
    assert result["type"] == "abort"
    assert result["reason"] == "entry_removed"
