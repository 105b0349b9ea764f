"""The costs ledger's hourly money statistics, and the export's older rows that read them.

Band and dynamic contracts price quarter-hours measured from messages; the recorder keeps the
states behind them for a few days only. Each finished hour's money goes to long-term statistics
of the integration's own, so an export's hour, day and month rows keep the money the ledger
counted once the states are purged. Expectations come from the ledger's own priced slots (a spy
on the cost book), or from a recomputation by hand, never from the statistics themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
import math
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_purge_done,
    async_wait_recording_done,
)

from custom_components.lowi_ores.billing.prices import CostBook, PricedSlot
from custom_components.lowi_ores.billing.quarters import BRUSSELS, quarters_of_day
from custom_components.lowi_ores.ledger.costs import money_statistic_ids
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.statistics import get_metadata, statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from .conftest import IDENT
from .test_costs import DYNAMIC, SPOT, House, buy, part, setup
from .test_export import _csv, _export, _number

pytestmark = pytest.mark.usefixtures("mqtt_mock", "brussels")

NOON = datetime(2026, 6, 20, 10, 0, tzinfo=UTC)  # 12:00 in Brussels
IMPORT_ID, EXPORT_ID = money_statistic_ids(IDENT)


@pytest.fixture
def mock_recorder_before_hass(recorder_db_url: str) -> None:
    """Prepare the recorder's database before hass is created (the recorder_mock rule)."""


@pytest.fixture
async def brussels(hass: HomeAssistant, tmp_path: Path) -> None:
    """Run in Belgian time, with a configuration folder of the test's own."""
    await hass.config.async_set_time_zone("Europe/Brussels")
    hass.config.config_dir = str(tmp_path / "config")


@pytest.fixture
def priced() -> Iterator[list[PricedSlot]]:
    """Every slot the ledger prices, from every costs part (reloads included)."""
    slots: list[PricedSlot] = []
    original = CostBook.settle

    def spy(book: CostBook, lookup: Any, now: float) -> Any:
        done, given_up = original(book, lookup, now)
        slots.extend(done)
        return done, given_up

    with patch.object(CostBook, "settle", spy):
        yield slots


def _by_hour(slots: list[PricedSlot]) -> dict[float, tuple[float, float]]:
    """The ledger's slots' money, added up by clock hour."""
    hours: dict[float, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for slot in slots:
        money = hours[slot.start - slot.start % 3600]
        money[0] += slot.import_cost
        money[1] += slot.export_revenue
    return {hour: (money[0], money[1]) for hour, money in hours.items()}


async def _statistics(hass: HomeAssistant) -> dict[str, list[dict[str, Any]]]:
    await async_wait_recording_done(hass)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2026, 1, 1, tzinfo=UTC),
        None,
        {IMPORT_ID, EXPORT_ID},
        "hour",
        None,
        {"state", "sum"},
    )
    return {key: list(value) for key, value in rows.items()}


async def _purge_states(hass: HomeAssistant) -> None:
    """Forget every recorded state, as the recorder does after purge_keep_days."""
    await async_wait_recording_done(hass)
    await hass.services.async_call("recorder", "purge", {"keep_days": 0}, blocking=True)
    await async_wait_purge_done(hass)


def _check_statistics(
    statistics: dict[str, list[dict[str, Any]]], slots: list[PricedSlot]
) -> list[float]:
    """Each written hour is the money of the ledger's slots in it; sums run on; return hours."""
    expected = _by_hour(slots)
    hours = [row["start"] for row in statistics[IMPORT_ID]]
    assert hours == sorted(set(hours))
    assert [row["start"] for row in statistics[EXPORT_ID]] == hours
    running = [0.0, 0.0]
    for side, statistic_id in enumerate((IMPORT_ID, EXPORT_ID)):
        for row in statistics[statistic_id]:
            assert row["state"] == pytest.approx(expected[row["start"]][side], abs=1e-9)
            running[side] += expected[row["start"]][side]
            assert row["sum"] == pytest.approx(running[side], abs=1e-9)
    return hours


@pytest.mark.parametrize("resolution", [15, 60])
async def test_old_rows_keep_the_ledgers_money(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    priced: list[PricedSlot],
    resolution: int,
) -> None:
    """Hour rows priced from the statistics once the states are purged: the ledger's money."""
    # The spot sensor is older than the setup: the recorder gives the ledger its earlier
    # values (an hourly contract's 11:00 hour needs the value at 11:07:30).
    freezer.move_to(NOON - timedelta(minutes=70))
    hass.states.async_set(SPOT, "100", {"unit_of_measurement": "EUR/MWh"})
    await async_wait_recording_done(hass)
    house = House(hass, freezer, NOON - timedelta(minutes=10))
    entry = await setup(hass, DYNAMIC | {"spot_resolution": resolution})
    for number in range(12):
        spot = 90 * math.sin(number) + 20 * (number % 3) - 15
        house.spot(NOON + timedelta(minutes=15 * number, seconds=4), f"{spot:.2f}")
    for number in range(12):
        watts = {"CIH": 600 * (number % 4 + 1), "CEH": 1200 * (number % 3)}
        await house.run(NOON + timedelta(minutes=15 * (number + 1)), watts=watts)
        await async_wait_recording_done(hass)
    await house.run(NOON + timedelta(hours=3, minutes=2))
    statistics = await _statistics(hass)
    hours = _check_statistics(statistics, priced)
    # 11:00 (from 11:50) up to 14:00, all priced: the ledger's totals are the sums.
    assert hours == [(NOON + timedelta(hours=n)).timestamp() for n in range(-1, 3)]
    assert statistics[IMPORT_ID][-1]["sum"] == pytest.approx(part(entry).book.import_cost)
    assert statistics[EXPORT_ID][-1]["sum"] == pytest.approx(part(entry).book.export_revenue)
    metadata = await get_instance(hass).async_add_executor_job(
        partial(get_metadata, hass, statistic_ids={IMPORT_ID, EXPORT_ID})
    )
    assert metadata[IMPORT_ID][1]["name"] == f"LoWi3 {IDENT} Import cost per hour"
    assert metadata[EXPORT_ID][1]["name"] == f"LoWi3 {IDENT} Export revenue per hour"
    assert metadata[IMPORT_ID][1]["unit_of_measurement"] == "EUR"

    period = {"start": "2026-06-20 12:00", "end": "2026-06-20 15:00", "resolution": "hour"}
    from_states = _csv((await _export(hass, **period))["path"])
    await _purge_states(hass)
    rows = _csv((await _export(hass, **period))["path"])
    assert len(rows) == 3
    expected = _by_hour(priced)
    for number, row in enumerate(rows):
        cost, revenue = expected[(NOON + timedelta(hours=number)).timestamp()]
        assert _number(row["import_cost_eur"]) == pytest.approx(cost, abs=1e-5)
        assert _number(row["export_revenue_eur"]) == pytest.approx(revenue, abs=1e-5)
        # While the states were there, the quarter-hours priced from them said the same.
        assert _number(from_states[number]["import_cost_eur"]) == pytest.approx(cost, abs=1e-5)
    assert any((_number(row["export_revenue_eur"]) or 0) < 0 for row in rows)  # negative prices
    # The quarter-hours themselves are gone with the states: no money where no energy is known.
    with pytest.raises(ServiceValidationError) as err:
        await _export(hass, **period | {"resolution": "15_minutes"})
    assert err.value.translation_key in {"states_not_available", "no_states"}


async def test_restart_mid_hour_and_down_across_an_hour(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    priced: list[PricedSlot],
) -> None:
    """A reload in an hour, then a stop across the next hour's end: no gap, nothing twice."""
    house = House(hass, freezer, NOON - timedelta(minutes=10))
    hass.states.async_set(SPOT, "80", {"unit_of_measurement": "EUR/MWh"})
    entry = await setup(hass, DYNAMIC)
    house.spot(NOON + timedelta(minutes=30, seconds=4), "-20")
    await house.run(NOON + timedelta(minutes=37), watts={"CIH": 3600, "CEH": 1200})
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await house.run(NOON + timedelta(minutes=80), watts={"CIH": 1200, "CEH": 2400})
    statistics = await _statistics(hass)
    assert _check_statistics(statistics, priced)[-1] == NOON.timestamp()

    # Stopped from 13:20 to 14:10: the meter counted on; 13:30, 13:45 and 14:00 come back with
    # the first message, the spot price at their midpoints is not knowable: they wait.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await house._move(NOON + timedelta(minutes=130))
    house.wh["CIH"] += 1200 * 50 / 60
    house.now = NOON + timedelta(minutes=130)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await house.run(NOON + timedelta(minutes=185), watts={"CIH": 1200, "CEH": 2400})
    book = part(entry).book
    waiting = [slot.start for slot in book.pending]
    assert waiting == [(NOON + timedelta(minutes=m)).timestamp() for m in (90, 105, 120)]
    # 13:00 waits for its 13:30 and 13:45 quarters, and holds back 14:00 and 15:00.
    assert _check_statistics(await _statistics(hass), priced)[-1] == NOON.timestamp()

    # A day later they are given up on: the hours are written without them.
    await house._move(NOON + timedelta(hours=27))
    await house._move(NOON + timedelta(hours=27, minutes=15, seconds=1))
    assert book.pending == []
    statistics = await _statistics(hass)
    hours = _check_statistics(statistics, priced)
    assert hours[-3:] == [(NOON + timedelta(hours=n)).timestamp() for n in range(3)]
    assert statistics[IMPORT_ID][-1]["sum"] == pytest.approx(book.import_cost)
    assert book.unpriced_imported > 0


def _spot(number: int) -> float:
    """A spot price for the n-th quarter of the day: below zero at times."""
    return round(70 * math.sin(number / 7) + 30 * math.cos(number / 3) + 10, 2)


@pytest.mark.parametrize(("day", "count"), [(date(2026, 10, 25), 100), (date(2026, 3, 29), 92)])
async def test_clock_change_day(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    priced: list[PricedSlot],
    day: date,
    count: int,
) -> None:
    """A 25- or 23-hour day: every quarter priced once, the day's cost recomputed by hand."""
    quarters = quarters_of_day(day)
    assert len(quarters) == count
    house = House(hass, freezer, quarters[0] - timedelta(minutes=30))
    hass.states.async_set(SPOT, "50", {"unit_of_measurement": "EUR/MWh"})
    entry = await setup(hass, DYNAMIC)
    for number, start in enumerate(quarters):
        house.spot(start + timedelta(seconds=4), f"{_spot(number):.2f}")
    await house.run(quarters[0], step=300, watts={"CIH": 1200})
    before = part(entry).book.import_cost
    await house.run(quarters[-1] + timedelta(minutes=15), step=300, watts={"CIH": 1200})
    cost = part(entry).book.import_cost - before
    await house.run(quarters[-1] + timedelta(minutes=25), step=300, watts={"CIH": 1200})

    mine = [slot for slot in priced if quarters[0].timestamp() <= slot.start]
    mine = [slot for slot in mine if slot.start <= quarters[-1].timestamp()]
    assert [slot.start for slot in mine] == [start.timestamp() for start in quarters]
    # By hand: 1.2 kW for 15 minutes is 0.3 kWh a quarter, at the formula's buy price.
    by_hand = math.fsum(0.3 * buy(_spot(number)) for number in range(count))
    assert cost == pytest.approx(by_hand, abs=1e-9)
    assert round(cost, 2) == round(by_hand, 2)

    statistics = await _statistics(hass)
    hours = _check_statistics(statistics, priced)
    local_hours = [h for h in hours if datetime.fromtimestamp(h, BRUSSELS).date() == day]
    assert len(local_hours) == count // 4
    await _purge_states(hass)
    response = await _export(hass, start=day.isoformat(), end=day.isoformat(), resolution="day")
    [row] = _csv(response["path"])
    assert _number(row["import_cost_eur"]) == pytest.approx(by_hand, abs=1e-5)
    assert _number(row["export_revenue_eur"]) == 0


async def test_without_the_recorder_nothing_is_kept_for_it(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """No recorder loaded: the costs are counted, no hour waits to be written."""
    house = House(hass, freezer, NOON - timedelta(minutes=10))
    hass.states.async_set(SPOT, "80", {"unit_of_measurement": "EUR/MWh"})
    entry = await setup(hass, DYNAMIC)
    await house.run(NOON + timedelta(minutes=75))
    costs = part(entry)
    assert costs.book.import_cost > 0
    assert (costs.hourly.open, costs.hourly.written_until) == ({}, None)
