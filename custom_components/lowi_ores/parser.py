"""Turn a LoWi3 MQTT payload into a typed reading.

Pure Python, no Home Assistant import: fast to test and to fuzz. The dongle's field names
(PI, CIH, ...) are mapped here and nowhere else. Nothing in this module raises to its caller:
a payload is either a :class:`Reading` or a :class:`Rejected` with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import math
import re
from typing import Any, Final

# Home Assistant's own JSON library (a dependency of its core, so always there, and warm in the
# processor's caches): it parses bytes without a decoding step, about three times faster than
# the standard decoder. What it refuses (not JSON, NaN, a lone surrogate) goes to the standard
# decoder, which says why or takes it: the result is the same as with the standard one alone.
import orjson

MAX_PAYLOAD_BYTES: Final = 64 * 1024
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_MAC = re.compile(r"[0-9a-f]{12}")
_MAC_WITH_SEPARATORS = re.compile(r"[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}")
_TOPIC_SUFFIX: Final = "/PUB/CH"
MAX_IDENT_LENGTH: Final = 64


# Not frozen: a frozen dataclass's __init__ costs an object.__setattr__ per field (23 per
# message). Nothing changes a reading after the parser made it (dataclasses.replace copies).
@dataclass(slots=True)
class Reading:
    """One valid message of a LoWi3 channel, in the units the dongle sends."""

    ident: str | None = None
    channel: int | None = None
    name: str | None = None
    # CH0, the P1 meter.
    import_power: float | None = None  # PI, W
    export_power: float | None = None  # PE, W
    import_index_day: float | None = None  # CIH, Wh
    import_index_night: float | None = None  # CIL, Wh
    export_index_day: float | None = None  # CEH, Wh
    export_index_night: float | None = None  # CEL, Wh
    gas_index: float | None = None  # CG, as sent (probably dm3)
    water_index: float | None = None  # CW, as sent (probably litres)
    voltage: float | None = None  # U, V
    current_raw: float | None = None  # I, scale uncertain (mA or cA)
    tariff_code: int | None = None  # T
    # CH1..CH14, channels the owner configures.
    channel_power: float | None = None  # P, W
    channel_index_high: float | None = None  # CH, Wh
    channel_index_low: float | None = None  # CL, Wh
    channel_energy_hour: float | None = None  # HC, Wh
    channel_energy_day: float | None = None  # DC, Wh
    channel_energy_month: float | None = None  # MC, Wh
    relay_on: bool | None = None  # REL
    rssi: float | None = None  # RSSI, dBm


@dataclass(frozen=True, slots=True)
class Rejected:
    """A payload that is not a valid reading, and why."""

    reason: str


# Dongle field -> Reading attribute, for the fields that are non-negative numbers.
_NUMERIC_FIELDS: Final = {
    "PI": "import_power",
    "PE": "export_power",
    "CIH": "import_index_day",
    "CIL": "import_index_night",
    "CEH": "export_index_day",
    "CEL": "export_index_night",
    "CG": "gas_index",
    "CW": "water_index",
    "U": "voltage",
    "I": "current_raw",
    "P": "channel_power",
    "CH": "channel_index_high",
    "CL": "channel_index_low",
    "HC": "channel_energy_hour",
    "DC": "channel_energy_day",
    "MC": "channel_energy_month",
}


class _FieldError(ValueError):
    """A field's value is unusable."""


def _reject_constant(name: str) -> float:
    raise _FieldError(f"{name} is not a number")


# NaN and Infinity are not numbers a meter sends (Python's json would accept them).
_DECODER: Final = json.JSONDecoder(parse_constant=_reject_constant)
# The usual decoder; _DECODER only says why it refused a payload (or takes what it refused).
_loads: Final = orjson.loads


def _decimal_text(text: str) -> float | None:
    """Return the number a decimal text holds (spaces around allowed), else None."""
    if text.isascii() and text.isdigit() and len(text) <= 40:
        return float(text)  # the usual text, a whole number of ASCII digits: no pattern needed
    stripped = text.strip()
    if len(stripped) > 40 or not _NUMBER_TEXT.fullmatch(stripped):
        return None
    return float(stripped)  # finite: the pattern has no exponent, nan or inf


# A dongle repeats most of its texts from one message to the next (the indexes move a Wh at a
# time, gas, water and the tariff rarely): most fields are then one dictionary look-up. Only
# short texts are kept, and the table starts afresh when full, so it stays small whatever
# arrives.
_TEXT_NUMBERS: Final[dict[str, float]] = {}
_TEXT_NUMBERS_SIZE: Final = 512
_CACHED_TEXT_LENGTH: Final = 48


def _number(field: str, value: Any) -> float | None:
    """Return a finite float from a JSON number or numeric text; None when absent."""
    # The dongle's usual form, checked first: numeric text, most often seen before.
    if type(value) is str and (number := _TEXT_NUMBERS.get(value)) is not None:
        return number
    return _read_number(field, value)


def _read_number(field: str, value: Any) -> float | None:
    """Return what _number returns, for a value not in the table of numeric texts."""
    if type(value) is str:
        if not value:
            return None
        if (number := _decimal_text(value)) is None:
            raise _FieldError(f"field {field}: not a number: {value[:20]!r}")
        if len(value) <= _CACHED_TEXT_LENGTH:
            if len(_TEXT_NUMBERS) >= _TEXT_NUMBERS_SIZE:
                _TEXT_NUMBERS.clear()
            _TEXT_NUMBERS[value] = number
        return number
    if value is None:
        return None
    if isinstance(value, bool):
        raise _FieldError(f"field {field}: a boolean is not a number")
    if isinstance(value, int):
        try:
            result = float(value)
        except OverflowError as err:
            raise _FieldError(f"field {field}: number too large") from err
    elif isinstance(value, float):
        result = value
    else:
        raise _FieldError(f"field {field}: unexpected {type(value).__name__}")
    if not math.isfinite(result):
        raise _FieldError(f"field {field}: not a finite number")
    return result


def _text(value: Any) -> str | None:
    if isinstance(value, str) and (stripped := value.strip()):
        return stripped[:MAX_IDENT_LENGTH]
    return None


def _whole(field: str, value: Any) -> int | None:
    """Return a non-negative whole number (tariff, channel) as _number reads it; None: absent."""
    if (result := _number(field, value)) is None:
        return None
    if result < 0:
        raise _FieldError(f"field {field}: negative value {result:g}")
    if not result.is_integer():
        raise _FieldError(f"field {field}: not a whole number: {result:g}")
    return int(result)


def _relay(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    text = str(value).strip().upper()
    if text in ("1", "ON", "TRUE"):
        return True
    if text in ("0", "OFF", "FALSE"):
        return False
    raise _FieldError(f"field REL: unexpected value {text[:20]!r}")


def _decode(payload: bytes | bytearray | str) -> Any:
    """Return a payload's JSON value by the standard decoder, or why it is not JSON."""
    if isinstance(payload, (bytes, bytearray)):
        try:
            text = bytes(payload).decode("utf-8")
        except UnicodeDecodeError:
            return Rejected("payload is not UTF-8 text")
    else:
        text = payload
    if not text or text.isspace():
        return Rejected("empty payload")
    try:
        return _DECODER.decode(text)
    except _FieldError:
        return Rejected("payload contains NaN or Infinity")
    except ValueError, RecursionError:
        return Rejected(f"payload is not JSON: {text.strip()[:40]!r}")


def parse_payload(payload: bytes | bytearray | str) -> Reading | Rejected:
    """Parse one MQTT payload of a LoWi3 channel. Never raises."""
    try:
        return _parse(payload)
    except _FieldError as err:
        return Rejected(str(err))
    except Exception as err:  # noqa: BLE001 - the contract is: never raise to the caller
        return Rejected(f"unexpected error: {type(err).__name__}")


def _parse(payload: bytes | bytearray | str) -> Reading | Rejected:
    if len(payload) > MAX_PAYLOAD_BYTES:
        unit = "characters" if isinstance(payload, str) else "bytes"
        return Rejected(f"payload too large ({len(payload)} {unit})")
    try:
        data = _loads(payload)
    except orjson.JSONDecodeError:
        # Rare: let the standard decoder say why (or take what only it takes, as before).
        if isinstance(data := _decode(payload), Rejected):
            return data
    if not isinstance(data, dict):
        return Rejected(f"payload is a JSON {type(data).__name__}, not an object")

    # Only the fields the payload has (a channel sends a few of the sixteen), in its order.
    values: dict[str, Any] = {}
    for field, raw in data.items():
        if (attribute := _NUMERIC_FIELDS.get(field)) is None:
            continue
        # _number, with its usual case (a text seen before) inline: it runs for most fields.
        if type(raw) is str and (value := _TEXT_NUMBERS.get(raw)) is not None:
            pass
        elif (value := _read_number(field, raw)) is None:
            continue
        if value < 0:
            raise _FieldError(f"field {field}: negative value {value:g}")
        values[attribute] = value
    tariff_code = _whole("T", data.get("T"))
    # CH0 has neither a relay nor a signal strength: no call for what is absent.
    relay_on = None if (relay := data.get("REL")) is None else _relay(relay)
    if tariff_code is None and relay_on is None and not values:
        return Rejected("no known measurement in the payload")
    return Reading(
        ident=_text(data.get("ident")),
        channel=_whole("device_CH", data.get("device_CH")),
        name=_text(data.get("CHname")) or _text(data.get("Name")),
        tariff_code=tariff_code,
        relay_on=relay_on,
        rssi=None if (rssi := data.get("RSSI")) is None else _number("RSSI", rssi),
        **values,
    )


def normalize_ident(text: str) -> str | None:
    """Return the topic ident for what a user typed, or None when it cannot be one.

    A MAC address (12 hex digits, with or without ':' or '-', any case) becomes 12 lower-case
    hex digits, as the dongle publishes it. Anything else is taken as a free ident, which must
    be a single MQTT topic level.
    """
    candidate = text.strip()
    lowered = candidate.lower()
    if _MAC.fullmatch(lowered):
        return lowered
    if _MAC_WITH_SEPARATORS.fullmatch(lowered):
        return lowered.replace(":", "").replace("-", "")
    if (
        not candidate
        or len(candidate) > MAX_IDENT_LENGTH
        or any(char in candidate for char in "/+#\x00")
        or any(char.isspace() for char in candidate)
        or not candidate.isprintable()
    ):
        return None
    return candidate


def ident_from_topic(topic: str) -> str | None:
    """Return the ident of a `<ident>/PUB/CH<n>` topic, or None for any other topic."""
    head, sep, channel = topic.rpartition(_TOPIC_SUFFIX)
    if not sep or not (channel.isascii() and channel.isdigit()) or not head or "/" in head:
        return None
    return head


def mac_address(ident: str) -> str | None:
    """Return the ident as a colon-separated MAC address when it is one."""
    if not _MAC.fullmatch(ident):
        return None
    return ":".join(ident[i : i + 2] for i in range(0, 12, 2))
