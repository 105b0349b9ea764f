"""Tests of the counter guard: what reaches the meter-index sensors, and so the statistics."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings, strategies as st

from custom_components.lowi_ores.counter_guard import (
    CounterGuard,
    CounterLimits,
    Verdict,
    is_reset,
)

# An electricity counter in Wh: at most 60 kW, doubled, plus 100 Wh; shown to the Wh.
LIMITS = CounterLimits(max_rate=60_000, margin=100, resolution=1)


def confirmed(value: float = 1_000_000, time: float = 0) -> CounterGuard:
    """Return a guard that accepted value at time."""
    guard = CounterGuard(LIMITS)
    for step in range(3):
        guard.update(value, time + step)
    assert guard.value == value
    return guard


def test_first_value_needs_confirmation() -> None:
    """A glitch at start-up cannot become the baseline."""
    guard = CounterGuard(LIMITS)
    assert guard.update(1000, 0) is Verdict.HELD
    assert guard.value is None
    assert guard.update(1001, 10) is Verdict.HELD
    assert guard.update(1002, 20) is Verdict.REPLACED
    assert guard.value == 1002


def test_start_up_glitch_is_never_the_baseline() -> None:
    """A zero, then the real counter: the real counter needs its own confirmations."""
    guard = CounterGuard(LIMITS)
    guard.update(0, 0)
    guard.update(5_000_000, 10)
    assert guard.value is None
    guard.update(5_000_010, 20)
    assert guard.update(5_000_020, 30) is Verdict.REPLACED
    assert guard.value == 5_000_020


def test_normal_growth_is_accepted() -> None:
    """Growth within the physical bound, and standing still, are accepted."""
    guard = confirmed()
    assert guard.update(1_000_000, 12) is Verdict.ACCEPTED
    # 10 kW for 10 s is 27.8 Wh.
    assert guard.update(1_000_028, 22) is Verdict.ACCEPTED
    assert guard.value == 1_000_028


def test_drop_to_zero_for_one_message_is_held() -> None:
    """The classic glitch: zero for one message, then the counter again."""
    guard = confirmed()
    assert guard.update(0, 10) is Verdict.HELD
    assert guard.value == 1_000_000
    assert guard.holding
    assert guard.update(1_000_010, 20) is Verdict.ACCEPTED
    assert not guard.holding


def test_zero_never_replaces_a_counter() -> None:
    """However long the zeros last."""
    guard = confirmed()
    for step in range(1, 20):
        assert guard.update(0, step * 10) is Verdict.HELD
    assert guard.value == 1_000_000


def test_backwards_is_held() -> None:
    """A counter never runs backwards."""
    guard = confirmed()
    assert guard.update(999_999, 10) is Verdict.HELD
    assert guard.value == 1_000_000


def test_impossible_jump_is_held() -> None:
    """More than 2 x 60 kW over the elapsed time, plus the margin, is held back."""
    guard = confirmed(time=0)
    # 10 s after the last accepted value (at t=2): bound is 120 kW x 10 s = 333 Wh + 100 Wh.
    assert guard.update(1_000_000 + 433, 12) is Verdict.ACCEPTED
    guard = confirmed(time=0)
    assert guard.update(1_000_000 + 434, 12) is Verdict.HELD
    assert guard.update(1_000_000 + 10_000_000, 22) is Verdict.HELD
    assert guard.update(1_000_050, 32) is Verdict.ACCEPTED


def test_long_silence_allows_a_large_step() -> None:
    """After a day without messages, a day's worth of energy is plausible."""
    guard = confirmed(time=0)
    assert guard.update(1_000_000 + 200_000, 2 + 86_400) is Verdict.ACCEPTED


def test_meter_replacement_is_accepted_after_confirmations() -> None:
    """A new, lower level that stays consistent is a new meter."""
    guard = confirmed()
    assert guard.update(120, 10) is Verdict.HELD
    assert guard.update(121, 20) is Verdict.HELD
    assert guard.value == 1_000_000
    assert guard.update(125, 30) is Verdict.REPLACED
    assert guard.value == 125
    assert guard.update(130, 40) is Verdict.ACCEPTED


def test_inconsistent_candidates_restart_the_count() -> None:
    """Candidates must agree with each other, not just disagree with the accepted value."""
    guard = confirmed()
    guard.update(500, 10)
    guard.update(400, 20)  # backwards from the candidate: a new candidate series
    guard.update(401, 30)
    assert guard.value == 1_000_000
    assert guard.update(402, 40) is Verdict.REPLACED


def test_small_lasting_drop_is_kept_until_passed() -> None:
    """A drop above 90% is no reset: the accepted value stays until the meter passes it."""
    guard = confirmed()
    assert guard.update(999_000, 10) is Verdict.HELD
    assert guard.update(999_001, 20) is Verdict.HELD
    assert guard.update(999_002, 30) is Verdict.BEHIND
    assert guard.value == 1_000_000
    assert guard.behind_since == 30
    assert guard.meter_value == 999_002
    for step in range(4, 100):
        assert guard.update(999_000 + step, step * 10) is Verdict.BEHIND
    assert guard.value == 1_000_000
    assert guard.behind_since == 30
    # A glitch meanwhile is held as ever and does not end the state.
    assert guard.update(0, 1000) is Verdict.HELD
    assert guard.behind_since == 30
    # The meter passes the kept value: counting again, from there.
    assert guard.update(1_000_001, 1010) is Verdict.ACCEPTED
    assert guard.value == 1_000_001
    assert guard.behind_since is None
    assert guard.meter_value is None


def test_reset_is_below_ninety_percent() -> None:
    """Exactly 90% is a small drop for the statistics; just below it is a new meter cycle."""
    assert not is_reset(1000, 900)
    assert is_reset(1000, 899.999)
    # The sensor rounds to its resolution: a reset must stay one after rounding.
    assert not is_reset(1_000_000, 899_999.5, resolution=1)
    assert is_reset(1_000_000, 899_998.9, resolution=1)
    guard = confirmed(value=1000)
    for step in range(3):
        guard.update(900 + step * 0.001, 10 + step)
    assert guard.value == 1000
    assert guard.behind_since is not None
    guard = confirmed(value=1000)
    for step in range(3):
        verdict = guard.update(898 + step * 0.001, 10 + step)
    assert verdict is Verdict.REPLACED
    assert guard.value == 898.002


def test_reset_while_behind() -> None:
    """A meter that is behind can still be replaced."""
    guard = confirmed()
    for step in range(3):
        guard.update(999_000, 10 + step)
    assert guard.behind_since is not None
    for step in range(3):
        verdict = guard.update(50 + step, 20 + step)
    assert verdict is Verdict.REPLACED
    assert guard.value == 52
    assert guard.behind_since is None


def test_confirmed_jump_is_a_new_level() -> None:
    """An impossible jump that stays is accepted after its confirmations, as before."""
    guard = confirmed()
    assert guard.update(9_000_000, 10) is Verdict.HELD
    assert guard.update(9_000_001, 20) is Verdict.HELD
    assert guard.update(9_000_002, 30) is Verdict.REPLACED
    assert guard.value == 9_000_002


def test_restore() -> None:
    """The state survives a restart; malformed stored data is ignored."""
    guard = confirmed(time=100)
    restored = CounterGuard(LIMITS)
    restored.restore(guard.as_dict())
    assert restored.value == guard.value
    assert restored.update(1_000_001, 200) is Verdict.ACCEPTED
    for bad in (None, [], {"value": "x", "time": 1}, {"value": -1, "time": 1}, {"value": True, "time": 1},
                {"value": float("nan"), "time": 1}, {"value": 1, "time": float("inf")}):  # fmt: skip
        empty = CounterGuard(LIMITS)
        empty.restore(bad)
        assert empty.value is None


def test_restore_behind() -> None:
    """A meter behind stays behind over a restart; data stored before that field still loads."""
    guard = confirmed()
    for step in range(3):
        guard.update(999_000, 10 + step)
    restored = CounterGuard(LIMITS)
    restored.restore(guard.as_dict())
    assert (restored.behind_since, restored.meter_value) == (12, 999_000)
    older = CounterGuard(LIMITS)
    older.restore({"value": 5.0, "time": 1.0})
    assert (older.value, older.behind_since, older.meter_value) == (5.0, None, None)
    for bad in ({"behind_since": "x", "meter_value": 1}, {"behind_since": 1, "meter_value": -1}):
        broken = CounterGuard(LIMITS)
        broken.restore({"value": 5.0, "time": 1.0} | bad)
        assert (broken.value, broken.behind_since) == (5.0, None)


# Values near each other, so that drops, confirmations, resets and jumps all happen.
VALUES = st.one_of(
    st.floats(min_value=0, max_value=1e9, allow_nan=False),
    st.sampled_from([0.0, 850.0, 899.0, 900.0, 950.0, 999.0, 1000.0, 1000.5, 1001.0, 1200.0]),
    st.integers(min_value=0, max_value=5000).map(float),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(VALUES, st.floats(0, 3600)), max_size=60))
def test_written_series_never_steps_back_except_at_resets(
    steps: list[tuple[float, float]],
) -> None:
    """Whatever arrives, the accepted series only rises, except at resets below 90%."""
    guard = confirmed(value=1000, time=0)
    now = 2.0
    written = [1000.0]
    for value, delay in steps:
        now += delay
        before, before_time = guard.value, guard.time
        verdict = guard.update(value, now)
        assert before is not None
        assert before_time is not None
        if verdict is Verdict.ACCEPTED:
            assert LIMITS.allows(before, before_time, value, now)
        elif verdict is Verdict.REPLACED:
            assert value > before or is_reset(before, value, LIMITS.resolution)
            assert value != 0 or before == 0
        else:
            assert guard.value == before
        if guard.value != written[-1]:
            assert guard.value is not None
            written.append(guard.value)
    # As the sensor shows them (kWh, 3 decimals) and the statistics compare them.
    shown = [round(value / 1000, 3) for value in written]
    for previous, value in pairwise(shown):
        assert value >= previous or value < 0.9 * previous


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(VALUES, st.sampled_from([0.0, 1.0, 10.0, 600.0, 3600.0])), max_size=60))
def test_unchanged_value_shortcut_is_the_rule(steps: list[tuple[float, float]]) -> None:
    """The shortcut for a counter that has not moved decides as the full rule does.

    Values repeat often here (as a meter's do, message after message), from a guard that is
    starting, accepting, holding back a candidate or behind.
    """
    guard, reference = CounterGuard(LIMITS), CounterGuard(LIMITS)
    now = 0.0
    for value, delay in steps:
        now += delay
        assert guard.update(value, now) is reference._update(value, now)
        assert guard.as_dict() == reference.as_dict()
        assert guard.holding == reference.holding
