"""The export's prices and money per row, against the costs ledger and by hand.

The ledger books a quarter-hour when the first message after it arrives; the export prices each
row's own quarter-hour with the same functions, so the rows of a period add up to what the
ledger's totals rose by over it, to the cent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.lowi_ores.billing.prices import (
    BandSchedule,
    Contract,
    DynamicFormula,
    PriceModel,
    SpotTimeline,
)
from custom_components.lowi_ores.const import CONF_IDENT, DOMAIN
from custom_components.lowi_ores.export.action import _source
from custom_components.lowi_ores.export.intervals import Resolution
from custom_components.lowi_ores.export.labels import labels_for
from custom_components.lowi_ores.export.money import price_rows
from custom_components.lowi_ores.export.rows import Counter, Row
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .conftest import IDENT
from .test_costs import DYNAMIC, House, buy, part, sell, setup
from .test_export import _csv, _export, _number, _with_statistics

pytestmark = pytest.mark.usefixtures("mqtt_mock", "brussels")

NOON = datetime(2026, 6, 20, 10, 0, tzinfo=UTC)  # 12:00 in Brussels (summer time)
# Eight quarter-hours from noon: the spot price (EUR/MWh; None: the sensor is unavailable),
# and the import and export power (W, multiples of 60 so that each minute adds whole Wh).
SPOTS: list[float | None] = [120.0, -80.0, -150.0, 30.0, 95.0, None, 60.0, 10.0]
IMPORT_W = [3600, 1200, 600, 2400, 1800, 3000, 600, 1200]
EXPORT_W = [600, 2400, 7200, 1200, 600, 600, 3600, 1800]


@pytest.fixture
def mock_recorder_before_hass(recorder_db_url: str) -> None:
    """Prepare the recorder's database before hass is created (the recorder_mock rule)."""


@pytest.fixture
async def brussels(hass: HomeAssistant, tmp_path: Path) -> None:
    """Run in Belgian time, with a configuration folder of the test's own."""
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    await hass.config.async_set_time_zone("Europe/Brussels")
    hass.config.config_dir = str(tmp_path / "config")


def _quarter(number: int) -> datetime:
    return NOON + timedelta(minutes=15 * number)


def _slot_spot(resolution: int, number: int) -> float | None:
    """The contract's spot price for quarter `number`, written out: an hour pays its mean."""
    if resolution == 15:
        return SPOTS[number]
    hour = SPOTS[number - number % 4 : number - number % 4 + 4]
    if any(spot is None for spot in hour):
        return None
    return sum(spot for spot in hour if spot is not None) / 4


@pytest.mark.parametrize("resolution", [15, 60])
async def test_dynamic_rows_add_up_to_the_ledger(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    resolution: int,
) -> None:
    """Each 15-minute row is its quarter's energy x its slot's price; they sum to the ledger."""
    house = House(hass, freezer, NOON - timedelta(minutes=70))
    hass.states.async_set("sensor.spot_price", "100", {"unit_of_measurement": "EUR/MWh"})
    entry = await setup(hass, DYNAMIC | {"spot_resolution": resolution})
    await house.run(NOON, watts={"CIH": 600, "CEH": 600})
    book = part(entry).book
    for number, spot in enumerate(SPOTS):
        house.spot(
            _quarter(number) + timedelta(seconds=4),
            "unavailable" if spot is None else str(spot),
        )
    # The message at noon closed the quarter before it: the ledger's totals from here on.
    cost_before, revenue_before = book.import_cost, book.export_revenue
    for number in range(8):
        await house.run(
            _quarter(number + 1), watts={"CIH": IMPORT_W[number], "CEH": EXPORT_W[number]}
        )
        # The recorder keeps up, as it does in real time (the ledger asks it for the price of
        # the unavailable quarter once the sensor is back: it must find "unavailable" there).
        await async_wait_recording_done(hass)
    await house.run(_quarter(8) + timedelta(minutes=2), watts={"CIH": 600, "CEH": 600})
    cost = book.import_cost - cost_before
    revenue = book.export_revenue - revenue_before
    freezer.move_to(_quarter(8) + timedelta(minutes=10))
    async_fire_time_changed(hass)
    await async_wait_recording_done(hass)

    response = await _export(
        hass, start="2026-06-20 12:00", end="2026-06-20 14:00", resolution="15_minutes"
    )
    rows = _csv(response["path"])
    assert len(rows) == 8
    for number, row in enumerate(rows):
        spot = _slot_spot(resolution, number)
        imported, exported = IMPORT_W[number] / 4000, EXPORT_W[number] / 4000
        if spot is None:  # no price: left empty, as the ledger leaves the slot waiting
            assert (row["import_cost_eur"], row["export_revenue_eur"]) == ("", "")
            assert (row["spot_price_eur_per_mwh"], row["buy_price_eur_per_kwh"]) == ("", "")
            continue
        assert _number(row["spot_price_eur_per_mwh"]) == pytest.approx(spot, abs=0.005)
        assert _number(row["buy_price_eur_per_kwh"]) == pytest.approx(buy(spot), abs=1e-5)
        assert _number(row["sell_price_eur_per_kwh"]) == pytest.approx(sell(spot), abs=1e-5)
        assert _number(row["import_cost_eur"]) == pytest.approx(imported * buy(spot), abs=1e-5)
        assert _number(row["export_revenue_eur"]) == pytest.approx(exported * sell(spot), abs=1e-5)
    assert any(row["export_revenue_eur"].startswith("-") for row in rows)  # a negative price
    row_cost = sum(_number(row["import_cost_eur"]) or 0.0 for row in rows)
    row_revenue = sum(_number(row["export_revenue_eur"]) or 0.0 for row in rows)
    assert cost != 0  # the ledger priced something
    assert round(row_cost, 2) == round(cost, 2)
    assert round(row_revenue, 2) == round(revenue, 2)
    assert response["totals"]["import_cost_eur"] == round(cost, 2)
    assert response["totals"]["export_revenue_eur"] == round(revenue, 2)
    # The quarters still waiting for a price in the ledger are the rows left empty.
    waiting = {slot.start for slot in book.pending if slot.start >= NOON.timestamp()}
    assert waiting == {
        _quarter(number).timestamp()
        for number in range(8)
        if _slot_spot(resolution, number) is None
    }

    await _check_longer_rows(hass, rows, resolution)


async def _check_longer_rows(
    hass: HomeAssistant, rows: list[dict[str, str]], resolution: int
) -> None:
    """Hour rows add up their quarter-hours' money; a day the states do not cover has none."""
    hours = await _export(hass, start="2026-06-20 12:00", end="2026-06-20 14:00", resolution="hour")
    hour_rows = _csv(hours["path"])
    # An hour adds up its quarter-hours; the second has one without a price: not known.
    first_hour = sum(_number(row["import_cost_eur"]) or 0.0 for row in rows[:4])
    assert _number(hour_rows[0]["import_cost_eur"]) == pytest.approx(first_hour, abs=1e-4)
    first_revenue = sum(_number(row["export_revenue_eur"]) or 0.0 for row in rows[:4])
    assert _number(hour_rows[0]["export_revenue_eur"]) == pytest.approx(first_revenue, abs=1e-4)
    assert (hour_rows[1]["import_cost_eur"], hour_rows[1]["export_revenue_eur"]) == ("", "")
    # The day began before the recorded states: its quarter-hours, and so its money, unknown.
    day = await _export(hass, start="2026-06-20", end="2026-06-20", resolution="day")
    [day_row] = _csv(day["path"])
    assert (day_row["import_cost_eur"], day_row["export_revenue_eur"]) == ("", "")
    assert "buy_price_eur_per_kwh" not in day_row
    expected = [_slot_spot(60, 0), None] if resolution == 60 else [None, None]
    assert [_number(row["spot_price_eur_per_mwh"]) for row in hour_rows] == expected


def _entry(options: dict[str, Any]) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"LoWi3 {IDENT}",
        unique_id=IDENT,
        data={CONF_IDENT: IDENT},
        options=options,
    )


DAY_NIGHT = {
    "region": "flanders",
    "price_model": "day_night",
    "buy_price_day": 0.32,
    "buy_price_night": 0.25,
    "sell_price_day": 0.04,
    "sell_price_night": 0.02,
}


async def test_day_night_rows_from_the_registers(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """15-minute rows price each register's rise; they add up to the ledger."""
    house = House(hass, freezer, NOON - timedelta(minutes=10))
    entry = await setup(hass, DAY_NIGHT)
    await house.run(NOON, watts={"CIH": 600})
    book = part(entry).book
    cost_before, revenue_before = book.import_cost, book.export_revenue
    await house.run(_quarter(1), watts={"CIH": 2400, "CEH": 1200})
    house.tariff = "2"
    await house.run(_quarter(2), watts={"CIL": 1200, "CEL": 600})
    cost = book.import_cost - cost_before
    revenue = book.export_revenue - revenue_before
    freezer.move_to(_quarter(2) + timedelta(minutes=10))
    async_fire_time_changed(hass)
    await async_wait_recording_done(hass)

    response = await _export(
        hass, start="2026-06-20 12:00", end="2026-06-20 12:30", resolution="15_minutes"
    )
    rows = _csv(response["path"])
    assert [_number(row["import_cost_eur"]) for row in rows] == [
        pytest.approx(0.6 * 0.32),
        pytest.approx(0.3 * 0.25),
    ]
    assert [_number(row["export_revenue_eur"]) for row in rows] == [
        pytest.approx(0.3 * 0.04),
        pytest.approx(0.15 * 0.02),
    ]
    assert [_number(row["buy_price_eur_per_kwh"]) for row in rows] == [0.32, 0.25]
    assert [_number(row["sell_price_eur_per_kwh"]) for row in rows] == [0.04, 0.02]
    assert "spot_price_eur_per_mwh" not in rows[0]
    assert sum(_number(row["import_cost_eur"]) or 0 for row in rows) == pytest.approx(cost)
    assert sum(_number(row["export_revenue_eur"]) or 0 for row in rows) == pytest.approx(revenue)


async def test_day_night_month_and_day_rows_from_statistics(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Register contracts are priced from the long-term statistics too: any resolution."""
    await _with_statistics(hass, freezer, entry=_entry(DAY_NIGHT))
    month = await _export(hass, start="2026-10-01", end="2026-10-31", resolution="month")
    [row] = _csv(month["path"])
    # October: 745 hours of 0.4 kWh day and 0.2 night imported, 0.1 day exported.
    assert _number(row["import_cost_eur"]) == pytest.approx(745 * (0.4 * 0.32 + 0.2 * 0.25))
    assert _number(row["export_revenue_eur"]) == pytest.approx(745 * 0.1 * 0.04)
    assert "buy_price_eur_per_kwh" not in row  # a month has no single price
    hours = await _export(hass, start="2026-10-02", end="2026-10-02", resolution="hour")
    rows = _csv(hours["path"])
    # Both registers counted in every hour: which price was in force is not in the row.
    assert {row["buy_price_eur_per_kwh"] for row in rows} == {""}
    assert {row["sell_price_eur_per_kwh"] for row in rows} == {"0.04"}  # only day export
    assert {_number(row["import_cost_eur"]) for row in rows} == {round(0.4 * 0.32 + 0.2 * 0.25, 5)}


async def test_fixed_prices_and_no_contract(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A fixed price shows in every hour row; without a contract no money column at all."""
    entry = _entry({"price_model": "fixed", "buy_price": 0.3, "sell_price": 0.05})
    await _with_statistics(hass, freezer, entry=entry)
    hours = await _export(hass, start="2026-10-02", end="2026-10-02", resolution="hour")
    rows = _csv(hours["path"])
    assert {row["buy_price_eur_per_kwh"] for row in rows} == {"0.3"}
    assert {_number(row["export_revenue_eur"]) for row in rows} == {round(0.1 * 0.05, 5)}
    assert hours["totals"]["import_cost_eur"] == round(24 * 0.6 * 0.3, 2)
    hass.config_entries.async_update_entry(entry, options={"price_model": "none"})
    await hass.async_block_till_done()
    plain = await _export(hass, start="2026-10-02", end="2026-10-02", resolution="hour")
    assert "import_cost_eur" not in _csv(plain["path"])[0]
    assert "import_cost_eur" not in plain["totals"]


# --- the pure pricing of rows -------------------------------------------------------------


def _row(start: datetime, **values: Any) -> Row:
    return Row(start, start + timedelta(minutes=15), {}, {}, **values)


def test_band_rows_by_their_quarters_band() -> None:
    """A band contract prices each quarter by its band; an hour row only when all one band."""
    schedule = BandSchedule.from_hours(
        {"normal": "07:00-11:00, 17:00-22:00", "offpeak": "22:00-07:00, 11:00-17:00"}
    )
    contract = Contract(
        PriceModel.BANDS, sell=0.03, schedule=schedule, band_buy={"normal": 0.3, "offpeak": 0.2}
    )
    brussels = dt_util.get_time_zone("Europe/Brussels")
    ten = datetime(2026, 6, 20, 10, 45, tzinfo=brussels)
    quarters = list(
        price_rows(
            [
                _row(ten, quarter_imported=1.0, quarter_exported=2.0),
                _row(ten + timedelta(minutes=15), quarter_imported=1.0),
            ],
            contract,
            Resolution.QUARTER_HOUR,
        )
    )
    assert [(row.buy_price, row.import_cost) for row in quarters] == [(0.3, 0.3), (0.2, 0.2)]
    assert [row.export_revenue for row in quarters] == [0.06, None]
    hours = list(
        price_rows(
            [_row(ten - timedelta(minutes=45)), _row(ten + timedelta(minutes=15))],
            contract,
            Resolution.HOUR,
        )
    )
    assert [row.buy_price for row in hours] == [0.3, 0.2]
    assert [row.import_cost for row in hours] == [None, None]


def test_dynamic_rows_without_the_spot_history() -> None:
    """Without the spot sensor's history nothing is priced; with it an unknown moment is not."""
    formula = DynamicFormula(0.1, 1.0, 0.1, 0.5, 6.0, 0.0)
    contract = Contract(PriceModel.DYNAMIC, formula=formula, resolution=15)
    start = datetime(2026, 6, 20, 10, 0, tzinfo=UTC)
    [row] = price_rows([_row(start, quarter_imported=1.0)], contract, Resolution.QUARTER_HOUR)
    assert (row.spot_price, row.import_cost) == (None, None)
    timeline = SpotTimeline(keep_seconds=float("inf"))
    timeline.record(start.timestamp(), 50.0)
    timeline.follow_until(start.timestamp() + 600)  # up to 10:10: the midpoint 10:07:30 known
    rows = [_row(start, quarter_imported=1.0), _row(start + timedelta(minutes=15))]
    priced = list(price_rows(rows, contract, Resolution.QUARTER_HOUR, timeline))
    assert priced[0].import_cost == pytest.approx(buy(50.0))
    assert (priced[1].spot_price, priced[1].import_cost) == (None, None)
    [day] = price_rows([_row(start)], contract, Resolution.DAY, timeline)
    assert (day.buy_price, day.import_cost) == (None, None)
    assert Counter.IMPORT_DAY not in day.usage


def test_register_row_with_an_unknown_counter() -> None:
    """A register contract's row whose counters are not known has no money and no price."""
    contract = Contract(PriceModel.DAY_NIGHT, buy_day=0.3, buy_night=0.2, sell_day=0.05)
    start = datetime(2026, 6, 20, 10, 0, tzinfo=UTC)
    usage: dict[Counter, float | None] = {
        Counter.IMPORT_DAY: None,
        Counter.IMPORT_NIGHT: 1.0,
        Counter.EXPORT_DAY: 2.0,
        Counter.EXPORT_NIGHT: None,
    }
    row = Row(start, start + timedelta(hours=1), {}, usage)
    [priced] = price_rows([row], contract, Resolution.HOUR)
    assert (priced.import_cost, priced.export_revenue) == (None, None)
    assert (priced.buy_price, priced.sell_price) == (None, 0.05)


def test_about_sheet_names_where_the_money_comes_from() -> None:
    """Band and dynamic money of longer rows has its own source (hourly money statistics)."""

    def contract(model: PriceModel) -> Contract:
        return cast(Contract, SimpleNamespace(model=model))

    assert _source(Resolution.QUARTER_HOUR, contract(PriceModel.DYNAMIC)) == "source_states"
    assert _source(Resolution.HOUR, None) == "source_statistics"
    assert _source(Resolution.MONTH, contract(PriceModel.FIXED)) == "source_statistics"
    for model in (PriceModel.BANDS, PriceModel.DYNAMIC):
        key = _source(Resolution.DAY, contract(model))
        assert key == "source_statistics_money_states"
        for language in ("en", "fr", "nl", "de"):
            assert labels_for(language)[key] != labels_for(language)["source_statistics"]
