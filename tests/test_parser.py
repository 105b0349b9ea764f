"""Tests of the payload parser: examples from the protocol notes, then property-based tests."""

from __future__ import annotations

import json
import math
from typing import Any
from unittest.mock import patch

from hypothesis import given, settings, strategies as st
import orjson
import pytest

from custom_components.lowi_ores.parser import (
    _NUMBER_TEXT,
    _TEXT_NUMBERS,
    _TEXT_NUMBERS_SIZE,
    MAX_PAYLOAD_BYTES,
    Reading,
    Rejected,
    _decimal_text,
    ident_from_topic,
    mac_address,
    normalize_ident,
    parse_payload,
)

from .conftest import BASE_PAYLOAD, make_payload


def test_strings_as_sent() -> None:
    """The CH0 fields, with values as strings, map to the reading's names."""
    reading = parse_payload(make_payload().encode())
    assert reading == Reading(
        ident="3494546c709b",
        channel=0,
        name="Maison",
        import_power=1200.0,
        export_power=0.0,
        import_index_day=1234567.0,
        import_index_night=2345678.0,
        export_index_day=3456789.0,
        export_index_night=456789.0,
        gas_index=4321987.0,
        water_index=123456.0,
        voltage=231.4,
        current_raw=5200.0,
        tariff_code=1,
    )


def test_numbers_as_json_numbers_and_decimals() -> None:
    """An emulator sends JSON numbers; integer or decimal, both are accepted."""
    reading = parse_payload(
        json.dumps({"PI": 1200, "PE": 0.0, "CIH": 1234567.5, "U": "230", "I": 4.5e3, "T": 0})
    )
    assert isinstance(reading, Reading)
    assert reading.import_power == 1200.0
    assert reading.export_power == 0.0
    assert reading.import_index_day == 1234567.5
    assert reading.voltage == 230.0
    assert reading.current_raw == 4500.0
    assert reading.tariff_code == 0


def test_missing_and_unknown_fields() -> None:
    """Any field may be missing; unknown ones are ignored."""
    reading = parse_payload(make_payload(CG=None, CW=None, U=None, FW="2.1", extra={"x": 1}))
    assert isinstance(reading, Reading)
    assert reading.gas_index is None
    assert reading.water_index is None
    assert reading.voltage is None
    assert reading.import_power == 1200.0


def test_empty_strings_and_null_are_missing() -> None:
    """An empty text or null is an absent value, not zero."""
    reading = parse_payload(make_payload(CG="", CW=None).replace('"U": "231.4"', '"U": null'))
    assert isinstance(reading, Reading)
    assert reading.gas_index is None
    assert reading.voltage is None


def test_sub_channel_fields() -> None:
    """The fields of the channels an owner configures (CH1..CH14) are read too."""
    reading = parse_payload(
        json.dumps(
            {
                "ident": "244cab25438c",
                "device_CH": "3",
                "CHname": "Boiler",
                "P": "2000",
                "HC": "150",
                "DC": "3000",
                "MC": "90000",
                "CH": "1500000",
                "CL": "700000",
                "REL": "1",
                "RSSI": "-67",
            }
        )
    )
    assert isinstance(reading, Reading)
    assert reading.channel == 3
    assert reading.name == "Boiler"
    assert reading.channel_power == 2000.0
    assert reading.channel_energy_hour == 150.0
    assert reading.channel_energy_day == 3000.0
    assert reading.channel_energy_month == 90000.0
    assert reading.channel_index_high == 1500000.0
    assert reading.channel_index_low == 700000.0
    assert reading.relay_on is True
    assert reading.rssi == -67.0
    plug_off = parse_payload('{"REL": "OFF"}')
    assert isinstance(plug_off, Reading)
    assert plug_off.relay_on is False


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty payload"),
        (b"   \n", "empty payload"),
        (b"Connected with MQTT.", "payload is not JSON"),
        (b"\xff\xfe", "payload is not UTF-8 text"),
        (b"[1, 2]", "payload is a JSON list, not an object"),
        (b'"text"', "payload is a JSON str, not an object"),
        (b"null", "payload is a JSON NoneType, not an object"),
        (b'{"PI": NaN}', "payload contains NaN or Infinity"),
        (b'{"PI": Infinity}', "payload contains NaN or Infinity"),
        (b'{"PI": 1e400}', "field PI: not a finite number"),
        (b'{"PI": "1e400"}', "field PI: not a number"),
        (b'{"PI": "nan"}', "field PI: not a number"),
        (b'{"PI": "inf"}', "field PI: not a number"),
        (b'{"PI": "-5"}', "field PI: negative value -5"),
        (b'{"CIH": -1}', "field CIH: negative value -1"),
        (b'{"PI": "12,5"}', "field PI: not a number"),
        (b'{"PI": true}', "field PI: a boolean is not a number"),
        (b'{"PI": [1]}', "field PI: unexpected list"),
        (b'{"T": "0.5"}', "field T: not a whole number"),
        (b'{"REL": "maybe"}', "field REL: unexpected value"),
        (b'{"Name": "x", "Foo": 1}', "no known measurement in the payload"),
        (b"{}", "no known measurement in the payload"),
        (b"[" * 100000, "payload too large"),
        (b'{"PI": ' + b"9" * 400 + b"}", "field PI: number too large"),
    ],
)
def test_rejections(payload: bytes, reason: str) -> None:
    """Bad payloads are rejected with a reason, never by raising."""
    result = parse_payload(payload)
    assert isinstance(result, Rejected)
    assert result.reason.startswith(reason)


def test_deep_nesting_is_rejected() -> None:
    """A payload nested deeper than the JSON parser's recursion limit is rejected."""
    result = parse_payload("[" * 60000 + "]" * 60000)
    assert isinstance(result, Rejected)


def test_text_payload_too_large() -> None:
    """A str payload is bounded like a bytes one."""
    result = parse_payload(" " * (MAX_PAYLOAD_BYTES + 1))
    assert result == Rejected(f"payload too large ({MAX_PAYLOAD_BYTES + 1} characters)")


def _refuse(*_args: Any, **_kwargs: Any) -> None:
    """Stand in for the fast decoder, refusing every payload."""
    raise orjson.JSONDecodeError("refused", "", 0)


@pytest.mark.parametrize("decoder", ["_loads", "_DECODER.decode"])
def test_unexpected_error_is_a_rejection(monkeypatch: pytest.MonkeyPatch, decoder: str) -> None:
    """Whatever goes wrong inside, in either decoder, the caller gets a Rejected."""

    def boom(*_args: Any, **_kwargs: Any) -> None:
        raise MemoryError

    if decoder != "_loads":
        monkeypatch.setattr("custom_components.lowi_ores.parser._loads", _refuse)
    monkeypatch.setattr(f"custom_components.lowi_ores.parser.{decoder}", boom)
    assert parse_payload(b'{"PI": 1}') == Rejected("unexpected error: MemoryError")


def test_what_only_the_standard_decoder_takes_is_still_taken() -> None:
    """A lone surrogate in an unknown field: the fast decoder refuses it, the standard one not."""
    payload = b'{"PI": "12", "Name": "\\ud800"}'
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(payload)
    result = parse_payload(payload)
    assert isinstance(result, Reading)
    assert result.import_power == 12.0


def _standard_only(payload: bytes | str) -> Reading | Rejected:
    """Parse a payload with the standard decoder alone (the fast one refusing everything)."""
    with patch("custom_components.lowi_ores.parser._loads", _refuse):
        return parse_payload(payload)


# Property-based tests ------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_never_raise(payload: bytes) -> None:
    """Any bytes give a Reading or a Rejected with a reason."""
    result = parse_payload(payload)
    assert isinstance(result, (Reading, Rejected))
    if isinstance(result, Rejected):
        assert result.reason
    # The fast decoder changes nothing: the same reading, or the same reason.
    assert result == _standard_only(payload)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = ["PI", "PE", "CIH", "CIL", "CEH", "CEL", "CG", "CW", "U", "I", "T", "P", "REL", "RSSI"]


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), json_values, max_size=8))
def test_arbitrary_json_objects_never_raise(data: dict[str, Any]) -> None:
    """Any JSON object gives a Reading whose numbers are finite and non-negative, or a reason."""
    result = parse_payload(json.dumps(data))
    assert isinstance(result, (Reading, Rejected))
    assert result == _standard_only(json.dumps(data))
    if isinstance(result, Reading):
        for name in ("import_power", "export_power", "import_index_day", "voltage", "current_raw"):
            value = getattr(result, name)
            assert value is None or (math.isfinite(value) and value >= 0)


number_text = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(str),
    st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False).map(str),
    st.integers(min_value=0, max_value=10**12),
    st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries(dict.fromkeys(("PI", "PE", "CIH", "CEL"), number_text)))
def test_valid_numbers_round_trip(data: dict[str, Any]) -> None:
    """Every non-negative number, as text or JSON number, reads back as the same value."""
    result = parse_payload(json.dumps(data))
    assert isinstance(result, Reading)
    assert result.import_power == pytest.approx(float(data["PI"]))
    assert result.export_index_night == pytest.approx(float(data["CEL"]))


def _decimal_text_by_pattern(text: str) -> float | None:
    """The rule for a numeric text, by its pattern alone (what the digits' shortcut must equal)."""
    stripped = text.strip()
    return float(stripped) if len(stripped) <= 40 and _NUMBER_TEXT.fullmatch(stripped) else None


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="0123456789", min_size=1, max_size=45),
        st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=5),
        st.text(alphabet="0123456789 .+-e_", min_size=1, max_size=12),
        st.text(max_size=8),
    )
)
def test_whole_numbers_shortcut_follows_the_pattern(text: str) -> None:
    """ASCII digits skip the pattern; every text reads as the pattern alone would read it."""
    assert _decimal_text(text) == _decimal_text_by_pattern(text)


@pytest.mark.parametrize(
    ("typed", "ident"),
    [
        ("3494546c709b", "3494546c709b"),
        ("3494546C709B", "3494546c709b"),
        ("34:94:54:6C:70:9B", "3494546c709b"),
        ("34-94-54-6c-70-9b", "3494546c709b"),
        ("  34:94:54:6c:70:9b ", "3494546c709b"),
        ("pvpanelendak", "pvpanelendak"),
        ("Mijn_LoWi", "Mijn_LoWi"),
        ("", None),
        ("a/b", None),
        ("a+b", None),
        ("a#", None),
        ("two words", None),
        ("x" * 65, None),
        ("bell\x07", None),
    ],
)
def test_normalize_ident(typed: str, ident: str | None) -> None:
    """A MAC in any usual spelling becomes the dongle's ident; a free ident is one topic level."""
    assert normalize_ident(typed) == ident


def test_topics_and_mac() -> None:
    """Idents are read from topics; a MAC ident gets its colon form."""
    assert ident_from_topic("3494546c709b/PUB/CH0") == "3494546c709b"
    assert ident_from_topic("pvpanelendak/PUB/CH12") == "pvpanelendak"
    assert ident_from_topic("a/b/PUB/CH0") is None
    assert ident_from_topic("/PUB/CH0") is None
    assert ident_from_topic("x/PUB/CHX") is None
    assert ident_from_topic("x/SET/REL/CH0") is None
    assert mac_address("3494546c709b") == "34:94:54:6c:70:9b"
    assert mac_address("pvpanelendak") is None


def test_base_payload_fields_are_all_known() -> None:
    """The sample payload uses only fields the protocol notes list."""
    assert set(BASE_PAYLOAD) <= {
        "ident", "device_CH", "Name", "Type", "Units", "U", "I", "T",
        "PI", "PE", "CIH", "CIL", "CEH", "CEL", "CG", "CW",
    }  # fmt: skip


def test_numeric_texts_table_stays_small() -> None:
    """Texts are looked up in a table of those seen before, which never grows past its size."""
    for number in range(3 * _TEXT_NUMBERS_SIZE):
        result = parse_payload(f'{{"PI": "{number}.5", "PE": "{number}"}}'.encode())
        assert isinstance(result, Reading)
        assert (result.import_power, result.export_power) == (number + 0.5, number)
        assert len(_TEXT_NUMBERS) <= _TEXT_NUMBERS_SIZE
    # A text seen before is one look-up, and gives the same number.
    assert parse_payload(b'{"PI": "7.5", "PE": "-7.5"}') == Rejected(
        "field PE: negative value -7.5"
    )
    assert _TEXT_NUMBERS["-7.5"] == -7.5
    assert parse_payload(b'{"PE": "-7.5"}') == Rejected("field PE: negative value -7.5")
