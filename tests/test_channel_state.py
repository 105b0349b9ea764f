"""Tests of the pure channel model (channel_state.py): topics, checks, values and storage."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, strategies as st

from custom_components.lowi_ores.channel_state import (
    CHANNEL_KEYS,
    ChannelState,
    channel_number,
    is_electric,
    model_of,
    payload_labels,
    problem,
    stored_channels,
)
from custom_components.lowi_ores.parser import Reading


def test_channel_numbers() -> None:
    """Only CH1..CH14, written as the dongle writes them."""
    assert [channel_number(f"CH{n}") for n in range(1, 15)] == list(range(1, 15))
    for level in (
        "CH0",
        "CH15",
        "CH01",
        "ch1",
        "CH",
        "CH+",
        "CH1a",
        "CH\u0661",
        "PUB",
        "",
        "CH100",
    ):
        assert channel_number(level) is None, level


@given(st.text(max_size=8))
def test_channel_number_never_raises(level: str) -> None:
    """Any topic level gives a channel from 1 to 14 or None."""
    number = channel_number(level)
    assert number is None or (1 <= number <= 14 and level == f"CH{number}")


def test_problems() -> None:
    """A device_CH that contradicts the topic, or no channel field, is refused."""
    assert problem(Reading(channel=2, channel_power=1.0), 1) is not None
    assert problem(Reading(channel=1, import_power=1.0), 1) is not None
    assert problem(Reading(channel=1, relay_on=False), 1) is None
    assert problem(Reading(channel_power=1.0), 1) is None


def test_units_and_labels() -> None:
    """Electricity unless the Units label says otherwise; Type and Units make the model."""
    assert is_electric(None)
    assert is_electric(" KWH ")
    assert not is_electric("m3")
    assert not is_electric("Various")
    assert payload_labels('{"Type": "MB", "Units": 3}') == ("MB", "3")
    for junk in ("[1]", "not json", '{"Type": true}', "x" * 70_000, b"\xff"):
        assert payload_labels(junk) == (None, None)
    assert model_of("MB", "kWh") == "MB (kWh)"
    assert model_of(None, "kWh") == "kWh"
    assert model_of(None, None) is None


def test_update_values_and_keys() -> None:
    """Values in kWh; new keys reported once; the total sums the indexes the channel sends."""
    state = ChannelState(number=1)
    reading = Reading(channel_power=500.0, channel_index_high=1000.0, channel_energy_day=2500.0)
    for second in (0, 10):
        assert state.update(reading, second) == ({"power", "index_high", "index_total",
                                                  "energy_day"} if second == 0 else set())  # fmt: skip
    state.update(reading, 20)
    assert state.values["index_high"] == 1.0
    assert state.values["index_total"] == 1.0
    assert state.values["energy_day"] == 2.5
    assert state.update(Reading(channel_index_low=10.0, name="Pompe"), 30) == {"index_low"}
    assert state.name == "Pompe"
    # The low index is not confirmed yet: no total rather than a wrong one.
    assert state.values["index_total"] is None
    assert state.values["power"] is None


def test_glitches_are_held_back() -> None:
    """A fall to zero is held back and counted; an impossible power is dropped."""
    state = ChannelState(number=1)
    for second in (0, 10, 20):
        state.update(Reading(channel_index_high=5000.0), second)
    state.update(Reading(channel_index_high=0.0, channel_power=1e9), 30)
    assert state.values["index_high"] == 5.0
    assert state.values["power"] is None
    assert state.held_back == 3  # two while the first value was confirmed, then the glitch
    for second in (40, 50, 60):
        state.update(Reading(channel_index_high=100.0), second)
    assert state.values["index_high"] == 0.1
    assert state.replacements == 1


def test_raw_channel_keeps_values_as_sent() -> None:
    """A channel that is not electricity keeps its numbers as sent."""
    state = ChannelState(number=4, electric=False)
    for second in (0, 10, 20):
        state.update(Reading(channel_index_high=3456.0, channel_power=1e9), second)
    assert state.values["index_high"] == 3456.0
    assert state.values["power"] == 1e9


def test_storage_round_trip() -> None:
    """What is stored comes back: keys, names, guards."""
    state = ChannelState(number=3, name="Prise", model="Plug", electric=True)
    for second in (0, 10, 20):
        state.update(Reading(channel_index_high=5000.0, relay_on=True), second)
    stored = json.loads(json.dumps({"3": state.as_stored()}))
    restored = stored_channels(stored)[3]
    assert restored.keys == state.keys
    assert (restored.name, restored.model, restored.last_received) == ("Prise", "Plug", 20.0)
    assert restored.guards["index_high"].value == 5000.0


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.sampled_from(["1", "15", "name", "keys", "guards", "x"]), children)
        ),
        max_leaves=12,
    )
)
def test_malformed_store_is_ignored(data: Any) -> None:
    """Whatever the store holds, restoring gives valid channels or none."""
    for number, state in stored_channels(data).items():
        assert 1 <= number <= 14
        assert state.keys
        assert state.keys <= set(CHANNEL_KEYS)
    assert (
        stored_channels({"2": {"keys": ["power"], "name": 5, "last_received": True}})[2].name
        is None
    )
    assert stored_channels({"2": {"keys": ["bogus"]}}) == {}
    assert stored_channels({"2": {"keys": []}}) == {}
