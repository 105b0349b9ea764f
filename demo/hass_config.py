"""Write a Home Assistant configuration folder that starts ready to use: no onboarding, no UI steps.

Used by ``python -m demo`` (scripts/develop) and by the end-to-end test. Everything goes into
``.storage`` before Home Assistant's first start, as Home Assistant itself would have written it:
the MQTT entry pointing at a broker, the LoWi3 entry, a user (password and/or long-lived token),
the Energy dashboard's preferences and the finished onboarding.

Runs in the test environment (Home Assistant's own dependencies: bcrypt, PyJWT).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime
import json
from pathlib import Path
import re
import secrets
import shutil
from typing import Any, Final

from custom_components.lowi_ores.billing.periods import add_years
from demo.dashboard import text
from simulator import SimulationConfig

IDENT: Final = "3494546c709b"
REPO_ROOT: Final = Path(__file__).resolve().parent.parent
INTEGRATION: Final = REPO_ROOT / "custom_components" / "lowi_ores"

TIME_ZONE: Final = "Europe/Brussels"

# Everything the integration would ask HA for over the network, switched off: no default_config
# (cloud, analytics, zeroconf, ...), no multi-factor module (it would pip-install pyotp). The
# HTTP server's settings are not YAML any more: they go into .storage/http (see write_config).
#
# Home Assistant 2026 sets up every entity platform whatever configuration.yaml lists, camera
# and tts (which needs ffmpeg) among them: they cannot be left out. Their two start-up
# complaints about a missing ffmpeg program and libturbojpeg library (used only to stream
# cameras, convert speech and resize camera snapshots, none of which the demo or the test has)
# are filtered out of the log by the logger's documented `filters`, nothing else.
CORE_YAML: Final = """\
homeassistant:
  name: {name}
  latitude: 50.4674
  longitude: 4.8720
  elevation: 80
  unit_system: metric
  time_zone: {time_zone}
  currency: EUR
  country: BE
  language: {language}
  auth_mfa_modules: []

api:

recorder:
  db_url: "sqlite:///{config_dir}/home-assistant_v2.db"
  commit_interval: 1

logger:
  default: warning
  logs:
    custom_components.lowi_ores: info
  filters:
    haffmpeg.core:
      - "^FFmpeg fails .*No such file or directory: 'ffmpeg'"
    haffmpeg.tools:
      - "^Error starting FFmpeg"
    homeassistant.components.camera.img_util:
      - "^Error loading libturbojpeg"
"""


@dataclass(frozen=True, slots=True)
class Helper:
    """A component of the demo or of a test, made an integration only in a configuration folder.

    Its code is a plain module of the repository (`source`); the manifest is written here, at
    run time, so that the repository holds one integration only (hassfest and HACS check every
    folder with a manifest.json). As a "system" integration it is set up from
    configuration.yaml and never listed in "Add integration".
    """

    domain: str
    name: str
    source: Path
    dependencies: tuple[str, ...] = ()
    # Its platforms, if any: module name in the integration ("sensor") -> plain module.
    platforms: tuple[tuple[str, Path], ...] = ()

    def write(self, components: Path) -> Path:
        """Write the integration's folder into `components`; return it."""
        folder = components / self.domain
        folder.mkdir(parents=True)
        shutil.copyfile(self.source, folder / "__init__.py")
        for platform, source in self.platforms:
            shutil.copyfile(source, folder / f"{platform}.py")
        manifest = {
            "domain": self.domain,
            "name": self.name,
            "codeowners": [],
            "dependencies": list(self.dependencies),
            "documentation": "https://github.com/lowi-ores/lowi_ores",
            "integration_type": "system",
            "iot_class": "calculated",
            "requirements": [],
            "version": "0.0.0",
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
        return folder


def entity_id(key: str, ident: str = IDENT) -> str:
    """Return the entity id of one of the dongle's sensors (e.g. key "power_imported")."""
    return f"sensor.lowi3_{ident}_{key}"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _storage(key: str, data: Any, version: int = 1, minor_version: int = 1) -> dict[str, Any]:
    return {"version": version, "minor_version": minor_version, "key": key, "data": data}


def config_entry(
    domain: str,
    title: str,
    data: dict[str, Any],
    *,
    options: dict[str, Any] | None = None,
    unique_id: str | None = None,
    version: int = 1,
    minor_version: int = 1,
) -> dict[str, Any]:
    """Return a config entry as .storage/core.config_entries holds it."""
    return {
        "created_at": _now(),
        "data": data,
        "discovery_keys": {},
        "disabled_by": None,
        "domain": domain,
        "entry_id": secrets.token_hex(13).upper(),
        "minor_version": minor_version,
        "modified_at": _now(),
        "options": options or {},
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "subentries": [],
        "title": title,
        "unique_id": unique_id,
        "version": version,
    }


def mqtt_entry(host: str, port: int) -> dict[str, Any]:
    """Return Home Assistant's MQTT entry for an anonymous broker.

    MQTT discovery of other devices is off: on a shared broker, someone else's retained discovery
    messages would otherwise add their devices.
    """
    return config_entry(
        "mqtt",
        host,
        {"broker": host, "port": port, "protocol": "5"},
        options={"discovery": False},
        version=2,
        minor_version=1,
    )


def lowi_entry(ident: str = IDENT, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the LoWi3 entry of a dongle, as the config flow creates it."""
    return config_entry(
        "lowi_ores", f"LoWi3 {ident}", {"ident": ident}, options=options, unique_id=ident
    )


def wallonia_options(reading_date: date) -> dict[str, Any]:
    """Return a Walloon prosumer's billing options: net metering since reading_date.

    The bill's indexes are the simulator's at the start of the back-filled history.
    """
    meter = SimulationConfig(start=datetime(2000, 1, 1, tzinfo=UTC))
    return {
        "region": "wallonia",
        "net_metering": True,
        "reading_date": reading_date.isoformat(),
        "next_reading_date": add_years(reading_date, 1).isoformat(),
        "reading_import_day": meter.import_day_wh / 1000,
        "reading_import_night": meter.import_night_wh / 1000,
        "reading_export_day": meter.export_day_wh / 1000,
        "reading_export_night": meter.export_night_wh / 1000,
        "netting": "together",
        "billable_price": 0.32,
        "grid_operator": "ores",
        "inverter_kw": 5.0,
        "prosumer_rate": 80.98,
    }


def energy_preferences(
    ident: str = IDENT, language: str = "en", *, costs: bool = False
) -> dict[str, Any]:
    """Return the Energy dashboard's preferences.

    Without costs: a bi-hourly (day/night) contract, a grid entry per register. With costs: one
    grid entry on the total indexes whose cost and compensation are the integration's own
    totals (Import cost, Export revenue), as the demo's dynamic contract uses them.
    """

    def grid(imported: str, exported: str, **extra: Any) -> dict[str, Any]:
        return {
            "type": "grid",
            "stat_energy_from": entity_id(imported, ident),
            "stat_energy_to": entity_id(exported, ident),
            "stat_cost": None,
            "entity_energy_price": None,
            "number_energy_price": None,
            "stat_compensation": None,
            "entity_energy_price_export": None,
            "number_energy_price_export": None,
            "cost_adjustment_day": 0.0,
        } | extra

    def meter(kind: str, key: str) -> dict[str, Any]:
        return {
            "type": kind,
            "stat_energy_from": entity_id(key, ident),
            "stat_cost": None,
            "entity_energy_price": None,
            "number_energy_price": None,
        }

    if costs:
        grids = [
            grid(
                "import_index_total",
                "export_index_total",
                name=text("Grid", language),
                stat_rate=entity_id("net_power", ident),
                stat_cost=entity_id("import_cost", ident),
                stat_compensation=entity_id("export_revenue", ident),
            )
        ]
    else:
        grids = [
            grid(
                "import_index_day",
                "export_index_day",
                name=text("Day tariff", language),
                stat_rate=entity_id("net_power", ident),
            ),
            grid(
                "import_index_night",
                "export_index_night",
                name=text("Night tariff", language),
            ),
        ]
    return {
        "energy_sources": [*grids, meter("gas", "gas_index"), meter("water", "water_index")],
        "device_consumption": [],
        "device_consumption_water": [],
    }


def entity_registry(entry_id: str, ident: str = IDENT) -> list[dict[str, Any]]:
    """Return the LoWi3 sensors' entity registry entries, with their English entity ids.

    Home Assistant derives a new entity's id from its name in its own language: in French the
    imported power would be sensor.lowi3_<ident>_puissance_prelevee. Registered beforehand, the
    entities keep the ids that the dashboards, the Energy preferences and the back-filled
    statistics use, whatever the demo's language (the names shown are still translated).
    """
    from custom_components.lowi_ores.ledger.costs import (  # noqa: PLC0415 - imports HA
        SENSOR_KEYS as COSTS_KEYS,
    )
    from custom_components.lowi_ores.ledger.net_metering import (  # noqa: PLC0415 - imports HA
        BALANCE,
        BILLABLE,
        COST,
        PROJECTION,
        SURPLUS,
    )
    from custom_components.lowi_ores.sensor import SENSORS  # noqa: PLC0415 - imports HA

    names = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    entries = []
    # The demo's net-metering sensors (Wallonia, netted together, with a price).
    billing = [(key, key, True) for key in (BALANCE, BILLABLE, SURPLUS, PROJECTION, COST)]
    # The demo's dynamic contract (demo/__main__.py).
    billing += [(key, key, True) for key in COSTS_KEYS]
    for translation_key, unique_key, enabled in [
        *((d.translation_key, d.key, d.entity_registry_enabled_default) for d in SENSORS),
        *billing,
    ]:
        english = names["entity"]["sensor"][translation_key]["name"]
        key = re.sub(r"[^a-z0-9]+", "_", english.lower()).strip("_")
        entries.append(
            {
                "entity_id": entity_id(key, ident),
                "config_entry_id": entry_id,
                "platform": "lowi_ores",
                "unique_id": f"{ident}_{unique_key}",
                "disabled_by": None if enabled else "integration",
            }
        )
    # The simulator's two channels, as the LoWi3 dashboard shows them.
    entries.extend(
        {
            "entity_id": f"sensor.{device}_{key}",
            "config_entry_id": entry_id,
            "platform": "lowi_ores",
            "unique_id": f"{ident}_ch{number}_{key}",
            "disabled_by": None,
        }
        for number, device in ((1, "heat_pump"), (2, "solar_panels"))
        for key in ("power", "index_total")
    )
    return entries


@dataclass(frozen=True, slots=True)
class Login:
    """A Home Assistant user: a password login, and a long-lived access token for scripts."""

    username: str
    password: str
    access_token: str


def _auth(username: str, password: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Return .storage/auth, .storage/auth_provider.homeassistant and an access token."""
    import bcrypt  # noqa: PLC0415 - from the test environment, as Home Assistant's own
    import jwt  # noqa: PLC0415

    user_id = secrets.token_hex(16)
    token_id = secrets.token_hex(16)
    jwt_key = secrets.token_hex(64)
    ten_years = 10 * 365 * 86400
    issued = int(datetime.now(UTC).timestamp())
    access_token = jwt.encode(
        {"iss": token_id, "iat": issued, "exp": issued + ten_years}, jwt_key, algorithm="HS256"
    )
    credential_id = secrets.token_hex(16)
    auth = {
        "users": [
            {
                "id": user_id,
                "group_ids": ["system-admin"],
                "is_owner": True,
                "is_active": True,
                "name": username.capitalize(),
                "system_generated": False,
                "local_only": False,
            }
        ],
        "groups": [
            {"id": "system-admin", "name": "Administrators"},
            {"id": "system-users", "name": "Users"},
            {"id": "system-read-only", "name": "Read Only"},
        ],
        "credentials": [
            {
                "id": credential_id,
                "user_id": user_id,
                "auth_provider_type": "homeassistant",
                "auth_provider_id": None,
                "data": {"username": username},
            }
        ],
        "refresh_tokens": [
            {
                "id": token_id,
                "user_id": user_id,
                "client_id": None,
                "client_name": "lowi_ores scripts",
                "client_icon": None,
                "token_type": "long_lived_access_token",
                "created_at": _now(),
                "access_token_expiration": float(ten_years),
                "token": secrets.token_hex(64),
                "jwt_key": jwt_key,
                "last_used_at": None,
                "last_used_ip": None,
                "expire_at": None,
                "credential_id": None,
                "version": None,
            }
        ],
    }
    # bcrypt's cost 12 is Home Assistant's; a demo password needs no less.
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=12))
    provider = {"users": [{"username": username, "password": base64.b64encode(hashed).decode()}]}
    return auth, provider, access_token


def write_config(
    config_dir: Path,
    *,
    broker_host: str,
    broker_port: int,
    http_port: int,
    http_host: str = "127.0.0.1",
    ident: str = IDENT,
    lowi_options: dict[str, Any] | None = None,
    billing: dict[str, dict[str, Any]] | None = None,
    username: str = "demo",
    password: str = "demo-password",  # noqa: S107 - a documented demo login
    name: str = "LoWi3 demo",
    extra_yaml: str = "",
    energy: bool = True,
    energy_costs: bool = False,
    helpers: tuple[Helper, ...] = (),
    language: str = "en",
) -> Login:
    """Create a configuration folder from scratch; return the login it was given.

    `helpers` are the demo's or the test's own components, written next to the integration.
    `language` is Home Assistant's, and the demo user's in the frontend (else the browser's
    would be used). `billing`: the billing ledger's parts as its Store keeps them (by part).
    """
    if config_dir.exists():
        shutil.rmtree(config_dir)
    storage = config_dir / ".storage"
    storage.mkdir(parents=True)
    (config_dir / "configuration.yaml").write_text(
        CORE_YAML.format(name=name, config_dir=config_dir, time_zone=TIME_ZONE, language=language)
        + extra_yaml
    )
    components = config_dir / "custom_components"
    shutil.copytree(
        INTEGRATION, components / INTEGRATION.name, ignore=shutil.ignore_patterns("__pycache__")
    )
    for helper in helpers:
        helper.write(components)

    auth, provider, access_token = _auth(username, password)
    lowi = lowi_entry(ident, lowi_options)
    files: dict[str, dict[str, Any]] = {
        "core.config_entries": _storage(
            "core.config_entries",
            {"entries": [mqtt_entry(broker_host, broker_port), lowi]},
            minor_version=5,
        ),
        # At version 1.1: Home Assistant migrates it, filling in every later field.
        "core.entity_registry": _storage(
            "core.entity_registry", {"entities": entity_registry(lowi["entry_id"], ident)}
        ),
        "onboarding": _storage(
            "onboarding",
            {"done": ["user", "core_config", "analytics", "integration"]},
            version=4,
        ),
        # Stored as confirmed ("stable"): HTTP settings from YAML would be a trial that Home
        # Assistant asks to confirm, and reverts (restarting) after five minutes.
        "http": _storage(
            "http",
            {
                "stable": {
                    "server_host": [http_host],
                    "server_port": http_port,
                    "cors_allowed_origins": [],
                    "login_attempts_threshold": -1,
                    "ip_ban_enabled": False,
                    "ssl_profile": "modern",
                    "use_x_frame_options": True,
                    "created_at": _now(),
                    "error": None,
                    "error_message": None,
                },
                "pending": None,
                "yaml_migration_done": True,
            },
            version=2,
            minor_version=2,
        ),
        "auth": _storage("auth", auth),
        "auth_provider.homeassistant": _storage("auth_provider.homeassistant", provider),
    }
    if billing is not None:
        key = f"lowi_ores.{lowi['entry_id']}.billing"
        files[key] = _storage(key, {"parts": billing})
    user_data = f"frontend.user_data_{auth['users'][0]['id']}"
    files[user_data] = _storage(
        user_data,
        {
            "language": {
                "language": language,
                "number_format": "language",
                "time_format": "language",
                "date_format": "language",
                "time_zone": "local",
                "first_weekday": "language",
            }
        },
    )
    if energy:
        files["energy"] = _storage(
            "energy", energy_preferences(ident, language, costs=energy_costs), minor_version=3
        )
    for key, content in files.items():
        (storage / key).write_text(json.dumps(content, indent=2))
    return Login(username, password, access_token)
