"""The LoWi3 P1 dongle (ORES, RESA, Fluvius, Sibelga meters) over Home Assistant's MQTT."""

from __future__ import annotations

import re

from homeassistant.components import mqtt
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.typing import ConfigType

from .channel_state import CHANNEL_KEYS
from .channels import channel_identifier
from .const import CONF_IDENT, CONF_REGION, DOMAIN
from .coordinator import COUNTER_SOURCES, LowiConfigEntry, LowiCoordinator, guard_store
from .data import LowiData
from .discovery import async_forget
from .entity import device_info
from .export.action import async_setup_export
from .ledger import BillingLedger, ledger_store
from .ledger.parts import LEDGER_ENTITY_KEYS, async_clear_ledger_issues
from .repairs import async_clear_entry_issues
from .sensor import SENSOR_KEYS

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR, Platform.SWITCH]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
# "<ident>_ch<n>" and "<ident>_ch<n>_<key>": a channel's device identifier and entity unique ids.
_CHANNEL_DEVICE = re.compile(r"_ch(?P<number>[1-9]|1[0-4])$")
_CHANNEL_ENTITY = re.compile(
    rf"_ch(?P<number>[1-9]|1[0-4])_(?P<key>{'|'.join(map(re.escape, CHANNEL_KEYS))})$"
)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions."""
    async_setup_export(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: LowiConfigEntry) -> bool:
    """Set up a LoWi3 from a config entry."""
    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="mqtt_not_available")
    await _async_follow_ident(hass, entry)
    coordinator = LowiCoordinator(hass, entry)
    await coordinator.async_start()
    entry.runtime_data = LowiData(coordinator)
    if entry.options.get(CONF_REGION):
        ledger = BillingLedger(hass, entry, coordinator)
        await ledger.async_start()
        entry.runtime_data.ledger = ledger
    _remove_dropped_billing_entities(hass, entry)
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **device_info(coordinator.ident, entry.title)
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


@callback
def _remove_dropped_billing_entities(hass: HomeAssistant, entry: LowiConfigEntry) -> None:
    """Remove the billing entities the options no longer ask for (a region or a tariff off).

    They would otherwise stay in the registry as unavailable entities nothing provides.
    """
    ledger = entry.runtime_data.ledger
    provided = (
        set()
        if ledger is None
        else {d.key for d in ledger.sensor_descriptions()}
        | {d.key for d in ledger.binary_sensor_descriptions()}
    )
    ident = entry.runtime_data.coordinator.ident
    dropped = {f"{ident}_{key}" for key in LEDGER_ENTITY_KEYS - provided}
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.unique_id in dropped:
            registry.async_remove(entity.entity_id)


async def async_unload_entry(hass: HomeAssistant, entry: LowiConfigEntry) -> bool:
    """Unload a config entry: unsubscribe and save the counter guards."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        if (ledger := entry.runtime_data.ledger) is not None:
            await ledger.async_stop()
        await entry.runtime_data.coordinator.async_stop()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: LowiConfigEntry) -> None:
    """Forget the stored counter state; offer the dongle for discovery again."""
    await guard_store(hass, entry).async_remove()
    await ledger_store(hass, entry.entry_id).async_remove()
    async_clear_ledger_issues(hass, entry.entry_id)
    async_clear_entry_issues(hass, entry.entry_id, COUNTER_SOURCES)
    async_forget(hass, entry.data[CONF_IDENT])


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: LowiConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a channel's device once the channel has been silent for a day.

    The dongle's own device goes with the entry. A deleted channel that sends again comes back.
    """
    channels = entry.runtime_data.coordinator.channels
    if (number := channels.channel_of_device(device)) is None or not channels.may_remove(number):
        return False
    channels.async_forget(number)
    return True


async def _async_follow_ident(hass: HomeAssistant, entry: LowiConfigEntry) -> None:
    """After a reconfigure, move the device and entities to the new ident.

    Unique ids are built from the ident; moving them keeps the entity ids, and so the history
    and long-term statistics, of a dongle that was replaced or renamed.
    """
    ident: str = entry.data[CONF_IDENT]
    keys = SENSOR_KEYS | LEDGER_ENTITY_KEYS
    wanted = {f"{ident}_{key}" for key in keys}

    @callback
    def _migrate(entity: er.RegistryEntry) -> dict[str, str] | None:
        if entity.unique_id in wanted:
            return None
        if found := _CHANNEL_ENTITY.search(entity.unique_id):
            new_id = f"{channel_identifier(ident, int(found['number']))}_{found['key']}"
            return None if new_id == entity.unique_id else {"new_unique_id": new_id}
        for key in sorted(keys, key=len, reverse=True):
            if entity.unique_id.endswith(f"_{key}"):
                return {"new_unique_id": f"{ident}_{key}"}
        return None

    await er.async_migrate_entries(hass, entry.entry_id, _migrate)

    device_registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        if device.via_device_id is not None:
            _follow_channel_device(device_registry, device, ident)
        elif (DOMAIN, ident) not in device.identifiers:
            info = device_info(ident, entry.title)
            device_registry.async_update_device(
                device.id,
                new_identifiers=info["identifiers"],
                new_connections=info.get("connections", set()),
                name=entry.title,
            )


def _follow_channel_device(registry: dr.DeviceRegistry, device: dr.DeviceEntry, ident: str) -> None:
    """Give a channel's device the identifier under the new ident; its name stays."""
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and (found := _CHANNEL_DEVICE.search(identifier)):
            new = (DOMAIN, channel_identifier(ident, int(found["number"])))
            if new not in device.identifiers:
                registry.async_update_device(device.id, new_identifiers={new})
            return
