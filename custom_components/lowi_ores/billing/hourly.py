"""The money of each clock hour, as the costs ledger settled its quarter-hour slots.

Pure Python, no Home Assistant import. Band and dynamic contracts price quarter-hour slots; the
recorder keeps the states those slots were measured from for a few days only (its
``purge_keep_days``), so the ledger hands each finished hour's import cost and export revenue to
the recorder's long-term statistics, which are kept for good. An export's hour, day and month
rows then read their money from there, exactly as the ledger counted it.

An hour is *finished* when every quarter-hour of it that will ever be closed is closed (the
meter's indexes have moved past the hour's end) and none of them waits for a price any more: each
is priced, or was given up on 24 hours after its end (it is then left out, and the repair issue
lists it). Hours are handed out in time order, each with the running sums (the statistics'
``sum``), so an hour waiting for a price holds back the hours after it. An hour none of whose
slots was priced (nothing was measured, or every price was given up on) is not handed out:
nothing is known of it.

Belgian offsets from UTC are whole hours, so a local clock hour is a multiple of 3600 seconds of
Unix time, on the days the clock changes too (23 and 25 hours).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
import math
from typing import Any, Final

from .prices import finite_number

HOUR_SECONDS: Final = 3600


def hour_floor(timestamp: float) -> float:
    """Return the start (Unix seconds) of the clock hour that holds a moment."""
    return timestamp - timestamp % HOUR_SECONDS


@dataclass(frozen=True, slots=True)
class HourMoney:
    """One finished hour: its money (EUR) and the running sums up to its end."""

    start: float  # Unix seconds, a whole hour
    import_cost: float
    export_revenue: float
    import_sum: float
    export_sum: float


@dataclass(frozen=True, slots=True)
class Recorded:
    """The last hour the recorder holds for one of the two statistics, and its sum there."""

    start: float  # Unix seconds
    total: float  # EUR


@dataclass(slots=True)
class HourlyMoney:
    """The money of the slots priced so far, by clock hour, until the hour is handed out."""

    # Hour start -> [import cost, export revenue] of the hour's slots priced so far.
    open: dict[float, list[float]] = field(default_factory=dict)
    # The end of the last hour handed out: slots before it are already in the statistics.
    written_until: float | None = None
    import_sum: float = 0.0  # EUR, up to written_until
    export_sum: float = 0.0

    def add(self, slot_start: float, cost: float, revenue: float) -> bool:
        """Take a priced slot's money; False when its hour was handed out already."""
        hour = hour_floor(slot_start)
        if self.written_until is not None and hour < self.written_until:
            return False
        money = self.open.setdefault(hour, [0.0, 0.0])
        money[0] += cost
        money[1] += revenue
        return True

    def finished(self, closed_until: float | None, waiting: Iterable[float]) -> list[HourMoney]:
        """Hand out the finished hours, oldest first, with the running sums.

        closed_until: every quarter-hour before this moment is closed (None: nothing is);
        waiting: the starts of the slots still waiting for a price.
        """
        if closed_until is None:
            return []
        first_waiting = min((hour_floor(start) for start in waiting), default=math.inf)
        done: list[HourMoney] = []
        for hour in sorted(self.open):
            if hour + HOUR_SECONDS > closed_until or hour >= first_waiting:
                break
            cost, revenue = self.open.pop(hour)
            self.import_sum += cost
            self.export_sum += revenue
            self.written_until = hour + HOUR_SECONDS
            done.append(HourMoney(hour, cost, revenue, self.import_sum, self.export_sum))
        return done

    def resume(self, imports: Recorded | None, exports: Recorded | None) -> None:
        """Carry on from what the recorder holds, when it reaches at least as far as we do.

        The recorder is behind only while hours handed out are still in its queue (a reload),
        or when it lost them (a crash before its commit, a new database): then our own sums
        hold. Ahead or level (our stored state is older than its last write): its sums are
        the truth, and the hours it holds are not handed out again.
        """
        recorded = [item for item in (imports, exports) if item is not None]
        if not recorded:
            return
        end = max(item.start for item in recorded) + HOUR_SECONDS
        if self.written_until is not None and end < self.written_until:
            return
        self.written_until = end
        if imports is not None:
            self.import_sum = imports.total
        if exports is not None:
            self.export_sum = exports.total
        self.open = {hour: money for hour, money in self.open.items() if hour >= end}

    def as_dict(self) -> dict[str, Any]:
        """Return what must survive a restart."""
        return {
            "open": [[hour, money[0], money[1]] for hour, money in sorted(self.open.items())],
            "written_until": self.written_until,
            "import_sum": self.import_sum,
            "export_sum": self.export_sum,
        }

    def restore(self, data: Any) -> None:
        """Take back :meth:`as_dict` output; anything malformed is dropped."""
        if not isinstance(data, dict):
            return
        self.open = {}
        stored = data.get("open")
        for item in stored if isinstance(stored, list) else []:
            if not (isinstance(item, list) and len(item) == 3):
                continue
            hour, cost, revenue = (finite_number(value) for value in item)
            if hour is not None and cost is not None and revenue is not None:
                self.open[hour_floor(hour)] = [cost, revenue]
        self.written_until = finite_number(data.get("written_until"))
        self.import_sum = finite_number(data.get("import_sum")) or 0.0
        self.export_sum = finite_number(data.get("export_sum")) or 0.0
        if self.written_until is not None:
            self.open = {h: m for h, m in self.open.items() if h >= self.written_until}
