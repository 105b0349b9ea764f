"""CPU and recorder cost of one LoWi3 message in a real Home Assistant, against the alternatives.

Run with ``scripts/benchmark --mqtt`` (see ``--help``). A real Mosquitto and a real Home Assistant
(the end-to-end test's helpers), SQLite recorder, one Home Assistant process per setup, the same
message stream and the same 15 sensors in each:

- floor: a throw-away integration doing one ``json.loads`` and 15 ``hass.states.async_set``
  per message, the least any integration can cost;
- floor_attributes: the same, with the attributes an entity's state carries (friendly name,
  unit, device class, state class), so that the recorder stores the same states as for an
  integration's sensors;
- floor_entities: one ``json.loads`` and 15 registered ``SensorEntity`` objects, each written
  only when its value changed (as Home Assistant's MQTT sensors and lowi_ores do): the least an
  integration exposing these sensors as entities can cost;
- yaml: the 15 MQTT sensors with ``value_json`` templates that LoWi3 owners write (YAML below);
- lowi_ores: this integration with its default options;
- lowi_base (``--baseline REF``, one Home Assistant only): the same integration as it was at
  another git revision, renamed, beside it: a paired comparison of two versions, block by block
  under the same load;
- intervals: three LoWi3 entries in one Home Assistant, ``power_interval`` 0, 10 and 60, each
  fed the same stream at one message per second (recorder rows per message);
- channels: 14 busy channels (CH1..CH14, a PV inverter's messages at midday: P, CH, CL, HC, DC,
  MC) through lowi_ores (power and three indexes enabled per channel), against
- channels_yaml: the same 56 sensors as YAML MQTT sensors, and channels_yaml_power: 14 YAML
  sensors of the power only (per message: one state, where lowi_ores keeps four);
- channels_interval_10: the 14 channels through lowi_ores with ``power_interval`` 10.

CPU is the Home Assistant process's utime + stime (``/proc/<pid>/stat``) during the stream and
a short tail, minus its idle rate measured just before, per message. It is also given by thread
(``/proc/<pid>/task``): the event loop's, where integrations run, and the recorder's. Recorder
rows are the rows of the ``states`` table written from the start of the stream. A benchmark, not
a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
import inspect
import json
import os
from pathlib import Path
import shutil
import sqlite3
import tempfile
import time
from typing import Any, Final

from paho.mqtt import client as mqtt_client
from paho.mqtt.enums import CallbackAPIVersion

from demo.hass_config import Helper, config_entry, lowi_entry, write_config
from demo.processes import HomeAssistant, Mosquitto, free_port, wait_for
from simulator import Simulation, SimulationConfig

IDENT: Final = "3494546c709b"
TOPIC: Final = f"{IDENT}/PUB/CH0"
# The baseline (--baseline): the integration at another revision, under another domain, with
# its own dongle.
BASE_DOMAIN: Final = "lowi_base"
BASE_IDENT: Final = "baseline0001"
TICKS: Final = os.sysconf("SC_CLK_TCK")

# The 15 sensors every setup shows: (lowi_ores key, YAML name, unit, device class, state class,
# value template). The floor integration and the YAML compute the same values as lowi_ores.
SENSORS: Final[tuple[tuple[str, str, str | None, str | None, str | None, str], ...]] = (
    ("import_power", "Power imported", "W", "power", "measurement", "value_json.PI | float"),
    ("export_power", "Power exported", "W", "power", "measurement", "value_json.PE | float"),
    (
        "net_power",
        "Net power",
        "W",
        "power",
        "measurement",
        "value_json.PI | float - value_json.PE | float",
    ),
    (
        "import_index_day",
        "Import index day",
        "kWh",
        "energy",
        "total_increasing",
        "(value_json.CIH | float / 1000) | round(3)",
    ),
    (
        "import_index_night",
        "Import index night",
        "kWh",
        "energy",
        "total_increasing",
        "(value_json.CIL | float / 1000) | round(3)",
    ),
    (
        "export_index_day",
        "Export index day",
        "kWh",
        "energy",
        "total_increasing",
        "(value_json.CEH | float / 1000) | round(3)",
    ),
    (
        "export_index_night",
        "Export index night",
        "kWh",
        "energy",
        "total_increasing",
        "(value_json.CEL | float / 1000) | round(3)",
    ),
    (
        "import_index_total",
        "Import index total",
        "kWh",
        "energy",
        "total_increasing",
        "((value_json.CIH | float + value_json.CIL | float) / 1000) | round(3)",
    ),
    (
        "export_index_total",
        "Export index total",
        "kWh",
        "energy",
        "total_increasing",
        "((value_json.CEH | float + value_json.CEL | float) / 1000) | round(3)",
    ),
    (
        "net_index",
        "Net index",
        "kWh",
        "energy",
        "total",
        "((value_json.CIH | float + value_json.CIL | float - value_json.CEH | float"
        " - value_json.CEL | float) / 1000) | round(3)",
    ),
    (
        "gas_index",
        "Gas index",
        "m³",
        "gas",
        "total_increasing",
        "(value_json.CG | float / 1000) | round(3)",
    ),
    (
        "water_index",
        "Water index",
        "m³",
        "water",
        "total_increasing",
        "(value_json.CW | float / 1000) | round(3)",
    ),
    ("voltage", "Voltage", "V", "voltage", "measurement", "value_json.U | float"),
    (
        "current",
        "Current",
        "A",
        "current",
        "measurement",
        "(value_json.I | float / 1000) | round(3)",
    ),
    ("tariff", "Tariff", None, None, None, "'day' if value_json.T | string == '1' else 'night'"),
)


def yaml_sensors(topic: str = TOPIC) -> str:
    """Return the MQTT sensors of the YAML setup (also the README's "Migrating from YAML")."""
    lines = ["mqtt:", "  sensor:"]
    for key, name, unit, device_class, state_class, template in SENSORS:
        lines += [
            f'    - name: "LoWi3 {name}"',
            f'      unique_id: "lowi3_yaml_{key}"',
            f'      state_topic: "{topic}"',
            f'      value_template: "{{{{ {template} }}}}"',
        ]
        if unit:
            lines.append(f'      unit_of_measurement: "{unit}"')
        if device_class:
            lines.append(f"      device_class: {device_class}")
        if state_class:
            lines.append(f"      state_class: {state_class}")
    return "\n".join(lines) + "\n"


def floor_values(data: dict[str, Any]) -> dict[str, float | str]:
    """Return the 15 sensors' values of a CH0 message, as the floor writes them."""
    pi, pe = float(data["PI"]), float(data["PE"])
    cih, cil = float(data["CIH"]), float(data["CIL"])
    ceh, cel = float(data["CEH"]), float(data["CEL"])
    return {
        "import_power": pi,
        "export_power": pe,
        "net_power": pi - pe,
        "import_index_day": round(cih / 1000, 3),
        "import_index_night": round(cil / 1000, 3),
        "export_index_day": round(ceh / 1000, 3),
        "export_index_night": round(cel / 1000, 3),
        "import_index_total": round((cih + cil) / 1000, 3),
        "export_index_total": round((ceh + cel) / 1000, 3),
        "net_index": round((cih + cil - ceh - cel) / 1000, 3),
        "gas_index": round(float(data["CG"]) / 1000, 3),
        "water_index": round(float(data["CW"]) / 1000, 3),
        "voltage": float(data["U"]),
        "current": round(float(data["I"]) / 1000, 3),
        "tariff": "day" if str(data["T"]) == "1" else "night",
    }


# The helper loaded into every benchmarked Home Assistant: the floor integration (when its YAML
# key has a topic), an action choosing which lowi_ores sensors are enabled, and cProfile.
HELPER: Final = '''
"""Benchmark helper, written by benchmarks/mqtt_cpu.py into a temporary folder; never shipped."""
import cProfile
import gc
import json
from pathlib import Path
import pstats
import threading
import time
from typing import Any

from homeassistant.components import mqtt
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.discovery import async_load_platform

DOMAIN = "lowi_bench"
BASE_DOMAIN = {base_domain!r}
SENSORS = {sensors!r}


{floor_values}

async def subscribe_floor(hass, topic, full, prefix):
    """Write the 15 values of each message on topic as bare states (entity ids prefix + key)."""
    set_state = hass.states.async_set
    # Bare: the unit only. With full: what an entity's state carries too (friendly name,
    # device class, state class), so that the recorder stores the same states.
    attributes = {{
        key: {{
            k: v
            for k, v in (
                ("unit_of_measurement", unit),
                ("device_class", device_class if full else None),
                ("state_class", state_class if full else None),
                ("friendly_name", f"LoWi3 floor {{name}}" if full else None),
            )
            if v
        }}
        for key, name, unit, device_class, state_class in SENSORS
    }}

    # A callback, run in the event loop as every integration's message handler is: a plain
    # function would be run in the executor, one thread hand-over per message.
    @callback
    def received(msg):
        values = floor_values(json.loads(msg.payload))
        for key, value in values.items():
            set_state(f"{{prefix}}{{key}}", str(value), attributes[key])

    await mqtt.async_subscribe(hass, topic, received, encoding=None)


async def async_setup(hass, config):
    conf = config.get(DOMAIN) or {{}}
    for floor in conf.get("floors", []):
        await mqtt.async_wait_for_mqtt_client(hass)
        await subscribe_floor(hass, floor["topic"], floor["attributes"], floor["prefix"])
    for topic in conf.get("entity_floors", []):
        # The floor with entities: sensor.py of this helper.
        hass.async_create_task(
            async_load_platform(hass, "sensor", DOMAIN, {{"topic": topic}}, config)
        )

    async def enable(call):
        registry = er.async_get(hass)
        wanted = {{key for key, *_ in SENSORS}}
        entries = set()
        for entry in list(registry.entities.values()):
            if entry.platform not in ("lowi_ores", BASE_DOMAIN):
                continue
            key = next(
                (k for k in sorted(wanted, key=len, reverse=True)
                 if entry.unique_id.endswith("_" + k)),
                None,
            )
            disabled = None if key else er.RegistryEntryDisabler.USER
            if entry.disabled_by != disabled:
                registry.async_update_entity(entry.entity_id, disabled_by=disabled)
                entries.add(entry.config_entry_id)
        # Home Assistant's own registry listener reloads them again 30 s later.
        for entry_id in entries:
            await hass.config_entries.async_reload(entry_id)

    profiler = {{}}

    async def profile_start(call):
        profiler["p"] = cProfile.Profile()
        profiler["p"].enable()

    def write_profile(profile, path, full):
        with open(path, "w") as out:
            pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(40)
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(60)
        if full:
            with open(full, "w") as out:
                pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats()

    async def profile_stop(call):
        profile = profiler.pop("p")
        profile.disable()
        # Written in the executor: no file I/O in the event loop.
        await hass.async_add_executor_job(
            write_profile, profile, call.data["path"], call.data.get("full")
        )

    # The event loop's CPU time of each message's dispatch (Home Assistant's MQTT client, the
    # callbacks, their state writes), by topic: no other thread, no idle rate in it.
    dispatch = {{}}
    hooked = {{}}

    # Each garbage collection, in the event loop's thread or another (the recorder's): when it
    # ended (wall clock), the thread (0: the loop), its generation (2: the whole heap) and its
    # CPU ns. The benchmark charges it to the setup whose block was being measured then; a
    # collection between blocks (the recorder's statistics run, the rows query) is nobody's.
    # "loop": the CPU ns of all the event loop's collections so far, so that a dispatch can tell
    # how much of its own time went to the collections that ran inside it.
    collecting = {{"start": 0, "loop": 0}}
    collections = []

    def spent_on(topic):
        # Not setdefault: its default would be built for every message.
        if (spent := dispatch.get(topic)) is None:
            spent = dispatch[topic] = {{
                "dispatch": 0,
                "messages": 0,
                "kept": 0,
                "kept_messages": 0,
                "collecting": 0,
            }}
        return spent

    def collected(phase, info):
        if phase == "start":
            collecting["start"] = time.thread_time_ns()
            return
        in_loop = threading.current_thread() is threading.main_thread()
        ns = time.thread_time_ns() - collecting["start"]
        if in_loop:
            collecting["loop"] += ns
        collections.append((time.time(), 0 if in_loop else 1, info["generation"], ns))

    async def dispatch_start(call):
        client = hass.data["mqtt"].client._mqttc
        original = client.on_message

        def timed(mqttc, userdata, msg):
            start = time.thread_time_ns()
            young = gc.get_count()[0]
            collected_before = collecting["loop"]
            try:
                original(mqttc, userdata, msg)
            finally:
                spent = spent_on(msg.topic)
                spent["dispatch"] += time.thread_time_ns() - start
                spent["collecting"] += collecting["loop"] - collected_before
                spent["messages"] += 1
                # What the dispatch left alive of the objects the collector follows (the
                # young generation's count), over the messages during which it did not run.
                if (grown := gc.get_count()[0] - young) >= 0:
                    spent["kept"] += grown
                    spent["kept_messages"] += 1

        dispatch.clear()
        collections.clear()
        hooked["on_message"] = original
        client.on_message = timed
        gc.callbacks.append(collected)

    async def dispatch_stop(call):
        hass.data["mqtt"].client._mqttc.on_message = hooked.pop("on_message")
        gc.callbacks.remove(collected)
        # Written in the executor: no file I/O in the event loop.
        text = json.dumps({{"dispatch": dispatch, "collections": collections}})
        await hass.async_add_executor_job(Path(call.data["path"]).write_text, text)

    hass.services.async_register(DOMAIN, "enable", enable)
    hass.services.async_register(DOMAIN, "profile_start", profile_start)
    hass.services.async_register(DOMAIN, "profile_stop", profile_stop)
    hass.services.async_register(DOMAIN, "dispatch_start", dispatch_start)
    hass.services.async_register(DOMAIN, "dispatch_stop", dispatch_stop)
    return True
'''


def write_helper(folder: Path) -> Helper:
    """Write the helper integration's module; return it as a configuration folder's helper."""
    folder.mkdir(parents=True, exist_ok=True)
    sensors = [
        (key, name, unit, device_class, state_class)
        for key, name, unit, device_class, state_class, _ in SENSORS
    ]
    source = folder / "lowi_bench.py"
    source.write_text(
        HELPER.format(
            sensors=sensors,
            base_domain=BASE_DOMAIN,
            floor_values=inspect.getsource(floor_values),
        )
    )
    # The floor with entities is the helper's sensor platform.
    platforms = (("sensor", Path(__file__).with_name("entity_floor.py")),)
    return Helper("lowi_bench", "LoWi3 benchmark helper", source, ("mqtt",), platforms)


CHANNEL_TOPICS: Final = {f"ch{n}": f"{IDENT}/PUB/CH{n}" for n in range(1, 15)}
# (key, YAML name, unit, state class, value template) of a channel's sensors.
CHANNEL_SENSORS: Final = (
    ("power", "Power", "W", "measurement", "value_json.P | float"),
    (
        "index_high",
        "Index high",
        "kWh",
        "total_increasing",
        "(value_json.CH | float / 1000) | round(3)",
    ),
    (
        "index_low",
        "Index low",
        "kWh",
        "total_increasing",
        "(value_json.CL | float / 1000) | round(3)",
    ),
    (
        "index_total",
        "Index total",
        "kWh",
        "total_increasing",
        "((value_json.CH | float + value_json.CL | float) / 1000) | round(3)",
    ),
)


def channel_yaml_sensors(
    keys: tuple[str, ...] = ("power", "index_high", "index_low", "index_total"),
) -> str:
    """Return YAML MQTT sensors for the 14 channels: the lowi_ores channel entities, or fewer."""
    lines = ["mqtt:", "  sensor:"]
    for number in range(1, 15):
        for key, name, unit, state_class, template in CHANNEL_SENSORS:
            if key not in keys:
                continue
            lines += [
                f'    - name: "LoWi3 CH{number} {name}"',
                f'      unique_id: "lowi3_yaml_ch{number}_{key}"',
                f'      state_topic: "{IDENT}/PUB/CH{number}"',
                f'      value_template: "{{{{ {template} }}}}"',
                f'      unit_of_measurement: "{unit}"',
                f"      state_class: {state_class}",
            ]
    return "\n".join(lines) + "\n"


def channel_stream(count: int) -> list[bytes]:
    """Return `count` payloads of a PV inverter's channel at midday, one second apart.

    Without device_CH and names, so that the same payload fits every channel's topic.
    """
    simulation = Simulation(
        SimulationConfig(
            seed=7, start=datetime(2026, 6, 22, 10, 0, tzinfo=UTC), interval=1.0, pv_channel=1
        )
    )
    payloads: list[bytes] = []
    while len(payloads) < count:
        if simulation.step() is not None:
            fields = simulation.channel_fields()[1]
            del fields["device_CH"], fields["CHname"], fields["Name"]
            payloads.append(json.dumps(fields).encode())
    return payloads


def stream(count: int, ident: str = IDENT) -> list[bytes]:
    """Return `count` simulated CH0 payloads, one second of meter time apart."""
    simulation = Simulation(
        SimulationConfig(
            seed=7, start=datetime(2026, 6, 22, 9, 0, tzinfo=UTC), interval=1.0, ident=ident
        )
    )
    payloads: list[bytes] = []
    while len(payloads) < count:
        if (message := simulation.step()) is not None:
            payloads.append(message.payload.encode())
    return payloads


def cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU time, seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """Return a process's CPU time by thread name (threads of one name added up), seconds."""
    times: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        # Numbered pool threads (SyncWorker_3, ...) under one name.
        name = name.rstrip("0123456789_") or name
        times[name] = times.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / TICKS
    return times


def rss_mib(pid: int) -> float:
    """Return a process's resident memory, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_average() -> str:
    """Return the machine's 1-minute load average."""
    return Path("/proc/loadavg").read_text().split()[0]


class Publisher:
    """A paho client on the broker, publishing at a steady rate."""

    def __init__(self, port: int) -> None:
        """Connect."""
        self.client = mqtt_client.Client(CallbackAPIVersion.VERSION2)
        self.client.connect("127.0.0.1", port, keepalive=60)
        self.client.loop_start()

    def send(self, topics: list[str], payloads: list[bytes], rate: float) -> float:
        """Publish every payload on every topic, `rate` payloads a second; return the start time."""
        start = time.monotonic()
        for number, payload in enumerate(payloads):
            for topic in topics:
                self.client.publish(topic, payload, qos=0)
            delay = start + (number + 1) / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        return start

    def close(self) -> None:
        """Disconnect."""
        self.client.loop_stop()
        self.client.disconnect()


@dataclass(slots=True)
class Result:
    """What one setup cost."""

    name: str
    messages: int
    cpu_ms: float
    rows: dict[str, float]
    load: str
    entities: dict[str, dict[str, int]]  # rows per sensor, per entry
    # CPU ms per message by thread name during the stream (idle not subtracted).
    threads: dict[str, float] = field(default_factory=dict)
    # Rows of the recorder's state_attributes table (each distinct set of attributes once).
    attribute_rows: int = 0


@contextmanager
def home_assistant(
    workdir: Path,
    broker: Mosquitto,
    *,
    yaml: str = "",
    lowi: list[tuple[str, dict[str, Any]]] | None = None,
    floors: tuple[tuple[str, bool, str], ...] = (),
    entity_floors: tuple[str, ...] = (),
    baseline: Path | None = None,
) -> Iterator[HomeAssistant]:
    """Start a Home Assistant with the helper and the given setup; stop it afterwards.

    baseline: a folder holding the integration at another revision, set up beside it as
    BASE_DOMAIN with the dongle BASE_IDENT.
    """
    config_dir = workdir / "config"
    port = free_port()
    # The floor integrations: (topic, with attributes, entity id prefix); the entity floors by
    # topic.
    helper_yaml = "\nlowi_bench:\n"
    if floors:
        helper_yaml += "  floors:\n" + "".join(
            f"    - topic: {topic}\n      attributes: {str(full).lower()}\n      prefix: {prefix}\n"
            for topic, full, prefix in floors
        )
    if entity_floors:
        helper_yaml += "  entity_floors:\n" + "".join(f"    - {t}\n" for t in entity_floors)
    login = write_config(
        config_dir,
        broker_host="127.0.0.1",
        broker_port=broker.port,
        http_port=port,
        name="LoWi3 benchmark",
        extra_yaml=helper_yaml + yaml,
        energy=False,
        helpers=(write_helper(workdir / "helper"),),
    )
    entries_file = config_dir / ".storage" / "core.config_entries"
    entries = json.loads(entries_file.read_text())
    kept = [e for e in entries["data"]["entries"] if e["domain"] != "lowi_ores"]
    kept += [lowi_entry(ident, options) for ident, options in lowi or []]
    idents = [ident for ident, _ in lowi or []]
    if baseline is not None:
        write_baseline(baseline, config_dir / "custom_components" / BASE_DOMAIN)
        kept.append(
            config_entry(
                BASE_DOMAIN, f"LoWi3 {BASE_IDENT}", {"ident": BASE_IDENT}, unique_id=BASE_IDENT
            )
        )
        idents.append(BASE_IDENT)
    entries["data"]["entries"] = kept
    entries_file.write_text(json.dumps(entries))
    # Quieter than the demo: the benchmark measures the work, not the logging.
    config_yaml = config_dir / "configuration.yaml"
    config_yaml.write_text(
        config_yaml.read_text().replace(
            "custom_components.lowi_ores: info", "homeassistant: warning"
        )
    )
    hass = HomeAssistant(
        config_dir,
        port,
        login.access_token,
        log_path=workdir / "home-assistant.log",
        extra_path=os.environ.get("LOWI_ORES_HASS_EXTRA") or None,
    )
    try:
        hass.start(timeout=180)
        if idents:
            # The API answers before the integrations are set up.
            for ident in idents:
                wait_for(
                    f"the sensors of {ident}",
                    partial(hass.state, f"sensor.lowi3_{ident}_net_power"),
                    120,
                    1,
                )
            hass.call("POST", "/api/services/lowi_bench/enable", {}, timeout=60)
            time.sleep(40)  # the reload that follows a change of enabled entities
            for ident in idents:
                wait_for(
                    f"the voltage sensor of {ident}",
                    partial(hass.state, f"sensor.lowi3_{ident}_voltage"),
                    60,
                    1,
                )
        yield hass
    finally:
        hass.stop(timeout=30)


def write_baseline(source: Path, folder: Path) -> None:
    """Copy the integration at another revision into `folder`, renamed BASE_DOMAIN."""
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("__pycache__"))
    const = folder / "const.py"
    text = const.read_text()
    if 'DOMAIN: Final = "lowi_ores"' not in text:
        raise SystemExit(f"{source}: no DOMAIN of lowi_ores in const.py to rename")
    const.write_text(
        text.replace('DOMAIN: Final = "lowi_ores"', f'DOMAIN: Final = "{BASE_DOMAIN}"')
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["domain"] = BASE_DOMAIN
    manifest["name"] += " (baseline)"
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))


# The recorder compiles statistics every 5 minutes, 10 seconds past; in a database of many
# states that takes it a second of CPU or more: a measurement overlapping it would be charged
# with it (or its idle rate would).
STATISTICS_PERIOD: Final = 300.0
STATISTICS_COMPILE: Final = (5.0, 40.0)  # seconds after each period's start, with a margin


def clear_of_statistics(seconds: float) -> None:
    """Wait, if needed, so that the next `seconds` do not overlap a statistics compilation."""
    now = time.time()
    start, end = STATISTICS_COMPILE
    offset = now % STATISTICS_PERIOD
    if offset < end:
        time.sleep(end - offset)
    elif STATISTICS_PERIOD - offset + start < seconds:
        time.sleep(STATISTICS_PERIOD - offset + end)


def settle(hass: HomeAssistant, seconds: float) -> float:
    """Wait, then measure the idle CPU rate over `seconds`; return CPU seconds per second."""
    assert hass.pid is not None
    time.sleep(seconds)
    before, start = cpu_seconds(hass.pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(hass.pid) - before) / (time.monotonic() - start)


def state_rows(db: Path, since: float, prefixes: dict[str, str]) -> dict[str, dict[str, int]]:
    """Return the state rows written since a wall-clock time, by entity id prefix and entity."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT m.entity_id, COUNT(*) FROM states s JOIN states_meta m "
            "ON s.metadata_id = m.metadata_id WHERE s.last_updated_ts >= ? GROUP BY m.entity_id",
            (since,),
        ).fetchall()
    counts: dict[str, dict[str, int]] = {name: {} for name in prefixes}
    for entity_id, count in rows:
        for name, prefix in prefixes.items():
            if entity_id.startswith(prefix):
                counts[name][entity_id.removeprefix(prefix)] = count
    return counts


def stream_cost(
    hass: HomeAssistant,
    publisher: Publisher,
    topics: list[str],
    payloads: list[bytes],
    *,
    rate: float,
    idle_seconds: float,
    before_stream: Callable[[], object] | None = None,
) -> tuple[float, float, dict[str, float]]:
    """Measure the idle rate, then send the stream and wait for its tail.

    Returns when the stream began (wall clock), the CPU ms per message above idle, and the CPU
    ms per message by thread (idle included, threads under 0.005 ms left out).
    """
    assert hass.pid is not None
    clear_of_statistics(2 * idle_seconds + len(payloads) / rate + 10)
    idle = settle(hass, idle_seconds)
    if before_stream is not None:
        before_stream()
    since, used, spent = send_and_measure(hass, publisher, topics, payloads, rate=rate, idle=idle)
    count = len(payloads) * len(topics)
    return since, used / count * 1000, thread_ms(spent, count)


def thread_ms(seconds: dict[str, float], count: int) -> dict[str, float]:
    """Return CPU ms per message by thread, dearest first, threads under 0.005 ms left out."""
    threads = {thread: spent * 1000 / count for thread, spent in seconds.items()}
    return {t: ms for t, ms in sorted(threads.items(), key=lambda i: -i[1]) if ms >= 0.005}


def send_and_measure(
    hass: HomeAssistant,
    publisher: Publisher,
    topics: list[str],
    payloads: list[bytes],
    *,
    rate: float,
    idle: float,
    tail: float = 5.0,
) -> tuple[float, float, dict[str, float]]:
    """Send the payloads and wait `tail` seconds for Home Assistant to finish with them.

    Returns when the sending began (wall clock), the CPU seconds spent above the idle rate
    (`idle`, CPU seconds per second), and the CPU seconds by thread (idle included).
    """
    assert hass.pid is not None
    since = time.time()
    before, threads_before = cpu_seconds(hass.pid), thread_cpu_seconds(hass.pid)
    start = publisher.send(topics, payloads, rate)
    time.sleep(tail)
    used = cpu_seconds(hass.pid) - before - idle * (time.monotonic() - start)
    threads = {
        thread: seconds - threads_before.get(thread, 0.0)
        for thread, seconds in thread_cpu_seconds(hass.pid).items()
    }
    return since, used, threads


def measure(
    name: str,
    workdir: Path,
    broker: Mosquitto,
    payloads: list[bytes],
    rate: float,
    *,
    topics: dict[str, str] | None = None,
    prefixes: dict[str, str] | None = None,
    profile: bool = False,
    idle_seconds: float = 10.0,
    **setup: Any,
) -> Result:
    """Run one setup: idle rate, the stream, the tail; return CPU per message and rows."""
    topics = topics or {name: TOPIC}
    overridden_prefixes = prefixes
    prefixes = {
        key: "sensor.floor_"
        if setup.get("floors")
        else "sensor.lowi3_entity_floor_"
        if setup.get("entity_floors")
        else "sensor.lowi3_" + topic.split("/")[0]
        for key, topic in topics.items()
    }
    if setup.get("yaml"):
        prefixes = {name: "sensor.lowi3_"}
    prefixes = overridden_prefixes or prefixes
    with home_assistant(workdir / name, broker, **setup) as hass:
        assert hass.pid is not None
        # The sensors exist and the lowi_ores counter guards know the meter before measuring.
        publisher = Publisher(broker.port)
        try:
            publisher.send(list(topics.values()), payloads[:5], 5)
            time.sleep(3)
            since, cpu_ms, threads = stream_cost(
                hass,
                publisher,
                list(topics.values()),
                payloads[5:],
                rate=rate,
                idle_seconds=idle_seconds,
                before_stream=(
                    lambda: hass.call("POST", "/api/services/lowi_bench/profile_start", {})
                )
                if profile
                else None,
            )
            if profile:
                path = workdir / f"profile-{name}.txt"
                full = Path(tempfile.gettempdir()) / f"lowi-profile-{name}-full.txt"
                hass.call(
                    "POST",
                    "/api/services/lowi_bench/profile_stop",
                    {"path": str(path), "full": str(full)},
                )
                print(f"Whole profile: {full}")
                # Python 3.12 and later profile every thread (sys.monitoring), the recorder's too.
                print(f"cProfile of {name}'s stream (all threads):\n{path.read_text()}")
        finally:
            publisher.close()
        time.sleep(3)  # the recorder commits every second
        load = load_average()
    messages = len(payloads) - 5
    rows = state_rows(hass.config_dir / "home-assistant_v2.db", since, prefixes)
    with sqlite3.connect(hass.config_dir / "home-assistant_v2.db") as connection:
        (attribute_rows,) = connection.execute("SELECT COUNT(*) FROM state_attributes").fetchone()
    return Result(
        name,
        messages,
        cpu_ms,
        {key: sum(counts.values()) / messages for key, counts in rows.items()},
        load,
        rows,
        threads,
        attribute_rows,
    )


def memory(workdir: Path, broker: Mosquitto, count: int, rate: float, every: float) -> None:
    """Feed lowi_ores `count` messages at `rate`; print the resident memory every `every` s."""
    payloads = stream(count)
    with home_assistant(workdir / "memory", broker, lowi=[(IDENT, {})]) as hass:
        assert hass.pid is not None
        publisher = Publisher(broker.port)
        try:
            start = time.monotonic()
            print("seconds  messages  rss_mib  cpu_s  load")
            sent = 0
            batch = max(1, int(rate * every))
            while sent < count:
                chunk = payloads[sent : sent + batch]
                publisher.send([TOPIC], chunk, rate)
                sent += len(chunk)
                print(
                    f"{time.monotonic() - start:7.0f}  {sent:8d}  {rss_mib(hass.pid):7.1f}  "
                    f"{cpu_seconds(hass.pid):5.0f}  {load_average()}",
                    flush=True,
                )
        finally:
            publisher.close()


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000, help="messages for a, b, c")
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second for a, b, c")
    parser.add_argument(
        "--interval-messages", type=int, default=300, help="messages at 1/s for the intervals"
    )
    parser.add_argument(
        "--channel-messages", type=int, default=300, help="messages per channel for the channels"
    )
    parser.add_argument(
        "--channel-rate", type=float, default=10.0, help="messages per second and channel"
    )
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        help="floor floor_attributes floor_entities yaml lowi_ores intervals channels channels_yaml "
        "channels_yaml_power channels_interval_10",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile a separate lowi_ores pass"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of the CPU setups, run in turn (floor, yaml, lowi_ores, floor, ...); "
        "the medians are printed, and each round's ratios",
    )
    parser.add_argument(
        "--one-instance",
        action="store_true",
        help="floor, floor_attributes, floor_entities, yaml and lowi_ores in one Home Assistant, "
        "in turn "
        "(--repeat rounds)",
    )
    parser.add_argument(
        "--block",
        type=int,
        default=500,
        help="with --one-instance: messages per block; the setups take turns block by block",
    )
    parser.add_argument(
        "--baseline-dir",
        default=None,
        help="with --one-instance: an integration folder at another revision, run beside this one "
        f"as {BASE_DOMAIN} (scripts/benchmark --mqtt --baseline REF writes it from git)",
    )
    parser.add_argument("--memory", type=int, default=0, help="only a memory run of N messages")
    parser.add_argument("--memory-rate", type=float, default=10.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lowi-bench-") as folder:
        workdir = Path(folder)
        broker = Mosquitto(workdir / "mosquitto")
        broker.start()
        try:
            if args.memory:
                memory(workdir, broker, args.memory, args.memory_rate, 60)
                return
            if args.one_instance:
                run_one_instance(workdir, broker, args)
                return
            run(workdir, broker, args)
        finally:
            broker.stop()


def run(workdir: Path, broker: Mosquitto, args: argparse.Namespace) -> None:
    """Measure every setup asked for and print the table."""
    payloads = stream(args.messages + 5)
    wanted = set(
        args.only
        or (
            "floor",
            "floor_attributes",
            "floor_entities",
            "yaml",
            "lowi_ores",
            "intervals",
            "channels",
            "channels_yaml",
            "channels_yaml_power",
            "channels_interval_10",
        )
    )
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, load {load_average()}")
    rounds: dict[str, list[Result]] = {}
    for number in range(1, args.repeat + 1):
        folder = workdir / f"round-{number}"
        setups: dict[str, dict[str, Any]] = {
            "floor": {"floors": ((TOPIC, False, "sensor.floor_"),)},
            "floor_attributes": {"floors": ((TOPIC, True, "sensor.floor_"),)},
            "floor_entities": {"entity_floors": (TOPIC,)},
            "yaml": {"yaml": yaml_sensors()},
            "lowi_ores": {"lowi": [(IDENT, {})]},
        }
        for name, setup in setups.items():
            if name in wanted:
                result = measure(name, folder, broker, payloads, args.rate, **setup)
                rounds.setdefault(name, []).append(result)
                print(
                    f"  round {number}, {name}: {result.cpu_ms:.3f} ms/msg, load {result.load}, "
                    f"attribute rows {result.attribute_rows}; by thread: "
                    + ", ".join(f"{thread} {ms:.3f}" for thread, ms in result.threads.items()),
                    flush=True,
                )
        run_channels(folder, broker, args, wanted, rounds=rounds, number=number)
    results = [median_result(rounds[name]) for name in CPU_SETUPS if name in rounds]
    channel_results = [
        median_result(rounds[name])
        for name in ("channels", "channels_yaml", "channels_yaml_power", "channels_interval_10")
        if name in rounds
    ]
    print(
        f"\n{args.messages} messages at {args.rate:g}/s; HA CPU per message above idle"
        + (f", median of {args.repeat} rounds" if args.repeat > 1 else "")
    )
    print_cpu_table(results, rounds)
    for result in results:
        print(
            f"  {result.name}, CPU ms per message by thread (idle included): "
            + ", ".join(f"{thread} {ms:.3f}" for thread, ms in result.threads.items())
        )
    print_round_ratios(rounds, "lowi_ores", CPU_SETUPS[:-1])
    for result in results:
        written = result.entities[result.name]
        print(f"  {result.name}: {len(written)} sensors written, rows: {written}")
    if channel_results:
        print(
            f"\n14 channels x {args.channel_messages} messages at {args.channel_rate:g}/s each; "
            "HA CPU per channel message above idle"
        )
        print("setup                 ms/msg  x yaml(56)  rows/msg  load")
        yaml56 = next((r.cpu_ms for r in channel_results if r.name == "channels_yaml"), None)
        for result in channel_results:
            ratio = f"{result.cpu_ms / yaml56:10.2f}" if yaml56 else "         -"
            rows = sum(result.rows.values()) / len(CHANNEL_TOPICS)
            print(f"{result.name:<20} {result.cpu_ms:7.3f}  {ratio}  {rows:8.2f}  {result.load}")
        print_round_ratios(rounds, "channels", ("channels_yaml", "channels_yaml_power"))
        print_round_ratios(rounds, "channels_interval_10", ("channels_yaml", "channels_yaml_power"))
    if args.profile:
        # A pass of its own: the profiler's overhead must not count in the figures above.
        for name, setup in setups.items():
            if name in wanted:
                measure(
                    f"{name}_profiled",
                    workdir,
                    broker,
                    payloads,
                    args.rate,
                    profile=True,
                    topics={f"{name}_profiled": TOPIC},
                    **setup,
                )
    if "intervals" in wanted:
        intervals = (0, 10, 60)
        idents = {f"interval_{n}": f"lowi{n:03d}" for n in intervals}
        result = measure(
            "intervals",
            workdir,
            broker,
            stream(args.interval_messages + 5),
            1.0,
            topics={name: f"{ident}/PUB/CH0" for name, ident in idents.items()},
            lowi=[(idents[f"interval_{n}"], {"power_interval": n}) for n in intervals],
        )
        every = result.rows["interval_0"]
        print(f"\n{args.interval_messages} messages at 1/s; recorder state rows per message")
        for name, rows in result.rows.items():
            print(f"{name:<12} {rows:6.2f}  x every message {rows / every if every else 0:5.2f}")
        print(f"  rows of interval_10: {result.entities['interval_10']}")


# The one-instance comparison: each setup on its own topic, all in one Home Assistant. The
# others' topics do not match lowi_ores's CH0 subscription (+/PUB/CH0): a broker speaking MQTT 5
# would deliver their messages twice (once per matching subscription), which a YAML user
# without lowi_ores does not pay.
ONE_INSTANCE_TOPICS: Final = {
    "floor": "bench/floor/CH0",
    "floor_attributes": "bench/floor_attributes/CH0",
    "floor_entities": "bench/floor_entities/CH0",
    "yaml": "bench/yaml/CH0",
    "lowi_ores": TOPIC,
}
BASE_TOPIC: Final = f"{BASE_IDENT}/PUB/CH0"


def rows_between(db: Path, since: float, until: float) -> int:
    """Return the number of state rows written between two wall-clock times."""
    with sqlite3.connect(db) as connection:
        (count,) = connection.execute(
            "SELECT COUNT(*) FROM states WHERE last_updated_ts >= ? AND last_updated_ts < ?",
            (since, until),
        ).fetchone()
    return int(count)


def run_one_instance(workdir: Path, broker: Mosquitto, args: argparse.Namespace) -> None:
    """Floor, floor with attributes, floor with entities, YAML and lowi_ores in ONE Home Assistant.

    Each setup listens to its own topic and the stream goes to one topic at a time, so every
    setup is measured in the same process (same heap, same recorder database). A round sends
    each setup the same messages in blocks of `--block`, the setups taking turns block by block
    in an order rotated with each block: a slow spell of the machine (a virtual machine's
    neighbours) falls on every setup alike instead of on one setup's whole round. A setup's
    figure for the round is its CPU over all its blocks, above the idle rate measured at the
    start of the round, per message.
    """
    topics = dict(ONE_INSTANCE_TOPICS)
    if args.baseline_dir:
        topics[BASE_DOMAIN] = BASE_TOPIC
    names = list(topics)
    payloads = stream(5 + args.repeat * args.messages)
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, load {load_average()}")
    rounds: dict[str, list[Result]] = {name: [] for name in names}
    # The same, with the garbage collector's CPU pooled and shared out by messages.
    shared: dict[str, list[Result]] = {name: [] for name in names}
    with home_assistant(
        workdir / "one",
        broker,
        yaml=yaml_sensors(ONE_INSTANCE_TOPICS["yaml"]),
        lowi=[(IDENT, {})],
        floors=(
            (ONE_INSTANCE_TOPICS["floor"], False, "sensor.floor_"),
            (ONE_INSTANCE_TOPICS["floor_attributes"], True, "sensor.floor_attributes_"),
        ),
        entity_floors=(ONE_INSTANCE_TOPICS["floor_entities"],),
        baseline=Path(args.baseline_dir) if args.baseline_dir else None,
    ) as hass:
        assert hass.pid is not None
        db = hass.config_dir / "home-assistant_v2.db"
        publisher = Publisher(broker.port)
        try:
            publisher.send(list(topics.values()), payloads[:5], 5)
            time.sleep(3)
            dispatch: dict[str, Spent] = {}
            for number in range(args.repeat):
                part = payloads[5 + number * args.messages :][: args.messages]
                hass.call("POST", "/api/services/lowi_bench/dispatch_start", {})
                windows: list[Window] = []
                for result in interleaved_round(
                    hass, db, publisher, topics=topics, part=part, args=args, windows=windows
                ):
                    rounds[result.name].append(result)
                    print(
                        f"  round {number + 1}, {result.name}: {result.cpu_ms:.3f} ms/msg, "
                        f"{sum(result.rows.values()):.2f} rows/msg; by thread: "
                        + ", ".join(f"{t} {ms:.3f}" for t, ms in result.threads.items()),
                        flush=True,
                    )
                dispatch_path = workdir / "dispatch.json"
                hass.call(
                    "POST", "/api/services/lowi_bench/dispatch_stop", {"path": str(dispatch_path)}
                )
                this_round, between_ns, between = read_spent(dispatch_path, topics, windows)
                print_collector(this_round, f"round {number + 1}")
                print(
                    f"    between blocks (not measured): {between} collections, "
                    f"{between_ns / 1e6:.1f} ms",
                    flush=True,
                )
                for result in collector_shared([rounds[name][-1] for name in names], this_round):
                    shared[result.name].append(result)
                for name, spent in this_round.items():
                    dispatch.setdefault(name, Spent()).add(spent)
        finally:
            publisher.close()
    results = [median_result(rounds[name]) for name in names]
    print(
        f"\nOne Home Assistant, {args.messages} messages at {args.rate:g}/s per setup and round "
        f"(blocks of {args.block}, setups taking turns); HA CPU per message above idle, median "
        f"of {args.repeat} rounds"
    )
    print_cpu_table(results, rounds)
    print_round_ratios(rounds, "lowi_ores", (*CPU_SETUPS[:-1], BASE_DOMAIN))
    print(
        "\nThe same, with the garbage collector's CPU in each round's blocks pooled and shared "
        "out among the setups by messages, instead of charged to the setup whose block was "
        "being measured when a collection came:"
    )
    print_cpu_table([median_result(shared[name]) for name in names], shared)
    print_round_ratios(shared, "lowi_ores", (*CPU_SETUPS[:-1], BASE_DOMAIN))
    print_dispatch(dispatch)


@dataclass
class Spent:
    """The event loop's dispatch and the garbage collector's CPU while a setup's messages came."""

    dispatch_ns: int = 0
    messages: int = 0
    # Objects followed by the collector that the dispatch left alive (allocated minus freed),
    # over the messages during which the collector did not run.
    kept: int = 0
    kept_messages: int = 0
    # The event loop's collections that ran inside the dispatch (part of dispatch_ns), ns: a
    # collection comes when the heap's count crosses a threshold, whoever crosses it, so the
    # dispatch without them is what a setup's own messages cost.
    collecting_ns: int = 0
    # By generation (0, 1, and 2: a full collection): ns in the event loop's thread, ns in the
    # other threads (the recorder's), collections in each.
    collector: list[list[int]] = field(default_factory=lambda: [[0, 0, 0, 0] for _ in range(3)])

    def add(self, other: Spent) -> None:
        """Add another round's figures."""
        self.dispatch_ns += other.dispatch_ns
        self.messages += other.messages
        self.kept += other.kept
        self.kept_messages += other.kept_messages
        self.collecting_ns += other.collecting_ns
        for mine, theirs in zip(self.collector, other.collector, strict=True):
            for index, value in enumerate(theirs):
                mine[index] += value

    @property
    def own_dispatch_ns(self) -> int:
        """Return the dispatch without the event loop's collections that ran inside it, ns."""
        return self.dispatch_ns - self.collecting_ns

    @property
    def collector_ns(self) -> int:
        """Return the collector's CPU, all generations and threads, ns."""
        return sum(loop + other for loop, other, *_ in self.collector)


# A setup's measured block: its name, and when its measurement began and ended (wall clock).
type Window = tuple[str, float, float]


def read_spent(
    path: Path, topics: dict[str, str], windows: list[Window]
) -> tuple[dict[str, Spent], int, int]:
    """Return the helper's dispatch and collector figures by setup (written by dispatch_stop).

    Each collection is charged to the setup whose block was being measured when it ended, the
    same span as its CPU figure. The others (between blocks: the recorder's statistics run
    while the benchmark waits for it, the rows query) are nobody's: their ns and their number
    are returned after the figures.
    """
    written = json.loads(path.read_text())
    by_topic = written["dispatch"]
    spent = {
        name: Spent(
            by_topic[topic]["dispatch"],
            by_topic[topic]["messages"],
            by_topic[topic]["kept"],
            by_topic[topic]["kept_messages"],
            by_topic[topic]["collecting"],
        )
        for name, topic in topics.items()
        if topic in by_topic
    }
    between_ns = between = 0
    for ended, thread, generation, ns in written["collections"]:
        owner = next((name for name, start, end in windows if start <= ended <= end), None)
        if owner is None or owner not in spent:
            between_ns += ns
            between += 1
            continue
        figures = spent[owner].collector[min(generation, 2)]
        figures[thread] += ns
        figures[2 + thread] += 1
    return spent, between_ns, between


def collector_shared(results: list[Result], spent: dict[str, Spent]) -> list[Result]:
    """Return a round's results with the garbage collector's CPU shared out by messages.

    A collection runs in whichever thread crosses the allocation threshold, and lands in the
    block of whichever setup is being measured then. Most of them run in the recorder's thread,
    on the objects of the rows it writes (the same rows for every setup), and a full one (the
    whole heap, a quarter of a second or more) comes when the heap has grown enough, whoever
    made it grow: 0 to 3 of them in one setup's blocks make the difference between its rounds.
    So the collector time measured in the round's blocks is pooled and shared out by messages;
    what each setup's own dispatch leaves to collect is printed beside it.
    """
    messages = sum(result.messages for result in results)
    if not messages or any(result.name not in spent for result in results):
        return results
    pooled_ms = sum(spent[result.name].collector_ns for result in results) / 1e6 / messages
    return [
        replace(
            result,
            cpu_ms=result.cpu_ms
            - spent[result.name].collector_ns / 1e6 / result.messages
            + pooled_ms,
        )
        for result in results
    ]


def print_dispatch(dispatch: dict[str, Spent]) -> None:
    """Print the event loop's CPU per message in each setup's dispatch, and its differences.

    Also without the collections that ran inside the dispatch: a full one costs a quarter of a
    second or more and lands in whichever dispatch crosses the threshold, which moved the
    dispatch with them by up to 80 microseconds a message from round to round. Without
    them, the differences are what the setups' own messages cost. Then the garbage collector's
    CPU while each setup's messages came.
    """
    counted = {name: spent for name, spent in dispatch.items() if spent.messages}
    without = {
        name: spent.own_dispatch_ns / spent.messages / 1000 for name, spent in counted.items()
    }
    print(
        "\nEvent loop CPU of each message's dispatch (MQTT client, callbacks, state writes), "
        "all rounds, thread time; then without the collections that ran inside it, and the "
        "differences of that:"
    )
    for name, value in without.items():
        others = "".join(
            f"  {value - without[other]:+7.1f} vs {other}"
            for other in ("floor", "floor_entities", BASE_DOMAIN)
            if other in without and other != name
        )
        with_collections = counted[name].dispatch_ns / counted[name].messages / 1000
        print(f"  {name:<16} {with_collections:7.1f} us  {value:7.1f} us{others}")
    print_collector(dispatch, "all rounds")


def print_collector(spent: dict[str, Spent], when: str) -> None:
    """Print each setup's dispatch and garbage collector figures per message."""
    print(
        f"  {when}, per message: dispatch us (without the collections inside it), objects it "
        "left to collect; garbage collector us "
        "in the event loop / in the recorder's thread; collections per 1,000 messages in each, "
        "full ones",
        flush=True,
    )
    for name, figures in spent.items():
        if not (count := figures.messages):
            continue
        loop_ns = sum(generation[0] for generation in figures.collector)
        other_ns = sum(generation[1] for generation in figures.collector)
        loop_count = sum(generation[2] for generation in figures.collector)
        other_count = sum(generation[3] for generation in figures.collector)
        full = sum(figures.collector[2][2:])
        kept = figures.kept / figures.kept_messages if figures.kept_messages else 0.0
        print(
            f"    {name:<16} {figures.dispatch_ns / count / 1000:6.1f} us "
            f"({figures.own_dispatch_ns / count / 1000:6.1f}), {kept:4.1f}; "
            f"{loop_ns / count / 1000:5.1f} / {other_ns / count / 1000:5.1f} us; "
            f"{loop_count * 1000 / count:5.1f} / {other_count * 1000 / count:5.1f}, "
            f"{full * 1000 / count:4.1f}",
            flush=True,
        )


# After a block: the recorder commits every second.
BLOCK_TAIL: Final = 2.5


def interleaved_round(
    hass: HomeAssistant,
    db: Path,
    publisher: Publisher,
    *,
    topics: dict[str, str],
    part: list[bytes],
    args: argparse.Namespace,
    windows: list[Window],
) -> list[Result]:
    """Send `part` to every setup (by name: its topic), block by block in turns; return figures.

    Each block's measured span is added to `windows`.
    """
    assert hass.pid is not None
    names = list(topics)
    idle = settle(hass, 8.0)
    cpu = dict.fromkeys(names, 0.0)
    rows = dict.fromkeys(names, 0)
    threads: dict[str, dict[str, float]] = {name: {} for name in names}
    blocks = [part[start : start + args.block] for start in range(0, len(part), args.block)]
    for number, block in enumerate(blocks):
        clear_of_statistics(len(names) * (len(block) / args.rate + BLOCK_TAIL + 1))
        for name in names[number % len(names) :] + names[: number % len(names)]:
            since, used, spent = send_and_measure(
                hass,
                publisher,
                [topics[name]],
                block,
                rate=args.rate,
                idle=idle,
                tail=BLOCK_TAIL,
            )
            windows.append((name, since, time.time()))
            cpu[name] += used
            for thread, seconds in spent.items():
                threads[name][thread] = threads[name].get(thread, 0.0) + seconds
            rows[name] += rows_between(db, since, time.time())
    count = len(part)
    return [
        Result(
            name,
            count,
            cpu[name] / count * 1000,
            {name: rows[name] / count},
            load_average(),
            {},
            thread_ms(threads[name], count),
        )
        for name in names
    ]


# The CPU setups, in the order of the tables; each but the last is a column of ratios.
CPU_SETUPS: Final = ("floor", "floor_attributes", "floor_entities", "yaml", "lowi_ores")


def print_cpu_table(results: list[Result], rounds: dict[str, list[Result]]) -> None:
    """Print each setup's median CPU per message, its ratio to the others, rows and threads."""
    measured = {result.name: result.cpu_ms for result in results}
    columns = [name for name in CPU_SETUPS[:-1] if name in measured]
    print(
        f"{'setup':<16} {'ms/msg':>7}"
        + "".join(f"  x {name}" for name in columns)
        + "  rows/msg    loop  recorder"
    )
    for result in results:
        print(
            f"{result.name:<16} {result.cpu_ms:7.3f}"
            + "".join(f"  {result.cpu_ms / measured[name]:{len(name) + 2}.2f}" for name in columns)
            + f"  {sum(result.rows.values()):8.2f}  "
            + "  ".join(
                f"{median([r.threads.get(t, 0.0) for r in rounds[result.name]]):6.3f}"
                for t in ("python", "Recorder")
            )
        )


def median(values: list[float]) -> float:
    """Return the median (the lower one of an even count)."""
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def median_result(results: list[Result]) -> Result:
    """Return the round with the median CPU per message (the lower one of an even count)."""
    ordered = sorted(results, key=lambda result: result.cpu_ms)
    return ordered[(len(ordered) - 1) // 2]


def print_round_ratios(rounds: dict[str, list[Result]], name: str, others: tuple[str, ...]) -> None:
    """Print `name`'s CPU ratio to each of `others`, round by round (same round, same load)."""
    if name not in rounds or len(rounds[name]) < 2:
        return
    for other in others:
        if other in rounds:
            ratios = [
                f"{mine.cpu_ms / theirs.cpu_ms:.2f}"
                for mine, theirs in zip(rounds[name], rounds[other], strict=True)
            ]
            print(f"  {name} x {other}, round by round: {' '.join(ratios)}")


def run_channels(
    workdir: Path,
    broker: Mosquitto,
    args: argparse.Namespace,
    wanted: set[str],
    *,
    rounds: dict[str, list[Result]],
    number: int,
) -> None:
    """Measure the 14 busy channels through lowi_ores and as YAML MQTT sensors (one round)."""
    payloads = channel_stream(args.channel_messages + 5)
    setups: dict[str, dict[str, Any]] = {
        "channels": {"lowi": [(IDENT, {})], "prefixes": {"channels": "sensor.channel_"}},
        "channels_yaml": {
            "yaml": channel_yaml_sensors(),
            "prefixes": {"channels_yaml": "sensor.lowi3_ch"},
        },
        "channels_yaml_power": {
            "yaml": channel_yaml_sensors(("power",)),
            "prefixes": {"channels_yaml_power": "sensor.lowi3_ch"},
        },
        "channels_interval_10": {
            "lowi": [(IDENT, {"power_interval": 10})],
            "prefixes": {"channels_interval_10": "sensor.channel_"},
        },
    }
    for name, setup in setups.items():
        if name in wanted:
            result = measure(
                name, workdir, broker, payloads, args.channel_rate, topics=CHANNEL_TOPICS, **setup
            )
            rounds.setdefault(name, []).append(result)
            print(
                f"  round {number}, {name}: {result.cpu_ms:.3f} ms/msg, load {result.load}",
                flush=True,
            )


if __name__ == "__main__":
    main()
