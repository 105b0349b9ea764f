"""Give export rows the prices and the money of their energy, as the costs ledger counts it.

Pure: no Home Assistant import. The same functions as the ledger (``billing/prices.py``) price
the same energy, so the rows of a period add up to what the ledger's totals rose by:

* fixed and day/night contracts: each register's rise in the row times the register's price
  (any resolution: the rises come from the recorded states or the long-term statistics alike);
* band and dynamic contracts: the quarter-hour's imported and exported energy, from the totals
  interpolated at its boundaries (``billing/quarters.py``), times the slot's prices; a dynamic
  slot's spot price is the spot sensor's recorded value at its midpoint (the mean of the hour's
  four for an hourly contract). An hour, day or month row adds up the money of its hours as
  the costs ledger wrote them to its own long-term statistics (``ledger/costs.py``), kept for
  good; an hour missing there (before the ledger wrote any, or one of no priced slot) adds up its
  quarter-hours' money, priced from the recorded states (kept for a few days only). An hour
  row shows the slot's prices only when they are the same all hour.

Nothing is invented: a row whose energy or price is not known keeps its cells empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
import math

from ..billing.prices import Contract, PriceModel, SlotPrice, SpotTimeline, dynamic_price
from ..billing.quarters import BRUSSELS, QUARTER_SECONDS
from .intervals import Resolution
from .rows import Counter, Row

_QUARTER = timedelta(seconds=QUARTER_SECONDS)
# A quarter-hour's import cost and export revenue (EUR), None where not known, by its start.
type QuarterMoney = Mapping[float, tuple[float | None, float | None]]
# A clock hour's import cost and export revenue (EUR) as the ledger wrote them, by its start.
type HourMoney = Mapping[float, tuple[float | None, float | None]]
_HOUR = 3600.0
_REGISTERS = (
    (Counter.IMPORT_DAY, Counter.EXPORT_DAY, "day"),
    (Counter.IMPORT_NIGHT, Counter.EXPORT_NIGHT, "night"),
)


def shows_prices(resolution: Resolution) -> bool:
    """Return True for the resolutions whose rows show the prices (15 minutes and hours)."""
    return resolution in (Resolution.QUARTER_HOUR, Resolution.HOUR)


def price_rows(
    rows: Iterable[Row],
    contract: Contract,
    resolution: Resolution,
    spot: SpotTimeline | None = None,
    *,
    quarters: QuarterMoney | None = None,
    hours: HourMoney | None = None,
) -> Iterator[Row]:
    """Yield the rows with their prices, import cost and export revenue where known.

    spot: the spot sensor's recorded values (EUR/MWh) over the period, for a dynamic contract.
    quarters: the quarter-hours' money, for the longer rows of a band or dynamic contract;
    hours: the hours' money the ledger wrote, for the same rows (first choice).
    """
    for row in rows:
        if contract.by_register:
            _by_register(row, contract, resolution)
        elif resolution is Resolution.QUARTER_HOUR:
            _by_slot(row, _slot_price(contract, spot, row.start.timestamp()))
        else:
            if resolution is Resolution.HOUR:
                prices = {
                    _slot_price(contract, spot, (row.start + number * _QUARTER).timestamp())
                    for number in range(4)
                }
                if len(prices) == 1:
                    _show(row, prices.pop())
            if quarters is not None or hours is not None:
                row.import_cost, row.export_revenue = add_up(quarters or {}, row, hours)
        yield row


def quarter_money(row: Row) -> tuple[float | None, float | None]:
    """Return a priced 15-minute row's money, as :func:`add_up` reads it."""
    return row.import_cost, row.export_revenue


def add_up(
    quarters: QuarterMoney, row: Row, hours: HourMoney | None = None
) -> tuple[float | None, float | None]:
    """Return the money of a row; None unless all of it is known.

    Each whole clock hour of the row counts as the ledger wrote it, when it did; the rest of
    the row (hours it did not write) counts its quarter-hours.
    """
    return (
        _add_up(quarters, row, hours or {}, 0),
        _add_up(quarters, row, hours or {}, 1),
    )


def _add_up(quarters: QuarterMoney, row: Row, hours: HourMoney, side: int) -> float | None:
    parts: list[float] = []
    moment, end = row.start.timestamp(), row.end.timestamp()
    while moment < end:
        if moment % _HOUR == 0 and moment + _HOUR <= end:
            hour = hours.get(moment, (None, None))[side]
            if hour is not None:
                parts.append(hour)
                moment += _HOUR
                continue
        quarter = quarters.get(moment, (None, None))[side]
        if quarter is None:
            return None
        parts.append(quarter)
        moment += QUARTER_SECONDS
    return math.fsum(parts)


def _slot_price(contract: Contract, spot: SpotTimeline | None, start: float) -> SlotPrice | None:
    if contract.model is PriceModel.BANDS:
        return contract.band_prices(datetime.fromtimestamp(start, BRUSSELS))
    if spot is None:
        return None
    return dynamic_price(contract, spot, start)


def _show(row: Row, price: SlotPrice | None) -> None:
    if price is not None:
        row.spot_price, row.buy_price, row.sell_price = price.spot, price.buy, price.sell


def _by_slot(row: Row, price: SlotPrice | None) -> None:
    _show(row, price)
    if price is None:
        return
    if row.quarter_imported is not None:
        row.import_cost = row.quarter_imported * price.buy
    if row.quarter_exported is not None:
        row.export_revenue = row.quarter_exported * price.sell


def _by_register(row: Row, contract: Contract, resolution: Resolution) -> None:
    cost: float | None = 0.0
    revenue: float | None = 0.0
    bought: set[float] = set()
    sold: set[float] = set()
    for import_counter, export_counter, register in _REGISTERS:
        price = contract.register_prices(register)
        imported = row.usage.get(import_counter)
        exported = row.usage.get(export_counter)
        if imported is None or cost is None:
            cost = None
        else:
            cost += imported * price.buy
            if imported > 0 or contract.model is PriceModel.FIXED:
                bought.add(price.buy)
        if exported is None or revenue is None:
            revenue = None
        else:
            revenue += exported * price.sell
            if exported > 0 or contract.model is PriceModel.FIXED:
                sold.add(price.sell)
    row.import_cost, row.export_revenue = cost, revenue
    if resolution in (Resolution.QUARTER_HOUR, Resolution.HOUR):
        # A day/night row shows the price of the register that counted (none when both did,
        # or neither: which one was in force is then not known from the row).
        row.buy_price = bought.pop() if len(bought) == 1 else None
        row.sell_price = sold.pop() if len(sold) == 1 else None
