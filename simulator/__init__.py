"""A LoWi3 simulator: a Belgian household with a 5 kWp roof, published as the dongle does.

The data model (:mod:`simulator.simulation` and the modules it uses) is pure Python with no MQTT
import, deterministic for a seed; :mod:`simulator.publisher` is the thin MQTT layer and
``python -m simulator`` the command line.
"""

from __future__ import annotations

from simulator.faults import FaultConfig
from simulator.simulation import Message, Simulation, SimulationConfig

__all__ = ["FaultConfig", "Message", "Simulation", "SimulationConfig"]
