"""Checks that hassfest and the HACS action would make, and translation completeness.

The GitHub workflows run the real validators upstream; they cannot run here, so the keys they
require are checked in the test suite.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest

from custom_components.lowi_ores.const import DOMAIN, TARIFF_CODE_MAPS
from custom_components.lowi_ores.sensor import SENSORS
from homeassistant.const import __version__ as ha_version

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN
LANGUAGES = ("en", "fr", "nl", "de")


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _flatten(data: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(data, dict):
        flat: dict[str, str] = {}
        for key, value in data.items():
            flat |= _flatten(value, f"{prefix}{key}.")
        return flat
    return {prefix.rstrip("."): data}


def test_manifest_has_what_hassfest_and_hacs_require() -> None:
    """Keys, types and values of a custom integration's manifest."""
    manifest = _json(INTEGRATION / "manifest.json")
    required = {
        "domain", "name", "codeowners", "documentation", "issue_tracker", "version",
        "config_flow", "dependencies", "iot_class", "integration_type", "requirements",
    }  # fmt: skip
    assert required <= set(manifest)
    allowed = required | {"mqtt", "loggers", "after_dependencies", "single_config_entry"}
    assert set(manifest) <= allowed
    assert manifest["domain"] == DOMAIN
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] == "local_push"
    assert manifest["integration_type"] == "device"
    assert "mqtt" in manifest["dependencies"]
    assert manifest["mqtt"] == ["+/PUB/CH0"]
    assert all(owner.startswith("@") for owner in manifest["codeowners"])
    assert manifest["documentation"].startswith("https://")
    # hassfest wants the keys sorted: domain and name first, then alphabetical.
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_hacs_json() -> None:
    """hacs.json has the HACS keys, and the minimum HA version is the one tests run on."""
    hacs = _json(ROOT / "hacs.json")
    assert set(hacs) <= {
        "name", "content_in_root", "zip_release", "filename", "hide_default_branch",
        "country", "homeassistant", "hacs", "render_readme", "persistent_directory",
    }  # fmt: skip
    assert hacs["name"]
    assert hacs["content_in_root"] is False
    assert hacs["country"] == ["BE"]
    minimum = tuple(int(part) for part in hacs["homeassistant"].split(".")[:2])
    running = tuple(int(part) for part in ha_version.split(".")[:2])
    assert minimum <= running


def test_english_translation_is_strings_json() -> None:
    """translations/en.json is what strings.json says."""
    assert _json(INTEGRATION / "strings.json") == _json(INTEGRATION / "translations" / "en.json")


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_complete(language: str) -> None:
    """Every text exists in every language, with the same placeholders."""
    source = _flatten(_json(INTEGRATION / "strings.json"))
    translated = _flatten(_json(INTEGRATION / "translations" / f"{language}.json"))
    assert set(translated) == set(source)
    for key, text in source.items():
        assert translated[key].strip(), key
        assert set(re.findall(r"\{\w+\}", translated[key])) == set(re.findall(r"\{\w+\}", text)), (
            key
        )


def test_every_key_the_code_uses_is_translated() -> None:
    """Entity names and states, flow errors and aborts, selector options."""
    strings = _json(INTEGRATION / "strings.json")
    sensors = strings["entity"]["sensor"]
    for description in SENSORS:
        assert description.translation_key in sensors
        for option in description.options or []:
            assert option in sensors[description.translation_key]["state"]
    flow_code = (INTEGRATION / "config_flow.py").read_text()
    for reason in re.findall(r'reason="(\w+)"', flow_code):
        assert reason in strings["config"]["abort"]
    for error in re.findall(
        r'"(?:base|ident|' + "|".join(["CONF_IDENT"]) + r')": "(\w+)"', flow_code
    ):
        assert error in strings["config"]["error"]
    for error in re.findall(r'errors\[CONF_IDENT\] = "(\w+)"', flow_code):
        assert error in strings["config"]["error"]
    assert set(strings["selector"]["tariff_codes"]["options"]) == set(TARIFF_CODE_MAPS)
    init_code = (INTEGRATION / "__init__.py").read_text()
    for key in re.findall(r'translation_key="(\w+)"', init_code):
        assert key in strings["exceptions"]


def test_icons_cover_the_entities() -> None:
    """Every entity without a device-class icon has one in icons.json."""
    icons = _json(INTEGRATION / "icons.json")["entity"]["sensor"]
    for description in SENSORS:
        if description.device_class is None or description.key in {"tariff", "current_scale"}:
            assert description.translation_key in icons
