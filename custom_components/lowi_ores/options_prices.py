"""The contract's prices in the options flow: the steps after the region of the Billing menu.

``prices`` asks the kind of contract, then one form per kind: ``fixed``, ``day_night``,
``bands`` (the layout, then ``band_prices``: the hours and price of each band), ``dynamic``
(the spot sensor, the contract's resolution and a supplier preset, then ``dynamic_formula``).
Every value is checked by ``billing.prices.contract_from_options``, the code that will use it;
a bad one is refused with a translated error under its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import probatio

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from .billing.prices import (
    BAND_LAYOUT_TWO,
    BAND_PRESETS_2026,
    BANDS,
    DEFAULT_VAT,
    SUPPLIER_PRESETS_2026,
    PriceModel,
    PriceSettingError,
    contract_from_options,
    spot_unit_factor,
)
from .const import (
    CONF_BAND_LAYOUT,
    CONF_BUY_FACTOR,
    CONF_BUY_OFFSET,
    CONF_BUY_PRICE,
    CONF_EXTRA_BUY_COST,
    CONF_PRICE_MODEL,
    CONF_SELL_FACTOR,
    CONF_SELL_OFFSET,
    CONF_SELL_PRICE,
    CONF_SPOT_ENTITY,
    CONF_SPOT_RESOLUTION,
    CONF_SUPPLIER,
    CONF_VAT,
    PRICE_UNIT,
    SUPPLIER_CUSTOM,
)

DAY_NIGHT_KEYS: Final = ("buy_price_day", "buy_price_night", "sell_price_day", "sell_price_night")
FORMULA_KEYS: Final = (
    CONF_BUY_FACTOR,
    CONF_BUY_OFFSET,
    CONF_SELL_FACTOR,
    CONF_SELL_OFFSET,
    CONF_VAT,
    CONF_EXTRA_BUY_COST,
)
# Every key of the prices: removed when the kind of contract changes, and with the region.
PRICE_KEYS: Final = frozenset(
    {
        CONF_PRICE_MODEL,
        CONF_BUY_PRICE,
        CONF_SELL_PRICE,
        *DAY_NIGHT_KEYS,
        CONF_BAND_LAYOUT,
        *(f"band_hours_{band}" for band in BANDS),
        *(f"buy_price_{band}" for band in BANDS),
        CONF_SPOT_ENTITY,
        CONF_SPOT_RESOLUTION,
        CONF_SUPPLIER,
        *FORMULA_KEYS,
    }
)
# Which translated error a refused value shows, by the reason the check gives.
_RANGE_ERRORS: Final = {
    CONF_BUY_FACTOR: "factor_out_of_range",
    CONF_SELL_FACTOR: "factor_out_of_range",
    CONF_BUY_OFFSET: "offset_out_of_range",
    CONF_SELL_OFFSET: "offset_out_of_range",
    CONF_EXTRA_BUY_COST: "extra_out_of_range",
    CONF_VAT: "vat_out_of_range",
}


def _number(unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(step="any", unit_of_measurement=unit, mode=NumberSelectorMode.BOX)
    )


def _select(options: list[str], key: str) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(options=options, translation_key=key, mode=SelectSelectorMode.DROPDOWN)
    )


def price_error(err: PriceSettingError) -> dict[str, str]:
    """Return the form's error for a refused value, under its field."""
    reason = err.reason
    if reason == "out_of_range":
        reason = _RANGE_ERRORS.get(err.field, "price_out_of_range")
    return {err.field: reason}


def check_spot_entity(exists: bool, unit: str | None) -> str | None:
    """Return the error for a spot sensor (whether it exists, its unit); None when usable."""
    if not exists:
        return "spot_entity_missing"
    if spot_unit_factor(unit) is None:
        return "spot_entity_not_a_price"
    return None


def without_prices(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return options without any price key."""
    return {key: value for key, value in options.items() if key not in PRICE_KEYS}


class PricesOptionsSteps(OptionsFlow):
    """The price steps; the region steps hand over the billing options they collected."""

    _billing: dict[str, Any]

    async def async_step_prices_from(self, billing: dict[str, Any]) -> ConfigFlowResult:
        """Continue with the prices, keeping the billing options collected so far."""
        self._billing = billing
        return await self.async_step_prices()

    def _current(self) -> Mapping[str, Any]:
        return self.config_entry.options

    def _finish(self, prices: Mapping[str, Any]) -> ConfigFlowResult:
        return self.async_create_entry(data=without_prices(self._billing) | dict(prices))

    async def async_step_prices(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask the kind of contract."""
        if user_input is not None:
            model = PriceModel(user_input[CONF_PRICE_MODEL])
            if model is PriceModel.NONE:
                return self._finish({})
            step = {
                PriceModel.FIXED: self.async_step_fixed,
                PriceModel.DAY_NIGHT: self.async_step_day_night,
                PriceModel.BANDS: self.async_step_bands,
                PriceModel.DYNAMIC: self.async_step_dynamic,
            }[model]
            return await step()
        schema = probatio.Schema(
            {
                probatio.Required(
                    CONF_PRICE_MODEL,
                    default=self._current().get(CONF_PRICE_MODEL, PriceModel.NONE.value),
                ): _select([model.value for model in PriceModel], CONF_PRICE_MODEL),
            }
        )
        return self.async_show_form(step_id="prices", data_schema=schema)

    def _form(
        self,
        step_id: str,
        fields: dict[Any, Any],
        suggested: Mapping[str, Any],
        errors: dict[str, str] | None = None,
        placeholders: dict[str, str] | None = None,
    ) -> ConfigFlowResult:
        schema = self.add_suggested_values_to_schema(probatio.Schema(fields), suggested)
        return self.async_show_form(
            step_id=step_id,
            data_schema=schema,
            errors=errors or {},
            description_placeholders=placeholders,
        )

    def _checked(
        self, model: PriceModel, values: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        prices = {CONF_PRICE_MODEL: model.value, **values}
        try:
            contract_from_options(prices)
        except PriceSettingError as err:
            return prices, price_error(err)
        return prices, {}

    async def async_step_fixed(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask one buy and one sell price."""
        return await self._simple(
            "fixed", PriceModel.FIXED, (CONF_BUY_PRICE, CONF_SELL_PRICE), user_input
        )

    async def async_step_day_night(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask a buy and a sell price for each of the day and night registers."""
        return await self._simple("day_night", PriceModel.DAY_NIGHT, DAY_NIGHT_KEYS, user_input)

    async def _simple(
        self,
        step_id: str,
        model: PriceModel,
        keys: tuple[str, ...],
        user_input: dict[str, Any] | None,
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            prices, errors = self._checked(model, user_input)
            if not errors:
                return self._finish(prices)
        fields = {probatio.Required(key): _number(PRICE_UNIT) for key in keys}
        return self._form(step_id, fields, user_input or self._current(), errors)

    async def async_step_bands(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask the time bands: Wallonia's off-peak hours (two bands) or the Impact tariff."""
        if user_input is not None:
            self._billing[CONF_BAND_LAYOUT] = user_input[CONF_BAND_LAYOUT]
            return await self.async_step_band_prices()
        fields = {
            probatio.Required(
                CONF_BAND_LAYOUT, default=self._current().get(CONF_BAND_LAYOUT, BAND_LAYOUT_TWO)
            ): _select(list(BAND_PRESETS_2026), CONF_BAND_LAYOUT),
        }
        return self.async_show_form(step_id="bands", data_schema=probatio.Schema(fields))

    async def async_step_band_prices(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask the hours of each band (the 2026 preset, editable) and its price."""
        layout = self._billing[CONF_BAND_LAYOUT]
        preset = BAND_PRESETS_2026[layout]
        errors: dict[str, str] = {}
        if user_input is not None:
            prices, errors = self._checked(
                PriceModel.BANDS, {CONF_BAND_LAYOUT: layout, **user_input}
            )
            if not errors:
                return self._finish(prices)
        fields: dict[Any, Any] = {}
        for band in preset:
            fields[probatio.Required(f"band_hours_{band}")] = TextSelector()
            fields[probatio.Required(f"buy_price_{band}")] = _number(PRICE_UNIT)
        fields[probatio.Required(CONF_SELL_PRICE)] = _number(PRICE_UNIT)
        current = self._current()
        same_layout = current.get(CONF_BAND_LAYOUT) == layout
        suggested = {f"band_hours_{band}": hours for band, hours in preset.items()}
        if same_layout:
            suggested |= {key: value for key, value in current.items() if key in PRICE_KEYS}
        else:
            suggested |= {
                key: value
                for key, value in current.items()
                if key in PRICE_KEYS and not key.startswith("band_hours_")
            }
        return self._form("band_prices", fields, user_input or suggested, errors)

    async def async_step_dynamic(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask the spot price sensor, the contract's resolution and a supplier to start from."""
        errors: dict[str, str] = {}
        if user_input is not None:
            entity_id = user_input[CONF_SPOT_ENTITY]
            state = self.hass.states.get(entity_id)
            unit = None if state is None else state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
            if error := check_spot_entity(state is not None, unit):
                errors[CONF_SPOT_ENTITY] = error
            else:
                self._billing |= {
                    CONF_SPOT_ENTITY: entity_id,
                    CONF_SPOT_RESOLUTION: int(user_input[CONF_SPOT_RESOLUTION]),
                    CONF_SUPPLIER: user_input[CONF_SUPPLIER],
                }
                return await self.async_step_dynamic_formula()
        current = self._current()
        fields = {
            probatio.Required(CONF_SPOT_ENTITY): EntitySelector(
                EntitySelectorConfig(domain="sensor")
            ),
            probatio.Required(CONF_SPOT_RESOLUTION): _select(["15", "60"], CONF_SPOT_RESOLUTION),
            probatio.Required(CONF_SUPPLIER): _select(
                [*SUPPLIER_PRESETS_2026, SUPPLIER_CUSTOM], CONF_SUPPLIER
            ),
        }
        suggested = {
            CONF_SPOT_RESOLUTION: str(current.get(CONF_SPOT_RESOLUTION, 15)),
            CONF_SUPPLIER: current.get(CONF_SUPPLIER, SUPPLIER_CUSTOM),
        }
        if CONF_SPOT_ENTITY in current:
            suggested[CONF_SPOT_ENTITY] = current[CONF_SPOT_ENTITY]
        return self._form("dynamic", fields, user_input or suggested, errors)

    async def async_step_dynamic_formula(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask the supplier's formula, prefilled from the preset, to check against the contract."""
        billing = self._billing
        errors: dict[str, str] = {}
        if user_input is not None:
            values = {
                key: billing[key] for key in (CONF_SPOT_ENTITY, CONF_SPOT_RESOLUTION, CONF_SUPPLIER)
            }
            prices, errors = self._checked(PriceModel.DYNAMIC, values | user_input)
            if not errors:
                return self._finish(prices)
        fields: dict[Any, Any] = {
            probatio.Required(CONF_BUY_FACTOR): _number("c/kWh per EUR/MWh"),
            probatio.Required(CONF_BUY_OFFSET): _number("c/kWh"),
            probatio.Required(CONF_SELL_FACTOR): _number("c/kWh per EUR/MWh"),
            probatio.Required(CONF_SELL_OFFSET): _number("c/kWh"),
            probatio.Required(CONF_VAT): _number("%"),
            probatio.Required(CONF_EXTRA_BUY_COST): _number("c/kWh"),
        }
        current = self._current()
        suggested: dict[str, Any] = {CONF_VAT: DEFAULT_VAT, CONF_EXTRA_BUY_COST: 0.0}
        suggested |= {key: current[key] for key in FORMULA_KEYS if key in current}
        placeholders = {"supplier": "", "checked": ""}
        if (preset := SUPPLIER_PRESETS_2026.get(billing[CONF_SUPPLIER])) is not None:
            suggested |= {CONF_BUY_FACTOR: preset.buy_factor, CONF_BUY_OFFSET: preset.buy_offset}
            if preset.sell_factor is not None and preset.sell_offset is not None:
                suggested |= {
                    CONF_SELL_FACTOR: preset.sell_factor,
                    CONF_SELL_OFFSET: preset.sell_offset,
                }
            placeholders = {"supplier": preset.name, "checked": preset.checked.isoformat()}
        return self._form("dynamic_formula", fields, user_input or suggested, errors, placeholders)
