"""The arithmetic of a prosumer's bill: periods, balances, quarter-hours, prices.

Pure Python, no Home Assistant import (like ``parser.py`` and ``counter_guard.py``): the
``ledger`` package feeds these modules the guarded counters and keeps their state.

* ``periods``: local-midnight boundaries in Europe/Brussels, reading periods, roll-over.
* ``net_metering``: the Walloon compensation balance since the yearly reading, its projection.
"""
