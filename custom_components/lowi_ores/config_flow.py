"""Config flow for LoWi3: MQTT discovery, manual setup, reconfigure and options."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date
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
    BooleanSelector,
    DateSelector,
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
from homeassistant.util import dt as dt_util

from .billing.periods import add_years, local_date
from .const import (
    BILLING_KEYS,
    CAPACITY_KEYS,
    CAPACITY_RATE_2026,
    CONF_BILLABLE_PRICE,
    CONF_CAPACITY_RATE,
    CONF_CAPACITY_TARIFF,
    CONF_CAPACITY_WARNING_MARGIN,
    CONF_CURRENT_SCALE,
    CONF_GAS_UNIT,
    CONF_GRID_OPERATOR,
    CONF_IDENT,
    CONF_IGNORED_CHANNELS,
    CONF_INVERTER_KW,
    CONF_NET_METERING,
    CONF_NETTING,
    CONF_NEXT_READING_DATE,
    CONF_POWER_INTERVAL,
    CONF_PROSUMER_RATE,
    CONF_READING_DATE,
    CONF_REGION,
    CONF_TARIFF_CODES,
    CONF_TIMEOUT,
    CONF_WATER_UNIT,
    CURRENT_SCALE_AUTO,
    CURRENT_SCALE_CENTI,
    CURRENT_SCALE_MILLI,
    DEFAULT_CAPACITY_WARNING_MARGIN,
    DEFAULT_GAS_UNIT,
    DEFAULT_GRID_OPERATOR,
    DEFAULT_POWER_INTERVAL,
    DEFAULT_TARIFF_CODES,
    DEFAULT_TIMEOUT,
    DEFAULT_WATER_UNIT,
    DOMAIN,
    FIRST_CHANNEL,
    LAST_CHANNEL,
    MAX_BILLABLE_PRICE,
    MAX_CAPACITY_RATE,
    MAX_INVERTER_KW,
    MAX_POWER_INTERVAL,
    MAX_PROSUMER_RATE,
    MAX_TIMEOUT_SECONDS,
    METER_TOPIC_FORMAT,
    MIN_POWER_INTERVAL,
    MIN_TIMEOUT_SECONDS,
    MODEL,
    NETTING_SEPARATE,
    NETTING_TOGETHER,
    PROSUMER_RATES_2026,
    READING_INDEXES,
    REGION_BRUSSELS,
    REGION_FLANDERS,
    REGION_NONE,
    REGION_WALLONIA,
    REGIONS,
    SETUP_WAIT_SECONDS,
    TARIFF_CODE_MAPS,
    VOLUME_UNIT_DM3,
    VOLUME_UNIT_M3,
    WALLONIA_KEYS,
)
from .discovery import async_take_over_discovery
from .options_prices import PricesOptionsSteps, without_prices
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


class LowiOptionsFlow(PricesOptionsSteps, OptionsFlowWithReload):
    """Settings where the protocol notes are unsure, and the contract for the billing figures."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer the meter settings or the billing contract."""
        return self.async_show_menu(step_id="init", menu_options=["settings", "billing"])

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the meter settings (the billing options are kept)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input[CONF_TIMEOUT] = int(user_input[CONF_TIMEOUT])
            interval = user_input.get(CONF_POWER_INTERVAL, DEFAULT_POWER_INTERVAL)
            if valid_power_interval(interval):
                user_input[CONF_POWER_INTERVAL] = int(interval)
                return self.async_create_entry(data={**self.config_entry.options, **user_input})
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
            step_id="settings",
            data_schema=schema,
            errors=errors,
            description_placeholders={
                "min": str(MIN_POWER_INTERVAL),
                "max": str(MAX_POWER_INTERVAL),
            },
        )

    async def async_step_billing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask where the meter is: the region decides which billing figures exist."""
        options = self.config_entry.options
        if user_input is not None:
            region = user_input[CONF_REGION]
            if region == REGION_WALLONIA:
                return await self.async_step_wallonia()
            if region == REGION_FLANDERS:
                return await self.async_step_flanders()
            if region == REGION_BRUSSELS:
                return await self.async_step_brussels()
            return self.async_create_entry(data=without_billing(options))
        schema = probatio.Schema(
            {
                probatio.Required(
                    CONF_REGION, default=options.get(CONF_REGION, REGION_NONE)
                ): _select([*REGIONS, REGION_NONE], CONF_REGION),
            }
        )
        return self.async_show_form(step_id="billing", data_schema=schema)

    async def async_step_flanders(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Flanders: no net metering since 2021; the capacity tariff since 2023."""
        return await self._capacity_only_step(REGION_FLANDERS, user_input)

    async def async_step_brussels(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Brussels: no net metering since 2021, no prosumer or capacity tariff."""
        return await self._capacity_only_step(REGION_BRUSSELS, user_input)

    async def _capacity_only_step(
        self, region: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Show and save a region whose only billing figures are the capacity tariff's."""
        options = self.config_entry.options
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = validate_capacity(user_input)
            if not errors:
                return await self.async_step_prices_from(
                    without_billing(options)
                    | {CONF_REGION: region}
                    | capacity_options(user_input, region)
                )
        suggested = capacity_suggestions(options, region) | (user_input or {})
        return self.async_show_form(
            step_id=region,
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(_capacity_fields()), suggested
            ),
            errors=errors,
        )

    async def async_step_wallonia(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Wallonia: net metering ("compensation") and the prosumer tariff."""
        options = self.config_entry.options
        errors: dict[str, str] = {}
        meter = self._meter_counters()
        if user_input is not None:
            errors = validate_wallonia(user_input, meter)
            errors |= validate_capacity(user_input)
            if not errors:
                return await self.async_step_prices_from(
                    without_billing(options)
                    | {CONF_REGION: REGION_WALLONIA}
                    | wallonia_options(user_input, options)
                    | capacity_options(user_input, REGION_WALLONIA)
                )
        suggested = user_input if user_input is not None else dict(options)
        operator = suggested.get(CONF_GRID_OPERATOR, DEFAULT_GRID_OPERATOR)
        suggested = (
            {
                CONF_NET_METERING: True,
                CONF_NETTING: NETTING_TOGETHER,
                CONF_GRID_OPERATOR: operator,
                CONF_PROSUMER_RATE: PROSUMER_RATES_2026[operator],
            }
            | suggested
            | capacity_suggestions(options, REGION_WALLONIA)
            | {key: user_input[key] for key in CAPACITY_KEYS if user_input and key in user_input}
        )
        return self.async_show_form(
            step_id="wallonia",
            data_schema=self.add_suggested_values_to_schema(_wallonia_schema(), suggested),
            errors=errors,
            # What the meter shows now, for the "index above the meter" errors.
            description_placeholders={
                "meter_import_day": _kwh(meter.get("import_day")),
                "meter_import_night": _kwh(meter.get("import_night")),
                "meter_export_day": _kwh(meter.get("export_day")),
                "meter_export_night": _kwh(meter.get("export_night")),
            },
        )

    def _meter_counters(self) -> dict[str, float | None]:
        """Return the meter's guarded counters now, when the entry is loaded and has them."""
        runtime = getattr(self.config_entry, "runtime_data", None)
        if runtime is None or runtime.coordinator.data is None:
            return {}
        return dict(runtime.coordinator.data.counters)


def _kwh(value: float | None) -> str:
    return "?" if value is None else f"{value:.3f}"


def _number(unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(step="any", unit_of_measurement=unit, mode=NumberSelectorMode.BOX)
    )


def _wallonia_schema() -> probatio.Schema:
    fields: dict[Any, Any] = {
        probatio.Required(CONF_NET_METERING): BooleanSelector(),
        probatio.Optional(CONF_READING_DATE): DateSelector(),
        probatio.Optional(CONF_NEXT_READING_DATE): DateSelector(),
    }
    for key in READING_INDEXES:
        fields[probatio.Optional(key)] = _number("kWh")
    fields |= {
        probatio.Required(CONF_NETTING): _select(
            [NETTING_TOGETHER, NETTING_SEPARATE], CONF_NETTING
        ),
        probatio.Optional(CONF_BILLABLE_PRICE): _number("EUR/kWh"),
        probatio.Required(CONF_GRID_OPERATOR): _select(
            list(PROSUMER_RATES_2026), CONF_GRID_OPERATOR
        ),
        probatio.Optional(CONF_INVERTER_KW): _number("kW"),
        probatio.Optional(CONF_PROSUMER_RATE): _number("EUR/kW"),
    }
    return probatio.Schema(fields | _capacity_fields())


def _capacity_fields() -> dict[Any, Any]:
    return {
        probatio.Optional(CONF_CAPACITY_TARIFF): BooleanSelector(),
        probatio.Optional(CONF_CAPACITY_RATE): _number("EUR/kW"),
        probatio.Optional(CONF_CAPACITY_WARNING_MARGIN): _number("kW"),
    }


def capacity_suggestions(options: Mapping[str, Any], region: str) -> dict[str, Any]:
    """Return the capacity fields' values to show: stored ones, else the region's defaults.

    The tariff is on by default in Flanders only; a value stored for another region does not
    follow the user to a new one.
    """
    tariff = region == REGION_FLANDERS
    if options.get(CONF_REGION) == region:
        tariff = bool(options.get(CONF_CAPACITY_TARIFF, tariff))
    return {
        CONF_CAPACITY_TARIFF: tariff,
        CONF_CAPACITY_RATE: options.get(CONF_CAPACITY_RATE, CAPACITY_RATE_2026),
        CONF_CAPACITY_WARNING_MARGIN: options.get(
            CONF_CAPACITY_WARNING_MARGIN, DEFAULT_CAPACITY_WARNING_MARGIN
        ),
    }


def validate_capacity(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Return the capacity fields' errors by field."""
    errors: dict[str, str] = {}
    rate = user_input.get(CONF_CAPACITY_RATE)
    if rate is not None and not 0 <= rate <= MAX_CAPACITY_RATE:
        errors[CONF_CAPACITY_RATE] = "capacity_rate_out_of_range"
    margin = user_input.get(CONF_CAPACITY_WARNING_MARGIN)
    if margin is not None and margin < 0:
        errors[CONF_CAPACITY_WARNING_MARGIN] = "capacity_warning_margin_negative"
    return errors


def capacity_options(user_input: Mapping[str, Any], region: str) -> dict[str, Any]:
    """Return the capacity options to store from a valid form; what is left out, the defaults."""
    rate = user_input.get(CONF_CAPACITY_RATE)
    margin = user_input.get(CONF_CAPACITY_WARNING_MARGIN)
    return {
        CONF_CAPACITY_TARIFF: bool(user_input.get(CONF_CAPACITY_TARIFF, region == REGION_FLANDERS)),
        CONF_CAPACITY_RATE: CAPACITY_RATE_2026 if rate is None else float(rate),
        CONF_CAPACITY_WARNING_MARGIN: (
            DEFAULT_CAPACITY_WARNING_MARGIN if margin is None else float(margin)
        ),
    }


def without_billing(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return the options without any billing key (region not set), prices included."""
    return without_prices({key: value for key, value in options.items() if key not in BILLING_KEYS})


def wallonia_options(user_input: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """Return the Walloon options to store from a valid form.

    An empty prosumer rate takes the grid operator's 2026 default, and so does a rate left at
    the previous operator's default when the operator changes.
    """
    data = {key: user_input[key] for key in WALLONIA_KEYS if user_input.get(key) is not None}
    operator = data[CONF_GRID_OPERATOR]
    rate = data.get(CONF_PROSUMER_RATE)
    old_operator = previous.get(CONF_GRID_OPERATOR, DEFAULT_GRID_OPERATOR)
    if rate is None or (operator != old_operator and rate == PROSUMER_RATES_2026.get(old_operator)):
        data[CONF_PROSUMER_RATE] = PROSUMER_RATES_2026[operator]
    if CONF_READING_DATE in data and CONF_NEXT_READING_DATE not in data:
        start = date.fromisoformat(data[CONF_READING_DATE])
        data[CONF_NEXT_READING_DATE] = add_years(start, 1).isoformat()
    return data


def validate_wallonia(
    user_input: Mapping[str, Any], meter: Mapping[str, float | None]
) -> dict[str, str]:
    """Return the form's errors by field."""
    errors: dict[str, str] = {}
    today = local_date(dt_util.utcnow())
    reading = user_input.get(CONF_READING_DATE)
    following = user_input.get(CONF_NEXT_READING_DATE)
    if reading is None:
        if user_input.get(CONF_NET_METERING):
            errors[CONF_READING_DATE] = "reading_date_required"
    elif date.fromisoformat(reading) > today:
        errors[CONF_READING_DATE] = "reading_date_future"
    elif following is not None and date.fromisoformat(following) <= date.fromisoformat(reading):
        errors[CONF_NEXT_READING_DATE] = "next_reading_not_after"
    given = [key for key in READING_INDEXES if user_input.get(key) is not None]
    for key, counter in READING_INDEXES.items():
        if (value := user_input.get(key)) is None:
            # The bill's indexes start the balance all four together, or none of them.
            if given:
                errors[key] = f"{key}_missing"
            continue
        now = meter.get(counter)
        if value < 0:
            errors[key] = f"{key}_negative"
        elif now is not None and value > now:
            errors[key] = f"{key}_above_meter"
    price = user_input.get(CONF_BILLABLE_PRICE)
    if price is not None and not 0 <= price <= MAX_BILLABLE_PRICE:
        errors[CONF_BILLABLE_PRICE] = "billable_price_out_of_range"
    inverter = user_input.get(CONF_INVERTER_KW)
    if inverter is not None and not 0 < inverter <= MAX_INVERTER_KW:
        errors[CONF_INVERTER_KW] = "inverter_kw_out_of_range"
    rate = user_input.get(CONF_PROSUMER_RATE)
    if rate is not None and not 0 <= rate <= MAX_PROSUMER_RATE:
        errors[CONF_PROSUMER_RATE] = "prosumer_rate_out_of_range"
    return errors


def valid_power_interval(value: float) -> bool:
    """Return True for 0 (every message) or a whole number of seconds in the allowed range."""
    return value == 0 or (
        float(value).is_integer() and MIN_POWER_INTERVAL <= value <= MAX_POWER_INTERVAL
    )
