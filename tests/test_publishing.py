"""Tests of the publishers behind the option "write power at most every N seconds"."""

from __future__ import annotations

from hypothesis import given, strategies as st

from custom_components.lowi_ores.publishing import ThinnedIndex, TimeWeightedMean

PERIOD = 300.0


def test_mean_weighs_each_value_for_as_long_as_it_held() -> None:
    """100 W for 8 s then 400 W for 2 s: the window shows 160 W, not the 250 W of the samples."""
    mean = TimeWeightedMean(10)
    assert mean.offer(1000.0, 100.0) == 100.0  # a new window shows its first value at once
    assert mean.offer(1008.0, 400.0) == 100.0
    assert mean.offer(1010.0, 50.0) == 160.0
    # The next window starts at 1010 with 50 W.
    assert mean.offer(1015.0, 50.0) == 160.0
    assert mean.offer(1020.0, 50.0) == 50.0


def test_mean_restarts_after_a_reset_a_missing_value_or_a_clock_step_back() -> None:
    """A silence, an unknown power or a clock moved back never weighs into a mean."""
    mean = TimeWeightedMean(10)
    mean.offer(0.0, 100.0)
    mean.reset()
    assert mean.offer(500.0, 700.0) == 700.0
    assert mean.offer(505.0, None) is None
    assert mean.offer(506.0, 300.0) == 300.0
    assert mean.offer(400.0, 900.0) == 900.0


@given(
    st.lists(
        st.tuples(st.floats(0.1, 30), st.floats(0, 20_000, allow_nan=False)),
        min_size=1,
        max_size=200,
    ),
    st.integers(10, 300),
)
def test_mean_stays_within_the_values_and_changes_at_most_once_per_window(
    steps: list[tuple[float, float]], interval: int
) -> None:
    """Every mean lies between the smallest and largest value; a new one needs a full window."""
    mean = TimeWeightedMean(interval)
    now, shown, changed_at = 0.0, None, None
    values: list[float] = []
    for gap, value in steps:
        now += gap
        values.append(value)
        result = mean.offer(now, value)
        assert result is not None
        assert min(values) - 1e-3 <= result <= max(values) + 1e-3
        if shown is not None and result != shown:
            assert changed_at is not None
            assert now - changed_at >= interval
        if result != shown:
            shown, changed_at = result, now


def test_index_written_at_most_once_per_interval_mid_period() -> None:
    """Far from a period's end, a changing index writes once per interval, its last value."""
    index = ThinnedIndex(10, PERIOD, 30)
    shown = [index.offer(3000.0 + second, 1000.0 + second) for second in range(25)]
    assert shown == [1000.0] * 10 + [1010.0] * 10 + [1020.0] * 5


def test_index_writes_every_change_before_the_period_ends() -> None:
    """In the last interval before a 5-minute boundary every change is written."""
    index = ThinnedIndex(10, PERIOD, 30)
    index.offer(3280.0, 5.0)
    assert index.offer(3291.0, 6.0) == 6.0  # after the interval
    assert index.offer(3292.0, 7.0) == 7.0  # 8 s before 3300: in the closing window
    assert index.offer(3299.5, 8.0) == 8.0
    assert index.offer(3301.0, 9.0) == 8.0  # a new period: at most once per interval again
    assert index.offer(3301.0, None) is None  # unknown is written at once


@given(
    st.lists(st.tuples(st.floats(0.2, 40), st.integers(0, 5)), min_size=1, max_size=400),
    st.integers(10, 300),
    st.floats(0, 299),
)
def test_each_period_closes_on_the_meters_last_value(
    steps: list[tuple[float, int]], interval: int, start: float
) -> None:
    """With a message at least every `interval` s (30 s at most), the last shown value of every
    5-minute period is the last value the meter sent in it: the statistics cannot differ."""
    index = ThinnedIndex(interval, PERIOD, 30)
    now, value = 100_000 * PERIOD + start, 1_000_000
    last_sent: dict[int, int] = {}
    last_shown: dict[int, float | None] = {}
    for gap, increase in steps:
        now += min(gap, interval, 30)
        value += increase
        shown = index.offer(now, value)
        assert shown is not None
        assert shown <= value  # an exact earlier value of the meter, never more
        period = int(now // PERIOD)
        last_sent[period], last_shown[period] = value, shown
    # Every period the stream went past; the last one has not ended.
    closed = int(now // PERIOD)
    assert {p: v for p, v in last_shown.items() if p != closed} == {
        p: v for p, v in last_sent.items() if p != closed
    }
