"""The LoWi3's extra channels CH1..CH14: each one a device under the dongle, found as it sends.

The coordinator subscribes to each channel's own topic (``<ident>/PUB/CH<n>``, never a wildcard
that would also match CH0's) and hands its messages to :class:`ChannelManager`, which checks
them, keeps one :class:`LowiChannel` per channel seen, creates the channel's device the first time
and tells the entity platforms which entities a channel needs. A channel's entities listen to
that channel only, never to CH0's messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.components import mqtt
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, translation
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .channel_state import (
    ChannelState,
    channel_number,
    is_electric,
    model_of,
    payload_labels,
    problem as channel_problem,
    stored_channels,
)
from .const import (
    CHANNEL_CHECK_INTERVAL,
    CHANNEL_STALE_AFTER,
    DOMAIN,
    FIRST_CHANNEL,
    LAST_CHANNEL,
    MANUFACTURER,
)
from .parser import Rejected, parse_payload
from .push import PushCoordinator

if TYPE_CHECKING:
    from .coordinator import LowiCoordinator

_LOGGER = logging.getLogger(__name__)

type NewKeysCallback = Callable[[LowiChannel, set[str]], None]


def channel_identifier(ident: str, number: int) -> str:
    """Return the device identifier (and unique id prefix) of a dongle's channel."""
    return f"{ident}_ch{number}"


class LowiChannel(PushCoordinator[ChannelState]):
    """One channel of a dongle: its state, and the entities that listen to it."""

    def __init__(self, dongle: LowiCoordinator, state: ChannelState) -> None:
        """Initialize; unavailable until the channel sends in this run."""
        super().__init__(
            dongle.hass,
            _LOGGER,
            config_entry=dongle.config_entry,
            name=f"{DOMAIN} {dongle.ident} CH{state.number}",
            update_interval=None,
        )
        self.dongle = dongle
        self.state = state
        self.data = state
        self.last_update_success = False
        self.identifier = channel_identifier(dongle.ident, state.number)

    @property
    def number(self) -> int:
        """Return the channel's number, 1 to 14."""
        return self.state.number

    @property
    def current_divisor(self) -> float:
        """Return the divisor of the current field, the dongle's current-scale setting."""
        return self.dongle.current_divisor


class ChannelManager:
    """The channels of one dongle."""

    def __init__(self, dongle: LowiCoordinator, ignored: Iterable[int]) -> None:
        """Initialize with the channels the user chose to ignore."""
        self.dongle = dongle
        self.hass: HomeAssistant = dongle.hass
        self.ignored = frozenset(ignored)
        self.channels: dict[int, LowiChannel] = {}
        self._listeners: list[NewKeysCallback] = []

    def restore(self, data: Any) -> None:
        """Take the channels known from an earlier run, from the store's "channels" part."""
        for number, state in stored_channels(data).items():
            if number not in self.ignored:
                self.channels[number] = LowiChannel(self.dongle, state)

    def as_stored(self) -> dict[str, Any]:
        """Return the channels to store."""
        return {str(number): channel.state.as_stored() for number, channel in self.channels.items()}

    async def async_start(self) -> None:
        """Forget ignored channels; watch the channels' silence and the broker's connection."""
        entry = self.dongle.config_entry
        # Names of new channel devices ("Channel 3") come from the translation cache.
        await translation.async_get_translations(
            self.hass, self.hass.config.language, "device", {DOMAIN}
        )
        registry = dr.async_get(self.hass)
        for number in self.ignored:
            device = registry.async_get_device_by_identifier(
                (DOMAIN, channel_identifier(self.dongle.ident, number)), entry.entry_id
            )
            if device is not None:
                registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)
        entry.async_on_unload(
            async_track_time_interval(self.hass, self._async_check_silence, CHANNEL_CHECK_INTERVAL)
        )
        entry.async_on_unload(
            mqtt.async_subscribe_connection_status(self.hass, self._async_connection_changed)
        )

    @callback
    def async_add_listener(self, new_keys: NewKeysCallback) -> CALLBACK_TYPE:
        """Call `new_keys` for each known channel now, then whenever a channel sends new keys."""
        self._listeners.append(new_keys)
        for channel in self.channels.values():
            new_keys(channel, set(channel.state.keys))
        return lambda: self._listeners.remove(new_keys)

    def followed(self) -> list[int]:
        """Return the channel numbers to subscribe to: all of CH1..CH14 but the ignored ones."""
        return [n for n in range(FIRST_CHANNEL, LAST_CHANNEL + 1) if n not in self.ignored]

    def message_handler(self, number: int) -> Callable[[mqtt.ReceiveMessage], None]:
        """Return the handler of the messages on channel `number`'s own topic."""

        @callback
        def message_received(msg: mqtt.ReceiveMessage) -> None:
            self.async_message_received(number, msg)

        return message_received

    @callback
    def async_message_received(self, number: int, msg: mqtt.ReceiveMessage) -> None:
        """Handle a message on channel `number`'s topic."""
        self.dongle.messages_received[number] += 1
        result = parse_payload(msg.payload)
        if isinstance(result, Rejected):
            self.dongle.rejections.record(msg.topic, result.reason)
            return
        if (why := channel_problem(result, number)) is not None:
            self.dongle.rejections.record(msg.topic, why)
            return
        self.dongle.rejections.valid_message()
        if (channel := self.channels.get(number)) is None:
            channel = self._async_add_channel(number, msg.payload, result.name)
        new = channel.state.update(result, dt_util.utcnow().timestamp())
        if any(guard.value is not None for guard in channel.state.guards.values()):
            self.dongle.async_schedule_save()
        if new:
            for listener in list(self._listeners):
                listener(channel, new)
        channel.async_push(channel.state)

    @callback
    def _async_add_channel(self, number: int, payload: Any, name: str | None) -> LowiChannel:
        kind, units = payload_labels(payload)
        channel = LowiChannel(
            self.dongle,
            ChannelState(number=number, model=model_of(kind, units), electric=is_electric(units)),
        )
        self.channels[number] = channel
        registry = dr.async_get(self.hass)
        entry_id = self.dongle.config_entry.entry_id
        if registry.async_get_device_by_identifier((DOMAIN, channel.identifier), entry_id) is None:
            dongle_device = registry.async_get_device_by_identifier(
                (DOMAIN, self.dongle.ident), entry_id
            )
            # The payload's name only at creation: a later rename in the UI is the user's.
            registry.async_get_or_create(
                config_entry_id=entry_id,
                identifiers={(DOMAIN, channel.identifier)},
                manufacturer=MANUFACTURER,
                model=channel.state.model,
                name=name,
                translation_key=None if name else "channel",
                translation_placeholders={"number": str(number)},
                via_device_id=None if dongle_device is None else dongle_device.id,
            )
        _LOGGER.info("LoWi3 %s: channel %s appeared", self.dongle.ident, number)
        self.dongle.async_schedule_save()
        return channel

    @callback
    def _async_check_silence(self, _now: datetime) -> None:
        """Turn channels that stopped sending unavailable."""
        oldest = dt_util.utcnow().timestamp() - self.dongle.timeout.total_seconds()
        for channel in self.channels.values():
            last = channel.state.last_received
            if channel.last_update_success and (last is None or last < oldest):
                _LOGGER.info(
                    "LoWi3 %s: channel %s is unavailable: no valid message for %s seconds",
                    self.dongle.ident,
                    channel.number,
                    int(self.dongle.timeout.total_seconds()),
                )
                self._set_unavailable(channel)

    @callback
    def _async_connection_changed(self, connected: bool) -> None:
        if not connected:
            for channel in self.channels.values():
                self._set_unavailable(channel)

    @staticmethod
    @callback
    def _set_unavailable(channel: LowiChannel) -> None:
        if channel.last_update_success:
            channel.last_update_success = False
            channel.async_update_listeners()

    def channel_of_device(self, device: dr.DeviceEntry) -> int | None:
        """Return the channel number of one of this dongle's channel devices, else None."""
        for domain, identifier in device.identifiers:
            if domain != DOMAIN:
                continue
            prefix = f"{self.dongle.ident}_ch"
            if identifier.startswith(prefix):
                return channel_number(f"CH{identifier.removeprefix(prefix)}")
        return None

    def may_remove(self, number: int) -> bool:
        """Return True when a channel has sent nothing for CHANNEL_STALE_AFTER (or never)."""
        channel = self.channels.get(number)
        if channel is None or channel.state.last_received is None:
            return True
        age = dt_util.utcnow().timestamp() - channel.state.last_received
        return age >= CHANNEL_STALE_AFTER.total_seconds()

    @callback
    def async_forget(self, number: int) -> None:
        """Forget a channel whose device the user deleted; it comes back if it sends again."""
        if (channel := self.channels.pop(number, None)) is not None:
            _LOGGER.info("LoWi3 %s: channel %s removed", self.dongle.ident, number)
            channel.last_update_success = False
            self.dongle.async_schedule_save()

    def diagnostics(self) -> dict[str, Any]:
        """Return what each channel sent and what was made of it (not yet redacted)."""
        return {
            str(number): {
                "name": channel.state.name,
                "model": channel.state.model,
                "electric": channel.state.electric,
                "available": channel.last_update_success,
                "entities": sorted(channel.state.keys),
                "last_received": None
                if channel.state.last_received is None
                else dt_util.utc_from_timestamp(channel.state.last_received).isoformat(),
                "last_reading": channel.state.last_reading,
                "values": channel.state.values,
                "index_guards": {
                    key: {"accepted_value_as_sent": guard.value, "holding_back": guard.holding}
                    for key, guard in channel.state.guards.items()
                },
                "messages_held_back": channel.state.held_back,
                "replacements_accepted": channel.state.replacements,
            }
            for number, channel in sorted(self.channels.items())
        }
