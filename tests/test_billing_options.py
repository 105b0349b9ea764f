"""Tests of the options flow's billing part: region, the Walloon form and its checks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lowi_ores.billing.periods import local_date
from custom_components.lowi_ores.const import (
    CAPACITY_RATE_2026,
    CONF_BILLABLE_PRICE,
    CONF_CAPACITY_RATE,
    CONF_CAPACITY_TARIFF,
    CONF_CAPACITY_WARNING_MARGIN,
    CONF_GRID_OPERATOR,
    CONF_INVERTER_KW,
    CONF_NET_METERING,
    CONF_NETTING,
    CONF_NEXT_READING_DATE,
    CONF_PROSUMER_RATE,
    CONF_READING_DATE,
    CONF_READING_EXPORT_DAY,
    CONF_READING_EXPORT_NIGHT,
    CONF_READING_IMPORT_DAY,
    CONF_READING_IMPORT_NIGHT,
    CONF_REGION,
    CONF_TIMEOUT,
    DOMAIN,
    READING_INDEXES,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from .conftest import IDENT, Dongle, make_payload

pytestmark = pytest.mark.usefixtures("mqtt_mock")

READING_INDEX_KEYS = set(READING_INDEXES)
# What a billing form stores for the capacity tariff when its fields are left alone.
CAPACITY_OFF = {
    CONF_CAPACITY_TARIFF: False,
    CONF_CAPACITY_RATE: CAPACITY_RATE_2026,
    CONF_CAPACITY_WARNING_MARGIN: 0.5,
}
TOMORROW = (local_date(dt_util.utcnow()) + timedelta(days=1)).isoformat()

VALID: dict[str, Any] = {
    CONF_NET_METERING: True,
    CONF_READING_DATE: "2026-03-14",
    CONF_READING_IMPORT_DAY: 1000.0,
    CONF_READING_IMPORT_NIGHT: 2000.0,
    CONF_READING_EXPORT_DAY: 3000.0,
    CONF_READING_EXPORT_NIGHT: 400.0,
    CONF_NETTING: "together",
    CONF_BILLABLE_PRICE: 0.32,
    CONF_GRID_OPERATOR: "resa",
    CONF_INVERTER_KW: 5.0,
}


async def _billing(hass: HomeAssistant, entry: MockConfigEntry, region: str) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "billing"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "billing"
    return dict(
        await hass.config_entries.options.async_configure(result["flow_id"], {CONF_REGION: region})
    )


async def _submit(hass: HomeAssistant, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Submit a regional form; answer the next step, the contract's prices, with none."""
    result = dict(await hass.config_entries.options.async_configure(flow_id, data))
    if result["type"] is FlowResultType.FORM and result["step_id"] == "prices":
        result = dict(
            await hass.config_entries.options.async_configure(flow_id, {"price_model": "none"})
        )
    return result


async def test_wallonia_saved_flat(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """A valid Walloon form: flat options, next reading a year on, the operator's rate."""
    hass.config_entries.async_update_entry(init_integration, options={CONF_TIMEOUT: 90})
    result = await _billing(hass, init_integration, "wallonia")
    assert result["step_id"] == "wallonia"
    result = await _submit(hass, result["flow_id"], VALID)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == VALID | CAPACITY_OFF | {
        CONF_TIMEOUT: 90,
        CONF_REGION: "wallonia",
        CONF_NEXT_READING_DATE: "2027-03-14",
        CONF_PROSUMER_RATE: 79.45,
    }
    # The entry was reloaded with its ledger: the balance is there.
    assert hass.states.get(f"sensor.lowi3_{IDENT}_net_metering_balance") is not None


async def test_operator_change_moves_a_default_rate(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A rate left at the old operator's default follows the new operator; an own rate stays."""
    hass.config_entries.async_update_entry(
        init_integration,
        options={CONF_REGION: "wallonia", CONF_GRID_OPERATOR: "ores", CONF_PROSUMER_RATE: 80.98},
    )
    result = await _billing(hass, init_integration, "wallonia")
    result = await _submit(
        hass, result["flow_id"], VALID | {CONF_GRID_OPERATOR: "aiesh", CONF_PROSUMER_RATE: 80.98}
    )
    assert init_integration.options[CONF_PROSUMER_RATE] == 93.67
    result = await _billing(hass, init_integration, "wallonia")
    result = await _submit(
        hass, result["flow_id"], VALID | {CONF_GRID_OPERATOR: "rew", CONF_PROSUMER_RATE: 90.0}
    )
    assert init_integration.options[CONF_PROSUMER_RATE] == 90.0
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_READING_DATE: None}, {CONF_READING_DATE: "reading_date_required"}),
        ({CONF_READING_DATE: TOMORROW}, {CONF_READING_DATE: "reading_date_future"}),
        (
            {CONF_NEXT_READING_DATE: "2026-03-14"},
            {CONF_NEXT_READING_DATE: "next_reading_not_after"},
        ),
        ({CONF_READING_IMPORT_DAY: -1.0}, {CONF_READING_IMPORT_DAY: "reading_import_day_negative"}),
        (
            {CONF_READING_EXPORT_NIGHT: -0.5, CONF_READING_IMPORT_NIGHT: -3.0},
            {
                CONF_READING_EXPORT_NIGHT: "reading_export_night_negative",
                CONF_READING_IMPORT_NIGHT: "reading_import_night_negative",
            },
        ),
        ({CONF_BILLABLE_PRICE: 2.5}, {CONF_BILLABLE_PRICE: "billable_price_out_of_range"}),
        ({CONF_BILLABLE_PRICE: -0.1}, {CONF_BILLABLE_PRICE: "billable_price_out_of_range"}),
        ({CONF_INVERTER_KW: 0.0}, {CONF_INVERTER_KW: "inverter_kw_out_of_range"}),
        ({CONF_INVERTER_KW: 12.0}, {CONF_INVERTER_KW: "inverter_kw_out_of_range"}),
        ({CONF_PROSUMER_RATE: 900.0}, {CONF_PROSUMER_RATE: "prosumer_rate_out_of_range"}),
        # Two of the bill's four indexes: the other two are asked for (they were ignored).
        (
            {CONF_READING_IMPORT_NIGHT: None, CONF_READING_EXPORT_NIGHT: None},
            {
                CONF_READING_IMPORT_NIGHT: "reading_import_night_missing",
                CONF_READING_EXPORT_NIGHT: "reading_export_night_missing",
            },
        ),
        (
            {
                CONF_READING_IMPORT_DAY: None,
                CONF_READING_IMPORT_NIGHT: None,
                CONF_READING_EXPORT_DAY: None,
                CONF_READING_EXPORT_NIGHT: -1.0,
            },
            {
                CONF_READING_IMPORT_DAY: "reading_import_day_missing",
                CONF_READING_IMPORT_NIGHT: "reading_import_night_missing",
                CONF_READING_EXPORT_DAY: "reading_export_day_missing",
                CONF_READING_EXPORT_NIGHT: "reading_export_night_negative",
            },
        ),
    ],
)
async def test_wallonia_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """Each bad value is refused under its field; nothing is saved until all is valid."""
    result = await _billing(hass, init_integration, "wallonia")
    user_input = {k: v for k, v in (VALID | changes).items() if v is not None}
    result = await _submit(hass, result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert init_integration.options == {}
    result = await _submit(hass, result["flow_id"], VALID)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_bill_indexes_above_the_meter(
    hass: HomeAssistant, init_integration: MockConfigEntry, dongle: Dongle
) -> None:
    """An index from the bill above what the meter shows now is refused, with the meter's."""
    await dongle.send_confirmed(make_payload())
    result = await _billing(hass, init_integration, "wallonia")
    result = await _submit(hass, result["flow_id"], VALID | {CONF_READING_EXPORT_DAY: 3456.79})
    assert result["errors"] == {CONF_READING_EXPORT_DAY: "reading_export_day_above_meter"}
    assert result["description_placeholders"]["meter_export_day"] == "3456.789"
    result = await _submit(hass, result["flow_id"], VALID | {CONF_READING_EXPORT_DAY: 3456.789})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_net_metering_off_needs_no_date(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Net metering off: no date needed, no net-metering entity."""
    result = await _billing(hass, init_integration, "wallonia")
    result = await _submit(
        hass,
        result["flow_id"],
        {CONF_NET_METERING: False, CONF_NETTING: "together", CONF_GRID_OPERATOR: "ores"},
    )
    await hass.async_block_till_done()
    assert init_integration.options == CAPACITY_OFF | {
        CONF_REGION: "wallonia",
        CONF_NET_METERING: False,
        CONF_NETTING: "together",
        CONF_GRID_OPERATOR: "ores",
        CONF_PROSUMER_RATE: 80.98,
    }
    assert hass.states.get(f"sensor.lowi3_{IDENT}_net_metering_balance") is None


@pytest.mark.parametrize("region", ["flanders", "brussels"])
async def test_no_net_metering_elsewhere(
    hass: HomeAssistant, init_integration: MockConfigEntry, region: str
) -> None:
    """Flanders and Brussels never offer net metering and drop the Walloon keys."""
    hass.config_entries.async_update_entry(
        init_integration, options=VALID | {CONF_REGION: "wallonia", CONF_TIMEOUT: 60}
    )
    result = await _billing(hass, init_integration, region)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == region
    assert CONF_NET_METERING not in result["data_schema"].schema
    result = await _submit(hass, result["flow_id"], {})
    await hass.async_block_till_done()
    assert init_integration.options == CAPACITY_OFF | {
        CONF_REGION: region,
        CONF_TIMEOUT: 60,
        CONF_CAPACITY_TARIFF: region == "flanders",  # on by default in Flanders only
    }
    assert hass.states.get(f"sensor.lowi3_{IDENT}_net_metering_balance") is None


async def test_region_not_set_removes_billing(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Region not set: exactly today's product, the other options kept."""
    hass.config_entries.async_update_entry(
        init_integration, options=VALID | {CONF_REGION: "wallonia", CONF_TIMEOUT: 60}
    )
    result = await _billing(hass, init_integration, "none")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert init_integration.options == {CONF_TIMEOUT: 60}
    assert init_integration.runtime_data.ledger is None


async def test_settings_keep_billing(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Saving the meter settings keeps the billing options."""
    hass.config_entries.async_update_entry(init_integration, options={CONF_REGION: "flanders"})
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_TIMEOUT: 60,
            "current_scale": "auto",
            "tariff_codes": "1_day_0_night",
            "gas_unit": "dm3",
            "water_unit": "dm3",
        },
    )
    await hass.async_block_till_done()
    assert init_integration.options[CONF_REGION] == "flanders"
    assert init_integration.options[CONF_TIMEOUT] == 60
    assert DOMAIN == "lowi_ores"


@pytest.mark.parametrize("region", ["flanders", "brussels", "none"])
async def test_leaving_net_metering_removes_its_entities(
    hass: HomeAssistant, init_integration: MockConfigEntry, region: str
) -> None:
    """Net metering on, then another region: no 'unavailable' net-metering entity is left."""
    registry = er.async_get(hass)
    result = await _billing(hass, init_integration, "wallonia")
    result = await _submit(hass, result["flow_id"], VALID)
    await hass.async_block_till_done()
    balance = f"sensor.lowi3_{IDENT}_net_metering_balance"
    cost = f"sensor.lowi3_{IDENT}_net_metering_cost"
    assert registry.async_get(balance) is not None
    assert registry.async_get(cost) is not None

    # Without a price the cost sensor goes, the balance stays.
    result = await _billing(hass, init_integration, "wallonia")
    without_price = {k: v for k, v in VALID.items() if k != CONF_BILLABLE_PRICE}
    result = await _submit(hass, result["flow_id"], without_price)
    await hass.async_block_till_done()
    assert registry.async_get(cost) is None
    assert registry.async_get(balance) is not None

    result = await _billing(hass, init_integration, region)
    if result["type"] is FlowResultType.FORM:
        result = await _submit(hass, result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    left = [
        entry.entity_id
        for entry in er.async_entries_for_config_entry(registry, init_integration.entry_id)
        if "net_metering" in entry.unique_id
    ]
    assert left == []
    assert hass.states.get(balance) is None
    # The meter's own sensors are untouched.
    assert registry.async_get(f"sensor.lowi3_{IDENT}_import_index_day") is not None


async def test_no_bill_index_at_all_is_accepted(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """All four of the bill's indexes empty: accepted (statistics, or a partial balance)."""
    result = await _billing(hass, init_integration, "wallonia")
    without = {k: v for k, v in VALID.items() if k not in READING_INDEX_KEYS}
    result = await _submit(hass, result["flow_id"], without)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert not READING_INDEX_KEYS & set(init_integration.options)
