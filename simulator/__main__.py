"""Command line: ``python -m simulator [options]`` publishes a simulated LoWi3's CH0 messages.

Messages go out every ``--interval`` real seconds; each one moves simulated time on by
``--interval x --speed`` seconds. ``--stdout`` prints the payloads instead of publishing them,
``--fast`` drops the real-time pacing. Ctrl-C or SIGTERM stops cleanly.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
import logging
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING, Any, Final
import uuid

from simulator.belgium import from_local, to_local
from simulator.faults import FaultConfig
from simulator.simulation import DEFAULT_IDENT, Message, Simulation, SimulationConfig
from simulator.spot import spot_price

if TYPE_CHECKING:
    from simulator.publisher import MqttPublisher

_LOGGER = logging.getLogger("simulator")
type _Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None
# Above this speed the counters may rise faster, per real second, than the integration's glitch
# guard accepts as physically possible (it compares the rise with the real time between messages).
SPEED_WARNING: Final = 10.0


def _start_time(text: str) -> datetime:
    """Parse --start: ISO date-time; without a UTC offset it is Belgian local time."""
    if text == "now":
        return datetime.now(UTC).replace(microsecond=0)
    try:
        value = datetime.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {text!r}") from err
    return from_local(value) if value.tzinfo is None else value.astimezone(UTC)


def _faults(text: str) -> FaultConfig:
    try:
        return FaultConfig.parse(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def check(text: str) -> float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive: {text}")
        return value

    return check


def _channel(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= 14:
        raise argparse.ArgumentTypeError(f"not a channel from 1 to 14: {text!r}")
    return number


def _wh(text: str) -> int:
    """Turn kWh (or m3) as typed into Wh (or dm3)."""
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"an index cannot be negative: {text}")
    return round(value * 1000)


def _charger(text: str) -> int:
    """Parse --ev: a charging power in W, from 0 (no car) to 22 kW."""
    try:
        value = int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a whole number of watts: {text!r}") from err
    if not 0 <= value <= 22_000:
        raise argparse.ArgumentTypeError(f"a home charger draws 0 to 22000 W: {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the command line parser."""
    defaults = SimulationConfig(start=datetime(2000, 1, 1, tzinfo=UTC))
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Publish a simulated LoWi3 P1 dongle's messages (a Belgian household with a "
        "5 kWp roof) to an MQTT broker.",
    )
    broker = parser.add_argument_group("broker")
    broker.add_argument("--host", default="127.0.0.1", help="broker host (default %(default)s)")
    broker.add_argument("--port", type=int, default=1883, help="broker port (default %(default)s)")
    broker.add_argument("--username", help="broker user name")
    broker.add_argument("--password", help="broker password")
    broker.add_argument(
        "--ident",
        default=DEFAULT_IDENT,
        help="dongle ident in <ident>/PUB/CH0 (default %(default)s)",
    )
    broker.add_argument(
        "--stdout",
        action="store_true",
        help="print the payloads, one a line, instead of publishing",
    )
    timing = parser.add_argument_group("time")
    timing.add_argument(
        "--interval",
        type=_positive(float),
        default=10.0,
        help="real seconds between messages (default %(default)s, as the dongle)",
    )
    timing.add_argument(
        "--speed",
        type=_positive(float),
        default=1.0,
        help="simulated seconds per real second (default %(default)s); a message moves simulated "
        f"time on by interval x speed. Above {SPEED_WARNING:g} the counters can rise faster than "
        "the integration accepts as physical",
    )
    timing.add_argument(
        "--start",
        type=_start_time,
        default="now",
        help="simulated start, ISO date-time; Belgian local time without an offset (default now)",
    )
    timing.add_argument("--count", type=int, help="stop after this many messages (default never)")
    timing.add_argument(
        "--fast", action="store_true", help="do not wait between messages (tests, back-filling)"
    )
    model = parser.add_argument_group("household and meters")
    model.add_argument(
        "--seed",
        type=int,
        help="seed of the household's randomness (default: a random one, logged)",
    )
    model.add_argument(
        "--gas",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="publish a gas index (CG)",
    )
    model.add_argument(
        "--water",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="publish a water index (CW)",
    )
    for option, field, unit in (
        ("--import-day", "import_day_wh", "kWh"),
        ("--import-night", "import_night_wh", "kWh"),
        ("--export-day", "export_day_wh", "kWh"),
        ("--export-night", "export_night_wh", "kWh"),
        ("--gas-index", "gas_dm3", "m3"),
        ("--water-index", "water_l", "m3"),
    ):
        model.add_argument(
            option,
            type=_wh,
            default=getattr(defaults, field),
            dest=field,
            metavar=unit.upper(),
            help=f"initial index in {unit} (default {getattr(defaults, field) / 1000:g})",
        )
    model.add_argument(
        "--ev",
        type=_charger,
        default=0,
        dest="ev_w",
        metavar="W",
        help="an electric car charging at this power on about half the evenings "
        "(e.g. 7400; default 0: no car)",
    )
    model.add_argument(
        "--current-unit",
        choices=("mA", "cA"),
        default="mA",
        help="scale of the current field I (default %(default)s)",
    )
    model.add_argument(
        "--heat-pump-channel",
        type=_channel,
        metavar="N",
        help="also publish a heat pump's sub-meter on CH<N> (1-14; default: none)",
    )
    model.add_argument(
        "--pv-channel",
        type=_channel,
        metavar="N",
        help="also publish the PV inverter's production on CH<N> (1-14; default: none)",
    )
    model.add_argument("--name", default=defaults.name, help="the Name field (default %(default)s)")
    model.add_argument(
        "--faults",
        type=_faults,
        default=FaultConfig(),
        metavar="LIST",
        help="fault injection: comma list of non_json, missing, glitch, silence, each with an "
        "optional probability per message (e.g. 'glitch,silence=0.01'), or 'all'",
    )
    model.add_argument(
        "--spot-topic",
        metavar="TOPIC",
        help="also publish the simulated Belgian spot price (EUR/MWh, retained) on this topic, "
        "once per quarter-hour of simulated time",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every message")
    return parser


def _describe(message: Message) -> str:
    sample = message.sample
    local = to_local(message.moment).strftime("%a %Y-%m-%d %H:%M:%S %Z")
    return (
        f"{local}: load {sample.load_w} W, solar {sample.solar_w} W, "
        f"{'day' if message.tariff else 'night'} tariff, fault {message.fault or '-'}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.heat_pump_channel is not None and args.heat_pump_channel == args.pv_channel:
        parser.error("the heat pump and the PV inverter need two different channels")
    logging.basicConfig(
        level=logging.INFO if args.verbose or not args.stdout else logging.WARNING,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4))
    config = SimulationConfig(
        seed=seed,
        start=args.start,
        interval=args.interval,
        speed=args.speed,
        ident=args.ident,
        name=args.name,
        gas=args.gas,
        water=args.water,
        ev_w=args.ev_w,
        import_day_wh=args.import_day_wh,
        import_night_wh=args.import_night_wh,
        export_day_wh=args.export_day_wh,
        export_night_wh=args.export_night_wh,
        gas_dm3=args.gas_dm3,
        water_l=args.water_l,
        current_unit=args.current_unit,
        heat_pump_channel=args.heat_pump_channel,
        pv_channel=args.pv_channel,
        faults=args.faults,
    )
    simulation = Simulation(config)
    _LOGGER.info(
        "seed %s, simulated start %s, a message every %g s, speed x%g, topic %s",
        seed,
        to_local(config.start).isoformat(),
        config.interval,
        config.speed,
        config.topic,
    )
    if config.speed > SPEED_WARNING and not args.stdout:
        _LOGGER.warning(
            "at speed x%g the counters may rise faster than Home Assistant's glitch guard "
            "accepts as physical; keep it at or below x%g with the integration",
            config.speed,
            SPEED_WARNING,
        )

    stop = threading.Event()
    previous = _install_signal_handlers(stop)
    publisher: MqttPublisher | None = None
    try:
        if args.stdout:
            _run(simulation, args, stop, _print)
            return 0
        from simulator.publisher import MqttPublisher  # noqa: PLC0415 - paho only when publishing

        client = publisher = MqttPublisher(
            args.host,
            args.port,
            args.username,
            args.password,
            # Unique: a broker disconnects a client when another one connects with its id.
            f"lowi3-sim-{config.ident}-{uuid.uuid4().hex[:8]}",
        )
        if not client.start(timeout=5):
            _LOGGER.warning("waiting for the broker at %s:%s", args.host, args.port)
            while not client.connected.wait(1):
                if stop.is_set():
                    return 0

        spot = SpotPublisher(args.spot_topic, seed) if args.spot_topic else None

        def send(message: Message) -> None:
            if spot is not None and (price := spot.due(message.moment)) is not None:
                client.publish(spot.topic, price, retain=True)
            if not client.publish(message.topic, message.payload):
                _LOGGER.warning("not connected: message %s dropped", message.index)

        _run(simulation, args, stop, send)
    except KeyboardInterrupt:
        pass
    finally:
        if publisher is not None:
            publisher.stop()
        _restore_signal_handlers(previous)
    return 0


def _run(
    simulation: Simulation,
    args: argparse.Namespace,
    stop: threading.Event,
    emit: Callable[[Message], None],
) -> None:
    """Emit messages at the chosen rate until the count or a stop signal."""
    published = 0
    origin = time.monotonic()
    while not stop.is_set() and (args.count is None or published < args.count):
        message = simulation.step()
        if message is None:
            _LOGGER.info("silence (fault injection) at message %s", simulation.ticks - 1)
        else:
            published += 1
            if args.verbose:
                _LOGGER.info("%s", _describe(message))
            emit(message)
            for channel_message in simulation.channel_messages():
                emit(channel_message)
        if args.fast or (args.count is not None and published >= args.count):
            continue
        stop.wait(max(0.0, origin + simulation.ticks * args.interval - time.monotonic()))


class SpotPublisher:
    """The simulated spot price, due once per quarter-hour of simulated time."""

    def __init__(self, topic: str, seed: int) -> None:
        """Publish on `topic` the spot curve of `seed`."""
        self.topic = topic
        self.seed = seed
        self._quarter: float | None = None

    def due(self, moment: datetime) -> str | None:
        """Return the price to publish at a moment (a new quarter-hour), or None."""
        quarter = moment.timestamp() // 900
        if quarter == self._quarter:
            return None
        self._quarter = quarter
        return f"{spot_price(self.seed, moment):.2f}"


def _print(message: Message) -> None:
    print(message.payload, flush=True)


def _install_signal_handlers(stop: threading.Event) -> dict[signal.Signals, _Handler]:
    """Make SIGINT and SIGTERM set `stop` (main thread only); return the previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum: int, frame: FrameType | None) -> None:
        _LOGGER.info("signal %s: stopping", signal.Signals(signum).name)
        stop.set()

    previous: dict[signal.Signals, _Handler] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, handler)
    return previous


def _restore_signal_handlers(previous: dict[signal.Signals, _Handler]) -> None:
    for signum, handler in previous.items():
        if handler is not None:  # None: set outside Python, cannot be restored
            signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(main())
