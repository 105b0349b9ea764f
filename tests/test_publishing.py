"""Tests of the publishers behind the option "write power at most every N seconds"."""

from __future__ import annotations

from hypothesis import given, strategies as st

from custom_components.lowi_ores.publishing import ThinnedIndex, TimeWeightedMean

PERIOD = 300.0
CLOSING = 2.0


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
    index = ThinnedIndex(60, PERIOD, CLOSING)
    shown = [index.offer(3000.0 + second, 1000.0 + second) for second in range(130)]
    assert shown == [1000.0] * 60 + [1060.0] * 60 + [1120.0] * 10


def test_index_flushed_then_written_at_every_change_before_the_period_ends() -> None:
    """At the start of the final seconds of a period the meter's last value is shown, whatever
    the interval; then every change until the period ends."""
    index = ThinnedIndex(60, PERIOD, CLOSING)
    index.offer(3250.0, 5.0)
    assert index.offer(3290.0, 6.0) == 5.0  # 40 s after the last write: held
    assert index.next_flush(3290.0) == 3298.0
    assert index.flush(3298.0) == 6.0  # the flush shows it
    assert index.flush(3298.0) == 6.0  # nothing new
    assert index.offer(3298.5, 7.0) == 7.0  # in the closing seconds: every change
    assert index.offer(3299.5, 8.0) == 8.0
    assert index.offer(3301.0, 9.0) == 8.0  # a new period: at most once per interval again
    assert index.next_flush(3298.0) == index.next_flush(3299.0) == 3598.0
    assert index.offer(3301.0, None) is None  # unknown is written at once
    assert index.offer(3302.0, 10.0) == 10.0  # and a value after it too


def test_index_shows_its_next_value_after_a_reset_or_a_clock_step_back() -> None:
    """After a silence (reset) or with the clock moved back, the next value is shown at once."""
    index = ThinnedIndex(60, PERIOD, CLOSING)
    index.offer(1000.0, 1.0)
    assert index.offer(1010.0, 2.0) == 1.0
    index.reset()
    assert index.offer(1020.0, 3.0) == 3.0
    assert index.offer(1030.0, 4.0) == 3.0
    assert index.offer(900.0, 5.0) == 5.0


@given(
    st.lists(st.tuples(st.floats(0.2, 400), st.integers(0, 5)), min_size=1, max_size=300),
    st.sampled_from([10, 60, 300]),
    st.floats(0, 299),
)
def test_each_period_closes_on_the_meters_last_value(
    steps: list[tuple[float, int]], interval: int, start: float
) -> None:
    """Whatever the dongle's rhythm (a message every 0.2 s to every 400 s), with the flush
    timer the value shown when a 5-minute period ends is the last value the meter sent before:
    the statistics cannot differ. Every value shown is an exact value of the meter, and a new
    one is shown at most once per interval outside the closing seconds."""
    index = ThinnedIndex(max(interval, 60), PERIOD, CLOSING)
    now, value = 100_000 * PERIOD + start, 1_000_000
    index.offer(now, value)
    sent = {value}
    shown: float | None = value
    written_at = now
    flush_at = index.next_flush(now)
    for gap, increase in steps:
        arrival, moment = now + gap, now
        # The flushes and the ends of periods before the next message, in order.
        while True:
            boundary = (moment // PERIOD + 1) * PERIOD
            if flush_at < min(arrival, boundary):
                if (flushed := index.flush(flush_at)) != shown:
                    shown, written_at = flushed, flush_at
                moment, flush_at = flush_at, index.next_flush(flush_at)
            elif boundary <= arrival:
                assert shown == value  # the period ends on the meter's last value
                moment = boundary
            else:
                break
        now, value = arrival, value + increase
        sent.add(value)
        result = index.offer(now, value)
        assert result in sent
        if result != shown:
            closing = PERIOD - now % PERIOD <= CLOSING
            assert closing or now - written_at >= max(interval, 60)
            shown, written_at = result, now


@given(st.integers(0, 3000), st.sampled_from([10, 60]))
def test_writes_at_one_message_a_second(seconds: int, interval: int) -> None:
    """A dongle at 1 message/s whose index moves with every message: about one write a minute,
    plus the flush and the changes of the closing seconds of each period."""
    index = ThinnedIndex(max(interval, 60), PERIOD, CLOSING)
    start = 200_000 * PERIOD
    shown, writes, flush_at = None, 0, index.next_flush(start)
    for second in range(seconds):
        now = start + second + 0.5
        if flush_at < now:
            if index.flush(flush_at) != shown:
                shown, writes = index.flush(flush_at), writes + 1
            flush_at = index.next_flush(flush_at)
        if (result := index.offer(now, second)) != shown:
            shown, writes = result, writes + 1
    periods = seconds // PERIOD + 1
    assert writes <= seconds / 60 + 1 + periods * (1 + CLOSING)
