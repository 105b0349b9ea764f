"""Tests of the net-metering part: start indexes, sensors, repair, restart, roll-over."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lowi_ores.const import DOMAIN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er, issue_registry as ir

from .conftest import IDENT, Dongle, make_payload

pytestmark = pytest.mark.usefixtures("mqtt_mock")

BILL: dict[str, Any] = {
    "region": "wallonia",
    "net_metering": True,
    "reading_date": "2026-03-14",
    "next_reading_date": "2027-03-14",
    "reading_import_day": 1000.0,
    "reading_import_night": 2000.0,
    "reading_export_day": 3000.0,
    "reading_export_night": 400.0,
    "netting": "together",
    "billable_price": 0.32,
    "grid_operator": "resa",
    "inverter_kw": 5.0,
    "prosumer_rate": 79.45,
}


def _entry(options: dict[str, Any]) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"LoWi3 {IDENT}",
        unique_id=IDENT,
        data={"ident": IDENT},
        options=options,
    )


def _state(hass: HomeAssistant, key: str) -> State | None:
    """Return the state of the ledger sensor with this key, found by unique id."""
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{IDENT}_{key}")
    return None if entity_id is None else hass.states.get(entity_id)


def _value(hass: HomeAssistant, key: str) -> str:
    state = _state(hass, key)
    assert state is not None, key
    return state.state


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_balance_from_the_bill(
    hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """The bill's indexes start the period: balance, billable, surplus, cost."""
    freezer.move_to("2026-09-13T22:00:00+00:00")  # 14 September, midnight in Brussels
    entry = _entry(BILL)
    await _setup(hass, entry)
    await dongle.send_confirmed(make_payload())
    # (1234.567 - 1000 + 2345.678 - 2000) - (3456.789 - 3000 + 456.789 - 400)
    assert _value(hass, "net_metering_balance") == "66.667"
    assert _value(hass, "net_metering_billable") == "66.667"
    assert _value(hass, "net_metering_surplus") == "0.0"
    balance = _state(hass, "net_metering_balance")
    assert balance is not None
    assert balance.attributes["last_reset"] == "2026-03-14T00:00:00+01:00"
    assert balance.attributes["next_reading"] == "2027-03-14"
    assert balance.attributes["days_left"] == 181
    assert balance.attributes["origin"] == "bill"
    # 184 days of 365 gone: the fee so far, with 6% VAT.
    fee = 5 * 79.45 * 1.06 * (184 + 30 / 86400) / 365
    assert float(_value(hass, "net_metering_cost")) == pytest.approx(66.667 * 0.32 + fee, abs=0.01)
    assert _state(hass, "net_metering_balance_day") is None
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"net_metering_partial_{entry.entry_id}") is None
    )
