"""Tests of a dongle's guarded counters: logging and the behind-for-a-day issue (pure)."""

from __future__ import annotations

import logging

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.lowi_ores.counter_guard import CounterGuard, CounterLimits
from custom_components.lowi_ores.counters import BEHIND_ISSUE_AFTER, GuardedCounters

LIMITS = CounterLimits(max_rate=60_000, margin=100)


def make_counters(
    calls: list[tuple[str, tuple[float, float] | None]], now: list[float]
) -> GuardedCounters:
    """Return two energy counters whose issue calls are kept in calls."""
    return GuardedCounters(
        {"import_day": CounterGuard(LIMITS), "import_night": CounterGuard(LIMITS)},
        {"import_day": 1000.0, "import_night": 1000.0},
        logger=logging.getLogger("test_counters"),
        clock=lambda: now[0],
        ident="abc",
        on_behind=lambda key, figures: calls.append((key, figures)),
    )


def test_behind_for_a_day_raises_once_and_clears(caplog: pytest.LogCaptureFixture) -> None:
    """One warning when it starts, the issue after a day (once), cleared when passed."""
    caplog.set_level(logging.INFO)
    calls: list[tuple[str, tuple[float, float] | None]] = []
    now = [0.0]
    counters = make_counters(calls, now)
    for step in range(3):
        counters.offer({"import_day": 1_000_000, "import_night": None}, step)
    assert counters.value("import_day") == 1000.0
    assert counters.value("import_night") is None
    for step in range(3, 300):
        now[0] = step * 600.0
        counters.offer({"import_day": 999_000 + step, "import_night": None}, now[0])
    assert counters.value("import_day") == 1000.0
    # Behind from the third lower message (step 5), so due at step 5 + 86400 / 600 = 149.
    assert counters.guards["import_day"].behind_since == 5 * 600.0
    assert calls == [("import_day", (1000.0, 999.149))]
    assert caplog.text.count("not low enough for a meter reset") == 1
    counters.offer({"import_day": 1_000_001, "import_night": None}, 300 * 600.0)
    assert calls[-1] == ("import_day", None)
    assert counters.value("import_day") == 1000.001
    assert "counting again from 1000001" in caplog.text


def test_restore_reports_from_the_stored_state() -> None:
    """At start every stored issue is cleared, and raised again when a day has passed."""
    calls: list[tuple[str, tuple[float, float] | None]] = []
    now = [0.0]
    counters = make_counters(calls, now)
    stored = {
        "import_day": {
            "value": 1_000_000.0,
            "time": 0.0,
            "behind_since": 10.0,
            "meter_value": 999_000.0,
        },
        "import_night": {"value": 5.0, "time": 0.0},
    }
    counters.restore(stored, 10.0 + BEHIND_ISSUE_AFTER)
    assert calls == [
        ("import_day", None),
        ("import_day", (1000.0, 999.0)),
        ("import_night", None),
    ]
    assert counters.as_dict()["import_day"]["behind_since"] == 10.0
    calls.clear()
    make_counters(calls, now).restore(None, 0.0)
    assert calls == [("import_day", None), ("import_night", None)]


_RAW = st.one_of(st.none(), st.sampled_from([0.0, 999_000.0, 1_000_000.0, 1_000_001.0, 5e6]))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(_RAW, _RAW, st.sampled_from([0.0, 10.0, 3600.0])), max_size=40),
    st.booleans(),
)
def test_offer_returns_the_accepted_values(
    steps: list[tuple[float | None, float | None, float]], restored: bool
) -> None:
    """Offer returns each counter's accepted value once a message carried it, None before.

    A restored guard shows nothing until the dongle sends that counter again. The mapping is the
    previous one exactly when nothing it shows changed: the coordinator's data is built from it.
    """
    now = [0.0]
    counters = make_counters([], now)
    if restored:
        counters.restore({"import_day": {"value": 1_000_000.0, "time": 0.0}}, 0.0)
    carried: set[str] = set()
    shown = counters.offer({}, 0.0)
    assert shown == {"import_day": None, "import_night": None}
    for day, night, delay in steps:
        now[0] += delay
        offered = {"import_day": day, "import_night": night}
        result = counters.offer(offered, now[0])
        carried |= {key for key, raw in offered.items() if raw is not None}
        expected = {key: counters.value(key) if key in carried else None for key in offered}
        assert result == expected
        assert (result is shown) == (result == shown)
        shown = result
