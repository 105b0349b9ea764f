"""The simulated LoWi3: a household sampled and metered message after message, as CH0 payloads.

Message ``k`` is stamped at the simulated moment ``start + k * interval * speed``. Between two
messages the household is sampled every ``substep`` simulated seconds (or less) and each sample's
power is held until the next one: that piecewise-constant power is what the counters integrate,
exactly. The power published is the last sample's, so at speed 1 with the default 10 s the
published power is the power integrated over the interval before the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
import math
from typing import Final, Literal

from simulator.belgium import TARIFF_DAY, tariff_at, to_local
from simulator.faults import FaultConfig, FaultInjector
from simulator.household import Household, Sample, unit_hash
from simulator.meter import IntegratingCounter

DEFAULT_IDENT: Final = "3494546c709b"
DAY, NIGHT = 0, 1  # register positions in the electricity counters
PERIODS: Final = ("HC", "DC", "MC")  # a channel's energy this hour, day and month


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """Everything that defines a simulated dongle and its household."""

    seed: int = 0
    start: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    interval: float = 10.0  # seconds between messages, real time
    speed: float = 1.0  # simulated seconds per real second
    ident: str = DEFAULT_IDENT
    name: str = "Simulated home"
    gas: bool = True
    water: bool = True
    ev_w: int = 0  # an electric car charging at this power some evenings; 0: no car
    import_day_wh: int = 4_512_345
    import_night_wh: int = 6_234_567
    export_day_wh: int = 3_123_456
    export_night_wh: int = 1_012_345
    gas_dm3: int = 12_345_678
    water_l: int = 456_789
    current_unit: Literal["mA", "cA"] = "mA"
    # Extra channels (CH1..CH14), off unless given a number: the heat pump's sub-meter and the
    # PV inverter's production meter.
    heat_pump_channel: int | None = None
    pv_channel: int | None = None
    heat_pump_wh: int = 2_345_678
    pv_wh: int = 21_456_789
    substep: float = 10.0  # longest simulated time between two samples, seconds
    faults: FaultConfig = field(default_factory=FaultConfig)

    def __post_init__(self) -> None:
        """Check the values that would make the simulation meaningless."""
        if self.start.tzinfo is None:
            raise ValueError("start must be an aware datetime")
        if not (self.interval > 0 and self.speed > 0 and self.substep > 0):
            raise ValueError("interval, speed and substep must be positive")
        if not 0 <= self.ev_w <= 22_000:
            raise ValueError("a home charger draws 0 to 22,000 W")
        if (
            min(self.import_day_wh, self.import_night_wh, self.export_day_wh) < 0
            or min(self.export_night_wh, self.gas_dm3, self.water_l) < 0
        ):
            raise ValueError("meter indexes cannot be negative")
        channels = [n for n in (self.heat_pump_channel, self.pv_channel) if n is not None]
        if any(not 1 <= n <= 14 for n in channels) or len(set(channels)) < len(channels):
            raise ValueError("the channels must be two different numbers from 1 to 14")
        if min(self.heat_pump_wh, self.pv_wh) < 0:
            raise ValueError("meter indexes cannot be negative")

    @property
    def step_ms(self) -> int:
        """Return the simulated time between two messages, in whole milliseconds."""
        return max(1, round(self.interval * self.speed * 1000))

    @property
    def topic(self) -> str:
        """Return the topic the dongle publishes its P1 channel on."""
        return f"{self.ident}/PUB/CH0"


@dataclass(frozen=True, slots=True)
class Message:
    """One message as published, and the truth behind it (for tests and logs)."""

    index: int  # message number, counting silent ticks
    moment: datetime  # simulated, UTC
    topic: str
    payload: str
    fields: dict[str, str] | None  # None when the payload is not JSON
    fault: str | None
    sample: Sample
    tariff: int


class Simulation:
    """A simulated LoWi3 dongle on CH0; call :meth:`step` once per interval."""

    def __init__(self, config: SimulationConfig) -> None:
        """Set the meters to the configured indexes at the start moment."""
        self.config = config
        self.household = Household(
            seed=config.seed,
            gas=config.gas,
            water=config.water,
            heat_pump=config.heat_pump_channel is not None,
            ev_w=config.ev_w,
        )
        self.imported = IntegratingCounter([config.import_day_wh, config.import_night_wh])
        self.exported = IntegratingCounter([config.export_day_wh, config.export_night_wh])
        self.gas = IntegratingCounter([config.gas_dm3])
        self.water = IntegratingCounter([config.water_l])
        # The sub-meters count by tariff as the main meter does (CH, CL).
        self.heat_pump = IntegratingCounter([config.heat_pump_wh, 0])
        self.pv = IntegratingCounter([config.pv_wh, 0])
        self._period_starts: dict[str, dict[str, tuple[tuple[int, ...], int]]] = {
            "heat_pump": {},
            "pv": {},
        }
        self._start_periods(config.start)
        self.faults = FaultInjector(config.faults, config.seed)
        self.ticks = 0
        self.elapsed_ms = 0
        self.sample = self.household.sample(config.start)
        # The gas value is read from the meter's M-Bus every five minutes, as Belgian meters do.
        self._gas_reading = config.gas_dm3
        self._gas_read_at = self._gas_slot(config.start)

    @property
    def moment(self) -> datetime:
        """Return the current simulated moment (UTC)."""
        return self._at(self.elapsed_ms)

    def _at(self, elapsed_ms: int) -> datetime:
        return self.config.start.astimezone(UTC) + timedelta(milliseconds=elapsed_ms)

    @staticmethod
    def _gas_slot(moment: datetime) -> int:
        return math.floor(moment.timestamp() / 300)

    def advance(self, duration_ms: int) -> None:
        """Integrate the household over `duration_ms` of simulated time, sample by sample."""
        substep_ms = max(1, round(self.config.substep * 1000))
        pieces = max(1, math.ceil(duration_ms / substep_ms))
        done = 0
        for piece in range(1, pieces + 1):
            until = duration_ms * piece // pieces
            span = until - done
            register = DAY if tariff_at(self._at(self.elapsed_ms)) == TARIFF_DAY else NIGHT
            self.elapsed_ms += span
            done = until
            sample = self.household.sample(self._at(self.elapsed_ms))
            self.imported.add(max(sample.net_w, 0), span, register)
            self.exported.add(max(-sample.net_w, 0), span, register)
            self.heat_pump.add(sample.heat_pump_w, span, register)
            self.pv.add(sample.solar_w, span, register)
            self._start_periods(sample.moment)
            self.gas.add(sample.gas_dm3_per_h, span)
            self.water.add(sample.water_l_per_h, span)
            self.sample = sample
            slot = self._gas_slot(sample.moment)
            if slot != self._gas_read_at:
                self._gas_read_at = slot
                self._gas_reading = self.gas.total

    def _start_periods(self, moment: datetime) -> None:
        """Note each sub-meter's total when a new local hour, day or month begins."""
        local = to_local(moment)
        keys = {
            "HC": (local.year, local.month, local.day, local.hour),
            "DC": (local.year, local.month, local.day),
            "MC": (local.year, local.month),
        }
        for name, counter in (("heat_pump", self.heat_pump), ("pv", self.pv)):
            starts = self._period_starts[name]
            for period, key in keys.items():
                if period not in starts or starts[period][0] != key:
                    starts[period] = (key, counter.total)

    def channel_fields(self) -> dict[int, dict[str, str]]:
        """Return the extra channels' fields of the current state, by channel number."""
        config = self.config
        channels: dict[int, dict[str, str]] = {}
        for number, name, label, counter, power in (
            (config.heat_pump_channel, "heat_pump", "Heat pump", self.heat_pump,
             self.sample.heat_pump_w),
            (config.pv_channel, "pv", "Solar panels", self.pv, self.sample.solar_w),
        ):  # fmt: skip
            if number is None:
                continue
            starts = self._period_starts[name]
            channels[number] = {
                "ident": config.ident,
                "device_CH": str(number),
                "Name": config.name,
                "CHname": label,
                "Type": "MB",
                "Units": "kWh",
                "P": str(power),
                "CH": str(counter.registers[DAY]),
                "CL": str(counter.registers[NIGHT]),
            } | {period: str(counter.total - starts[period][1]) for period in PERIODS}
        return channels

    def channel_messages(self) -> list[Message]:
        """Return the extra channels' messages at the current moment (after :meth:`step`)."""
        return [
            Message(
                index=self.ticks - 1,
                moment=self.sample.moment,
                topic=f"{self.config.ident}/PUB/CH{number}",
                payload=json.dumps(fields, separators=(", ", ": ")),
                fields=fields,
                fault=None,
                sample=self.sample,
                tariff=tariff_at(self.sample.moment),
            )
            for number, fields in self.channel_fields().items()
        ]

    def fields(self) -> dict[str, str]:
        """Return the CH0 fields of the current state, values as strings, as the dongle sends them."""
        sample = self.sample
        tariff = tariff_at(sample.moment)
        imported = max(sample.net_w, 0)
        exported = max(-sample.net_w, 0)
        # The line voltage rises with export and sags with import.
        jitter = unit_hash(self.config.seed, "voltage", math.floor(sample.moment.timestamp() / 10))
        voltage = 230.5 + 0.0009 * exported - 0.0006 * imported + 3 * (jitter - 0.5)
        amperes = (imported + exported) / voltage
        current = round(amperes * (1000 if self.config.current_unit == "mA" else 100))
        fields = {
            "ident": self.config.ident,
            "device_CH": "0",
            "Name": self.config.name,
            "Type": "P1",
            "U": f"{voltage:.1f}",
            "I": str(current),
            "T": str(tariff),
            "PI": str(imported),
            "PE": str(exported),
            "CIH": str(self.imported.registers[DAY]),
            "CIL": str(self.imported.registers[NIGHT]),
            "CEH": str(self.exported.registers[DAY]),
            "CEL": str(self.exported.registers[NIGHT]),
        }
        if self.config.gas:
            fields["CG"] = str(self._gas_reading)
        if self.config.water:
            fields["CW"] = str(self.water.total)
        return fields

    def step(self) -> Message | None:
        """Advance to the next message; return it, or None when a silence swallows it."""
        if self.ticks > 0:
            self.advance(self.config.step_ms)
        index = self.ticks
        self.ticks += 1
        if self.faults.silent():
            return None
        fields = self.fields()
        fault, content = self.faults.corrupt(fields)
        if isinstance(content, str):
            payload, sent = content, None
        else:
            payload, sent = json.dumps(content, separators=(", ", ": ")), content
        return Message(
            index=index,
            moment=self.sample.moment,
            topic=self.config.topic,
            payload=payload,
            fields=sent,
            fault=fault,
            sample=self.sample,
            tariff=tariff_at(self.sample.moment),
        )

    def messages(self, count: int | None = None) -> Iterator[Message]:
        """Yield the next `count` published messages (forever when None), skipping silences."""
        produced = 0
        while count is None or produced < count:
            message = self.step()
            if message is not None:
                produced += 1
                yield message
