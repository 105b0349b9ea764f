"""Config flow for LoWi3: MQTT discovery, manual setup, reconfigure and options."""

from __future__ import annotations

import asyncio
from typing import Any, override

import probatio

from homeassistant.components import mqtt
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo

from .const import (
    CONF_CURRENT_SCALE,
    CONF_GAS_UNIT,
    CONF_IDENT,
    CONF_IGNORED_CHANNELS,
    CONF_POWER_INTERVAL,
    CONF_TARIFF_CODES,
    CONF_TIMEOUT,
    CONF_WATER_UNIT,
    CURRENT_SCALE_AUTO,
    CURRENT_SCALE_CENTI,
    CURRENT_SCALE_MILLI,
    DEFAULT_GAS_UNIT,
    DEFAULT_POWER_INTERVAL,
    DEFAULT_TARIFF_CODES,
    DEFAULT_TIMEOUT,
    DEFAULT_WATER_UNIT,
    DOMAIN,
    FIRST_CHANNEL,
    LAST_CHANNEL,
    MAX_POWER_INTERVAL,
    MAX_TIMEOUT_SECONDS,
    METER_TOPIC_FORMAT,
    MIN_POWER_INTERVAL,
    MIN_TIMEOUT_SECONDS,
    MODEL,
    SETUP_WAIT_SECONDS,
    TARIFF_CODE_MAPS,
    VOLUME_UNIT_DM3,
    VOLUME_UNIT_M3,
)
from .discovery import async_take_over_discovery
from .parser import Reading, ident_from_topic, normalize_ident, parse_payload


def entry_title(ident: str) -> str:
    """Return the title of a dongle's entry and device."""
    return f"{MODEL} {ident}"


def _ident_schema(default: str = "") -> probatio.Schema:
    return probatio.Schema({probatio.Required(CONF_IDENT, default=default): TextSelector()})


class LowiConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a LoWi3 dongle that publishes on HA's MQTT broker."""

    VERSION = 1

    def __init__(self) -> None:
        """Initialize the flow."""
        self._ident: str = ""
        self._wait_task: asyncio.Task[Reading | None] | None = None

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> LowiOptionsFlow:
        """Return the options flow."""
        return LowiOptionsFlow()

    @override
    async def async_step_mqtt(self, discovery_info: MqttServiceInfo) -> ConfigFlowResult:
        """Handle a LoWi3 seen on its CH0 topic."""
        await async_take_over_discovery(self.hass)
        if (ident := ident_from_topic(discovery_info.topic)) is None:
            return self.async_abort(reason="invalid_discovery_info")
        await self.async_set_unique_id(ident)
        self._abort_if_unique_id_configured()
        if not isinstance(parse_payload(discovery_info.payload), Reading):
            return self.async_abort(reason="invalid_discovery_info")
        self._ident = ident
        self.context["title_placeholders"] = {"ident": ident}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask the user to confirm a discovered dongle."""
        if user_input is not None:
            return self._async_create()
        self._set_confirm_only()
        return self.async_show_form(
            step_id="discovery_confirm", description_placeholders={"ident": self._ident}
        )

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user type the dongle's MAC address or ident."""
        if not await mqtt.async_wait_for_mqtt_client(self.hass):
            return self.async_abort(reason="mqtt_not_configured")
        errors: dict[str, str] = {}
        if user_input is not None:
            if (ident := normalize_ident(user_input[CONF_IDENT])) is None:
                errors[CONF_IDENT] = "invalid_ident"
            else:
                await self.async_set_unique_id(ident, raise_on_progress=False)
                self._abort_if_unique_id_configured()
                self._ident = ident
                return await self.async_step_wait_for_message()
        return self.async_show_form(
            step_id="user",
            data_schema=_ident_schema(user_input[CONF_IDENT] if user_input else ""),
            description_placeholders={"seconds": str(SETUP_WAIT_SECONDS)},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the ident the dongle publishes under (a replaced or renamed dongle)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            if (ident := normalize_ident(user_input[CONF_IDENT])) is None:
                errors[CONF_IDENT] = "invalid_ident"
            else:
                existing = await self.async_set_unique_id(ident, raise_on_progress=False)
                if existing is not None and existing.entry_id != entry.entry_id:
                    return self.async_abort(reason="already_configured")
                self._ident = ident
                return await self.async_step_wait_for_message()
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=_ident_schema(entry.data[CONF_IDENT]),
            description_placeholders={"title": entry.title},
            errors=errors,
        )

    async def async_step_wait_for_message(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Wait, with a progress spinner, for a valid message on the dongle's topic."""
        if self._wait_task is None:
            self._wait_task = await self._async_start_waiting(
                METER_TOPIC_FORMAT.format(ident=self._ident)
            )
        if not self._wait_task.done():
            return self.async_show_progress(
                step_id="wait_for_message",
                progress_action="wait_for_message",
                progress_task=self._wait_task,
                description_placeholders={
                    "topic": METER_TOPIC_FORMAT.format(ident=self._ident),
                    "seconds": str(SETUP_WAIT_SECONDS),
                },
            )
        reading = self._wait_task.result()
        self._wait_task = None
        if reading is None:
            return self.async_show_progress_done(next_step_id="no_message")
        return self.async_show_progress_done(next_step_id="finish")

    async def _async_start_waiting(self, topic: str) -> asyncio.Task[Reading | None]:
        """Subscribe now, then wait in a task for the first valid reading."""
        received: asyncio.Future[Reading] = self.hass.loop.create_future()

        @callback
        def _message(msg: mqtt.ReceiveMessage) -> None:
            result = parse_payload(msg.payload)
            if isinstance(result, Reading) and not received.done():
                received.set_result(result)

        unsubscribe = await mqtt.async_subscribe(self.hass, topic, _message, encoding=None)

        async def _wait() -> Reading | None:
            try:
                async with asyncio.timeout(SETUP_WAIT_SECONDS):
                    return await received
            except TimeoutError:
                return None
            finally:
                unsubscribe()

        return self.hass.async_create_task(_wait(), eager_start=False)

    async def async_step_no_message(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the form again, saying that nothing valid arrived."""
        reconfiguring = self.source == SOURCE_RECONFIGURE
        return self.async_show_form(
            step_id="reconfigure" if reconfiguring else "user",
            data_schema=_ident_schema(self._ident),
            errors={"base": "no_message"},
            description_placeholders={
                "topic": METER_TOPIC_FORMAT.format(ident=self._ident),
                "seconds": str(SETUP_WAIT_SECONDS),
                "title": self._get_reconfigure_entry().title if reconfiguring else "",
            },
        )

    async def async_step_finish(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Create or update the entry once a valid message was seen."""
        if self.source == SOURCE_RECONFIGURE:
            return self.async_update_reload_and_abort(
                self._get_reconfigure_entry(),
                unique_id=self._ident,
                title=entry_title(self._ident),
                data_updates={CONF_IDENT: self._ident},
            )
        return self._async_create()

    def _async_create(self) -> ConfigFlowResult:
        return self.async_create_entry(
            title=entry_title(self._ident), data={CONF_IDENT: self._ident}
        )


def _select(options: list[str], key: str) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(options=options, translation_key=key, mode=SelectSelectorMode.DROPDOWN)
    )


class LowiOptionsFlow(OptionsFlowWithReload):
    """Settings where the protocol notes are unsure: the user can correct a wrong guess."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the options."""
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input[CONF_TIMEOUT] = int(user_input[CONF_TIMEOUT])
            interval = user_input.get(CONF_POWER_INTERVAL, DEFAULT_POWER_INTERVAL)
            if valid_power_interval(interval):
                user_input[CONF_POWER_INTERVAL] = int(interval)
                return self.async_create_entry(data=user_input)
            errors[CONF_POWER_INTERVAL] = "invalid_power_interval"
        options = dict(self.config_entry.options) | (user_input or {})
        schema = probatio.Schema(
            {
                probatio.Required(
                    CONF_TIMEOUT,
                    default=options.get(CONF_TIMEOUT, int(DEFAULT_TIMEOUT.total_seconds())),
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_TIMEOUT_SECONDS,
                        max=MAX_TIMEOUT_SECONDS,
                        step=1,
                        unit_of_measurement="s",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                probatio.Required(
                    CONF_CURRENT_SCALE, default=options.get(CONF_CURRENT_SCALE, CURRENT_SCALE_AUTO)
                ): _select(
                    [CURRENT_SCALE_AUTO, CURRENT_SCALE_MILLI, CURRENT_SCALE_CENTI],
                    CONF_CURRENT_SCALE,
                ),
                probatio.Required(
                    CONF_TARIFF_CODES,
                    default=options.get(CONF_TARIFF_CODES, DEFAULT_TARIFF_CODES),
                ): _select(list(TARIFF_CODE_MAPS), CONF_TARIFF_CODES),
                probatio.Required(
                    CONF_GAS_UNIT, default=options.get(CONF_GAS_UNIT, DEFAULT_GAS_UNIT)
                ): _select([VOLUME_UNIT_DM3, VOLUME_UNIT_M3], "volume_unit"),
                probatio.Required(
                    CONF_WATER_UNIT, default=options.get(CONF_WATER_UNIT, DEFAULT_WATER_UNIT)
                ): _select([VOLUME_UNIT_DM3, VOLUME_UNIT_M3], "volume_unit"),
                # No bounds in the selector: a value outside them gets the translated error.
                probatio.Required(
                    CONF_POWER_INTERVAL,
                    default=options.get(CONF_POWER_INTERVAL, DEFAULT_POWER_INTERVAL),
                ): NumberSelector(
                    NumberSelectorConfig(
                        step=1, unit_of_measurement="s", mode=NumberSelectorMode.BOX
                    )
                ),
                probatio.Optional(
                    CONF_IGNORED_CHANNELS, default=options.get(CONF_IGNORED_CHANNELS, [])
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=str(number), label=f"CH{number}")
                            for number in range(FIRST_CHANNEL, LAST_CHANNEL + 1)
                        ],
                        multiple=True,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=schema,
            errors=errors,
            description_placeholders={
                "min": str(MIN_POWER_INTERVAL),
                "max": str(MAX_POWER_INTERVAL),
            },
        )


def valid_power_interval(value: float) -> bool:
    """Return True for 0 (every message) or a whole number of seconds in the allowed range."""
    return value == 0 or (
        float(value).is_integer() and MIN_POWER_INTERVAL <= value <= MAX_POWER_INTERVAL
    )
