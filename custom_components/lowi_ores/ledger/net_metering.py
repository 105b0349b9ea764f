"""The net-metering part of the ledger: Wallonia's balance since the user's reading date."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
import logging
from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import UnitOfEnergy
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from ..billing.net_metering import (
    REGISTERS,
    Balance,
    BalancePeriod,
    Method,
    Netting,
    Observation,
    RegisterTracker,
    cost,
    daily_production,
    prosumer_fee,
    pv_days,
    seasonal_projection,
    winter_days,
)
from ..billing.periods import ReadingPeriod, add_years, local_date, local_midnight
from ..const import (
    CONF_BILLABLE_PRICE,
    CONF_GRID_OPERATOR,
    CONF_INVERTER_KW,
    CONF_NET_METERING,
    CONF_NETTING,
    CONF_NEXT_READING_DATE,
    CONF_PROSUMER_RATE,
    CONF_READING_DATE,
    DEFAULT_GRID_OPERATOR,
    DOMAIN,
    ELECTRICITY_VAT,
    PROSUMER_RATES_2026,
    READING_INDEXES,
    REGION_WALLONIA,
)
from ..coordinator import MeterData
from . import BillingLedger, LedgerPart, LedgerSensorEntityDescription
from .recorder import async_values_at

_LOGGER = logging.getLogger(__name__)

ORIGIN_BILL: Final = "bill"
ORIGIN_STATISTICS: Final = "statistics"
ORIGIN_FIRST_READING: Final = "first_reading"
# Closed periods kept in the Store.
CLOSED_KEPT: Final = 10
PROJECTION_REFRESH: Final = timedelta(hours=1)

BALANCE: Final = "net_metering_balance"
BALANCE_DAY: Final = "net_metering_balance_day"
BALANCE_NIGHT: Final = "net_metering_balance_night"
BILLABLE: Final = "net_metering_billable"
SURPLUS: Final = "net_metering_surplus"
PROJECTION: Final = "net_metering_projection"
COST: Final = "net_metering_cost"
SENSOR_KEYS: Final = frozenset(
    {BALANCE, BALANCE_DAY, BALANCE_NIGHT, BILLABLE, SURPLUS, PROJECTION, COST}
)


def partial_issue_id(entry_id: str) -> str:
    """Return the id of an entry's "partial balance" repair issue."""
    return f"net_metering_partial_{entry_id}"


def create_part(ledger: BillingLedger) -> NetMeteringPart | None:
    """Return the part when the entry is Walloon with net metering and a reading date."""
    options = ledger.options
    if ledger.region != REGION_WALLONIA or not options.get(CONF_NET_METERING):
        return None
    if not options.get(CONF_READING_DATE):
        return None
    return NetMeteringPart(ledger)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


class NetMeteringPart(LedgerPart):
    """Follows the balance of the current reading period and rolls it over every year."""

    key = "net_metering"

    def __init__(self, ledger: BillingLedger) -> None:
        """Read the contract from the options."""
        super().__init__(ledger)
        options = ledger.options
        start = date.fromisoformat(options[CONF_READING_DATE])
        end_option = options.get(CONF_NEXT_READING_DATE)
        end = date.fromisoformat(end_option) if end_option else add_years(start, 1)
        self.period = ReadingPeriod.from_reading(start, end if end > start else None)
        self.netting = Netting(options.get(CONF_NETTING, Netting.TOGETHER))
        self.price: float | None = options.get(CONF_BILLABLE_PRICE)
        self.inverter_kw: float | None = options.get(CONF_INVERTER_KW)
        operator = options.get(CONF_GRID_OPERATOR, DEFAULT_GRID_OPERATOR)
        self.rate: float = options.get(CONF_PROSUMER_RATE, PROSUMER_RATES_2026[operator])
        self.bill_levels: dict[str, float] | None = None
        if all(options.get(key) is not None for key in READING_INDEXES):
            self.bill_levels = {
                counter: float(options[key]) for key, counter in READING_INDEXES.items()
            }
        self.tracker: RegisterTracker | None = None
        # Import minus export indexes when the period (or its partial count) started.
        self.start_net_index: float | None = None
        self.origin: str | None = None
        self.since: datetime | None = None
        self.last_time: datetime | None = None
        # Local day -> [day net, night net, from (timestamp), to (timestamp)].
        self.days: dict[str, list[float]] = {}
        self.closed: list[dict[str, Any]] = []
        self.history: Balance | None = None
        self._unsub_refresh: CALLBACK_TYPE | None = None
        self._projection: tuple[object, tuple[float, float, Method] | None] | None = None

    # -- the Store -------------------------------------------------------------------------

    @property
    def _signature(self) -> dict[str, Any]:
        """Return what defines the period's start: a change restarts the period."""
        return {"reading_date": self.period.start.isoformat(), "bill": self.bill_levels}

    def as_dict(self) -> dict[str, Any]:
        """Return the period's state and the closed periods."""
        return {
            "signature": self._signature,
            "tracker": None if self.tracker is None else self.tracker.as_dict(),
            "start_net_index": self.start_net_index,
            "origin": self.origin,
            "since": None if self.since is None else self.since.isoformat(),
            "last_time": None if self.last_time is None else self.last_time.isoformat(),
            "days": self.days,
            "closed": self.closed,
        }

    def restore(self, data: Any) -> None:
        """Take the stored period back, unless the reading date or the bill's indexes changed."""
        if not isinstance(data, dict):
            return
        if isinstance(closed := data.get("closed"), list):
            self.closed = _chain_until(
                [c for c in closed if isinstance(c, dict)], self.period.start
            )[-CLOSED_KEPT:]
        if data.get("signature") != self._signature:
            return
        tracker = RegisterTracker.from_dict(data.get("tracker"))
        since = _parse_time(data.get("since"))
        if (
            tracker is None
            or since is None
            or data.get("origin")
            not in (
                ORIGIN_BILL,
                ORIGIN_STATISTICS,
                ORIGIN_FIRST_READING,
            )
        ):
            return
        self.tracker, self.since, self.origin = tracker, since, data["origin"]
        self.last_time = _parse_time(data.get("last_time"))
        if isinstance(start_net := data.get("start_net_index"), (int, float)):
            self.start_net_index = float(start_net)
        if isinstance(days := data.get("days"), dict):
            self.days = {
                k: [float(x) for x in v]
                for k, v in days.items()
                if isinstance(v, list)
                and len(v) == 4
                and all(isinstance(x, (int, float)) for x in v)
            }

    # -- start -----------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Find the period's starting indexes, then the projection's history."""
        now = dt_util.utcnow()
        if self.tracker is None:
            await self._async_find_start(now)
        if now >= self.period.end_time:
            self._roll_over(now)
        self._unsub_refresh = async_track_time_interval(
            self.ledger.hass, self._async_refresh, PROJECTION_REFRESH
        )
        await self._async_refresh_history(now)

    async def async_stop(self) -> None:
        """Stop refreshing the projection."""
        if self._unsub_refresh is not None:
            self._unsub_refresh()
            self._unsub_refresh = None

    async def _async_find_start(self, now: datetime) -> None:
        start = self.period.start_time
        if self.bill_levels is not None:
            self._start(self.bill_levels, ORIGIN_BILL, start)
            return
        if now >= start and (
            levels := await async_values_at(
                self.ledger.hass, self.ledger.coordinator.ident, start, "state"
            )
        ):
            self._start(levels, ORIGIN_STATISTICS, start)
            return
        # Neither: the first reading from now on starts the period (counters_updated).
        _LOGGER.info(
            "%s: no indexes of %s on the bill or in the statistics; the net-metering balance "
            "starts at the next reading and is partial",
            self.ledger.entry.title,
            self.period.start,
        )

    def _start(self, levels: Mapping[str, float], origin: str, since: datetime) -> None:
        self.tracker = RegisterTracker.starting_at(levels)
        self.start_net_index = _net_index(levels)
        self.origin = origin
        self.since = since
        self.last_time = since
        self.days = {}
        if origin == ORIGIN_FIRST_READING:
            ir.async_create_issue(
                self.ledger.hass,
                DOMAIN,
                partial_issue_id(self.ledger.entry.entry_id),
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="net_metering_partial",
                translation_placeholders={
                    "title": self.ledger.entry.title,
                    "reading_date": self.period.start.isoformat(),
                    "since": dt_util.as_local(since).strftime("%Y-%m-%d %H:%M"),
                },
            )
        else:
            ir.async_delete_issue(
                self.ledger.hass, DOMAIN, partial_issue_id(self.ledger.entry.entry_id)
            )

    # -- following the meter ---------------------------------------------------------------

    def counters_updated(self, data: MeterData) -> None:
        """Add the energy of a valid message to the period."""
        counters = {key: data.counters.get(key) for key in REGISTERS}
        if any(value is None for value in counters.values()):
            return
        now = data.received
        if self.tracker is None:
            self._start(
                {k: v for k, v in counters.items() if v is not None}, ORIGIN_FIRST_READING, now
            )
            self.ledger.async_changed()
            return
        added = self.tracker.feed(counters)
        if self.last_time is not None and now > self.last_time:
            self._add_day(added, self.last_time, now)
        self.last_time = now
        self.ledger.async_changed()

    def _add_day(self, added: Balance, start: datetime, end: datetime) -> None:
        day = local_date(end).isoformat()
        record = self.days.setdefault(day, [0.0, 0.0, start.timestamp(), end.timestamp()])
        record[0] += added.day
        record[1] += added.night
        record[2] = min(record[2], start.timestamp())
        record[3] = end.timestamp()

    def midnight(self, now: datetime) -> None:
        """Roll the period over at local midnight of the next reading date."""
        if now >= self.period.end_time:
            self._roll_over(now)

    def _roll_over(self, now: datetime) -> None:
        """Close the period with its figures; the next one starts from the indexes now.

        Without a start yet (no reading since setup), the period only moves on a year.
        """
        while now >= self.period.end_time and (tracker := self.tracker) is not None:
            balance = tracker.balance
            self.closed.append(
                {
                    "start": self.period.start.isoformat(),
                    "end": self.period.end.isoformat(),
                    "origin": self.origin,
                    "since": None if self.since is None else self.since.isoformat(),
                    "start_net_index": self.start_net_index,
                    "balance": round(balance.total, 3),
                    "balance_day": round(balance.day, 3),
                    "balance_night": round(balance.night, 3),
                    "billable": round(balance.billable(self.netting), 3),
                    "surplus": round(balance.surplus(self.netting), 3),
                }
            )
            self.closed = self.closed[-CLOSED_KEPT:]
            levels = dict(tracker.levels)
            self.period = self.period.following()
            self.bill_levels = levels if len(levels) == len(REGISTERS) else None
            self._start(
                levels,
                ORIGIN_BILL if self.bill_levels else ORIGIN_STATISTICS,
                self.period.start_time,
            )
            self.history = None
        # Still waiting for a first reading: the period just moves on.
        self.period = self.period.periods_until(now)[-1]
        entry = self.ledger.entry
        options = dict(entry.options) | {
            CONF_READING_DATE: self.period.start.isoformat(),
            CONF_NEXT_READING_DATE: self.period.end.isoformat(),
        }
        if self.bill_levels is not None:
            options |= {key: round(self.bill_levels[c], 3) for key, c in READING_INDEXES.items()}
        # No update listener: the options flow reloads only after its own form.
        self.ledger.hass.config_entries.async_update_entry(entry, options=options)
        _LOGGER.info(
            "%s: net-metering period closed; the next one runs from %s to %s",
            entry.title,
            self.period.start,
            self.period.end,
        )
        self.ledger.async_changed()

    # -- projection ------------------------------------------------------------------------

    @callback
    def _async_refresh(self, now: datetime) -> None:
        self.ledger.hass.async_create_task(self._async_refresh_history(now), eager_start=False)

    async def _async_refresh_history(self, now: datetime) -> None:
        """Read the same days one year earlier from the statistics, when they reach back."""
        hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        end = self.period.end_time
        earlier_now = datetime.combine(add_years(hour.date(), -1), hour.time(), tzinfo=UTC)
        earlier_end = datetime.combine(add_years(local_date(end), -1), end.timetz()).astimezone(UTC)
        if earlier_end > now or earlier_end < earlier_now:
            self.history = None
            return
        hass, ident = self.ledger.hass, self.ledger.coordinator.ident
        first = await async_values_at(hass, ident, earlier_now, "sum")
        last = await async_values_at(hass, ident, earlier_end, "sum") if first else None
        history = None
        if first and last:
            history = Balance.from_mapping({k: last[k] - first[k] for k in REGISTERS})
        if history != self.history:
            self.history = history
            self.ledger.async_changed()

    def _observations(self) -> list[tuple[Observation, float, float]]:
        """Return each recorded day as a total observation, with its day and night nets."""
        out = []
        for day_net, night_net, start, end in self.days.values():
            if end <= start:
                continue
            sunny, cold = _weights(start, end)
            total = Observation((end - start) / 86400, sunny, day_net + night_net, cold)
            out.append((total, day_net, night_net))
        return out

    def projection(self) -> tuple[float, float, Method] | None:
        """Return the day and night balances expected at the next reading, and the method.

        The total follows the seasonal model (with the roof's yield from the inverter's power
        when it is known); the day register follows its own fit and the night takes the rest.
        Several sensors ask for it after each message: it is computed once per reading.
        """
        key = (self.last_time, self.history, self.period, id(self.tracker))
        if self._projection is not None and self._projection[0] == key:
            return self._projection[1]
        projected = self._project()
        self._projection = (key, projected)
        return projected

    def _project(self) -> tuple[float, float, Method] | None:
        if self.tracker is None:
            return None
        balance = self.tracker.balance
        if self.history is not None:
            return (
                balance.day + self.history.day,
                balance.night + self.history.night,
                Method.HISTORY,
            )
        now = self.last_time or dt_util.utcnow()
        end = self.period.end_time
        observations = self._observations()
        production = None if self.inverter_kw is None else daily_production(self.inverter_kw)
        total = seasonal_projection([o for o, _, _ in observations], now, end, production)
        day = seasonal_projection(
            [replace(o, net=d, winter_days=None) for o, d, _ in observations], now, end
        )
        if total is None or day is None:
            return None
        return balance.day + day[0], balance.night + total[0] - day[0], total[1]

    # -- figures ---------------------------------------------------------------------------

    @property
    def balance(self) -> Balance | None:
        """Return the period's balance so far."""
        return None if self.tracker is None else self.tracker.balance

    def _cost(self, billable: float, fraction: float) -> float | None:
        if self.price is None:
            return None
        fee = (
            0.0
            if self.inverter_kw is None
            else prosumer_fee(self.inverter_kw, self.rate, ELECTRICITY_VAT, fraction)
        )
        return round(cost(billable, self.price, fee), 2)

    def _cost_now(self) -> float | None:
        if (balance := self.balance) is None:
            return None
        now = self.last_time or dt_util.utcnow()
        fraction = self.period.days_elapsed(now) / self.period.days
        return self._cost(balance.billable(self.netting), fraction)

    def _cost_projected(self) -> float | None:
        if (projected := self.projection()) is None:
            return None
        balance = Balance(
            max(projected[0], 0), max(projected[1], 0), max(-projected[0], 0), max(-projected[1], 0)
        )
        return self._cost(balance.billable(self.netting), 1.0)

    def _common_attributes(self) -> dict[str, Any]:
        now = dt_util.utcnow()
        return {
            "since": None if self.since is None else dt_util.as_local(self.since).isoformat(),
            "next_reading": self.period.end.isoformat(),
            "days_left": self.period.days_left(now),
        }

    def _balance_attributes(self) -> dict[str, Any]:
        attributes = self._common_attributes() | {"origin": self.origin}
        if self.closed:
            last = self.closed[-1]
            attributes |= {
                "last_period_balance": last["balance"],
                "last_period_start": last["start"],
                "last_period_end": last["end"],
                "last_period_billable": last["billable"],
                "last_period_surplus": last["surplus"],
            }
        return attributes

    def _projection_attributes(self) -> dict[str, Any]:
        projected = self.projection()
        return self._common_attributes() | {
            "method": None if projected is None else projected[2].value
        }

    def _energy(
        self,
        key: str,
        value: Callable[[], StateType],
        *,
        total: bool = True,
        attributes: Callable[[], Mapping[str, Any]] | None = None,
    ) -> LedgerSensorEntityDescription:
        return LedgerSensorEntityDescription(
            key=key,
            translation_key=key,
            native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
            device_class=SensorDeviceClass.ENERGY,
            state_class=SensorStateClass.TOTAL if total else None,
            suggested_display_precision=1,
            value_fn=value,
            attributes_fn=attributes or self._common_attributes,
            last_reset_fn=(lambda: self.period.start_time) if total else None,
        )

    def sensor_descriptions(self) -> tuple[LedgerSensorEntityDescription, ...]:
        """Return the balance, billable, surplus, projection and, with a price, cost."""

        def _figure(fn: Callable[[Balance], float]) -> Callable[[], StateType]:
            return lambda: None if (b := self.balance) is None else round(fn(b), 3)

        descriptions = [
            self._energy(BALANCE, _figure(lambda b: b.total), attributes=self._balance_attributes),
            self._energy(BILLABLE, _figure(lambda b: b.billable(self.netting))),
            self._energy(SURPLUS, _figure(lambda b: b.surplus(self.netting))),
            self._energy(
                PROJECTION,
                lambda: None if (p := self.projection()) is None else round(p[0] + p[1], 1),
                total=False,
                attributes=self._projection_attributes,
            ),
        ]
        if self.netting is Netting.SEPARATE:
            descriptions += [
                self._energy(BALANCE_DAY, _figure(lambda b: b.day)),
                self._energy(BALANCE_NIGHT, _figure(lambda b: b.night)),
            ]
        if self.price is not None:
            descriptions.append(
                LedgerSensorEntityDescription(
                    key=COST,
                    translation_key=COST,
                    native_unit_of_measurement="EUR",
                    device_class=SensorDeviceClass.MONETARY,
                    state_class=SensorStateClass.TOTAL,
                    suggested_display_precision=2,
                    value_fn=self._cost_now,
                    attributes_fn=lambda: (
                        self._common_attributes() | {"projected": self._cost_projected()}
                    ),
                    last_reset_fn=lambda: self.period.start_time,
                )
            )
        return tuple(descriptions)

    def balance_periods(self) -> tuple[BalancePeriod, ...]:
        """Return the periods whose start indexes are known, for the export's balance column."""
        periods = [
            BalancePeriod(since, end, float(record["start_net_index"]))
            for record in self.closed
            if (since := _parse_time(record.get("since"))) is not None
            and isinstance(record.get("start_net_index"), (int, float))
            and isinstance(record.get("end"), str)
            and (end := local_midnight(date.fromisoformat(record["end"]))) > since
        ]
        if self.since is not None and self.start_net_index is not None:
            periods.append(BalancePeriod(self.since, self.period.end_time, self.start_net_index))
        return tuple(periods)


def export_balance_periods(ledger: BillingLedger | None) -> tuple[BalancePeriod, ...]:
    """Return the net-metering periods of a ledger for the export (none without net metering)."""
    if ledger is None:
        return ()
    for part in ledger.parts:
        if isinstance(part, NetMeteringPart):
            return part.balance_periods()
    return ()


def _chain_until(closed: list[dict[str, Any]], start: date) -> list[dict[str, Any]]:
    """Return the closed periods that lead, one after the other, up to the current start.

    A roll-over closes a period on the day the next one starts. A corrected reading date
    leaves periods that never existed: they, and the ones before them, are dropped.
    """
    kept: list[dict[str, Any]] = []
    expected = start.isoformat()
    for record in reversed(closed):
        if record.get("end") != expected or not isinstance(record.get("start"), str):
            break
        kept.append(record)
        expected = record["start"]
    return kept[::-1]


def _net_index(levels: Mapping[str, float]) -> float | None:
    if any(key not in levels for key in REGISTERS):
        return None
    return Balance.from_mapping(levels).total


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _from_ts(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


@lru_cache(maxsize=1024)
def _weights(start: float, end: float) -> tuple[float, float]:
    """Return the PV- and winter-weighted days of a recorded window (past days do not change)."""
    first, last = _from_ts(start), _from_ts(end)
    return pv_days(first, last), winter_days(first, last)
