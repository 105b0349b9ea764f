"""The export's pure parts: intervals across clock changes, rows from states and statistics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.lowi_ores.export.intervals import (
    Resolution,
    boundaries,
    ceil_boundary,
    floor_boundary,
    last_full_month,
    local_midnight,
)
from custom_components.lowi_ores.export.labels import LABELS, labels_for
from custom_components.lowi_ores.export.rows import (
    ELECTRICITY_COUNTERS,
    IMPORT_POWER,
    Counter,
    Row,
    Totals,
    parse_number,
    rows_from_states,
    rows_from_statistics,
)
from custom_components.lowi_ores.export.writers import Column, columns_for, row_values

BRUSSELS = ZoneInfo("Europe/Brussels")


def _day(day: date, resolution: Resolution) -> int:
    start = local_midnight(day, BRUSSELS)
    end = local_midnight(day + timedelta(days=1), BRUSSELS)
    return len(list(boundaries(start, end, resolution, BRUSSELS))) - 1


@pytest.mark.parametrize(
    ("day", "quarters", "hours"),
    [
        (date(2026, 3, 29), 92, 23),  # last Sunday of March: 02:00 becomes 03:00
        (date(2026, 10, 25), 100, 25),  # last Sunday of October: 03:00 becomes 02:00
        (date(2026, 10, 26), 96, 24),
        (date(2027, 3, 28), 92, 23),
        (date(2027, 10, 31), 100, 25),
    ],
)
def test_clock_change_days(day: date, quarters: int, hours: int) -> None:
    """Belgian clock changes give 92 or 100 quarter-hours, 23 or 25 hours."""
    assert _day(day, Resolution.QUARTER_HOUR) == quarters
    assert _day(day, Resolution.HOUR) == hours
    assert _day(day, Resolution.DAY) == 1
    start = local_midnight(day, BRUSSELS)
    listed = list(boundaries(start, local_midnight(day + timedelta(days=1), BRUSSELS),
                             Resolution.QUARTER_HOUR, BRUSSELS))  # fmt: skip
    assert len(listed) == quarters + 1


def test_months_follow_local_midnight() -> None:
    """Month boundaries are local midnights of the first, whatever the offset."""
    start = local_midnight(date(2026, 1, 1), BRUSSELS)
    end = local_midnight(date(2027, 1, 1), BRUSSELS)
    months = list(boundaries(start, end, Resolution.MONTH, BRUSSELS))
    assert len(months) == 13
    assert all(m.astimezone(BRUSSELS).day == 1 for m in months)
    assert all(m.astimezone(BRUSSELS).hour == 0 for m in months)
    assert months[3].astimezone(BRUSSELS).utcoffset() == timedelta(hours=2)
    assert len(months) - 1 == 12


def test_floor_and_ceil() -> None:
    """Moments are aligned on their interval; the repeated hour keeps its own offset."""
    moment = datetime(2026, 10, 25, 0, 40, tzinfo=UTC)  # 02:40 local, second time (+01:00)
    floor = floor_boundary(moment, Resolution.QUARTER_HOUR, BRUSSELS)
    assert floor == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert floor_boundary(moment, Resolution.HOUR, BRUSSELS) == datetime(
        2026, 10, 25, 0, 0, tzinfo=UTC
    )
    assert floor_boundary(moment, Resolution.DAY, BRUSSELS) == datetime(
        2026, 10, 24, 22, 0, tzinfo=UTC
    )
    assert floor_boundary(moment, Resolution.MONTH, BRUSSELS) == datetime(
        2026, 9, 30, 22, 0, tzinfo=UTC
    )
    assert ceil_boundary(moment, Resolution.DAY, BRUSSELS) == datetime(
        2026, 10, 25, 23, 0, tzinfo=UTC
    )
    assert ceil_boundary(floor, Resolution.QUARTER_HOUR, BRUSSELS) == floor


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        (datetime(2026, 11, 22, 8, tzinfo=UTC), date(2026, 10, 1), date(2026, 11, 1)),
        (datetime(2027, 1, 1, 0, 30, tzinfo=UTC), date(2026, 12, 1), date(2027, 1, 1)),
        # 31 December 23:30 UTC is already 1 January in Brussels.
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2026, 12, 1), date(2027, 1, 1)),
    ],
)
def test_last_full_month(now: datetime, start: date, end: date) -> None:
    """The default period is the last full calendar month in local time."""
    assert last_full_month(now, BRUSSELS) == (
        local_midnight(start, BRUSSELS),
        local_midnight(end, BRUSSELS),
    )


@settings(max_examples=200)
@given(
    moment=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    resolution=st.sampled_from(Resolution),
)
def test_boundaries_are_fixed_points(moment: datetime, resolution: Resolution) -> None:
    """A floor is at or before the moment, the next boundary after it, and both are floors."""
    floor = floor_boundary(moment, resolution, BRUSSELS)
    assert floor <= moment
    following = ceil_boundary(moment + timedelta(microseconds=1), resolution, BRUSSELS)
    assert moment < following
    assert floor_boundary(floor, resolution, BRUSSELS) == floor
    assert floor_boundary(following, resolution, BRUSSELS) == following
    local = floor.astimezone(BRUSSELS)
    if resolution in (Resolution.DAY, Resolution.MONTH):
        assert (local.hour, local.minute) == (0, 0)
    if resolution is Resolution.MONTH:
        assert local.day == 1


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _bounds(count: int, minutes: int = 15) -> list[datetime]:
    return [T0 + timedelta(minutes=minutes * n) for n in range(count + 1)]


def _at(minutes: float) -> float:
    return (T0 + timedelta(minutes=minutes)).timestamp()


def _initial(**values: float | None) -> dict[str, float | None]:
    base: dict[str, float | None] = dict.fromkeys(ELECTRICITY_COUNTERS, 0.0)
    return base | values


def test_reset_counts_the_new_meter_from_zero() -> None:
    """A fall below 90% is a new meter; a smaller fall is a correction, counted back."""
    changes = [
        (_at(5), Counter.IMPORT_DAY.value, 105.0),
        (_at(10), Counter.IMPORT_DAY.value, 0.5),  # replaced meter
        (_at(14), Counter.IMPORT_DAY.value, 1.5),
        (_at(20), Counter.IMPORT_DAY.value, 1.4),  # a small correction
        (_at(25), Counter.IMPORT_DAY.value, 2.0),
    ]
    rows = list(rows_from_states(_bounds(2), _initial(import_index_day=100.0), changes,
                                 ELECTRICITY_COUNTERS))  # fmt: skip
    assert rows[0].usage[Counter.IMPORT_DAY] == pytest.approx(5.0 + 0.5 + 1.0)
    assert rows[1].usage[Counter.IMPORT_DAY] == pytest.approx(0.5)
    assert rows[1].indexes[Counter.IMPORT_DAY] == 1.5
    assert rows[0].imported == pytest.approx(6.5)


def test_unknown_ends_give_no_energy() -> None:
    """An interval whose counter is unavailable at one end has no energy; the next is exact."""
    changes = [
        (_at(5), Counter.EXPORT_DAY.value, None),  # unavailable
        (_at(20), Counter.EXPORT_DAY.value, 3.0),  # back, 3 kWh later
        (_at(35), Counter.EXPORT_DAY.value, 3.5),
    ]
    rows = list(rows_from_states(_bounds(3), _initial(), changes, ELECTRICITY_COUNTERS))
    assert [row.usage[Counter.EXPORT_DAY] for row in rows] == [None, None, 0.5]
    assert [row.has_data for row in rows] == [False, False, True]
    assert rows[1].indexes[Counter.EXPORT_DAY] is None
    assert rows[0].net is None


def test_power_average_and_peak() -> None:
    """Time-weighted average over the whole quarter only; the peak of what was in effect."""
    changes = [
        (_at(3), IMPORT_POWER, 1000.0),
        (_at(6), IMPORT_POWER, 100.0),
        (_at(20), IMPORT_POWER, None),
    ]
    rows = list(rows_from_states(_bounds(3), _initial(import_power=100.0), changes,
                                 ELECTRICITY_COUNTERS))  # fmt: skip
    assert rows[0].average_import_power == pytest.approx((12 * 100 + 3 * 1000) / 15)
    assert rows[0].peak_import_power == 1000.0
    assert rows[1].average_import_power is None  # unavailable for 10 of 15 minutes
    assert rows[1].peak_import_power == 100.0
    assert rows[2].peak_import_power is None


@settings(max_examples=100)
@given(
    steps=st.lists(st.tuples(st.floats(0.01, 44.99), st.floats(0, 5, allow_nan=False)), max_size=60)
)
def test_increasing_counter_usage_adds_up(steps: list[tuple[float, float]]) -> None:
    """Without resets or gaps, the rows' usage adds up to the counter's whole increase."""
    value = 1000.0
    changes = []
    for minute, increase in sorted(steps):
        value += increase
        changes.append((_at(minute), Counter.IMPORT_NIGHT.value, value))
    rows = list(rows_from_states(_bounds(3), _initial(import_index_night=1000.0), changes,
                                 ELECTRICITY_COUNTERS))  # fmt: skip
    total = sum(row.usage[Counter.IMPORT_NIGHT] or 0.0 for row in rows)
    assert total == pytest.approx(value - 1000.0)
    assert all(row.has_data for row in rows)
    for row, following in pairwise(rows):
        start, end = row.indexes[Counter.IMPORT_NIGHT], following.indexes[Counter.IMPORT_NIGHT]
        assert start is not None
        assert end is not None
        assert row.usage[Counter.IMPORT_NIGHT] == pytest.approx(end - start)


def test_statistics_rows_need_the_hours_at_both_ends() -> None:
    """The index is the state of the hour ending at the boundary; energy the sums' difference."""
    hour = 3600.0
    start = T0.timestamp()
    hours = [
        (start + n * hour, counter.value, 10.0 + n, 2.0 * (n + 1))
        for n in (-1, 0, 2, 3)  # the hour 10:00-11:00 UTC is missing
        for counter in ELECTRICITY_COUNTERS
    ]
    hours.append((start, "unrelated", 1.0, 1.0))
    bounds = [T0 + timedelta(hours=n) for n in range(4)]
    rows = list(rows_from_statistics(bounds, hours, ELECTRICITY_COUNTERS))
    assert [row.indexes[Counter.IMPORT_DAY] for row in rows] == [9.0, 10.0, None]
    assert [row.usage[Counter.IMPORT_DAY] for row in rows] == [2.0, None, None]
    assert [row.has_data for row in rows] == [True, False, False]
    assert list(rows_from_statistics([], hours, ELECTRICITY_COUNTERS)) == []
    assert list(rows_from_states([], {}, [], ELECTRICITY_COUNTERS)) == []


def test_totals_and_values() -> None:
    """Totals skip the unknown; values are rounded, never -0.0."""
    row = Row(
        start=T0,
        end=T0 + timedelta(minutes=15),
        indexes=dict.fromkeys(ELECTRICITY_COUNTERS, 1.0),
        usage={**dict.fromkeys(ELECTRICITY_COUNTERS, 0.0), Counter.GAS: 0.0004},
    )
    missing = Row(T0, T0, {}, {Counter.GAS: None})
    totals = Totals()
    totals.add(row)
    totals.add(missing)
    assert (totals.rows, totals.rows_without_data) == (2, 1)
    assert totals.usage == {**dict.fromkeys(ELECTRICITY_COUNTERS, 0.0), Counter.GAS: 0.0004}
    columns = columns_for([*ELECTRICITY_COUNTERS, Counter.GAS], Resolution.DAY)
    values = row_values(row, columns)
    assert values[-1] == 0.0
    assert str(values[-1]) == "0.0"
    assert [c.machine_name() for c in columns][-1] == "gas_used_m3"
    assert Column("data").machine_name() == "data"
    assert Column("data").label({"data": "Data"}) == "Data"


def test_parse_number() -> None:
    """Recorded states: numbers only, finite."""
    assert parse_number("1.5") == 1.5
    assert parse_number("unavailable") is None
    assert parse_number("nan") is None
    assert parse_number(None) is None


def test_labels_in_every_language() -> None:
    """Every language has every label, with the same placeholders."""
    english = LABELS["en"]
    assert set(LABELS) == {"en", "fr", "nl", "de"}
    for language in LABELS:
        assert set(LABELS[language]) == set(english), language
        for key, text in LABELS[language].items():
            assert sorted(_placeholders(text)) == sorted(_placeholders(english[key])), key
    assert labels_for("nl-BE") is LABELS["nl"]
    assert labels_for("pt") is LABELS["en"]


def _placeholders(text: str) -> list[str]:
    import re

    return re.findall(r"\{(\w+)\}", text)


def _import_changes(
    minutes: list[float], kilowatts: float, start: float = 100.0
) -> list[tuple[float, str, float | None]]:
    """The day counter at each minute, importing at a constant power from the first boundary."""
    return [
        (_at(minute), Counter.IMPORT_DAY.value, start + kilowatts * minute / 60)
        for minute in minutes
    ]


def test_quarter_power_is_interpolated_between_the_values_around_each_boundary() -> None:
    """Values at 30 s past each minute: the boundaries fall between them, 3 kW throughout."""
    minutes = [n + 0.5 for n in range(-1, 32)]  # the last, at 30:30, closes the second quarter
    changes = _import_changes(minutes[1:], 3.0)
    rows = list(rows_from_states(_bounds(2), _initial(import_index_day=100.0 - 0.025),
                                 changes, ELECTRICITY_COUNTERS, initial_time=_at(-0.5)))  # fmt: skip
    assert [row.quarter_power for row in rows] == [pytest.approx(3.0), pytest.approx(3.0)]
    assert [row.quarter_estimated for row in rows] == [False, False]
    # The index in effect at the boundary (the naive reading) is 30 s of energy behind.
    assert rows[0].imported == pytest.approx(0.75)


def test_quarter_power_of_the_last_row_needs_a_value_after_it() -> None:
    changes = _import_changes([n + 0.5 for n in range(15)], 2.0)
    rows = list(rows_from_states(_bounds(1), _initial(import_index_day=100.0),
                                 changes, ELECTRICITY_COUNTERS))  # fmt: skip
    assert rows[0].quarter_power is None  # nothing after 09:15 yet
    rows = list(rows_from_states(_bounds(1), _initial(import_index_day=100.0),
                                 [*changes, *_import_changes([16.5], 2.0)],
                                 ELECTRICITY_COUNTERS))  # fmt: skip
    assert rows[0].quarter_power == pytest.approx(2.0, abs=0.01)
    assert rows[0].quarter_estimated  # where the index stood at 09:00 is not known


def test_quarter_power_across_unavailability_is_estimated() -> None:
    """Unavailable from 09:20 to 09:40: its energy is spread, those quarters estimated."""
    changes = [
        *_import_changes([n + 0.5 for n in range(20)], 4.0),
        (_at(20.2), Counter.IMPORT_DAY.value, None),
        *_import_changes([n + 0.5 for n in range(40, 47)], 4.0),
    ]
    rows = list(rows_from_states(_bounds(3), _initial(import_index_day=100.0 - 4 / 120),
                                 changes, ELECTRICITY_COUNTERS, initial_time=_at(-0.5)))  # fmt: skip
    assert [row.quarter_estimated for row in rows] == [False, True, True]
    assert [row.quarter_power for row in rows] == [pytest.approx(4.0)] * 3
    assert rows[1].imported is None  # the existing columns still invent nothing


def test_rows_without_both_import_counters_have_no_quarter_power() -> None:
    changes = [(_at(5), Counter.EXPORT_DAY.value, 1.0)]
    rows = list(rows_from_states(_bounds(2), {Counter.EXPORT_DAY.value: 0.5}, changes,
                                 [Counter.EXPORT_DAY]))  # fmt: skip
    assert [row.quarter_power for row in rows] == [None, None]


def test_quarter_columns() -> None:
    columns = columns_for(ELECTRICITY_COUNTERS, Resolution.QUARTER_HOUR)
    names = [column.machine_name() for column in columns]
    assert names[-2:] == ["quarter_average_import_power_kw", "quarter_estimated"]
    row = Row(T0, T0, {}, {}, quarter_power=2.3456, quarter_estimated=True)
    assert row_values(row, columns[-2:]) == [2.346, 1.0]
    assert row_values(Row(T0, T0, {}, {}), columns[-2:]) == [None, None]
    assert "quarter_estimated" not in [c.key for c in columns_for([], Resolution.DAY)]
