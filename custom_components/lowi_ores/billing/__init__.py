"""The arithmetic of a prosumer's bill: periods, balances, quarter-hours, prices.

Pure Python, no Home Assistant import (like ``parser.py`` and ``counter_guard.py``): the
``ledger`` package feeds these modules the guarded counters and keeps their state.

* ``periods``: local-midnight boundaries in Europe/Brussels, reading periods, roll-over.
* ``net_metering``: the Walloon compensation balance since the yearly reading, its projection.
* ``quarters``: fixed local-clock quarter-hours and the energy an index counts in each.
* ``capacity``: the Flemish capacity tariff's month peaks and 12-month mean.
* ``prices``: the five contract types, spot prices, and the cost of each slot.
"""
