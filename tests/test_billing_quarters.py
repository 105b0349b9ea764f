"""Tests of the quarter-hour energy of an index (billing/quarters.py): pure, with hypothesis."""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, date, datetime, timedelta
import itertools
import json
import math

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.lowi_ores.billing.quarters import (
    BRUSSELS,
    DEFAULT_GAP_SECONDS,
    QUARTER_SECONDS,
    Quarter,
    QuarterAccumulator,
    quarter_floor,
    quarter_start,
    quarters_from_samples,
    quarters_of_day,
)

# 2026-06-17 10:00 Brussels (CEST), a quarter boundary.
T0 = datetime(2026, 6, 17, 8, 0, tzinfo=UTC).timestamp()


def index_at(samples: list[tuple[float, float]], moment: float) -> float:
    """The reference: the index at a moment, linear between the messages around it."""
    times = [time for time, _ in samples]
    position = bisect_left(times, moment)
    if position < len(times) and times[position] == moment:
        return samples[position][1]
    (t0, e0), (t1, e1) = samples[position - 1], samples[position]
    return e0 + (e1 - e0) * (moment - t0) / (t1 - t0)


# Messages 1 to 400 seconds apart, each importing 0 to 12 kW on average since the previous one.
steps = st.lists(
    st.tuples(
        st.floats(min_value=1, max_value=400, allow_nan=False),
        st.floats(min_value=0, max_value=12, allow_nan=False),
    ),
    min_size=1,
    max_size=300,
)


def build(
    start: float, first_index: float, moves: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    samples = [(start, round(first_index, 3))]
    for seconds, kilowatts in moves:
        time, index = samples[-1]
        samples.append((time + seconds, round(index + kilowatts * seconds / 3600, 3)))
    return samples


def last_sunday(year: int, month: int) -> date:
    last = date(year, month, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


# --- the quarter-hours of the local clock -----------------------------------------------------


@pytest.mark.parametrize(
    ("day", "count"),
    [
        (date(2026, 3, 29), 92),  # summer time starts: 02:00 -> 03:00
        (date(2026, 10, 25), 100),  # winter time again: 03:00 -> 02:00
        (date(2026, 6, 17), 96),
        (date(2025, 3, 30), 92),
        (date(2025, 10, 26), 100),
    ],
)
def test_dst_days(day: date, count: int) -> None:
    quarters = quarters_of_day(day)
    assert len(quarters) == count
    assert quarters[0].astimezone(BRUSSELS).time().isoformat() == "00:00:00"
    end = quarters[-1] + timedelta(minutes=15)
    assert end.astimezone(BRUSSELS).date() == day + timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2037, 12, 31)))
def test_every_day_has_its_quarters_on_the_local_clock(day: date) -> None:
    """92 on the spring change, 100 on the autumn one, 96 otherwise; all at :00/:15/:30/:45."""
    quarters = quarters_of_day(day)
    lengths = {last_sunday(day.year, 3): 92, last_sunday(day.year, 10): 100}
    assert len(quarters) == lengths.get(day, 96)
    for start in quarters:
        local = start.astimezone(BRUSSELS)
        assert local.minute % 15 == 0
        assert local.second == 0
        assert quarter_start(start + timedelta(seconds=899)) == start
        assert quarter_floor(start.timestamp()) == start.timestamp()


def test_quarter_of_the_repeated_hour() -> None:
    """In the autumn's repeated hour, 02:07 happens twice: each in its own quarter."""
    first = datetime(2026, 10, 25, 2, 7, tzinfo=BRUSSELS)  # fold 0: summer time
    second = first.replace(fold=1)
    assert quarter_start(first) == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    assert quarter_start(second) == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)


# --- the energy of a quarter ------------------------------------------------------------------


def test_boundary_is_interpolated_between_the_messages_around_it() -> None:
    """A minute apart, 30 s on each side of 10:15: half the minute's energy on each quarter."""
    accumulator = QuarterAccumulator()
    assert accumulator.add(T0, 100.0) == []
    for minute in range(1, 16):  # up to 10:14:30
        assert accumulator.add(T0 + minute * 60 - 30, 100.0 + minute * 0.5 / 15) == []
    closed = accumulator.add(T0 + 15 * 60 + 30, 100.56)
    assert len(closed) == 1
    assert closed[0].start == T0
    assert closed[0].energy == pytest.approx(0.53)
    assert closed[0].average_power == pytest.approx(2.12)
    assert closed[0].start_time().isoformat() == "2026-06-17T10:00:00+02:00"
    assert closed[0].end == T0 + QUARTER_SECONDS
    assert not closed[0].estimated  # data from its first instant, no gap
    running = accumulator.running
    assert running is not None
    assert running.start == T0 + QUARTER_SECONDS
    assert running.energy == pytest.approx(0.03)


def test_message_on_the_boundary_closes_the_quarter_exactly() -> None:
    samples = [(T0 + 60 * n, 5.0 + n / 30) for n in range(16)]  # 2 kW, the last at 10:15:00
    closed = list(quarters_from_samples(samples))
    assert len(closed) == 1
    assert closed[0].start == T0
    assert closed[0].energy == pytest.approx(0.5)
    assert not closed[0].estimated


def test_first_quarter_is_estimated_when_data_starts_inside_it() -> None:
    samples = [(T0 + 60 * n, 5.0 + n / 30) for n in range(1, 32)]  # from 10:01 to 10:31
    closed = list(quarters_from_samples(samples))
    accumulator = QuarterAccumulator()
    accumulator.add(*samples[0])
    assert accumulator.unknown_head == 60  # the first minute of 10:00 is not counted
    for time, index in samples[1:16]:
        accumulator.add(time, index)
    assert accumulator.unknown_head == 0  # 10:15 is counted from its start
    assert QuarterAccumulator().unknown_head == 0
    assert [quarter.estimated for quarter in closed] == [True, False]


def test_running_at_a_later_moment() -> None:
    accumulator = QuarterAccumulator()
    assert accumulator.running is None
    assert accumulator.running_at(T0) is None
    accumulator.add(T0 + 10, 1.0)
    accumulator.add(T0 + 70, 1.05)
    assert accumulator.running_at(T0 + 100) == accumulator.running
    assert accumulator.running_at(T0 + 950) == Quarter(T0 + 900, 0.0)
    assert accumulator.running_at(T0 - 950) is None


@settings(max_examples=300, deadline=None)
@given(
    start=st.floats(min_value=T0, max_value=T0 + 86400, allow_nan=False),
    first_index=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    moves=steps,
)
def test_quarters_add_up_to_the_index_difference(
    start: float, first_index: float, moves: list[tuple[float, float]]
) -> None:
    """Each quarter is its end index minus its start index, so any window adds up exactly."""
    samples = build(start, first_index, moves)
    accumulator = QuarterAccumulator()
    closed: list[Quarter] = []
    for time, index in samples:
        closed += accumulator.add(time, index)
    running = accumulator.running
    assert running is not None
    assert [q.start for q in closed] == [
        quarter_floor(start) + n * QUARTER_SECONDS for n in range(len(closed))
    ]
    assert running.start == quarter_floor(samples[-1][0])
    scale = max(1.0, first_index)
    total = sum(q.energy for q in closed) + running.energy
    assert math.isclose(total, samples[-1][1] - samples[0][1], abs_tol=1e-9 * scale)
    for quarter in closed[1:]:
        expected = index_at(samples, quarter.end) - index_at(samples, quarter.start)
        assert math.isclose(quarter.energy, expected, abs_tol=1e-9 * scale)
        assert quarter.energy >= -1e-9 * scale
    # Any window of whole quarters: the index difference between its ends.
    if len(closed) > 2:
        first, last = closed[1], closed[-1]
        window = sum(q.energy for q in closed[1:])
        expected = index_at(samples, last.end) - index_at(samples, first.start)
        assert math.isclose(window, expected, abs_tol=1e-8 * scale)
    # A quarter is estimated only when it starts with the data or a gap carrying energy touches it.
    gaps = [
        (t0, t1)
        for (t0, e0), (t1, e1) in itertools.pairwise(samples)
        if t1 - t0 > DEFAULT_GAP_SECONDS and e1 > e0
    ]
    for quarter in closed:
        touched = any(t0 < quarter.end and t1 > quarter.start for t0, t1 in gaps)
        starts_inside = quarter.start < start
        assert quarter.estimated == (touched or starts_inside), quarter


@settings(max_examples=200, deadline=None)
@given(
    first_index=st.floats(min_value=0, max_value=1e5, allow_nan=False),
    moves=steps,
    gaps=st.lists(st.integers(min_value=0, max_value=299), max_size=5),
    gap_seconds=st.floats(min_value=200, max_value=3 * 86400),
)
def test_gaps_conserve_energy(
    first_index: float, moves: list[tuple[float, float]], gaps: list[int], gap_seconds: float
) -> None:
    """A silence of minutes or days: the energy across it lands in the quarters it touches."""
    for position in gaps:
        if position < len(moves):
            moves[position] = (gap_seconds, moves[position][1])
    samples = build(T0 + 123, first_index, moves)
    accumulator = QuarterAccumulator()
    closed = [q for time, index in samples for q in accumulator.add(time, index)]
    running = accumulator.running
    assert running is not None
    total = sum(q.energy for q in closed) + running.energy
    assert math.isclose(total, samples[-1][1] - samples[0][1], abs_tol=1e-9 * max(1, first_index))
    for (t0, e0), (t1, e1) in itertools.pairwise(samples):
        if t1 - t0 <= DEFAULT_GAP_SECONDS or e1 == e0:
            continue
        inside = [q for q in closed if q.start < t1 and q.end > t0]
        assert all(q.estimated for q in inside)
        # Spread by time: every whole quarter inside the gap got the same share.
        whole = [q for q in inside if q.start >= t0 and q.end <= t1]
        share = (e1 - e0) * QUARTER_SECONDS / (t1 - t0)
        for quarter in whole:
            assert math.isclose(quarter.energy, share, rel_tol=1e-6, abs_tol=1e-9 * first_index)


def test_a_silent_gap_without_energy_is_not_an_estimate() -> None:
    """An index that did not move over an hour (solar export, no message): exactly zero."""
    samples = [(T0, 7.0), (T0 + 60, 7.01), (T0 + 3660, 7.01), (T0 + 3720, 7.02)]
    closed = list(quarters_from_samples(samples))
    assert [q.estimated for q in closed] == [False] * 4
    assert [round(q.energy, 6) for q in closed] == [0.01, 0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("jump", "description"),
    [(-50.0, "a new meter starting lower"), (900.0, "an impossible 900 kWh in a minute")],
)
def test_a_jump_of_the_index_is_not_energy(jump: float, description: str) -> None:
    samples = [(T0 + 60 * n, 100.0 + 0.05 * n) for n in range(10)]
    base = samples[-1][1] + jump
    samples += [(T0 + 600 + 60 * n, base + 0.05 * n) for n in range(1, 20)]
    accumulator = QuarterAccumulator()
    closed = [q for time, index in samples for q in accumulator.add(time, index)]
    running = accumulator.running
    assert running is not None
    energies = [q.energy for q in closed] + [running.energy]
    assert min(energies) >= 0, description
    # Everything but the jump's minute: 27 minutes at 3 kW.
    assert sum(energies) == pytest.approx(0.05 * 27)
    assert closed[0].estimated


def test_bad_values_are_skipped() -> None:
    accumulator = QuarterAccumulator()
    for time, index in ((T0, math.nan), (math.inf, 1.0), (T0, -1.0), (T0, True)):
        assert accumulator.add(time, index) == []
    assert accumulator.running is None
    accumulator.add(T0, 1.0)
    accumulator.add(T0 + 60, 1.1)
    assert accumulator.add(T0 + 30, 1.05) == []  # out of order
    assert accumulator.last_time == T0 + 60


@settings(max_examples=100, deadline=None)
@given(moves=steps, cut=st.integers(min_value=0, max_value=300))
def test_restart_resumes_the_running_quarter(moves: list[tuple[float, float]], cut: int) -> None:
    """Stored and restored (through JSON) anywhere: the same quarters come out."""
    samples = build(T0 + 7, 1234.5, moves)
    cut = min(cut, len(samples))
    straight = list(quarters_from_samples(samples))
    before = QuarterAccumulator()
    closed = [q for time, index in samples[:cut] for q in before.add(time, index)]
    after = QuarterAccumulator()
    restored = after.restore(json.loads(json.dumps(before.as_dict())))
    assert restored == (cut > 0)
    closed += [q for time, index in samples[cut:] for q in after.add(time, index)]
    assert closed == straight
    if cut == len(samples):
        assert after.running == before.running


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"last_time": "x", "last_index": 1, "quarter": T0, "start_index": 1},
        {"last_time": T0 + 5, "last_index": 1, "quarter": T0 + 1, "start_index": 1},
        {"last_time": T0 + 5, "last_index": -1, "quarter": T0, "start_index": -1},
        {"last_time": T0 + 5, "last_index": 100, "quarter": T0, "start_index": 1},
        {"last_time": T0 + 5, "last_index": 1, "quarter": T0, "start_index": 2},
    ],
)
def test_restore_ignores_malformed_data(data: object) -> None:
    accumulator = QuarterAccumulator()
    assert not accumulator.restore(data)
    assert accumulator.running is None
