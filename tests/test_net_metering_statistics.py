"""Tests of the net-metering part with the recorder: start indexes and last year's days."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
import io
import logging
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.lowi_ores.const import DOMAIN
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir

from .conftest import IDENT, Dongle, counter_statistic, make_payload
from .test_net_metering import BILL, _entry, _setup, _state, _value

pytestmark = pytest.mark.usefixtures("mqtt_mock")


@pytest.fixture
def mock_recorder_before_hass(recorder_db_url: str) -> None:
    """Prepare the recorder's database before hass is created (the recorder_mock rule)."""


def _register_index_sensors(hass: HomeAssistant) -> dict[str, str]:
    registry = er.async_get(hass)
    return {
        register: registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{IDENT}_{register.replace('_', '_index_')}",
            suggested_object_id=f"lowi3_{IDENT}_{register.replace('_', '_index_')}",
        ).entity_id
        for register in ("import_day", "import_night", "export_day", "export_night")
    }


def _import_rows(
    hass: HomeAssistant, ids: dict[str, str], rows: dict[str, list[dict[str, Any]]]
) -> None:
    for register, entity_id in ids.items():
        async_import_statistics(
            hass,
            counter_statistic(entity_id, "energy", "kWh"),
            rows[register],  # type: ignore[arg-type]
        )


async def test_start_and_projection_from_statistics(
    recorder_mock: Recorder, hass: HomeAssistant, dongle: Dongle, freezer: FrozenDateTimeFactory
) -> None:
    """The recorder's statistics give the start indexes and last year's same days."""
    freezer.move_to("2026-09-13T22:00:00+00:00")
    ids = _register_index_sensors(hass)
    at_reading = datetime(2026, 3, 13, 22, tzinfo=UTC)  # the hour before midnight in Brussels
    a_year_ago = datetime(2025, 9, 13, 21, tzinfo=UTC)  # the hour before now, a year earlier
    states = {"import_day": 1100, "import_night": 2100, "export_day": 3100, "export_night": 420}
    sums = {"import_day": 800, "import_night": 900, "export_day": 600, "export_night": 100}
    _import_rows(
        hass,
        ids,
        {
            key: [
                {"start": a_year_ago, "state": 0.0, "sum": 0.0},
                {"start": a_year_ago + timedelta(hours=1), "state": 0.0, "sum": 0.0},
                {"start": at_reading, "state": float(states[key]), "sum": float(sums[key])},
            ]
            for key in ids
        },
    )
    await async_wait_recording_done(hass)
    options = {k: v for k, v in BILL.items() if not k.startswith("reading_") or k == "reading_date"}
    entry = _entry(options)
    await _setup(hass, entry)
    await dongle.send_confirmed(make_payload())
    balance = _state(hass, "net_metering_balance")
    assert balance is not None
    assert balance.attributes["origin"] == "statistics"
    # (134.567 + 245.678) - (356.789 + 36.789)
    assert balance.state == "-13.333"
    projection = _state(hass, "net_metering_projection")
    assert projection is not None
    assert projection.attributes["method"] == "history"
    # Last year's same days: (800 - 600) + (900 - 100) kWh.
    assert projection.state == "986.7"
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"net_metering_partial_{entry.entry_id}") is None
    )
    # The hourly refresh reads the next hour a year earlier: nothing was used in it then.
    await dongle.wait(3600)
    assert _value(hass, "net_metering_projection") == "986.7"
    # Another hour: the statistics of a year ago stop; the seasonal model takes over.
    await dongle.wait(3600)
    projection = _state(hass, "net_metering_projection")
    assert projection is not None
    assert projection.attributes["method"] == "seasonal"


async def test_export_has_the_balance_column(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    dongle: Dongle,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """With net metering on, each export row carries the balance since the reading date."""
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    await hass.config.async_set_time_zone("Europe/Brussels")
    hass.config.config_dir = str(tmp_path)
    freezer.move_to("2026-03-16T12:00:00+00:00")
    ids = _register_index_sensors(hass)
    first = datetime(2026, 3, 13, 22, tzinfo=UTC)  # the hour before 14 March in Brussels
    rates = {"import_day": 0.5, "import_night": 0.25, "export_day": 1.0, "export_night": 0.0}
    starts = {"import_day": 1000.0, "import_night": 2000.0, "export_day": 3000.0}
    starts["export_night"] = 400.0
    _import_rows(
        hass,
        ids,
        {
            key: [
                {
                    "start": first + timedelta(hours=hour),
                    "state": starts[key] + rates[key] * hour,
                    "sum": rates[key] * hour,
                }
                for hour in range(49)
            ]
            for key in ids
        },
    )
    await async_wait_recording_done(hass)
    await _setup(hass, _entry(BILL))
    response = await hass.services.async_call(
        DOMAIN,
        "export",
        {"start": "2026-03-13", "end": "2026-03-15", "resolution": "day"},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    rows = list(csv.DictReader(io.StringIO(Path(str(response["path"])).read_text())))
    # Before the reading date: no balance; then 24 h x (0.5 + 0.25 - 1.0) kWh a day.
    assert [row["net_metering_balance_kwh"] for row in rows] == ["", "-6.0", "-12.0"]

    # For Excel in Belgium, in French: the column's header is translated.
    hass.config.language = "fr"
    response = await hass.services.async_call(
        DOMAIN,
        "export",
        {
            "start": "2026-03-14",
            "end": "2026-03-15",
            "resolution": "day",
            "format": "csv_semicolon",
        },
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    lines = Path(str(response["path"])).read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(";")
    column = header.index("Solde de compensation depuis le relevé (kWh)")
    assert [line.split(";")[column] for line in lines[1:]] == ["-6,000", "-12,000"]
    hass.config.language = "en"

    # Without net metering, no such column.
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    hass.config_entries.async_update_entry(entry, options={})
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    response = await hass.services.async_call(
        DOMAIN,
        "export",
        {"start": "2026-03-13", "end": "2026-03-15", "resolution": "day"},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    header = Path(str(response["path"])).read_text().splitlines()[0]
    assert "net_metering_balance" not in header
