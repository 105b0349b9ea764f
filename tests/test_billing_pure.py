"""Tests of the pure billing modules: reading periods and the net-metering arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
import itertools
import math

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.lowi_ores.billing.net_metering import (
    REGISTERS,
    Balance,
    BalancePeriod,
    Method,
    Netting,
    Observation,
    RegisterTracker,
    RunningBalance,
    cost,
    daily_production,
    fit_seasonal,
    prosumer_fee,
    pv_days,
    pv_weight,
    seasonal_projection,
    winter_days,
    winter_weight,
)
from custom_components.lowi_ores.billing.periods import (
    BRUSSELS,
    ReadingPeriod,
    add_years,
    hours_between,
    local_date,
    local_midnight,
)

energies = st.floats(min_value=0, max_value=50, allow_nan=False)
increments = st.lists(st.tuples(energies, energies, energies, energies), max_size=40)


def _levels(start: float, steps: list[tuple[float, ...]]) -> list[dict[str, float]]:
    levels = dict.fromkeys(REGISTERS, start)
    out = [dict(levels)]
    for step in steps:
        for key, added in zip(REGISTERS, step, strict=True):
            levels[key] += added
        out.append(dict(levels))
    return out


@given(increments, st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=40))
@settings(max_examples=200)
def test_balance_is_import_minus_export_over_any_window(
    steps: list[tuple[float, ...]], first: int, last: int
) -> None:
    """Over any window of readings, balance = import delta - export delta."""
    readings = _levels(12_345.0, steps)
    first, last = sorted((min(first, len(readings) - 1), min(last, len(readings) - 1)))
    tracker = RegisterTracker.starting_at(readings[first])
    for reading in readings[first + 1 : last + 1]:
        tracker.feed(reading)
    start, end = readings[first], readings[last]
    imported = end["import_day"] + end["import_night"] - start["import_day"] - start["import_night"]
    exported = end["export_day"] + end["export_night"] - start["export_day"] - start["export_night"]
    assert tracker.balance.total == pytest.approx(imported - exported, abs=1e-6)


@given(st.floats(-1e5, 1e5), st.floats(-1e5, 1e5))
def test_billable_plus_surplus_is_the_absolute_balance(day: float, night: float) -> None:
    """Together: billable + surplus = |balance|; separately, per register."""
    balance = Balance(max(day, 0), max(night, 0), max(-day, 0), max(-night, 0))
    together = balance.billable(Netting.TOGETHER) + balance.surplus(Netting.TOGETHER)
    assert together == pytest.approx(abs(balance.total))
    assert min(balance.billable(Netting.TOGETHER), balance.surplus(Netting.TOGETHER)) == 0
    separate = balance.billable(Netting.SEPARATE) + balance.surplus(Netting.SEPARATE)
    assert separate == pytest.approx(abs(balance.day) + abs(balance.night))
    # Netting apart never bills less than netting together.
    assert balance.billable(Netting.SEPARATE) >= balance.billable(Netting.TOGETHER) - 1e-9


@pytest.mark.parametrize("netting", list(Netting))
def test_zero_balance_is_not_negative_zero(netting: Netting) -> None:
    """A zero balance (a period's start) gives 0.0 billable and surplus, never -0.0."""
    for balance in (Balance(0.0, 0.0, 0.0, 0.0), Balance(5.0, 3.0, 5.0, 3.0)):
        for figure in (balance.billable(netting), balance.surplus(netting)):
            assert figure == 0
            assert math.copysign(1.0, figure) == 1.0
            assert f"{figure:.1f}" == "0.0"


def test_separate_netting_example() -> None:
    """A night import and a day surplus: together they cancel, apart the night is billed."""
    balance = Balance(import_day=100, import_night=900, export_day=1000, export_night=0)
    assert balance.day == -900
    assert balance.night == 900
    assert balance.total == 0
    assert balance.billable(Netting.TOGETHER) == 0
    assert balance.billable(Netting.SEPARATE) == 900
    assert balance.surplus(Netting.SEPARATE) == 900
    assert (balance + balance).total == 0
    assert Balance.from_mapping(balance.as_dict()) == balance


@given(
    st.lists(st.tuples(energies, energies, energies, energies), min_size=1, max_size=40),
    st.integers(min_value=1, max_value=40),
    st.floats(0, 5000),
)
def test_replacement_carries_the_energy_over(
    steps: list[tuple[float, ...]], when: int, new_level: float
) -> None:
    """A new meter at a lower level: the balance continues from it, it never jumps."""
    readings = _levels(50_000.0, steps)
    when = min(when, len(readings) - 1)
    offset = readings[when]["import_day"] - new_level
    tracker = RegisterTracker.starting_at(readings[0])
    expected = RegisterTracker.starting_at(readings[0])
    for index, reading in enumerate(readings[1:], start=1):
        expected.feed(reading)
        tracker.feed(
            reading | {"import_day": reading["import_day"] - offset} if index >= when else reading
        )
    assert tracker.replacements == 1
    # Only what the old meter counted between its last reading and the swap is unknown.
    lost = readings[when]["import_day"] - readings[when - 1]["import_day"]
    assert tracker.balance.total == pytest.approx(expected.balance.total - lost, abs=1e-6)


def test_tracker_skips_missing_and_restores() -> None:
    """A missing register is skipped; the stored dict comes back; junk is refused."""
    tracker = RegisterTracker.starting_at(dict.fromkeys(REGISTERS, 10.0))
    added = tracker.feed({"import_day": 11.0, "import_night": None, "export_day": float("nan")})
    assert added.import_day == 1
    assert tracker.complete
    assert not RegisterTracker().complete
    again = RegisterTracker.from_dict(tracker.as_dict())
    assert again == tracker
    tracker.feed({"import_day": 2.0})  # a new meter
    assert tracker.replacements == 1
    assert tracker.balance.import_day == 1
    for junk in (None, [], {"levels": 1, "energy": {}}, {"levels": {"x": "1"}, "energy": {}}):
        assert RegisterTracker.from_dict(junk) is None
    assert RegisterTracker.from_dict(
        {"levels": {"import_day": 1, "other": 2}, "energy": {}, "replacements": "x"}
    ) == RegisterTracker(levels={"import_day": 1.0}, energy={}, replacements=0)


def test_period_basics() -> None:
    """A period from its reading date, a year long by default, at local midnight."""
    period = ReadingPeriod.from_reading(date(2026, 3, 14))
    assert period.end == date(2027, 3, 14)
    assert period.days == 365
    assert period.start_time == datetime(2026, 3, 13, 23, 0, tzinfo=UTC)
    assert period.end_time == datetime(2027, 3, 13, 23, 0, tzinfo=UTC)
    assert period.contains(period.start_time)
    assert not period.contains(period.end_time)
    assert period.days_elapsed(period.start_time - timedelta(days=3)) == 0
    assert period.days_elapsed(period.end_time + timedelta(days=3)) == 365
    assert period.days_left(period.end_time) == 0
    assert period.days_left(period.start_time - timedelta(days=10)) == 365
    noon = datetime(2026, 3, 15, 12, tzinfo=BRUSSELS)
    assert period.days_elapsed(noon) == pytest.approx(1.5)
    assert period.days_left(noon) == 364
    assert period.following() == ReadingPeriod(date(2027, 3, 14), date(2028, 3, 14))
    with pytest.raises(ValueError, match="not after"):
        ReadingPeriod(date(2026, 3, 14), date(2026, 3, 14))
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), -4) == date(2020, 2, 29)


@pytest.mark.parametrize(
    ("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 7, 1), 24)]
)
def test_dst_days(day: date, hours: int) -> None:
    """Clock-change days are 23 and 25 hours long; a period still starts at local midnight."""
    start, end = local_midnight(day), local_midnight(day + timedelta(days=1))
    assert hours_between(start, end) == hours
    period = ReadingPeriod.from_reading(day)
    assert period.start_time.astimezone(BRUSSELS).hour == 0
    assert period.end_time.astimezone(BRUSSELS).hour == 0
    # Half the real hours of that day are half a day.
    # Aware arithmetic in one zone is wall-clock arithmetic: step in UTC for real hours.
    middle = start.astimezone(UTC) + timedelta(hours=hours / 2)
    assert period.days_elapsed(middle) == pytest.approx(0.5)
    assert local_date(middle) == day


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    st.integers(min_value=0, max_value=2000),
)
def test_periods_until_chain_without_gaps(start: date, days_later: int) -> None:
    """Roll-overs chain periods end to start, each holding the moments in it."""
    first = ReadingPeriod.from_reading(start)
    moment = first.start_time + timedelta(days=days_later, hours=5)
    chain = first.periods_until(moment)
    assert chain[0] == first
    for before, after in itertools.pairwise(chain):
        assert before.end == after.start
        assert 365 <= after.days <= 366
    assert chain[-1].contains(moment)


@given(
    st.lists(st.tuples(energies, energies, energies, energies), min_size=2, max_size=30),
    st.integers(min_value=1, max_value=29),
)
def test_roll_over_keeps_totals(steps: list[tuple[float, ...]], split: int) -> None:
    """Closing a period and starting the next from the indexes then loses no energy."""
    readings = _levels(1000.0, steps)
    split = min(split, len(readings) - 1)
    whole = RegisterTracker.starting_at(readings[0])
    first = RegisterTracker.starting_at(readings[0])
    for reading in readings[1:]:
        whole.feed(reading)
    for reading in readings[1 : split + 1]:
        first.feed(reading)
    second = RegisterTracker.starting_at(first.levels)
    for reading in readings[split + 1 :]:
        second.feed(reading)
    assert (first.balance + second.balance).total == pytest.approx(whole.balance.total, abs=1e-6)


def test_pv_weights() -> None:
    """The weights average 1 over a year; June weighs about six times December."""
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    assert sum(pv_weight(day) for day in days) / 365 == pytest.approx(1, abs=0.01)
    assert 5 < pv_weight(date(2026, 6, 15)) / pv_weight(date(2026, 12, 15)) < 7
    start = local_midnight(date(2026, 6, 1))
    assert pv_days(start, start + timedelta(days=30)) == pytest.approx(
        30 * pv_weight(date(2026, 6, 1))
    )
    assert pv_days(start, start) == 0


def _observations(
    consumption: float, production: float, first: date, count: int
) -> list[Observation]:
    out = []
    for i in range(count):
        day = first + timedelta(days=i)
        start, end = local_midnight(day), local_midnight(day + timedelta(days=1))
        weighted = pv_days(start, end)
        out.append(
            Observation(
                hours_between(start, end) / 24,
                weighted,
                consumption * hours_between(start, end) / 24 - production * weighted,
            )
        )
    return out


def test_seasonal_fit_finds_the_household() -> None:
    """Days that follow the model give back its consumption and production."""
    obs = _observations(15.0, 16.0, date(2026, 3, 1), 120)
    model = fit_seasonal(obs)
    assert model is not None
    assert model.method is Method.SEASONAL
    assert model.consumption == pytest.approx(15.0, rel=1e-3)
    assert model.production == pytest.approx(16.0, rel=1e-3)
    now = local_midnight(date(2026, 7, 1))
    end = local_midnight(date(2027, 3, 1))
    projected = seasonal_projection(obs, now, end)
    assert projected is not None
    assert projected[1] is Method.SEASONAL
    assert projected[0] == pytest.approx(
        15 * hours_between(now, end) / 24 - 16 * pv_days(now, end), rel=1e-3
    )
    assert seasonal_projection(obs, end, now) == (0.0, Method.SEASONAL)


def test_seasonal_fit_falls_back_to_the_average() -> None:
    """Too few days, a single window or no seasonal spread: the period's own average."""
    assert fit_seasonal([]) is None
    assert seasonal_projection([], datetime.now(UTC), datetime.now(UTC)) is None
    few = _observations(10, 5, date(2026, 6, 1), 5)
    model = fit_seasonal(few)
    assert model is not None
    assert model.method is Method.AVERAGE
    assert model.consumption == pytest.approx(sum(o.net for o in few) / 5)
    flat = fit_seasonal([Observation(1, 1, 3.0)] * 20)
    assert flat is not None
    assert flat.method is Method.AVERAGE
    assert flat.consumption == 3
    # A household that seems to consume less in winter than in summer: not the model.
    upside_down = _observations(5, -3, date(2026, 1, 1), 200)
    result = fit_seasonal(upside_down)
    assert result is not None
    assert result.method is Method.AVERAGE


def test_cost_and_fee() -> None:
    """The fee is the year's pro rata with 6% VAT; cost adds the billed energy."""
    fee = prosumer_fee(5, 80.98, 0.06, 0.5)
    assert fee == pytest.approx(5 * 80.98 * 1.06 / 2)
    assert prosumer_fee(5, 80.98, 0.06, 2) == pytest.approx(5 * 80.98 * 1.06)
    assert prosumer_fee(5, 80.98, 0.06, -1) == 0
    assert cost(100, 0.3, fee) == pytest.approx(30 + fee)


def test_running_balance_for_the_export() -> None:
    """Index-based at a period's first row, running after; none outside known periods."""
    first = BalancePeriod(
        local_midnight(date(2025, 3, 14)), local_midnight(date(2026, 3, 14)), -400
    )
    second = BalancePeriod(first.end, local_midnight(date(2027, 3, 14)), -300)
    running = RunningBalance([first, second])

    def day(d: date) -> tuple[datetime, datetime]:
        return local_midnight(d), local_midnight(d + timedelta(days=1))

    assert running.next(*day(date(2025, 3, 13)), -405, 2) is None  # before any period
    assert running.next(*day(date(2025, 3, 14)), -400, 3) == 3
    # A replaced meter: the indexes jump, the running balance does not.
    assert running.next(*day(date(2025, 3, 15)), 5000, -1) == 2
    assert running.next(*day(date(2025, 3, 16)), None, None) is None  # a gap
    assert running.next(*day(date(2025, 3, 17)), 5001, 1) == 5001 + 1 + 400  # re-read
    # The next period starts again from its own indexes.
    assert running.next(*day(date(2026, 3, 14)), -300, 4) == 4
    # A month row that straddles the reading date: read from the indexes.
    month = RunningBalance([second])
    assert (
        month.next(local_midnight(date(2026, 3, 1)), local_midnight(date(2026, 4, 1)), -350, 70)
        == 20
    )


def _household(
    consumption: float, winter: float, production: float, first: date, count: int
) -> list[Observation]:
    out = []
    for i in range(count):
        day = first + timedelta(days=i)
        start, end = local_midnight(day), local_midnight(day + timedelta(days=1))
        days, sunny, cold = (
            hours_between(start, end) / 24,
            pv_days(start, end),
            winter_days(start, end),
        )
        out.append(
            Observation(days, sunny, consumption * days + winter * cold - production * sunny, cold)
        )
    return out


def test_seasonal_fit_with_the_roof_known() -> None:
    """The roof's yield fixed: consumption and its winter extra come back; a negative extra is dropped."""
    production = daily_production(5.0)
    assert production == pytest.approx(5 * 950 / 365.25)
    obs = _household(12.0, 4.0, production, date(2025, 9, 15), 150)
    model = fit_seasonal(obs, production)
    assert model is not None
    assert model.method is Method.SEASONAL
    assert model.consumption == pytest.approx(12.0, rel=1e-3)
    assert model.winter == pytest.approx(4.0, rel=1e-3)
    now, end = local_midnight(date(2026, 2, 12)), local_midnight(date(2026, 9, 15))
    projected = seasonal_projection(obs, now, end, production)
    assert projected is not None
    expected = (
        12 * hours_between(now, end) / 24
        + 4 * winter_days(now, end)
        - production * pv_days(now, end)
    )
    assert projected[0] == pytest.approx(expected, rel=1e-3)
    summer_lover = fit_seasonal(
        _household(12.0, -3.0, production, date(2025, 9, 15), 150), production
    )
    assert summer_lover is not None
    assert summer_lover.winter == 0
    assert summer_lover.production == production
    weights = [winter_weight(date(2026, 1, 1) + timedelta(days=i)) for i in range(365)]
    assert sum(weights) / 365 == pytest.approx(1, abs=0.01)


def test_roof_known_needs_only_a_few_days() -> None:
    """With the roof's yield known, five days give the household's consumption."""
    production = daily_production(4.0)
    few = _household(11.0, 0.0, production, date(2026, 11, 20), 5)
    model = fit_seasonal(few, production)
    assert model is not None
    assert model.method is Method.SEASONAL
    assert model.winter == 0
    assert model.consumption == pytest.approx(11.0, rel=1e-6)


@given(st.dates(min_value=date(2000, 1, 2), max_value=date(2040, 12, 30)), st.floats(0, 1))
def test_every_day_counts_one_whatever_its_hours(day: date, part: float) -> None:
    """Any day (23, 24 or 25 hours) is one day of the period, split in proportion to real time."""
    period = ReadingPeriod.from_reading(day - timedelta(days=1))
    start, end = local_midnight(day), local_midnight(day + timedelta(days=1))
    hours = hours_between(start, end)
    assert hours in (23, 24, 25)
    assert (hours == 24) == (start.utcoffset() == end.utcoffset())
    moment = start.astimezone(UTC) + timedelta(hours=hours * part)
    assert period.days_elapsed(moment) == pytest.approx(1 + part, abs=1e-6)
    assert period.days_elapsed(end) - period.days_elapsed(start) == pytest.approx(1)
