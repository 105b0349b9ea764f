"""One of a LoWi3's extra channels (CH1..CH14): what it sent, its guarded indexes, what is kept.

Pure Python, no Home Assistant import. A channel is configured by the dongle's owner (a heat
pump's sub-meter, the PV inverter, a 2-Wire smart plug, ...), so nothing here assumes which
fields it sends: an entity exists only for a field the channel has sent at least once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import json
import math
from typing import Any, Final

from .const import (
    FIRST_CHANNEL,
    INDEX_GUARD_MARGIN_WH,
    LAST_CHANNEL,
    MAX_HOME_POWER_W,
    MAX_PLAUSIBLE_POWER_W,
)
from .counter_guard import CounterGuard, CounterLimits, Verdict
from .parser import MAX_PAYLOAD_BYTES, Reading

_TOPIC_PREFIX: Final = "CH"

# Keys of a channel's values, in the order their entities are listed.
POWER: Final = "power"
INDEX_HIGH: Final = "index_high"
INDEX_LOW: Final = "index_low"
INDEX_TOTAL: Final = "index_total"
ENERGY_HOUR: Final = "energy_hour"
ENERGY_DAY: Final = "energy_day"
ENERGY_MONTH: Final = "energy_month"
VOLTAGE: Final = "voltage"
CURRENT: Final = "current"
RELAY: Final = "relay"
RSSI: Final = "rssi"
CHANNEL_KEYS: Final = (
    POWER,
    INDEX_HIGH,
    INDEX_LOW,
    INDEX_TOTAL,
    ENERGY_HOUR,
    ENERGY_DAY,
    ENERGY_MONTH,
    VOLTAGE,
    CURRENT,
    RELAY,
    RSSI,
)
# Value key -> the Reading attribute it comes from (the index total is derived).
_SOURCES: Final = {
    POWER: "channel_power",
    INDEX_HIGH: "channel_index_high",
    INDEX_LOW: "channel_index_low",
    ENERGY_HOUR: "channel_energy_hour",
    ENERGY_DAY: "channel_energy_day",
    ENERGY_MONTH: "channel_energy_month",
    VOLTAGE: "voltage",
    CURRENT: "current_raw",
    RELAY: "relay_on",
    RSSI: "rssi",
}
GUARDED: Final = (INDEX_HIGH, INDEX_LOW)
# Unit labels that say the channel measures electricity (any case). Anything else (m3, l,
# "Various", ...) is kept as sent, without a unit or an energy device class.
ELECTRIC_UNITS: Final = frozenset({"w", "kw", "wh", "kwh", "va", "energy", "power", "electricity"})
MAX_LABEL_LENGTH: Final = 64


def channel_number(level: str) -> int | None:
    """Return the channel of a topic's last level (`CH3` -> 3), or None when not CH1..CH14."""
    digits = level.removeprefix(_TOPIC_PREFIX)
    if (
        len(digits) == len(level)
        or not digits.isascii()
        or not digits.isdigit()
        or len(digits) > 2
        or digits.startswith("0")
    ):
        return None
    number = int(digits)
    return number if FIRST_CHANNEL <= number <= LAST_CHANNEL else None


def problem(reading: Reading, number: int) -> str | None:
    """Return why a valid reading cannot be a message of channel `number`, or None."""
    if reading.channel is not None and reading.channel != number:
        return f"device_CH {reading.channel} contradicts the topic's channel {number}"
    if all(getattr(reading, attribute) is None for attribute in _SOURCES.values()):
        return "no channel measurement in the payload"
    return None


def is_electric(units: str | None) -> bool:
    """Return True when a channel's Units label says power or energy (or says nothing)."""
    return units is None or units.strip().lower() in ELECTRIC_UNITS


def _label(value: Any) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value).strip()
        return text[:MAX_LABEL_LENGTH] or None
    return None


def payload_labels(payload: bytes | bytearray | str) -> tuple[str | None, str | None]:
    """Return the Type and Units labels of a payload (None when absent); never raises.

    Read once, when a channel first appears: they give its device's model and tell whether its
    values are electricity.
    """
    try:
        if len(payload) > MAX_PAYLOAD_BYTES:
            return None, None
        data = json.loads(payload)
    except ValueError, TypeError, RecursionError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    return _label(data.get("Type")), _label(data.get("Units"))


def model_of(kind: str | None, units: str | None) -> str | None:
    """Return a channel device's model from its Type and Units labels."""
    if kind and units:
        return f"{kind} ({units})"
    return kind or units


def _new_guards(resolution: float = 1.0) -> dict[str, CounterGuard]:
    """Return a channel's index guards; resolution: the smallest step its sensor shows."""
    return {
        key: CounterGuard(CounterLimits(MAX_HOME_POWER_W, INDEX_GUARD_MARGIN_WH, resolution))
        for key in GUARDED
    }


@dataclass(slots=True)
class ChannelState:
    """What one channel has sent, and what its entities show."""

    number: int
    name: str | None = None
    model: str | None = None
    electric: bool = True
    # Every value key the channel has sent since it first appeared: one entity each.
    keys: set[str] = field(default_factory=set)
    guards: dict[str, CounterGuard] = field(default_factory=_new_guards)
    last_received: float | None = None  # seconds since the epoch
    values: dict[str, float | bool | None] = field(default_factory=dict)
    last_reading: Reading | None = None
    held_back: int = 0
    replacements: int = 0

    def __post_init__(self) -> None:
        """Shown as sent with 3 decimals, a non-electric index changes by 0.001 (1 Wh else)."""
        if not self.electric:
            self.guards = _new_guards(0.001)

    def update(self, reading: Reading, now: float) -> set[str]:
        """Take a valid reading received at `now`; return the keys sent for the first time."""
        divisor = 1000.0 if self.electric else 1.0
        values: dict[str, float | bool | None] = {
            key: getattr(reading, attribute) for key, attribute in _SOURCES.items()
        }
        power = values[POWER]
        if self.electric and isinstance(power, float) and power > MAX_PLAUSIBLE_POWER_W:
            values[POWER] = None
        sent = {key for key, value in values.items() if value is not None}
        for key in GUARDED:
            raw = values[key]
            if isinstance(raw, float):
                self._offer(self.guards[key], raw, now)
            guarded = self.guards[key].value
            known = key in self.keys or key in sent
            values[key] = round(guarded / divisor, 3) if guarded is not None and known else None
        if sent & set(GUARDED):
            sent.add(INDEX_TOTAL)
        for key in (ENERGY_HOUR, ENERGY_DAY, ENERGY_MONTH):
            raw = values[key]
            if isinstance(raw, float):
                values[key] = round(raw / divisor, 3)
        new = sent - self.keys
        self.keys |= sent
        values[INDEX_TOTAL] = self._total(values)
        self.values = values
        self.last_received = now
        self.last_reading = reading
        if reading.name and self.name is None:
            self.name = reading.name
        return new

    def _total(self, values: dict[str, float | bool | None]) -> float | None:
        parts = [values[key] for key in GUARDED if key in self.keys]
        if not parts or any(not isinstance(part, float) for part in parts):
            return None
        return round(sum(part for part in parts if isinstance(part, float)), 3)

    def _offer(self, guard: CounterGuard, raw: float, now: float) -> None:
        previous = guard.value
        verdict = guard.update(raw, now)
        if verdict is Verdict.HELD:
            self.held_back += 1
        elif verdict is Verdict.REPLACED and previous is not None:
            self.replacements += 1

    def as_stored(self) -> dict[str, Any]:
        """Return what must survive a restart."""
        return {
            "name": self.name,
            "model": self.model,
            "electric": self.electric,
            "keys": sorted(self.keys),
            "guards": {key: guard.as_dict() for key, guard in self.guards.items()},
            "last_received": self.last_received,
        }

    @classmethod
    def from_stored(cls, number: int, data: Any) -> ChannelState | None:
        """Return a channel from as_stored() output; None when it is unusable."""
        if not isinstance(data, dict) or not FIRST_CHANNEL <= number <= LAST_CHANNEL:
            return None
        keys = data.get("keys")
        if not isinstance(keys, list) or not keys:
            return None
        last = data.get("last_received")
        state = cls(
            number=number,
            name=_label(data.get("name")) if isinstance(data.get("name"), str) else None,
            model=_label(data.get("model")) if isinstance(data.get("model"), str) else None,
            electric=data.get("electric") is not False,
            keys={key for key in keys if key in CHANNEL_KEYS},
            last_received=float(last)
            if isinstance(last, (int, float)) and not isinstance(last, bool) and math.isfinite(last)
            else None,
        )
        if not state.keys:
            return None
        guards = data.get("guards")
        if isinstance(guards, dict):
            for key, guard in state.guards.items():
                guard.restore(guards.get(key))
        return state


def stored_channels(data: Any) -> dict[int, ChannelState]:
    """Return the channels of a store's "channels" part; malformed ones are left out."""
    if not isinstance(data, dict):
        return {}
    channels: dict[int, ChannelState] = {}
    for text, item in data.items():
        number = channel_number(f"{_TOPIC_PREFIX}{text}") if isinstance(text, str) else None
        if number is not None and (state := ChannelState.from_stored(number, item)) is not None:
            channels[number] = state
    return channels
