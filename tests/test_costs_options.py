"""Tests of the contract's price steps in the options flow (after the region)."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lowi_ores.const import CAPACITY_KEYS, CONF_REGION, CONF_TIMEOUT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from .conftest import IDENT

pytestmark = pytest.mark.usefixtures("mqtt_mock")
SPOT = "sensor.nord_pool_be_current_price"


async def _contract(hass: HomeAssistant, entry: MockConfigEntry, model: str) -> dict[str, Any]:
    """Open Billing, choose Flanders, then a kind of contract; return the contract's form."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "billing"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_REGION: "flanders"}
    )
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["step_id"] == "prices"
    return dict(
        await hass.config_entries.options.async_configure(result["flow_id"], {"price_model": model})
    )


def _prices(options: Any) -> dict[str, Any]:
    """Return the options without the Flemish capacity tariff's (not this test's subject)."""
    return {key: value for key, value in options.items() if key not in CAPACITY_KEYS}


async def _submit(hass: HomeAssistant, result: dict[str, Any], data: dict[str, Any]) -> Any:
    result = dict(await hass.config_entries.options.async_configure(result["flow_id"], data))
    await hass.async_block_till_done()
    return result


async def test_fixed_contract_saved_flat(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Prices saved as numbers beside the other options; the price entities appear."""
    hass.config_entries.async_update_entry(init_integration, options={CONF_TIMEOUT: 90})
    result = await _contract(hass, init_integration, "fixed")
    assert result["step_id"] == "fixed"
    result = await _submit(hass, result, {"buy_price": 32.0, "sell_price": 0.04})
    assert result["errors"] == {"buy_price": "price_out_of_range"}
    result = await _submit(hass, result, {"buy_price": 0.32, "sell_price": -0.01})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert _prices(init_integration.options) == {
        CONF_TIMEOUT: 90,
        CONF_REGION: "flanders",
        "price_model": "fixed",
        "buy_price": 0.32,
        "sell_price": -0.01,
    }
    state = hass.states.get(f"sensor.lowi3_{IDENT}_buy_price")
    assert state is not None
    assert state.state == "0.32"


async def test_another_contract_drops_the_old_keys(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Day/night after fixed: the fixed prices go; no contract: every price key goes."""
    hass.config_entries.async_update_entry(
        init_integration,
        options={
            CONF_REGION: "flanders",
            "price_model": "fixed",
            "buy_price": 0.3,
            "sell_price": 0,
        },
    )
    result = await _contract(hass, init_integration, "day_night")
    prices = {
        "buy_price_day": 0.36,
        "buy_price_night": 0.27,
        "sell_price_day": 0.05,
        "sell_price_night": 0.03,
    }
    result = await _submit(hass, result, prices)
    assert (
        _prices(init_integration.options)
        == {CONF_REGION: "flanders", "price_model": "day_night"} | prices
    )
    result = await _contract(hass, init_integration, "none")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert _prices(init_integration.options) == {CONF_REGION: "flanders"}
    assert hass.states.get(f"sensor.lowi3_{IDENT}_buy_price") is None


async def test_bands_with_the_impact_preset(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The layout's bands are offered with their 2026 hours; a bad schedule is refused."""
    result = await _contract(hass, init_integration, "bands")
    assert result["step_id"] == "bands"
    result = await _submit(hass, result, {"band_layout": "wallonia_2026_impact"})
    assert result["step_id"] == "band_prices"
    fields = {str(key): key for key in result["data_schema"].schema}
    assert set(fields) == {
        "band_hours_peak",
        "buy_price_peak",
        "band_hours_medium",
        "buy_price_medium",
        "band_hours_eco",
        "buy_price_eco",
        "sell_price",
    }
    assert fields["band_hours_medium"].description["suggested_value"] == "07:00-11:00, 22:00-01:00"
    prices = {"buy_price_peak": 0.45, "buy_price_medium": 0.35, "buy_price_eco": 0.25}
    hours = {
        "band_hours_peak": "17:00-22:00",
        "band_hours_medium": "07:00-11:00, 21:00-01:00",
        "band_hours_eco": "01:00-07:00, 11:00-17:00",
    }
    result = await _submit(hass, result, hours | prices | {"sell_price": 0.04})
    assert result["errors"] == {"band_hours_medium": "band_overlap"}
    hours["band_hours_medium"] = "07:00-11:00, 22:00-01:00"
    result = await _submit(hass, result, hours | prices | {"sell_price": 0.04})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert (
        _prices(init_integration.options)
        == {
            CONF_REGION: "flanders",
            "price_model": "bands",
            "band_layout": "wallonia_2026_impact",
            "sell_price": 0.04,
        }
        | hours
        | prices
    )


async def test_dynamic_contract_from_a_preset(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The spot sensor is checked; the preset fills the formula, which is checked too."""
    result = await _contract(hass, init_integration, "dynamic")
    assert result["step_id"] == "dynamic"
    choice = {"spot_entity": SPOT, "spot_resolution": "15", "supplier": "engie_dynamic"}
    result = await _submit(hass, result, choice)
    assert result["errors"] == {"spot_entity": "spot_entity_missing"}
    hass.states.async_set(SPOT, "0.0812", {"unit_of_measurement": "kW"})
    result = await _submit(hass, result, choice)
    assert result["errors"] == {"spot_entity": "spot_entity_not_a_price"}
    hass.states.async_set(SPOT, "0.0812", {"unit_of_measurement": "EUR/kWh"})
    result = await _submit(hass, result, choice)
    assert result["step_id"] == "dynamic_formula"
    assert result["description_placeholders"] == {
        "supplier": "Engie Dynamic",
        "checked": "2026-11-29",
    }
    fields = {str(key): key for key in result["data_schema"].schema}
    assert fields["buy_factor"].description["suggested_value"] == 0.1039
    assert fields["vat"].description["suggested_value"] == 6.0
    formula = {
        "buy_factor": 1.039,
        "buy_offset": 0.8702,
        "sell_factor": 0.1,
        "sell_offset": 0.5,
        "vat": 6.0,
        "extra_buy_cost": 10.0,
    }
    result = await _submit(hass, result, formula)
    assert result["errors"] == {"buy_factor": "factor_out_of_range"}
    result = await _submit(hass, result, formula | {"buy_factor": 0.1039, "vat": 60.0})
    assert result["errors"] == {"vat": "vat_out_of_range"}
    result = await _submit(hass, result, formula | {"buy_factor": 0.1039})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert _prices(init_integration.options) == {
        CONF_REGION: "flanders",
        "price_model": "dynamic",
        "spot_entity": SPOT,
        "spot_resolution": 15,
        "supplier": "engie_dynamic",
    } | formula | {"buy_factor": 0.1039}
    # 81.2 EUR/MWh: (0.1039 x 81.2 + 0.8702 + 10) x 1.06 / 100
    state = hass.states.get(f"sensor.lowi3_{IDENT}_buy_price")
    assert state is not None
    assert float(state.state) == pytest.approx((0.1039 * 81.2 + 0.8702 + 10) * 1.06 / 100, abs=1e-5)


async def test_custom_formula_keeps_the_users_values(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """My own formula: the form suggests what is stored, not a preset."""
    hass.states.async_set(SPOT, "81", {"unit_of_measurement": "EUR/MWh"})
    hass.config_entries.async_update_entry(
        init_integration,
        options={
            CONF_REGION: "flanders",
            "price_model": "dynamic",
            "spot_entity": SPOT,
            "spot_resolution": 60,
            "supplier": "custom",
            "buy_factor": 0.11,
            "buy_offset": 2.0,
            "sell_factor": 0.09,
            "sell_offset": 1.0,
            "vat": 6.0,
            "extra_buy_cost": 0.0,
        },
    )
    await hass.async_block_till_done()
    result = await _contract(hass, init_integration, "dynamic")
    fields = {str(key): key for key in result["data_schema"].schema}
    assert fields["spot_entity"].description["suggested_value"] == SPOT
    assert fields["spot_resolution"].description["suggested_value"] == "60"
    result = await _submit(
        hass, result, {"spot_entity": SPOT, "spot_resolution": "60", "supplier": "custom"}
    )
    assert result["description_placeholders"] == {"supplier": "", "checked": ""}
    fields = {str(key): key for key in result["data_schema"].schema}
    assert fields["buy_factor"].description["suggested_value"] == 0.11
    assert fields["sell_offset"].description["suggested_value"] == 1.0
