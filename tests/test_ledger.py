"""Tests of the billing ledger: parts, Store, coordinator listener, local midnight, entities."""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lowi_ores.const import CONF_CAPACITY_TARIFF, CONF_REGION, DOMAIN
from custom_components.lowi_ores.coordinator import MeterData
from custom_components.lowi_ores.ledger import (
    BillingLedger,
    LedgerPart,
    LedgerSensorEntityDescription,
)
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .conftest import IDENT, Dongle, make_payload

pytestmark = pytest.mark.usefixtures("mqtt_mock")
ENTITY = f"sensor.lowi3_{IDENT}_messages_counted"
STORE_KEY = "lowi_ores.{}.billing"


class CountingPart(LedgerPart):
    """A part that counts messages and midnights, and keeps them in the Store."""

    key = "counting"

    def __init__(self, ledger: BillingLedger) -> None:
        """Start at zero."""
        super().__init__(ledger)
        self.messages = 0
        self.midnights: list[datetime] = []
        self.started = False
        self.stopped = False

    def restore(self, data: Any) -> None:
        """Take the count back."""
        if isinstance(data, dict) and isinstance(data.get("messages"), int):
            self.messages = data["messages"]

    def as_dict(self) -> dict[str, Any]:
        """Store the count."""
        return {"messages": self.messages}

    async def async_start(self) -> None:
        """Remember the start."""
        self.started = True

    async def async_stop(self) -> None:
        """Remember the stop."""
        self.stopped = True

    def counters_updated(self, data: MeterData) -> None:
        """Count a message whose counters the guard let through."""
        if data.counters["import_day"] is None:
            return
        self.messages += 1
        self.ledger.async_changed()

    def midnight(self, now: datetime) -> None:
        """Remember the midnight."""
        self.midnights.append(now)

    def sensor_descriptions(self) -> tuple[LedgerSensorEntityDescription, ...]:
        """One sensor with an attribute and a last reset."""
        return (
            LedgerSensorEntityDescription(
                key="messages_counted",
                name="Messages counted",
                value_fn=lambda: self.messages,
                attributes_fn=lambda: {"midnights": len(self.midnights)},
                last_reset_fn=lambda: datetime.fromisoformat("2026-01-01T00:00:00+01:00"),
                state_class=SensorStateClass.TOTAL,
                device_class=SensorDeviceClass.ENERGY,
                native_unit_of_measurement="kWh",
            ),
            LedgerSensorEntityDescription(key="plain", name="Plain", value_fn=lambda: 1),
        )


@pytest.fixture
def counting_part() -> Generator[None]:
    """Make the ledger's only part the counting one."""
    with patch("custom_components.lowi_ores.ledger.parts.PART_FACTORIES", (CountingPart,)):
        yield


@pytest.fixture
def region_entry(mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """An entry with a region set (and no capacity tariff)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        options={CONF_REGION: "flanders", CONF_CAPACITY_TARIFF: False},
    )


def _part(entry: MockConfigEntry) -> CountingPart:
    ledger = entry.runtime_data.ledger
    assert ledger is not None
    part = ledger.parts[0]
    assert isinstance(part, CountingPart)
    return part


@pytest.mark.usefixtures("counting_part")
async def test_ledger_feeds_parts_and_keeps_them(
    hass: HomeAssistant,
    region_entry: MockConfigEntry,
    dongle: Dongle,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    entity_registry: er.EntityRegistry,
) -> None:
    """Guarded counters reach the part, its sensor follows, the Store survives a reload."""
    freezer.move_to("2026-11-29T22:00:00+00:00")
    region_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(region_entry.entry_id)
    await hass.async_block_till_done()
    part = _part(region_entry)
    assert part.started
    await dongle.send_confirmed(make_payload())
    # The first two copies are held back by the guard: only confirmed counters arrive.
    assert part.messages == 1
    state = hass.states.get(ENTITY)
    assert state is not None
    assert state.state == "1"
    assert state.attributes["last_reset"] == "2026-01-01T00:00:00+01:00"
    assert state.attributes["midnights"] == 0
    entry = entity_registry.async_get(ENTITY)
    assert entry is not None
    assert entry.unique_id == f"{IDENT}_messages_counted"
    plain = hass.states.get(f"sensor.lowi3_{IDENT}_plain")
    assert plain is not None
    assert "last_reset" not in plain.attributes

    # Written within a minute while messages keep coming, not only at unload.
    for _ in range(7):
        await dongle.send(make_payload())
    written = hass_storage[STORE_KEY.format(region_entry.entry_id)]["data"]
    assert 1 < written["parts"]["counting"]["messages"] <= part.messages

    # Midnight in Brussels is 23:00 UTC in winter.
    await dongle.wait(3600)
    assert [m.isoformat() for m in part.midnights] == ["2026-11-30T00:00:00+01:00"]
    assert hass.states.get(ENTITY).attributes["midnights"] == 1  # type: ignore[union-attr]
    await dongle.wait(86400)
    assert len(part.midnights) == 2

    assert await hass.config_entries.async_unload(region_entry.entry_id)
    assert part.stopped
    stored = hass_storage[STORE_KEY.format(region_entry.entry_id)]["data"]
    assert stored == {"parts": {"counting": {"messages": part.messages}}}
    assert await hass.config_entries.async_setup(region_entry.entry_id)
    await hass.async_block_till_done()
    assert _part(region_entry).messages == part.messages
    assert hass.states.get(ENTITY).state == str(part.messages)  # type: ignore[union-attr]

    # Removing the entry forgets the ledger's Store.
    assert await hass.config_entries.async_remove(region_entry.entry_id)
    await hass.async_block_till_done()
    assert STORE_KEY.format(region_entry.entry_id) not in hass_storage


class SecondCountingPart(CountingPart):
    """A second part that changes with every message, as the parts of a real ledger do."""

    key = "counting_too"

    def sensor_descriptions(self) -> tuple[LedgerSensorEntityDescription, ...]:
        """No sensors of its own."""
        return ()


async def test_entities_are_refreshed_once_per_message(
    hass: HomeAssistant, region_entry: MockConfigEntry, dongle: Dongle
) -> None:
    """Two parts change with a message: the ledger's entities hear of it once, not twice."""
    with patch(
        "custom_components.lowi_ores.ledger.parts.PART_FACTORIES",
        (CountingPart, SecondCountingPart),
    ):
        region_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(region_entry.entry_id)
        await hass.async_block_till_done()
    ledger = region_entry.runtime_data.ledger
    assert ledger is not None
    await dongle.send_confirmed(make_payload())
    refreshed: list[None] = []
    ledger.async_add_listener(lambda: refreshed.append(None))
    await dongle.send(make_payload())
    assert [part.messages for part in ledger.parts] == [2, 2]  # type: ignore[attr-defined]
    assert len(refreshed) == 1
    assert hass.states.get(ENTITY).state == "2"  # type: ignore[union-attr]


@pytest.mark.usefixtures("counting_part")
async def test_ledger_starts_from_the_last_message_and_ignores_junk(
    hass: HomeAssistant,
    region_entry: MockConfigEntry,
    dongle: Dongle,
    hass_storage: dict[str, Any],
) -> None:
    """A malformed Store is ignored; an unavailable dongle feeds nothing."""
    hass_storage[STORE_KEY.format(region_entry.entry_id)] = {
        "version": 1,
        "key": STORE_KEY.format(region_entry.entry_id),
        "data": {"parts": ["junk"]},
    }
    region_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(region_entry.entry_id)
    await hass.async_block_till_done()
    part = _part(region_entry)
    assert part.messages == 0
    await dongle.send_confirmed(make_payload())
    await dongle.wait(300)  # silent: unavailable, nothing fed
    assert part.messages == 1


async def test_no_region_no_ledger(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Region not set: no ledger, no billing entity."""
    assert init_integration.runtime_data.ledger is None
    assert not [s for s in hass.states.async_entity_ids() if "net_metering" in s]


async def test_region_without_parts(hass: HomeAssistant, region_entry: MockConfigEntry) -> None:
    """A region whose parts are not asked for: a ledger with no entity."""
    region_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(region_entry.entry_id)
    await hass.async_block_till_done()
    ledger = region_entry.runtime_data.ledger
    assert ledger is not None
    assert ledger.parts == []
    assert ledger.sensor_descriptions() == []
