"""``python -m demo``: the product running for real, without a dongle (started by scripts/develop).

Starts, in this order, and stops in the reverse order on Ctrl-C (or SIGTERM, SIGHUP):

1. Mosquitto: the system's on 127.0.0.1:1883 when it accepts anonymous clients, else a private
   one on a free loopback port;
2. the LoWi3 simulator (``python -m simulator``), after back-filling the past days into
   statistics (demo/history.py), so that the Energy dashboard is filled from the first minute;
3. Home Assistant with a prepared configuration folder: MQTT and LoWi3 entries, the Energy
   dashboard set to the LoWi3 sensors, a "LoWi3" dashboard, a demo login; no onboarding.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import fcntl
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import sys
import time
from types import FrameType
from zoneinfo import ZoneInfo

from demo.dashboard import LANGUAGES, write_dashboard
from demo.hass_config import (
    IDENT,
    REPO_ROOT,
    TIME_ZONE,
    Helper,
    entity_id,
    wallonia_options,
    write_config,
)
from demo.history import backfill, first_midnight
from demo.processes import (
    LOOPBACK,
    HomeAssistant,
    Mosquitto,
    Service,
    hass_environment,
    port_open,
)

HERE = Path(__file__).resolve().parent
DASHBOARD_URL = "dashboard-lowi3"
SPOT_TOPIC = "lowi3-sim/spot_price"
# The household charges an electric car (7.4 kW) some evenings, on top of the cooking: the
# capacity tariff's peaks are worth watching, so the demo switches the tariff on.
DEMO_CAR_W = 7400
DEMO_YAML = f"""
# The demo's additions (demo/__main__.py): the UI, history, the Energy dashboard, the LoWi3
# dashboard, and the back-filled statistics.
frontend:
config:
history:
logbook:
energy:
lovelace:
  dashboards:
    {DASHBOARD_URL}:
      mode: yaml
      title: LoWi3
      icon: mdi:transmission-tower
      show_in_sidebar: true
      filename: dashboards/lowi3.yaml
lowi_demo_history:
mqtt:
  sensor:
    # The simulated Belgian spot price, published by the simulator (--spot-topic), as a user's
    # Nord Pool or ENTSO-E sensor would show it: the LoWi3's dynamic contract reads it.
    - name: Simulated spot price
      unique_id: lowi3_demo_spot_price
      state_topic: {SPOT_TOPIC}
      unit_of_measurement: EUR/MWh
      state_class: measurement
      suggested_display_precision: 2
"""
# The demo's contract: Engie's quarter-hour dynamic formula with 10 c/kWh of grid fees and taxes
# on top, priced from the simulated spot price (beside the net-metering figures).
DEMO_PRICES = {
    "price_model": "dynamic",
    "spot_entity": "sensor.simulated_spot_price",
    "spot_resolution": 15,
    "supplier": "engie_dynamic",
    "buy_factor": 0.1039,
    "buy_offset": 0.8702,
    "sell_factor": 0.1,
    "sell_offset": 0.5,
    "vat": 6.0,
    "extra_buy_cost": 10.0,
}

# Loads the back-filled statistics at the first start (demo/history_loader.py).
HISTORY_LOADER = Helper(
    domain="lowi_demo_history",
    name="LoWi3 demo: past days' statistics",
    source=HERE / "history_loader.py",
    dependencies=("recorder",),
)


def say(text: str) -> None:
    """Print a line of the demo's own output."""
    print(f"[demo] {text}", flush=True)


def anonymous_broker(port: int, host: str = LOOPBACK) -> bool:
    """Return True when an MQTT broker on the port accepts an anonymous client (MQTT 3.1.1)."""
    client_id = b"lowi3-demo-probe"
    variable = b"\x00\x04MQTT\x04\x02\x00\x3c"  # protocol 3.1.1, clean session, keep-alive 60
    payload = len(client_id).to_bytes(2) + client_id
    packet = bytes([0x10, len(variable) + len(payload)]) + variable + payload
    try:
        with socket.create_connection((host, port), timeout=2) as sock:
            sock.sendall(packet)
            answer = sock.recv(4)
            sock.sendall(b"\xe0\x00")  # DISCONNECT
    except OSError:
        return False
    return len(answer) == 4 and answer[0] == 0x20 and answer[3] == 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Return the command line options."""
    parser = argparse.ArgumentParser(prog="scripts/develop", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant's port (8123)")
    parser.add_argument(
        "--listen",
        default=LOOPBACK,
        help="address Home Assistant listens on (default %(default)s; 0.0.0.0 for all)",
    )
    parser.add_argument(
        "--private-broker",
        action="store_true",
        help="always start a private Mosquitto, even when one runs on 1883",
    )
    parser.add_argument("--seed", type=int, default=3, help="the simulated household (3)")
    parser.add_argument(
        "--days",
        type=int,
        default=7,
        help="days of back-filled history before today, from midnight (7)",
    )
    parser.add_argument(
        "--language",
        choices=LANGUAGES,
        default="en",
        help="Home Assistant's language, the demo user's, and the dashboards' titles (en)",
    )
    parser.add_argument(
        "--interval", type=float, default=5.0, help="real seconds between messages (5)"
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per real second (1)"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path.home() / ".cache" / "lowi_ores" / "demo",
        help="where the configuration folder and the logs go (recreated at each start)",
    )
    parser.add_argument(
        "--shown-root",
        default="",
        help="prefix of paths as shown to the user (the test environment's root)",
    )
    return parser.parse_args(argv)


class Stop(Exception):  # noqa: N818 - a request, not an error
    """Ctrl-C, SIGTERM or SIGHUP."""


_stopping: list[int] = []


def _request_stop(signum: int, frame: FrameType | None) -> None:
    # Once only: a terminal's Ctrl-C reaches this process twice (from the terminal, and
    # forwarded by scripts/develop), and a second Stop would interrupt the first one's clean-up.
    if _stopping:
        return
    _stopping.append(signum)
    raise Stop(signal.Signals(signum).name)


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0915 - one story, told in order
    """Run the demo until interrupted; return the exit status."""
    args = parse_args(argv)
    state_dir: Path = args.state_dir.resolve()
    shown = args.shown_root.rstrip("/")
    frontend = os.environ.get("LOWI_ORES_HASS_EXTRA")
    if port_open(args.port):
        say(f"port {args.port} is already in use: stop what uses it, or choose --port")
        return 1
    # One demo per state folder: a second one would delete the first one's configuration.
    state_dir.parent.mkdir(parents=True, exist_ok=True)
    lock = (state_dir.parent / f"{state_dir.name}.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        say(f"another demo runs in {shown}{state_dir}: stop it first, or choose --state-dir")
        return 1
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _request_stop)

    services: list[Service] = []
    status = 0
    try:
        if state_dir.exists():
            shutil.rmtree(state_dir)
        state_dir.mkdir(parents=True)

        # 1. The broker.
        if not args.private_broker and anonymous_broker(1883):
            broker_port = 1883
            say("using the Mosquitto already running on 127.0.0.1:1883")
        else:
            mosquitto = Mosquitto(state_dir / "mosquitto")
            services.append(mosquitto)
            mosquitto.start()
            broker_port = mosquitto.port
            say(f"started a private Mosquitto on 127.0.0.1:{broker_port}")

        # 2. The past days, then the live simulator carrying on from them.
        say(f"simulating the household (seed {args.seed}) from midnight {args.days} days ago ...")
        started = time.monotonic()
        history = backfill(
            lambda key: entity_id(key, IDENT),
            args.seed,
            args.days,
            ZoneInfo(TIME_ZONE),
            ev_w=DEMO_CAR_W,
        )
        say(f"... done in {time.monotonic() - started:.0f} s, up to {history.end:%H:%M} UTC")

        config_dir = state_dir / "config"
        login = write_config(
            config_dir,
            broker_host=LOOPBACK,
            broker_port=broker_port,
            http_port=args.port,
            http_host=args.listen,
            extra_yaml=DEMO_YAML,
            helpers=(HISTORY_LOADER,),
            language=args.language,
            # Net metering from the first back-filled day, with the bill's indexes of that day;
            # the capacity tariff switched on to watch the car's peaks, with the peaks of the
            # back-filled days; a dynamic contract on the simulated spot price.
            lowi_options=wallonia_options(
                first_midnight(history.end, args.days, ZoneInfo(TIME_ZONE)).date()
            )
            | {"capacity_tariff": True}
            | DEMO_PRICES,
            billing={"capacity": history.capacity},
            energy_costs=True,
        )
        (config_dir / "dashboards").mkdir()
        for dashboard in sorted((HERE / "config" / "dashboards").glob("*.yaml")):
            write_dashboard(dashboard, config_dir / "dashboards" / dashboard.name, args.language)
        (config_dir / "lowi_demo_history.json").write_text(
            json.dumps({"statistics": history.statistics})
        )

        simulator = Service(
            "simulator",
            [
                sys.executable,
                "-m",
                "simulator",
                "--host",
                LOOPBACK,
                "--port",
                str(broker_port),
                "--ident",
                IDENT,
                "--interval",
                f"{args.interval:g}",
                "--speed",
                f"{args.speed:g}",
                "--seed",
                str(args.seed),
                "--start",
                "now",
                "--spot-topic",
                SPOT_TOPIC,
                *history.simulator_arguments(),
                # The dongle's extra channels: a heat pump's sub-meter and the PV inverter.
                "--heat-pump-channel",
                "1",
                "--pv-channel",
                "2",
            ],
            state_dir / "simulator.log",
            env=hass_environment(),
            cwd=REPO_ROOT,
        )
        services.append(simulator)
        simulator.start()
        say(
            f"started the LoWi3 simulator: {IDENT}/PUB/CH0 every {args.interval:g} s, "
            f"speed x{args.speed:g}"
        )

        # 3. Home Assistant.
        hass = HomeAssistant(
            config_dir,
            args.port,
            login.access_token,
            log_path=state_dir / "home-assistant.log",
            extra_path=frontend,
        )
        services.append(hass)
        say("starting Home Assistant ...")
        started = time.monotonic()
        hass.start(timeout=240, entity_id=entity_id("power_imported", IDENT))
        url = (
            f"http://{'127.0.0.1' if args.listen in ('0.0.0.0', '::') else args.listen}:{args.port}"  # noqa: S104
        )
        say(f"... up in {time.monotonic() - started:.0f} s")
        stopped = "Home Assistant, the simulator and the private Mosquitto"
        if broker_port == 1883:
            stopped = "Home Assistant and the simulator (the system's Mosquitto keeps running)"
        print(
            f"""
  Home Assistant with the LoWi3 integration is running:

    {url}/{DASHBOARD_URL}/live   the LoWi3 dashboard
    {url}/energy                     the Energy dashboard

  Log in as  {login.username} / {login.password}

  Logs: {shown}{state_dir}/{{home-assistant,simulator}}.log
  Ctrl-C stops {stopped}.
""",
            flush=True,
        )

        last_report = time.monotonic()
        while True:
            for service in services:
                if not service.running:
                    say(f"{service.name} stopped unexpectedly:\n{service.log_tail()}")
                    return 1
            if time.monotonic() - last_report >= 60:
                last_report = time.monotonic()
                values = {
                    key: hass.state(entity_id(key, IDENT))
                    for key in ("power_imported", "power_exported", "import_index_total")
                }
                say(
                    f"{time.strftime('%H:%M:%S')} imported {values['power_imported']} W, "
                    f"exported {values['power_exported']} W, "
                    f"import index {values['import_index_total']} kWh"
                )
            time.sleep(1)
    except Stop as stop:
        say(f"{stop}: stopping")
    except (TimeoutError, RuntimeError, OSError) as err:
        say(f"failed: {err}")
        say(f"logs: {shown}{state_dir}")
        status = 1
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        for service in reversed(services):
            service.stop(timeout=30)
            say(f"stopped {service.name}")
    return status


if __name__ == "__main__":
    sys.exit(main())
