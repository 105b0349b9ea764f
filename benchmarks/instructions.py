"""Instructions per CH0 message, counted by valgrind's callgrind: a figure that does not move.

Run with ``scripts/benchmark --instructions``. The CPU time of a message moves by 10 to 30 %
from one run to the next on a shared machine; the number of instructions it executes does not
(it moves by well under 1 %). For each of the in-process setups of ``test_message_path.py``
(the floor with attributes, the entity floor, the integration), the test runs under callgrind
with counting off, warms up on one round of messages, then counts the instructions of the next
round (``callgrind_toggle.c``, loaded through ``LOWI_COUNT_LIBRARY``). Instructions are not
time: two paths with the same count can differ in time by how they use the processor's caches.
A benchmark: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile

from benchmarks.test_message_path import MESSAGES

SETUPS = {
    "floor with attributes": "test_floor_in_process",
    "entity floor": "test_entity_floor_in_process",
    "integration": "test_integration_in_process",
}


def count(library: str, test: str, workdir: Path) -> int:
    """Return the instructions of the counted round of one test."""
    env = os.environ | {"LOWI_COUNT_LIBRARY": library, "PYTHONMALLOC": "malloc"}
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind is missing (scripts/benchmark --instructions installs it)")
    run = subprocess.run(  # noqa: S603 - a fixed command: valgrind on this interpreter and pytest
        [
            valgrind,
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={workdir}/{test}.%p",
            sys.executable,
            "-m",
            "pytest",
            f"benchmarks/test_message_path.py::{test}",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
        ],
        env=env,
        check=False,
        capture_output=True,
    )
    # The dump the library asks for at the end of the counted round is part 1. The test may
    # still fail after it: under valgrind, a discovery flow its messages started can outlast it.
    dumps = list(workdir.glob(f"{test}.*.1"))
    if len(dumps) != 1:
        raise RuntimeError(f"{test} counted nothing:\n{run.stdout.decode()[-3000:]}")
    (dump,) = dumps
    for line in dump.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {dump}")


def main() -> None:
    """Count each setup and print instructions per message and the differences."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--library", required=True, help="the compiled callgrind_toggle.c")
    parser.add_argument(
        "--only", nargs="+", choices=["floor", "entity_floor", "integration"], help="these setups"
    )
    args = parser.parse_args()
    keys = {"floor": "floor with attributes", "entity_floor": "entity floor"}
    wanted = {keys.get(name, name) for name in args.only or SETUPS}
    with tempfile.TemporaryDirectory(prefix="lowi-callgrind-") as tmp:
        counts = {
            name: count(args.library, test, Path(tmp)) / MESSAGES
            for name, test in SETUPS.items()
            if name in wanted
        }
    print(f"Instructions per message, one round of {MESSAGES} messages after one of warm-up:")
    floor = counts.get("floor with attributes")
    for name, value in counts.items():
        versus = "" if floor is None else f"  {value - floor:>+9,.0f} vs the floor"
        print(f"  {name:<22} {value:>10,.0f}{versus}")


if __name__ == "__main__":
    main()
