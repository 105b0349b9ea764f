"""Diagnostics download: what the dongle sends and what the integration made of it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import CONF_IDENT
from .coordinator import LowiConfigEntry

# The ident is the dongle's MAC address; names are the owner's own words.
TO_REDACT = {CONF_IDENT, "name", "title", "unique_id", "topic"}


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else dt_util.utc_from_timestamp(timestamp).isoformat()


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: LowiConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    coordinator = entry.runtime_data.coordinator
    ledger = entry.runtime_data.ledger
    data = coordinator.data
    billing: dict[str, Any] = {}
    if (ledger := entry.runtime_data.ledger) is not None:
        # What each billing part keeps (the costs: slots waiting for a price, the spot values
        # read, the totals), as stored.
        billing["billing"] = {part.key: part.as_dict() for part in ledger.parts}
    rejected = coordinator.rejections.as_dict()
    diagnostics: dict[str, Any] = {
        "entry": {
            "title": entry.title,
            "unique_id": entry.unique_id,
            "data": dict(entry.data),
            "options": dict(entry.options),
        },
        "topic": coordinator.topic,
        "available": coordinator.last_update_success,
        "broker_connected": coordinator.connected,
        "timeout_seconds": coordinator.timeout.total_seconds(),
        # Since the start, valid or not: one per message the dongle sent, on each channel.
        "messages_received": {
            f"CH{number}": count
            for number, count in enumerate(coordinator.messages_received)
            if count or not number
        },
        "last_message": None
        if data is None
        else {
            "received": data.received.isoformat(),
            "reading": asdict(data.reading),
            "counters": data.counters,
            "current_amperes": data.current,
            "tariff": data.tariff,
        },
        "current_scale": {
            "setting": coordinator.current_setting,
            "in_use": coordinator.current_scale,
            "automatic_estimate": coordinator.current_estimator.scale,
            "votes": coordinator.current_estimator.votes,
        },
        "counter_guards": {
            key: {
                "accepted_value_as_sent": guard.value,
                "holding_back": guard.holding,
                "meter_behind_since": _iso(guard.behind_since),
                "meter_value_as_sent": guard.meter_value,
                "messages_held_back": coordinator.counters.held_back[key],
                "replacements_accepted": coordinator.counters.replacements[key],
            }
            for key, guard in coordinator.guards.items()
        },
        # The billing ledger's stored state, part by part (None: no region set).
        "billing": None if ledger is None else {part.key: part.as_dict() for part in ledger.parts},
        "rejected_messages": rejected
        | {
            # A reason can quote the start of a payload, which may hold the ident.
            "last_reason": (rejected["last_reason"] or "").replace(coordinator.ident, REDACTED)
            or None,
        },
        "held_back_values": coordinator.counters.held_back_log.as_dict(),
        "impossible_powers": coordinator.implausible_log.as_dict(),
    } | billing
    # Only for a dongle that publishes channels, so that the download of others is unchanged.
    if channels := coordinator.channels.diagnostics():
        for channel in channels.values():
            if (reading := channel["last_reading"]) is not None:
                channel["last_reading"] = asdict(reading)
        diagnostics["channels"] = channels
    return async_redact_data(diagnostics, TO_REDACT)
