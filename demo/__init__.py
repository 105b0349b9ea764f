"""Run the integration for real: Home Assistant, Mosquitto and the LoWi3 simulator together.

``python -m demo`` (started by scripts/develop) is the product demo; :mod:`demo.hass_config` and
:mod:`demo.processes` are shared with the end-to-end test.
"""
