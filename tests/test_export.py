"""The export action against Home Assistant's recorder on SQLite, MariaDB and PostgreSQL.

Every test runs once per database. MariaDB and PostgreSQL are the machine's own servers
(LOWI_ORES_DB_HOST, default 127.0.0.1; MariaDB as root without password, PostgreSQL as postgres
with trust): each test gets a fresh database, dropped afterwards. A server that is not reachable
skips its tests with the reason, which the test command prints.
"""

from __future__ import annotations

from collections.abc import Generator
import csv
from datetime import UTC, date, datetime, timedelta
import io
import logging
import os
from pathlib import Path
import re
from typing import Any
from unittest.mock import patch
from uuid import uuid4

from freezegun.api import FrozenDateTimeFactory
import openpyxl
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.lowi_ores.const import CONF_IDENT, CONF_TIMEOUT, DOMAIN
from homeassistant.components import persistent_notification
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from .conftest import IDENT, TOPIC, counter_statistic, make_payload

BRUSSELS = "Europe/Brussels"
PREFIX = "sensor.lowi3_3494546c709b_"
DATABASES = ("sqlite", "mariadb", "postgresql")


def _run_admin(kind: str, host: str, statement: str) -> None:
    """Run one statement on the server's administrative database, or skip if it is not there."""
    try:
        if kind == "mariadb":
            import pymysql

            connection: Any = pymysql.connect(
                host=host, user="root", connect_timeout=3, autocommit=True
            )
        else:
            import psycopg2

            connection = psycopg2.connect(
                host=host, user="postgres", dbname="postgres", connect_timeout=3
            )
            connection.autocommit = True
    except Exception as err:  # noqa: BLE001 - any failure to connect means "not here"
        pytest.skip(f"{kind} on {host} is not reachable ({type(err).__name__}: {err})")
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


# The tests of what is read from the database run on all three engines; the others on SQLite.
ALL_DATABASES = pytest.mark.parametrize("recorder_db_url", DATABASES, indirect=True)


@pytest.fixture
def recorder_db_url(
    request: pytest.FixtureRequest, hass_fixture_setup: list[bool]
) -> Generator[str]:
    """A fresh recorder database on each of the three engines Home Assistant supports."""
    assert not hass_fixture_setup
    kind: str = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        yield "sqlite://"
        return
    request.getfixturevalue("socket_enabled")  # the database server is reached over TCP
    host = os.environ.get("LOWI_ORES_DB_HOST", "127.0.0.1")
    name = f"lowi_ores_test_{uuid4().hex[:12]}"
    if kind == "mariadb":
        _run_admin(
            kind, host, f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
        url = f"mysql+pymysql://root@{host}/{name}?charset=utf8mb4"
        drop = f"DROP DATABASE IF EXISTS {name}"
    else:
        _run_admin(kind, host, f"CREATE DATABASE {name} ENCODING 'UTF8'")
        url = f"postgresql://postgres@{host}/{name}"
        drop = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    yield url
    _run_admin(kind, host, drop)


@pytest.fixture
def mock_recorder_before_hass(recorder_db_url: str) -> None:
    """Prepare the recorder's database before hass is created (the recorder_mock rule)."""


@pytest.fixture
async def brussels(hass: HomeAssistant, tmp_path: Path) -> None:
    """Run in Belgian time, with a configuration folder of the test's own.

    The test plugin logs every SQL statement at INFO; thousands of statistics rows make that
    the slowest part of these tests, so it is turned down here.
    """
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    await hass.config.async_set_time_zone(BRUSSELS)
    hass.config.config_dir = str(tmp_path / "config")


def local(*args: int) -> datetime:
    """Return a Brussels wall time as an aware datetime."""
    return datetime(*args, tzinfo=dt_util.get_time_zone(BRUSSELS))


async def _setup(hass: HomeAssistant, **options: Any) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"LoWi3 {IDENT}",
        unique_id=IDENT,
        data={CONF_IDENT: IDENT},
        options=options,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _publish(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, at: datetime, **fields: Any
) -> None:
    freezer.move_to(at)
    async_fire_time_changed(hass)
    async_fire_mqtt_message(hass, TOPIC, make_payload(**fields))
    await hass.async_block_till_done()


async def _export(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response: ServiceResponse = await hass.services.async_call(
        DOMAIN, "export", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


def _csv(path: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))


def _number(text: str) -> float | None:
    return None if text == "" else float(text)


pytestmark = pytest.mark.usefixtures("mqtt_mock", "brussels")


# 2026-03-02 is a Monday in winter time (UTC+1). The dongle sends a message every minute at :30.
# Import 10 Wh a minute (600 W), with one minute at 3000 W; silence from 10:30 to 10:45.
QUARTER_START = local(2026, 3, 2, 10, 0)


def _quarter_fields(minute: int) -> dict[str, str]:
    return {
        "CIH": str(1_000_000 + 10 * (minute + 10)),
        "CIL": "2000000",
        "CEH": "500000",
        "CEL": "300000",
        "PI": "3000" if minute == 5 else "600",
        "PE": "0",
    }


async def _record_quarters(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(QUARTER_START - timedelta(minutes=11))
    await _setup(hass)
    for minute in range(-10, 70):
        if 30 <= minute < 45:
            if minute == 35:  # the availability timeout (200 s) passes in the silence
                freezer.move_to(QUARTER_START + timedelta(minutes=minute))
                async_fire_time_changed(hass)
                await hass.async_block_till_done()
            continue
        at = QUARTER_START + timedelta(minutes=minute, seconds=30)
        await _publish(hass, freezer, at, **_quarter_fields(minute))
    freezer.move_to(QUARTER_START + timedelta(minutes=80))
    async_fire_time_changed(hass)
    await async_wait_recording_done(hass)


# Rows of 10:00, 10:15, 10:30 and 10:45: (index import day, imported, average, peak power).
EXPECTED_QUARTERS = [
    (1000.09, 0.15, 760.0, 3000.0),
    (1000.24, 0.15, 600.0, 600.0),
    (1000.39, None, None, 600.0),  # the dongle fell silent: end of the quarter unknown
    (None, None, None, 600.0),  # unavailable at the start; back at 10:45:30
]


@ALL_DATABASES
async def test_quarter_hours_from_recorded_states(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """CSV rows: local and UTC starts, indexes at the start, energy, average and peak power."""
    await _record_quarters(hass, freezer)
    response = await _export(
        hass, start="2026-03-02 10:00", end="2026-03-02 11:00", resolution="15_minutes"
    )
    rows = _csv(response["path"])
    assert [row["start_local"] for row in rows] == [
        "2026-03-02T10:00:00+01:00",
        "2026-03-02T10:15:00+01:00",
        "2026-03-02T10:30:00+01:00",
        "2026-03-02T10:45:00+01:00",
    ]
    assert rows[0]["start_utc"] == "2026-03-02T09:00:00Z"
    got = [
        (
            _number(row["import_index_day_kwh"]),
            _number(row["imported_kwh"]),
            _number(row["average_import_power_w"]),
            _number(row["peak_import_power_w"]),
        )
        for row in rows
    ]
    assert got == EXPECTED_QUARTERS
    assert [row["data"] for row in rows] == ["complete", "complete", "missing", "missing"]
    # The capacity tariff's figure, from the indexes (10 Wh a minute): interpolated at each
    # boundary, spread over the silence from 10:29:30 to 10:45:30, flagged in every quarter it
    # touches (10:15 ends inside it).
    assert [_number(row["quarter_average_import_power_kw"]) for row in rows] == [0.6] * 4
    assert [row["quarter_estimated"] for row in rows] == ["0.0", "1.0", "1.0", "1.0"]
    assert rows[0]["import_index_night_kwh"] == "2000.0"
    assert rows[0]["export_index_day_kwh"] == "500.0"
    assert rows[0]["export_index_night_kwh"] == "300.0"
    assert rows[0]["exported_kwh"] == "0.0"
    assert rows[0]["net_kwh"] == "0.15"
    assert rows[3]["net_kwh"] == ""
    assert "gas_used_m3" in rows[0]  # the test dongle reports gas and water
    assert response["rows"] == 4
    assert response["rows_without_data"] == 2
    assert response["totals"]["imported_kwh"] == 0.3
    assert response["totals"]["net_kwh"] == 0.3
    assert response["start"] == "2026-03-02T10:00:00+01:00"
    assert response["end"] == "2026-03-02T11:00:00+01:00"
    assert Path(response["path"]).parent == Path(hass.config.path("lowi_ores", "exports"))


@ALL_DATABASES
async def test_quarter_hours_as_xlsx_and_belgian_csv(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The same numbers in an Excel workbook and in the ";" CSV with decimal commas."""
    await _record_quarters(hass, freezer)
    period = {"start": "2026-03-02 10:00", "end": "2026-03-02 11:00", "resolution": "15_minutes"}

    xlsx = await _export(hass, **period, format="xlsx")
    book = openpyxl.load_workbook(xlsx["path"])
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Start (local time)", "UTC offset", "Start (UTC)", "Data"]
    assert "Import index day (kWh)" in header
    assert "Average import power (W)" in header
    lines = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(lines) == 4
    assert lines[0][0] == datetime(2026, 3, 2, 10, 0)  # an Excel date-time, local
    assert lines[0][1] == "+01:00"
    assert lines[0][2] == datetime(2026, 3, 2, 9, 0)
    column = {name: header.index(name) for name in header}
    got = [
        (
            line[column["Import index day (kWh)"]],
            line[column["Imported (kWh)"]],
            line[column["Average import power (W)"]],
            line[column["Peak import power (W)"]],
        )
        for line in lines
    ]
    assert got == EXPECTED_QUARTERS
    assert isinstance(lines[0][column["Imported (kWh)"]], float)
    about = dict(book.worksheets[1].iter_rows(values_only=True))
    assert about["Dongle"] == f"LoWi3 {IDENT} ({IDENT})"
    assert about["Time zone"] == BRUSSELS
    assert about["Resolution"] == "15 minutes"
    assert about["Period start"] == "2026-03-02T10:00:00+01:00"
    assert about["Rows"] == "4"
    assert about["Version"].startswith("lowi_ores 0.")

    belgian = await _export(hass, **period, format="csv_semicolon")
    raw = Path(belgian["path"]).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so that Excel reads UTF-8
    lines_be = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert lines_be[0][:2] == ["Start (local time)", "UTC offset"]
    first = dict(zip(lines_be[0], lines_be[1], strict=True))
    assert first["Start (local time)"] == "2026-03-02 10:00:00"
    assert first["Start (UTC)"] == "2026-03-02 09:00:00"
    assert first["Import index day (kWh)"] == "1000,090"
    assert first["Average import power (W)"] == "760"
    assert len(lines_be) == 5


async def test_file_in_home_assistant_language(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A French Home Assistant gets French headers; the plain CSV keeps stable English keys."""
    await _record_quarters(hass, freezer)
    hass.config.language = "fr"
    period = {"start": "2026-03-02 10:00", "end": "2026-03-02 10:30", "resolution": "15_minutes"}
    response = await _export(hass, **period, format="csv_semicolon")
    header = Path(response["path"]).read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("Début (heure locale);Décalage UTC;Début (UTC);Données;")
    assert "Index prélèvement jour (kWh)" in header
    plain = await _export(hass, **period)
    assert Path(plain["path"]).read_text(encoding="utf-8").startswith("start_local,start_utc,")


@ALL_DATABASES
async def test_counter_reset_inside_the_period(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A replaced meter restarts from a low index: the new meter counts from zero, no negative."""
    freezer.move_to(QUARTER_START - timedelta(minutes=6))
    await _setup(hass)
    for minute in range(-5, 30):
        # The old meter stops at 1 000 190 Wh; the new one starts at 100 Wh, both +10 Wh/min.
        index = 1_000_000 + 10 * minute if minute < 20 else 100 + 10 * (minute - 20)
        at = QUARTER_START + timedelta(minutes=minute, seconds=30)
        await _publish(hass, freezer, at, CIH=str(index))
    freezer.move_to(QUARTER_START + timedelta(minutes=31))
    await async_wait_recording_done(hass)
    response = await _export(
        hass, start="2026-03-02 10:00", end="2026-03-02 10:30", resolution="15_minutes"
    )
    rows = _csv(response["path"])
    assert [row["import_index_day_kwh"] for row in rows] == ["999.99", "1000.14"]
    assert rows[0]["imported_kwh"] == "0.15"
    # 10:15-10:30: 50 Wh on the old meter, then the new one's first accepted index (its three
    # confirmations, 100, 110, 120 Wh, end at 10:22:30) counted from zero, then 70 Wh more.
    assert rows[1]["imported_kwh"] == "0.24"
    state = hass.states.get(PREFIX + "import_index_day")
    assert state is not None
    assert float(state.state) == 0.19


@ALL_DATABASES
async def test_quarter_hours_across_the_autumn_clock_change(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """25 October 2026 has 100 quarter-hours; 02:00-03:00 comes twice, with its two offsets."""
    start = local(2026, 10, 24, 23, 0)
    freezer.move_to(start - timedelta(minutes=1))
    await _setup(hass, **{CONF_TIMEOUT: 3600})
    moment = start.astimezone(UTC)  # aware local arithmetic would skip the repeated hour
    index = 5_000_000
    while moment <= local(2026, 10, 26, 0, 30):
        await _publish(hass, freezer, moment + timedelta(seconds=30), CIH=str(index), PI="400")
        moment += timedelta(minutes=15)
        index += 100
    freezer.move_to(local(2026, 10, 26, 1, 0))
    await async_wait_recording_done(hass)

    response = await _export(
        hass, start="2026-10-25", end="2026-10-25", resolution="15_minutes", format="xlsx"
    )
    assert response["rows"] == 100
    assert response["rows_without_data"] == 0
    assert response["totals"]["imported_kwh"] == 10.0
    sheet = openpyxl.load_workbook(response["path"]).worksheets[0]
    lines = list(sheet.iter_rows(min_row=2, values_only=True))
    twice = [(line[0], line[1]) for line in lines if line[0] == datetime(2026, 10, 25, 2, 0)]
    assert twice == [
        (datetime(2026, 10, 25, 2, 0), "+02:00"),
        (datetime(2026, 10, 25, 2, 0), "+01:00"),
    ]
    assert lines[-1][2] == datetime(2026, 10, 25, 22, 45)  # 23:45 local, in UTC
    assert {line[3] for line in lines} == {"complete"}


def _import_hourly(
    hass: HomeAssistant, start: datetime, hours: int, skip: range = range(0)
) -> None:
    """Hourly statistics: import 0.4 + 0.2 kWh/h, export 0.1 kWh/h (day), gas 0.05 m3/h.

    The day import counter is a replaced meter from hour 500 on: its state restarts at 1 kWh
    while its sum goes on, as Home Assistant records a reset.
    """
    rates = {
        "import_index_day": (0.4, 1000.0, "energy", "kWh"),
        "import_index_night": (0.2, 2000.0, "energy", "kWh"),
        "export_index_day": (0.1, 500.0, "energy", "kWh"),
        "export_index_night": (0.0, 300.0, "energy", "kWh"),
        "gas_index": (0.05, 4321.0, "volume", "m³"),
    }
    for key, (rate, first, unit_class, unit) in rates.items():
        rows = []
        for hour in range(hours):
            if hour in skip:
                continue
            total = rate * (hour + 1)
            state = first + total
            if key == "import_index_day" and hour >= 500:
                state = 1.0 + rate * (hour - 499)
            rows.append({"start": start + timedelta(hours=hour), "state": state, "sum": total})
        async_import_statistics(
            hass,
            counter_statistic(PREFIX + key, unit_class, unit),
            rows,  # type: ignore[arg-type]
        )


async def _with_statistics(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    skip: range = range(0),
    entry: MockConfigEntry | None = None,
) -> datetime:
    """October 2026 (and the hour before it) in hourly statistics; returns the first hour."""
    first_hour = local(2026, 9, 30, 23, 0).astimezone(UTC)
    freezer.move_to(local(2026, 11, 5, 12, 0))
    if entry is None:
        await _setup(hass)
    else:
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    for _ in range(3):  # so that the gas and water sensors exist
        await _publish(hass, freezer, dt_util.utcnow() + timedelta(seconds=10))
    _import_hourly(hass, first_hour, 24 * 33, skip)
    await async_wait_recording_done(hass)
    return first_hour


@ALL_DATABASES
async def test_month_day_and_hour_rows_from_statistics(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """October 2026 has 745 hours; its month row is their sum, whatever the reset inside."""
    await _with_statistics(hass, freezer)

    month = await _export(hass, start="2026-10-01", end="2026-10-31", resolution="month")
    assert month["rows"] == 1
    assert month["totals"] == {
        "imported_kwh": 447.0,
        "exported_kwh": 74.5,
        "net_kwh": 372.5,
        "gas_m3": 37.25,
    }
    [row] = _csv(month["path"])
    assert row["start_local"] == "2026-10-01T00:00:00+02:00"
    assert row["import_index_day_kwh"] == "1000.4"  # the state at the end of the hour before
    assert row["gas_used_m3"] == "37.25"
    assert row["water_used_m3"] == ""
    assert "month_peak_power_kw" not in row  # no capacity tariff on this entry

    days = await _export(hass, start="2026-10-24", end="2026-10-26", resolution="day")
    rows = _csv(days["path"])
    assert [row["start_local"] for row in rows] == [
        "2026-10-24T00:00:00+02:00",
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
    ]
    assert [row["imported_kwh"] for row in rows] == ["14.4", "15.0", "14.4"]  # 24, 25, 24 hours

    hours = await _export(hass, start="2026-10-25", end="2026-10-25", resolution="hour")
    rows = _csv(hours["path"])
    assert len(rows) == 25
    assert [row["start_local"] for row in rows[2:4]] == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
    ]
    assert {row["imported_kwh"] for row in rows} == {"0.6"}


async def test_month_rows_carry_the_capacity_peak(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """With the capacity tariff, a month row shows the month's peak and its quarter's start."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"LoWi3 {IDENT}",
        unique_id=IDENT,
        data={CONF_IDENT: IDENT},
        options={"region": "flanders"},
        entry_id="capacityexport",
    )
    peak_start = local(2026, 10, 13, 18, 45)
    hass_storage["lowi_ores.capacityexport.billing"] = {
        "version": 1,
        "key": "lowi_ores.capacityexport.billing",
        "data": {
            "parts": {
                "capacity": {
                    "peaks": {"2026-10-01": {"power": 7.25, "start": peak_start.timestamp()}}
                }
            }
        },
    }
    await _with_statistics(hass, freezer, entry=entry)
    month = await _export(hass, start="2026-10-01", end="2026-10-31", resolution="month")
    [row] = _csv(month["path"])
    assert row["month_peak_power_kw"] == "7.25"
    assert row["month_peak_start"] == "2026-10-13T18:45:00+02:00"
    xlsx = await _export(
        hass, start="2026-09-01", end="2026-10-31", resolution="month", format="xlsx"
    )
    sheet = openpyxl.load_workbook(xlsx["path"]).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    lines = list(sheet.iter_rows(min_row=2, values_only=True))
    peak = header.index("Month peak (kW)")
    assert lines[0][peak] is None  # September: no peak known
    assert lines[1][peak] == 7.25
    assert lines[1][header.index("Start of the month peak quarter-hour")] == datetime(
        2026, 10, 13, 18, 45
    )
    belgian = await _export(
        hass, start="2026-10-01", end="2026-10-31", resolution="month", format="csv_semicolon"
    )
    text = Path(belgian["path"]).read_text(encoding="utf-8-sig").splitlines()
    cells = dict(zip(text[0].split(";"), text[1].split(";"), strict=True))
    assert cells["Month peak (kW)"] == "7,250"
    assert cells["Start of the month peak quarter-hour"] == "2026-10-13 18:45:00"


@ALL_DATABASES
async def test_missing_statistics_are_marked_not_invented(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Hours missing at a day's boundary leave that day without data; the month still adds up."""
    first_hour = await _with_statistics(hass, freezer, skip=range(24 * 9 + 1, 24 * 10 + 2))
    assert first_hour == datetime(2026, 9, 30, 21, 0, tzinfo=UTC)
    days = await _export(hass, start="2026-10-09", end="2026-10-12", resolution="day")
    rows = _csv(days["path"])
    assert [row["data"] for row in rows] == ["complete", "missing", "missing", "complete"]
    assert rows[1]["imported_kwh"] == ""
    assert rows[2]["import_index_day_kwh"] == ""
    assert days["rows_without_data"] == 2
    month = await _export(hass, start="2026-10-01", end="2026-10-31", resolution="month")
    assert month["totals"]["imported_kwh"] == 447.0


@ALL_DATABASES
async def test_quarter_hours_older_than_the_recorded_states(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The action names the first day that has states, and writes nothing."""
    await _record_quarters(hass, freezer)
    with pytest.raises(ServiceValidationError) as raised:
        await _export(hass, start="2026-03-01", end="2026-03-02", resolution="15_minutes")
    assert raised.value.translation_key == "states_not_available"
    # States begin at 09:49; the first quarter that can start from a known value is 10:00.
    assert raised.value.translation_placeholders == {"earliest": "2026-03-02 10:00"}
    assert "only begin on 2026-03-02 10:00" in str(raised.value)
    folder = Path(hass.config.path("lowi_ores", "exports"))
    assert not folder.exists() or not any(folder.iterdir())


@pytest.mark.parametrize("recorder_config", [{"exclude": {"domains": ["sensor"]}}])
async def test_no_states_at_all(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Sensors the recorder never kept have no 15-minute rows to give."""
    freezer.move_to(local(2026, 3, 2, 12, 0))
    await _setup(hass)
    await async_wait_recording_done(hass)
    with pytest.raises(ServiceValidationError) as raised:
        await _export(hass, start="2026-03-02", end="2026-03-02", resolution="15_minutes")
    assert raised.value.translation_key == "no_states"


async def test_signed_link_and_notification(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Without a response asked for, a notification carries a link that works signed, for a day."""
    await _record_quarters(hass, freezer)
    await hass.services.async_call(
        DOMAIN,
        "export",
        {"start": "2026-03-02 10:00", "end": "2026-03-02 10:30", "resolution": "15_minutes"},
        blocking=True,
    )
    notifications = persistent_notification._async_get_or_create_notifications(hass)
    [notification] = [n for key, n in notifications.items() if key.startswith("lowi_ores_export")]
    assert notification["title"] == "LoWi3 export ready"
    message = notification["message"]
    # An anchor that opens outside the app (a Markdown link would be routed inside it).
    link = re.search(r'<a href="([^"]+)" target="_blank">', message)
    assert link is not None, message
    url = URL(link.group(1))
    assert "authSig" in url.query
    assert "lowi3_3494546c709b_15_minutes_2026-03-02_2026-03-02.csv" in message

    client = await hass_client_no_auth()
    signed = await client.get(url.path_qs)
    assert signed.status == 200
    assert "attachment" in signed.headers["Content-Disposition"]
    body = await signed.text()
    assert body.startswith("start_local,start_utc,data,")
    assert body.count("\n") == 3

    unsigned = await client.get(url.path)
    assert unsigned.status == 401
    forged = await client.get(url.with_query(authSig=url.query["authSig"][:-2] + "xx").path_qs)
    assert forged.status == 401
    other = await client.get(url.with_path("/api/lowi_ores/exports/somethingelse").path_qs)
    assert other.status == 401  # the signature is for one path only

    freezer.tick(timedelta(hours=24, seconds=1))
    expired = await client.get(url.path_qs)
    assert expired.status in (401, 404)


async def test_response_link_is_signed_for_the_file(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """The response's URL downloads the very file the response names."""
    await _record_quarters(hass, freezer)
    response = await _export(
        hass, start="2026-03-02 10:00", end="2026-03-02 10:30", resolution="15_minutes",
        format="xlsx",
    )  # fmt: skip
    client = await hass_client_no_auth()
    assert response["url"].startswith("/api/lowi_ores/exports/")  # relative: no guessed host
    assert response["full_url"] is None  # no address configured
    download = await client.get(response["url"])
    assert download.status == 200
    assert await download.read() == Path(response["path"]).read_bytes()
    assert response["url_expires"] == (dt_util.utcnow() + timedelta(hours=24)).isoformat()


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("exports/relative.csv", "path_not_absolute"),
        ("/etc/lowi.csv", "path_not_allowed"),
        ("{allowed}/../escape.csv", "path_not_allowed"),
        ("{allowed}/wrong.xlsx", "path_wrong_suffix"),
        ("{allowed}/secrets.yaml", "path_wrong_suffix"),
        ("{config}/www/public.csv", "path_public"),
    ],
)
async def test_paths_refused(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    path: str,
    key: str,
) -> None:
    """Outside allowlist_external_dirs, in www, or not a file of the format: refused, not written."""
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    www = Path(hass.config.path("www"))
    www.mkdir(parents=True, exist_ok=True)
    hass.config.allowlist_external_dirs = {str(allowed), str(www)}
    await _record_quarters(hass, freezer)
    target = path.format(allowed=allowed, config=hass.config.config_dir)
    with pytest.raises(ServiceValidationError) as raised:
        await _export(
            hass, start="2026-03-02 10:00", end="2026-03-02 10:30", resolution="15_minutes",
            path=target,
        )  # fmt: skip
    assert raised.value.translation_key == key
    assert not any(tmp_path.rglob("*.csv"))
    assert not any(www.iterdir())


async def test_path_inside_an_allowed_folder(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory, tmp_path: Path
) -> None:
    """A file or a folder inside allowlist_external_dirs is written there."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    await _record_quarters(hass, freezer)
    period = {"start": "2026-03-02 10:00", "end": "2026-03-02 10:30", "resolution": "15_minutes"}
    named = await _export(hass, **period, path=str(tmp_path / "mine.csv"))
    assert named["path"] == str(tmp_path / "mine.csv")
    assert len(_csv(named["path"])) == 2
    in_folder = await _export(hass, **period, format="xlsx", path=str(tmp_path))
    assert Path(in_folder["path"]).parent == tmp_path
    assert in_folder["path"].endswith(".xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["mine.csv", Path(in_folder["path"]).name]
    )


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"resolution": "week"}, "invalid_choice"),
        ({"format": "pdf"}, "invalid_choice"),
        ({"start": "yesterday"}, "invalid_moment"),
        ({"start": "2026-03-02", "end": "2026-03-01"}, "empty_period"),
        ({"start": "2027-01-01", "end": "2027-02-01"}, "empty_period"),
        ({"channels": ["15"]}, "invalid_channel"),
        ({"channels": "CH1, x"}, "invalid_channel"),
        ({"channels": [2]}, "no_channel_index"),
    ],
)
async def test_bad_calls(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    data: dict[str, str],
    key: str,
) -> None:
    """Each bad value is refused with a translated message."""
    freezer.move_to(local(2026, 3, 2, 12, 0))
    await _setup(hass)
    with pytest.raises(ServiceValidationError) as raised:
        await _export(hass, **data)
    assert raised.value.translation_key == key
    assert str(raised.value)  # the translated message, not the key


async def test_default_period_is_last_month(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """With no start and end, the last full calendar month, in hours by default."""
    await _with_statistics(hass, freezer)
    response = await _export(hass)
    assert response["start"] == "2026-10-01T00:00:00+02:00"
    assert response["end"] == "2026-11-01T00:00:00+01:00"
    assert response["resolution"] == "hour"
    assert response["format"] == "csv"
    assert response["rows"] == 745
    assert response["totals"]["imported_kwh"] == 447.0


async def test_display_unit_changed_by_the_user(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    """An index shown in Wh (the user's choice) is recorded in Wh and exported in kWh."""
    freezer.move_to(QUARTER_START - timedelta(minutes=11))
    await _setup(hass)
    entity_registry.async_update_entity_options(
        PREFIX + "import_index_day", "sensor", {"unit_of_measurement": "Wh"}
    )
    await hass.async_block_till_done()
    for minute in range(-10, 16):
        at = QUARTER_START + timedelta(minutes=minute, seconds=30)
        await _publish(hass, freezer, at, **_quarter_fields(minute))
    freezer.move_to(QUARTER_START + timedelta(minutes=20))
    await async_wait_recording_done(hass)
    state = hass.states.get(PREFIX + "import_index_day")
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "Wh"
    response = await _export(
        hass, start="2026-03-02 10:00", end="2026-03-02 10:15", resolution="15_minutes"
    )
    [row] = _csv(response["path"])
    assert row["import_index_day_kwh"] == "1000.09"
    assert row["imported_kwh"] == "0.15"


async def test_missing_index_sensor(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    """Without its index sensors, a dongle has nothing to export."""
    freezer.move_to(local(2026, 3, 2, 12, 0))
    await _setup(hass)
    entity_registry.async_remove(PREFIX + "export_index_night")
    with pytest.raises(ServiceValidationError) as raised:
        await _export(hass, start="2026-03-01", end="2026-03-01")
    assert raised.value.translation_key == "no_sensors"


async def test_write_failure_leaves_no_file(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A full disk is reported, translated, and the half-written file is removed."""
    await _record_quarters(hass, freezer)
    with (
        patch(
            "custom_components.lowi_ores.export.recorder_job._write_file",
            side_effect=OSError(28, "No space left on device"),
        ),
        pytest.raises(ServiceValidationError) as raised,
    ):
        await _export(
            hass, start="2026-03-02 10:00", end="2026-03-02 10:30", resolution="15_minutes"
        )
    assert raised.value.translation_key == "write_failed"
    assert raised.value.translation_placeholders["error"] == "No space left on device"
    folder = Path(hass.config.path("lowi_ores", "exports"))
    assert list(folder.iterdir()) == []


async def test_without_the_recorder(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """The export needs the recorder; without it, the action says so."""
    freezer.move_to(local(2026, 3, 2, 12, 0))
    await _setup(hass)
    with pytest.raises(ServiceValidationError) as raised:
        await _export(hass)
    assert raised.value.translation_key == "recorder_not_available"


async def test_moments_given_as_objects(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A script may pass date and datetime objects; naive ones are local."""
    await _record_quarters(hass, freezer)
    response = await _export(
        hass,
        start=datetime(2026, 3, 2, 10, 0),  # naive: Brussels time
        end=local(2026, 3, 2, 10, 30),
        resolution="15_minutes",
    )
    assert response["start"] == "2026-03-02T10:00:00+01:00"
    assert response["rows"] == 2
    days = await _export(hass, start=date(2026, 3, 1), end=date(2026, 3, 1), resolution="day")
    assert days["rows"] == 1
    assert days["rows_without_data"] == 1


async def test_running_interval_and_open_periods(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A quarter still running says so; a start alone runs until now, an end alone from its month."""
    await _record_quarters(hass, freezer)
    freezer.move_to(QUARTER_START + timedelta(minutes=67))  # 11:07
    response = await _export(hass, start="2026-03-02 10:00", resolution="15_minutes")
    assert response["end"] == "2026-03-02T11:15:00+01:00"
    rows = _csv(response["path"])
    assert [row["data"] for row in rows] == [
        "complete",
        "complete",
        "missing",
        "missing",
        "in_progress",
    ]
    assert rows[-1]["imported_kwh"] == "0.1"  # what is recorded so far

    hass.config.internal_url = "http://homeassistant.local:8123"
    end_only = await _export(hass, end="2026-02-10", resolution="day")
    assert end_only["start"] == "2026-02-01T00:00:00+01:00"
    assert end_only["end"] == "2026-02-11T00:00:00+01:00"
    assert end_only["full_url"] == "http://homeassistant.local:8123" + end_only["url"]


@ALL_DATABASES
async def test_channel_columns(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A channel's index total as two columns: the index at each row's start, the energy used."""
    first_hour = await _with_statistics(hass, freezer)
    payload = '{"device_CH": "1", "CHname": "Heat pump", "CH": "7000000", "CL": "1000000"}'
    for _ in range(3):
        freezer.tick(10)
        async_fire_mqtt_message(hass, f"{IDENT}/PUB/CH1", payload)
        await hass.async_block_till_done()
    assert er.async_get(hass).async_get("sensor.heat_pump_index_total") is not None
    async_import_statistics(
        hass,
        counter_statistic("sensor.heat_pump_index_total", "energy", "kWh"),
        [
            {"start": first_hour + timedelta(hours=hour), "state": 8000 + 1.5 * (hour + 1),
             "sum": 1.5 * (hour + 1)}
            for hour in range(24 * 33)
        ],  # type: ignore[arg-type]
    )  # fmt: skip
    await async_wait_recording_done(hass)

    month = await _export(
        hass, start="2026-10-01", end="2026-10-31", resolution="month", channels=["CH1"]
    )
    assert month["totals"]["ch1_kwh"] == 1117.5  # 745 hours at 1.5 kWh
    [row] = _csv(month["path"])
    assert row["ch1_index_kwh"] == "8001.5"
    assert row["ch1_used_kwh"] == "1117.5"
    xlsx = await _export(
        hass, start="2026-10-01", end="2026-10-31", resolution="month", channels=[1], format="xlsx"
    )
    sheet = openpyxl.load_workbook(xlsx["path"]).worksheets[0]
    assert "CH1 index (kWh)" in [cell.value for cell in sheet[1]]
    without = await _export(hass, start="2026-10-01", end="2026-10-31", resolution="month")
    assert "ch1_index_kwh" not in _csv(without["path"])[0]
