"""A seeded mix of valid and junk CH0 payloads, to check that bad input stays harmless.

``fuzz_mix(count, seed)`` returns the payloads: about a third valid messages whose counters rise
slowly, the rest junk interleaved at random. Half of the junk does not parse (not JSON, empty,
binary, truncated, a negative or non-numeric value); the other half parses but carries a glitch
the integration must keep out of its states (a counter at zero, an impossible jump, a counter a
little lower, an impossible power). ``python -m simulator.fuzz`` publishes such a mix to a broker
(or prints it with ``--stdout``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
import json
import random
import sys
import time
from typing import Any, Final, NamedTuple

from simulator.simulation import DEFAULT_IDENT

COUNTERS: Final = ("CIH", "CIL", "CEH", "CEL", "CG", "CW")
START: Final = {"CIH": 1234567, "CIL": 2345678, "CEH": 3456789, "CEL": 456789}
START_VOLUMES: Final = {"CG": 4321987, "CW": 123456}


def _valid(ident: str, step: int) -> dict[str, Any]:
    """Return a valid message; every counter rises by at most a few units per message."""
    counters = {key: value + step for key, value in START.items()} | {
        key: value + step // 10 for key, value in START_VOLUMES.items()
    }
    return {
        "ident": ident,
        "device_CH": "0",
        "Type": "P1",
        "Units": "W",
        "U": "231.4",
        "I": "5200",
        "T": "1",
        "PI": "1200",
        "PE": "0",
    } | {key: str(value) for key, value in counters.items()}


def _unparsable(rng: random.Random, valid: dict[str, Any]) -> bytes:
    text = json.dumps(valid)
    choices = [
        b"",
        b"Connected with MQTT.",
        rng.randbytes(rng.randrange(1, 64)),
        text[: rng.randrange(1, len(text))].encode(),
        b"[1, 2, 3]",
        b"{}",
        json.dumps(valid | {"PI": "-12"}).encode(),
        json.dumps(valid | {rng.choice(COUNTERS): "abc"}).encode(),
        text.replace('"1200"', "NaN").encode(),
    ]
    return rng.choice(choices)


def _glitched(rng: random.Random, valid: dict[str, Any]) -> bytes:
    key = rng.choice(COUNTERS)
    value = int(valid[key])
    choices: list[Callable[[], dict[str, Any]]] = [
        lambda: valid | {key: "0"},
        lambda: valid | {key: str(value * 100 + 99_999)},
        lambda: valid | {key: str(value - rng.randrange(1, 500))},
        lambda: valid | {rng.choice(("PI", "PE")): str(rng.randrange(200_000, 10**9))},
    ]
    return json.dumps(rng.choice(choices)()).encode()


class FuzzMix(NamedTuple):
    """The payloads, and the import day index (Wh) of the last valid one."""

    payloads: list[bytes]
    last_import_day: int


def fuzz_mix(count: int, seed: int, ident: str = DEFAULT_IDENT) -> FuzzMix:
    """Return count payloads: a third valid, the rest junk, interleaved at random."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible mix, not a secret
    payloads: list[bytes] = []
    step = 0
    for _ in range(count):
        valid = _valid(ident, step)
        roll = rng.random()
        if roll < 1 / 3:
            payloads.append(json.dumps(valid).encode())
            step += 1
        elif roll < 2 / 3:
            payloads.append(_unparsable(rng, valid))
        else:
            payloads.append(_glitched(rng, valid))
    return FuzzMix(payloads, START["CIH"] + max(step - 1, 0))


def main(argv: Sequence[str] | None = None) -> int:
    """Publish (or print) a fuzz mix."""
    parser = argparse.ArgumentParser(prog="python -m simulator.fuzz", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--ident", default=DEFAULT_IDENT)
    parser.add_argument("--interval", type=float, default=0.01, help="seconds between messages")
    parser.add_argument("--stdout", action="store_true", help="print instead of publishing")
    args = parser.parse_args(argv)
    payloads = fuzz_mix(args.count, args.seed, args.ident).payloads
    if args.stdout:
        for payload in payloads:
            sys.stdout.write(repr(payload) + "\n")
        return 0
    from simulator.publisher import MqttPublisher  # noqa: PLC0415

    publisher = MqttPublisher(args.host, args.port, client_id="lowi3-fuzz")
    if not publisher.start(timeout=10):
        sys.stderr.write(f"cannot reach the broker at {args.host}:{args.port}\n")
        return 1
    topic = f"{args.ident}/PUB/CH0"
    try:
        for payload in payloads:
            publisher.publish(topic, payload)
            time.sleep(args.interval)
    finally:
        publisher.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
