"""The quarter-hours against the simulator's exact energy, over a few days (fast backtest).

The year-long figures come from `bash scripts/backtest` (benchmarks/capacity_accuracy.py); this
runs the same comparison over the autumn clock change, so that a regression fails the suite.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from benchmarks.capacity_accuracy import GAPS, Run, backtest
from custom_components.lowi_ores.billing.quarters import BRUSSELS

# From Saturday 24 October 2026, 37 s past midnight: Sunday the 25th has 25 hours.
START = datetime(2026, 10, 24, 0, 0, 37, tzinfo=BRUSSELS)
# A boundary between two messages misplaces at most the change of power during that interval:
# a 10 kW step (car and hob together) over 60 s shifts at most 10 kW x 15 s = 0.042 kWh, 0.17 kW
# on each of the quarter's two boundaries; 1 Wh of index resolution on each end adds 0.008 kW.
WORST_KW = {60.0: 0.35, 10.0: 0.07}


@pytest.mark.parametrize("interval", [60.0, 10.0])
def test_quarters_match_the_exact_energy(interval: float) -> None:
    result = backtest(Run("test", START, 2, interval))
    assert result.quarters_per_day[date(2026, 10, 24)] == 95  # from 00:15, the first complete
    assert result.quarters_per_day[date(2026, 10, 25)] == 100
    assert result.estimated == 0
    assert result.worst_kw <= WORST_KW[interval]
    assert result.mean_abs_kw < result.naive_mean_abs_kw / 2  # the naive method is far worse
    assert abs(result.energy_error_kwh) <= 0.002  # the index's resolution at both ends
    assert result.months
    for month in result.months:
        assert month.within_target, month  # 0.5 % or 0.02 kW
        assert month.exact_kw > 5  # the evening with the car and the oven
        assert month.module_start == month.exact_start


def test_gaps_are_estimated_and_conserve_energy() -> None:
    result = backtest(Run("gaps", START, 2, 60.0, GAPS))
    assert result.estimated > 0
    assert result.worst_kw <= WORST_KW[60.0]  # quarters without a gap are as good as ever
    assert abs(result.energy_error_kwh) <= 0.002
    assert result.quarters_per_day[date(2026, 10, 25)] == 100
    for month in result.months:
        assert month.within_target or month.estimated, month
