"""Tests of the capacity tariff's rules (billing/capacity.py): pure, with hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime
import json

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.lowi_ores.billing.capacity import (
    MIN_MONTH_PEAK_KW,
    MonthPeak,
    PeakHistory,
    add_months,
    month_of,
    monthly_cost,
    peak_warning,
    projected_power,
    warning_threshold,
)
from custom_components.lowi_ores.billing.quarters import BRUSSELS, QUARTER_SECONDS, Quarter


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def quarter(start: float, kilowatts: float, *, estimated: bool = False) -> Quarter:
    return Quarter(start, kilowatts / 4, estimated)


# --- the month changes at local midnight ------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "month"),
    [
        # 1 April 00:00 in Brussels is 31 March 22:00 UTC (summer time since 29 March).
        ("2026-03-31T21:45:00", date(2026, 3, 1)),
        ("2026-03-31T22:00:00", date(2026, 4, 1)),
        # 1 November 00:00 is 31 October 23:00 UTC (winter time since 25 October), not 01:00.
        ("2026-10-31T22:45:00", date(2026, 10, 1)),
        ("2026-10-31T23:00:00", date(2026, 11, 1)),
        ("2026-12-31T23:00:00", date(2027, 1, 1)),
    ],
)
def test_month_changes_at_local_midnight(moment: str, month: date) -> None:
    assert month_of(utc(moment)) == month


def test_add_months() -> None:
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)
    assert add_months(date(2026, 5, 1), -12) == date(2025, 5, 1)


# --- month peaks -------------------------------------------------------------------------------


def test_peak_of_the_month_and_its_quarter() -> None:
    history = PeakHistory()
    start = utc("2026-06-17T16:45:00")  # 18:45 in Brussels
    assert history.add(quarter(start - QUARTER_SECONDS, 3.2))
    assert history.add(quarter(start, 4.8, estimated=True))
    assert not history.add(quarter(start + QUARTER_SECONDS, 4.8))  # equal: the first one stays
    assert not history.add(quarter(start + 2 * QUARTER_SECONDS, 1.0))
    peak = history.peak(date(2026, 6, 1))
    assert peak == MonthPeak(date(2026, 6, 1), 4.8, start, estimated=True)
    assert peak.start_time().isoformat() == "2026-06-17T18:45:00+02:00"
    assert history.peak(date(2026, 5, 1)) is None


def test_the_last_quarter_of_a_month_stays_in_it() -> None:
    """23:45-00:00 on 31 October (winter time) belongs to October, 00:00 to November."""
    history = PeakHistory()
    history.add(quarter(utc("2026-10-31T22:45:00"), 6.0))
    history.add(quarter(utc("2026-10-31T23:00:00"), 3.0))
    october, november = history.peak(date(2026, 10, 1)), history.peak(date(2026, 11, 1))
    assert october is not None
    assert november is not None
    assert (october.power, november.power) == (6.0, 3.0)
    assert october.start_time(BRUSSELS).isoformat() == "2026-10-31T23:45:00+01:00"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=4 * 24 * 90),  # quarters over three months
            st.floats(min_value=0, max_value=40, allow_nan=False),
        ),
        min_size=1,
        max_size=200,
    )
)
def test_peaks_never_decrease_within_a_month(quarters: list[tuple[int, float]]) -> None:
    history = PeakHistory()
    first = utc("2026-02-28T23:00:00")  # 1 March 00:00 in Brussels
    seen: dict[date, float] = {}
    for number, kilowatts in sorted(quarters):
        start = first + number * QUARTER_SECONDS
        month = month_of(start)
        before = history.peak(month)
        history.add(quarter(start, kilowatts))
        after = history.peak(month)
        assert after is not None
        assert before is None or after.power >= before.power
        seen[month] = max(seen.get(month, 0.0), kilowatts / 4 * 4)
        assert after.power == seen[month]
        assert month_of(after.start) == month


# --- the billed 12-month mean ------------------------------------------------------------------


def test_billed_power_floors_each_month_and_counts_the_running_one() -> None:
    history = PeakHistory()
    powers = {1: 1.8, 2: 3.0, 3: 5.5}  # 2026: January to March
    for month, kilowatts in powers.items():
        history.add(
            quarter(datetime(2026, month, 10, 18, 0, tzinfo=BRUSSELS).timestamp(), kilowatts)
        )
    march = date(2026, 3, 1)
    assert history.billed_months(march) == [
        (date(2026, 3, 1), 5.5),
        (date(2026, 2, 1), 3.0),
        (date(2026, 1, 1), 2.5),  # 1.8 counts as 2.5
    ]
    assert history.billed_power(march) == pytest.approx((5.5 + 3.0 + 2.5) / 3)
    # April has no quarter yet: it counts at the 2.5 kW floor.
    assert history.billed_months(date(2026, 4, 1))[0] == (date(2026, 4, 1), MIN_MONTH_PEAK_KW)
    # A year later, the months from before the twelve-month window drop out.
    assert history.billed_months(date(2027, 2, 1)) == [
        (date(2027, 2, 1), 2.5),
        (date(2026, 3, 1), 5.5),
    ]


def test_history_keeps_thirteen_months() -> None:
    history = PeakHistory()
    for number in range(30):
        month = add_months(date(2025, 1, 1), number)
        start = datetime(month.year, month.month, 5, 19, 0, tzinfo=BRUSSELS).timestamp()
        history.add(quarter(start, 3.0 + number / 10))
    assert sorted(history.peaks) == [add_months(date(2025, 1, 1), n) for n in range(17, 30)]
    newest = add_months(date(2025, 1, 1), 29)
    months = history.billed_months(newest)
    assert len(months) == 12
    assert history.billed_power(newest) == pytest.approx(
        sum(3.0 + n / 10 for n in range(18, 30)) / 12
    )


def test_history_survives_a_restart_through_json() -> None:
    history = PeakHistory()
    history.add(quarter(utc("2026-05-31T21:45:00"), 7.25, estimated=True))
    history.add(quarter(utc("2026-06-02T17:00:00"), 2.0))
    restored = PeakHistory()
    restored.restore(json.loads(json.dumps(history.as_dict())))
    assert restored.peaks == history.peaks


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"2026-05-01": "x"},
        {"nonsense": {"power": 3.0, "start": utc("2026-05-02T10:00:00")}},
        {"2026-05-02": {"power": 3.0, "start": utc("2026-05-02T10:00:00")}},
        {"2026-05-01": {"power": -3.0, "start": utc("2026-05-02T10:00:00")}},
        {"2026-05-01": {"power": 3.0, "start": utc("2026-05-02T10:07:00")}},
        {"2026-05-01": {"power": 3.0, "start": utc("2026-06-02T10:00:00")}},
        {"2026-05-01": {"power": "3.0", "start": utc("2026-05-02T10:00:00")}},
        {"2026-05-01": {"power": float("nan"), "start": utc("2026-05-02T10:00:00")}},
    ],
)
def test_restore_skips_malformed_months(data: object) -> None:
    history = PeakHistory()
    history.restore(data)
    assert history.peaks == {}


# --- cost, projection and warning --------------------------------------------------------------


def test_monthly_cost() -> None:
    assert monthly_cost(4.0, 60.0) == pytest.approx(20.0)
    assert monthly_cost(2.5, 0.0) == 0.0


def test_projected_power() -> None:
    # 0.5 kWh so far, 4 kW for the last 5 minutes: 0.5 + 0.333 kWh, x 4.
    assert projected_power(0.5, 4.0, 300) == pytest.approx((0.5 + 4 / 12) * 4)
    assert projected_power(0.5, 4.0, 0) == pytest.approx(2.0)  # the quarter is over
    assert projected_power(0.5, -1.0, 300) == pytest.approx(2.0)  # never less than so far
    assert projected_power(0.0, 3.0, 5000) == pytest.approx(3.0)  # at most a whole quarter


def test_warning_is_measured_against_the_floor() -> None:
    """A month peak of 1.8 kW: no warning until 2.5 kW minus the margin is in sight."""
    assert warning_threshold(None, 0.5) == 2.0
    assert warning_threshold(1.8, 0.5) == 2.0
    assert warning_threshold(4.2, 0.5) == pytest.approx(3.7)
    assert not peak_warning(1.9, 1.8, 0.5)
    assert peak_warning(2.1, 1.8, 0.5)
    assert not peak_warning(3.7, 4.2, 0.5)
    assert peak_warning(3.71, 4.2, 0.5)
    assert peak_warning(4.3, 4.2, 0.0)
