"""Tests of the bounded logging of recurring problems (pure, no Home Assistant)."""

from __future__ import annotations

from itertools import pairwise
import logging

from hypothesis import given, settings, strategies as st

from custom_components.lowi_ores.problem_log import (
    PERIOD,
    HourlyShare,
    ProblemLog,
    RejectionLog,
    describe_duration,
)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        """Start at zero."""
        self.now = 0.0

    def __call__(self) -> float:
        """Return the time."""
        return self.now


class Records(logging.Handler):
    """Keeps what a logger wrote, with the clock's time."""

    def __init__(self, clock: Clock) -> None:
        """Initialize."""
        super().__init__(logging.DEBUG)
        self.clock = clock
        self.lines: list[tuple[float, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record."""
        self.lines.append((self.clock.now, record.levelno, record.getMessage()))

    def at(self, level: int) -> list[tuple[float, int, str]]:
        """Return the lines of one level."""
        return [line for line in self.lines if line[1] == level]


def make_log(name: str) -> tuple[Clock, Records, ProblemLog]:
    """Return a clock, the records and a problem log writing to them."""
    clock = Clock()
    records = Records(clock)
    logger = logging.getLogger(f"test_problem_log.{name}")
    logger.handlers = [records]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return clock, records, ProblemLog(logger, clock, "invalid messages on X")


def test_one_warning_then_hourly_summary_then_info() -> None:
    """The start is a warning, the rest debug, a summary after an hour, info once it stopped."""
    clock, records, log = make_log("cycle")
    for step in range(1500):
        clock.now = step * 3.0
        log.report("not JSON" if step % 3 else "empty", "Bad %s", step)
        log.clear()
    warnings = records.at(logging.WARNING)
    assert [line[2] for line in warnings] == [
        "Bad 0; further ones are counted and summarised at most once an hour",
        "1200 more invalid messages on X in the last hour, reasons: not JSON (800); empty (400)",
    ]
    assert warnings[1][0] == 3600
    assert len(records.at(logging.DEBUG)) == 1499
    assert log.ongoing
    clock.now = 4497 + 3599
    log.clear()
    assert log.ongoing
    assert records.at(logging.INFO) == []
    clock.now = 4497 + 3600
    log.clear()
    assert not log.ongoing
    assert records.at(logging.INFO)[-1][2] == (
        "No more invalid messages on X for an hour: 1500 in this series; "
        "since the last warning: not JSON (200); empty (99)"
    )
    assert log.as_dict() == {
        "total": 1500,
        "by_reason": {"not JSON": 1000, "empty": 500},
        "last_reason": "not JSON",
        "series_started": 1,
        "ongoing": False,
    }
    # The next problem starts a new series, with its warning.
    log.report("empty", "Bad again", detail="empty payload")
    assert records.at(logging.WARNING)[-1][2].startswith("Bad again;")
    assert log.last_reason == "empty payload"
    assert log.series == 2


def test_stop_without_pending_problems() -> None:
    """A series that ends right after a summary says so without a reason list."""
    clock, records, log = make_log("quiet")
    log.report("a", "first")
    clock.now = 3000
    log.report("a", "second")
    clock.now = 3600
    log.report("b", "third")
    assert records.at(logging.WARNING)[-1][2] == (
        "2 more invalid messages on X in the last hour, reasons: a (1); b (1)"
    )
    clock.now = 8000
    log.clear()
    assert records.at(logging.INFO)[-1][2] == (
        "No more invalid messages on X for 73 minutes: 3 in this series"
    )


def test_describe_duration() -> None:
    """Durations in words."""
    assert describe_duration(10) == "1 minute"
    assert describe_duration(120) == "2 minutes"
    assert describe_duration(3600) == "1 hour"
    assert describe_duration(7200) == "2 hours"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=5000),
            st.booleans(),
            st.sampled_from(["a", "b", "c"]),
        ),
        max_size=300,
    )
)
def test_warnings_are_an_hour_apart_whatever_the_mix(
    events: list[tuple[float, bool, str]],
) -> None:
    """Any two warnings of a kind are at least an hour apart; every problem is counted."""
    clock, records, log = make_log("property")
    for delay, problem, reason in events:
        clock.now += delay
        if problem:
            log.report(reason, "problem %s", reason)
        else:
            log.clear()
    times = [line[0] for line in records.at(logging.WARNING)]
    assert all(later - earlier >= PERIOD for earlier, later in pairwise(times))
    assert log.total == sum(problem for _, problem, _ in events)
    assert len(records.at(logging.DEBUG)) == log.total - log.series
    # Every series that started and ended has its info line.
    assert log.series - log.ongoing == len(records.at(logging.INFO))


def test_hourly_share() -> None:
    """More than half rejected in an hour raises; only a clean hour clears."""
    clock = Clock()
    changes: list[tuple[bool, int, int]] = []
    share = HourlyShare(clock, lambda *change: changes.append(change))
    for step, rejected in enumerate([True, True, False] * 100):
        clock.now = step * 12.0
        share.add(rejected=rejected)
    assert changes == []
    clock.now = 3600
    share.add(rejected=False)
    assert changes == [(True, 200, 300)]
    assert share.too_many
    # A mixed hour, exactly half rejected (not more than half, and not clean): no change.
    clock.now = 3700
    share.add(rejected=True)
    clock.now = 7200
    share.add(rejected=False)
    assert (share.last_rejected, share.last_messages) == (1, 2)
    assert changes == [(True, 200, 300)]
    assert share.too_many
    # A clean hour clears.
    clock.now = 10800
    share.add(rejected=True)
    assert changes == [(True, 200, 300), (False, 0, 1)]
    assert not share.too_many


def test_rejection_log() -> None:
    """The public calls the coordinator and the channels use."""
    clock = Clock()
    changes: list[tuple[bool, int, int]] = []
    logger = logging.getLogger("test_problem_log.rejections")
    rejections = RejectionLog(
        logger, clock, "invalid messages on X", lambda *change: changes.append(change)
    )
    rejections.record("X", "payload is not JSON: 'abc'")
    rejections.record("X", "empty payload")
    rejections.valid_message()
    assert rejections.total == 2
    assert rejections.reasons == {"payload is not JSON": 1, "empty payload": 1}
    assert rejections.last_reason == "empty payload"
    clock.now = 3600
    rejections.valid_message()
    assert changes == [(True, 2, 3)]
    assert rejections.as_dict() | {"by_reason": None} == {
        "total": 2,
        "by_reason": None,
        "last_reason": "empty payload",
        "series_started": 1,
        "ongoing": False,
        "last_hour": {"messages": 3, "rejected": 2},
        "this_hour": {"messages": 1, "rejected": 0},
        "more_than_half_rejected": True,
    }
