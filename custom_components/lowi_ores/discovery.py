"""Offer each new LoWi3 on the broker once, instead of once per message.

Home Assistant's MQTT integration subscribes to the topics in our manifest and starts a config
flow for every message whose payload differs from the previous one on that topic. A LoWi3 has no
announce topic: its data stream is the only thing to discover it by, so every message (every 10
to 60 seconds, for ever) would start a flow that aborts at once as "already configured" or
"already in progress".

So the first such flow hands discovery over to this listener: it subscribes to the same topics
through the public MQTT API, starts one flow per new ident (none for a configured or ignored one,
none while one is in progress), and stops the MQTT integration's own subscription for our
domain. That last step reaches into the MQTT integration's runtime data, for which there is no
public API; it is guarded, and when it cannot be done the only cost is the old behaviour.

The same subscription also carries the CH0 messages of the configured dongles: each coordinator
registers its CH0 topic here instead of subscribing to it. Two subscriptions whose filters both
match a topic (``+/PUB/CH0`` and ``<ident>/PUB/CH0``, or ``<ident>/PUB/+``) make the broker send
every message once per subscription, and Home Assistant's MQTT client hands each copy to every
matching callback: every meter message would be processed twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import logging

from homeassistant.components import mqtt
from homeassistant.config_entries import SOURCE_MQTT
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import discovery_flow
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
from homeassistant.util.hass_dict import HassKey

from .const import DISCOVERY_TOPIC, DOMAIN
from .parser import Rejected, ident_from_topic, parse_payload

_LOGGER = logging.getLogger(__name__)

DATA_DISCOVERY: HassKey[DiscoveryListener] = HassKey(f"{DOMAIN}_discovery")


@dataclass(slots=True)
class DiscoveryListener:
    """Our own subscription to the CH0 topics, the meters listening, and the idents handled."""

    hass: HomeAssistant
    handled: set[str] = field(default_factory=set)
    unsubscribe: CALLBACK_TYPE | None = None
    # CH0 topic of a configured dongle -> its coordinator's message handler.
    meters: dict[str, Callable[[mqtt.ReceiveMessage], None]] = field(default_factory=dict)

    @callback
    def message_received(self, msg: mqtt.ReceiveMessage) -> None:
        """Hand a configured dongle's message to it; start a flow for a new ident."""
        if (meter := self.meters.get(msg.topic)) is not None:
            meter(msg)
            return
        ident = ident_from_topic(msg.topic)
        if ident is None or ident in self.handled:
            return
        if self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, ident) or (
            self.hass.config_entries.flow.async_progress_by_handler(
                DOMAIN, match_context={"unique_id": ident}
            )
        ):
            self.handled.add(ident)
            return
        if isinstance(parse_payload(msg.payload), Rejected):
            return
        self.handled.add(ident)
        discovery_flow.async_create_flow(
            self.hass,
            DOMAIN,
            {"source": SOURCE_MQTT},
            MqttServiceInfo(
                topic=msg.topic,
                payload=msg.payload,
                qos=msg.qos,
                retain=msg.retain,
                subscribed_topic=msg.subscribed_topic,
                timestamp=msg.timestamp,
            ),
            discovery_key=discovery_flow.DiscoveryKey(domain=mqtt.DOMAIN, key=msg.topic, version=1),
        )


async def async_take_over_discovery(hass: HomeAssistant) -> None:
    """Start our listener once, and stop the per-message flows of the MQTT integration."""
    if DATA_DISCOVERY not in hass.data:
        listener = hass.data[DATA_DISCOVERY] = DiscoveryListener(hass)
        listener.unsubscribe = await mqtt.async_subscribe(
            hass, DISCOVERY_TOPIC, listener.message_received, qos=0, encoding=None
        )
    _stop_manifest_subscription(hass)


async def async_subscribe_meter(
    hass: HomeAssistant, topic: str, handler: Callable[[mqtt.ReceiveMessage], None]
) -> CALLBACK_TYPE:
    """Give a configured dongle's CH0 messages to `handler`, through the one CH0 subscription.

    This is also where a configured entry takes discovery over (its coordinator's start).
    """
    await async_take_over_discovery(hass)
    meters = hass.data[DATA_DISCOVERY].meters
    meters[topic] = handler

    @callback
    def unsubscribe() -> None:
        if meters.get(topic) is handler:
            del meters[topic]

    return unsubscribe


@callback
def async_forget(hass: HomeAssistant, ident: str) -> None:
    """Offer this ident again (its entry was removed)."""
    if listener := hass.data.get(DATA_DISCOVERY):
        listener.handled.discard(ident)


def _stop_manifest_subscription(hass: HomeAssistant) -> None:
    try:
        from homeassistant.components.mqtt.models import DATA_MQTT  # noqa: PLC0415

        unsubscribe = hass.data[DATA_MQTT].integration_unsubscribe.pop(
            f"{DOMAIN}_{DISCOVERY_TOPIC}", None
        )
    except (ImportError, AttributeError, KeyError) as err:
        _LOGGER.debug("Could not stop the MQTT integration's discovery subscription: %r", err)
        return
    if unsubscribe is not None:
        unsubscribe()
        _LOGGER.debug("Discovery of LoWi3 dongles is now done by the integration's own listener")
