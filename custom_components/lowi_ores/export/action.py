"""The `lowi_ores.export` action: the meter's history as CSV or XLSX, with a signed download link."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from http import HTTPStatus
from pathlib import Path
import re
import secrets
from typing import Any

from aiohttp import web
import probatio

from homeassistant.components import persistent_notification
from homeassistant.components.http.auth import async_sign_path
from homeassistant.components.sensor import DOMAIN as SENSOR_DOMAIN
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, UnitOfEnergy, UnitOfPower, UnitOfVolume
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er, service
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.recorder import get_instance
from homeassistant.loader import async_get_integration
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.unit_conversion import (
    BaseUnitConverter,
    EnergyConverter,
    PowerConverter,
    VolumeConverter,
)

from ..billing.prices import Contract, PriceModel, PriceSettingError, contract_from_options
from ..const import (
    ATTR_CHANNELS,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_END,
    ATTR_FORMAT,
    ATTR_PATH,
    ATTR_RESOLUTION,
    ATTR_START,
    CONF_IDENT,
    CONF_SPOT_ENTITY,
    DOMAIN,
    EXPORT_FOLDER,
    EXPORT_LINK_VALIDITY,
    EXPORT_URL,
    FIRST_CHANNEL,
    LAST_CHANNEL,
    SERVICE_EXPORT,
)
from ..ledger.capacity import capacity_month_peaks
from ..ledger.costs import money_statistic_ids
from ..ledger.net_metering import export_balance_periods
from .intervals import (
    Resolution,
    ceil_boundary,
    floor_boundary,
    last_full_month,
    local_midnight,
)
from .labels import labels_for
from .recorder_job import (
    ExportRequest,
    ExportResult,
    Source,
    StatesNotAvailableError,
    UnitNotSupportedError,
    run_export,
    unit_factor,
)
from .rows import ELECTRICITY_COUNTERS, IMPORT_POWER, Counter, channel_key
from .writers import FileFormat

SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional(ATTR_START): probatio.Any(cv.string, date),
        probatio.Optional(ATTR_END): probatio.Any(cv.string, date),
        probatio.Optional(ATTR_RESOLUTION, default=Resolution.HOUR.value): cv.string,
        probatio.Optional(ATTR_FORMAT, default=FileFormat.CSV.value): cv.string,
        probatio.Optional(ATTR_PATH): cv.string,
        probatio.Optional(ATTR_CHANNELS, default=list): probatio.All(
            cv.ensure_list, [probatio.Any(cv.string, int)]
        ),
    }
)

DATA_DOWNLOADS: HassKey[dict[str, Download]] = HassKey(f"{DOMAIN}_downloads")
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Download:
    """A file the action wrote, served by the download view until it expires."""

    path: Path
    expires: datetime


@callback
def async_setup_export(hass: HomeAssistant) -> None:
    """Register the export action."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_EXPORT,
        _async_export,
        schema=SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _choice[E: (Resolution, FileFormat)](kind: type[E], value: str, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise _invalid(
            "invalid_choice",
            field=field,
            value=value,
            choices=", ".join(member.value for member in kind),
        ) from None


def _parse(value: str | date | None, zone: tzinfo, field: str) -> date | datetime | None:
    """Read a date or a date-time from the call; naive times are local."""
    if isinstance(value, str):
        text = value.strip()
        parsed = dt_util.parse_date(text) if DATE_ONLY.match(text) else dt_util.parse_datetime(text)
        if parsed is None:
            raise _invalid("invalid_moment", field=field, value=value)
        value = parsed
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value


def _moment(value: date | datetime | None, zone: tzinfo, *, end: bool) -> datetime | None:
    """Return the moment of a parsed value.

    A date is a whole local day: its midnight as a start, the next midnight as an end.
    """
    if value is None or isinstance(value, datetime):
        return value
    return local_midnight(value + timedelta(days=1) if end else value, zone)


def _period(call: ServiceCall, resolution: Resolution, zone: tzinfo) -> tuple[datetime, datetime]:
    """Return the period's first and last boundaries (UTC), aligned on the resolution."""
    typed_start = _parse(call.data.get(ATTR_START), zone, ATTR_START)
    typed_end = _parse(call.data.get(ATTR_END), zone, ATTR_END)
    start = _moment(typed_start, zone, end=False)
    end = _moment(typed_end, zone, end=True)
    now = ceil_boundary(dt_util.utcnow(), resolution, zone)
    if start is None and end is None:
        start, end = last_full_month(dt_util.utcnow(), zone)
    if end is None:  # only a start: until now
        end = now
    if start is None:  # only an end: from the start of its month
        start = floor_boundary(end - timedelta(microseconds=1), Resolution.MONTH, zone)
    start = floor_boundary(start, resolution, zone)
    end = min(ceil_boundary(end, resolution, zone), now)
    if start >= end:
        # As the user typed them: an end date is its whole day, not the next midnight.
        raise _invalid(
            "empty_period",
            start=_typed_text(typed_start, zone) or _local_text(start, zone),
            end=_typed_text(typed_end, zone) or _local_text(end, zone),
        )
    return start, end


def _typed_text(value: date | datetime | None, zone: tzinfo) -> str | None:
    """Return a date as a date, a date-time as local date and time, nothing for None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return _local_text(value, zone)
    return value.isoformat()


def _local_text(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


SOURCE_UNITS = {
    **{
        counter.value: (UnitOfEnergy.KILO_WATT_HOUR, EnergyConverter)
        for counter in ELECTRICITY_COUNTERS
    },
    Counter.GAS.value: (UnitOfVolume.CUBIC_METERS, VolumeConverter),
    Counter.WATER.value: (UnitOfVolume.CUBIC_METERS, VolumeConverter),
    IMPORT_POWER: (UnitOfPower.WATT, PowerConverter),
}


def _channels(values: list[str | int]) -> tuple[int, ...]:
    """Return the channel numbers asked for (1 to 14; "3" and "CH3" both mean 3)."""
    numbers: set[int] = set()
    for value in values:
        text = str(value).strip().upper().removeprefix("CH")
        if not (text.isascii() and text.isdigit()) or not (
            FIRST_CHANNEL <= int(text) <= LAST_CHANNEL
        ):
            raise _invalid("invalid_channel", value=str(value))
        numbers.add(int(text))
    return tuple(sorted(numbers))


def _sources(
    hass: HomeAssistant, ident: str, resolution: Resolution, channels: tuple[int, ...] = ()
) -> tuple[Source, ...]:
    """Return the dongle's sensors the export reads (channels' index totals last), with units."""
    registry = er.async_get(hass)
    sources: list[Source] = []
    wanted: list[tuple[str, str, str, type[BaseUnitConverter], int | None]] = [
        (key, key, unit, converter, None) for key, (unit, converter) in SOURCE_UNITS.items()
    ]
    wanted += [
        (
            channel_key(number),
            f"ch{number}_index_total",
            UnitOfEnergy.KILO_WATT_HOUR,
            EnergyConverter,
            number,
        )
        for number in channels
    ]
    for key, suffix, unit, converter, channel in wanted:
        if key == IMPORT_POWER and resolution is not Resolution.QUARTER_HOUR:
            continue
        entity_id = registry.async_get_entity_id(SENSOR_DOMAIN, DOMAIN, f"{ident}_{suffix}")
        if entity_id is None:
            if key in ELECTRICITY_COUNTERS:
                raise _invalid("no_sensors", ident=ident)
            if channel is not None:
                raise _invalid("no_channel_index", channel=f"CH{channel}")
            continue
        source = Source(key, entity_id, unit, converter)
        state = hass.states.get(entity_id)
        recorded_unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) if state else unit
        try:
            factor = unit_factor(source, recorded_unit or unit)
        except UnitNotSupportedError as err:
            raise _invalid("unit_not_supported", entity_id=entity_id, unit=str(err.unit)) from err
        sources.append(replace(source, factor=factor))
    return tuple(sources)


def _target(hass: HomeAssistant, requested: str | None, file_name: str, fmt: FileFormat) -> Path:
    """Where the file goes (blocking: it looks at the file system)."""
    if requested is None:
        return Path(hass.config.path(*EXPORT_FOLDER)) / file_name
    path = Path(requested)
    if not path.is_absolute():
        raise _invalid("path_not_absolute", path=requested)
    if path.is_dir():
        path /= file_name
    if path.suffix.lower() != fmt.suffix:
        raise _invalid("path_wrong_suffix", path=requested, suffix=fmt.suffix)
    if not hass.config.is_allowed_path(str(path)):
        raise _invalid("path_not_allowed", path=requested)
    resolved = path.parent.resolve() / path.name
    if resolved.is_relative_to(Path(hass.config.path("www")).resolve()):
        raise _invalid("path_public", path=requested)
    return resolved


async def _async_export(call: ServiceCall) -> ServiceResponse:
    """Handle the action."""
    hass = call.hass
    entry = service.async_get_config_entry(hass, DOMAIN, call.data.get(ATTR_CONFIG_ENTRY_ID))
    if "recorder" not in hass.config.components:
        raise _invalid("recorder_not_available")
    zone = dt_util.get_default_time_zone()
    resolution = _choice(Resolution, call.data[ATTR_RESOLUTION], ATTR_RESOLUTION)
    fmt = _choice(FileFormat, call.data[ATTR_FORMAT], ATTR_FORMAT)
    start, end = _period(call, resolution, zone)
    ident: str = entry.data[CONF_IDENT]
    sources = _sources(hass, ident, resolution, _channels(call.data[ATTR_CHANNELS]))
    labels = labels_for(hass.config.language)
    last_day = (end - timedelta(microseconds=1)).astimezone(zone).date()
    file_name = (
        f"lowi3_{ident}_{resolution.value}_{start.astimezone(zone).date()}_{last_day}{fmt.suffix}"
    )
    path = await hass.async_add_executor_job(
        _target, hass, call.data.get(ATTR_PATH), file_name, fmt
    )
    integration = await async_get_integration(hass, DOMAIN)
    contract = _contract(entry.options)
    about = (
        (labels["about_dongle"], f"{entry.title} ({ident})"),
        (labels["about_period_start"], start.astimezone(zone).isoformat()),
        (labels["about_period_end"], end.astimezone(zone).isoformat()),
        (labels["about_resolution"], labels[f"resolution_{resolution.value}"]),
        (labels["about_time_zone"], str(zone)),
        (labels["about_generated"], dt_util.now().isoformat(timespec="seconds")),
        (labels["about_version"], f"lowi_ores {integration.version}"),
        (labels["about_source"], labels[_source(resolution, contract)]),
        (labels["about_note"], labels["note"]),
    )
    runtime = getattr(entry, "runtime_data", None)
    request = ExportRequest(
        sources,
        start,
        end,
        resolution,
        zone,
        fmt,
        path,
        labels,
        about,
        dt_util.utcnow(),
        export_balance_periods(None if runtime is None else runtime.ledger),
        capacity_month_peaks(None if runtime is None else runtime.ledger)
        if resolution is Resolution.MONTH
        else None,
        contract,
        entry.options.get(CONF_SPOT_ENTITY) if contract is not None else None,
        money_statistic_ids(ident) if contract is not None and contract.by_slot else None,
    )
    try:
        result = await get_instance(hass).async_add_executor_job(run_export, hass, request)
    except StatesNotAvailableError as err:
        if err.earliest is None:
            raise _invalid("no_states") from err
        # The first start that works: the first boundary with a state at or before it.
        first = ceil_boundary(dt_util.utc_from_timestamp(err.earliest), resolution, zone)
        raise _invalid("states_not_available", earliest=_local_text(first, zone)) from err
    except UnitNotSupportedError as err:
        raise _invalid("unit_not_supported", entity_id=err.entity_id, unit=str(err.unit)) from err
    except OSError as err:
        raise _invalid("write_failed", path=str(path), error=err.strerror or str(err)) from err

    url, expires = _async_offer_download(hass, result.path)
    response = _response(result, request, url, _absolute(hass, url), expires)
    if not call.return_response:
        persistent_notification.async_create(
            hass,
            labels["notification_message"].format(
                dongle=entry.title,
                start=_local_text(start, zone),
                end=_local_text(end, zone),
                rows=result.totals.rows,
                resolution=labels[f"resolution_{resolution.value}"],
                file_name=result.path.name,
                url=url,
                expires=_local_text(expires, zone),
                path=result.path,
            ),
            labels["notification_title"],
            notification_id=f"{DOMAIN}_export_{entry.entry_id}",
        )
        return None
    return response


def _contract(options: Mapping[str, Any]) -> Contract | None:
    """Return the entry's contract, or None when it prices nothing (no model, bad settings)."""
    try:
        contract = contract_from_options(options)
    except PriceSettingError:
        return None  # the ledger has said so in the log; the export shows no money
    return None if contract.model is PriceModel.NONE else contract


def _source(resolution: Resolution, contract: Contract | None) -> str:
    """Return the label of where the rows come from, money included."""
    if resolution is Resolution.QUARTER_HOUR:
        return "source_states"
    if contract is not None and contract.model in (PriceModel.BANDS, PriceModel.DYNAMIC):
        # Their money is priced per quarter-hour: the ledger's hourly money statistics hold it,
        # the recorded states for hours before them.
        return "source_statistics_money_states"
    return "source_statistics"


def _absolute(hass: HomeAssistant, url: str) -> str | None:
    """Return the link with Home Assistant's configured address; None rather than a guess."""
    if not (hass.config.internal_url or hass.config.external_url):
        return None
    try:
        return f"{get_url(hass, allow_ip=True)}{url}"
    except NoURLAvailableError:
        return None


def _response(
    result: ExportResult,
    request: ExportRequest,
    url: str,
    full_url: str | None,
    expires: datetime,
) -> dict[str, Any]:
    totals = result.totals
    summary: dict[str, float] = {
        "imported_kwh": round(totals.imported, 3),
        "exported_kwh": round(totals.exported, 3),
        "net_kwh": round(totals.net, 3) + 0.0,
    }
    for counter in (Counter.GAS, Counter.WATER):
        if (used := totals.usage.get(counter)) is not None:
            summary[f"{counter.value.removesuffix('_index')}_m3"] = round(used, 3)
    for key, used in totals.usage.items():
        if key.startswith("ch"):  # a channel's index total: "ch3_kwh"
            summary[f"{key.split('_')[0]}_kwh"] = round(used, 3)
    if request.contract is not None:
        # Over the rows whose money is known.
        summary["import_cost_eur"] = round(totals.import_cost, 2) + 0.0
        summary["export_revenue_eur"] = round(totals.export_revenue, 2) + 0.0
    return {
        "path": str(result.path),
        "url": url,
        "full_url": full_url,
        "url_expires": expires.isoformat(),
        "rows": totals.rows,
        "rows_without_data": totals.rows_without_data,
        "start": request.start.astimezone(request.zone).isoformat(),
        "end": request.end.astimezone(request.zone).isoformat(),
        "resolution": request.resolution.value,
        "format": request.file_format.value,
        "totals": summary,
    }


@callback
def _async_offer_download(hass: HomeAssistant, path: Path) -> tuple[str, datetime]:
    """Make a file downloadable through a signed link that expires."""
    downloads = hass.data.get(DATA_DOWNLOADS)
    if downloads is None:
        downloads = hass.data[DATA_DOWNLOADS] = {}
        hass.http.register_view(ExportDownloadView())
    now = dt_util.utcnow()
    for token in [token for token, item in downloads.items() if item.expires <= now]:
        del downloads[token]
    token = secrets.token_urlsafe(24)
    expires = now + EXPORT_LINK_VALIDITY
    downloads[token] = Download(path, expires)
    # Relative: the frontend opens it on the address the user is on. A guessed host may not be
    # reachable (Home Assistant's network detection picks any local address).
    return async_sign_path(hass, EXPORT_URL.format(token=token), EXPORT_LINK_VALIDITY), expires


class ExportDownloadView(HomeAssistantView):
    """Serve a file the export action wrote: signed link (or login) required, until it expires."""

    url = EXPORT_URL.replace("{token}", "{token:[A-Za-z0-9_-]+}")
    name = f"api:{DOMAIN}:export"
    requires_auth = True

    async def get(self, request: web.Request, token: str) -> web.StreamResponse:
        """Return the file as an attachment, or 404."""
        hass: HomeAssistant = request.app[KEY_HASS]
        download = hass.data.get(DATA_DOWNLOADS, {}).get(token)
        if download is None or download.expires <= dt_util.utcnow():
            return web.Response(status=HTTPStatus.NOT_FOUND)
        if not await hass.async_add_executor_job(download.path.is_file):
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.FileResponse(
            download.path,
            headers={"Content-Disposition": f'attachment; filename="{download.path.name}"'},
        )
