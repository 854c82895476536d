"""A zero-carbon meeting's footprint (ledger/accounting/meeting.py): exact figures, its rules and its claim id."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from ledger.accounting.errors import UnitMismatch
from ledger.accounting.meeting import (
    GREEN_MODES, InvalidMeeting, Meeting, Participant, RoomEnergy, UncoveredSlot, claim_id_for, credits_to_retire,
    footprint_cid_in_reason, meeting_claim_id, meeting_footprint, offset_reason, room_energy,
)
from ledger.accounting.meeting_description import meeting_from_document
from ledger.accounting.metered import DeviceActivity
from ledger.accounting.published import TRAVEL_MODE_KEYS
from ledger.accounting.quantities import Quantity
from ledger.chain.clients import LedgerContracts
from ledger.encoding import DeviceKind, Quantity as Measured, Reading, Unit
from ledger.evidence import LocalEvidenceStore, compute_cid
from ledger.signing import sign_reading
from oracles.simulator import SimulatedMeter
from tests.oracles.conftest import make_node, register

SLOT_START = 1_646_100_000  # 2022-03-01 10:00:00 +08:00
SLOT_END = SLOT_START + 7_200  # 12:00, a two-hour meeting
DOCUMENT = {
    "room": 6, "title": "Quarterly review",
    "start": "2022-03-01T10:00:00+08:00", "end": "2022-03-01T12:00:00+08:00",
    "sheets": 40,
    "participants": [
        {"name": "Li", "mode": "metro", "distance_km": "12", "green": ["green_travel"]},
        {"name": "Wang", "mode": "car", "distance_km": "8"},
        {"name": "Zhao", "mode": "walk", "distance_km": "1.5"},
    ],
}
CLAIM = bytes.fromhex("c1" * 32)


def energy_of(kwh: str, room: int = 6, start: int = SLOT_START, end: int = SLOT_END, unit: str = "kWh") -> RoomEnergy:
    device = DeviceActivity(b"\x0e" * 32, "electricity.grid", Quantity(kwh, unit), 3, (), 0)
    return RoomEnergy(room, 4, start, end, (device,), (b"\xaa" * 32,))


def anchor_room_readings(contracts: LedgerContracts, tree, data_dir: Path, last: int = SLOT_END + 1_800) -> SimulatedMeter:
    """A meter in the meeting room reading 2.5 kWh an hour at 09:30, 10:30, … up to `last` (default 12:30),
    and a busier building meter that must not count; all anchored through a real oracle node."""
    room_meter = register(contracts, tree.room, SimulatedMeter.create("room-kwh", DeviceKind.ELECTRICITY_METER, b"m", 0))
    hall_meter = register(contracts, tree.building, SimulatedMeter.create("hall-kwh", DeviceKind.ELECTRICITY_METER, b"m", 0))
    readings = []
    for meter, per_hour in ((room_meter, 2_500), (hall_meter, 40_000)):
        times = range(SLOT_START - 1_800, last + 1, 3_600)
        readings += [sign_reading(Reading(meter.device_id, i + 1, t, Measured.ACTIVE_ENERGY_IMPORT, Unit.KWH, -3,
                                          1_000_000 + i * per_hour), meter.key) for i, t in enumerate(times)]
    node = make_node(contracts, tree.institution, data_dir / "oracle")
    node.evidence = LocalEvidenceStore(data_dir / "evidence")
    node.ingest(("test", r) for r in readings)
    node.flush()
    node.spool.close()
    return room_meter


def test_two_hour_meeting_figures_computed_by_hand() -> None:
    """2-hour meeting, 5 kWh metered, 40 sheets, three participants (methodology zero-carbon-meeting@1,
    factors cn-public-institution@2022.1; every line rounded to 0.001 kg HALF_UP, totals sum the lines):

        energy   5 kWh × 0.5703 kg/kWh (570.3 g)       = 2.8515   → 2.852 kg
        paper    40 sheets × 2.6 g                     = 104 g    → 0.104 kg
        Li       metro 12 km × 30.84 g/pkm             = 370.08 g → 0.370 kg
        Wang     car 8 km × 192.28 g/pkm               = 1538.24 g → 1.538 kg
        Zhao     walk 1.5 km × 0                        =            0.000 kg
        gross    2.852 + 0.104 + 0.370 + 1.538 + 0      =            4.864 kg
        offsets  Li travelled green: 1 × 3.6 kg (non-credit, the seed's 人均绿色出行减碳量) = 3.600 kg
        net      4.864 − 3.600                          =            1.264 kg
        credits  ⌈0.001264 t⌉                           =            1 t
    """
    meeting = meeting_from_document(DOCUMENT)
    assert (meeting.start, meeting.end) == (SLOT_START, SLOT_END)
    footprint = meeting_footprint(meeting, energy_of("5.000"), CLAIM)
    rows = [(l.category, l.subject, str(l.line.amount), l.line.factor_key, l.line.rounded.value) for l in footprint.lines]
    assert rows == [
        ("energy", "0x" + "0e" * 32, "5.000 kWh", "electricity.grid.cn_national", Decimal("2.852")),
        ("paper", "paper", "40 sheet", "paper.a4", Decimal("0.104")),
        ("travel", "Li", "12 passenger-km", "travel.metro", Decimal("0.370")),
        ("travel", "Wang", "8 passenger-km", "travel.car_petrol_medium", Decimal("1.538")),
        ("travel", "Zhao", "1.5 passenger-km", "travel.walk_cycle", Decimal("0.000")),
        ("offset", "Li", "1 person", "meeting.green_travel", Decimal("3.600")),
    ]
    assert footprint.lines[0].line.exact == Quantity("2.8515", "kgCO2e")
    assert (footprint.gross, footprint.offsets_claimed, footprint.offsets, footprint.net) == (
        Quantity("4.864", "kgCO2e"), Quantity("3.6", "kgCO2e"), Quantity("3.6", "kgCO2e"), Quantity("1.264", "kgCO2e"))
    assert footprint.credits_tonnes == 1
    assert footprint.methodology_label == "zero-carbon-meeting@1"
    assert footprint.factor_set_label == "cn-public-institution@2022.1"
    assert footprint.batch_roots == (b"\xaa" * 32,)
    assert "non-credit" in footprint.notes[0]
    document = footprint.to_json()
    assert document["offsets_are_credits"] is False
    assert (document["gross_kgco2e"], document["net_kgco2e"], document["credits_tonnes"]) == ("4.864", "1.264", 1)


def test_offsets_never_take_the_net_below_zero() -> None:
    """Three green travellers claim 3 × 3.6 = 10.8 kg against a gross of 0.5703 + 0.026 + 0.000 = 0.596 kg
    (1 kWh, 10 sheets, walking): only 0.596 lowers the net, which is 0, so nothing is retired."""
    document = {**DOCUMENT, "sheets": 10, "participants": [
        {"name": n, "mode": "walk", "distance_km": "0", "green": ["green_travel"]} for n in ("a", "b", "c")]}
    footprint = meeting_footprint(meeting_from_document(document), energy_of("1"), CLAIM)
    assert footprint.gross == Quantity("0.596", "kgCO2e")
    assert footprint.offsets_claimed == Quantity("10.8", "kgCO2e")
    assert footprint.offsets == footprint.gross and footprint.net == Quantity(0, "kgCO2e")
    assert footprint.credits_tonnes == 0
    assert "exceed the gross footprint" in footprint.notes[1]


def test_credits_round_up_to_whole_tonnes() -> None:
    assert [credits_to_retire(Quantity(v, "kgCO2e")) for v in ("0", "0.001", "1000", "1000.001", "2999.999")] == [
        0, 1, 1, 2, 3]


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"mode": "car"}, "participants[0].green", "not green travel"),
    ({"green": ["green_dining"]}, "participants[0].green", "quantifies no offset for 'green_dining'"),
    ({"green": ["green_travel", "green_travel"]}, "participants[0].green", "more than once"),
])
def test_offsets_only_as_the_seed_allows(change: dict, field: str, words: str) -> None:
    document = {**DOCUMENT, "participants": [{**DOCUMENT["participants"][0], **change}]}
    with pytest.raises(InvalidMeeting) as refused:  # before any reading is fetched
        meeting_from_document(document)
    assert refused.value.field == field and words in str(refused.value)


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"participants": [{"name": "Li", "mode": "metro", "distance_km": Decimal("12.5")}, {"name": "Wang", "mode": "car",
                                                                                         "distance_km": 8.5}]},
     "participants[1].distance_km", "floats are not accepted"),
    ({"participants": [{"name": "Li", "mode": "metro"}]}, "participants[0].distance_km", "missing"),
    ({"participants": [{"name": "Li", "mode": "rocket", "distance_km": "1"}]}, "participants[0].mode", "unknown mode"),
    ({"participants": [{"name": "Li", "mode": "bus", "distance_km": "-1"}]}, "participants[0].distance_km", "≥ 0"),
    ({"start": "2022-03-01T10:00:00"}, "start", "no UTC offset"),
    ({"end": "2022-03-01T09:00:00+08:00"}, "end", "at or before it starts"),
    ({"room": "six"}, "room", "positive integer"),
    ({"sheets": "2.5"}, "sheets", "whole number"),
    ({"seats": 12}, "seats", "unknown field"),
])
def test_a_bad_description_names_the_field(change: dict, field: str, words: str) -> None:
    with pytest.raises(InvalidMeeting) as refused:
        meeting_from_document({**DOCUMENT, **change})
    assert refused.value.field == field and words in str(refused.value)


def test_unit_mismatches_are_errors() -> None:
    with pytest.raises(UnitMismatch, match="meeting paper: kg vs sheet"):
        Meeting(6, SLOT_START, SLOT_END, "", Quantity(40, "kg"), ())
    with pytest.raises(UnitMismatch, match=r"participants\[0\].distance: kWh vs km"):
        Meeting(6, SLOT_START, SLOT_END, "", Quantity(40, "sheet"), (Participant("Li", "metro", Quantity(3, "kWh")),))
    with pytest.raises(UnitMismatch, match="activity 'electricity.grid': Wh vs kWh"):
        meeting_footprint(meeting_from_document(DOCUMENT), energy_of("5000", unit="Wh"), CLAIM)
    with pytest.raises(UnitMismatch, match="credits to retire: tCO2e vs kgCO2e"):
        credits_to_retire(Quantity(1, "tCO2e"))


def test_energy_of_another_slot_is_refused() -> None:
    with pytest.raises(InvalidMeeting, match="is not this meeting's slot"):
        meeting_footprint(meeting_from_document(DOCUMENT), energy_of("5", end=SLOT_END + 60), CLAIM)


def test_claim_id_is_the_rooms_slot_on_one_deployment() -> None:
    """keccak256(abi.encode(keccak256("zcl/meeting-claim/v1"), 31337, registry, 6, start, end)), pinned."""
    registry = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    claim = meeting_claim_id(31337, registry, 6, SLOT_START, SLOT_END)
    assert claim.hex() == "db8db753b87be12efb4d065e9af2b13e6e6cf29c8d5f6af32d907496bc446df1"
    others = {meeting_claim_id(1, registry, 6, SLOT_START, SLOT_END), meeting_claim_id(31337, registry, 7, SLOT_START, SLOT_END),
              meeting_claim_id(31337, registry, 6, SLOT_START, SLOT_END + 1),
              meeting_claim_id(31337, "0x" + "11" * 20, 6, SLOT_START, SLOT_END)}
    assert claim not in others and len(others) == 4


def test_the_reason_carries_the_footprint_cid() -> None:
    footprint = meeting_footprint(meeting_from_document(DOCUMENT), energy_of("5"), CLAIM)
    cid = compute_cid(footprint.encode())
    reason = offset_reason(footprint, cid)
    assert reason == (f"Zero-carbon meeting 'Quarterly review', room 6: 1.264 kgCO2e net of 3.600 kgCO2e non-credit "
                      f"offsets; footprint ipfs://{cid}")
    assert footprint_cid_in_reason(reason) == cid and footprint_cid_in_reason("zero-carbon 2024") is None


participants = st.lists(st.builds(
    lambda mode, milli_km, green: Participant(f"p-{mode}-{milli_km}", mode, Quantity(Decimal(milli_km).scaleb(-3), "km"),
                                              ("green_travel",) if green and mode in GREEN_MODES else ()),
    st.sampled_from(TRAVEL_MODE_KEYS), st.integers(0, 500_000), st.booleans()), max_size=8)


def _meeting(people: list[Participant] | tuple[Participant, ...]) -> Meeting:
    return Meeting(6, SLOT_START, SLOT_END, "", Quantity(40, "sheet"), tuple(people))


@settings(max_examples=150, deadline=None)
@given(participants, participants, st.randoms())
def test_footprint_is_additive_over_participants_and_ignores_their_order(first, second, rnd: random.Random) -> None:
    energy = energy_of("5.000")
    both = meeting_footprint(_meeting(first + second), energy, CLAIM)
    room_only = meeting_footprint(_meeting([]), energy, CLAIM)
    alone = [meeting_footprint(_meeting([p]), energy, CLAIM) for p in first + second]
    expected = room_only.gross
    for f in alone:
        expected = expected + (f.gross - room_only.gross)
    assert both.gross == expected
    assert both.offsets_claimed == sum((f.offsets_claimed for f in alone), Quantity(0, "kgCO2e"))
    shuffled = list(first + second)
    rnd.shuffle(shuffled)
    again = meeting_footprint(_meeting(shuffled), energy, CLAIM)
    assert (again.gross, again.offsets, again.net, again.credits_tonnes) == (both.gross, both.offsets, both.net,
                                                                             both.credits_tonnes)
    assert sorted(map(repr, again.lines)) == sorted(map(repr, both.lines))
    assert both.net == both.gross - both.offsets and both.net.value >= 0 and both.offsets <= both.gross
    assert both.credits_tonnes * 1000 >= both.net.value > (both.credits_tonnes - 1) * 1000


def test_room_energy_prorates_the_rooms_anchored_readings(contracts, tree, settings) -> None:
    """The room meter reads at 09:30, 10:30, 11:30, 12:30 (2.5 kWh an hour); the slot 10:00–12:00 takes half
    of the first and last intervals: 1.25 + 2.5 + 1.25 = 5.000 kWh, two boundary estimates. The hall meter
    (building, not room) does not count, nor does a kW circuit monitor in the room. The footprint is then the
    hand-computed one above."""
    meter = anchor_room_readings(contracts, tree, settings.data_dir)
    contracts.devices.register_device(b"\x7a" * 32, tree.room, int(DeviceKind.CIRCUIT_MONITOR), int(Unit.KW),
                                      meter.public_key)  # instantaneous kW, never activity data: not required
    store = LocalEvidenceStore(settings.data_dir / "evidence")
    energy = room_energy(contracts, store, tree.room, SLOT_START, SLOT_END)
    assert [(d.device_id, d.amount, len(d.estimates)) for d in energy.devices] == [(meter.device_id, Quantity("5.000", "kWh"), 2)]
    assert energy.institution_id == tree.institution and len(energy.batch_roots) == 1
    meeting = meeting_from_document({**DOCUMENT, "room": tree.room})
    claim = claim_id_for(contracts, meeting)
    assert claim == meeting_claim_id(contracts.organizations.chain.chain_id, contracts.organizations.contract.address,
                                     tree.room, SLOT_START, SLOT_END)
    footprint = meeting_footprint(meeting, energy, claim)
    assert (footprint.gross, footprint.net, footprint.credits_tonnes) == (
        Quantity("4.864", "kgCO2e"), Quantity("1.264", "kgCO2e"), 1)
    with pytest.raises(InvalidMeeting, match="is not a room"):
        room_energy(contracts, store, tree.building, SLOT_START, SLOT_END)


def test_a_slot_the_readings_do_not_reach_is_refused(contracts, tree, settings) -> None:
    anchor_room_readings(contracts, tree, settings.data_dir, last=SLOT_END - 1_800)  # last reading 11:30
    store = LocalEvidenceStore(settings.data_dir / "evidence")
    with pytest.raises(UncoveredSlot, match=f"needs a reading at or before {SLOT_START} and at or after {SLOT_END}"):
        room_energy(contracts, store, tree.room, SLOT_START, SLOT_END)
