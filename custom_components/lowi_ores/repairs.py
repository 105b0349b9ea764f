"""Repairs: a current unit the readings contradict, many invalid messages, a counter behind."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import CONF_CURRENT_SCALE, DOMAIN


def current_scale_issue_id(entry_id: str) -> str:
    """Return the id of an entry's current-unit issue."""
    return f"current_scale_{entry_id}"


@callback
def async_report_current_scale(
    hass: HomeAssistant, entry_id: str, title: str, estimate: str | None, setting: str
) -> None:
    """Raise the issue while the estimate contradicts the setting; clear it once they agree."""
    if estimate is None or estimate == setting:
        async_clear_current_scale(hass, entry_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        current_scale_issue_id(entry_id),
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        # One text per estimate, so that the unit's name is translated too.
        translation_key=f"current_scale_{estimate}",
        translation_placeholders={"title": title},
        data={"entry_id": entry_id, "scale": estimate},
    )


@callback
def async_clear_current_scale(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the entry's current-unit issue, if any."""
    ir.async_delete_issue(hass, DOMAIN, current_scale_issue_id(entry_id))


def rejections_issue_id(entry_id: str) -> str:
    """Return the id of an entry's invalid-messages issue."""
    return f"rejected_messages_{entry_id}"


def counter_behind_issue_id(entry_id: str, key: str) -> str:
    """Return the id of the issue of a counter kept above the meter's value."""
    return f"counter_behind_{entry_id}_{key}"


@callback
def async_report_rejections(
    hass: HomeAssistant, entry_id: str, title: str, figures: tuple[int, int] | None
) -> None:
    """Raise the issue with (rejected, messages) of the last hour; clear it with None."""
    if figures is None:
        ir.async_delete_issue(hass, DOMAIN, rejections_issue_id(entry_id))
        return
    rejected, messages = figures
    ir.async_create_issue(
        hass,
        DOMAIN,
        rejections_issue_id(entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="rejected_messages",
        translation_placeholders={
            "title": title,
            "rejected": str(rejected),
            "messages": str(messages),
        },
    )


def _number(value: float) -> str:
    """Return a counter as its sensor shows it: up to 3 decimals, no trailing zeros."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


@callback
def async_report_counter_behind(
    hass: HomeAssistant, entry_id: str, title: str, key: str, *, kept: float, meter: float
) -> None:
    """Raise the issue of a counter whose meter has stayed below the kept value for a day."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        counter_behind_issue_id(entry_id, key),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        # One text per counter, so that its name is translated too.
        translation_key=f"counter_behind_{key}",
        translation_placeholders={"title": title, "kept": _number(kept), "meter": _number(meter)},
    )


@callback
def async_clear_counter_behind(hass: HomeAssistant, entry_id: str, key: str) -> None:
    """Remove a counter's issue, if any."""
    ir.async_delete_issue(hass, DOMAIN, counter_behind_issue_id(entry_id, key))


@callback
def async_clear_entry_issues(hass: HomeAssistant, entry_id: str, keys: Iterable[str]) -> None:
    """Remove every issue of an entry (keys: its counters)."""
    async_clear_current_scale(hass, entry_id)
    async_report_rejections(hass, entry_id, "", None)
    for key in keys:
        async_clear_counter_behind(hass, entry_id, key)


class CurrentScaleRepairFlow(RepairsFlow):
    """Switch the entry's current unit to the one the readings fit."""

    def __init__(self, entry_id: str, scale: str) -> None:
        """Initialize with the entry and the estimated unit."""
        self._entry_id = entry_id
        self._scale = scale

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Start with the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Ask, then change the option and reload the entry."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_removed")
        if user_input is None:
            return self.async_show_form(
                step_id="confirm", description_placeholders={"title": entry.title}
            )
        self.hass.config_entries.async_update_entry(
            entry, options=entry.options | {CONF_CURRENT_SCALE: self._scale}
        )
        await self.hass.config_entries.async_reload(entry.entry_id)
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Create the fix flow of an issue."""
    data = data or {}
    return CurrentScaleRepairFlow(str(data.get("entry_id")), str(data.get("scale")))
