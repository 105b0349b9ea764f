"""The test suite's fixtures, for the benchmark."""

from tests.conftest import auto_enable_custom_integrations, end_mqtt_client_loop

__all__ = ["auto_enable_custom_integrations", "end_mqtt_client_loop"]
