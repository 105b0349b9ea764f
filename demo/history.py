"""Back-fill: the simulated household's past days as Home Assistant long-term statistics.

Home Assistant compiles statistics every 5 minutes and the Energy dashboard shows them by the
hour, so a fresh demo would show an empty Energy dashboard for a long while. Instead the
simulator is run over the past days first (fast, no broker) and its meter readings become the
statistics of the LoWi3 sensors, exactly as Home Assistant would have compiled them: hourly rows
for the past days, 5-minute rows for the last day. The live simulator then starts with the
indexes the back-fill ended with, so the statistics carry on without a step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any, Final

from custom_components.lowi_ores.billing.capacity import PeakHistory
from custom_components.lowi_ores.billing.quarters import QuarterAccumulator
from simulator import Simulation, SimulationConfig

FIVE_MINUTES: Final = timedelta(minutes=5)
SAMPLE: Final = timedelta(minutes=1)

type Fields = dict[str, str]


def _wh(*keys: str) -> Callable[[Fields], float]:
    return lambda fields: sum(int(fields[key]) for key in keys) / 1000


# Sensor key -> (unit, unit class, value from a message's fields) for the summed statistics ...
SUMS: Final[dict[str, tuple[str, str, Callable[[Fields], float]]]] = {
    "import_index_day": ("kWh", "energy", _wh("CIH")),
    "import_index_night": ("kWh", "energy", _wh("CIL")),
    "export_index_day": ("kWh", "energy", _wh("CEH")),
    "export_index_night": ("kWh", "energy", _wh("CEL")),
    "import_index_total": ("kWh", "energy", _wh("CIH", "CIL")),
    "export_index_total": ("kWh", "energy", _wh("CEH", "CEL")),
    "net_index": ("kWh", "energy", lambda f: _wh("CIH", "CIL")(f) - _wh("CEH", "CEL")(f)),
    "gas_index": ("m³", "volume", _wh("CG")),
    "water_index": ("m³", "volume", _wh("CW")),
}
# ... and for the averaged ones (power, W).
MEANS: Final[dict[str, Callable[[Fields], float]]] = {
    "power_imported": lambda f: float(f["PI"]),
    "power_exported": lambda f: float(f["PE"]),
    "net_power": lambda f: float(f["PI"]) - float(f["PE"]),
}


@dataclass(frozen=True, slots=True)
class Backfill:
    """The statistics of the past days, and the meter's state at their end."""

    end: datetime
    final_fields: Fields
    statistics: list[dict[str, Any]]
    # The capacity tariff's month peaks of the past days, as the ledger's Store keeps them.
    capacity: dict[str, Any]
    ev_w: int = 0

    def simulator_arguments(self) -> list[str]:
        """Return the simulator's options that make it start with the final indexes."""
        fields = self.final_fields
        options = {
            "--import-day": fields["CIH"],
            "--import-night": fields["CIL"],
            "--export-day": fields["CEH"],
            "--export-night": fields["CEL"],
            "--gas-index": fields["CG"],
            "--water-index": fields["CW"],
        }
        arguments: list[str] = []
        for option, value in options.items():
            arguments += [option, f"{int(value) / 1000:.3f}"]
        if self.ev_w:
            arguments += ["--ev", str(self.ev_w)]
        return arguments


def _floor(moment: datetime, step: timedelta) -> datetime:
    seconds = step.total_seconds()
    return datetime.fromtimestamp(moment.timestamp() // seconds * seconds, UTC)


def first_midnight(end: datetime, days: int, zone: tzinfo) -> datetime:
    """Return the local midnight (in `zone`) that starts the day `days` days before `end`'s."""
    first_day = end.astimezone(zone).date() - timedelta(days=days)
    return datetime.combine(first_day, time(0), tzinfo=zone).astimezone(UTC)


def backfill(
    entity_id: Callable[[str], str],
    seed: int,
    days: int,
    zone: tzinfo,
    *,
    now: datetime | None = None,
    ev_w: int = 0,
) -> Backfill:
    """Simulate from local midnight `days` days ago to `now` (5-minute boundary) into statistics.

    The history starts at the beginning of a day in `zone` (Home Assistant's time zone), so that
    its first day is whole in the Energy dashboard. `entity_id` turns a sensor key into its
    entity id, which is the statistic id. `ev_w`: the household's car charger (0: no car).
    """
    end = _floor(now or datetime.now(UTC), FIVE_MINUTES)
    start = first_midnight(end, days, zone)
    simulation = Simulation(
        SimulationConfig(
            seed=seed, start=start, interval=SAMPLE.total_seconds(), substep=30, ev_w=ev_w
        )
    )
    first = _fields(simulation)
    # The quarter-hours of the import total, minute by minute, as the integration counts them.
    quarters = QuarterAccumulator()
    peaks = PeakHistory()
    quarters.add(start.timestamp(), _wh("CIH", "CIL")(first))
    # One row per 5-minute period: the readings at its end, the power sampled every minute.
    periods: list[tuple[datetime, Fields, list[Fields]]] = []
    moment = start
    while moment < end:
        samples = [_fields(simulation) for _ in range(int(FIVE_MINUTES / SAMPLE))]
        for number, sample in enumerate(samples, start=1):
            at = (moment + number * SAMPLE).timestamp()
            for quarter in quarters.add(at, _wh("CIH", "CIL")(sample)):
                peaks.add(quarter)
        periods.append((moment, samples[-1], samples))
        moment += FIVE_MINUTES

    statistics: list[dict[str, Any]] = []
    for key, (unit, unit_class, value) in SUMS.items():
        rows = [
            {"start": period, "state": value(last), "sum": value(last) - value(first)}
            for period, last, _ in periods
        ]
        statistics.append(
            _statistic(entity_id(key), unit, unit_class, has_sum=True, rows=rows, end=end)
        )
    for key, value in MEANS.items():
        rows = []
        for period, _, samples in periods:
            values = [value(sample) for sample in samples]
            rows.append(
                {
                    "start": period,
                    "mean": sum(values) / len(values),
                    "min": min(values),
                    "max": max(values),
                }
            )
        statistics.append(
            _statistic(entity_id(key), "W", "power", has_sum=False, rows=rows, end=end)
        )
    return Backfill(
        end=end,
        final_fields=periods[-1][1] if periods else first,
        statistics=statistics,
        capacity={"peaks": peaks.as_dict()},
        ev_w=ev_w,
    )


def _fields(simulation: Simulation) -> Fields:
    message = simulation.step()
    if message is None or message.fields is None:  # no faults are configured
        raise RuntimeError("the back-fill simulation skipped a message")
    return message.fields


def _statistic(
    statistic_id: str,
    unit: str,
    unit_class: str,
    *,
    has_sum: bool,
    rows: list[dict[str, Any]],
    end: datetime,
) -> dict[str, Any]:
    """Return a statistic's metadata, its hourly rows and its last day of 5-minute rows."""
    hourly: list[dict[str, Any]] = []
    for index in range(0, len(rows) - len(rows) % 12, 12):
        hour = rows[index : index + 12]
        if has_sum:
            hourly.append(
                {"start": hour[0]["start"], "state": hour[-1]["state"], "sum": hour[-1]["sum"]}
            )
        else:
            hourly.append(
                {
                    "start": hour[0]["start"],
                    "mean": sum(row["mean"] for row in hour) / 12,
                    "min": min(row["min"] for row in hour),
                    "max": max(row["max"] for row in hour),
                }
            )
    recent = [row for row in rows if row["start"] >= end - timedelta(days=1)]
    return {
        "metadata": {
            "statistic_id": statistic_id,
            "source": "recorder",
            "name": None,
            "unit_of_measurement": unit,
            "unit_class": unit_class,
            "has_sum": has_sum,
            "mean_type": 0 if has_sum else 1,
        },
        "hourly": [_serializable(row) for row in hourly],
        "short_term": [_serializable(row) for row in recent],
    }


def _serializable(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if key == "start" else value for key, value in row.items()}
