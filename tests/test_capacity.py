"""Tests of the capacity tariff in Home Assistant: sensors, warning, Store, roll-over, options."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lowi_ores.billing.quarters import BRUSSELS
from custom_components.lowi_ores.const import (
    CAPACITY_RATE_2026,
    CONF_CAPACITY_RATE,
    CONF_CAPACITY_TARIFF,
    CONF_CAPACITY_WARNING_MARGIN,
    CONF_REGION,
    DOMAIN,
)
from custom_components.lowi_ores.diagnostics import async_get_config_entry_diagnostics
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er

from .conftest import IDENT, Dongle, make_payload

pytestmark = pytest.mark.usefixtures("mqtt_mock")

STORE_KEY = "lowi_ores.{}.billing"
FLANDERS: dict[str, Any] = {CONF_REGION: "flanders"}
NIGHT_WH = 2_345_678  # the night register stays put: a weekday in day tariff


def _entry(options: dict[str, Any]) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"LoWi3 {IDENT}",
        unique_id=IDENT,
        data={"ident": IDENT},
        options=options,
    )


def _state(hass: HomeAssistant, key: str, platform: str = "sensor") -> State | None:
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{IDENT}_{key}")
    return None if entity_id is None else hass.states.get(entity_id)


def _value(hass: HomeAssistant, key: str, platform: str = "sensor") -> str:
    state = _state(hass, key, platform)
    assert state is not None, key
    return state.state


def _kw(hass: HomeAssistant, key: str) -> float:
    return float(_value(hass, key))


def _warning(hass: HomeAssistant) -> str:
    return _value(hass, "capacity_peak_warning", "binary_sensor")


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


class Home:
    """The test dongle on a household importing at a chosen power, as the LoWi3 sends it.

    Indexes in Wh and power in W, as in every LoWi3 payload; messages at 30 s past the minute.
    """

    def __init__(self, dongle: Dongle, day_wh: float = 1_234_567.0) -> None:
        """Start from the given day index."""
        self.dongle = dongle
        self.day_wh = day_wh

    def payload(self, watts: float) -> str:
        return make_payload(CIH=str(round(self.day_wh)), CIL=str(NIGHT_WH), PI=str(round(watts)))

    async def start(self, watts: float = 0.0) -> None:
        """Three messages 10 s apart: the counter guard's confirmation of a first value."""
        for _ in range(3):
            self.day_wh += watts * 10 / 3600
            await self.dongle.send(self.payload(watts), after=10)

    async def run(self, minutes: int, watts: float, *, every: float = 60) -> None:
        """Import at `watts` for some minutes, a message every `every` seconds."""
        for _ in range(round(minutes * 60 / every)):
            self.day_wh += watts * every / 3600
            await self.dongle.send(self.payload(watts), after=every)


def _ts(local: str) -> float:
    return datetime.fromisoformat(local).replace(tzinfo=BRUSSELS).timestamp()


def _at(freezer: FrozenDateTimeFactory, local: str) -> None:
    freezer.move_to(datetime.fromisoformat(local).replace(tzinfo=BRUSSELS))


# --- units -------------------------------------------------------------------------------------


async def test_kw_and_kwh_everywhere_no_1000x_slip(
    hass: HomeAssistant,
    dongle: Dongle,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Wh indexes and W powers in, kW and kWh out: 2.5 kW is 2.5 on every figure."""
    _at(freezer, "2026-06-17T09:59:00")
    entry = _entry(FLANDERS)
    await _setup(hass, entry)
    home = Home(dongle)
    await home.start(2500)  # up to 09:59:30
    await home.run(8, 2500)  # up to 10:07:30
    # Half the quarter: half its energy so far, and a projection of the full 2.5 kW.
    assert _kw(hass, "quarter_hour_average_power") == pytest.approx(1.25, abs=0.01)
    assert _kw(hass, "quarter_hour_projected_power") == pytest.approx(2.5, abs=0.01)
    average = _state(hass, "quarter_hour_average_power")
    assert average is not None
    assert average.attributes["unit_of_measurement"] == "kW"
    await home.run(8, 2500)  # up to 10:15:30: the quarter of 10:00 is closed
    assert _kw(hass, "month_peak_power") == pytest.approx(2.5, abs=0.01)
    peak = _state(hass, "month_peak_power")
    assert peak is not None
    assert peak.attributes["peak_start"].isoformat() == "2026-06-17T10:00:00+02:00"
    assert peak.attributes["estimated"] is False
    assert peak.attributes["unit_of_measurement"] == "kW"
    assert _kw(hass, "capacity_billed_power") == pytest.approx(2.5, abs=0.01)
    assert _kw(hass, "capacity_cost") == pytest.approx(2.5 * CAPACITY_RATE_2026 / 12, abs=0.05)
    cost = _state(hass, "capacity_cost")
    assert cost is not None
    assert cost.attributes["unit_of_measurement"] == "EUR"
    assert cost.attributes["device_class"] == "monetary"
    # What the Store keeps is in kWh and kW too.
    await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[STORE_KEY.format(entry.entry_id)]["data"]["parts"]["capacity"]
    assert stored["quarter"]["last_index"] == pytest.approx(
        (home.day_wh + NIGHT_WH) / 1000, abs=0.001
    )
    assert stored["peaks"]["2026-06-01"]["power"] == pytest.approx(2.5, abs=0.01)


async def test_skipped_messages_move_no_energy(
    hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """A held-back glitch or a message without indexes is not counted at its time."""
    _at(freezer, "2026-06-17T09:59:00")
    await _setup(hass, _entry(FLANDERS))
    home = Home(dongle)
    await home.start(3000)
    await home.run(5, 3000)
    await dongle.send(make_payload(CIH="0", CIL=str(NIGHT_WH), PI="3000"), after=60)  # glitch
    await dongle.send(make_payload(CIH=None, CIL=None, PI="3000"), after=60)  # no indexes
    home.day_wh += 3000 * 120 / 3600
    await home.run(9, 3000)  # to 10:15:30
    assert _kw(hass, "month_peak_power") == pytest.approx(3.0, abs=0.01)


# --- restart -----------------------------------------------------------------------------------


async def test_restart_inside_a_quarter_resumes_it(
    hass: HomeAssistant,
    dongle: Dongle,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Unloaded at 10:07:30 and back a minute later: the quarter of 10:00 is whole."""
    _at(freezer, "2026-06-17T09:59:00")
    entry = _entry(FLANDERS)
    await _setup(hass, entry)
    home = Home(dongle)
    await home.start(3000)
    await home.run(8, 3000)  # to 10:07:30
    assert await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[STORE_KEY.format(entry.entry_id)]["data"]["parts"]["capacity"]
    assert (
        stored["quarter"]["quarter"]
        == datetime.fromisoformat("2026-06-17T10:00:00+02:00").timestamp()
    )
    assert stored["quarter"]["last_index"] - stored["quarter"]["start_index"] == pytest.approx(
        0.375, abs=0.002
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await home.run(8, 3000)  # to 10:15:30
    assert _kw(hass, "month_peak_power") == pytest.approx(3.0, abs=0.01)
    peak = _state(hass, "month_peak_power")
    assert peak is not None
    assert peak.attributes["estimated"] is False


async def test_restart_after_a_long_stop_spreads_and_flags(
    hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """Stopped from 10:04 to 10:12 while the house drew 4 kW: energy kept, quarter estimated."""
    _at(freezer, "2026-06-17T09:59:00")
    entry = _entry(FLANDERS)
    await _setup(hass, entry)
    home = Home(dongle)
    await home.start(4000)
    await home.run(5, 4000)  # to 10:04:30
    assert await hass.config_entries.async_unload(entry.entry_id)
    home.day_wh += 4000 * 8 * 60 / 3600
    freezer.tick(8 * 60)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await home.run(3, 4000)  # to 10:15:30, the first message after the stop confirms again
    assert _kw(hass, "month_peak_power") == pytest.approx(4.0, abs=0.02)
    peak = _state(hass, "month_peak_power")
    assert peak is not None
    assert peak.attributes["estimated"] is True


async def test_peaks_of_earlier_months_survive_and_are_billed(
    hass: HomeAssistant,
    dongle: Dongle,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Stored peaks are never reset by a restart; each month counts at 2.5 kW at least."""
    entry = _entry(FLANDERS)
    hass_storage[STORE_KEY.format(entry.entry_id)] = {
        "version": 1,
        "key": STORE_KEY.format(entry.entry_id),
        "data": {
            "parts": {
                "capacity": {
                    "peaks": {
                        "2025-05-01": {"power": 9.0, "start": _ts("2025-05-20T19:00")},  # too old
                        "2026-04-01": {"power": 1.2, "start": _ts("2026-04-10T18:00")},
                        "2026-05-01": {
                            "power": 6.4,
                            "start": _ts("2026-05-01T00:00"),
                            "estimated": True,
                        },
                        "2026-06-01": {"power": 3.1, "start": _ts("2026-06-08T13:00")},
                    },
                }
            }
        },
    }
    _at(freezer, "2026-06-17T09:59:00")
    await _setup(hass, entry)
    home = Home(dongle)
    await home.start(1000)
    assert _kw(hass, "month_peak_power") == 3.1
    peak = _state(hass, "month_peak_power")
    assert peak is not None
    assert peak.attributes["peak_start"].isoformat() == "2026-06-08T13:00:00+02:00"
    billed = _state(hass, "capacity_billed_power")
    assert billed is not None
    assert billed.attributes["months"] == {"2026-06": 3.1, "2026-05": 6.4, "2026-04": 2.5}
    assert float(billed.state) == pytest.approx((3.1 + 6.4 + 2.5) / 3, abs=0.001)
    assert _kw(hass, "capacity_cost") == pytest.approx(4.0 * CAPACITY_RATE_2026 / 12, abs=0.01)


# --- the month changes at local midnight -------------------------------------------------------


async def test_month_rolls_over_at_local_midnight(
    hass: HomeAssistant,
    dongle: Dongle,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """31 October 2026, winter time: 6 kW before midnight is October's, not November's."""
    _at(freezer, "2026-10-31T23:29:00")
    entry = _entry(FLANDERS)
    await _setup(hass, entry)
    home = Home(dongle)
    await home.start(6000)
    await home.run(31, 6000)  # to 00:00:30 on 1 November: October's last quarter is closed
    # Local midnight is 23:00 UTC: a month taken in UTC would still be October's here.
    assert _value(hass, "month_peak_power") == STATE_UNKNOWN
    billed = _state(hass, "capacity_billed_power")
    assert billed is not None
    assert billed.attributes["months"] == {"2026-11": 2.5, "2026-10": pytest.approx(6.0, abs=0.01)}
    await home.run(30, 1000)  # to 00:30:30, still 31 October in UTC
    assert _kw(hass, "month_peak_power") == pytest.approx(1.0, abs=0.2)
    peak = _state(hass, "month_peak_power")
    assert peak is not None
    assert peak.attributes["peak_start"].isoformat().startswith("2026-11-01T00:")
    assert await hass.config_entries.async_unload(entry.entry_id)
    peaks = hass_storage[STORE_KEY.format(entry.entry_id)]["data"]["parts"]["capacity"]["peaks"]
    assert set(peaks) == {"2026-10-01", "2026-11-01"}
    october = datetime.fromtimestamp(peaks["2026-10-01"]["start"], BRUSSELS)
    assert october.isoformat() in {
        "2026-10-31T23:30:00+01:00",
        "2026-10-31T23:45:00+01:00",
    }


# --- the warning -------------------------------------------------------------------------------


async def test_warning_against_the_month_peak(
    hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """A 4 kW peak: the warning turns on when the projection passes 3.5 kW, off again below."""
    _at(freezer, "2026-06-17T09:59:00")
    await _setup(hass, _entry(FLANDERS))
    home = Home(dongle)
    await home.start(4000)
    await home.run(16, 4000)  # to 10:15:30: a 4 kW peak
    await home.run(5, 1000)  # to 10:20:30
    assert _warning(hass) == STATE_OFF
    warning = _state(hass, "capacity_peak_warning", "binary_sensor")
    assert warning is not None
    assert warning.attributes["threshold"] == pytest.approx(3.5, abs=0.01)
    await home.run(1, 6000)  # the oven and the car: heading for about 4.2 kW
    assert _kw(hass, "quarter_hour_projected_power") > 3.5
    assert _warning(hass) == STATE_ON
    await home.run(1, 300)
    assert _warning(hass) == STATE_OFF
    await dongle.wait(300)  # the dongle falls silent: the live figures are unavailable
    assert _warning(hass) == STATE_UNAVAILABLE
    assert _value(hass, "quarter_hour_projected_power") == STATE_UNAVAILABLE
    assert _kw(hass, "month_peak_power") == pytest.approx(4.0, abs=0.01)  # still known


async def test_warning_respects_the_floor(
    hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """No peak yet this month: measured against 2.5 kW, never against 0."""
    _at(freezer, "2026-06-01T00:00:00")
    await _setup(hass, _entry(FLANDERS))
    home = Home(dongle)
    await home.start(1900)
    await home.run(2, 1900)
    assert _value(hass, "month_peak_power") == STATE_UNKNOWN
    # The data began 30 s into this quarter: the projection fills those seconds too.
    assert _kw(hass, "quarter_hour_projected_power") == pytest.approx(1.9, abs=0.01)
    assert _warning(hass) == STATE_OFF  # 1.9 kW is below 2.5 - 0.5
    await home.run(2, 2200)
    assert _warning(hass) == STATE_ON


async def test_new_quarter_projects_from_the_current_power(
    hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """At 10:15:00, before its first message, the new quarter counts nothing yet."""
    _at(freezer, "2026-06-17T09:59:00")
    await _setup(hass, _entry(FLANDERS))
    home = Home(dongle)
    await home.start(2000)
    await home.run(15, 2000)  # to 10:14:30
    await dongle.wait(30)  # 10:15:00: the quarter-hour tick refreshes the entities
    assert _kw(hass, "quarter_hour_average_power") == 0.0
    assert _kw(hass, "quarter_hour_projected_power") == pytest.approx(2.0, abs=0.01)


# --- options -----------------------------------------------------------------------------------


def _suggested(result: dict[str, Any]) -> dict[str, Any]:
    return {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }


async def _billing(hass: HomeAssistant, entry: MockConfigEntry, region: str) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "billing"}
    )
    return dict(
        await hass.config_entries.options.async_configure(result["flow_id"], {CONF_REGION: region})
    )


@pytest.mark.parametrize(
    ("region", "default"), [("flanders", True), ("brussels", False), ("wallonia", False)]
)
async def test_options_offer_the_capacity_tariff(
    hass: HomeAssistant, init_integration: MockConfigEntry, region: str, default: bool
) -> None:
    """On by default in Flanders; offered, off, in Brussels and Wallonia; 2026 defaults."""
    result = await _billing(hass, init_integration, region)
    assert result["step_id"] == region
    suggested = _suggested(result)
    assert suggested[CONF_CAPACITY_TARIFF] is default
    assert suggested[CONF_CAPACITY_RATE] == CAPACITY_RATE_2026
    assert suggested[CONF_CAPACITY_WARNING_MARGIN] == 0.5


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        (CONF_CAPACITY_RATE, 600.0, "capacity_rate_out_of_range"),
        (CONF_CAPACITY_RATE, -1.0, "capacity_rate_out_of_range"),
        (CONF_CAPACITY_WARNING_MARGIN, -0.1, "capacity_warning_margin_negative"),
    ],
)
@pytest.mark.parametrize("region", ["flanders", "brussels"])
async def test_bad_values_are_refused_in_the_form(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    region: str,
    field: str,
    value: float,
    error: str,
) -> None:
    result = await _billing(hass, init_integration, region)
    result = dict(
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_CAPACITY_TARIFF: True, field: value}
        )
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert _suggested(result)[field] == value  # what was typed stays in the form
    assert CONF_REGION not in init_integration.options


async def test_bad_values_are_refused_in_the_walloon_form(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await _billing(hass, init_integration, "wallonia")
    result = dict(
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {
                "net_metering": False,
                "netting": "together",
                "grid_operator": "ores",
                CONF_CAPACITY_TARIFF: True,
                CONF_CAPACITY_RATE: 501.0,
            },
        )
    )
    assert result["errors"] == {CONF_CAPACITY_RATE: "capacity_rate_out_of_range"}
    assert _suggested(result)[CONF_CAPACITY_TARIFF] is True


async def test_options_saved_and_used(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    dongle: Dongle,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Brussels with the tariff switched on, an own rate and margin: entities that use them."""
    assert _state(hass, "month_peak_power") is None
    result = await _billing(hass, init_integration, "brussels")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_CAPACITY_TARIFF: True, CONF_CAPACITY_RATE: 60.0, CONF_CAPACITY_WARNING_MARGIN: 1},
    )
    # The next step asks the contract's prices: none here.
    await hass.config_entries.options.async_configure(result["flow_id"], {"price_model": "none"})
    await hass.async_block_till_done()
    assert init_integration.options == {
        CONF_REGION: "brussels",
        CONF_CAPACITY_TARIFF: True,
        CONF_CAPACITY_RATE: 60.0,
        CONF_CAPACITY_WARNING_MARGIN: 1.0,
    }
    assert _kw(hass, "capacity_cost") == 12.5  # 2.5 kW x 60 / 12
    await Home(dongle).start(1000)
    warning = _state(hass, "capacity_peak_warning", "binary_sensor")
    assert warning is not None
    assert warning.attributes["threshold"] == 1.5
    # Switched off again: the entities go.
    result = await _billing(hass, init_integration, "brussels")
    suggested = _suggested(result)
    assert suggested[CONF_CAPACITY_TARIFF] is True
    assert suggested[CONF_CAPACITY_RATE] == 60.0
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CAPACITY_TARIFF: False}
    )
    await hass.config_entries.options.async_configure(result["flow_id"], {"price_model": "none"})
    await hass.async_block_till_done()
    assert _state(hass, "capacity_cost") is None


async def test_switching_region_does_not_carry_the_tariff_along(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Flemish options with the tariff on; moving to Wallonia suggests it off again."""
    hass.config_entries.async_update_entry(
        init_integration, options={CONF_REGION: "flanders", CONF_CAPACITY_TARIFF: True}
    )
    await hass.async_block_till_done()
    result = await _billing(hass, init_integration, "wallonia")
    assert _suggested(result)[CONF_CAPACITY_TARIFF] is False


async def test_diagnostics_show_the_capacity_state(
    hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """The running quarter-hour and the peaks are in the diagnostics download."""
    _at(freezer, "2026-06-17T09:59:00")
    entry = _entry(FLANDERS)
    await _setup(hass, entry)
    home = Home(dongle)
    await home.start(2000)
    await home.run(16, 2000)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    capacity = diagnostics["billing"]["capacity"]
    assert capacity["peaks"]["2026-06-01"]["power"] == pytest.approx(2.0, abs=0.01)
    assert capacity["quarter"]["quarter"] == _ts("2026-06-17T10:15")
