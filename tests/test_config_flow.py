"""Tests of the config flow: manual setup, discovery confirm, reconfigure and options."""

from __future__ import annotations

from collections.abc import Generator
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.lowi_ores.const import (
    CONF_CURRENT_SCALE,
    CONF_GAS_UNIT,
    CONF_IDENT,
    CONF_IGNORED_CHANNELS,
    CONF_POWER_INTERVAL,
    CONF_TARIFF_CODES,
    CONF_TIMEOUT,
    CONF_WATER_UNIT,
    DOMAIN,
)
from homeassistant.config_entries import SOURCE_MQTT, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo

from .conftest import IDENT, TOPIC, make_payload


@pytest.fixture
def short_wait() -> Generator[None]:
    """Make the setup's wait for a first message short."""
    with patch("custom_components.lowi_ores.config_flow.SETUP_WAIT_SECONDS", 0.05):
        yield


@pytest.fixture
def no_entry_setup() -> Generator[None]:
    """Do not set up the entry a flow creates."""
    with patch("custom_components.lowi_ores.async_setup_entry", return_value=True):
        yield


async def _wait_done(hass: HomeAssistant, flow_id: str) -> dict[str, object]:
    """Let the progress step finish and return the flow's next result."""
    await hass.async_block_till_done()
    return dict(await hass.config_entries.flow.async_configure(flow_id))


@pytest.mark.usefixtures("mqtt_mock", "no_entry_setup")
@pytest.mark.parametrize("typed", ["34:94:54:6C:70:9B", "3494546C709B", " 34-94-54-6c-70-9b "])
async def test_manual_setup(hass: HomeAssistant, typed: str) -> None:
    """A MAC in any usual spelling, then a valid message: an entry for the dongle."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["description_placeholders"] == {"seconds": "75"}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_IDENT: typed})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["progress_action"] == "wait_for_message"
    assert result["description_placeholders"]["topic"] == TOPIC

    async_fire_mqtt_message(hass, TOPIC, make_payload())
    result = await _wait_done(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"LoWi3 {IDENT}"
    assert result["data"] == {CONF_IDENT: IDENT}
    assert result["result"].unique_id == IDENT


@pytest.mark.usefixtures("mqtt_mock", "short_wait")
async def test_manual_setup_no_message(hass: HomeAssistant) -> None:
    """Nothing on the topic: the form comes back with a clear error, and can be retried."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_IDENT: "pvpanelendak"}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    # A text on the topic that is not a reading does not count.
    async_fire_mqtt_message(hass, "pvpanelendak/PUB/CH0", b"Connected with MQTT.")
    result = await _wait_done(hass, result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "no_message"}
    assert result["description_placeholders"]["topic"] == "pvpanelendak/PUB/CH0"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_IDENT: "a/b"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_IDENT: "invalid_ident"}


@pytest.mark.usefixtures("mqtt_mock")
async def test_manual_setup_already_configured(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """The same dongle cannot be added twice."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_IDENT: "34:94:54:6c:70:9b"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_manual_setup_without_mqtt(hass: HomeAssistant) -> None:
    """Without HA's MQTT integration, the flow says so and stops."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


def _discovery(payload: str | bytes, topic: str = TOPIC) -> MqttServiceInfo:
    return MqttServiceInfo(
        topic=topic, payload=payload, qos=0, retain=False, subscribed_topic="+/PUB/CH0", timestamp=0
    )


@pytest.mark.usefixtures("mqtt_mock", "no_entry_setup")
async def test_discovery_confirm(hass: HomeAssistant) -> None:
    """A discovered dongle is offered by its ident and added on confirmation."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=_discovery(make_payload())
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"] == {"ident": IDENT}
    flow = hass.config_entries.flow.async_get(result["flow_id"])
    assert flow["context"]["title_placeholders"] == {"ident": IDENT}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"LoWi3 {IDENT}"
    assert result["data"] == {CONF_IDENT: IDENT}


@pytest.mark.usefixtures("mqtt_mock")
@pytest.mark.parametrize(
    ("payload", "topic"),
    [
        (b"Connected with MQTT.", TOPIC),
        (b"", TOPIC),
        (make_payload(), "a/b/PUB/CH0"),
    ],
)
async def test_discovery_invalid(hass: HomeAssistant, payload: bytes | str, topic: str) -> None:
    """A text that is not a reading, or a topic that is not a LoWi3's, is not offered."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=_discovery(payload, topic)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"


@pytest.mark.usefixtures("mqtt_mock")
async def test_discovery_already_configured(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A configured dongle is not offered again."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=_discovery(make_payload())
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.usefixtures("no_entry_setup")
async def test_reconfigure(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, mock_config_entry: MockConfigEntry
) -> None:
    """A replaced dongle: the entry follows the new ident once it has published."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_IDENT: "24:4C:AB:25:43:8C"}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    async_fire_mqtt_message(hass, "244cab25438c/PUB/CH0", make_payload())
    result = await _wait_done(hass, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data == {CONF_IDENT: "244cab25438c"}
    assert mock_config_entry.unique_id == "244cab25438c"
    assert mock_config_entry.title == "LoWi3 244cab25438c"


@pytest.mark.usefixtures("mqtt_mock", "short_wait")
async def test_reconfigure_errors(hass: HomeAssistant, mock_config_entry: MockConfigEntry) -> None:
    """Invalid ident, silence, and another entry's ident."""
    mock_config_entry.add_to_hass(hass)
    other = MockConfigEntry(
        domain=DOMAIN, unique_id="pvpanelendak", data={CONF_IDENT: "pvpanelendak"}
    )
    other.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_IDENT: "a b"})
    assert result["errors"] == {CONF_IDENT: "invalid_ident"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_IDENT: "244cab25438c"}
    )
    result = await _wait_done(hass, result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "no_message"}
    assert result["description_placeholders"]["title"] == mock_config_entry.title

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_IDENT: "pvpanelendak"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mock_config_entry.data == {CONF_IDENT: IDENT}


async def test_options(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The options correct the protocol guesses and reload the entry."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "init"
    assert result["menu_options"] == ["settings", "billing"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "settings"
    new_options = {
        CONF_TIMEOUT: 90.0,
        CONF_CURRENT_SCALE: "centiampere",
        CONF_TARIFF_CODES: "0_day_1_night",
        CONF_GAS_UNIT: "m3",
        CONF_WATER_UNIT: "m3",
        CONF_IGNORED_CHANNELS: ["2", "14"],
        CONF_POWER_INTERVAL: 30.0,
    }
    with patch("custom_components.lowi_ores.async_setup_entry", return_value=True) as setup:
        result = await hass.config_entries.options.async_configure(result["flow_id"], new_options)
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == new_options | {CONF_TIMEOUT: 90, CONF_POWER_INTERVAL: 30}
    assert setup.called


@pytest.mark.parametrize("interval", [-10, 1, 9, 10.5, 301, 3600])
async def test_options_reject_a_bad_power_interval(
    hass: HomeAssistant, init_integration: MockConfigEntry, interval: float
) -> None:
    """Outside 0 and 10-300 s the form comes back with an error on the field, values kept."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )
    options = {
        CONF_TIMEOUT: 120,
        CONF_CURRENT_SCALE: "auto",
        CONF_TARIFF_CODES: "1_day_0_night",
        CONF_GAS_UNIT: "dm3",
        CONF_WATER_UNIT: "dm3",
        CONF_POWER_INTERVAL: interval,
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], options)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_POWER_INTERVAL: "invalid_power_interval"}
    assert result["description_placeholders"] == {"min": "10", "max": "300"}
    schema = result["data_schema"].schema
    defaults = {str(key): key.default() for key in schema}
    assert defaults[CONF_TIMEOUT] == 120
    assert defaults[CONF_POWER_INTERVAL] == interval
    assert init_integration.options == {}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options | {CONF_POWER_INTERVAL: 10}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_POWER_INTERVAL] == 10
