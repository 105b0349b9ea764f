"""The money of each finished clock hour (billing/hourly.py): pure, property-based."""

from __future__ import annotations

from datetime import date
import json
import math

from hypothesis import given, strategies as st

from custom_components.lowi_ores.billing.hourly import (
    HOUR_SECONDS,
    HourlyMoney,
    Recorded,
    hour_floor,
)
from custom_components.lowi_ores.billing.quarters import QUARTER_SECONDS, quarters_of_day

# 2026-06-20 00:00 UTC, and a few days of quarter-hours after it.
BASE = 1_781_913_600.0
money = st.floats(-5, 5, allow_nan=False)
slots = st.lists(st.tuples(st.integers(0, 4 * 72 - 1), money, money), max_size=60)


def _start(number: int) -> float:
    return BASE + number * QUARTER_SECONDS


@given(slots, st.sets(st.integers(0, 4 * 72 - 1), max_size=5), st.integers(0, 4 * 72))
def test_finished_hours_are_the_settled_prefix(
    priced: list[tuple[int, float, float]], waiting: set[int], closed: int
) -> None:
    """Hours are handed out in order, up to the first waiting one and the closed quarters."""
    book = HourlyMoney()
    for number, cost, revenue in priced:
        assert book.add(_start(number), cost, revenue)
    closed_until = _start(closed)
    done = book.finished(closed_until, [_start(number) for number in waiting])
    starts = [hour.start for hour in done]
    assert starts == sorted(set(starts))
    first_waiting = min((hour_floor(_start(n)) for n in waiting), default=math.inf)
    handed = {hour_floor(_start(number)) for number, _, _ in priced}
    expected = sorted(
        hour
        for hour in handed
        if hour + HOUR_SECONDS <= closed_until
        and hour < first_waiting
        and all(
            other + HOUR_SECONDS <= closed_until and other < first_waiting
            for other in handed
            if other < hour
        )
    )
    assert starts == expected
    for hour in done:
        mine = [(c, r) for n, c, r in priced if hour_floor(_start(n)) == hour.start]
        assert hour.import_cost == sum(c for c, _ in mine)
        assert hour.export_revenue == sum(r for _, r in mine)
    total = 0.0
    for hour in done:
        total += hour.import_cost
        assert hour.import_sum == total
    # Slots of an hour already handed out are refused: never counted twice.
    for hour in done:
        assert not book.add(hour.start, 1.0, 1.0)


@given(slots, st.integers(1, 12))
def test_handing_out_bit_by_bit_counts_each_slot_once(
    priced: list[tuple[int, float, float]], steps: int
) -> None:
    """Slots arrive in time order, hours are handed out as the meter moves on: all counted."""
    priced = sorted(priced)
    book = HourlyMoney()
    done = []
    for index, (number, cost, revenue) in enumerate(priced):
        assert book.add(_start(number), cost, revenue)
        if index % steps == 0:
            done += book.finished(_start(number), [])
    done += book.finished(math.inf, [])
    assert book.open == {}
    assert [hour.start for hour in done] == sorted({hour_floor(_start(n)) for n, _, _ in priced})
    assert math.isclose(
        math.fsum(hour.import_cost for hour in done),
        math.fsum(cost for _, cost, _ in priced),
        abs_tol=1e-9,
    )
    if done:
        assert math.isclose(done[-1].export_sum, math.fsum(r for _, _, r in priced), abs_tol=1e-9)


@given(slots, st.integers(0, 72), st.integers(-3, 3), money, money)
def test_resume_takes_the_recorder_when_it_is_not_behind(
    priced: list[tuple[int, float, float]], written: int, shift: int, isum: float, esum: float
) -> None:
    """A recorder level or ahead gives the sums and drops its hours; one behind is ignored."""
    book = HourlyMoney()
    for number, cost, revenue in priced:
        book.add(_start(number), cost, revenue)
    book.finished(BASE + written * HOUR_SECONDS, [])
    ours = (book.written_until, book.import_sum, book.export_sum, dict(book.open))
    last = BASE + (written + shift - 1) * HOUR_SECONDS
    book.resume(Recorded(last, isum), Recorded(last - HOUR_SECONDS, esum))
    if ours[0] is not None and last + HOUR_SECONDS < ours[0]:
        assert (book.written_until, book.import_sum, book.export_sum, book.open) == ours
    else:
        assert book.written_until == last + HOUR_SECONDS
        assert (book.import_sum, book.export_sum) == (isum, esum)
        assert all(hour >= last + HOUR_SECONDS for hour in book.open)
        assert not book.add(last, 1.0, 1.0)
    before = (book.written_until, book.import_sum)
    book.resume(None, None)  # nothing recorded: ours hold
    assert (book.written_until, book.import_sum) == before


@given(slots, st.integers(0, 72))
def test_stored_and_restored(priced: list[tuple[int, float, float]], written: int) -> None:
    """What survives a restart (through JSON) is what was there."""
    book = HourlyMoney()
    for number, cost, revenue in priced:
        book.add(_start(number), cost, revenue)
    book.finished(BASE + written * HOUR_SECONDS, [])
    again = HourlyMoney()
    again.restore(json.loads(json.dumps(book.as_dict())))
    assert again == book


def test_restore_drops_what_is_malformed() -> None:
    """Junk in the store starts from nothing, item by item."""
    book = HourlyMoney()
    book.restore("junk")
    assert book == HourlyMoney()
    book.restore(
        {
            "open": [[BASE, 1.0, "x"], "junk", [BASE + 3600, 1.0, 2.0], [BASE - 3600, 5.0, 5.0]],
            "written_until": BASE,
            "import_sum": "nan",
        }
    )
    assert book.open == {BASE + 3600: [1.0, 2.0]}
    assert (book.written_until, book.import_sum, book.export_sum) == (BASE, 0.0, 0.0)
    assert book.finished(None, []) == []


def test_clock_change_days_have_25_and_23_hours() -> None:
    """Local hours are whole hours of Unix time: the autumn day has 25, the spring day 23."""
    for day, hours in ((date(2026, 10, 25), 25), (date(2026, 3, 29), 23), (date(2026, 6, 20), 24)):
        quarters = quarters_of_day(day)
        book = HourlyMoney()
        for quarter in quarters:
            book.add(quarter.timestamp(), 0.25, 0.0)
        done = book.finished(quarters[-1].timestamp() + QUARTER_SECONDS, [])
        assert len(done) == hours
        assert all(hour.import_cost == 1.0 for hour in done)
        assert done[-1].import_sum == len(quarters) / 4
