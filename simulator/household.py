"""A Belgian household through the year: weather, electric load, gas and water use.

Everything here is a pure function of the seed and the moment: the same seed gives the same day
whatever the start time, message interval or speed. Each local day gets a plan (weather,
wake-up time, which appliances run when) drawn from a generator seeded by the seed and the date;
fast variations come from a deterministic hash of the time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
import hashlib
import math
import random
from typing import Final

from simulator.belgium import is_day_off, to_local
from simulator.sun import Roof, SunPosition, sun_position

# One m3 of Belgian natural gas gives about 10.5 kWh; a condensing boiler delivers 90 % of it.
GAS_KWH_PER_M3: Final = 10.5 * 0.9
HOT_WATER_DELTA_K: Final = 35.0  # from mains water to shower temperature
WATER_HEAT_KWH_PER_L_K: Final = 1.163 / 1000
HEAT_LOSS_KW_PER_K: Final = 0.19  # a typical Belgian semi-detached house
INTERNAL_GAINS_KW: Final = 0.5
HEATING_SEASON_MAX_TEMPERATURE: Final = 15.5
BOILER_ELECTRIC_W: Final = 80.0
# A hybrid heat pump (next to the gas boiler): it takes the base of the heating load in mild
# weather, cycling, and heats the hot-water tank in the early afternoon.
HEAT_PUMP_MAX_OUTDOOR_C: Final = 16.0
HEAT_PUMP_CYCLE_S: Final = 2400.0
HEAT_PUMP_TANK_START_S: Final = 13 * 3600.0
HEAT_PUMP_TANK_SECONDS: Final = 3000.0
HEAT_PUMP_TANK_W: Final = 1100.0


def unit_hash(*parts: object) -> float:
    """Return a deterministic pseudo-random number in [0, 1) for a key."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest) / 2**64


def smooth_noise(seed: int, key: str, seconds: float, period: float) -> float:
    """Return value noise in [0, 1] that varies smoothly over about `period` seconds."""
    position = seconds / period
    node = math.floor(position)
    fraction = position - node
    fraction = fraction * fraction * (3 - 2 * fraction)
    low = unit_hash(seed, key, node)
    high = unit_hash(seed, key, node + 1)
    return low + (high - low) * fraction


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return min(max(value, low), high)


def summerness(day: date) -> float:
    """Return 0 in mid-winter (around 10 January) up to 1 in mid-summer."""
    return 0.5 - 0.5 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 10) / 365.25)


@dataclass(frozen=True, slots=True)
class Phase:
    """A stretch of constant power and water flow in an appliance's cycle."""

    seconds: float
    watts: float = 0.0
    litres_per_minute: float = 0.0
    hot_fraction: float = 0.0  # share of the water heated by the gas boiler


@dataclass(frozen=True, slots=True)
class Event:
    """An appliance (or a shower, a flush, a tap) running from a local time of day."""

    name: str
    start: float  # seconds after local midnight
    phases: tuple[Phase, ...]

    @property
    def end(self) -> float:
        """Return when the last phase ends, in seconds after local midnight."""
        return self.start + sum(phase.seconds for phase in self.phases)

    def phase_at(self, second: float) -> Phase | None:
        """Return the phase running at a time of day, or None."""
        if not self.start <= second < self.end:
            return None
        elapsed = second - self.start
        for phase in self.phases:
            if elapsed < phase.seconds:
                return phase
            elapsed -= phase.seconds
        return None  # pragma: no cover - excluded by the bounds check above


@dataclass(frozen=True, slots=True)
class DayPlan:
    """What a local day holds: weather, the family's rhythm and its appliances."""

    day: date
    cloudiness: float  # 0 = clear sky all day, 1 = overcast
    temperature_anomaly: float  # K, against the seasonal mean
    wake: float  # seconds after local midnight
    leave: float | None  # the house is empty from leave to back (None: someone stays home)
    back: float
    bed: float
    fridge_phase: float
    events: tuple[Event, ...]

    @property
    def late_events(self) -> tuple[Event, ...]:
        """Return the events that are still running at midnight."""
        return tuple(event for event in self.events if event.end > 86400)


def _minutes(hours: float, minutes: float = 0.0) -> float:
    return hours * 3600 + minutes * 60


def _daily_weather(seed: int, day: date) -> tuple[float, float]:
    """Return the raw cloudiness draw and temperature anomaly draw of a day."""
    rng = random.Random(f"{seed}:weather:{day.isoformat()}")  # noqa: S311 - a simulation
    return rng.random(), rng.gauss(0.0, 2.5)


@dataclass(frozen=True, slots=True)
class _Rhythm:
    """When the family is up, out and in bed on a day."""

    home: bool  # someone at home during the day (weekend, holiday, home office)
    wake: float
    leave: float | None
    back: float
    bed: float

    @property
    def awake_spans(self) -> list[tuple[float, float]]:
        """Return the stretches of the day when someone is home and awake."""
        if self.leave is None:
            return [(self.wake, self.bed)]
        return [(self.wake, self.leave), (self.back, self.bed)]


def _rhythm(rng: random.Random, day: date) -> _Rhythm:
    off = is_day_off(day)
    home_office = not off and rng.random() < 0.3
    wake = _minutes(8, rng.uniform(0, 75)) if off else _minutes(6, rng.uniform(15, 50))
    return _Rhythm(
        home=off or home_office,
        wake=wake,
        leave=None if off or home_office else wake + rng.uniform(50, 80) * 60,
        back=_minutes(16, rng.uniform(45, 110)),
        bed=_minutes(22, rng.uniform(15, 75)),
    )


def _kitchen_events(rng: random.Random, rhythm: _Rhythm) -> list[Event]:
    """Breakfast, lunch at home, dinner."""
    wake = rhythm.wake
    events = [
        Event("kettle", wake + rng.uniform(5, 15) * 60, (Phase(rng.uniform(120, 180), 2000),))
    ]
    events += [
        Event("coffee", wake + rng.uniform(5, 40) * 60, (Phase(50, 1350),))
        for _ in range(rng.choice((1, 2, 2, 3)))
    ]
    if rng.random() < 0.5:
        events.append(Event("toaster", wake + rng.uniform(10, 25) * 60, (Phase(170, 900),)))
    if rhythm.home:
        events.append(
            Event(
                "microwave",
                _minutes(12, rng.uniform(15, 50)),
                (Phase(rng.uniform(120, 300), 1100),),
            )
        )
        if rng.random() < 0.5:
            events.append(Event("kettle", _minutes(15, rng.uniform(30, 120)), (Phase(150, 2000),)))
    dinner = _minutes(18, rng.uniform(0, 60))
    hob = (
        Phase(rng.uniform(6, 10) * 60, rng.uniform(1800, 2600)),
        Phase(rng.uniform(12, 25) * 60, rng.uniform(700, 1300)),
    )
    events.append(Event("hob", dinner, hob))
    if rng.random() < 0.35:
        oven = (Phase(10 * 60, 2300), Phase(rng.uniform(25, 45) * 60, 1100))
        events.append(Event("oven", dinner - 40 * 60, oven))
    return events


def _appliance_events(rng: random.Random, rhythm: _Rhythm, summer: float) -> list[Event]:
    """Dishwasher, washing machine, dryer, vacuum cleaner: in the sunny hours on days at home."""
    events: list[Event] = []
    if rng.random() < 0.8:
        at_noon = rhythm.home and rng.random() < 0.5
        start = _minutes(11, rng.uniform(0, 180)) if at_noon else rhythm.bed - 1200
        cycle: tuple[Phase, ...] = (
            Phase(10 * 60, 150, 1.2),
            Phase(20 * 60, 2000),
            Phase(40 * 60, 100, 0.3),
            Phase(12 * 60, 2000),
            Phase(20 * 60, 40),
        )
        events.append(Event("dishwasher", start, cycle))
    if rng.random() < (0.7 if rhythm.home else 0.3):
        if rhythm.home:
            start = _minutes(10, rng.uniform(0, 180))
        else:
            start = rhythm.back + rng.uniform(30, 120) * 60
        cycle = (
            Phase(15 * 60, 2100, 3.0),
            Phase(60 * 60, 250),
            Phase(10 * 60, 150, 1.5),
            Phase(10 * 60, 500),
        )
        events.append(Event("washing machine", start, cycle))
        if rng.random() < 0.45 - 0.3 * summer:
            dryer = (Phase(rng.uniform(60, 90) * 60, 2400),)
            events.append(Event("tumble dryer", start + 100 * 60, dryer))
    if rhythm.home and rng.random() < 0.4:
        vacuum = (Phase(rng.uniform(15, 30) * 60, 1400),)
        events.append(Event("vacuum cleaner", _minutes(10, rng.uniform(0, 90)), vacuum))
    if rng.random() < 0.4:
        hair_dryer = (Phase(rng.uniform(200, 400), 1600),)
        events.append(Event("hair dryer", rhythm.wake + rng.uniform(30, 50) * 60, hair_dryer))
    return events


def _water_events(rng: random.Random, rhythm: _Rhythm, summer: float) -> list[Event]:
    """Showers (hot water from the gas boiler), flushes, the kitchen tap, the garden hose."""
    events = [
        Event(
            "shower",
            rhythm.wake + rng.uniform(0, 45) * 60,
            (Phase(rng.uniform(6, 10) * 60, 0, 8.5, 0.7),),
        )
        for _ in range(rng.choice((1, 2, 2)))
    ]
    if rng.random() < 0.5:
        shower = (Phase(rng.uniform(5, 8) * 60, 0, 8.5, 0.7),)
        events.append(Event("shower", _minutes(19, rng.uniform(15, 90)), shower))
    spans = rhythm.awake_spans
    for _ in range(rng.randint(8, 12)):
        first, last = rng.choice(spans)
        events.append(Event("toilet flush", rng.uniform(first, last), (Phase(60, 0, 6.0),)))
    for _ in range(rng.randint(10, 16)):
        first, last = rng.choice(spans)
        tap = (Phase(rng.uniform(10, 40), 0, 6.0, 0.3),)
        events.append(Event("tap", rng.uniform(first, last), tap))
    if summer > 0.7 and rng.random() < 0.3:
        hose = (Phase(rng.uniform(8, 15) * 60, 0, 12.0),)
        events.append(Event("garden hose", _minutes(20, rng.uniform(0, 60)), hose))
    return events


@lru_cache(maxsize=512)
def day_plan(seed: int, day: date) -> DayPlan:
    """Return the plan of a local day, the same for the same seed and date."""
    today_cloud, today_anomaly = _daily_weather(seed, day)
    yesterday_cloud, yesterday_anomaly = _daily_weather(seed, day - timedelta(days=1))
    summer = summerness(day)
    # Some persistence from day to day; more clear days in summer than in winter.
    cloud = 0.65 * today_cloud + 0.35 * yesterday_cloud + 0.18 - 0.3 * summer
    cloudiness = _clamp((cloud - 0.12) * 1.35)
    anomaly = 0.6 * today_anomaly + 0.4 * yesterday_anomaly
    # Clear summer days are warmer, clear winter days colder.
    anomaly += (0.5 - cloudiness) * (4 * summer - 2)

    rng = random.Random(f"{seed}:plan:{day.isoformat()}")  # noqa: S311 - a simulation
    rhythm = _rhythm(rng, day)
    events = (
        _kitchen_events(rng, rhythm)
        + _appliance_events(rng, rhythm, summer)
        + _water_events(rng, rhythm, summer)
    )
    return DayPlan(
        day=day,
        cloudiness=cloudiness,
        temperature_anomaly=anomaly,
        wake=rhythm.wake,
        leave=rhythm.leave,
        back=rhythm.back,
        bed=rhythm.bed,
        fridge_phase=rng.uniform(0, 3600),
        events=tuple(sorted(events, key=lambda event: event.start)),
    )


@lru_cache(maxsize=512)
def ev_session(seed: int, day: date, watts: int) -> Event | None:
    """Return the evening an electric car charges at home, or None on a day it does not.

    Drawn from its own generator, so a household without a car has exactly the days it had
    before cars were simulated. The car comes home with 8 to 25 kWh to refill, about every
    other day, and charges at full power from shortly after it is back.
    """
    if watts <= 0:
        return None
    rng = random.Random(f"{seed}:ev:{day.isoformat()}")  # noqa: S311 - a simulation
    if rng.random() >= 0.5:
        return None
    plan = day_plan(seed, day)
    start = plan.back + rng.uniform(5, 40) * 60 if plan.leave is not None else _minutes(17)
    if plan.leave is None:
        start += rng.uniform(0, 150) * 60
    energy_wh = rng.uniform(8_000, 25_000)
    return Event("electric car", start, (Phase(energy_wh / watts * 3600, watts),))


@dataclass(frozen=True, slots=True)
class Sample:
    """The household at one moment: rates rounded to whole units, ready to be integrated."""

    moment: datetime
    load_w: int
    solar_w: int
    gas_dm3_per_h: int
    water_l_per_h: int
    temperature: float
    cloud_cover: float
    sun_elevation: float
    heat_pump_w: int = 0  # part of load_w

    @property
    def net_w(self) -> int:
        """Return the grid power: positive when importing, negative when exporting."""
        return self.load_w - self.solar_w


@dataclass(frozen=True, slots=True)
class Household:
    """A family of three in a gas-heated house under a 5 kWp roof, near Namur."""

    seed: int = 0
    roof: Roof = field(default_factory=Roof)
    gas: bool = True
    water: bool = True
    heat_pump: bool = False
    ev_w: int = 0  # charging power of an electric car; 0: no car

    def outdoor_temperature(self, plan: DayPlan, seconds: float) -> float:
        """Return the air temperature (degrees C) at a time of a local day."""
        seasonal = 10.6 - 7.2 * math.cos(2 * math.pi * (plan.day.timetuple().tm_yday - 18) / 365.25)
        amplitude = 2.0 + 4.0 * (1 - plan.cloudiness)  # clear days swing more
        diurnal = amplitude * math.sin(2 * math.pi * (seconds / 3600 - 9) / 24)
        return seasonal + plan.temperature_anomaly + diurnal

    def cloud_cover(self, plan: DayPlan, epoch: float) -> float:
        """Return the cloud cover (0..1) at a moment: the day's cloudiness and passing clouds."""
        base = plan.cloudiness
        spread = 1.3 * 4 * base * (1 - base) + 0.05
        variation = 0.65 * smooth_noise(self.seed, "clouds", epoch, 1500) + 0.35 * smooth_noise(
            self.seed, "cloudlets", epoch, 170
        )
        return _clamp(base + (variation - 0.5) * 2 * spread)

    def sample(self, moment: datetime) -> Sample:
        """Return the state of the household at an aware moment."""
        local = to_local(moment)
        plan = day_plan(self.seed, local.date())
        seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        epoch = moment.timestamp()
        sun = sun_position(moment, self.roof.latitude, self.roof.longitude)
        cover = self.cloud_cover(plan, epoch)
        temperature = self.outdoor_temperature(plan, seconds)
        solar = self.roof.power(sun, cover, temperature)

        watts = 0.0
        litres_per_minute = 0.0
        hot_litres_per_minute = 0.0
        # Today's events, and yesterday's that run past midnight.
        yesterday = day_plan(self.seed, plan.day - timedelta(days=1))
        for events, second in ((yesterday.late_events, seconds + 86400), (plan.events, seconds)):
            for event in events:
                if event.start > second:
                    break
                phase = event.phase_at(second)
                if phase is not None:
                    watts += phase.watts
                    litres_per_minute += phase.litres_per_minute
                    hot_litres_per_minute += phase.litres_per_minute * phase.hot_fraction

        if self.ev_w > 0:
            for day, second in ((yesterday.day, seconds + 86400), (plan.day, seconds)):
                session = ev_session(self.seed, day, self.ev_w)
                if session is not None and (phase := session.phase_at(second)) is not None:
                    watts += phase.watts

        heating_kw = self._heating_kw(plan, seconds, temperature, solar)
        hot_water_kw = hot_litres_per_minute * 60 * HOT_WATER_DELTA_K * WATER_HEAT_KWH_PER_L_K
        gas_kw = heating_kw + hot_water_kw if self.gas else 0.0
        if gas_kw > 0:
            watts += BOILER_ELECTRIC_W
        watts += self._background_w(plan, seconds, sun, cover, epoch)
        heat_pump_w = round(self._heat_pump_w(seconds, temperature, epoch)) if self.heat_pump else 0
        watts += heat_pump_w
        return Sample(
            moment=moment,
            load_w=round(watts),
            solar_w=round(solar),
            gas_dm3_per_h=round(gas_kw / GAS_KWH_PER_M3 * 1000),
            water_l_per_h=round(litres_per_minute * 60) if self.water else 0,
            temperature=temperature,
            cloud_cover=cover,
            sun_elevation=sun.elevation,
            heat_pump_w=heat_pump_w,
        )

    def _heat_pump_w(self, seconds: float, temperature: float, epoch: float) -> float:
        """Return the heat pump's electric power (W): the tank in the afternoon, else cycling."""
        if HEAT_PUMP_TANK_START_S <= seconds < HEAT_PUMP_TANK_START_S + HEAT_PUMP_TANK_SECONDS:
            return HEAT_PUMP_TANK_W
        if temperature >= HEAT_PUMP_MAX_OUTDOOR_C:
            return 0.0
        # Colder: longer runs at a higher power.
        duty = _clamp(0.25 + (HEAT_PUMP_MAX_OUTDOOR_C - temperature) / 20, 0.25, 0.95)
        if (epoch % HEAT_PUMP_CYCLE_S) / HEAT_PUMP_CYCLE_S >= duty:
            return 0.0
        return 450.0 + 45.0 * (HEAT_PUMP_MAX_OUTDOOR_C - temperature)

    def _present(self, plan: DayPlan, seconds: float) -> bool:
        """Return True when someone is home and awake."""
        if not plan.wake <= seconds < plan.bed:
            return False
        return plan.leave is None or not plan.leave <= seconds < plan.back

    def _heating_kw(
        self, plan: DayPlan, seconds: float, temperature: float, solar_w: float
    ) -> float:
        """Return the heat the boiler delivers to the radiators (kW)."""
        seasonal = 10.6 - 7.2 * math.cos(2 * math.pi * (plan.day.timetuple().tm_yday - 18) / 365.25)
        if seasonal + plan.temperature_anomaly > HEATING_SEASON_MAX_TEMPERATURE:
            return 0.0
        warm = plan.wake - 1800 <= seconds < plan.bed - 1800
        if plan.leave is not None and plan.leave + 1800 <= seconds < plan.back - 3600:
            warm = False
        setpoint = 20.0 if warm else 16.0
        gains = INTERNAL_GAINS_KW + solar_w / 5000  # sunshine through the windows
        demand = HEAT_LOSS_KW_PER_K * (setpoint - temperature) - gains
        if warm and (
            plan.wake - 1800 <= seconds < plan.wake + 1800
            or (plan.leave is not None and plan.back - 3600 <= seconds < plan.back)
        ):
            demand *= 1.8  # warming the house up after the night's setback
        return _clamp(demand, 0.0, 24.0)

    def _background_w(
        self, plan: DayPlan, seconds: float, sun: SunPosition, cover: float, epoch: float
    ) -> float:
        """Return standby, fridge, freezer, lighting and entertainment power (W)."""
        watts = 85.0  # router, standby, ventilation
        fridge = ((seconds + plan.fridge_phase) % 2700) < 900
        freezer = ((seconds + 2 * plan.fridge_phase) % 3600) < 1250
        watts += 95.0 * fridge + 80.0 * freezer
        if self._present(plan, seconds):
            watts += 70.0 + 90.0 * smooth_noise(self.seed, "activity", epoch, 600)
            darkness = _clamp((10 - sun.elevation) / 12 + 0.3 * cover)
            watts += 220.0 * darkness
            if seconds >= _minutes(19, 30):
                watts += 130.0  # television
        # A few percent of jitter every ten seconds, as a real meter shows.
        jitter = unit_hash(self.seed, "jitter", math.floor(epoch / 10))
        return watts * (0.97 + 0.06 * jitter)
