"""Tests of the net-metering part: start indexes, sensors, repair, restart, roll-over."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lowi_ores.const import DOMAIN
from custom_components.lowi_ores.diagnostics import async_get_config_entry_diagnostics
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, State, callback
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
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["billing"]["net_metering"]["origin"] == "bill"
    # The roof's yield from the inverter's power: the seasonal model from the first days on.
    projection = _state(hass, "net_metering_projection")
    assert projection is not None
    assert projection.attributes["method"] == "seasonal"
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"net_metering_partial_{entry.entry_id}") is None
    )


async def test_separate_netting(
    hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """Day and night netted apart: their balances, and a night import that is billed."""
    freezer.move_to("2026-09-13T22:00:00+00:00")
    await _setup(hass, _entry(BILL | {"netting": "separate"}))
    await dongle.send_confirmed(make_payload())
    assert _value(hass, "net_metering_balance_day") == "-222.222"
    assert _value(hass, "net_metering_balance_night") == "288.889"
    assert _value(hass, "net_metering_balance") == "66.667"
    assert _value(hass, "net_metering_billable") == "288.889"
    assert _value(hass, "net_metering_surplus") == "222.222"


async def test_first_reading_is_partial_and_says_so(
    hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """No bill indexes, no statistics: the first reading starts it, with a repair issue."""
    freezer.move_to("2026-09-13T22:00:00+00:00")
    options = {
        k: v
        for k, v in BILL.items()
        if (not k.startswith("reading_") or k == "reading_date") and k != "inverter_kw"
    }
    entry = _entry(options)
    await _setup(hass, entry)
    assert _value(hass, "net_metering_balance") == "unknown"
    issue_id = f"net_metering_partial_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await dongle.send_confirmed(make_payload())
    assert _value(hass, "net_metering_balance") == "0.0"
    balance = _state(hass, "net_metering_balance")
    assert balance is not None
    assert balance.attributes["origin"] == "first_reading"
    assert balance.attributes["since"].startswith("2026-09-13T15:00:30")  # US/Pacific in tests
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "net_metering_partial"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["reading_date"] == "2026-03-14"

    # 2 kWh imported, 0.5 kWh exported over the next hour.
    await dongle.send(make_payload(CIH="1236567", CEL="457289"), after=3600)
    assert _value(hass, "net_metering_balance") == "1.5"
    projection = _state(hass, "net_metering_projection")
    assert projection is not None
    assert projection.attributes["method"] == "average"
    # 1.5 kWh in an hour, for the hours left until 14 March.
    assert float(projection.state) == pytest.approx(1.5 + 1.5 * (181 * 24 - 1), rel=0.01)

    # A restart loses nothing.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _value(hass, "net_metering_balance") == "1.5"
    await dongle.send(make_payload(CIH="1237567", CEL="457289"), after=3600)
    assert _value(hass, "net_metering_balance") == "2.5"

    # The bill's indexes, entered later: a whole period, and no more issue.
    hass.config_entries.async_update_entry(entry, options=BILL)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await dongle.send(make_payload(CIH="1237567", CEL="457289"))
    assert _value(hass, "net_metering_balance") == str(round(66.667 + 3 - 0.5, 3))


async def test_replacement_and_glitch(
    hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """A held-back glitch never enters the balance; a new meter carries the energy over."""
    freezer.move_to("2026-09-13T22:00:00+00:00")
    entry = _entry(BILL)
    await _setup(hass, entry)
    await dongle.send_confirmed(make_payload())
    assert _value(hass, "net_metering_balance") == "66.667"
    await dongle.send(make_payload(CIH="0"))  # a glitch: held back by the counter guard
    assert _value(hass, "net_metering_balance") == "66.667"
    await dongle.send(make_payload(CIH="1234667"))  # +0.1 kWh
    assert _value(hass, "net_metering_balance") == "66.767"
    # A new meter: the day import restarts at 5 kWh and stays there.
    for _ in range(3):
        await dongle.send(make_payload(CIH="5000"))
    assert entry.runtime_data.coordinator.counters.replacements["import_day"] == 1
    assert _value(hass, "net_metering_balance") == "66.767"
    await dongle.send(make_payload(CIH="6000"), after=3600)  # +1 kWh on the new meter
    assert _value(hass, "net_metering_balance") == "67.767"


async def test_roll_over_at_local_midnight(
    hass: HomeAssistant,
    dongle: Dongle,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """At midnight of the next reading date the period closes and the next one starts."""
    freezer.move_to("2026-11-29T22:50:00+00:00")  # 23:50 in Brussels
    options = BILL | {"reading_date": "2025-11-30", "next_reading_date": "2026-11-30"}
    entry = _entry(options)
    await _setup(hass, entry)
    await dongle.send_confirmed(make_payload())
    balance = _state(hass, "net_metering_balance")
    assert balance is not None
    assert balance.attributes["days_left"] == 1
    assert "last_period_balance" not in balance.attributes

    await dongle.wait(600)  # midnight in Brussels
    balance = _state(hass, "net_metering_balance")
    assert balance is not None
    assert balance.state == "0.0"
    assert balance.attributes["last_reset"] == "2026-11-30T00:00:00+01:00"
    assert balance.attributes["last_period_balance"] == 66.667
    assert balance.attributes["last_period_start"] == "2025-11-30"
    assert balance.attributes["last_period_end"] == "2026-11-30"
    assert balance.attributes["next_reading"] == "2027-11-30"
    assert balance.attributes["days_left"] == 365
    assert entry.options["reading_date"] == "2026-11-30"
    assert entry.options["next_reading_date"] == "2027-11-30"
    assert entry.options["reading_import_day"] == 1234.567
    assert entry.options["reading_export_night"] == 456.789

    await dongle.send(make_payload(CIL="2346678"))  # +1 kWh at night
    assert _value(hass, "net_metering_balance") == "1.0"
    # A restart after the roll-over keeps both periods.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _value(hass, "net_metering_balance") == "1.0"
    stored = hass_storage[f"lowi_ores.{entry.entry_id}.billing"]["data"]["parts"]["net_metering"]
    assert [p["balance"] for p in stored["closed"]] == [66.667]


async def test_periods_that_ended_while_stopped(
    hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """An old reading date: the periods that ended meanwhile close at start."""
    freezer.move_to("2026-09-13T22:00:00+00:00")
    options = BILL | {"reading_date": "2024-01-10", "next_reading_date": "2025-01-10"}
    entry = _entry(options)
    await _setup(hass, entry)
    assert entry.options["reading_date"] == "2026-01-10"
    assert entry.options["next_reading_date"] == "2027-01-10"
    await dongle.send_confirmed(make_payload())
    balance = _state(hass, "net_metering_balance")
    assert balance is not None
    assert balance.attributes["last_period_start"] == "2025-01-10"


async def test_no_price_no_cost(
    hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """Without a price there is no cost sensor."""
    freezer.move_to("2026-09-13T22:00:00+00:00")
    await _setup(hass, _entry({k: v for k, v in BILL.items() if k != "billable_price"}))
    await dongle.send_confirmed(make_payload())
    assert _state(hass, "net_metering_cost") is None
    assert _value(hass, "net_metering_balance") == "66.667"


async def test_cost_without_inverter(
    hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """Without the inverter's power, the cost is the billed energy alone."""
    freezer.move_to("2026-09-13T22:00:00+00:00")
    await _setup(hass, _entry({k: v for k, v in BILL.items() if k != "inverter_kw"}))
    await dongle.send_confirmed(make_payload())
    assert _value(hass, "net_metering_cost") == str(round(66.667 * 0.32, 2))
    cost = _state(hass, "net_metering_cost")
    assert cost is not None
    assert cost.attributes["projected"] is not None


async def test_period_moves_on_before_any_reading(
    hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """No start indexes and no reading yet: at the next reading date the period moves on."""
    freezer.move_to("2026-11-29T22:50:00+00:00")
    options = {k: v for k, v in BILL.items() if not k.startswith("reading_")}
    entry = _entry(options | {"reading_date": "2025-11-30", "next_reading_date": "2026-11-30"})
    await _setup(hass, entry)
    await dongle.wait(600)
    assert entry.options["reading_date"] == "2026-11-30"
    assert entry.options["next_reading_date"] == "2027-11-30"
    assert "reading_import_day" not in entry.options
    await dongle.send_confirmed(make_payload())
    balance = _state(hass, "net_metering_balance")
    assert balance is not None
    assert balance.state == "0.0"
    assert balance.attributes["origin"] == "first_reading"
    assert "last_period_balance" not in balance.attributes


async def test_corrected_reading_date_drops_the_closed_period(
    hass: HomeAssistant,
    dongle: Dongle,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A period closed under a reading date the user then corrects never existed: no trace."""
    freezer.move_to("2026-11-29T22:50:00+00:00")  # 23:50 in Brussels
    entry = _entry(BILL | {"reading_date": "2025-11-30", "next_reading_date": "2026-11-30"})
    await _setup(hass, entry)
    await dongle.send_confirmed(make_payload())
    await dongle.wait(600)  # midnight in Brussels: the period closes
    balance = _state(hass, "net_metering_balance")
    assert balance is not None
    assert balance.attributes["last_period_end"] == "2026-11-30"

    # New indexes from the bill on the same reading date: the closed period stays.
    hass.config_entries.async_update_entry(
        entry, options=entry.options | {"reading_import_day": 1234.0}
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    balance = _state(hass, "net_metering_balance")
    assert balance is not None
    assert balance.attributes["last_period_start"] == "2025-11-30"

    # The real reading was on 15 October: the period 2025-11-30 to 2026-11-30 never existed.
    hass.config_entries.async_update_entry(
        entry,
        options=entry.options | {"reading_date": "2026-10-15", "next_reading_date": "2027-10-15"},
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    balance = _state(hass, "net_metering_balance")
    assert balance is not None
    assert balance.attributes["next_reading"] == "2027-10-15"
    assert not any(key.startswith("last_period") for key in balance.attributes)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[f"lowi_ores.{entry.entry_id}.billing"]["data"]["parts"]["net_metering"]
    assert stored["closed"] == []


async def test_unchanged_figures_are_not_written_again(
    hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """A message that moves no index writes no balance; one that moves an index does."""
    freezer.move_to("2026-09-13T22:00:00+00:00")
    await _setup(hass, _entry(BILL))
    await dongle.send_confirmed(make_payload())
    balance = _state(hass, "net_metering_balance")
    assert balance is not None
    written: list[str] = []

    @callback
    def _written(event: Event[Any]) -> None:
        if event.data["entity_id"] == balance.entity_id:
            written.append(event.event_type)

    @callback
    def _ours(event_data: Any) -> bool:
        return bool(event_data["entity_id"] == balance.entity_id)

    hass.bus.async_listen(EVENT_STATE_CHANGED, _written)
    hass.bus.async_listen(EVENT_STATE_REPORTED, _written, event_filter=_ours)
    await dongle.send(make_payload())
    await hass.async_block_till_done()
    assert written == []
    await dongle.send(make_payload(CIH="1234577"))
    await hass.async_block_till_done()
    assert written == [EVENT_STATE_CHANGED]
    assert _value(hass, "net_metering_balance") == "66.677"
