"""Bounded logging of recurring problems, and the share of rejected messages per hour.

Pure Python, no Home Assistant import: the logger and the clock are passed in.

For each kind of problem (an invalid payload, a held-back counter value, an impossible power) a
``ProblemLog`` writes one warning when a series starts, then at most one summary warning per
``period`` while it goes on (how many more, by reason), and an info line once a whole ``period``
has gone by without that problem. Every single problem is also logged at debug level. Whatever
the mix of good and bad messages, that is at most a few warning lines an hour per kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
import logging
from typing import Any, Final

PERIOD: Final = 3600.0
FURTHER: Final = "; further ones are counted and summarised at most once an hour"


def describe_duration(seconds: float) -> str:
    """Return a rounded duration in words: '1 hour', '5 hours', '20 minutes'."""
    if seconds < 5400:
        minutes = max(round(seconds / 60), 1)
        return "1 hour" if minutes == 60 else f"{minutes} minute{'s' if minutes > 1 else ''}"
    return f"{round(seconds / 3600)} hours"


def _the_last(seconds: float) -> str:
    text = describe_duration(seconds)
    return "hour" if text == "1 hour" else text


def _for(seconds: float) -> str:
    text = describe_duration(seconds)
    return "an hour" if text == "1 hour" else text


def describe_reasons(reasons: Counter[str]) -> str:
    """Return 'reason (12); other (3)', most frequent first."""
    return "; ".join(f"{reason} ({count})" for reason, count in reasons.most_common())


@dataclass(slots=True)
class ProblemLog:
    """Counts one kind of problem and logs it without flooding the log."""

    logger: logging.Logger
    clock: Callable[[], float]
    # In the user's words, plural: "invalid messages on 3494546c709b/PUB/CH0".
    what: str
    period: float = PERIOD
    total: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    last_reason: str | None = None
    series: int = 0
    # Start of the current series (None when there is none), its last problem and last warning.
    since: float | None = None
    _last_problem: float = 0.0
    _last_warning: float = 0.0
    _unreported: Counter[str] = field(default_factory=Counter)
    _in_series: int = 0

    @property
    def ongoing(self) -> bool:
        """Return True while a series is going on."""
        return self.since is not None

    def report(self, reason: str, message: str, *args: Any, detail: str | None = None) -> None:
        """Count a problem; message (with args, as for a logger) describes this one."""
        now = self.clock()
        self._end_if_over(now)
        self.total += 1
        self.reasons[reason] += 1
        self.last_reason = detail or reason
        self._last_problem = now
        self._in_series += 1
        if self.since is None:
            self.since = self._last_warning = now
            self.series += 1
            self.logger.warning("%s%s", message % args, FURTHER)
            return
        self.logger.debug(message, *args)
        self._unreported[reason] += 1
        if now - self._last_warning >= self.period:
            self.logger.warning(
                "%d more %s in the last %s, reasons: %s",
                self._unreported.total(),
                self.what,
                _the_last(now - self._last_warning),
                describe_reasons(self._unreported),
            )
            self._unreported.clear()
            self._last_warning = now

    def clear(self) -> None:
        """Note a message without this problem: ends the series after a quiet period."""
        if self.since is not None:  # no clock needed for most messages: no series going on
            self._end_if_over(self.clock())

    def _end_if_over(self, now: float) -> None:
        if self.since is None or now - self._last_problem < self.period:
            return
        self.logger.info(
            "No more %s for %s: %d in this series%s",
            self.what,
            _for(now - self._last_problem),
            self._in_series,
            f"; since the last warning: {describe_reasons(self._unreported)}"
            if self._unreported
            else "",
        )
        self.since = None
        self._in_series = 0
        self._unreported.clear()

    def as_dict(self) -> dict[str, Any]:
        """Return the counts, for the diagnostics."""
        return {
            "total": self.total,
            "by_reason": dict(self.reasons),
            "last_reason": self.last_reason,
            "series_started": self.series,
            "ongoing": self.ongoing,
        }


@dataclass(slots=True)
class HourlyShare:
    """The share of rejected messages per period; calls on_change when it crosses the bounds.

    on_change(True, rejected, total) after a period in which more than half of the messages were
    rejected (again after each such period, with its figures); on_change(False, 0, total) after
    the first period without any rejected message that follows.
    """

    clock: Callable[[], float]
    on_change: Callable[[bool, int, int], None]
    period: float = PERIOD
    too_many: bool = False
    rejected: int = 0
    messages: int = 0
    # The figures of the last complete period.
    last_rejected: int = 0
    last_messages: int = 0
    _start: float | None = None

    def add(self, *, rejected: bool, now: float | None = None) -> None:
        """Count a message (received now, when the caller has read the clock already)."""
        if now is None:
            now = self.clock()
        if self._start is None:
            self._start = now
        elif now - self._start >= self.period:
            self._close()
            self._start = now
        self.messages += 1
        self.rejected += rejected

    def _close(self) -> None:
        rejected, messages = self.rejected, self.messages
        self.last_rejected, self.last_messages = rejected, messages
        self.rejected = self.messages = 0
        if rejected * 2 > messages:
            self.too_many = True
            self.on_change(True, rejected, messages)
        elif self.too_many and rejected == 0:
            self.too_many = False
            self.on_change(False, rejected, messages)


class RejectionLog:
    """Invalid payloads: their bounded log, their counts and the hourly share of them."""

    def __init__(
        self,
        logger: logging.Logger,
        clock: Callable[[], float],
        what: str,
        on_share_change: Callable[[bool, int, int], None],
    ) -> None:
        """Initialize; what names the messages, e.g. 'invalid messages on TOPIC'."""
        self.problems = ProblemLog(logger, clock, what)
        self.share = HourlyShare(clock, on_share_change)

    @property
    def total(self) -> int:
        """Return how many messages were rejected."""
        return self.problems.total

    @property
    def reasons(self) -> Counter[str]:
        """Return the rejections by kind of reason."""
        return self.problems.reasons

    @property
    def last_reason(self) -> str | None:
        """Return the full reason of the last rejection."""
        return self.problems.last_reason

    def record(self, topic: str, reason: str) -> None:
        """Count a rejected message and log it without flooding the log."""
        self.share.add(rejected=True)
        self.problems.report(
            reason.split(":", 1)[0],
            "Skipped an invalid message on %s: %s",
            topic,
            reason,
            detail=reason,
        )

    def valid_message(self, now: float | None = None) -> None:
        """Count a valid message (received now, when the caller has read the clock already)."""
        self.share.add(rejected=False, now=now)
        self.problems.clear()

    def as_dict(self) -> dict[str, Any]:
        """Return the counts, for the diagnostics."""
        return self.problems.as_dict() | {
            "last_hour": {
                "messages": self.share.last_messages,
                "rejected": self.share.last_rejected,
            },
            "this_hour": {"messages": self.share.messages, "rejected": self.share.rejected},
            "more_than_half_rejected": self.share.too_many,
        }
