"""The billing ledger: one per config entry, the Home Assistant side of ``billing/``.

``BillingLedger`` is created at setup only when the entry's ``region`` option is set (region
unset: no billing entity at all). It

* listens to the meter coordinator and hands each part the GUARDED counters
  (``MeterData.counters``, kWh): a value the counter guard holds back never arrives here, and
  a counter that goes down has been accepted by the guard as a new meter (a replacement);
* owns one ``Store`` (key ``lowi_ores.<entry_id>.billing``) holding one dict per part, so that
  nothing a bill needs lives only in entity states;
* calls every part at each local midnight (Europe/Brussels, whatever the clock change does);
* tells its entities when a part changed.

Adding a feature ("part")
-------------------------
Subclass ``LedgerPart`` in ``ledger/<feature>.py`` and add a factory to ``PART_FACTORIES``
(``ledger/parts.py``); list the part's sensor keys in ``LEDGER_SENSOR_KEYS`` there. A factory
takes the ledger and returns the part, or None when the entry's options do not ask for it. A part:

* ``key`` (class attribute): the name of its dict in the Store;
* ``restore(data)`` gets that dict back at start (None the first time, or anything malformed:
  check it), ``as_dict()`` returns it (JSON-serialisable); call ``self.ledger.async_changed()``
  after changing anything, which saves (delayed) and refreshes the entities;
* ``async_start()`` runs once after ``restore`` (recorder look-ups and the like);
* ``counters_updated(data)`` gets each valid message's ``MeterData`` (synchronous, event loop);
* ``midnight(now)`` runs at every local midnight, ``now`` being that midnight (aware);
* ``binary_sensor_descriptions()`` likewise returns ``LedgerBinarySensorEntityDescription``
  items (``is_on_fn``); ``available_fn``, on either kind, makes a live figure unavailable with
  the meter;
* ``sensor_descriptions()`` returns ``LedgerSensorEntityDescription`` items whose ``value_fn``,
  ``attributes_fn`` and ``last_reset_fn`` are closures over the part; they sit on the dongle's
  device with unique id ``<ident>_<key>``; give each a ``translation_key`` (its key) and its
  names in strings.json and translations/*.json;
* ``async_stop()`` runs at unload, before the Store is written a last time.

A part's options: constants in ``const.py``, flat in ``entry.options``, listed in
``BILLING_KEYS`` (so that "region not set" removes them); its region's form is that region's step
of the options flow (``LowiOptionsFlow.async_step_wallonia`` / ``_flanders`` / ``_brussels`` in
``config_flow.py``), with a translated error per field. Changing options reloads the entry, so a
part reads them once, in ``__init__``. A part that must change them itself (the yearly roll-over)
uses ``hass.config_entries.async_update_entry``: there is no update listener, so no reload loop.

Pure arithmetic goes in ``billing/`` (no Home Assistant import); ``billing.periods`` has the
local-midnight helpers (``local_midnight``, ``local_date``, ``ReadingPeriod``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
from typing import Any, ClassVar, Final

from homeassistant.components.binary_sensor import BinarySensorEntityDescription
from homeassistant.components.sensor import SensorEntityDescription
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.event import async_track_point_in_time
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from ..billing.periods import BRUSSELS, local_date, local_midnight
from ..const import CONF_REGION, DOMAIN
from ..coordinator import LowiConfigEntry, LowiCoordinator, MeterData

_LOGGER = logging.getLogger(__name__)

LEDGER_STORAGE_VERSION: Final = 1
# A message arrives every 10-60 s: at most one write of the ledger a minute.
LEDGER_SAVE_DELAY: Final = 60


def ledger_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the store of an entry's billing ledger."""
    return Store(hass, LEDGER_STORAGE_VERSION, f"{DOMAIN}.{entry_id}.billing")


@dataclass(frozen=True, kw_only=True)
class LedgerEntityDescription(EntityDescription):
    """What every entity of a ledger part has: closures over the part's state."""

    attributes_fn: Callable[[], Mapping[str, Any]] | None = None
    available_fn: Callable[[], bool] | None = None


@dataclass(frozen=True, kw_only=True)
class LedgerSensorEntityDescription(SensorEntityDescription, LedgerEntityDescription):
    """A sensor of a ledger part."""

    value_fn: Callable[[], StateType | datetime]
    last_reset_fn: Callable[[], datetime | None] | None = None


@dataclass(frozen=True, kw_only=True)
class LedgerBinarySensorEntityDescription(BinarySensorEntityDescription, LedgerEntityDescription):
    """A binary sensor of a ledger part."""

    is_on_fn: Callable[[], bool | None]


class LedgerPart:
    """One feature of the ledger (see the module's docstring)."""

    key: ClassVar[str]

    def __init__(self, ledger: BillingLedger) -> None:
        """Remember the ledger."""
        self.ledger = ledger

    def restore(self, data: Any) -> None:
        """Take back the part's stored dict (None or malformed when there is none)."""

    def as_dict(self) -> dict[str, Any]:
        """Return what must survive a restart."""
        return {}

    async def async_start(self) -> None:
        """Run once after restore."""

    async def async_stop(self) -> None:
        """Run at unload."""

    def counters_updated(self, data: MeterData) -> None:
        """Take the guarded counters of a valid message."""

    def midnight(self, now: datetime) -> None:
        """Run at local midnight."""

    def sensor_descriptions(self) -> tuple[LedgerSensorEntityDescription, ...]:
        """Return the part's sensors."""
        return ()

    def binary_sensor_descriptions(self) -> tuple[LedgerBinarySensorEntityDescription, ...]:
        """Return the part's binary sensors."""
        return ()


class BillingLedger:
    """Feeds the billing parts of one entry and keeps their state in a Store."""

    def __init__(self, hass: HomeAssistant, entry: LowiConfigEntry, coordinator: LowiCoordinator):
        """Initialize; the parts come from the entry's options."""
        self.hass = hass
        self.entry = entry
        self.coordinator = coordinator
        self.region: str = entry.options[CONF_REGION]
        self.tz = BRUSSELS
        self._store = ledger_store(hass, entry.entry_id)
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._cancel_midnight: CALLBACK_TYPE | None = None
        self._save_pending = False
        # While the parts take a message: None; a part's change is then told to the entities
        # once, after all of them (else once per part, for every message).
        self._changed_while_feeding: bool | None = None
        from .parts import PART_FACTORIES  # noqa: PLC0415 - the parts import this module

        self.parts: list[LedgerPart] = [
            part for factory in PART_FACTORIES if (part := factory(self)) is not None
        ]

    @property
    def options(self) -> Mapping[str, Any]:
        """Return the entry's options (the billing keys are flat in them)."""
        return self.entry.options

    async def async_start(self) -> None:
        """Restore the parts, then follow the meter and the clock."""
        stored = await self._store.async_load() or {}
        parts_data = stored.get("parts") if isinstance(stored, dict) else None
        for part in self.parts:
            part.restore(parts_data.get(part.key) if isinstance(parts_data, dict) else None)
        for part in self.parts:
            await part.async_start()
        self._unsubs.append(self.coordinator.async_add_listener(self._async_coordinator_update))
        self._schedule_midnight()
        if (data := self.coordinator.data) is not None:
            self._feed(data)

    async def async_stop(self) -> None:
        """Stop following and write the Store now."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        if self._cancel_midnight:
            self._cancel_midnight()
            self._cancel_midnight = None
        for part in self.parts:
            await part.async_stop()
        await self._store.async_save(self._stored_data())

    def _stored_data(self) -> dict[str, Any]:
        self._save_pending = False
        return {"parts": {part.key: part.as_dict() for part in self.parts}}

    def sensor_descriptions(self) -> list[LedgerSensorEntityDescription]:
        """Return the sensors of every part."""
        return [d for part in self.parts for d in part.sensor_descriptions()]

    def binary_sensor_descriptions(self) -> list[LedgerBinarySensorEntityDescription]:
        """Return the binary sensors of every part."""
        return [d for part in self.parts for d in part.binary_sensor_descriptions()]

    @callback
    def async_add_listener(self, update_callback: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call update_callback when a part changed; return a function that stops it."""
        self._listeners.append(update_callback)

        @callback
        def _remove() -> None:
            self._listeners.remove(update_callback)

        return _remove

    @callback
    def async_changed(self) -> None:
        """Save (delayed) and refresh the entities: a part changed."""
        # Rescheduling a delayed save with every message would postpone it for ever: one
        # pending save at a time, which writes the parts as they are when it runs.
        if not self._save_pending:
            self._save_pending = True
            self._store.async_delay_save(self._stored_data, LEDGER_SAVE_DELAY)
        if self._changed_while_feeding is not None:
            self._changed_while_feeding = True
            return
        self._update_entities()

    @callback
    def _update_entities(self) -> None:
        for update_callback in list(self._listeners):
            update_callback()

    @callback
    def _async_coordinator_update(self) -> None:
        data = self.coordinator.data
        if data is None or not self.coordinator.last_update_success:
            # Nothing to count; a live figure becomes unavailable with the meter.
            self._update_entities()
            return
        self._feed(data)

    @callback
    def _feed(self, data: MeterData) -> None:
        self._changed_while_feeding = False
        try:
            for part in self.parts:
                part.counters_updated(data)
        finally:
            changed, self._changed_while_feeding = self._changed_while_feeding, None
        if changed:
            self._update_entities()

    @callback
    def _schedule_midnight(self) -> None:
        now = dt_util.utcnow().astimezone(self.tz)
        next_midnight = local_midnight(local_date(now, self.tz) + timedelta(days=1), self.tz)
        self._cancel_midnight = async_track_point_in_time(
            self.hass, self._async_midnight, next_midnight
        )

    @callback
    def _async_midnight(self, now: datetime) -> None:
        midnight = local_midnight(local_date(now, self.tz), self.tz)
        _LOGGER.debug("Billing ledger of %s: local midnight %s", self.entry.title, midnight)
        for part in self.parts:
            part.midnight(midnight)
        self._schedule_midnight()
        self.async_changed()
