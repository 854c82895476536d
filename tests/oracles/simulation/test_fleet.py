"""Every simulated device signs with its own deterministic key; readings come out in time order."""

from __future__ import annotations

from datetime import date

from ledger.encoding import Quantity, Unit
from ledger.signing import verify_signature
from oracles.simulation import CompoundFleet, xihuamen
from oracles.simulation.faults import Offline
from oracles.simulation.workdays import local_midnight

START = local_midnight(date(2026, 3, 2))


def test_each_device_has_its_own_key_and_the_seed_reproduces_them() -> None:
    fleet = CompoundFleet(xihuamen(), "s1")
    keys = {i.public_key for i in fleet.identities.values()}
    ids = {i.device_id for i in fleet.identities.values()}
    assert len(keys) == len(ids) == 170
    again = CompoundFleet(xihuamen(), "s1")
    assert [i.public_key for i in again.identities.values()] == [i.public_key for i in fleet.identities.values()]
    other = CompoundFleet(xihuamen(), "s2")
    assert not keys & {i.public_key for i in other.identities.values()}


def test_readings_are_signed_cumulative_values_at_scale_minus_three() -> None:
    fleet = CompoundFleet(xihuamen(), "s1", interval=900)
    steps = list(fleet.readings(fleet.series(START + 3600, start=START)))
    assert [len(s) for s in steps] == [170] * 4 and [s[0].slot for s in steps] == [START + 900 * k for k in (1, 2, 3, 4)]
    for step in steps:
        for r in step:
            reading = r.signed.reading
            assert verify_signature(r.signed, r.identity.public_key)
            assert reading.device_id == r.identity.device_id and reading.scale == -3
            assert reading.timestamp == r.slot
    plug = [r.signed.reading for s in steps for r in s if r.identity.device.name == "E-A-office_plug-01"]
    assert [r.sequence for r in plug] == [1, 2, 3, 4]
    assert plug[0].quantity == Quantity.ACTIVE_ENERGY_IMPORT and plug[0].unit == Unit.KWH
    assert all(a.value < b.value for a, b in zip(plug, plug[1:]))


def test_resuming_from_final_states_continues_sequences_and_counters() -> None:
    fleet = CompoundFleet(xihuamen(), "s1", interval=900)
    first = fleet.series(START + 86400, start=START)
    states = {name: s.final for name, s in first.items()}
    second = fleet.series(START + 2 * 86400, states=states)
    for name, s in second.items():
        assert s.sequences[0] == first[name].sequences[-1] + 1
        assert s.slots[0] == first[name].slots[-1] + 900
        if s.device.cumulative:
            assert s.values[0] >= first[name].values[-1]


def test_readings_since_a_time_skip_earlier_slots_and_faults_apply() -> None:
    fleet = CompoundFleet(xihuamen(), "s1", interval=900)
    series = fleet.series(START + 7200, start=START, faults=[Offline("W-O-irrigation-01", START)])
    steps = list(fleet.readings(series, since=START + 3600))
    assert len(steps) == 4 and all(len(s) == 169 for s in steps)


def test_device_profiles_give_the_oracle_each_ratings_and_interval() -> None:
    fleet = CompoundFleet(xihuamen(), "s1", interval=900)
    profiles = {p["label"]: p for p in fleet.device_profiles()}
    assert len(profiles) == 170 and {p["interval_seconds"] for p in profiles.values()} == {900}
    water = fleet.compound.device("W-A-domestic_water-01")
    assert float(profiles[water.name]["rating"]) == 1.25 * water.rating  # overload flow Q4 = 1.25 × Q3
    feeder = fleet.compound.device("L-A-lighting-01")
    assert float(profiles[feeder.name]["rating"]) == feeder.rating and profiles[feeder.name]["counter_max"] is None
    assert profiles[feeder.name]["device_id"] == "0x" + fleet.identities[feeder.name].device_id.hex()
