"""The thin MQTT side: publish the simulation's messages to a broker with paho-mqtt (2.x API)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

_LOGGER = logging.getLogger(__name__)


class MqttPublisher:
    """A paho client that connects in the background and reconnects on its own."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str | None = None,
        password: str | None = None,
        client_id: str = "lowi3-simulator",
    ) -> None:
        """Prepare the client; nothing is sent before :meth:`start`."""
        self.host = host
        self.port = port
        self.connected = threading.Event()
        self._stopping = False
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id
        )
        if username is not None:
            self._client.username_pw_set(username, password)
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            _LOGGER.warning(
                "broker %s:%s refused the connection: %s", self.host, self.port, reason_code
            )
            return
        _LOGGER.info("connected to %s:%s", self.host, self.port)
        self.connected.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if self.connected.is_set() and not self._stopping:
            _LOGGER.warning(
                "disconnected from %s:%s (%s); reconnecting", self.host, self.port, reason_code
            )
        self.connected.clear()

    def start(self, timeout: float | None = None) -> bool:
        """Connect in the background; return True once connected within `timeout` seconds."""
        self._client.connect_async(self.host, self.port, keepalive=60)
        self._client.loop_start()
        return self.connected.wait(timeout)

    def publish(self, topic: str, payload: str | bytes, *, retain: bool = False) -> bool:
        """Publish one message (QoS 0, not retained as the dongle's); False when it was dropped."""
        if not self.connected.is_set():
            return False
        info = self._client.publish(topic, payload, qos=0, retain=retain)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def stop(self) -> None:
        """Disconnect cleanly and stop the network thread."""
        self._stopping = True
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()
