"""Tests of the current scale estimate: U x I against the grid power."""

from __future__ import annotations

from collections import deque
import math

from hypothesis import given, strategies as st

from custom_components.lowi_ores.current_scale import (
    MIN_POWER_W,
    MIN_VOTES,
    SCALES,
    WINDOW,
    CurrentScaleEstimator,
)


def test_unsure_until_enough_loaded_readings() -> None:
    """Light loads and missing values do not vote."""
    estimator = CurrentScaleEstimator()
    for _ in range(50):
        estimator.add(230, 500, 100)  # below the minimum power
        estimator.add(None, 5000, 1200)
        estimator.add(230, None, 1200)
        estimator.add(230, 5000, None)
    assert estimator.votes == 0
    assert estimator.scale is None
    for _ in range(MIN_VOTES - 1):
        estimator.add(230, 5200, 1150)
    assert estimator.scale is None


def test_milliamperes() -> None:
    """230 V x 5200 mA = 1196 VA for 1150 W: milliamperes."""
    estimator = CurrentScaleEstimator()
    for _ in range(MIN_VOTES):
        estimator.add(230, 5200, 1150)
    assert estimator.scale == "milliampere"


def test_centiamperes() -> None:
    """230 V x 520 cA = 1196 VA for 1150 W: hundredths of an ampere."""
    estimator = CurrentScaleEstimator()
    for _ in range(MIN_VOTES):
        estimator.add(230, 520, 1150)
    assert estimator.scale == "centiampere"


def test_mixed_evidence_stays_unsure() -> None:
    """Without a clear majority, no verdict."""
    estimator = CurrentScaleEstimator()
    for _ in range(MIN_VOTES):
        estimator.add(230, 5200, 1150)
        estimator.add(230, 520, 1150)
    assert estimator.scale is None


def _nearest_on_a_log_scale(voltage: float, current_raw: float, power: float) -> str:
    """The rule in its first words: the scale that puts U x I nearest the power (log scale)."""
    return min(
        SCALES, key=lambda name: abs(math.log10(voltage * current_raw / SCALES[name] / power))
    )


@given(
    st.lists(
        st.tuples(
            st.floats(180, 260),
            st.floats(1, 100_000),
            st.floats(MIN_POWER_W, 20_000),
        ),
        max_size=3 * WINDOW,
    )
)
def test_votes_and_verdict_follow_the_rule(readings: list[tuple[float, float, float]]) -> None:
    """Each vote is the nearest scale on a log scale, and the verdict is the window's majority.

    The estimator compares with the divisors' geometric mean and keeps running counts (it runs
    for every message); this checks it against the rule written plainly.
    """
    estimator = CurrentScaleEstimator()
    window: deque[str] = deque(maxlen=WINDOW)
    for voltage, current_raw, power in readings:
        estimator.add(voltage, current_raw, power)
        window.append(_nearest_on_a_log_scale(voltage, current_raw, power))
        assert estimator.votes == len(window)
        counts = {name: window.count(name) for name in SCALES}
        winner = max(counts, key=lambda name: counts[name])
        expected = (
            winner if len(window) >= MIN_VOTES and counts[winner] >= 0.8 * len(window) else None
        )
        assert estimator.scale == expected


@given(st.floats(180, 260), st.floats(1, 100_000), st.floats(MIN_POWER_W, 20_000))
def test_each_vote_follows_the_rule(voltage: float, current_raw: float, power: float) -> None:
    """A reading, repeated, gives the scale that puts U x I nearest the power (log scale)."""
    estimator = CurrentScaleEstimator()
    for _ in range(MIN_VOTES):
        estimator.add(voltage, current_raw, power)
    assert estimator.scale == _nearest_on_a_log_scale(voltage, current_raw, power)
