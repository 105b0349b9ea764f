"""The guarded meter counters of one dongle: their guards, counts, bounded log and issues.

Pure Python, no Home Assistant import: the logger, the clock and what to do about a repair
issue are passed in. Each counter's rule is in ``counter_guard``; this module offers each
message's values to the guards, counts and logs what they did, and decides when a counter that
stays behind its kept value deserves a repair issue (after a day) and when that is over.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
import logging
from typing import Any, Final

from .counter_guard import CounterGuard, Verdict
from .problem_log import ProblemLog

# A counter kept above the meter's value for this long raises a repair issue.
BEHIND_ISSUE_AFTER: Final = 86400.0

# on_behind(key, (kept, meter)) raises a counter's issue, in the sensors' units;
# on_behind(key, None) clears it.
type BehindCallback = Callable[[str, tuple[float, float] | None], None]


class GuardedCounters:
    """A dongle's counters, by key, with the units' divisors from the values as sent."""

    def __init__(
        self,
        guards: dict[str, CounterGuard],
        divisors: Mapping[str, float],
        *,
        logger: logging.Logger,
        clock: Callable[[], float],
        ident: str,
        on_behind: BehindCallback,
    ) -> None:
        """Initialize; nothing is logged or reported before the first message or start()."""
        self.guards = guards
        self.divisors = divisors
        self.held_back: Counter[str] = Counter()
        self.replacements: Counter[str] = Counter()
        self.held_back_log = ProblemLog(
            logger, clock, f"held-back counter values from LoWi3 {ident}"
        )
        self._logger = logger
        self._ident = ident
        self._on_behind = on_behind
        self._behind_reported: set[str] = set()
        # Counters no message has carried yet: not shown, whatever a restored guard holds (a
        # meter the dongle no longer reports shows nothing).
        self._unsent = set(guards)
        # What the sensors show: a new mapping when a value changes, else the same one.
        self._shown = self._shown_values()

    def restore(self, stored: Any, now: float) -> None:
        """Restore the guards from as_dict() output; report what they say about issues."""
        if isinstance(stored, dict):
            for key, guard in self.guards.items():
                guard.restore(stored.get(key))
        self._shown = self._shown_values()
        for key, guard in self.guards.items():
            # Issues are stored: start from what the restored guards say.
            self._on_behind(key, None)
            self._report_behind(key, guard, now)

    def as_dict(self) -> dict[str, Any]:
        """Return what must survive a restart."""
        return {key: guard.as_dict() for key, guard in self.guards.items()}

    @property
    def started(self) -> bool:
        """Return True once any counter has an accepted value."""
        return any(guard.value is not None for guard in self.guards.values())

    def value(self, key: str) -> float | None:
        """Return a counter's accepted value in the sensors' unit, None before the first one."""
        value = self.guards[key].value
        return None if value is None else round(value / self.divisors[key], 3)

    def _shown_values(self) -> Mapping[str, float | None]:
        return {key: None if key in self._unsent else self.value(key) for key in self.guards}

    def offer(self, values: Mapping[str, float | None], now: float) -> Mapping[str, float | None]:
        """Offer a message's values (as sent; None when the message has none) to the guards.

        Returns what the sensors show: each counter's accepted value in the sensors' unit, once
        a message has carried the counter (None before). The same mapping as for the previous
        message when nothing changed (most messages), else a new one.
        """
        held = False
        changed: list[str] = []
        guards, unsent = self.guards, self._unsent
        for key, raw in values.items():
            if raw is None:
                continue
            guard = guards[key]
            if key not in unsent and guard.accept_unmoved(raw, now):
                continue  # the usual case, a shown counter that has not moved: nothing to tell
            before, was_behind = guard.value, guard.behind_since is not None
            verdict = guard.update(raw, now)
            if verdict is not Verdict.ACCEPTED or was_behind:  # else nothing to log or report
                held |= self._report_verdict(
                    key, guard, verdict, previous=before, was_behind=was_behind, raw=raw, now=now
                )
            if key in unsent:
                unsent.discard(key)
                # Shown from now on: a change if it has a value (else it shows None still).
                if guard.value is not None:
                    changed.append(key)
            elif guard.value != before:
                changed.append(key)
        if changed:
            shown = dict(self._shown)
            for key in changed:
                shown[key] = self.value(key)
            self._shown = shown
        if not held:
            self.held_back_log.clear()
        return self._shown

    def _report_verdict(
        self,
        key: str,
        guard: CounterGuard,
        verdict: Verdict,
        *,
        previous: float | None,
        was_behind: bool,
        raw: float,
        now: float,
    ) -> bool:
        """Log and report what a guard did with a value; True when it held the value back."""
        if verdict is Verdict.HELD:
            self.held_back[key] += 1
            if previous is not None:
                self.held_back_log.report(
                    key,
                    "LoWi3 %s: the %s counter went from %s to %s; the value is held back "
                    "until it is confirmed",
                    self._ident,
                    key,
                    previous,
                    raw,
                )
        elif verdict is Verdict.REPLACED and previous is not None:
            self.replacements[key] += 1
            self._logger.warning(
                "LoWi3 %s: the %s counter moved from %s to %s and stayed there; accepted as a "
                "new meter level",
                self._ident,
                key,
                previous,
                raw,
            )
        elif verdict is Verdict.BEHIND and not was_behind:
            self._logger.warning(
                "LoWi3 %s: the %s counter stays at %s, below the last accepted %s but not low "
                "enough for a meter reset; %s is kept until the meter passes it again",
                self._ident,
                key,
                raw,
                previous,
                previous,
            )
        if was_behind and guard.behind_since is None:
            self._logger.info(
                "LoWi3 %s: the %s counter is counting again from %s", self._ident, key, raw
            )
        if was_behind or guard.behind_since is not None:
            self._report_behind(key, guard, now)
        return verdict is Verdict.HELD

    def _report_behind(self, key: str, guard: CounterGuard, now: float) -> None:
        """Raise a counter's issue once it has been behind for a day; clear it after."""
        due = guard.behind_since is not None and now - guard.behind_since >= BEHIND_ISSUE_AFTER
        if due == (key in self._behind_reported):
            return
        if not due or guard.value is None or guard.meter_value is None:
            self._behind_reported.discard(key)
            self._on_behind(key, None)
            return
        self._behind_reported.add(key)
        divisor = self.divisors[key]
        self._on_behind(
            key, (round(guard.value / divisor, 3), round(guard.meter_value / divisor, 3))
        )
