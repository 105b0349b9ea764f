"""Fault injection: what goes wrong on a real dongle's topic, on purpose and reproducibly.

* ``non_json``: a text that is not JSON (a tool's status line, a truncated message).
* ``missing``: a message without some of its fields.
* ``glitch``: one counter reads 0, or jumps far ahead, for a single message.
* ``silence``: the dongle stops publishing for a while (simulated time goes on).
"""

from __future__ import annotations

from dataclasses import dataclass
import random
from typing import Final

FAULT_KINDS: Final = ("non_json", "missing", "glitch", "silence")
# The probability per message used when a fault is named without one.
DEFAULT_PROBABILITIES: Final = {"non_json": 0.02, "missing": 0.05, "glitch": 0.01, "silence": 0.005}
NON_JSON_TEXTS: Final = ("Connected with MQTT.", "OK", "LoWi3 restarting")
COUNTER_FIELDS: Final = ("CIH", "CIL", "CEH", "CEL", "CG", "CW")
OPTIONAL_FIELDS: Final = ("U", "I", "T", "PI", "PE", *COUNTER_FIELDS)


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """The probability of each fault per message (0 = never)."""

    non_json: float = 0.0
    missing: float = 0.0
    glitch: float = 0.0
    silence: float = 0.0
    silence_messages: tuple[int, int] = (6, 30)  # how many messages a silence swallows
    warmup_messages: int = 3  # the first messages are always sound

    @classmethod
    def parse(cls, text: str) -> FaultConfig:
        """Return a configuration from ``"glitch,silence=0.01"``: names, each with an optional probability.

        ``"all"`` names every fault with its default probability; ``""`` or ``"none"`` none.
        """
        values: dict[str, float] = {}
        for item in text.split(","):
            name, sep, probability = item.strip().partition("=")
            name = name.strip().replace("-", "_")
            if name in ("", "none"):
                continue
            if name == "all":
                values.update(DEFAULT_PROBABILITIES)
                continue
            if name not in FAULT_KINDS:
                raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULT_KINDS)}, all")
            value = float(probability) if sep else DEFAULT_PROBABILITIES[name]
            if not 0 <= value <= 1:
                raise ValueError(f"probability of {name} must be between 0 and 1")
            values[name] = value
        return cls(
            non_json=values.get("non_json", 0.0),
            missing=values.get("missing", 0.0),
            glitch=values.get("glitch", 0.0),
            silence=values.get("silence", 0.0),
        )

    @property
    def enabled(self) -> bool:
        """Return True when any fault may happen."""
        return any(getattr(self, kind) > 0 for kind in FAULT_KINDS)


class FaultInjector:
    """Decides, message by message, which fault (if any) happens; deterministic for a seed."""

    def __init__(self, config: FaultConfig, seed: int) -> None:
        """Start with no silence under way."""
        self.config = config
        self._rng = random.Random(f"{seed}:faults")  # noqa: S311 - a simulation
        self._silent_for = 0
        self._messages = 0

    def silent(self) -> bool:
        """Return True when this message is swallowed by a silence."""
        self._messages += 1
        if self._silent_for > 0:
            self._silent_for -= 1
            return True
        if self._messages > self.config.warmup_messages and self._draw(self.config.silence):
            low, high = self.config.silence_messages
            self._silent_for = self._rng.randint(low, high) - 1
            return True
        return False

    def corrupt(self, fields: dict[str, str]) -> tuple[str | None, dict[str, str] | str]:
        """Return the fault applied to a message's fields and the fields (or text) to send."""
        if self._messages <= self.config.warmup_messages:
            return None, fields
        if self._draw(self.config.non_json):
            return "non_json", self._rng.choice((*NON_JSON_TEXTS, "{truncated"))
        if self._draw(self.config.missing):
            present = [name for name in OPTIONAL_FIELDS if name in fields]
            dropped = set(self._rng.sample(present, self._rng.randint(1, min(3, len(present)))))
            return "missing", {key: value for key, value in fields.items() if key not in dropped}
        if self._draw(self.config.glitch):
            counters = [name for name in COUNTER_FIELDS if name in fields]
            name = self._rng.choice(counters)
            glitched = dict(fields)
            if self._rng.random() < 0.6:
                glitched[name] = "0"
            else:
                glitched[name] = str(int(fields[name]) + self._rng.randint(100_000, 10_000_000))
            return "glitch", glitched
        return None, fields

    def _draw(self, probability: float) -> bool:
        # One draw per decision, even for a probability of 0.
        return self._rng.random() < probability
