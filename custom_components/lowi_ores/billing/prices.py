"""What energy costs and earns: the five Belgian contract types, priced slot by slot.

Pure Python, no Home Assistant import. Prices are in EUR/kWh, VAT included on what is bought;
spot prices in EUR/MWh, as the EPEX day-ahead market publishes them.

* ``none``: no price.
* ``fixed``: one buy price and one sell price, as the bill shows them.
* ``day_night``: a buy and a sell price for each of the meter's day (high) and night (low)
  registers: priced from the registers themselves, so no clock is needed.
* ``bands``: a price per time band of the local clock (Wallonia 2026: two bands, normal and
  off-peak, or the three-band "Impact" tariff: peak, medium and eco), the same every day.
* ``dynamic``: an affine supplier formula of the spot price of each quarter-hour, or of each
  hour (then the mean of the hour's four quarter prices, as the market defines its hourly index).
  buy = (factor x spot + offset + extra_buy_cost) x (1 + VAT), sell = factor x spot - offset,
  factors in c/kWh per EUR/MWh and offsets in c/kWh, as suppliers publish them.

A slot's cost is its energy times its price, with the sign of the price: Belgian spot prices go
below zero on sunny afternoons, and then exporting costs money. Nothing is clamped.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
import math
import re
from typing import Any, Final

QUARTER_SECONDS: Final = 900
HOUR_SECONDS: Final = 3600
MINUTES_PER_DAY: Final = 1440

# Sane bounds for what a user types. A household price beyond 5 EUR/kWh either way is a typo (a
# price in c/kWh or EUR/MWh typed as EUR/kWh); the EPEX harmonised limits are -0.5 and +4 EUR/kWh.
MAX_ABS_PRICE: Final = 5.0  # EUR/kWh
MAX_FACTOR: Final = 0.5  # c/kWh per EUR/MWh: 0.1 passes the spot price on as it is
MAX_ABS_OFFSET: Final = 50.0  # c/kWh
MAX_VAT: Final = 30.0  # %
DEFAULT_VAT: Final = 6.0  # % on household electricity in Belgium
RESOLUTIONS: Final = (15, 60)  # minutes per contract slot


class PriceModel(StrEnum):
    """The kinds of contract."""

    NONE = "none"
    FIXED = "fixed"
    DAY_NIGHT = "day_night"
    BANDS = "bands"
    DYNAMIC = "dynamic"


class PriceSettingError(ValueError):
    """A setting that cannot be used: which field, and why (a translation key)."""

    def __init__(self, field_name: str, reason: str) -> None:
        """Keep the field and the reason."""
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


def finite_number(value: Any) -> float | None:
    """Return a finite number as a float, or None (text, NaN, infinity, booleans)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


# ---------------------------------------------------------------------------------------------
# The spot price as a Home Assistant sensor shows it.

# Multipliers that turn a price per unit of energy into one per MWh.
_ENERGY_UNITS: Final = {"mwh": 1.0, "kwh": 1000.0, "wh": 1_000_000.0}
_EURO: Final = frozenset({"eur", "€", "euro", "euros"})
_CENT: Final = frozenset({"c", "ct", "cent", "cents", "c€", "ct€", "eurocent", "eurocents"})


def spot_unit_factor(unit: str | None) -> float | None:
    """Return what turns a sensor value in `unit` into EUR/MWh, or None if it is no euro price.

    Accepts what the usual integrations write: ``EUR/MWh`` (ENTSO-E, EPEX Spot), ``EUR/kWh``
    and ``€/kWh`` (Nord Pool, ENTSO-E), ``c/kWh`` and ``ct/kWh`` (some templates and EPEX Spot).
    """
    if not unit:
        return None
    text = unit.strip().lower().replace(" ", "")
    money, slash, energy = text.partition("/")
    if not slash or energy not in _ENERGY_UNITS:
        return None
    if money in _EURO:
        return _ENERGY_UNITS[energy]
    if money in _CENT:
        return _ENERGY_UNITS[energy] / 100
    return None


def spot_in_eur_per_mwh(state: Any, unit: str | None) -> float | None:
    """Return a sensor's state in EUR/MWh, or None when it is not a finite price in euro."""
    factor = spot_unit_factor(unit)
    value = finite_number(state)
    if factor is None or value is None:
        return None
    return value * factor


# ---------------------------------------------------------------------------------------------
# Dynamic contracts.


@dataclass(frozen=True, slots=True)
class DynamicFormula:
    """A supplier's affine formula, in the units suppliers publish it."""

    buy_factor: float  # c/kWh per EUR/MWh
    buy_offset: float  # c/kWh
    sell_factor: float  # c/kWh per EUR/MWh
    sell_offset: float  # c/kWh, subtracted
    vat: float = DEFAULT_VAT  # %, on what is bought only
    extra_buy_cost: float = 0.0  # c/kWh, grid fees and taxes on top of the energy price

    def buy(self, spot: float) -> float:
        """Return the buy price (EUR/kWh, VAT included) for a spot price in EUR/MWh."""
        cents = self.buy_factor * spot + self.buy_offset + self.extra_buy_cost
        return cents * (1 + self.vat / 100) / 100

    def sell(self, spot: float) -> float:
        """Return the sell price (EUR/kWh, no VAT) for a spot price in EUR/MWh."""
        return (self.sell_factor * spot - self.sell_offset) / 100


@dataclass(frozen=True, slots=True)
class SupplierPreset:
    """A known supplier formula: a starting point the user checks and edits."""

    name: str
    buy_factor: float
    buy_offset: float
    # The energy part of a sell (injection) formula is not published with the buy formula for
    # every supplier: None leaves the user's own values in place.
    sell_factor: float | None
    sell_offset: float | None
    resolution: int  # minutes
    checked: date  # when these figures were last checked (see SUPPLIER_PRESETS_2026)
    note: str = ""


# From the project's notes on Belgian supplier formulas (energy part only, 2025-2026), as they
# stood on CHECKED; not compared with the suppliers' own cards since (no network here). They
# change: the user edits them to match their own contract card.
CHECKED: Final = date(2026, 11, 29)
SUPPLIER_PRESETS_2026: Final[Mapping[str, SupplierPreset]] = {
    "engie_dynamic": SupplierPreset(
        "Engie Dynamic", 0.1039, 0.8702, None, None, 15, CHECKED, "quarter-hour"
    ),
    "engie_dynamic_hourly": SupplierPreset(
        "Engie Dynamic (signed before October 2025)",
        0.106,
        0.216,
        0.1,
        0.0,
        60,
        CHECKED,
        "hourly",
    ),
    "luminus_dynamic": SupplierPreset(
        "Luminus Dynamic (Wallonia)", 0.1019, 2.46, None, None, 60, CHECKED, "hourly"
    ),
    "totalenergies_dynamic": SupplierPreset(
        "TotalEnergies Dynamic", 0.1034, 1.75, None, None, 60, CHECKED, "hourly"
    ),
}


def contract_slot_start(timestamp: float, resolution: int) -> float:
    """Return the start (Unix seconds) of the contract slot holding a moment.

    Belgian offsets from UTC are whole hours, so local quarter-hours and hours are multiples of
    900 and 3600 seconds of Unix time.
    """
    length = resolution * 60
    return timestamp - timestamp % length


def spot_sample_times(slot_start: float, resolution: int) -> list[float]:
    """Return when the spot sensor is read for a contract slot: its quarters' midpoints.

    A sensor changes a few seconds after each boundary; at the midpoint it shows the slot's
    price. An hourly contract pays the mean of its four quarter prices, so its four midpoints
    are read (an hourly sensor gives the same value four times, and the mean is that value).
    """
    quarters = resolution * 60 // QUARTER_SECONDS
    return [slot_start + QUARTER_SECONDS * (number + 0.5) for number in range(quarters)]


def slot_spot(quarter_spots: Sequence[float]) -> float:
    """Return a slot's spot price: the mean of its quarter prices (one price for a quarter)."""
    if not quarter_spots:
        raise ValueError("a slot needs at least one quarter price")
    return math.fsum(quarter_spots) / len(quarter_spots)


# ---------------------------------------------------------------------------------------------
# Time bands.

BAND_NORMAL: Final = "normal"
BAND_OFFPEAK: Final = "offpeak"
BAND_PEAK: Final = "peak"
BAND_MEDIUM: Final = "medium"
BAND_ECO: Final = "eco"
BANDS: Final = (BAND_NORMAL, BAND_OFFPEAK, BAND_PEAK, BAND_MEDIUM, BAND_ECO)

BAND_LAYOUT_TWO: Final = "wallonia_2026_offpeak"
BAND_LAYOUT_IMPACT: Final = "wallonia_2026_impact"
# Wallonia from 1 January 2026, every day: the new off-peak hours, and the optional "Impact"
# grid tariff. Hours are the local clock's.
BAND_PRESETS_2026: Final[Mapping[str, Mapping[str, str]]] = {
    BAND_LAYOUT_TWO: {
        BAND_NORMAL: "07:00-11:00, 17:00-22:00",
        BAND_OFFPEAK: "22:00-07:00, 11:00-17:00",
    },
    BAND_LAYOUT_IMPACT: {
        BAND_PEAK: "17:00-22:00",
        BAND_MEDIUM: "07:00-11:00, 22:00-01:00",
        BAND_ECO: "01:00-07:00, 11:00-17:00",
    },
}

_TIME = r"(\d{1,2})(?:[:h.](\d{2})|h)?"
_DASHES = "-\N{EN DASH}"
_SPAN: Final = re.compile(rf"^{_TIME}\s*(?:[{_DASHES}]|to)\s*{_TIME}$")


def _minute(hours: str, minutes: str | None) -> int | None:
    value = int(hours) * 60 + int(minutes or 0)
    if int(minutes or 0) >= 60 or value > MINUTES_PER_DAY:
        return None
    return value


def parse_band_hours(text: str) -> list[tuple[int, int]]:
    """Return the spans of a band as (start, end) minutes of the local day.

    ``"22:00-07:00, 11:00-17:00"``, ``"22-7; 11-17"`` and ``"22h-7h"`` are the same. A span
    whose end is before its start runs over midnight; ``00:00-24:00`` is the whole day. Times
    must fall on a quarter-hour (the slots are priced by quarter-hour). Raises ValueError with
    a reason: ``band_format`` or ``band_not_quarter``.
    """
    spans: list[tuple[int, int]] = []
    for part in re.split(r"[,;]", text):
        if not (piece := part.strip()):
            continue
        match = _SPAN.match(piece)
        if match is None:
            raise ValueError("band_format")
        start = _minute(match[1], match[2])
        end = _minute(match[3], match[4])
        if start is None or end is None or start in {MINUTES_PER_DAY, end}:
            raise ValueError("band_format")
        if start % 15 or end % 15:
            raise ValueError("band_not_quarter")
        spans.append((start, end))
    return spans


def format_band_hours(spans: Iterable[tuple[int, int]]) -> str:
    """Return spans as the text :func:`parse_band_hours` reads."""
    return ", ".join(
        f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}" for start, end in spans
    )


@dataclass(frozen=True, slots=True)
class BandSchedule:
    """Which band each quarter-hour of the local day belongs to, the same every day."""

    quarters: tuple[str, ...]  # 96 band names, from 00:00

    @classmethod
    def from_hours(cls, hours: Mapping[str, str]) -> BandSchedule:
        """Build a schedule from each band's hours; every quarter must be in exactly one band.

        Raises PriceSettingError naming the band's field (``band_hours_<band>``) for a bad
        text or an overlap, and the first band's field for a gap.
        """
        slots: list[str | None] = [None] * (MINUTES_PER_DAY // 15)
        for band, text in hours.items():
            field_name = f"band_hours_{band}"
            try:
                spans = parse_band_hours(text)
            except ValueError as err:
                raise PriceSettingError(field_name, str(err)) from err
            if not spans:
                raise PriceSettingError(field_name, "band_empty")
            for start, end in spans:
                stop = end if end > start else end + MINUTES_PER_DAY
                for minute in range(start, stop, 15):
                    index = (minute % MINUTES_PER_DAY) // 15
                    if slots[index] is not None:
                        raise PriceSettingError(field_name, "band_overlap")
                    slots[index] = band
        if any(slot is None for slot in slots):
            first = next(iter(hours), "schedule")
            raise PriceSettingError(f"band_hours_{first}", "band_gap")
        return cls(tuple(slot for slot in slots if slot is not None))

    @property
    def bands(self) -> list[str]:
        """Return the bands used, in the order of the day."""
        return list(dict.fromkeys(self.quarters))

    def band_at(self, local: datetime) -> str:
        """Return the band in force at a local wall-clock time."""
        return self.quarters[(local.hour * 60 + local.minute) // 15]


# ---------------------------------------------------------------------------------------------
# Prices of a slot, and the contract as a whole.


@dataclass(frozen=True, slots=True)
class SlotPrice:
    """The prices of one slot, EUR/kWh; the spot price (EUR/MWh) for a dynamic contract."""

    buy: float
    sell: float
    spot: float | None = None


@dataclass(frozen=True, slots=True)
class Contract:
    """A household's contract, from the entry's flat options (see :func:`contract_from_options`)."""

    model: PriceModel
    buy: float = 0.0  # fixed
    sell: float = 0.0
    buy_day: float = 0.0  # day/night
    buy_night: float = 0.0
    sell_day: float = 0.0
    sell_night: float = 0.0
    schedule: BandSchedule | None = None  # bands
    band_buy: Mapping[str, float] = field(default_factory=dict)
    formula: DynamicFormula | None = None  # dynamic
    resolution: int = 15

    @property
    def by_register(self) -> bool:
        """Return True when the meter's registers price the energy (no clock, no slots)."""
        return self.model in (PriceModel.FIXED, PriceModel.DAY_NIGHT)

    @property
    def by_slot(self) -> bool:
        """Return True when the energy is priced per quarter-hour slot."""
        return self.model in (PriceModel.BANDS, PriceModel.DYNAMIC)

    def register_prices(self, register: str) -> SlotPrice:
        """Return the prices of a meter register (``day`` or ``night``)."""
        if self.model is PriceModel.DAY_NIGHT:
            if register == "night":
                return SlotPrice(self.buy_night, self.sell_night)
            return SlotPrice(self.buy_day, self.sell_day)
        return SlotPrice(self.buy, self.sell)

    def band_prices(self, local: datetime) -> SlotPrice:
        """Return the prices of a band contract at a local wall-clock time."""
        if self.schedule is None:
            raise ValueError("not a band contract")
        return SlotPrice(self.band_buy[self.schedule.band_at(local)], self.sell)

    def spot_prices(self, spot: float) -> SlotPrice:
        """Return the prices of a dynamic contract for a slot's spot price (EUR/MWh)."""
        if self.formula is None:
            raise ValueError("not a dynamic contract")
        return SlotPrice(self.formula.buy(spot), self.formula.sell(spot), spot)


def _number(
    options: Mapping[str, Any], key: str, low: float, high: float, default: float | None = None
) -> float:
    raw = options.get(key, default)
    value = finite_number(raw)
    if value is None:
        raise PriceSettingError(key, "required" if raw is None else "not_a_number")
    if not low <= value <= high:
        raise PriceSettingError(key, "out_of_range")
    return value


def _price(options: Mapping[str, Any], key: str) -> float:
    return _number(options, key, -MAX_ABS_PRICE, MAX_ABS_PRICE)


def band_hours_from_options(options: Mapping[str, Any]) -> dict[str, str]:
    """Return the hours of each band of the chosen layout (the preset's unless edited)."""
    layout = options.get("band_layout", BAND_LAYOUT_TWO)
    preset = BAND_PRESETS_2026.get(layout)
    if preset is None:
        raise PriceSettingError("band_layout", "unknown_choice")
    return {band: str(options.get(f"band_hours_{band}", hours)) for band, hours in preset.items()}


def contract_from_options(options: Mapping[str, Any]) -> Contract:
    """Read and check the contract in an entry's flat options; raise PriceSettingError."""
    try:
        model = PriceModel(options.get("price_model", PriceModel.NONE))
    except ValueError as err:
        raise PriceSettingError("price_model", "unknown_choice") from err
    if model is PriceModel.FIXED:
        return Contract(model, buy=_price(options, "buy_price"), sell=_price(options, "sell_price"))
    if model is PriceModel.DAY_NIGHT:
        return Contract(
            model,
            buy_day=_price(options, "buy_price_day"),
            buy_night=_price(options, "buy_price_night"),
            sell_day=_price(options, "sell_price_day"),
            sell_night=_price(options, "sell_price_night"),
        )
    if model is PriceModel.BANDS:
        schedule = BandSchedule.from_hours(band_hours_from_options(options))
        band_buy = {band: _price(options, f"buy_price_{band}") for band in schedule.bands}
        return Contract(
            model, sell=_price(options, "sell_price"), schedule=schedule, band_buy=band_buy
        )
    if model is PriceModel.DYNAMIC:
        resolution = options.get("spot_resolution", 15)
        if resolution not in RESOLUTIONS:
            raise PriceSettingError("spot_resolution", "unknown_choice")
        formula = DynamicFormula(
            buy_factor=_number(options, "buy_factor", 0.0, MAX_FACTOR),
            buy_offset=_number(options, "buy_offset", -MAX_ABS_OFFSET, MAX_ABS_OFFSET),
            sell_factor=_number(options, "sell_factor", 0.0, MAX_FACTOR),
            sell_offset=_number(options, "sell_offset", -MAX_ABS_OFFSET, MAX_ABS_OFFSET),
            vat=_number(options, "vat", 0.0, MAX_VAT, DEFAULT_VAT),
            extra_buy_cost=_number(options, "extra_buy_cost", 0.0, MAX_ABS_OFFSET, 0.0),
        )
        return Contract(model, formula=formula, resolution=int(resolution))
    return Contract(model)


# ---------------------------------------------------------------------------------------------
# The spot sensor's history, and the costs of the slots.


@dataclass(slots=True)
class SpotTimeline:
    """What the spot sensor showed and when, in EUR/MWh (None: unavailable or nonsense).

    Kept for ``keep_seconds`` so that a slot's midpoint can be looked up after the slot closes
    (an hourly contract needs its last quarter's midpoint, 52.5 minutes into the hour). Values
    the live sensor did not give can be filled in later from the recorder's history, except
    while the ledger itself was stopped across a quarter-hour boundary: what the sensor would
    have shown then is not known to anyone.
    """

    keep_seconds: float = 26 * HOUR_SECONDS
    points: list[tuple[float, float | None]] = field(default_factory=list)
    known_until: float | None = None  # the last moment the sensor was followed
    resolved: dict[float, float] = field(default_factory=dict)  # from the recorder
    down: list[tuple[float, float]] = field(default_factory=list)  # not followed, not knowable

    def record(self, timestamp: float, value: float | None) -> None:
        """Take the sensor's value from a moment on, as it changes (live)."""
        self._insert(timestamp, value)
        self.follow_until(timestamp)
        horizon = timestamp - self.keep_seconds
        # Keep the last point before the horizon: it holds the value at the horizon.
        while len(self.points) > 1 and self.points[1][0] <= horizon:
            self.points.pop(0)
        self.resolved = {moment: v for moment, v in self.resolved.items() if moment > horizon}
        self.down = [span for span in self.down if span[1] > horizon]

    def _insert(self, timestamp: float, value: float | None) -> None:
        index = bisect.bisect_left(self.points, timestamp, key=lambda point: point[0])
        if index < len(self.points) and self.points[index][0] == timestamp:
            self.points[index] = (timestamp, value)
        else:
            self.points.insert(index, (timestamp, value))

    def follow_until(self, timestamp: float) -> None:
        """Note that the sensor kept its last value until a moment (no change since)."""
        if self.known_until is None or timestamp > self.known_until:
            self.known_until = timestamp

    def resume(self, now: float) -> None:
        """Start following again after a stop (a restart).

        Until the first quarter-hour boundary after the stop the sensor kept its value (it
        changes at boundaries); from that boundary on, until now, nothing is known.
        """
        if self.known_until is None or now <= self.known_until:
            return
        boundary = self.known_until - self.known_until % QUARTER_SECONDS + QUARTER_SECONDS
        if boundary <= now:
            self._insert(boundary, None)
            self.down.append((boundary, now))
        self.known_until = now

    def value_at(self, timestamp: float) -> float | None:
        """Return the value shown at a moment, or None when it is not known (yet)."""
        if timestamp in self.resolved:
            return self.resolved[timestamp]
        if self.known_until is None or timestamp > self.known_until:
            return None
        index = bisect.bisect_right(self.points, timestamp, key=lambda point: point[0])
        return self.points[index - 1][1] if index else None

    def fill(self, timestamp: float, value: float) -> bool:
        """Take a value the recorder's history gives for a moment; False when not knowable."""
        if any(start <= timestamp <= end for start, end in self.down):
            return False
        self.resolved[timestamp] = value
        return True

    def as_dict(self) -> dict[str, Any]:
        """Return what must survive a restart."""
        return {
            "points": [[moment, value] for moment, value in self.points],
            "known_until": self.known_until,
            "resolved": [[moment, value] for moment, value in self.resolved.items()],
            "down": [list(span) for span in self.down],
        }

    def restore(self, data: Any) -> None:
        """Take back :meth:`as_dict` output; anything malformed is dropped."""
        if not isinstance(data, dict):
            data = {}
        self.points = []
        for moment, value, raw in _pairs(data.get("points")):
            if value is not None or raw is None:
                self._insert(moment, value)
        self.resolved = {
            moment: value for moment, value, _ in _pairs(data.get("resolved")) if value is not None
        }
        self.down = [(start, end) for start, end, _ in _pairs(data.get("down")) if end is not None]
        until = finite_number(data.get("known_until"))
        self.known_until = until if self.points else None


def _pairs(data: Any) -> Iterator[tuple[float, float | None, Any]]:
    """Yield (first, second or None, raw second) from a stored list of pairs, skipping junk."""
    for item in data if isinstance(data, list) else []:
        if isinstance(item, list) and len(item) == 2:
            first = finite_number(item[0])
            if first is not None:
                yield first, finite_number(item[1]), item[1]


def dynamic_price(
    contract: Contract, timeline: SpotTimeline, quarter_start: float
) -> SlotPrice | None:
    """Return the prices of a quarter-hour under a dynamic contract, or None while unknown.

    The quarter belongs to a contract slot (itself, or its hour); the slot's spot price is the
    mean of the sensor's values at the slot's quarter midpoints.
    """
    slot = contract_slot_start(quarter_start, contract.resolution)
    values = [timeline.value_at(moment) for moment in spot_sample_times(slot, contract.resolution)]
    spots = [value for value in values if value is not None]
    if len(spots) < len(values):
        return None
    return contract.spot_prices(slot_spot(spots))


def missing_sample_times(
    contract: Contract, timeline: SpotTimeline, quarter_starts: Iterable[float]
) -> list[float]:
    """Return the moments whose spot value is missing for some quarters (already past)."""
    missing: set[float] = set()
    for start in quarter_starts:
        slot = contract_slot_start(start, contract.resolution)
        for moment in spot_sample_times(slot, contract.resolution):
            past = timeline.known_until is not None and moment <= timeline.known_until
            if past and timeline.value_at(moment) is None:
                missing.add(moment)
    return sorted(missing)


@dataclass(slots=True)
class PendingSlot:
    """A closed quarter-hour whose energy waits for its price."""

    start: float  # Unix seconds
    imported: float = 0.0  # kWh
    exported: float = 0.0
    estimated: bool = False


@dataclass(frozen=True, slots=True)
class PricedSlot:
    """A quarter-hour with its energy, prices, cost and revenue."""

    start: float
    imported: float
    exported: float
    price: SlotPrice
    estimated: bool = False

    @property
    def import_cost(self) -> float:
        """Return what the imported energy cost, EUR (negative when the price was)."""
        return self.imported * self.price.buy

    @property
    def export_revenue(self) -> float:
        """Return what the exported energy earned, EUR (negative when the price was)."""
        return self.exported * self.price.sell


type PriceLookup = Callable[[float], SlotPrice | None]
# A slot still without a price a day after it closed is left out (and reported).
GIVE_UP_SECONDS: Final = 24 * HOUR_SECONDS
# Keep the last few unpriced slots for the report; their energy is summed in any case.
MAX_LISTED_UNPRICED: Final = 96


@dataclass(slots=True)
class CostBook:
    """The running import cost and export revenue, slot by slot or register by register.

    Slots (bands, dynamic): closed quarter-hours come in with :meth:`add_import` and
    :meth:`add_export`; :meth:`settle` prices every pending slot whose price is known, in time
    order, and gives up on a slot still unpriced ``GIVE_UP_SECONDS`` after its end.

    Registers (fixed, day/night): :meth:`add_register` prices each rise of a meter register.
    """

    import_cost: float = 0.0  # EUR
    export_revenue: float = 0.0  # EUR
    pending: list[PendingSlot] = field(default_factory=list)
    unpriced: list[PendingSlot] = field(default_factory=list)
    unpriced_imported: float = 0.0  # kWh left out, in all
    unpriced_exported: float = 0.0
    registers: dict[str, float] = field(default_factory=dict)
    last: PricedSlot | None = None

    @property
    def net_cost(self) -> float:
        """Return cost minus revenue, EUR."""
        return self.import_cost - self.export_revenue

    def _slot(self, start: float) -> PendingSlot:
        for slot in reversed(self.pending):
            if slot.start == start:
                return slot
            if slot.start < start:
                break
        slot = PendingSlot(start)
        self.pending.append(slot)
        self.pending.sort(key=lambda item: item.start)
        return slot

    def add_import(self, start: float, energy: float, *, estimated: bool = False) -> None:
        """Take the imported energy (kWh) of a closed quarter-hour."""
        slot = self._slot(start)
        slot.imported += energy
        slot.estimated |= estimated

    def add_export(self, start: float, energy: float, *, estimated: bool = False) -> None:
        """Take the exported energy (kWh) of a closed quarter-hour."""
        slot = self._slot(start)
        slot.exported += energy
        slot.estimated |= estimated

    def settle(self, lookup: PriceLookup, now: float) -> tuple[list[PricedSlot], list[PendingSlot]]:
        """Price what can be priced; return the slots priced and those given up on now."""
        priced: list[PricedSlot] = []
        given_up: list[PendingSlot] = []
        waiting: list[PendingSlot] = []
        for slot in self.pending:
            price = lookup(slot.start)
            if price is not None:
                done = PricedSlot(slot.start, slot.imported, slot.exported, price, slot.estimated)
                self.import_cost += done.import_cost
                self.export_revenue += done.export_revenue
                priced.append(done)
                if self.last is None or done.start >= self.last.start:
                    self.last = done
            elif now - (slot.start + QUARTER_SECONDS) >= GIVE_UP_SECONDS:
                given_up.append(slot)
            else:
                waiting.append(slot)
        self.pending = waiting
        if given_up:
            self.unpriced_imported += sum(slot.imported for slot in given_up)
            self.unpriced_exported += sum(slot.exported for slot in given_up)
            self.unpriced = (self.unpriced + given_up)[-MAX_LISTED_UNPRICED:]
        return priced, given_up

    def add_register(self, register: str, kind: str, value: float, price: float) -> float:
        """Price the rise of a meter register (``import_day``...) since its last value.

        Returns the money added (EUR). The first value, and a register that went down (a new
        meter, accepted as such by the counter guard), only set the starting point.
        """
        key = f"{kind}_{register}"
        previous = self.registers.get(key)
        self.registers[key] = value
        if previous is None or value <= previous:
            return 0.0
        money = (value - previous) * price
        if kind == "import":
            self.import_cost += money
        else:
            self.export_revenue += money
        return money

    def expire_unpriced(self, before: float) -> bool:
        """Drop the slots left out that started before a moment from the list (not the sums).

        Returns True when the list changed.
        """
        if all(slot.start >= before for slot in self.unpriced):
            return False
        self.unpriced = [slot for slot in self.unpriced if slot.start >= before]
        return True

    def as_dict(self) -> dict[str, Any]:
        """Return what must survive a restart."""

        def slot(item: PendingSlot) -> list[Any]:
            return [item.start, item.imported, item.exported, item.estimated]

        return {
            "import_cost": self.import_cost,
            "export_revenue": self.export_revenue,
            "pending": [slot(item) for item in self.pending],
            "unpriced": [slot(item) for item in self.unpriced],
            "unpriced_imported": self.unpriced_imported,
            "unpriced_exported": self.unpriced_exported,
            "registers": dict(self.registers),
        }

    def restore(self, data: Any) -> None:
        """Take back :meth:`as_dict` output; anything malformed starts from zero."""
        if not isinstance(data, dict):
            return
        self.import_cost = finite_number(data.get("import_cost")) or 0.0
        self.export_revenue = finite_number(data.get("export_revenue")) or 0.0
        self.unpriced_imported = finite_number(data.get("unpriced_imported")) or 0.0
        self.unpriced_exported = finite_number(data.get("unpriced_exported")) or 0.0
        self.pending = _slots(data.get("pending"))
        self.unpriced = _slots(data.get("unpriced"))
        registers = data.get("registers")
        self.registers = {
            str(key): number
            for key, value in (registers.items() if isinstance(registers, dict) else ())
            if (number := finite_number(value)) is not None
        }


def _slots(data: Any) -> list[PendingSlot]:
    slots: list[PendingSlot] = []
    for item in data if isinstance(data, list) else []:
        if not (isinstance(item, list) and len(item) == 4):
            continue
        start, imported, exported = (finite_number(value) for value in item[:3])
        if start is None or imported is None or exported is None:
            continue
        slots.append(PendingSlot(start, imported, exported, bool(item[3])))
    return sorted(slots, key=lambda slot: slot.start)
