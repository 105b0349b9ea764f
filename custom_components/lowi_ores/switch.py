"""The relay of a 2-Wire smart plug published as a LoWi3 channel.

Only for a channel that reports "REL". The command topic and payload come from the protocol
notes; no capture of a plug confirms them, hence "unverified" in the README. The switch shows the
state the plug reports; after a command it shows the requested state until the next report.
"""

from __future__ import annotations

from typing import Any, override

from homeassistant.components import mqtt
from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .channel_state import RELAY
from .channels import LowiChannel
from .const import RELAY_OFF, RELAY_ON, RELAY_TOPIC_FORMAT
from .coordinator import LowiConfigEntry
from .entity import LowiChannelEntity

# Push updates; a command is one MQTT publish.
PARALLEL_UPDATES = 0

RELAY_DESCRIPTION = SwitchEntityDescription(key=RELAY, translation_key="relay")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LowiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a relay switch for each channel that reports a relay."""

    @callback
    def _add_relay(channel: LowiChannel, keys: set[str]) -> None:
        if RELAY in keys:
            async_add_entities([LowiRelaySwitch(channel)])

    entry.async_on_unload(entry.runtime_data.coordinator.channels.async_add_listener(_add_relay))


class LowiRelaySwitch(LowiChannelEntity, SwitchEntity):
    """The relay of a smart plug on a LoWi3 channel."""

    def __init__(self, channel: LowiChannel) -> None:
        """Initialize the switch."""
        super().__init__(channel, RELAY_DESCRIPTION)
        self._requested: bool | None = None

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the requested state until the plug reports, then the reported one."""
        if self._requested is not None:
            return self._requested
        reported = self.coordinator.state.values.get(RELAY)
        return reported if isinstance(reported, bool) else None

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Drop the requested state: the plug's report, or its silence, decides again."""
        self._requested = None
        super()._handle_coordinator_update()

    async def _async_switch(self, on: bool) -> None:
        channel = self.coordinator
        await mqtt.async_publish(
            self.hass,
            RELAY_TOPIC_FORMAT.format(ident=channel.dongle.ident, channel=channel.number),
            RELAY_ON if on else RELAY_OFF,
        )
        self._requested = on
        # Through the base class, which remembers what it wrote: the next report compares to it.
        super()._handle_coordinator_update()

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch the plug's relay on."""
        await self._async_switch(True)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch the plug's relay off."""
        await self._async_switch(False)
