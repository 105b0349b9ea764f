"""The demo's own pieces (scripts/develop): history from midnight, languages, helper components."""

from __future__ import annotations

from datetime import UTC, datetime
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from demo.__main__ import HISTORY_LOADER, parse_args
from demo.dashboard import LANGUAGES, TEXTS, translate, write_dashboard
from demo.hass_config import (
    IDENT,
    TIME_ZONE,
    Helper,
    entity_id,
    entity_registry,
    write_config,
)
from demo.history import backfill, first_midnight

BRUSSELS = ZoneInfo(TIME_ZONE)
DASHBOARD = Path(__file__).parent.parent / "demo" / "config" / "dashboards" / "lowi3.yaml"


@pytest.mark.parametrize(
    ("now", "days", "expected"),
    [
        # Winter (UTC+1): midnight in Brussels is 23:00 UTC the day before.
        (datetime(2026, 11, 29, 5, 57, tzinfo=UTC), 7, datetime(2026, 11, 21, 23, 0, tzinfo=UTC)),
        # Summer (UTC+2), and a first day before the change to winter time.
        (datetime(2026, 10, 27, 12, 0, tzinfo=UTC), 3, datetime(2026, 10, 23, 22, 0, tzinfo=UTC)),
        # 00:30 in Brussels is still the same local day, although UTC says the day before.
        (datetime(2026, 11, 28, 23, 30, tzinfo=UTC), 1, datetime(2026, 11, 27, 23, 0, tzinfo=UTC)),
    ],
)
def test_first_midnight(now: datetime, days: int, expected: datetime) -> None:
    """The history starts at the local midnight of the first day."""
    assert first_midnight(now, days, BRUSSELS) == expected
    assert expected.astimezone(BRUSSELS).time().hour == 0


def test_backfill_starts_at_local_midnight() -> None:
    """The first hourly row of every statistic starts at local midnight."""
    now = datetime(2026, 11, 29, 5, 57, tzinfo=UTC)
    history = backfill(lambda key: entity_id(key, IDENT), seed=3, days=1, zone=BRUSSELS, now=now)
    for statistic in history.statistics:
        first = datetime.fromisoformat(statistic["hourly"][0]["start"])
        assert first == datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
        assert first.astimezone(BRUSSELS).hour == 0
    assert history.end == datetime(2026, 11, 29, 5, 55, tzinfo=UTC)


def _texts(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {
            value
            for key, value in node.items()
            if key in {"title", "heading", "name"} and isinstance(value, str)
        }
        return found.union(*(_texts(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_texts(item) for item in node))
    return set()


@pytest.mark.parametrize("language", ["fr", "nl", "de"])
def test_dashboard_translated(language: str, tmp_path: Path) -> None:
    """Every title, heading and card name of the dashboard has its translation."""
    english = yaml.safe_load(DASHBOARD.read_text(encoding="utf-8"))
    assert _texts(english) <= set(TEXTS)
    write_dashboard(DASHBOARD, tmp_path / "lowi3.yaml", language)
    translated = yaml.safe_load((tmp_path / "lowi3.yaml").read_text(encoding="utf-8"))
    assert translated == translate(english, language)
    assert "Meter indexes" not in _texts(translated)
    # Only the texts changed: the same entities, in the same places.
    assert json.dumps(translated).count("sensor.") == json.dumps(english).count("sensor.")


def test_dashboard_in_english_is_the_file(tmp_path: Path) -> None:
    """English (the default) copies the dashboard as it is, comments included."""
    write_dashboard(DASHBOARD, tmp_path / "lowi3.yaml", "en")
    assert (tmp_path / "lowi3.yaml").read_text() == DASHBOARD.read_text()


def test_language_option() -> None:
    """--language takes the integration's four languages; English by default."""
    assert parse_args([]).language == "en"
    assert parse_args(["--language", "nl"]).language == "nl"
    assert LANGUAGES == ("en", "fr", "nl", "de")
    with pytest.raises(SystemExit):
        parse_args(["--language", "es"])


def test_write_config_language_and_helper(tmp_path: Path) -> None:
    """The language reaches the core configuration, the user's frontend and the Energy names;
    the demo's helper becomes a system integration in the configuration folder only."""
    config = tmp_path / "config"
    write_config(
        config,
        broker_host="127.0.0.1",
        broker_port=1883,
        http_port=8123,
        helpers=(HISTORY_LOADER,),
        language="fr",
    )
    core = yaml.safe_load((config / "configuration.yaml").read_text())
    assert core["homeassistant"]["language"] == "fr"
    storage = config / ".storage"
    user_data = next(storage.glob("frontend.user_data_*"))
    assert json.loads(user_data.read_text())["data"]["language"]["language"] == "fr"
    energy = json.loads((storage / "energy").read_text())["data"]["energy_sources"]
    assert [source.get("name") for source in energy[:2]] == ["Tarif jour", "Tarif nuit"]

    helper = config / "custom_components" / HISTORY_LOADER.domain
    manifest = json.loads((helper / "manifest.json").read_text())
    assert manifest["integration_type"] == "system"  # never listed in "Add integration"
    assert manifest["domain"] == "lowi_demo_history"
    assert manifest["dependencies"] == ["recorder"]
    assert (helper / "__init__.py").read_text() == HISTORY_LOADER.source.read_text()
    assert (config / "custom_components" / "lowi_ores" / "manifest.json").is_file()


def test_helper_written_only_where_asked(tmp_path: Path) -> None:
    """A helper's folder is created at run time; its source is a plain module."""
    helper = Helper(domain="probe", name="Probe", source=HISTORY_LOADER.source)
    folder = helper.write(tmp_path)
    assert sorted(path.name for path in folder.iterdir()) == ["__init__.py", "manifest.json"]
    assert not (HISTORY_LOADER.source.parent / "manifest.json").exists()


def test_entity_registry_keeps_english_ids() -> None:
    """Registered beforehand, the sensors keep the entity ids the dashboards use, in any language;
    the ones disabled by default stay disabled."""
    entries = {entry["entity_id"]: entry for entry in entity_registry("ENTRY", IDENT)}
    for key in ("power_imported", "power_exported", "net_power", "import_index_day", "tariff"):
        assert entity_id(key, IDENT) in entries
    imported = entries[entity_id("power_imported", IDENT)]
    assert imported["unique_id"] == f"{IDENT}_import_power"
    assert imported["config_entry_id"] == "ENTRY"
    assert imported["disabled_by"] is None
    assert entries[entity_id("voltage", IDENT)]["disabled_by"] == "integration"
    assert len({entry["unique_id"] for entry in entries.values()}) == len(entries)
    # The simulator's channels, which the LoWi3 dashboard shows.
    assert entries["sensor.heat_pump_power"]["unique_id"] == f"{IDENT}_ch1_power"
    assert entries["sensor.solar_panels_index_total"]["unique_id"] == f"{IDENT}_ch2_index_total"


def test_backfill_keeps_the_capacity_peaks_of_the_car_evenings(tmp_path: Path) -> None:
    """With the car, the past days' quarter-hours give month peaks; the Store gets them."""
    now = datetime(2026, 11, 29, 5, 57, tzinfo=UTC)
    history = backfill(
        lambda key: entity_id(key, IDENT), seed=3, days=3, zone=BRUSSELS, now=now, ev_w=7400
    )
    peak = history.capacity["peaks"]["2026-11-01"]
    assert 7 < peak["power"] < 15  # the car, and more
    start = datetime.fromtimestamp(peak["start"], BRUSSELS)
    assert start.minute % 15 == 0
    assert 16 <= start.hour <= 23  # an evening
    assert history.simulator_arguments()[-2:] == ["--ev", "7400"]
    plain = backfill(lambda key: entity_id(key, IDENT), seed=3, days=3, zone=BRUSSELS, now=now)
    assert "--ev" not in plain.simulator_arguments()
    assert plain.capacity["peaks"]["2026-11-01"]["power"] < peak["power"]

    config = tmp_path / "config"
    write_config(
        config,
        broker_host="127.0.0.1",
        broker_port=1883,
        http_port=8123,
        lowi_options={"region": "flanders", "capacity_tariff": True},
        billing={"capacity": history.capacity},
    )
    stored = json.loads(next((config / ".storage").glob("lowi_ores.*.billing")).read_text())
    assert stored["data"]["parts"]["capacity"] == json.loads(json.dumps(history.capacity))
