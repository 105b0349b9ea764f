"""Push coordinators: each message reaches only the entities whose value it changed.

A LoWi3 message repeats most of the previous one (the indexes move a watt-hour at a time, the
tariff twice a day). Calling every entity for every message, for each to find that it has
nothing new to show, costs more than the few state writes the message really needs. An entity
that shows one value of the coordinator's data therefore listens with a `ValueWatch` as its
context: the coordinator reads that value from its new data for each message and calls the
entity only when it differs from the last one it called it for, handing it the new value when
the watch has a `show` (the entity need not read it again). Other listeners (no watch) hear of
every message, and everyone hears of a change of availability through their update callback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, override

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

_UNSEEN: Final = object()


@dataclass(slots=True, eq=False)
class ValueWatch:
    """The value an entity shows: its listener is called when a message changes it."""

    # Reads the value from the coordinator's data (called for every message: keep it cheap).
    read: Callable[[Any], object]
    # Called with the new value instead of the listener's update callback, when given.
    show: Callable[[Any], None] | None = None
    last: object = field(default=_UNSEEN)


class PushCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """A coordinator fed by messages rather than polling."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Initialize as a DataUpdateCoordinator (without update_interval: nothing to poll)."""
        super().__init__(*args, **kwargs)
        # Every listener, in the order they came: (callback, its watch; None: every message).
        # A tuple, replaced when a listener comes or goes: a listener may do either while the
        # message is handed round, which then goes on over the listeners it started with.
        self._pushed_to: tuple[tuple[CALLBACK_TYPE, ValueWatch | None], ...] = ()

    @callback
    @override
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: Any = None
    ) -> Callable[[], None]:
        """Listen for messages (only those changing the watched value, with a ValueWatch)."""
        remove = super().async_add_listener(update_callback, context)
        listener = (update_callback, context if isinstance(context, ValueWatch) else None)
        self._pushed_to += (listener,)

        @callback
        def remove_listener() -> None:
            remove()
            self._pushed_to = tuple(other for other in self._pushed_to if other is not listener)

        return remove_listener

    @callback
    def async_push(self, data: DataT) -> None:
        """Take a message's data and tell the listeners it concerns.

        The first message after the coordinator was unavailable tells every listener: their
        availability changed. What async_set_updated_data does otherwise (cancelling refreshes
        that a push coordinator never schedules) is left out: this runs for every message.
        """
        self.data = data
        if not self.last_update_success:
            self.last_update_success = True
            self.async_update_listeners()
            return
        for update_callback, watch in self._pushed_to:
            try:
                if watch is not None:
                    if (value := watch.read(data)) == watch.last:
                        continue
                    watch.last = value
                    if watch.show is not None:
                        watch.show(value)
                        continue
                update_callback()
            except Exception:
                self.logger.exception(
                    "Unexpected error updating listener %s for %s", id(update_callback), self.name
                )

    @callback
    @override
    def async_update_listeners(self) -> None:
        """Tell every listener (their availability changed); each watch starts afresh."""
        for _, watch in self._pushed_to:
            if watch is not None:
                watch.last = _UNSEEN
        super().async_update_listeners()
