"""Tests of the price models, the spot sensor's reading and the slot costs (pure, no HA)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.lowi_ores.billing.prices import (
    BAND_LAYOUT_IMPACT,
    BAND_LAYOUT_TWO,
    BAND_PRESETS_2026,
    GIVE_UP_SECONDS,
    MAX_LISTED_UNPRICED,
    SUPPLIER_PRESETS_2026,
    BandSchedule,
    Contract,
    CostBook,
    DynamicFormula,
    PriceModel,
    PriceSettingError,
    SlotPrice,
    SpotTimeline,
    band_hours_from_options,
    contract_from_options,
    contract_slot_start,
    dynamic_price,
    finite_number,
    format_band_hours,
    missing_sample_times,
    parse_band_hours,
    slot_spot,
    spot_in_eur_per_mwh,
    spot_sample_times,
    spot_unit_factor,
)
from custom_components.lowi_ores.billing.quarters import BRUSSELS

ENGIE = DynamicFormula(buy_factor=0.1039, buy_offset=0.8702, sell_factor=0.1, sell_offset=0.5)
DYNAMIC_OPTIONS: dict[str, Any] = {
    "price_model": "dynamic",
    "spot_resolution": 15,
    "buy_factor": 0.1039,
    "buy_offset": 0.8702,
    "sell_factor": 0.1,
    "sell_offset": 0.5,
}
# 2026-06-20 12:00 Belgian summer time, a quarter-hour boundary.
NOON = datetime(2026, 6, 20, 10, 0, tzinfo=UTC).timestamp()

spots = st.floats(-500, 4000, allow_nan=False)


# --- the spot sensor's unit and value ----------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "factor"),
    [
        ("EUR/MWh", 1.0),
        ("€/MWh", 1.0),
        ("EUR/kWh", 1000.0),
        ("€/kWh", 1000.0),
        (" eur / kwh ", 1000.0),
        ("c/kWh", 10.0),
        ("ct/kWh", 10.0),
        ("c€/kWh", 10.0),
        ("EUR/Wh", 1_000_000.0),
        ("SEK/kWh", None),
        ("EUR", None),
        ("kWh", None),
        ("EUR/m³", None),
        ("", None),
        (None, None),
    ],
)
def test_spot_units(unit: str | None, factor: float | None) -> None:
    """The units the usual price integrations write, and what is no euro price."""
    assert spot_unit_factor(unit) == factor


@pytest.mark.parametrize(
    ("state", "unit", "expected"),
    [
        ("85.3", "EUR/MWh", 85.3),
        ("0.0853", "EUR/kWh", 85.3),
        ("8.53", "c/kWh", 85.3),
        ("-12.5", "EUR/MWh", -12.5),
        ("unavailable", "EUR/MWh", None),
        ("unknown", "EUR/kWh", None),
        ("nan", "EUR/MWh", None),
        ("inf", "EUR/MWh", None),
        ("85", "SEK/kWh", None),
        (True, "EUR/MWh", None),
        (None, "EUR/MWh", None),
    ],
)
def test_spot_values(state: Any, unit: str, expected: float | None) -> None:
    """A state becomes EUR/MWh, or None when it is no finite number in euro."""
    value = spot_in_eur_per_mwh(state, unit)
    assert value == pytest.approx(expected) if expected is not None else value is None


def test_finite_number() -> None:
    """Numbers and numeric text pass; NaN, infinity, booleans and the rest do not."""
    assert finite_number(3) == 3.0
    assert finite_number(" 2.5 ") == 2.5
    assert finite_number(float("nan")) is None
    assert finite_number(False) is None
    assert finite_number([1]) is None


# --- the dynamic formula -------------------------------------------------------------------------


def test_supplier_formula_worked_example() -> None:
    """Engie's quarter-hour formula at 100 EUR/MWh, 6 % VAT, 10 c/kWh of grid fees and taxes."""
    formula = DynamicFormula(0.1039, 0.8702, 0.1, 0.5, vat=6, extra_buy_cost=10)
    # (10.39 + 0.8702 + 10) c/kWh x 1.06 = 22.535812 c/kWh
    assert formula.buy(100) == pytest.approx(0.22535812)
    # 10 - 0.5 c/kWh, no VAT on what a household sells
    assert formula.sell(100) == pytest.approx(0.095)


def test_negative_spot_prices_are_kept() -> None:
    """A sunny afternoon at -120 EUR/MWh: buying pays, selling costs. Nothing is clamped."""
    assert ENGIE.buy(-120) == pytest.approx((0.1039 * -120 + 0.8702) * 1.06 / 100)
    assert ENGIE.buy(-120) < 0
    assert ENGIE.sell(-120) == pytest.approx(-0.125)
    book = CostBook()
    book.add_import(NOON, 0.2)
    book.add_export(NOON, 1.0)
    book.settle(lambda _start: SlotPrice(ENGIE.buy(-120), ENGIE.sell(-120), -120), NOON + 900)
    assert book.import_cost < 0
    assert book.export_revenue == pytest.approx(-0.125)
    assert book.net_cost == pytest.approx(book.import_cost + 0.125)


@given(spots, spots, st.floats(0, 1))
def test_formula_is_affine(first: float, second: float, weight: float) -> None:
    """Buy and sell are affine in the spot price: the price of a mean is the mean of the prices."""
    mean = weight * first + (1 - weight) * second
    for price in (ENGIE.buy, ENGIE.sell):
        assert price(mean) == pytest.approx(
            weight * price(first) + (1 - weight) * price(second), abs=1e-9
        )


@given(spots)
def test_sell_is_below_zero_exactly_when_the_formula_says(spot: float) -> None:
    """The sign of the sell price is the sign of factor x spot - offset."""
    assert (ENGIE.sell(spot) < 0) == (0.1 * spot - 0.5 < 0)


def test_supplier_presets_are_dated_and_plausible() -> None:
    """Each preset says when it was checked; its formula passes the spot price on at about 1:1."""
    assert {"engie_dynamic", "luminus_dynamic", "totalenergies_dynamic"} <= set(
        SUPPLIER_PRESETS_2026
    )
    for preset in SUPPLIER_PRESETS_2026.values():
        assert preset.checked.year >= 2026
        assert 0.09 < preset.buy_factor < 0.12
        assert preset.resolution in (15, 60)
        options = DYNAMIC_OPTIONS | {
            "buy_factor": preset.buy_factor,
            "buy_offset": preset.buy_offset,
            "spot_resolution": preset.resolution,
        }
        assert contract_from_options(options).formula is not None


# --- slots ---------------------------------------------------------------------------------------


def test_slots_across_the_clock_changes() -> None:
    """Local quarter-hours and hours are whole multiples of Unix time, on DST days too."""
    for day in (datetime(2026, 3, 29, tzinfo=BRUSSELS), datetime(2026, 10, 25, tzinfo=BRUSSELS)):
        hours = {
            contract_slot_start(day.timestamp() + second, 60) for second in range(0, 25 * 3600, 600)
        }
        for start in hours:
            local = datetime.fromtimestamp(start, BRUSSELS)
            assert (local.minute, local.second) == (0, 0)
    # 02:00-03:00 local on 25 October 2026 happens twice: two different hourly slots.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC).timestamp()
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC).timestamp()
    assert datetime.fromtimestamp(first, BRUSSELS).hour == 2
    assert datetime.fromtimestamp(second, BRUSSELS).hour == 2
    assert contract_slot_start(first, 60) != contract_slot_start(second, 60)


def test_spot_sample_times_are_quarter_midpoints() -> None:
    """A slot is read in the middle of each of its quarters, where the sensor is settled."""
    assert spot_sample_times(NOON, 15) == [NOON + 450]
    assert spot_sample_times(NOON, 60) == [NOON + 450, NOON + 1350, NOON + 2250, NOON + 3150]


@given(st.lists(spots, min_size=4, max_size=4))
def test_hourly_spot_is_the_mean_of_the_quarters(quarters: list[float]) -> None:
    """An hourly contract pays the mean of the hour's quarter prices."""
    assert slot_spot(quarters) == pytest.approx(sum(quarters) / 4, abs=1e-9)
    assert min(quarters) - 1e-9 <= slot_spot(quarters) <= max(quarters) + 1e-9


def test_slot_spot_needs_a_price() -> None:
    """No quarter price, no slot price."""
    with pytest.raises(ValueError, match="at least one"):
        slot_spot([])


# --- bands ----------------------------------------------------------------------------------------


def test_wallonia_2026_presets() -> None:
    """The two Walloon layouts cover the day, every quarter in exactly one band."""
    two = BandSchedule.from_hours(BAND_PRESETS_2026[BAND_LAYOUT_TWO])
    impact = BandSchedule.from_hours(BAND_PRESETS_2026[BAND_LAYOUT_IMPACT])

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 6, 20, hour, minute, tzinfo=BRUSSELS)

    assert [two.band_at(at(hour)) for hour in (6, 7, 10, 11, 16, 17, 21, 22)] == [
        "offpeak",
        "normal",
        "normal",
        "offpeak",
        "offpeak",
        "normal",
        "normal",
        "offpeak",
    ]
    assert [impact.band_at(at(hour, 59)) for hour in (0, 1, 6, 7, 10, 11, 16, 17, 21, 22)] == [
        "medium",
        "eco",
        "eco",
        "medium",
        "medium",
        "eco",
        "eco",
        "peak",
        "peak",
        "medium",
    ]
    assert impact.bands == ["medium", "eco", "peak"]
    assert two.quarters.count("offpeak") == 15 * 4  # 22-07 and 11-17: 15 hours


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("22:00-07:00, 11:00-17:00", [(1320, 420), (660, 1020)]),
        ("22-7; 11-17", [(1320, 420), (660, 1020)]),
        ("22h-7h", [(1320, 420)]),
        ("00:00-24:00", [(0, 1440)]),
        ("7.30 - 9.45", [(450, 585)]),
        ("", []),
    ],
)
def test_band_hours_are_read(text: str, spans: list[tuple[int, int]]) -> None:
    """The ways people write hours."""
    assert parse_band_hours(text) == spans


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("seven to eleven", "band_format"),
        ("07:00-07:00", "band_format"),
        ("25:00-07:00", "band_format"),
        ("24:00-07:00", "band_format"),
        ("07:70-08:00", "band_format"),
        ("07:10-08:00", "band_not_quarter"),
    ],
)
def test_bad_band_hours(text: str, reason: str) -> None:
    """Unreadable hours, empty spans and times off the quarter-hour grid are refused."""
    with pytest.raises(ValueError, match=reason):
        parse_band_hours(text)


@pytest.mark.parametrize(
    ("hours", "field", "reason"),
    [
        ({"peak": "17-22", "medium": "07-11, 21-01", "eco": "01-07, 11-17"}, "medium", "overlap"),
        ({"peak": "17-22", "medium": "07-11, 22-01", "eco": "01-07, 11-16"}, "peak", "gap"),
        ({"normal": "07-22", "offpeak": "nonsense"}, "offpeak", "format"),
        ({"normal": "00:00-24:00", "offpeak": ""}, "offpeak", "empty"),
    ],
)
def test_bad_schedules_name_the_field(hours: dict[str, str], field: str, reason: str) -> None:
    """An overlap, a gap, a bad text: refused, with the field to correct."""
    with pytest.raises(PriceSettingError) as err:
        BandSchedule.from_hours(hours)
    assert err.value.field == f"band_hours_{field}"
    assert err.value.reason == f"band_{reason}"


@given(st.lists(st.sampled_from(["peak", "medium", "eco"]), min_size=96, max_size=96))
def test_any_partition_of_the_day_round_trips(quarters: list[str]) -> None:
    """Any assignment of the 96 quarters to bands, written as hours and read back, is the same."""
    hours: dict[str, list[tuple[int, int]]] = {}
    for index, band in enumerate(quarters):
        spans = hours.setdefault(band, [])
        if spans and spans[-1][1] == index * 15:
            spans[-1] = (spans[-1][0], index * 15 + 15)
        else:
            spans.append((index * 15, index * 15 + 15))
    texts = {band: format_band_hours(spans) for band, spans in hours.items()}
    assert BandSchedule.from_hours(texts).quarters == tuple(quarters)


# --- the contract from the options ---------------------------------------------------------------


def test_contracts_from_options() -> None:
    """Each model reads its own keys; prices as the bill shows them are used as they are."""
    assert contract_from_options({}).model is PriceModel.NONE
    fixed = contract_from_options({"price_model": "fixed", "buy_price": 0.32, "sell_price": 0.04})
    assert fixed.by_register
    assert not fixed.by_slot
    assert fixed.register_prices("night") == SlotPrice(0.32, 0.04)
    day_night = contract_from_options(
        {
            "price_model": "day_night",
            "buy_price_day": 0.36,
            "buy_price_night": 0.27,
            "sell_price_day": 0.05,
            "sell_price_night": 0.03,
        }
    )
    assert day_night.register_prices("day") == SlotPrice(0.36, 0.05)
    assert day_night.register_prices("night") == SlotPrice(0.27, 0.03)
    bands = contract_from_options(
        {
            "price_model": "bands",
            "band_layout": BAND_LAYOUT_IMPACT,
            "buy_price_peak": 0.42,
            "buy_price_medium": 0.33,
            "buy_price_eco": 0.24,
            "sell_price": 0.04,
        }
    )
    assert bands.by_slot
    evening = datetime(2026, 1, 5, 18, 0, tzinfo=BRUSSELS)
    assert bands.band_prices(evening) == SlotPrice(0.42, 0.04)
    dynamic = contract_from_options(DYNAMIC_OPTIONS | {"spot_resolution": 60})
    assert dynamic.resolution == 60
    assert dynamic.formula == DynamicFormula(0.1039, 0.8702, 0.1, 0.5, vat=6.0)
    assert dynamic.spot_prices(100.0) == SlotPrice(ENGIE.buy(100), ENGIE.sell(100), 100.0)


def test_edited_band_hours_replace_the_preset() -> None:
    """The user's own hours for a band win over the layout's preset."""
    hours = band_hours_from_options({"band_layout": BAND_LAYOUT_TWO, "band_hours_normal": "8-22"})
    assert hours == {"normal": "8-22", "offpeak": "22:00-07:00, 11:00-17:00"}


@pytest.mark.parametrize(
    ("options", "field", "reason"),
    [
        ({"price_model": "cheap"}, "price_model", "unknown_choice"),
        (
            {"price_model": "fixed", "buy_price": 32, "sell_price": 0.04},
            "buy_price",
            "out_of_range",
        ),
        (
            {"price_model": "fixed", "buy_price": 0.3, "sell_price": -6},
            "sell_price",
            "out_of_range",
        ),
        ({"price_model": "fixed", "sell_price": 0.04}, "buy_price", "required"),
        ({"price_model": "fixed", "buy_price": "x", "sell_price": 0}, "buy_price", "not_a_number"),
        ({"price_model": "day_night", "buy_price_day": 0.3}, "buy_price_night", "required"),
        ({"price_model": "bands", "band_layout": "flanders"}, "band_layout", "unknown_choice"),
        (
            {"price_model": "bands", "band_hours_normal": "07-11", "sell_price": 0},
            "band_hours_normal",
            "band_gap",
        ),
        (
            {"price_model": "bands", "buy_price_normal": 0.3, "sell_price": 0.0},
            "buy_price_offpeak",
            "required",
        ),
        (DYNAMIC_OPTIONS | {"spot_resolution": 30}, "spot_resolution", "unknown_choice"),
        (DYNAMIC_OPTIONS | {"buy_factor": 1.039}, "buy_factor", "out_of_range"),
        (DYNAMIC_OPTIONS | {"sell_factor": -0.1}, "sell_factor", "out_of_range"),
        (DYNAMIC_OPTIONS | {"buy_offset": 87.02}, "buy_offset", "out_of_range"),
        (DYNAMIC_OPTIONS | {"vat": 60}, "vat", "out_of_range"),
        (DYNAMIC_OPTIONS | {"extra_buy_cost": -1}, "extra_buy_cost", "out_of_range"),
        (DYNAMIC_OPTIONS | {"sell_offset": math.nan}, "sell_offset", "not_a_number"),
    ],
)
def test_bad_settings_name_the_field(options: dict[str, Any], field: str, reason: str) -> None:
    """A price in c/kWh typed as EUR/kWh, a factor x10, a missing value: refused, field named."""
    with pytest.raises(PriceSettingError) as err:
        contract_from_options(options)
    assert (err.value.field, err.value.reason) == (field, reason)


def test_contract_methods_need_their_model() -> None:
    """Asking a fixed contract for a band or spot price is a programming error."""
    fixed = Contract(PriceModel.FIXED, buy=0.3, sell=0.05)
    with pytest.raises(ValueError, match="band"):
        fixed.band_prices(datetime(2026, 1, 1, tzinfo=BRUSSELS))
    with pytest.raises(ValueError, match="dynamic"):
        fixed.spot_prices(80)


# --- the spot timeline ---------------------------------------------------------------------------


def test_timeline_reads_the_value_in_force() -> None:
    """The value at a moment is the last one shown at or before it, once that moment has passed."""
    timeline = SpotTimeline()
    assert timeline.value_at(NOON) is None
    timeline.record(NOON + 3, 80.0)
    timeline.record(NOON + 903, None)  # unavailable
    timeline.record(NOON + 1500, 95.5)
    assert timeline.value_at(NOON) is None  # before the first value
    assert timeline.value_at(NOON + 450) == 80.0
    assert timeline.value_at(NOON + 1350) is None
    assert timeline.value_at(NOON + 1800) is None  # not reached yet
    timeline.follow_until(NOON + 2000)
    assert timeline.value_at(NOON + 1800) == 95.5
    timeline.record(NOON + 1500, 96.0)  # a second state at the same moment replaces the first
    assert timeline.value_at(NOON + 1800) == 96.0
    assert timeline.fill(NOON + 1350, 90.0)  # from the recorder's history
    assert timeline.value_at(NOON + 1350) == 90.0
    assert timeline.value_at(NOON + 1349) is None


def test_a_restart_across_a_boundary_is_not_knowable() -> None:
    """Stopped within a quarter: the value held. Stopped across a boundary: unknown, for good."""
    timeline = SpotTimeline()
    timeline.record(NOON + 4, 80.0)
    timeline.follow_until(NOON + 100)
    timeline.resume(NOON + 400)  # back within the same quarter
    assert timeline.value_at(NOON + 399) == 80.0
    timeline.resume(NOON + 1500)  # down from 12:06:40 to 12:25, over the 12:15 boundary
    assert timeline.value_at(NOON + 899) == 80.0
    assert timeline.value_at(NOON + 1350) is None
    assert not timeline.fill(NOON + 1350, 81.0)  # the recorder was down too
    assert timeline.value_at(NOON + 1350) is None
    timeline.record(NOON + 1500, 82.0)
    timeline.follow_until(NOON + 1600)
    assert timeline.value_at(NOON + 1600) == 82.0
    restored = SpotTimeline()
    restored.restore(timeline.as_dict())
    assert restored == timeline
    fresh = SpotTimeline()
    fresh.resume(NOON)  # never followed: nothing to say
    assert fresh.known_until is None


def test_timeline_forgets_after_a_day_and_survives_a_restart() -> None:
    """Old points go (the one in force at the horizon stays); the rest round-trips a restart."""
    timeline = SpotTimeline(keep_seconds=3600)
    for minute in range(0, 180, 15):
        timeline.record(NOON + minute * 60, float(minute))
    assert timeline.points[0][0] <= NOON + 7200
    assert timeline.value_at(NOON + 7200 + 1) == 120.0
    restored = SpotTimeline(keep_seconds=3600)
    restored.restore(timeline.as_dict())
    assert restored == timeline
    restored.restore(
        {
            "points": [[1, 2], ["x", 3], [4], [5, None], [6, "nan"], "nonsense"],
            "known_until": 9,
            "resolved": [[7, 70], [8, None]],
            "down": [[2, 3], [4, "x"]],
        }
    )
    assert restored.points == [(1.0, 2.0), (5.0, None)]
    assert restored.resolved == {7.0: 70.0}
    assert restored.down == [(2.0, 3.0)]
    assert restored.known_until == 9.0
    restored.restore("nonsense")
    assert restored.points == []
    assert restored.known_until is None


def test_dynamic_price_waits_for_the_whole_hour() -> None:
    """An hourly slot is priced once its fourth quarter's midpoint is past, at the mean."""
    hourly = contract_from_options(DYNAMIC_OPTIONS | {"spot_resolution": 60})
    quarterly = contract_from_options(DYNAMIC_OPTIONS)
    timeline = SpotTimeline()
    for number, value in enumerate((40.0, 20.0, -10.0, -30.0)):
        timeline.record(NOON + 900 * number + 4, value)
    timeline.follow_until(NOON + 3000)
    assert dynamic_price(quarterly, timeline, NOON + 900) == quarterly.spot_prices(20.0)
    assert dynamic_price(hourly, timeline, NOON) is None  # 12:52:30 is still to come
    timeline.follow_until(NOON + 3150)
    assert dynamic_price(hourly, timeline, NOON) == hourly.spot_prices(5.0)
    assert dynamic_price(hourly, timeline, NOON + 2700) == hourly.spot_prices(5.0)


def test_missing_sample_times() -> None:
    """The moments to look up in the recorder: past, and without a value."""
    quarterly = contract_from_options(DYNAMIC_OPTIONS)
    timeline = SpotTimeline()
    timeline.record(NOON, 50.0)
    timeline.record(NOON + 600, None)
    timeline.record(NOON + 2000, 60.0)
    starts = [NOON, NOON + 900, NOON + 1800, NOON + 2700]
    assert missing_sample_times(quarterly, timeline, starts) == [NOON + 1350]


# --- the cost book --------------------------------------------------------------------------------


def _price(start: float) -> SlotPrice:
    spot = 100.0 - (start - NOON) / 900 * 40  # falling through zero
    return SlotPrice(ENGIE.buy(spot), ENGIE.sell(spot), spot)


def test_slot_costs_and_a_price_that_comes_late() -> None:
    """A slot waits for its price; the totals are the sum of energy x price of priced slots."""
    book = CostBook()
    book.add_import(NOON, 0.5)
    book.add_export(NOON, 0.1, estimated=True)
    book.add_import(NOON + 900, 0.25)
    book.add_export(NOON + 900, 0.75)
    known = {NOON}
    priced, given_up = book.settle(lambda start: _price(start) if start in known else None, NOON)
    assert [slot.start for slot in priced] == [NOON]
    assert priced[0].estimated
    assert not given_up
    assert [slot.start for slot in book.pending] == [NOON + 900]
    assert book.import_cost == pytest.approx(0.5 * _price(NOON).buy)
    known.add(NOON + 900)
    priced, _ = book.settle(lambda start: _price(start) if start in known else None, NOON + 9000)
    assert book.pending == []
    assert book.last == priced[0]
    assert book.import_cost == pytest.approx(0.5 * _price(NOON).buy + 0.25 * _price(NOON + 900).buy)
    assert book.export_revenue == pytest.approx(
        0.1 * _price(NOON).sell + 0.75 * _price(NOON + 900).sell
    )


def test_a_slot_without_price_for_a_day_is_left_out() -> None:
    """After 24 hours the slot is set aside, with its energy counted for the repair issue."""
    book = CostBook()
    book.add_import(NOON, 0.4)
    book.add_export(NOON, 1.5)
    _, given_up = book.settle(lambda _start: None, NOON + 900 + GIVE_UP_SECONDS - 1)
    assert not given_up
    _, given_up = book.settle(lambda _start: None, NOON + 900 + GIVE_UP_SECONDS)
    assert [slot.start for slot in given_up] == [NOON]
    assert (book.unpriced_imported, book.unpriced_exported) == (0.4, 1.5)
    assert book.import_cost == book.export_revenue == 0.0
    assert book.pending == []
    assert book.expire_unpriced(NOON) is False
    assert len(book.unpriced) == 1
    assert book.expire_unpriced(NOON + 1) is True
    assert book.unpriced == []
    assert book.expire_unpriced(NOON + 1) is False
    assert book.unpriced_imported == 0.4


def test_only_the_last_unpriced_slots_are_listed() -> None:
    """The list for the repair issue is bounded; the energy total is not."""
    book = CostBook()
    for number in range(MAX_LISTED_UNPRICED + 10):
        book.add_import(NOON + 900 * number, 0.01)
    book.settle(lambda _start: None, NOON + 10 * GIVE_UP_SECONDS)
    assert len(book.unpriced) == MAX_LISTED_UNPRICED
    assert book.unpriced[-1].start == NOON + 900 * (MAX_LISTED_UNPRICED + 9)
    assert book.unpriced_imported == pytest.approx(0.01 * (MAX_LISTED_UNPRICED + 10))


def test_register_pricing() -> None:
    """Fixed and day/night contracts price each rise of a register; a fall is a new meter."""
    book = CostBook()
    assert book.add_register("day", "import", 1000.0, 0.3) == 0.0  # the starting point
    assert book.add_register("day", "import", 1002.0, 0.3) == pytest.approx(0.6)
    assert book.add_register("night", "export", 50.0, 0.04) == 0.0
    assert book.add_register("night", "export", 60.0, -0.01) == pytest.approx(-0.1)
    assert book.add_register("day", "import", 3.0, 0.3) == 0.0  # a new meter
    assert book.add_register("day", "import", 4.0, 0.3) == pytest.approx(0.3)
    assert book.import_cost == pytest.approx(0.9)
    assert book.export_revenue == pytest.approx(-0.1)


def test_cost_book_survives_a_restart() -> None:
    """Everything round-trips; malformed parts start from zero."""
    book = CostBook()
    book.add_register("day", "import", 10.0, 0.3)
    book.add_import(NOON, 0.2)
    book.add_import(NOON + 900, 0.3)
    book.settle(lambda start: _price(start) if start == NOON else None, NOON + 1800)
    book.add_export(NOON - GIVE_UP_SECONDS * 2, 1.0)
    book.settle(lambda _start: None, NOON + 1800)
    restored = CostBook()
    restored.restore(book.as_dict())
    assert restored.as_dict() == book.as_dict()
    restored.restore(
        {
            "import_cost": "nan",
            "pending": [[1, 2, 3, False], [1, "x", 3, False], "x"],
            "registers": {"import_day": 5, "export_day": "x"},
        }
    )
    assert restored.import_cost == 0.0
    assert len(restored.pending) == 1
    assert restored.registers == {"import_day": 5.0}
    restored.restore(None)
    assert len(restored.pending) == 1  # nothing to restore: left as it was


@given(
    st.lists(
        st.tuples(
            st.integers(0, 200),
            st.floats(0, 5),
            st.floats(0, 5),
            st.floats(-0.6, 1.2),
            st.floats(-0.6, 1.2),
        ),
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_totals_do_not_depend_on_when_prices_arrive(
    slots: list[tuple[int, float, float, float, float]], rng: Any
) -> None:
    """However the prices trickle in, the totals are the sum of energy x price over the slots."""
    prices: dict[float, SlotPrice] = {}
    energies: dict[float, list[float]] = {}
    book = CostBook()
    for number, imported, exported, buy, sell in slots:
        start = NOON + 900 * number
        prices.setdefault(start, SlotPrice(buy, sell))
        book.add_import(start, imported)
        book.add_export(start, exported)
        energy = energies.setdefault(start, [0.0, 0.0])
        energy[0] += imported
        energy[1] += exported
    known: set[float] = set()
    while book.pending:
        known.update(start for start in prices if rng.random() < 0.3)
        book.settle(lambda start: prices[start] if start in known else None, NOON)
    assert book.import_cost == pytest.approx(
        sum(energy[0] * prices[start].buy for start, energy in energies.items()), abs=1e-9
    )
    assert book.export_revenue == pytest.approx(
        sum(energy[1] * prices[start].sell for start, energy in energies.items()), abs=1e-9
    )


def test_a_week_of_timestamps() -> None:
    """Quarter-hour slot starts of a local week stay on Unix multiples of 900 s."""
    start = datetime(2026, 3, 26, tzinfo=BRUSSELS)
    moments = [start + timedelta(minutes=7 * number) for number in range(1440)]
    assert all(contract_slot_start(moment.timestamp(), 15) % 900 == 0 for moment in moments)
