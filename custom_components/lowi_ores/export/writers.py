"""Write export rows as CSV, Belgian-Excel CSV or XLSX, streaming: one row in memory at a time.

Pure: no Home Assistant import. Blocking file I/O: run it in an executor.
"""

from __future__ import annotations

from collections.abc import Sequence
import csv
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import IO, Protocol

import xlsxwriter

from .intervals import Resolution
from .rows import ELECTRICITY_COUNTERS, Counter, Row, channel_key

# Net metering on: the balance since the reading date at each row's end.
BALANCE_COLUMN = "net_metering_balance"
# Gas and water are exported as what was used during the interval, not as indexes.
USED_COLUMNS = {Counter.GAS: "gas_used", Counter.WATER: "water_used"}


class FileFormat(StrEnum):
    """The export's file formats."""

    CSV = "csv"
    # Separator ";" and decimal comma: what Excel in a Belgian locale opens directly.
    CSV_EXCEL = "csv_semicolon"
    XLSX = "xlsx"

    @property
    def suffix(self) -> str:
        """The file name's extension."""
        return ".xlsx" if self is FileFormat.XLSX else ".csv"


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its machine key, label key, unit and number of decimals."""

    key: str
    unit: str | None = None
    decimals: int = 3
    # For a channel's columns: its number, put into the label and the key.
    channel: int | None = None
    time: bool = False  # a moment, not a number

    def machine_name(self) -> str:
        """Return the CSV header: stable, English, with the unit."""
        key = self.key if self.channel is None else f"ch{self.channel}_{self.key.split('_')[1]}"
        if self.unit is None:
            return key
        unit = {
            "kWh": "kwh",
            "m³": "m3",
            "W": "w",
            "kW": "kw",
            "EUR/MWh": "eur_per_mwh",
            "EUR/kWh": "eur_per_kwh",
            "EUR": "eur",
        }[self.unit]
        return f"{key}_{unit}"

    def label(self, labels: dict[str, str]) -> str:
        """Return the header a person reads: translated, with the unit."""
        text = labels[self.key]
        if self.channel is not None:
            text = text.format(number=self.channel)
        return f"{text} ({self.unit})" if self.unit else text


def columns_for(
    counters: Sequence[str],
    resolution: Resolution,
    *,
    balance: bool = False,
    month_peaks: bool = False,
    money: bool = False,
    prices: bool = False,
    spot: bool = False,
) -> list[Column]:
    """Return the value columns (after the time and data columns) of an export.

    balance: the net-metering balance column; month_peaks: month rows get the capacity
    tariff's month peak and its time; money: import cost and export revenue; prices: buy and
    sell prices; spot: the spot price.
    """
    columns = [Column(counter.value, "kWh") for counter in ELECTRICITY_COUNTERS]
    columns += [Column("imported", "kWh"), Column("exported", "kWh"), Column("net", "kWh")]
    if balance:
        columns.append(Column(BALANCE_COLUMN, "kWh"))
    columns += [
        Column(USED_COLUMNS[counter], "m³")
        for counter in (Counter.GAS, Counter.WATER)
        if counter in counters
    ]
    for number in range(1, 15):
        if channel_key(number) in counters:
            columns += [
                Column("channel_index", "kWh", channel=number),
                Column("channel_used", "kWh", channel=number),
            ]
    if resolution is Resolution.QUARTER_HOUR:
        columns += [
            Column("average_import_power", "W", 0),
            Column("peak_import_power", "W", 0),
            # The capacity tariff's figure: the quarter's imported energy x 4, and a flag.
            Column("quarter_average_import_power", "kW", 3),
            Column("quarter_estimated", None, 0),
        ]
    if resolution is Resolution.MONTH and month_peaks:
        columns += [Column("month_peak_power", "kW", 3), Column("month_peak_start", time=True)]
    if spot:
        columns.append(Column("spot_price", "EUR/MWh", 2))
    if prices:
        columns += [Column("buy_price", "EUR/kWh", 5), Column("sell_price", "EUR/kWh", 5)]
    if money:
        columns += [Column("import_cost", "EUR", 5), Column("export_revenue", "EUR", 5)]
    return columns


def row_values(row: Row, columns: Sequence[Column]) -> list[float | datetime | None]:
    """Return a row's values for the value columns, rounded, None where not known."""
    values: list[float | datetime | None] = []
    for column in columns:
        if column.time:
            values.append(row.month_peak_start)
            continue
        match column.key:
            case "imported":
                value = row.imported
            case "exported":
                value = row.exported
            case "net":
                value = row.net
            case "average_import_power":
                value = row.average_import_power
            case "peak_import_power":
                value = row.peak_import_power
            case "quarter_average_import_power":
                value = row.quarter_power
            case "quarter_estimated":
                value = None if row.quarter_estimated is None else float(row.quarter_estimated)
            case "month_peak_power":
                value = row.month_peak
            case "net_metering_balance":
                value = row.balance
            case "spot_price":
                value = row.spot_price
            case "buy_price":
                value = row.buy_price
            case "sell_price":
                value = row.sell_price
            case "import_cost":
                value = row.import_cost
            case "export_revenue":
                value = row.export_revenue
            case "gas_used":
                value = row.usage.get(Counter.GAS)
            case "water_used":
                value = row.usage.get(Counter.WATER)
            case "channel_index" if column.channel is not None:
                value = row.indexes.get(channel_key(column.channel))
            case "channel_used" if column.channel is not None:
                value = row.usage.get(channel_key(column.channel))
            case key:
                value = row.indexes.get(key)
        # + 0.0 turns a rounded -0.0 into 0.0.
        values.append(None if value is None else round(value, column.decimals) + 0.0)
    return values


def status(row: Row) -> str:
    """Return the row's data status: a label key, and the plain CSV's value."""
    if not row.has_data:
        return "missing"
    return "in_progress" if row.running else "complete"


class ExportWriter(Protocol):
    """Something rows are written to, then closed with a description of the export."""

    def write(self, row: Row) -> None:
        """Write one row."""

    def close(self, about: Sequence[tuple[str, str]]) -> None:
        """Finish the file."""


def _offset(moment: datetime) -> str:
    offset = moment.strftime("%z")
    return f"{offset[:3]}:{offset[3:]}"


class CsvWriter:
    """Plain CSV: comma, decimal point, ISO 8601 times, stable English headers."""

    def __init__(self, stream: IO[str], columns: Sequence[Column], zone: tzinfo) -> None:
        """Write the header."""
        self._columns = columns
        self._zone = zone
        self._csv = csv.writer(stream, lineterminator="\n")
        self._csv.writerow(
            ["start_local", "start_utc", "data", *(c.machine_name() for c in columns)]
        )

    def write(self, row: Row) -> None:
        """Write one row."""
        self._csv.writerow(
            [
                row.start.astimezone(self._zone).isoformat(),
                row.start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                status(row),
                *(self._text(v) for v in row_values(row, self._columns)),
            ]
        )

    def _text(self, value: float | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.astimezone(self._zone).isoformat()
        return repr(value)

    def close(self, about: Sequence[tuple[str, str]]) -> None:
        """Nothing to add: the stream's owner closes it."""


class ExcelCsvWriter:
    """CSV for Excel in Belgium: ";", decimal comma, translated headers, a BOM for UTF-8."""

    def __init__(
        self, stream: IO[str], columns: Sequence[Column], zone: tzinfo, labels: dict[str, str]
    ) -> None:
        """Write the header (the stream is opened with encoding utf-8-sig)."""
        self._columns = columns
        self._zone = zone
        self._labels = labels
        self._csv = csv.writer(stream, delimiter=";", lineterminator="\r\n")
        self._csv.writerow(
            [
                labels["start_local"],
                labels["utc_offset"],
                labels["start_utc"],
                labels["data"],
                *(c.label(labels) for c in columns),
            ]
        )

    def write(self, row: Row) -> None:
        """Write one row."""
        local = row.start.astimezone(self._zone)
        values = row_values(row, self._columns)
        self._csv.writerow(
            [
                local.strftime("%Y-%m-%d %H:%M:%S"),
                _offset(local),
                row.start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                self._labels[status(row)],
                *(
                    _excel_text(value, column, self._zone)
                    for value, column in zip(values, self._columns, strict=True)
                ),
            ]
        )

    def close(self, about: Sequence[tuple[str, str]]) -> None:
        """Nothing to add: the stream's owner closes it."""


def _excel_text(value: float | datetime | None, column: Column, zone: tzinfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    return f"{value:.{column.decimals}f}".replace(".", ",")


class XlsxWriter:
    """Excel workbook: numbers as numbers, Excel date-times, a frozen header, an "About" sheet.

    XlsxWriter's constant memory mode flushes each row to disk as it is written.
    """

    def __init__(
        self, path: Path, columns: Sequence[Column], zone: tzinfo, labels: dict[str, str]
    ) -> None:
        """Create the workbook and write the header."""
        self._columns = columns
        self._zone = zone
        self._labels = labels
        self._book = xlsxwriter.Workbook(
            str(path), {"constant_memory": True, "remove_timezone": True}
        )
        self._sheet = self._book.add_worksheet(labels["sheet_data"])
        header = self._book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self._date = self._book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self._numbers = {
            decimals: self._book.add_format(
                {"num_format": "0." + "0" * decimals if decimals else "0"}
            )
            for decimals in {column.decimals for column in columns}
        }
        titles = [
            labels["start_local"],
            labels["utc_offset"],
            labels["start_utc"],
            labels["data"],
            *(c.label(labels) for c in columns),
        ]
        self._sheet.freeze_panes(1, 0)
        self._sheet.set_column(0, 0, 17)
        self._sheet.set_column(2, 2, 17)
        self._sheet.set_column(4, 3 + len(columns), 14)
        self._sheet.set_row(0, 45)
        for index, title in enumerate(titles):
            self._sheet.write_string(0, index, title, header)
        self._next_row = 1

    def write(self, row: Row) -> None:
        """Write one row."""
        sheet, line = self._sheet, self._next_row
        local = row.start.astimezone(self._zone)
        sheet.write_datetime(line, 0, local.replace(tzinfo=None), self._date)
        sheet.write_string(line, 1, _offset(local))
        sheet.write_datetime(line, 2, row.start.astimezone(UTC).replace(tzinfo=None), self._date)
        sheet.write_string(line, 3, self._labels[status(row)])
        for index, (value, column) in enumerate(
            zip(row_values(row, self._columns), self._columns, strict=True), start=4
        ):
            if isinstance(value, datetime):
                local = value.astimezone(self._zone).replace(tzinfo=None)
                sheet.write_datetime(line, index, local, self._date)
            elif value is not None:
                sheet.write_number(line, index, value, self._numbers[column.decimals])
        self._next_row += 1

    def close(self, about: Sequence[tuple[str, str]]) -> None:
        """Write the "About" sheet and the file."""
        sheet = self._book.add_worksheet(self._labels["sheet_about"])
        bold = self._book.add_format({"bold": True})
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, 1, 60)
        for line, (name, value) in enumerate(about):
            sheet.write_string(line, 0, name, bold)
            sheet.write_string(line, 1, value)
        self._book.close()
