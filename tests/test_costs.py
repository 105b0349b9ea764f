"""Tests of the costs part: prices in force, import cost and export revenue for each contract.

A simulated meter counts steadily (so each quarter-hour's energy is known by hand) and a spot
sensor changes a few seconds after chosen boundaries, as Nord Pool or ENTSO-E sensors do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
)

from custom_components.lowi_ores.const import DOMAIN
from custom_components.lowi_ores.diagnostics import async_get_config_entry_diagnostics
from custom_components.lowi_ores.ledger.costs import CostsPart, unpriced_issue_id
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .conftest import IDENT, TOPIC, make_payload

pytestmark = pytest.mark.usefixtures("mqtt_mock")

PREFIX = f"sensor.lowi3_{IDENT}_"
SPOT = "sensor.spot_price"
# 12:00 Belgian summer time: a quarter-hour and an hour boundary.
NOON = datetime(2026, 6, 20, 10, 0, tzinfo=UTC)
DYNAMIC: dict[str, Any] = {
    "region": "flanders",
    "price_model": "dynamic",
    "spot_entity": SPOT,
    "spot_resolution": 15,
    "buy_factor": 0.1,
    "buy_offset": 1.0,
    "sell_factor": 0.1,
    "sell_offset": 0.5,
    "vat": 6,
    "extra_buy_cost": 0,
}


def buy(spot: float) -> float:
    """The test contract's buy price, EUR/kWh, written out."""
    return (0.1 * spot + 1.0) * 1.06 / 100


def sell(spot: float) -> float:
    """The test contract's sell price, EUR/kWh."""
    return (0.1 * spot - 0.5) / 100


class House:
    """A meter counting steadily, a message every `step` seconds, and timed events."""

    def __init__(self, hass: HomeAssistant, freezer: FrozenDateTimeFactory, at: datetime) -> None:
        """Stand at a moment with the base payload's indexes (Wh)."""
        self.hass = hass
        self.freezer = freezer
        self.now = at
        self.wh = {"CIH": 1_234_567.0, "CIL": 2_345_678.0, "CEH": 3_456_789.0, "CEL": 456_789.0}
        self.tariff = "1"
        self.events: list[tuple[datetime, Callable[[], None]]] = []
        freezer.move_to(at)

    def at(self, moment: datetime, action: Callable[[], None]) -> None:
        """Do something at a moment (between messages)."""
        self.events.append((moment, action))
        self.events.sort(key=lambda event: event[0])

    def spot(self, moment: datetime, state: str, unit: str = "EUR/MWh") -> None:
        """Make the spot sensor show a state from a moment on."""
        self.at(
            moment,
            lambda: self.hass.states.async_set(SPOT, state, {"unit_of_measurement": unit}),
        )

    async def _move(self, moment: datetime) -> None:
        self.freezer.move_to(moment)
        async_fire_time_changed(self.hass, moment)
        await self.hass.async_block_till_done()

    async def run(
        self, until: datetime, *, step: float = 60, watts: dict[str, float] | None = None
    ) -> None:
        """Send a message every `step` seconds up to `until`, registers rising at `watts`."""
        watts = watts if watts is not None else {"CIH": 3600.0}
        while self.now + timedelta(seconds=step) <= until:
            moment = self.now + timedelta(seconds=step)
            while self.events and self.events[0][0] <= moment:
                when, action = self.events.pop(0)
                await self._move(when)
                action()
                await self.hass.async_block_till_done()
            for register, power in watts.items():
                self.wh[register] += power * step / 3600
            self.now = moment
            await self._move(moment)
            payload = {key: f"{value:.0f}" for key, value in self.wh.items()}
            async_fire_mqtt_message(self.hass, TOPIC, make_payload(T=self.tariff, **payload))
            await self.hass.async_block_till_done()


def value(hass: HomeAssistant, key: str) -> float:
    """Return a sensor's state as a number."""
    state = hass.states.get(PREFIX + key)
    assert state is not None, key
    return float(state.state)


async def setup(hass: HomeAssistant, options: dict[str, Any]) -> MockConfigEntry:
    """Set up the test dongle with options."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"LoWi3 {IDENT}",
        unique_id=IDENT,
        data={"ident": IDENT},
        options=options,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def part(entry: MockConfigEntry) -> CostsPart:
    """Return the entry's costs part."""
    ledger = entry.runtime_data.ledger
    assert ledger is not None
    found = [item for item in ledger.parts if isinstance(item, CostsPart)]
    assert len(found) == 1
    return found[0]


# --- register contracts ----------------------------------------------------------------------


async def test_fixed_prices_each_rise_of_the_registers(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Single rate: every kWh imported at the buy price, every kWh exported at the sell price."""
    house = House(hass, freezer, NOON)
    await setup(
        hass, {"region": "brussels", "price_model": "fixed", "buy_price": 0.32, "sell_price": 0.04}
    )
    await house.run(NOON + timedelta(minutes=3))  # three messages: the guard's confirmations
    assert value(hass, "import_cost") == 0
    await house.run(NOON + timedelta(minutes=13), watts={"CIH": 3600, "CEL": 1800})
    # 10 minutes at 3.6 kW in, 1.8 kW out: 0.6 kWh and 0.3 kWh.
    assert value(hass, "import_cost") == pytest.approx(0.6 * 0.32, abs=1e-4)
    assert value(hass, "export_revenue") == pytest.approx(0.3 * 0.04, abs=1e-4)
    assert value(hass, "net_cost") == pytest.approx(0.192 - 0.012, abs=1e-4)
    assert value(hass, "buy_price") == 0.32
    assert value(hass, "sell_price") == 0.04
    state = hass.states.get(PREFIX + "import_cost")
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "EUR"
    assert state.attributes["device_class"] == "monetary"
    assert state.attributes["state_class"] == "total"
    assert hass.states.get(PREFIX + "buy_price").attributes["unit_of_measurement"] == "EUR/kWh"


async def test_day_night_uses_the_meters_own_registers(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Day and night energy priced apart, whatever the clock; the price in force follows T."""
    house = House(hass, freezer, NOON)
    await setup(
        hass,
        {
            "region": "wallonia",
            "net_metering": False,
            "price_model": "day_night",
            "buy_price_day": 0.36,
            "buy_price_night": 0.27,
            "sell_price_day": 0.05,
            "sell_price_night": 0.03,
        },
    )
    await house.run(NOON + timedelta(minutes=3))
    await house.run(NOON + timedelta(minutes=13), watts={"CIH": 3600, "CEH": 600})
    assert value(hass, "buy_price") == 0.36
    house.tariff = "0"
    await house.run(NOON + timedelta(minutes=23), watts={"CIL": 1800, "CEL": 1200})
    assert value(hass, "buy_price") == 0.27
    assert value(hass, "sell_price") == 0.03
    assert value(hass, "import_cost") == pytest.approx(0.6 * 0.36 + 0.3 * 0.27, abs=1e-4)
    assert value(hass, "export_revenue") == pytest.approx(0.1 * 0.05 + 0.2 * 0.03, abs=1e-4)


# --- slot contracts ----------------------------------------------------------------------------


async def test_bands_price_each_quarter_by_its_band(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Impact tariff: 16:45-17:00 is eco, 17:00-17:15 is peak (local clock)."""
    five_pm = datetime(2026, 1, 12, 16, 0, tzinfo=UTC)  # 17:00 in Belgian winter time
    house = House(hass, freezer, five_pm - timedelta(minutes=15))
    await setup(
        hass,
        {
            "region": "wallonia",
            "net_metering": False,
            "price_model": "bands",
            "band_layout": "wallonia_2026_impact",
            "buy_price_peak": 0.45,
            "buy_price_medium": 0.35,
            "buy_price_eco": 0.25,
            "sell_price": 0.04,
        },
    )
    assert value(hass, "buy_price") == 0.25
    assert hass.states.get(PREFIX + "buy_price").attributes["band"] == "eco"
    await house.run(five_pm + timedelta(minutes=16), watts={"CIH": 3600, "CEH": 360})
    # 16:45-17:00: 12 minutes counted after the guard's three messages, at eco; 17:00-17:15 at peak.
    assert value(hass, "import_cost") == pytest.approx(0.72 * 0.25 + 0.9 * 0.45, abs=1e-4)
    assert value(hass, "export_revenue") == pytest.approx((0.072 + 0.09) * 0.04, abs=1e-4)
    assert value(hass, "buy_price") == 0.45


async def test_dynamic_quarter_hours_with_a_negative_price(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Each quarter at the spot price of its midpoint; a negative price makes export cost."""
    house = House(hass, freezer, NOON - timedelta(minutes=10))
    hass.states.async_set(SPOT, "80", {"unit_of_measurement": "EUR/MWh"})
    entry = await setup(hass, DYNAMIC)
    house.spot(NOON + timedelta(seconds=4), "0.12", "EUR/kWh")  # 120 EUR/MWh
    house.spot(NOON + timedelta(minutes=15, seconds=4), "-5", "c/kWh")  # -50 EUR/MWh
    await house.run(NOON + timedelta(minutes=31), watts={"CIH": 3600, "CEH": 7200})
    assert value(hass, "buy_price") == pytest.approx(round(buy(-50), 5))
    assert value(hass, "sell_price") == pytest.approx(sell(-50))
    attributes = hass.states.get(PREFIX + "buy_price").attributes
    assert attributes["spot_price"] == -50
    assert attributes["resolution"] == 15
    # 11:50-12:00: 7 minutes after the guard's confirmations (0.42 kWh in, 0.84 out) at 80;
    # 12:00-12:15 at 120, 12:15-12:30 at -50: 0.9 kWh in and 1.8 kWh out each.
    assert value(hass, "import_cost") == pytest.approx(
        0.42 * buy(80) + 0.9 * buy(120) + 0.9 * buy(-50), abs=1e-4
    )
    assert value(hass, "export_revenue") == pytest.approx(
        0.84 * sell(80) + 1.8 * sell(120) + 1.8 * sell(-50), abs=1e-4
    )
    assert sell(-50) < 0  # exporting at -50 EUR/MWh costs money, and the sum says so
    revenue = hass.states.get(PREFIX + "export_revenue").attributes
    assert revenue["last_slot_revenue"] == pytest.approx(round(1.8 * sell(-50), 4))
    assert part(entry).book.pending == []


async def test_hourly_contract_pays_the_mean_of_the_quarters(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Each quarter of an hourly contract waits for the hour's four prices, then pays their mean."""
    house = House(hass, freezer, NOON - timedelta(minutes=4))
    hass.states.async_set(SPOT, "100", {"unit_of_measurement": "EUR/MWh"})
    entry = await setup(hass, DYNAMIC | {"spot_resolution": 60})
    await house.run(NOON)  # the guard's confirmations, before the hour
    for number, spot in enumerate(("40", "20", "-10", "-30")):
        house.spot(NOON + timedelta(minutes=15 * number, seconds=4), spot)
    await house.run(NOON + timedelta(minutes=52))
    # 11:45 belongs to an hour whose first midpoints came before the setup: it waits for the
    # recorder (none here). 12:00, 12:15 and 12:30 wait for 12:52:30.
    starts = [slot.start for slot in part(entry).book.pending]
    assert starts == [(NOON + timedelta(minutes=15 * n)).timestamp() for n in range(-1, 3)]
    assert value(hass, "import_cost") == 0
    await house.run(NOON + timedelta(minutes=61))
    assert len(part(entry).book.pending) == 1
    assert value(hass, "import_cost") == pytest.approx(3.6 * buy(5.0), abs=1e-4)


async def test_a_missing_price_waits_then_is_left_out_with_a_repair(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Unavailable at the midpoint: the slot waits; after 24 hours it is listed, not priced."""
    house = House(hass, freezer, NOON - timedelta(minutes=10))
    hass.states.async_set(SPOT, "80", {"unit_of_measurement": "EUR/MWh"})
    entry = await setup(hass, DYNAMIC)
    house.spot(NOON + timedelta(seconds=4), STATE_UNAVAILABLE)
    house.spot(NOON + timedelta(minutes=5), "not a price")
    house.spot(NOON + timedelta(minutes=6), "nan")
    house.spot(NOON + timedelta(minutes=15, seconds=4), "90")
    with caplog.at_level(logging.WARNING):
        await house.run(NOON + timedelta(minutes=31))
    assert caplog.text.count("which is not a price") == 1
    book = part(entry).book
    assert [slot.start for slot in book.pending] == [NOON.timestamp()]
    assert hass.states.get(PREFIX + "import_cost").attributes["slots_waiting_for_a_price"] == 1
    assert value(hass, "import_cost") == pytest.approx(0.42 * buy(80) + 0.9 * buy(90), abs=1e-4)
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, unpriced_issue_id(entry.entry_id)) is None

    await house._move(NOON + timedelta(hours=24, minutes=15, seconds=1))
    issue = issues.async_get_issue(DOMAIN, unpriced_issue_id(entry.entry_id))
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["slots"] == "2026-06-20 12:00"
    assert issue.translation_placeholders["imported"] == "0.900"
    assert value(hass, "import_cost") == pytest.approx(0.42 * buy(80) + 0.9 * buy(90), abs=1e-4)
    assert hass.states.get(PREFIX + "import_cost").attributes["energy_left_out_kwh"] == 0.9
    # A week later the notice goes away.
    await house._move(NOON + timedelta(days=8))
    assert issues.async_get_issue(DOMAIN, unpriced_issue_id(entry.entry_id)) is None


async def test_restart_in_a_slot_keeps_the_slot_and_the_totals(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A reload in the middle of a quarter: nothing lost, nothing counted twice."""
    house = House(hass, freezer, NOON - timedelta(minutes=10))
    hass.states.async_set(SPOT, "80", {"unit_of_measurement": "EUR/MWh"})
    entry = await setup(hass, DYNAMIC)
    await house.run(NOON + timedelta(minutes=7))
    before = value(hass, "import_cost")
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert value(hass, "import_cost") == before
    await house.run(NOON + timedelta(minutes=16))
    assert value(hass, "import_cost") == pytest.approx(0.42 * buy(80) + 0.9 * buy(80), abs=1e-4)


async def test_down_across_a_boundary_leaves_that_slot_unknown(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Stopped over 12:15, back at 12:25: the 12:15 quarter's spot price is not knowable."""
    house = House(hass, freezer, NOON - timedelta(minutes=10))
    hass.states.async_set(SPOT, "80", {"unit_of_measurement": "EUR/MWh"})
    entry = await setup(hass, DYNAMIC)
    await house.run(NOON + timedelta(minutes=7))
    assert await hass.config_entries.async_unload(entry.entry_id)
    await house._move(NOON + timedelta(minutes=25))
    house.wh["CIH"] += 3600 * 18 / 60  # the meter counted on, 18 minutes at 3.6 kW
    hass.states.async_set(SPOT, "85", {"unit_of_measurement": "EUR/MWh"})
    house.now = NOON + timedelta(minutes=25)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await house.run(NOON + timedelta(minutes=31))
    # 12:00-12:15 at 80; 12:15-12:30 waits (its midpoint fell in the stop).
    assert [slot.start for slot in part(entry).book.pending] == [NOON.timestamp() + 900]
    assert value(hass, "import_cost") == pytest.approx(0.42 * buy(80) + 0.9 * buy(80), abs=1e-4)


async def test_bad_stored_prices_make_no_costs(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """Options edited by hand past the form's checks: no cost entity, one warning."""
    await setup(hass, {"region": "flanders", "price_model": "fixed", "buy_price": 32})
    assert hass.states.get(PREFIX + "import_cost") is None
    assert "the price settings cannot be used" in caplog.text


async def test_diagnostics_show_what_the_costs_keep(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The download holds the costs part's stored state: totals, waiting slots, spot values."""
    house = House(hass, freezer, NOON - timedelta(minutes=10))
    hass.states.async_set(SPOT, "80", {"unit_of_measurement": "EUR/MWh"})
    entry = await setup(hass, DYNAMIC)
    await house.run(NOON + timedelta(minutes=16))
    result = await async_get_config_entry_diagnostics(hass, entry)
    costs = result["billing"]["costs"]
    assert costs["signature"] == {"model": "dynamic", "spot_entity": SPOT}
    assert costs["book"]["import_cost"] == pytest.approx(1.32 * buy(80), abs=1e-6)
    assert costs["book"]["pending"] == []
    assert costs["timeline"]["points"][0][1] == 80.0


async def test_a_new_contract_carries_the_totals_on(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Dynamic, then fixed: the money counted stays, the slot still waiting is dropped."""
    house = House(hass, freezer, NOON - timedelta(minutes=10))
    hass.states.async_set(SPOT, "80", {"unit_of_measurement": "EUR/MWh"})
    entry = await setup(hass, DYNAMIC)
    house.spot(NOON + timedelta(seconds=4), STATE_UNAVAILABLE)
    await house.run(NOON + timedelta(minutes=16))
    assert len(part(entry).book.pending) == 1
    before = value(hass, "import_cost")
    assert before == pytest.approx(0.42 * buy(80), abs=1e-4)
    hass.config_entries.async_update_entry(
        entry,
        options={"region": "flanders", "price_model": "fixed", "buy_price": 0.3, "sell_price": 0},
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert part(entry).book.pending == []
    await house.run(NOON + timedelta(minutes=26))
    # The first message after the reload sets the registers' starting point: 9 minutes priced.
    assert value(hass, "import_cost") == pytest.approx(before + 0.54 * 0.3, abs=1e-4)
