"""Tests of the LoWi3 simulator (simulator/): its data model, its payloads and its command."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
import itertools
import json
import random
import socket
import threading
import time
import uuid

import pytest

from custom_components.lowi_ores.channel_state import problem
from custom_components.lowi_ores.parser import Reading, Rejected, parse_payload
from simulator.__main__ import main
from simulator.belgium import (
    TARIFF_DAY,
    TARIFF_NIGHT,
    easter_sunday,
    from_local,
    is_day_off,
    tariff_at,
    to_local,
)
from simulator.faults import FaultConfig
from simulator.household import Household
from simulator.meter import MS_PER_HOUR, IntegratingCounter
from simulator.simulation import DEFAULT_IDENT, Message, Simulation, SimulationConfig
from simulator.sun import Roof, sun_position

# Payload field -> Reading attribute, for every numeric field the simulator sends.
FIELDS = {
    "U": "voltage",
    "I": "current_raw",
    "PI": "import_power",
    "PE": "export_power",
    "CIH": "import_index_day",
    "CIL": "import_index_night",
    "CEH": "export_index_day",
    "CEL": "export_index_night",
    "CG": "gas_index",
    "CW": "water_index",
}
ALL_FAULTS = FaultConfig(non_json=0.05, missing=0.1, glitch=0.05, silence=0.01)


def local(text: str) -> datetime:
    """Return the UTC moment of a Belgian wall-clock time."""
    return from_local(datetime.fromisoformat(text))


def run(count: int, **options: object) -> list[Message]:
    """Return the first `count` published messages of a simulation."""
    options.setdefault("start", local("2025-06-17T10:00"))
    return list(Simulation(SimulationConfig(**options)).messages(count))  # type: ignore[arg-type]


def indexes(message: Message) -> tuple[int, int, int, int]:
    assert message.fields is not None
    return tuple(int(message.fields[key]) for key in ("CIH", "CIL", "CEH", "CEL"))  # type: ignore[return-value]


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_same_messages() -> None:
    first = [m.payload for m in run(300, seed=7, faults=ALL_FAULTS)]
    second = [m.payload for m in run(300, seed=7, faults=ALL_FAULTS)]
    other = [m.payload for m in run(300, seed=8, faults=ALL_FAULTS)]
    assert first == second
    assert first != other


def test_household_is_a_function_of_the_moment() -> None:
    """The same moment gives the same sample whatever the path to it."""
    moment = local("2025-06-17T12:34:50")
    fast = Simulation(SimulationConfig(seed=3, start=moment - timedelta(hours=2), speed=60))
    slow = Simulation(SimulationConfig(seed=3, start=moment - timedelta(minutes=30)))
    for _ in range(13):  # 10 minutes a message
        fast.step()
    for _ in range(181):  # 10 seconds a message
        slow.step()
    assert fast.moment == slow.moment == moment
    assert fast.sample == slow.sample == Household(seed=3).sample(moment)


# --- exact integration -------------------------------------------------------------------------


def test_counter_is_exact() -> None:
    rng = random.Random(1)
    counter = IntegratingCounter([100, 200])
    expected = Fraction(0)
    for _ in range(10_000):
        rate, duration = rng.randint(0, 9000), rng.randint(1, 20_000)
        counter.add(rate, duration, rng.randint(0, 1))
        expected += Fraction(rate * duration, MS_PER_HOUR)
    assert counter.integral == expected
    assert counter.total - 300 == int(expected)  # floor: the rest is carried, never lost
    assert counter.total - 300 + counter.rest == expected
    with pytest.raises(ValueError, match="counts up"):
        counter.add(-1, 10)


@pytest.mark.parametrize("interval", [10.0, 2.5])
def test_indexes_are_the_integral_of_the_published_power(interval: float) -> None:
    """At speed 1 the published power is held over the interval before its message."""
    config = SimulationConfig(seed=5, start=local("2025-06-17T05:00"), interval=interval)
    messages = list(Simulation(config).messages(int(6 * 3600 / interval)))
    step_ms = round(interval * 1000)
    energy_in = sum(int(m.fields["PI"]) * step_ms for m in messages[1:] if m.fields)
    energy_out = sum(int(m.fields["PE"]) * step_ms for m in messages[1:] if m.fields)
    assert energy_in > 0
    assert energy_out > 0  # the period covers import in the morning and export at noon
    first, last = indexes(messages[0]), indexes(messages[-1])
    imported = last[0] + last[1] - first[0] - first[1]
    exported = last[2] + last[3] - first[2] - first[3]
    assert imported == energy_in // MS_PER_HOUR
    assert exported == energy_out // MS_PER_HOUR


def test_accelerated_time_integrates_every_sample() -> None:
    simulation = Simulation(SimulationConfig(seed=2, start=local("2025-03-12T00:00"), speed=360))
    for _ in range(24):  # a day, an hour a message, sampled every 10 simulated seconds
        simulation.step()
    assert simulation.moment == local("2025-03-12T00:00") + timedelta(hours=23)
    config = simulation.config
    start = config.import_day_wh + config.import_night_wh
    integral = simulation.imported.integral
    assert simulation.imported.total - start == int(integral)
    assert 3_000 < integral < 30_000  # a day of a household's import, in Wh


# --- day and night registers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wall_clock", "tariff"),
    [
        ("2025-06-17T06:59:59", TARIFF_NIGHT),  # Tuesday
        ("2025-06-17T07:00:00", TARIFF_DAY),
        ("2025-06-17T21:59:59", TARIFF_DAY),
        ("2025-06-17T22:00:00", TARIFF_NIGHT),
        ("2025-01-14T07:00:00", TARIFF_DAY),  # winter time: 06:00 UTC
        ("2025-01-14T06:30:00", TARIFF_NIGHT),
        ("2025-06-21T12:00:00", TARIFF_NIGHT),  # Saturday
        ("2025-06-22T12:00:00", TARIFF_NIGHT),  # Sunday
        ("2025-06-23T07:00:00", TARIFF_DAY),  # Monday
        ("2025-07-21T12:00:00", TARIFF_NIGHT),  # National Day, a Monday
        ("2025-04-21T12:00:00", TARIFF_NIGHT),  # Easter Monday
    ],
)
def test_tariff_hours(wall_clock: str, tariff: int) -> None:
    assert tariff_at(local(wall_clock)) == tariff


def test_belgian_calendar() -> None:
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert is_day_off(date(2025, 5, 29))  # Ascension
    assert not is_day_off(date(2025, 5, 28))
    # Summer time starts on the last Sunday of March at 01:00 UTC.
    assert to_local(datetime(2025, 3, 30, 0, 59, tzinfo=UTC)).hour == 1
    assert to_local(datetime(2025, 3, 30, 1, 0, tzinfo=UTC)).hour == 3
    naive_noon = datetime.fromisoformat("2025-10-26T12:00")  # winter time again
    assert from_local(naive_noon) == datetime(2025, 10, 26, 11, 0, tzinfo=UTC)


def test_registers_switch_at_seven_on_a_weekday() -> None:
    messages = run(480, seed=1, start=local("2025-06-17T06:20"))  # 06:20 to 07:40
    before = [m for m in messages if to_local(m.moment).hour < 7]
    after = [m for m in messages if m.moment > local("2025-06-17T07:00")]
    assert {m.fields["T"] for m in before if m.fields} == {"0"}
    assert {m.fields["T"] for m in after if m.fields} == {"1"}
    # Night registers move before seven, day registers only after.
    assert indexes(before[0])[0] == indexes(before[-1])[0]
    assert indexes(before[0])[1] < indexes(before[-1])[1]
    assert indexes(after[0])[1] == indexes(after[-1])[1]
    assert indexes(after[0])[0] < indexes(after[-1])[0]


def test_weekend_is_night_all_day() -> None:
    messages = run(24 * 60, seed=4, start=local("2025-06-21T00:00"), interval=60)  # Saturday
    assert {m.fields["T"] for m in messages if m.fields} == {"0"}
    assert indexes(messages[0])[0::2] == indexes(messages[-1])[0::2]  # day registers still
    assert indexes(messages[-1])[1] > indexes(messages[0])[1]
    assert indexes(messages[-1])[3] > indexes(messages[0])[3]  # a June day exports


# --- solar and the net power -------------------------------------------------------------------


def test_solar_is_zero_at_night() -> None:
    household = Household(seed=9)
    for day in range(0, 365, 7):
        for hour in (0, 2, 4, 23):
            moment = local(f"2025-01-01T{hour:02d}:00") + timedelta(days=day)
            assert household.sample(moment).solar_w == 0


def test_clear_summer_noon_beats_winter_noon() -> None:
    roof = Roof()
    summer_sun = sun_position(local("2025-06-21T13:45"))
    winter_sun = sun_position(local("2025-12-21T12:45"))
    assert 62 < summer_sun.elevation < 64  # 90 - 50.5 + 23.4 at solar noon
    assert 15 < winter_sun.elevation < 17
    summer = roof.power(summer_sun, cloud_cover=0.0, air_temperature=22)
    winter = roof.power(winter_sun, cloud_cover=0.0, air_temperature=3)
    cloudy = roof.power(summer_sun, cloud_cover=1.0, air_temperature=18)
    assert 3500 < summer <= roof.inverter_max_w
    assert 1000 < winter < summer
    assert 0 < cloudy < summer / 2


def test_seeded_weather_has_clear_and_cloudy_days() -> None:
    household = Household(seed=11)
    noon = [household.sample(local("2025-06-01T13:45") + timedelta(days=d)) for d in range(60)]
    assert max(s.solar_w for s in noon) > 3500
    assert min(s.solar_w for s in noon) < 1500


def test_import_and_export_are_exclusive() -> None:
    messages = run(24 * 60, seed=6, start=local("2025-05-20T00:00"), interval=60)
    imported = exported = 0
    for message in messages:
        assert message.fields is not None
        pi, pe = int(message.fields["PI"]), int(message.fields["PE"])
        assert pi == 0 or pe == 0
        assert pi - pe == message.sample.load_w - message.sample.solar_w
        imported += pi > 0
        exported += pe > 0
    assert imported > 100
    assert exported > 100


# --- an electric car --------------------------------------------------------------------------


def test_car_charges_some_evenings_and_changes_nothing_else() -> None:
    """The car only adds its charging power: without it, every day is what it always was."""
    without, with_car = Household(seed=4), Household(seed=4, ev_w=7400)
    evenings = 0
    for day in range(28):
        charging = 0
        for minute in range(0, 24 * 60, 5):
            moment = local("2026-01-05T00:00") + timedelta(days=day, minutes=minute)
            plain, car = without.sample(moment), with_car.sample(moment)
            assert car.load_w - plain.load_w in (0, 7400)
            assert car.solar_w == plain.solar_w
            if car.load_w > plain.load_w:
                charging += 1
                assert to_local(moment).hour >= 16 or to_local(moment).hour < 6
        evenings += charging > 0
        assert charging * 5 <= 25_000 / 7400 * 60 + 5  # at most 25 kWh a session
    assert 7 <= evenings <= 21  # about every other evening
    assert SimulationConfig(start=local("2026-01-05T00:00")).ev_w == 0
    with pytest.raises(ValueError, match="charger"):
        SimulationConfig(start=local("2026-01-05T00:00"), ev_w=-5)


def test_car_option_of_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--stdout", "--fast", "--count", "3", "--seed", "4", "--start", "2026-01-05T19:30"]
    assert main([*argv, "--ev", "7400", "--interval", "600"]) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = run(3, seed=4, start=local("2026-01-05T19:30"), interval=600, ev_w=7400)
    assert lines == [m.payload for m in expected]


# --- payloads ----------------------------------------------------------------------------------


def assert_parses_to_fields(message: Message) -> None:
    reading = parse_payload(message.payload.encode())
    if message.fields is None:
        assert isinstance(reading, Rejected)
        return
    assert isinstance(reading, Reading), reading
    assert reading.ident == message.fields["ident"]
    assert reading.channel == 0
    assert reading.tariff_code == (int(message.fields["T"]) if "T" in message.fields else None)
    for field, attribute in FIELDS.items():
        expected = float(message.fields[field]) if field in message.fields else None
        assert getattr(reading, attribute) == expected, field


def test_payload_shape() -> None:
    message = run(1, seed=1)[0]
    data = json.loads(message.payload)
    assert message.topic == "3494546c709b/PUB/CH0"
    assert data == message.fields
    assert all(isinstance(value, str) for value in data.values())
    assert set(data) == {"ident", "device_CH", "Name", "Type", *FIELDS, "T"}
    without = json.loads(run(1, seed=1, gas=False, water=False)[0].payload)
    assert "CG" not in without
    assert "CW" not in without


@pytest.mark.parametrize("faults", [FaultConfig(), ALL_FAULTS])
def test_every_payload_parses_to_its_values(faults: FaultConfig) -> None:
    for message in run(2000, seed=13, faults=faults, speed=30):
        assert_parses_to_fields(message)


def test_current_matches_the_power() -> None:
    for unit, divisor in (("mA", 1000), ("cA", 100)):
        for message in run(50, seed=1, current_unit=unit, start=local("2025-06-17T13:00")):
            assert message.fields is not None
            power = int(message.fields["PI"]) + int(message.fields["PE"])
            volts, amperes = float(message.fields["U"]), int(message.fields["I"]) / divisor
            assert abs(volts * amperes - power) < 5


def test_gas_and_water_climb() -> None:
    messages = run(24 * 6, seed=3, start=local("2025-01-15T00:00"), interval=600)
    first, last = messages[0].fields, messages[-1].fields
    assert first is not None
    assert last is not None
    gas_m3 = (int(last["CG"]) - int(first["CG"])) / 1000
    water_l = int(last["CW"]) - int(first["CW"])
    assert 2 < gas_m3 < 15  # a winter day of a gas-heated house
    assert 100 < water_l < 800


# --- faults ------------------------------------------------------------------------------------


def test_faults_happen() -> None:
    simulation = Simulation(
        SimulationConfig(seed=21, start=local("2025-06-17T10:00"), faults=ALL_FAULTS)
    )
    ticks = [simulation.step() for _ in range(3000)]
    assert ticks[:3] == [m for m in ticks[:3] if m is not None and m.fault is None]
    kinds = {m.fault for m in ticks if m is not None}
    assert kinds == {None, "non_json", "missing", "glitch"}
    assert None in ticks  # silences
    for number, message in enumerate(ticks):
        if message is None or message.fault is None or message.fields is None:
            continue
        if message.fault == "missing":
            assert len(message.fields) < len(json.loads(ticks[2].payload))  # type: ignore[union-attr]
        if message.fault == "glitch":
            previous = next(m for m in reversed(ticks[:number]) if m and m.fault is None)
            changed = {
                key
                for key in ("CIH", "CIL", "CEH", "CEL", "CG", "CW")
                if int(message.fields[key]) < int(previous.fields[key])  # type: ignore[index]
                or int(message.fields[key]) > int(previous.fields[key]) + 50_000  # type: ignore[index]
            }
            assert len(changed) == 1
    # A silence swallows several messages in a row; the counters go on meanwhile.
    silent = [number for number, message in enumerate(ticks) if message is None]
    assert any(b == a + 1 for a, b in itertools.pairwise(silent))


def test_fault_options() -> None:
    assert FaultConfig.parse("glitch, silence=0.5") == FaultConfig(glitch=0.01, silence=0.5)
    assert FaultConfig.parse("all").enabled
    assert not FaultConfig.parse("none").enabled
    assert FaultConfig.parse("non-json=1").non_json == 1
    with pytest.raises(ValueError, match="unknown fault"):
        FaultConfig.parse("flood")
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultConfig.parse("glitch=2")


# --- the command -------------------------------------------------------------------------------


def test_stdout_command(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--stdout", "--fast", "--count", "5", "--seed", "3", "--start", "2025-06-21T12:00"]
    assert main([*argv, "--import-day", "1000.5", "--no-gas", "--ident", "aabbccddeeff"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5
    expected = run(
        5,
        seed=3,
        start=local("2025-06-21T12:00"),
        import_day_wh=1_000_500,
        gas=False,
        ident="aabbccddeeff",
    )
    assert lines == [m.payload for m in expected]
    first = json.loads(lines[0])
    assert first["CIH"] == "1000500"
    assert "CG" not in first
    assert first["ident"] == "aabbccddeeff"


def test_stdout_command_keeps_the_pace(capsys: pytest.CaptureFixture[str]) -> None:
    began = time.monotonic()
    assert main(["--stdout", "--count", "3", "--interval", "0.1", "--seed", "1"]) == 0
    assert time.monotonic() - began >= 0.2
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_command_rejects_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["--faults", "flood"],
        ["--speed", "0"],
        ["--start", "yesterday"],
        ["--ev", "-1"],
        ["--ev", "50000"],
        ["--ev", "fast"],
    ):
        with pytest.raises(SystemExit):
            main(argv)
    assert "unknown fault" in capsys.readouterr().err


def _broker_reachable(host: str = "127.0.0.1", port: int = 1883) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.usefixtures("socket_enabled")
def test_publishes_to_a_real_broker() -> None:
    if not _broker_reachable():
        pytest.skip("no MQTT broker on 127.0.0.1:1883")
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    ident = uuid.uuid4().hex[:12]
    received: list[tuple[str, bytes]] = []
    subscribed = threading.Event()
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2)
    client.on_connect = lambda c, *_: c.subscribe(f"{ident}/PUB/#")
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = lambda _c, _u, msg: received.append((msg.topic, msg.payload))
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    try:
        assert subscribed.wait(5)
        argv = ["--ident", ident, "--count", "3", "--interval", "0.1", "--seed", "2"]
        assert main(argv) == 0
        deadline = time.monotonic() + 5
        while len(received) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        client.disconnect()
        client.loop_stop()
    assert [topic for topic, _ in received] == [f"{ident}/PUB/CH0"] * 3
    for _, payload in received:
        reading = parse_payload(payload)
        assert isinstance(reading, Reading)
        assert reading.ident == ident


# --- extra channels ----------------------------------------------------------------------------


def test_channels_are_consistent_with_ch0() -> None:
    """The heat pump is part of the house's load; the PV channel is the roof's production."""
    simulation = Simulation(
        SimulationConfig(
            seed=5,
            start=local("2025-01-15T00:00"),
            speed=30,
            heat_pump_channel=1,
            pv_channel=2,
        )
    )
    heat_pump_on = sun_down = 0
    for message in itertools.islice(simulation.messages(), 2 * 8640 // 30):
        channels = {m.topic: m for m in simulation.channel_messages()}
        assert set(channels) == {f"{DEFAULT_IDENT}/PUB/CH1", f"{DEFAULT_IDENT}/PUB/CH2"}
        heat_pump = channels[f"{DEFAULT_IDENT}/PUB/CH1"].fields
        pv = channels[f"{DEFAULT_IDENT}/PUB/CH2"].fields
        assert message.fields is not None
        assert heat_pump is not None
        assert pv is not None
        assert int(pv["P"]) == message.sample.solar_w
        assert int(heat_pump["P"]) == message.sample.heat_pump_w
        if message.sample.solar_w == 0:
            sun_down += 1
            assert int(message.fields["PI"]) >= int(heat_pump["P"])
            heat_pump_on += int(heat_pump["P"]) > 0
        for fields in (heat_pump, pv):
            reading = parse_payload(json.dumps(fields))
            assert isinstance(reading, Reading)
            assert problem(reading, int(fields["device_CH"])) is None
            assert 0 <= int(fields["HC"]) <= int(fields["DC"]) <= int(fields["MC"])
    assert sun_down > 100
    assert heat_pump_on > 10
    # The sub-meters' indexes are the exact integral of what they drew and produced.
    assert simulation.heat_pump.total - 2_345_678 == int(simulation.heat_pump.integral)
    assert simulation.pv.total > 21_456_789


def test_channel_periods_restart() -> None:
    """HC restarts at each local hour; DC and MC keep counting."""
    simulation = Simulation(
        SimulationConfig(seed=2, start=local("2025-06-17T11:50"), speed=6, pv_channel=2)
    )
    hours = []
    for _ in itertools.islice(simulation.messages(), 30):
        fields = simulation.channel_fields()[2]
        hours.append(
            (to_local(simulation.sample.moment).hour, int(fields["HC"]), int(fields["DC"]))
        )
    before = [hc for hour, hc, _ in hours if hour == 11]
    after = [hc for hour, hc, _ in hours if hour == 12]
    assert before
    assert after
    assert after[0] < before[-1]
    assert hours[-1][2] > hours[0][2]


def test_no_channels_by_default() -> None:
    """Without channel options: no channel messages, and CH0 as before (no heat pump)."""
    simulation = Simulation(SimulationConfig(seed=1, start=local("2025-01-15T08:00")))
    message = simulation.step()
    assert message is not None
    assert simulation.channel_messages() == []
    assert message.sample.heat_pump_w == 0
    with pytest.raises(ValueError, match="two different"):
        SimulationConfig(heat_pump_channel=2, pv_channel=2)
    with pytest.raises(ValueError, match="two different"):
        SimulationConfig(pv_channel=15)
    with pytest.raises(ValueError, match="negative"):
        SimulationConfig(pv_wh=-1)


def test_stdout_command_with_channels(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--stdout", "--fast", "--count", "2", "--seed", "3", "--start", "2025-06-21T12:00"]
    assert main([*argv, "--heat-pump-channel", "1", "--pv-channel", "2"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["device_CH"] for line in lines] == ["0", "1", "2", "0", "1", "2"]
    assert lines[2]["CHname"] == "Solar panels"
    for bad in (
        ["--pv-channel", "15"],
        ["--pv-channel", "x"],
        ["--heat-pump-channel", "3", "--pv-channel", "3"],
    ):
        with pytest.raises(SystemExit):
            main(["--stdout", "--count", "1", *bad])
