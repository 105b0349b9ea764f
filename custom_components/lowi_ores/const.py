"""Constants for the LoWi3 (ORES / Fluvius P1) integration."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

DOMAIN: Final = "lowi_ores"
MANUFACTURER: Final = "2-Wire / Qonnex"
MODEL: Final = "LoWi3"

CONF_IDENT: Final = "ident"
CONF_TIMEOUT: Final = "availability_timeout"
CONF_CURRENT_SCALE: Final = "current_scale"
CONF_TARIFF_CODES: Final = "tariff_codes"
CONF_GAS_UNIT: Final = "gas_unit"
CONF_WATER_UNIT: Final = "water_unit"
CONF_IGNORED_CHANNELS: Final = "ignored_channels"
CONF_POWER_INTERVAL: Final = "power_interval"

# The P1 meter's channel. "PUB/CH" is upper case in every known firmware.
METER_TOPIC_FORMAT: Final = "{ident}/PUB/CH0"
DISCOVERY_TOPIC: Final = "+/PUB/CH0"
# One channel of a dongle. Each followed channel has its own subscription: a wildcard such as
# "{ident}/PUB/+" would also match CH0's topic, already carried by DISCOVERY_TOPIC, and the
# broker would then send every CH0 message twice.
CHANNEL_TOPIC_FORMAT: Final = "{ident}/PUB/CH{number}"
# The relay of a 2-Wire smart plug on a channel; plain text payload ON or OFF.
RELAY_TOPIC_FORMAT: Final = "{ident}/SET/REL/CH{channel}"
RELAY_ON: Final = "ON"
RELAY_OFF: Final = "OFF"

# A Belgian home connection tops out near 3 x 400 V x 63 A = 44 kVA: the most a home imports or
# exports, or a channel meters, in W (and the electricity counters' guards' Wh per hour).
MAX_HOME_POWER_W: Final = 60_000.0
# Wh an electricity index may gain beyond what MAX_HOME_POWER_W allows (a counter guard's margin),
# on CH0 and on the channels alike.
INDEX_GUARD_MARGIN_WH: Final = 100.0
# A power reading above this is not a home's, whatever the firmware: dropped, not recorded, on
# CH0 and on the channels alike.
MAX_PLAUSIBLE_POWER_W: Final = MAX_HOME_POWER_W * 2

# The dongle publishes "every minute" by default (10-20 s on some installations). Three missed
# minutes, with a little slack, before the entities turn unavailable.
DEFAULT_TIMEOUT: Final = timedelta(seconds=200)
MIN_TIMEOUT_SECONDS: Final = 30
MAX_TIMEOUT_SECONDS: Final = 3600

# "Write power at most every N seconds": 0 writes every message; otherwise N in this range.
DEFAULT_POWER_INTERVAL: Final = 0
MIN_POWER_INTERVAL: Final = 10
MAX_POWER_INTERVAL: Final = 300
# The recorder compiles long-term statistics per 5 minutes, aligned on the clock.
STATISTICS_PERIOD_SECONDS: Final = 300
# With a power interval, an index writes at most once per this many seconds (or per the
# interval, if longer): an index moves a Wh at a time, its history looks the same.
INDEX_INTERVAL_SECONDS: Final = 60
# ... and this close to the end of a statistics period it shows the meter's last value and
# every change, so that the period's last value is the meter's (identical statistics).
INDEX_CLOSING_SECONDS: Final = 2

# How long the manual setup waits for a first valid message on the dongle's topic.
SETUP_WAIT_SECONDS: Final = 75

# Scale of the current field "I" (see shared protocol notes): divisor to get amperes.
CURRENT_SCALE_AUTO: Final = "auto"
CURRENT_SCALE_MILLI: Final = "milliampere"
CURRENT_SCALE_CENTI: Final = "centiampere"
CURRENT_DIVISORS: Final = {CURRENT_SCALE_MILLI: 1000.0, CURRENT_SCALE_CENTI: 100.0}
# Until the automatic check has seen enough load, three independent owners' reading (mA) wins.
DEFAULT_CURRENT_SCALE: Final = CURRENT_SCALE_MILLI

# Units of the gas ("CG") and water ("CW") indexes as sent, and their divisors to m3.
VOLUME_UNIT_DM3: Final = "dm3"
VOLUME_UNIT_M3: Final = "m3"
VOLUME_DIVISORS: Final = {VOLUME_UNIT_DM3: 1000.0, VOLUME_UNIT_M3: 1.0}
DEFAULT_GAS_UNIT: Final = VOLUME_UNIT_DM3
DEFAULT_WATER_UNIT: Final = VOLUME_UNIT_DM3

# What the values of the tariff field "T" mean. The seed says 1 = day, 0 = night; a firmware that
# passed on the Belgian P1 numbering would send 1 = day, 2 = night.
TARIFF_DAY: Final = "day"
TARIFF_NIGHT: Final = "night"
TARIFF_CODE_MAPS: Final[dict[str, dict[int, str]]] = {
    "1_day_0_night": {1: TARIFF_DAY, 0: TARIFF_NIGHT},
    "0_day_1_night": {0: TARIFF_DAY, 1: TARIFF_NIGHT},
    "1_day_2_night": {1: TARIFF_DAY, 2: TARIFF_NIGHT},
}
DEFAULT_TARIFF_CODES: Final = "1_day_0_night"

# The channels a LoWi3 publishes besides the P1 meter (CH0), configured by its owner.
FIRST_CHANNEL: Final = 1
LAST_CHANNEL: Final = 14
# A channel device the user may delete: nothing received from it for this long.
CHANNEL_STALE_AFTER: Final = timedelta(days=1)
# How often the channels' silence is checked against the availability timeout.
CHANNEL_CHECK_INTERVAL: Final = timedelta(seconds=10)

# Storage of the counter guard's last accepted values, so a restart keeps the protection.
STORAGE_VERSION: Final = 1
STORAGE_SAVE_DELAY: Final = 60

# The export action.
SERVICE_EXPORT: Final = "export"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_RESOLUTION: Final = "resolution"
ATTR_FORMAT: Final = "format"
ATTR_PATH: Final = "path"
ATTR_CHANNELS: Final = "channels"
# Under the configuration directory, which Home Assistant never serves (unlike www/).
EXPORT_FOLDER: Final = (DOMAIN, "exports")
EXPORT_URL: Final = "/api/lowi_ores/exports/{token}"
EXPORT_LINK_VALIDITY: Final = timedelta(hours=24)

# Billing (options flow "billing" step; keys flat in the entry's options, dates as ISO strings).
CONF_REGION: Final = "region"
REGION_WALLONIA: Final = "wallonia"
REGION_FLANDERS: Final = "flanders"
REGION_BRUSSELS: Final = "brussels"
REGION_NONE: Final = "none"  # the form's "not set"; never stored: the key is removed instead
REGIONS: Final = (REGION_WALLONIA, REGION_FLANDERS, REGION_BRUSSELS)

CONF_NET_METERING: Final = "net_metering"
CONF_READING_DATE: Final = "reading_date"
CONF_NEXT_READING_DATE: Final = "next_reading_date"
CONF_READING_IMPORT_DAY: Final = "reading_import_day"
CONF_READING_IMPORT_NIGHT: Final = "reading_import_night"
CONF_READING_EXPORT_DAY: Final = "reading_export_day"
CONF_READING_EXPORT_NIGHT: Final = "reading_export_night"
# Bill index option -> the guarded counter it starts.
READING_INDEXES: Final = {
    CONF_READING_IMPORT_DAY: "import_day",
    CONF_READING_IMPORT_NIGHT: "import_night",
    CONF_READING_EXPORT_DAY: "export_day",
    CONF_READING_EXPORT_NIGHT: "export_night",
}
CONF_NETTING: Final = "netting"
NETTING_TOGETHER: Final = "together"
NETTING_SEPARATE: Final = "separate"
CONF_BILLABLE_PRICE: Final = "billable_price"
MAX_BILLABLE_PRICE: Final = 2.0  # EUR/kWh incl. VAT: anything above is a typing mistake
CONF_GRID_OPERATOR: Final = "grid_operator"
CONF_INVERTER_KW: Final = "inverter_kw"
MAX_INVERTER_KW: Final = 10.0  # compensation is for installations under 10 kVA
CONF_PROSUMER_RATE: Final = "prosumer_rate"
MAX_PROSUMER_RATE: Final = 500.0
# Wallonia's yearly prosumer tariff, EUR per kWe of inverter power per year, excluding VAT, as
# published for 2026 (the regional rebate ended in 2024). Defaults the user can edit: they change
# every January.
PROSUMER_RATES_2026: Final = {
    "ores": 80.98,
    "resa": 79.45,
    "aieg": 76.45,
    "aiesh": 93.67,
    "rew": 87.74,
}
DEFAULT_GRID_OPERATOR: Final = "ores"
# VAT on a household's electricity, and so on the prosumer tariff.
ELECTRICITY_VAT: Final = 0.06
# The Walloon form's keys, and every billing key (removed when the region is unset).
WALLONIA_KEYS: Final = (
    CONF_NET_METERING,
    CONF_READING_DATE,
    CONF_NEXT_READING_DATE,
    *READING_INDEXES,
    CONF_NETTING,
    CONF_BILLABLE_PRICE,
    CONF_GRID_OPERATOR,
    CONF_INVERTER_KW,
    CONF_PROSUMER_RATE,
)
# The capacity tariff (Flanders; offered, off by default, in the other regions).
CONF_CAPACITY_TARIFF: Final = "capacity_tariff"
CONF_CAPACITY_RATE: Final = "capacity_rate"
CONF_CAPACITY_WARNING_MARGIN: Final = "capacity_warning_margin"
CAPACITY_KEYS: Final = (CONF_CAPACITY_TARIFF, CONF_CAPACITY_RATE, CONF_CAPACITY_WARNING_MARGIN)
# EUR per kW of the 12-month mean peak, per year, VAT included: the middle of the 2026 rates of
# the Flemish grid areas (about 52 to 61). A default the user edits: the rate of each grid area
# changes every January.
CAPACITY_RATE_2026: Final = 56.5
MAX_CAPACITY_RATE: Final = 500.0
DEFAULT_CAPACITY_WARNING_MARGIN: Final = 0.5  # kW
BILLING_KEYS: Final = frozenset({CONF_REGION, *WALLONIA_KEYS, *CAPACITY_KEYS})
# Prices (options flow "billing" step, after the region; keys flat in the entry's options).
CONF_PRICE_MODEL: Final = "price_model"
CONF_BUY_PRICE: Final = "buy_price"
CONF_SELL_PRICE: Final = "sell_price"
CONF_BAND_LAYOUT: Final = "band_layout"
CONF_SPOT_ENTITY: Final = "spot_entity"
CONF_SPOT_RESOLUTION: Final = "spot_resolution"
CONF_SUPPLIER: Final = "supplier"
CONF_BUY_FACTOR: Final = "buy_factor"
CONF_BUY_OFFSET: Final = "buy_offset"
CONF_SELL_FACTOR: Final = "sell_factor"
CONF_SELL_OFFSET: Final = "sell_offset"
CONF_VAT: Final = "vat"
CONF_EXTRA_BUY_COST: Final = "extra_buy_cost"
SUPPLIER_CUSTOM: Final = "custom"
CURRENCY_EUR: Final = "EUR"
PRICE_UNIT: Final = "EUR/kWh"
