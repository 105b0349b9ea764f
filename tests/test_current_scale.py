"""Tests of the current scale estimate: U x I against the grid power."""

from __future__ import annotations

from custom_components.lowi_ores.current_scale import MIN_VOTES, CurrentScaleEstimator


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
