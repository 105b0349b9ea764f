"""What hassfest and the HACS action check on a custom integration, checked offline.

The GitHub workflow (.github/workflows/validate.yml) runs the real validators, which need the
network; these tests check the same rules in the test command, written from the rules that
hassfest (home-assistant/core, script/hassfest: manifest, translations, services, config_flow,
config_schema) and HACS (hacs.json, the integration's manifest, license, brands) apply:

- the repository holds exactly one integration (hassfest's action visits every folder with a
  manifest.json), with a manifest in hassfest's key order and with HACS's required keys;
- hacs.json has only the keys HACS knows; there is an open source LICENSE;
- the brand images Home Assistant serves from the integration's brand folder, at their sizes;
- every action registered in code has its services.yaml entry and its texts;
- every translation key the code uses exists, in every language, with the placeholders the code
  fills, and no text holds what the frontend would read as an HTML tag.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import json
from pathlib import Path
import re
import string
from typing import Any

from awesomeversion import AwesomeVersion
from PIL import Image
import pytest
import yaml

from custom_components.lowi_ores.const import DOMAIN, READING_INDEXES, TARIFF_CODE_MAPS
from custom_components.lowi_ores.ledger.parts import (
    LEDGER_BINARY_SENSOR_KEYS,
    LEDGER_SENSOR_KEYS,
)
from custom_components.lowi_ores.sensor import SENSORS
from homeassistant import components as ha_components
from homeassistant.const import __version__ as ha_version

from .conftest import flatten_texts

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN
LANGUAGES = ("en", "fr", "nl", "de")
SKIPPED_FOLDERS = {
    ".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis",
    "node_modules", ".venv", "venv",
}  # fmt: skip
CORE_COMPONENTS = Path(ha_components.__path__[0])

# hassfest's manifest schema for a custom integration (the keys it knows).
MANIFEST_KEYS = {
    "domain", "name", "after_dependencies", "bluetooth", "codeowners", "config_flow",
    "dependencies", "dhcp", "disabled", "documentation", "homekit", "import_executor",
    "integration_type", "iot_class", "issue_tracker", "loggers", "mqtt", "quality_scale",
    "requirements", "single_config_entry", "ssdp", "usb", "version", "zeroconf",
}  # fmt: skip
IOT_CLASSES = {
    "assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling", "local_push",
}  # fmt: skip
INTEGRATION_TYPES = {
    "device", "entity", "hardware", "helper", "hub", "service", "system", "virtual",
}  # fmt: skip
# HACS's hacs.json schema: these keys only, "name" required.
HACS_KEYS: dict[str, type] = {
    "name": str, "content_in_root": bool, "country": list, "filename": str, "hacs": str,
    "hide_default_branch": bool, "homeassistant": str, "persistent_directory": str,
    "render_readme": bool, "zip_release": bool,
}  # fmt: skip
# Home Assistant's brand images: name -> (1x width, 1x height) rule, see test_brand_images.
BRAND_FILES = [
    f"{theme}{kind}{scale}.png"
    for theme in ("", "dark_")
    for kind in ("icon", "logo")
    for scale in ("", "@2x")
]
# A translation key (hassfest): lower case, digits, - and _, not at either end nor doubled.
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
# What the frontend's message parser reads as the start of a tag: "<" then a letter, "/" or "!".
HTML_LIKE = re.compile(r"<[A-Za-z/!]")
URL = re.compile(
    r"((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5)://|www\.)[a-z0-9]+([.-][a-z0-9]+)*"
    r"\.[a-z]{2,5}",
    re.IGNORECASE,
)


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def _repository_files(name: str) -> list[Path]:
    return [
        path
        for path in ROOT.rglob(name)
        if not SKIPPED_FOLDERS.intersection(path.relative_to(ROOT).parts)
    ]


STRINGS: dict[str, Any] = _json(INTEGRATION / "strings.json")
TRANSLATIONS: dict[str, dict[str, Any]] = {
    language: _json(INTEGRATION / "translations" / f"{language}.json") for language in LANGUAGES
}
MANIFEST: dict[str, Any] = _json(INTEGRATION / "manifest.json")


# --- The repository: one integration, HACS's files -------------------------------------------


def test_one_manifest_in_the_repository() -> None:
    """hassfest's action checks every folder with a manifest.json: only ours may have one."""
    assert _repository_files("manifest.json") == [INTEGRATION / "manifest.json"]
    assert sorted(path.name for path in (ROOT / "custom_components").iterdir()) == [DOMAIN]


def test_manifest_keys_and_order() -> None:
    """hassfest's schema and sorting for a custom integration, HACS's required keys."""
    keys = list(MANIFEST)
    assert set(keys) <= MANIFEST_KEYS
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    # hassfest requires these of a custom integration, HACS the last two.
    required = {"domain", "name", "codeowners", "documentation", "iot_class", "version"}
    assert required | {"issue_tracker"} <= set(keys)
    assert MANIFEST["domain"] == INTEGRATION.name == DOMAIN
    assert not (CORE_COMPONENTS / DOMAIN).exists(), "the domain collides with a core one"
    assert MANIFEST["iot_class"] in IOT_CLASSES
    assert MANIFEST["integration_type"] in INTEGRATION_TYPES
    assert AwesomeVersion(MANIFEST["version"]).valid
    assert re.fullmatch(r"\d+\.\d+\.\d+", MANIFEST["version"])
    for key in ("documentation", "issue_tracker"):
        assert re.fullmatch(r"https://[\w.-]+\.[a-z]{2,}(/\S*)?", MANIFEST[key]), key
    assert MANIFEST["codeowners"]
    assert all(re.fullmatch(r"@[\w-]+(/[\w-]+)?", owner) for owner in MANIFEST["codeowners"])
    assert all(re.fullmatch(r"[\w.-]+==[\w.]+", req) for req in MANIFEST["requirements"])


def test_manifest_matches_the_code() -> None:
    """config_flow, dependencies and the MQTT discovery match what the integration does."""
    assert MANIFEST["config_flow"] is (INTEGRATION / "config_flow.py").is_file()
    for dependency in MANIFEST["dependencies"] + MANIFEST.get("after_dependencies", []):
        assert (CORE_COMPONENTS / dependency / "manifest.json").is_file(), dependency
    assert "mqtt" in MANIFEST["dependencies"]
    assert MANIFEST["mqtt"] == ["+/PUB/CH0"]
    assert MANIFEST["iot_class"] == "local_push"
    assert MANIFEST["integration_type"] == "device"
    # hassfest's config_schema check: async_setup with a config flow needs a CONFIG_SCHEMA.
    init = ast.parse((INTEGRATION / "__init__.py").read_text(encoding="utf-8"))
    names = {
        target.id
        for node in init.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    functions = {node.name for node in init.body if isinstance(node, ast.AsyncFunctionDef)}
    if "async_setup" in functions:
        assert "CONFIG_SCHEMA" in names


def test_hacs_json() -> None:
    """hacs.json: only HACS's keys, with their types; a minimum HA version the tests run on."""
    hacs = _json(ROOT / "hacs.json")
    assert "name" in hacs
    for key, value in hacs.items():
        assert key in HACS_KEYS, key
        assert isinstance(value, HACS_KEYS[key]), key
    assert hacs["content_in_root"] is False
    assert all(re.fullmatch(r"[A-Z]{2}", country) for country in hacs["country"])
    assert hacs["country"] == ["BE"]
    assert not hacs.get("zip_release") or hacs.get("filename")
    minimum = AwesomeVersion(hacs["homeassistant"])
    assert minimum.valid
    assert minimum <= AwesomeVersion(ha_version)


def test_license() -> None:
    """HACS wants an open source license GitHub recognises; the README names it."""
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert re.search(r"Copyright \(c\) 20\d\d ", text)
    assert "Permission is hereby granted, free of charge" in text
    assert "[LICENSE](LICENSE)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_no_ignored_checks() -> None:
    """The HACS action runs every check: no `ignore` in the workflow."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "validate.yml").read_text())
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            assert "ignore" not in step.get("with", {}), step


# --- Brand images -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", BRAND_FILES)
def test_brand_images(name: str) -> None:
    """The images Home Assistant serves from brand/: PNG, sizes, transparent, trimmed."""
    with Image.open(INTEGRATION / "brand" / name) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        width, height = image.size
        alpha = image.getchannel("A")
        double = "@2x" in name
        if "icon" in name:
            assert image.size == ((512, 512) if double else (256, 256))
        else:
            low, high = (256, 512) if double else (128, 256)
            assert low <= min(width, height) <= high
        # Transparent background (some pixels see through), trimmed (content to every edge).
        assert alpha.getextrema()[0] == 0
        assert alpha.getbbox() == (0, 0, width, height)


def test_brand_2x_is_twice_the_1x() -> None:
    """Each @2x image is the same drawing at twice the size (within a pixel of rounding)."""
    for name in BRAND_FILES:
        if "@2x" not in name:
            continue
        with (
            Image.open(INTEGRATION / "brand" / name) as double,
            Image.open(INTEGRATION / "brand" / name.replace("@2x", "")) as single,
        ):
            assert abs(double.width - 2 * single.width) <= 2, name
            assert double.height == 2 * single.height, name


# --- Translations: files, text rules ----------------------------------------------------------


def test_english_translation_is_strings_json() -> None:
    """translations/en.json is what strings.json says."""
    assert TRANSLATIONS["en"] == STRINGS


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_complete(language: str) -> None:
    """Every language has exactly the keys of strings.json, with the same placeholders."""
    source = flatten_texts(STRINGS)
    translated = flatten_texts(TRANSLATIONS[language])
    assert set(translated) == set(source)
    for key, text in source.items():
        assert translated[key].strip(), key
        assert _placeholders(translated[key]) == _placeholders(text), key


def _problems(text: str) -> Iterator[str]:
    """Yield what hassfest or the frontend's message parser would refuse in a text."""
    if HTML_LIKE.search(text):
        yield "HTML-like tag"
    if text != text.strip():
        yield "leading or trailing space"
    if URL.search(text):
        yield "URL (use a placeholder)"
    if re.search(r"'[{}<>]", text):
        yield "quote before a brace or angle bracket (ICU escape)"
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth not in (0, 1):
            yield "unbalanced or nested braces"
            return
    if depth:
        yield "unbalanced braces"
        return
    for field in re.findall(r"\{([^{}]*)\}", text):
        if not field.isidentifier():
            yield f"placeholder {{{field}}} is not an identifier"


@pytest.mark.parametrize("language", ["strings", *LANGUAGES])
def test_translation_texts(language: str) -> None:
    """No HTML-like tag, URL, stray space or broken placeholder in any text of any language."""
    strings = STRINGS if language == "strings" else TRANSLATIONS[language]
    problems = {key: list(_problems(text)) for key, text in flatten_texts(strings).items()}
    assert not {key: found for key, found in problems.items() if found}


def test_problems_are_found() -> None:
    """The text rules catch what broke the setup dialog, and accept ordinary text."""
    assert list(_problems("on the topic `<ident>/PUB/CH0`")) == ["HTML-like tag"]
    assert list(_problems("see </b>")) == ["HTML-like tag"]
    assert list(_problems("see https://example.com/x")) == ["URL (use a placeholder)"]
    assert list(_problems("a '{value}'")) == ["quote before a brace or angle bracket (ICU escape)"]
    assert list(_problems("{a {b}}")) == ["unbalanced or nested braces"]
    assert list(_problems("{a-b} ")) == [
        "leading or trailing space",
        "placeholder {a-b} is not an identifier",
    ]
    assert not list(_problems("1 < 2, the meter's {value} in www (a folder)"))


def test_translation_structure() -> None:
    """Keys hassfest wants as slugs; data descriptions of existing fields; plain state names."""
    for section in ("config", "options"):
        for step_id, step in STRINGS[section]["step"].items():
            assert set(step.get("data_description", {})) <= set(step.get("data", {})), step_id
    for platform in STRINGS["entity"].values():
        for key, entity in platform.items():
            assert TRANSLATION_KEY.match(key), key
            for state, text in entity.get("state", {}).items():
                assert TRANSLATION_KEY.match(state), state
                assert not _placeholders(text), (key, state)
    for selector in STRINGS["selector"].values():
        assert all(TRANSLATION_KEY.match(option) for option in selector["options"])
    for service in STRINGS["services"].values():
        assert all(TRANSLATION_KEY.match(field) for field in service.get("fields", {}))
    for key in [*STRINGS["exceptions"], *STRINGS["issues"]]:
        assert TRANSLATION_KEY.match(key), key


# --- What the code uses -----------------------------------------------------------------------


def _modules() -> dict[str, ast.Module]:
    return {
        str(path.relative_to(INTEGRATION)): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(INTEGRATION.rglob("*.py"))
    }


def _constants() -> dict[str, str]:
    """Module-level string constants of the integration (SERVICE_EXPORT = "export", ...)."""
    constants: dict[str, str] = {}
    for module in _modules().values():
        for node in module.body:
            target = value = None
            if isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            if (
                isinstance(target, ast.Name)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                constants[target.id] = value.value
    return constants


def _strings(node: ast.expr | None, constants: dict[str, str]) -> list[str]:
    """The texts an expression can be: a literal, a constant, either branch of an `if`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and node.id in constants:
        return [constants[node.id]]
    if isinstance(node, ast.IfExp):
        return _strings(node.body, constants) + _strings(node.orelse, constants)
    return []


def _pattern(node: ast.expr | None, constants: dict[str, str]) -> re.Pattern[str] | None:
    """A key written as an f-string (f"current_scale_{estimate}"): the keys it can be."""
    if isinstance(node, ast.JoinedStr):
        parts = [
            re.escape(value.value) if isinstance(value, ast.Constant) else "[a-z0-9_]+"
            for value in node.values
        ]
        return re.compile("".join(parts))
    if texts := _strings(node, constants):
        return re.compile("|".join(re.escape(text) for text in texts))
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _dict_keys(node: ast.expr | None) -> set[str] | None:
    """The keys of a dict literal; None when they cannot be told from the code."""
    if node is None:
        return set()
    if isinstance(node, ast.Dict) and all(isinstance(key, ast.Constant) for key in node.keys):
        return {key.value for key in node.keys if isinstance(key, ast.Constant)}
    return None


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _translated_calls() -> Iterator[tuple[str, re.Pattern[str], set[str] | None]]:
    """Yield (kind, key pattern, placeholders given) for every translated exception and issue.

    A call with translation_key is an issue when it creates one, else an exception. A function
    that passes its first parameter as translation_key and its **keywords as the placeholders
    (a factory of exceptions) is followed to its callers.
    """
    constants = _constants()
    factories: dict[str, str] = {}
    for module in _modules().values():
        for function in ast.walk(module):
            if not isinstance(function, ast.FunctionDef) or not function.args.args:
                continue
            first = function.args.args[0].arg
            kwargs = function.args.kwarg.arg if function.args.kwarg else None
            for call in ast.walk(function):
                if not isinstance(call, ast.Call):
                    continue
                key = _keyword(call, "translation_key")
                placeholders = _keyword(call, "translation_placeholders")
                if (
                    isinstance(key, ast.Name)
                    and key.id == first
                    and isinstance(placeholders, ast.Name)
                    and placeholders.id == kwargs
                ):
                    factories[function.name] = "issues" if "issue" in _call_name(call) else "exc"
    for module in _modules().values():
        for call in ast.walk(module):
            if not isinstance(call, ast.Call):
                continue
            name = _call_name(call)
            if name in factories and call.args:
                pattern = _pattern(call.args[0], constants)
                assert pattern is not None, ast.unparse(call)
                given = {kw.arg for kw in call.keywords if kw.arg}
                yield ("exceptions" if factories[name] == "exc" else "issues", pattern, given)
                continue
            if _keyword(call, "translation_domain") is None and "issue" not in name:
                continue  # entity descriptions and selectors: checked from their objects
            key = _keyword(call, "translation_key")
            if key is None or (pattern := _pattern(key, constants)) is None:
                continue
            placeholders = _dict_keys(_keyword(call, "translation_placeholders"))
            yield ("issues" if "issue" in name else "exceptions", pattern, placeholders)


def test_translated_calls_found() -> None:
    """The source walk sees the exceptions and the repair issues the integration raises."""
    kinds = {kind for kind, _, _ in _translated_calls()}
    assert kinds == {"exceptions", "issues"}
    assert len(list(_translated_calls())) >= len(STRINGS["exceptions"])


def test_exception_and_issue_keys_are_translated() -> None:
    """Every exception and repair issue raised in code has its text, with its placeholders."""
    for kind, pattern, given in _translated_calls():
        matches = [key for key in STRINGS[kind] if pattern.fullmatch(key)]
        assert matches, f"{kind}: no translation for {pattern.pattern}"
        for key in matches:
            texts = flatten_texts(STRINGS[kind][key])
            if kind == "issues":  # the fix flow's steps have placeholders of their own
                texts = {path: text for path, text in texts.items() if "fix_flow" not in path}
            wanted = set().union(*(_placeholders(text) for text in texts.values()))
            if given is not None:
                assert wanted <= given, (key, wanted - given)


def test_entity_keys_are_translated() -> None:
    """Entity names and states, selector options: every key the descriptions use."""
    sensors = STRINGS["entity"]["sensor"]
    for description in SENSORS:
        assert description.translation_key in sensors
        for option in description.options or []:
            assert option in sensors[description.translation_key]["state"]
    assert set(STRINGS["selector"]["tariff_codes"]["options"]) == set(TARIFF_CODE_MAPS)
    # The billing ledger's sensors are described by its parts.
    assert set(sensors) >= LEDGER_SENSOR_KEYS
    assert set(STRINGS["entity"]["binary_sensor"]) >= LEDGER_BINARY_SENSOR_KEYS


def _flow_calls() -> Iterator[tuple[str, ast.Call]]:
    """Yield (section, call) for the calls of the config, options and repair flows."""
    sections = {"ConfigFlow": "config", "OptionsFlow": "options", "RepairsFlow": "issues"}
    for module in _modules().values():
        for cls in ast.walk(module):
            if not isinstance(cls, ast.ClassDef):
                continue
            bases = " ".join(ast.unparse(base) for base in cls.bases)
            section = next((value for key, value in sections.items() if key in bases), None)
            if section is None:
                continue
            for call in ast.walk(cls):
                if isinstance(call, ast.Call):
                    yield section, call


def test_flow_texts_match_the_code() -> None:
    """Steps, progress, errors and aborts used by the flows exist, with the placeholders given."""
    constants = _constants()
    given: dict[tuple[str, str, str], set[str]] = {}
    provided: dict[str, set[str]] = {}
    unknown: set[str] = set()
    for section, call in _flow_calls():
        placeholders = _dict_keys(_keyword(call, "description_placeholders"))
        if placeholders is None:
            unknown.add(section)
            placeholders = set()
        provided.setdefault(section, set()).update(placeholders)
        # A form or menu's texts are its step's; a progress step's are its progress action's.
        kind, keyword = ("progress", "progress_action")
        if _call_name(call) in {"async_show_form", "async_show_menu"}:
            kind, keyword = ("step", "step_id")
        for key in _strings(_keyword(call, keyword), constants):
            given.setdefault((section, kind, key), set()).update(placeholders)
        for reason in _strings(_keyword(call, "reason"), constants):
            given.setdefault((section, "abort", reason), set()).update(placeholders)
    assert ("config", "step", "user") in given

    for (section, kind, key), placeholders in given.items():
        if section == "issues":  # a repair flow's texts are under each fixable issue
            texts: list[Any] = [
                issue["fix_flow"].get(kind, {}).get(key)
                for issue in STRINGS["issues"].values()
                if "fix_flow" in issue
            ]
        else:
            texts = [STRINGS[section].get(kind, {}).get(key)]
        for text in texts:
            if kind == "abort" and section == "config" and text is None:
                continue  # Home Assistant's own reasons (already_configured, ...) need none
            assert text is not None, (section, kind, key)
            wanted = set().union(*(_placeholders(value) for value in flatten_texts(text).values()))
            if section not in unknown:
                assert wanted <= placeholders, (section, kind, key, wanted - placeholders)
    # Errors and the flow title can only use what some step of the flow provides.
    for section in ("config", "options"):
        if section in unknown:  # a step gives its placeholders from a variable: not checkable
            continue
        for error, text in STRINGS[section].get("error", {}).items():
            assert _placeholders(text) <= provided.get(section, set()), (section, error)
    title_placeholders: set[str] = set()
    for module in _modules().values():
        for node in ast.walk(module):
            if (
                isinstance(node, ast.Assign)
                and "title_placeholders" in ast.unparse(node.targets[0])
                and (keys := _dict_keys(node.value)) is not None
            ):
                title_placeholders |= keys
    assert _placeholders(STRINGS["config"]["flow_title"]) <= title_placeholders


def _flow_errors() -> dict[str, set[str]]:
    """The errors each kind of flow shows: errors[field] = "key", or errors={"base": "key"}."""
    constants = _constants()
    found: dict[str, set[str]] = {}
    for module in _modules().values():
        for cls in ast.walk(module):
            if not isinstance(cls, ast.ClassDef):
                continue
            bases = " ".join(ast.unparse(base) for base in cls.bases)
            section = next(
                (
                    value
                    for key, value in (("ConfigFlow", "config"), ("OptionsFlow", "options"))
                    if key in bases
                ),
                None,
            )
            if section is None:
                continue
            for node in ast.walk(cls):
                values: list[ast.expr] = []
                if isinstance(node, ast.Assign):
                    values = [
                        node.value
                        for target in node.targets
                        if isinstance(target, ast.Subscript) and "errors" in ast.unparse(target)
                    ]
                elif isinstance(node, ast.Call) and isinstance(
                    errors := _keyword(node, "errors"), ast.Dict
                ):
                    values = [value for value in errors.values if value is not None]
                for value in values:
                    found.setdefault(section, set()).update(_strings(value, constants))
    return found


def test_flow_errors_and_aborts_are_translated() -> None:
    """Every error a form shows and every reason a flow aborts with has its text."""
    errors = _flow_errors()
    assert errors.get("config")
    for section, keys in errors.items():
        assert keys <= set(STRINGS[section].get("error", {})), (section, keys)
    flow_code = (INTEGRATION / "config_flow.py").read_text(encoding="utf-8")
    # Errors set outside the flow classes (the Walloon form's checks) and per index field.
    anywhere = set(re.findall(r'errors\[\w+\] = "(\w+)"', flow_code))
    assert anywhere <= set(STRINGS["config"]["error"]) | set(STRINGS["options"]["error"])
    for field in READING_INDEXES:
        for problem in ("negative", "above_meter"):
            assert f"{field}_{problem}" in STRINGS["options"]["error"]
    for reason in re.findall(r'reason="(\w+)"', flow_code):
        assert reason in STRINGS["config"]["abort"]


# --- Actions ----------------------------------------------------------------------------------


def _registered_services() -> set[str]:
    constants = _constants()
    services: set[str] = set()
    for module in _modules().values():
        for call in ast.walk(module):
            if isinstance(call, ast.Call) and _call_name(call) in {
                "async_register",
                "async_register_admin_service",
                "async_register_platform_entity_service",
                "async_register_entity_service",
            }:
                arguments = list(call.args)
                # hass.services.async_register(DOMAIN, name, ...) or a helper's (hass, DOMAIN, ...)
                names = [_strings(argument, constants) for argument in arguments[:3]]
                flat = [texts[0] for texts in names if texts]
                assert DOMAIN in flat, ast.unparse(call)
                services.add(flat[flat.index(DOMAIN) + 1])
    return services


def test_services_yaml_matches_the_registered_actions() -> None:
    """hassfest: every registered action is in services.yaml (and nothing else is)."""
    registered = _registered_services()
    assert "export" in registered
    described = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))
    assert set(described) == registered


def test_services_are_translated() -> None:
    """services.yaml carries no texts: each action and field has a name and a description."""
    described = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))
    for service, spec in described.items():
        texts = STRINGS["services"][service]
        assert texts["name"]
        assert texts["description"]
        assert set(texts.get("fields", {})) == set(spec.get("fields", {}))
        for field, field_spec in spec.get("fields", {}).items():
            assert texts["fields"][field]["name"], field
            assert texts["fields"][field]["description"], field
            assert "name" not in field_spec
            assert "description" not in field_spec
            select = (field_spec.get("selector") or {}).get("select") or {}
            if key := select.get("translation_key"):
                assert set(STRINGS["selector"][key]["options"]) == set(select["options"])


def test_icons_cover_the_entities_and_actions() -> None:
    """Every entity without a device-class icon, and every action, has an icon in icons.json."""
    icons = _json(INTEGRATION / "icons.json")
    for description in SENSORS:
        if description.device_class is None or description.key in {"tariff", "current_scale"}:
            assert description.translation_key in icons["entity"]["sensor"]
    assert set(icons.get("services", {})) == _registered_services()
