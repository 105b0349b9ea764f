"""Read the meter's history from Home Assistant's recorder and write the export file.

Runs in the recorder's executor (`run_export`): one read-only session, rows streamed from the
database through the row builder into the file writer, so memory does not grow with the number
of rows. Works on SQLite, MariaDB/MySQL and PostgreSQL: plain SQLAlchemy queries on the
recorder's own tables and indexes (metadata id, then time).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from math import isfinite
import os
from pathlib import Path
import tempfile
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select

from homeassistant.components.recorder import history
from homeassistant.components.recorder.db_schema import States, Statistics
from homeassistant.components.recorder.statistics import get_metadata_with_session
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.recorder import get_instance, session_scope
from homeassistant.util.unit_conversion import BaseUnitConverter

from ..billing.net_metering import BalancePeriod, RunningBalance
from ..billing.prices import (
    Contract,
    PriceModel,
    SpotTimeline,
    contract_slot_start,
    spot_in_eur_per_mwh,
)
from .intervals import Resolution, boundaries
from .money import price_rows, quarter_money, shows_prices
from .rows import (
    ELECTRICITY_COUNTERS,
    EXPORT_COUNTERS,
    IMPORT_COUNTERS,
    IMPORT_POWER,
    Row,
    Totals,
    parse_number,
    rows_from_states,
    rows_from_statistics,
)
from .writers import (
    Column,
    CsvWriter,
    ExcelCsvWriter,
    ExportWriter,
    FileFormat,
    XlsxWriter,
    columns_for,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from homeassistant.core import HomeAssistant

# Rows fetched from the database per round trip.
BATCH = 5000
HOUR = 3600.0
# How far after the period the states are read, for the first import values after its last
# quarter-hour (its end index is interpolated up to them).
LOOKAHEAD = HOUR


class StatesNotAvailableError(Exception):
    """The recorded states do not reach back to the start of the period."""

    def __init__(self, earliest: float | None) -> None:
        """Remember the earliest recorded state (a timestamp), if there is any."""
        super().__init__(earliest)
        self.earliest = earliest


class UnitNotSupportedError(Exception):
    """A sensor's recorded unit cannot be converted to the export's."""

    def __init__(self, entity_id: str, unit: str | None) -> None:
        """Remember which sensor and unit."""
        super().__init__(entity_id, unit)
        self.entity_id = entity_id
        self.unit = unit


@dataclass(frozen=True, slots=True)
class Source:
    """A sensor the export reads, the export's unit for it, and the factor from its states'."""

    key: str  # a Counter's value or IMPORT_POWER
    entity_id: str
    unit: str
    converter: type[BaseUnitConverter]
    factor: float = 1.0


def unit_factor(source: Source, unit: str | None) -> float:
    """Return the factor from a recorded unit to the export's unit for a source."""
    try:
        return source.converter.converter_factory(unit, source.unit)(1.0)
    except HomeAssistantError as err:
        raise UnitNotSupportedError(source.entity_id, unit) from err


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """Everything the executor job needs; built on the event loop."""

    sources: tuple[Source, ...]
    start: datetime  # a boundary, UTC
    end: datetime  # a boundary, UTC, after start
    resolution: Resolution
    zone: tzinfo
    file_format: FileFormat
    path: Path
    labels: dict[str, str]
    about: tuple[tuple[str, str], ...]
    now: datetime  # rows ending after it are still running
    # Net metering on: its reading periods, for the balance column.
    balance_periods: tuple[BalancePeriod, ...] = ()
    # The capacity tariff's month peaks (first day of the month -> kW and the quarter's start),
    # when the entry follows it: month rows then show them. None: no such columns.
    month_peaks: dict[date, tuple[float, datetime]] | None = None
    # The entry's contract, when it has one: rows then show their prices and money. A dynamic
    # contract's spot prices are the recorded states of its spot sensor.
    contract: Contract | None = None
    spot_entity: str | None = None
    # A band or dynamic contract's hourly import cost and export revenue statistics, as the
    # costs ledger writes them: the money of hour, day and month rows, where they hold it.
    money_statistics: tuple[str, str] | None = None

    @property
    def reads_spot(self) -> bool:
        """Whether the rows need the spot sensor's history (a dynamic contract's prices)."""
        contract = self.contract
        return (
            contract is not None
            and contract.model is PriceModel.DYNAMIC
            and self.spot_entity is not None
        )

    @property
    def counters(self) -> tuple[str, ...]:
        """The counters this export reads, electricity first, channels last."""
        return tuple(source.key for source in self.sources if source.key != IMPORT_POWER)


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What was written."""

    path: Path
    totals: Totals


def run_export(hass: HomeAssistant, request: ExportRequest) -> ExportResult:
    """Query and write the whole export (blocking; in the recorder's executor).

    The file appears under its final name only when it is complete.
    """
    contract, entity_id = request.contract, request.spot_entity
    spot = (
        _spot_timeline(hass, request, contract, entity_id)
        if contract is not None and contract.model is PriceModel.DYNAMIC and entity_id
        else None
    )
    with session_scope(hass=hass, read_only=True) as session:
        # Longer rows of band and dynamic contracts add up the hours the ledger wrote to its
        # statistics, and quarter-hours priced from the states where it wrote none.
        hours: dict[float, tuple[float | None, float | None]] | None = None
        quarters: dict[float, tuple[float | None, float | None]] | None = None
        if (
            contract is not None
            and contract.by_slot
            and request.resolution is not Resolution.QUARTER_HOUR
        ):
            hours = _hour_money(hass, session, request)
            if not _covers(hours, request):
                quarters = _quarter_money(hass, session, request, contract, spot)
        # Both run their checks (states at the start, units) here, before any file exists;
        # the rows themselves are read as the file is written.
        rows = (
            _rows_from_states(hass, session, request)
            if request.resolution is Resolution.QUARTER_HOUR
            else _rows_from_statistics(hass, session, request)
        )
        if request.resolution is Resolution.MONTH and request.month_peaks is not None:
            rows = _with_month_peaks(rows, request.month_peaks, request.zone)
        if request.contract is not None:
            rows = price_rows(
                rows, request.contract, request.resolution, spot, quarters=quarters, hours=hours
            )
        return _write(request, rows)


def _hour_money(
    hass: HomeAssistant, session: Session, request: ExportRequest
) -> dict[float, tuple[float | None, float | None]]:
    """Return the period's hourly import cost and export revenue, as the ledger wrote them."""
    if request.money_statistics is None:
        return {}
    import_id, export_id = request.money_statistics
    metadata = get_metadata_with_session(
        get_instance(hass), session, statistic_ids={import_id, export_id}
    )
    sides = {
        metadata_id: int(statistic_id == export_id)
        for statistic_id, (metadata_id, _) in metadata.items()
    }
    money: dict[float, list[float | None]] = {}
    if sides:
        found = session.execute(
            select(Statistics.metadata_id, Statistics.start_ts, Statistics.state).where(
                Statistics.metadata_id.in_(list(sides)),
                Statistics.start_ts >= request.start.timestamp(),
                Statistics.start_ts < request.end.timestamp(),
            )
        )
        for metadata_id, hour, state in found:
            money.setdefault(hour, [None, None])[sides[metadata_id]] = state
    return {hour: (pair[0], pair[1]) for hour, pair in money.items()}


def _covers(hours: dict[float, tuple[float | None, float | None]], request: ExportRequest) -> bool:
    """Return True when the statistics hold every finished hour of the period (no states read)."""
    moment = request.start.timestamp()
    end = min(request.end.timestamp(), request.now.timestamp())
    while moment + HOUR <= end:
        if None in hours.get(moment, (None, None)):
            return False
        moment += HOUR
    return True


def _quarter_money(
    hass: HomeAssistant,
    session: Session,
    request: ExportRequest,
    contract: Contract,
    spot: SpotTimeline | None,
) -> dict[float, tuple[float | None, float | None]]:
    """Return the money of the period's quarter-hours, priced from the recorded states.

    Read in full before the long-term statistics are streamed (one query at a time on the
    connection); empty when the states do not reach back to the period's start.
    """
    quarter_request = replace(request, resolution=Resolution.QUARTER_HOUR)
    try:
        rows = _rows_from_states(hass, session, quarter_request)
        return {
            row.start.timestamp(): quarter_money(row)
            for row in price_rows(rows, contract, Resolution.QUARTER_HOUR, spot)
            if row.end <= request.now
        }
    except StatesNotAvailableError:
        return {}


def _spot_timeline(
    hass: HomeAssistant, request: ExportRequest, contract: Contract, entity_id: str
) -> SpotTimeline:
    """Return the spot sensor's recorded values (EUR/MWh) over the period's contract slots."""
    timeline = SpotTimeline(keep_seconds=float("inf"))
    start = datetime.fromtimestamp(
        contract_slot_start(request.start.timestamp(), contract.resolution), UTC
    )
    end = min(request.end + timedelta(hours=1), request.now)
    if end <= start:
        return timeline
    recorded = history.state_changes_during_period(
        hass, start, end, entity_id, include_start_time_state=True
    ).get(entity_id.lower(), [])
    for state in recorded:
        value = spot_in_eur_per_mwh(state.state, state.attributes.get(ATTR_UNIT_OF_MEASUREMENT))
        timeline.record(state.last_updated.timestamp(), value)
    # What the sensor showed is known up to the end of the read (later moments are not).
    timeline.follow_until(end.timestamp())
    return timeline


def _with_month_peaks(
    rows: Iterator[Row], peaks: dict[date, tuple[float, datetime]], zone: tzinfo
) -> Iterator[Row]:
    """Give each month row its month's peak, when the ledger knows it."""
    for row in rows:
        if (peak := peaks.get(row.start.astimezone(zone).date().replace(day=1))) is not None:
            row.month_peak, row.month_peak_start = peak
        yield row


def _write(request: ExportRequest, rows: Iterator[Row]) -> ExportResult:
    totals = Totals()
    columns = columns_for(
        request.counters,
        request.resolution,
        balance=bool(request.balance_periods),
        month_peaks=request.month_peaks is not None,
        money=request.contract is not None,
        prices=request.contract is not None and shows_prices(request.resolution),
        spot=request.reads_spot and shows_prices(request.resolution),
    )
    request.path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=".lowi_ores-", suffix=request.path.suffix, dir=request.path.parent
    )
    os.close(handle)
    try:
        _write_file(Path(temporary), request, columns, rows, totals)
        Path(temporary).replace(request.path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return ExportResult(request.path, totals)


def _write_file(
    path: Path,
    request: ExportRequest,
    columns: Sequence[Column],
    rows: Iterable[Row],
    totals: Totals,
) -> None:
    balance = RunningBalance(request.balance_periods)

    def feed(writer: ExportWriter) -> None:
        for row in rows:
            row.running = row.end > request.now
            if request.balance_periods:
                row.balance = balance.next(row.start, row.end, row.start_net_index, row.net)
            writer.write(row)
            totals.add(row)

    def about() -> list[tuple[str, str]]:
        labels = request.labels
        return [
            *request.about,
            (labels["about_rows"], str(totals.rows)),
            (labels["about_rows_without_data"], str(totals.rows_without_data)),
        ]

    if request.file_format is FileFormat.XLSX:
        xlsx = XlsxWriter(path, columns, request.zone, request.labels)
        feed(xlsx)
        xlsx.close(about())
        return
    encoding = "utf-8-sig" if request.file_format is FileFormat.CSV_EXCEL else "utf-8"
    with path.open("w", encoding=encoding, newline="") as stream:
        writer: ExportWriter = (
            ExcelCsvWriter(stream, columns, request.zone, request.labels)
            if request.file_format is FileFormat.CSV_EXCEL
            else CsvWriter(stream, columns, request.zone)
        )
        feed(writer)
        writer.close(about())


def _rows_from_states(
    hass: HomeAssistant, session: Session, request: ExportRequest
) -> Iterator[Row]:
    """15-minute rows from the recorded states of the counters and the import power."""
    metadata = get_instance(hass).states_meta_manager.get_many(
        [source.entity_id for source in request.sources], session, False
    )
    by_id = {
        metadata_id: source
        for source in request.sources
        if (metadata_id := metadata.get(source.entity_id)) is not None
    }
    start_ts, end_ts = request.start.timestamp(), request.end.timestamp()
    electricity = [
        metadata_id for metadata_id, source in by_id.items() if source.key in ELECTRICITY_COUNTERS
    ]
    initial: dict[str, float | None] = {}
    import_times: list[float] = []
    export_times: list[float] = []
    for metadata_id, source in by_id.items():
        found = session.execute(
            select(States.state, States.last_updated_ts)
            .where(States.metadata_id == metadata_id, States.last_updated_ts <= start_ts)
            .order_by(States.last_updated_ts.desc())
            .limit(1)
        ).first()
        if found is not None and source.key in IMPORT_COUNTERS:
            import_times.append(found[1])
        if found is not None and source.key in EXPORT_COUNTERS:
            export_times.append(found[1])
        if found is None and metadata_id in electricity:
            earliest = session.execute(
                select(func.min(States.last_updated_ts)).where(States.metadata_id.in_(electricity))
            ).scalar()
            raise StatesNotAvailableError(earliest)
        initial[source.key] = _scaled(found[0] if found else None, source.factor)
    if not electricity:
        raise StatesNotAvailableError(None)

    def changes() -> Iterator[tuple[float, str, float | None]]:
        result = _stream(
            session,
            select(States.metadata_id, States.state, States.last_updated_ts)
            .where(
                States.metadata_id.in_(list(by_id)),
                States.last_updated_ts > start_ts,
                States.last_updated_ts <= end_ts + LOOKAHEAD,
            )
            .order_by(States.last_updated_ts),
        )
        keys = {metadata_id: (source.key, source.factor) for metadata_id, source in by_id.items()}
        # The hot loop of a 15-minute export (hundreds of thousands of states): inlined.
        for metadata_id, state, timestamp in result:
            key, factor = keys[metadata_id]
            try:
                number = float(state) * factor
            except TypeError, ValueError:  # None, "unavailable", "unknown"
                yield timestamp, key, None
            else:
                yield timestamp, key, number if isfinite(number) else None

    return rows_from_states(
        boundaries(request.start, request.end, request.resolution, request.zone),
        initial,
        changes(),
        request.counters,
        # The import total was last recorded when the later of its two counters changed.
        max(import_times) if len(import_times) == len(IMPORT_COUNTERS) else None,
        export_initial_time=max(export_times)
        if len(export_times) == len(EXPORT_COUNTERS)
        else None,
    )


def _rows_from_statistics(
    hass: HomeAssistant, session: Session, request: ExportRequest
) -> Iterator[Row]:
    """Hour, day and month rows from the hourly long-term statistics of the counters."""
    counters = {
        source.entity_id: source for source in request.sources if source.key != IMPORT_POWER
    }
    metadata = get_metadata_with_session(get_instance(hass), session, statistic_ids=set(counters))
    by_id = {
        metadata_id: (
            counters[statistic_id],
            unit_factor(counters[statistic_id], meta["unit_of_measurement"]),
        )
        for statistic_id, (metadata_id, meta) in metadata.items()
    }
    start_ts, end_ts = request.start.timestamp(), request.end.timestamp()
    first_hour = start_ts - start_ts % HOUR - HOUR
    last_hour = end_ts - end_ts % HOUR - HOUR

    def hours() -> Iterator[tuple[float, str, float | None, float | None]]:
        if not by_id:
            return
        result = _stream(
            session,
            select(Statistics.metadata_id, Statistics.start_ts, Statistics.state, Statistics.sum)
            .where(
                Statistics.metadata_id.in_(list(by_id)),
                Statistics.start_ts >= first_hour,
                Statistics.start_ts <= last_hour,
            )
            .order_by(Statistics.start_ts),
        )
        for metadata_id, hour_start, state, total in result:
            source, factor = by_id[metadata_id]
            yield (
                hour_start,
                source.key,
                None if state is None else state * factor,
                None if total is None else total * factor,
            )

    return rows_from_statistics(
        boundaries(request.start, request.end, request.resolution, request.zone),
        hours(),
        request.counters,
    )


def _stream(session: Session, statement: Select[Any]) -> Iterator[Sequence[Any]]:
    """Run a query as plain SQL (no ORM), fetching rows in batches on a server-side cursor."""
    result = (
        session.connection()
        .execution_options(stream_results=True, max_row_buffer=BATCH)
        .execute(statement)
    )
    for batch in result.partitions(BATCH):
        yield from batch


def _scaled(state: str | None, factor: float) -> float | None:
    value = parse_number(state)
    return None if value is None else value * factor
