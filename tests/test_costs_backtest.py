"""The simulated spot curve, and our slot costs against the simulator's exact energies.

The month-long figures come from ``python -m benchmarks.costs_backtest``; here a few days, so
that the suite checks the cent-level match on every run: summer days with negative middays, and
both clock changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
import math

import pytest

from benchmarks.costs_backtest import (
    FORMULA,
    exact_buy,
    exact_sell,
    figures,
    main,
    simulate,
)
from simulator.belgium import from_local, to_local
from simulator.spot import MAX_PRICE, MIN_PRICE, hourly_index, quarter_prices, spot_price


def _day(day: date, seed: int = 3) -> list[float]:
    start = from_local(datetime.combine(day, datetime.min.time()))
    end = from_local(datetime.combine(day + timedelta(days=1), datetime.min.time()))
    return [price for _, price in quarter_prices(seed, start, end)]


def test_spot_curve_is_seeded_and_published_to_the_cent() -> None:
    """Same seed and quarter, same price; two decimals; within the market's limits."""
    moment = datetime(2026, 6, 20, 11, 7, tzinfo=UTC)
    assert spot_price(3, moment) == spot_price(3, moment.replace(minute=0))
    assert spot_price(3, moment) != spot_price(4, moment)
    prices = _day(date(2026, 6, 20)) + _day(date(2026, 1, 14))
    assert all(round(price, 2) == price for price in prices)
    assert all(MIN_PRICE <= price <= MAX_PRICE for price in prices)


def test_spot_curve_has_a_belgian_shape() -> None:
    """Winter: evening peak above the night, no negative price. Sunny summer: negative middays."""
    january = [_day(date(2026, 1, day)) for day in range(5, 31)]
    assert all(min(prices) > 0 for prices in january)
    for prices in january:
        night, evening = prices[3 * 4 : 5 * 4], prices[18 * 4 : 21 * 4]
        assert sum(evening) / len(evening) > sum(night) / len(night)
    june = [_day(date(2026, 6, day)) for day in range(1, 31)]
    negative_days = [prices for prices in june if min(prices) < 0]
    assert len(negative_days) >= 5
    for prices in negative_days:  # below zero around midday, never at night
        assert min(prices) == min(prices[10 * 4 : 17 * 4])
        assert min(prices[0 : 5 * 4]) > 0


def test_clock_change_days_have_their_quarters() -> None:
    """92 quarters on the spring change, 100 in autumn; the hourly index is the mean of four."""
    assert len(_day(date(2026, 3, 29))) == 92
    assert len(_day(date(2026, 10, 25))) == 100
    hour = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 02:00 CEST, the first of two
    assert to_local(hour).hour == 2
    quarters = [spot_price(3, hour + timedelta(minutes=15 * n)) for n in range(4)]
    assert hourly_index(3, hour + timedelta(minutes=40)) == round(sum(quarters) / 4, 2)


def test_independent_formula_is_the_contract() -> None:
    """The backtest's written-out formula and the contract it checks agree (else no test)."""
    for spot in (-120.0, 0.0, 85.5, 400.0):
        assert exact_buy(spot) == pytest.approx(FORMULA.buy(spot))
        assert exact_sell(spot) == pytest.approx(FORMULA.sell(spot))


@pytest.mark.parametrize(
    ("start", "days"),
    [
        (date(2026, 6, 19), 2),  # sunny summer days: negative prices, export costs money
        (date(2026, 10, 24), 2),  # the autumn clock change (25 hours)
        (date(2026, 3, 28), 2),  # the spring clock change (23 hours)
    ],
)
@pytest.mark.parametrize("resolution", [15, 60])
def test_slot_costs_match_the_exact_energies_to_the_cent(
    start: date, days: int, resolution: int
) -> None:
    """Our import cost and export revenue equal the exact recomputation, within half a cent."""
    run = simulate(3, from_local(datetime.combine(start, datetime.min.time())), days)
    for interval in (10, 60):
        result = figures(run, resolution, interval)
        assert result.quarters == days * 96 - 1  # 48 h; the first quarter began before the data
        assert result.imported > 1
        assert result.exported > 1
        for ours, exact in zip(result.ours, result.exact, strict=True):
            assert math.isclose(ours, exact, abs_tol=0.005)
            assert exact != 0
    if start.month == 6:
        assert result.negative_slots > 0


def test_the_script_prints_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m benchmarks.costs_backtest` prints every row for both contracts."""
    main(["--days", "0.5", "--start", "2026-06-20"])
    out = capsys.readouterr().out
    assert out.count("ours (slot costs)") == 4
    assert out.count("HA price entity") == 4
    assert "Hourly contract" in out
