"""A zero-carbon meeting's footprint, and the claim id its offsetting retirement backs.

The seed (零碳会议室建设) meters the meeting room's electricity on its own, counts paper at 2.6 g per A4
sheet, and neutralises each meeting through participants' green behaviour (个人行为碳中和: 3.6 kg of green
travel per participant, 人均绿色出行减碳量), buying credits for the rest. Here:

- energy: the room's meters' attested readings (anchored batches whose evidence re-derives the anchor,
  `metered.collect_points`) over the booked slot [start, end), boundary intervals pro-rated exactly as
  `metered.interval_activity` does; a meter whose readings do not reach both ends of the slot is refused;
- paper and each participant's travel (mode × distance) are lines of their own;
- every line is `emission_line` of the `zero-carbon-meeting` methodology with a published factor set, so
  each names its factor, the set's (id, version, hash) and rounds once; totals are sums of rounded lines,
  which makes the footprint exactly additive over participants and independent of their order;
- green-behaviour offsets are NON-CREDIT offsets: avoided-emission estimates, not verified reductions.
  Only what the seed quantifies is accepted (green travel, once per participant, and only for a participant
  whose recorded mode is green), and together they reduce the reported net to zero at most;
- credits to retire: the net in tonnes rounded UP to whole units (one CarbonCredit unit is one tonne and
  amounts are integers), so the retirement always covers gross − offsets.

The claim id binds the meeting's identity — chain, organisation registry, room, slot — not its figures, so
a corrected footprint cannot be claimed a second time: RetirementCertificate lets a retiree back a
(ClaimKind.MEETING, claim id) once (ClaimAlreadyBacked). Description files are read by meeting_description.py.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING

from eth_abi import encode as abi_encode

from ledger.accounting.errors import AccountingError, NoActivityData, UnitMismatch
from ledger.accounting.factors import FactorSet, Period, canonical_json
from ledger.accounting.metered import (
    CHINA_STANDARD_TIME, GENERATION, DeviceActivity, MeterSeries, collect_points, interval_activity,
)
from ledger.accounting.methodology import EmissionLine, Methodology, emission_line
from ledger.accounting.published import CN_PUBLIC_INSTITUTION_2022, TRAVEL_MODE_KEYS, ZERO_CARBON_MEETING
from ledger.accounting.quantities import Quantity, canonical_decimal, kgco2e_to_tco2e, quantity_sum, unit
from ledger.accounting.report import boundary_devices
from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import DeviceStatus, NodeKind
from ledger.encoding import Unit as ReadingUnit
from ledger.evidence import EvidenceStore
from ledger.hashing import keccak256

FOOTPRINT_KIND = "zcl.meeting-footprint/1"
# keccak256("zcl/meeting-claim/v1"): the first word of every meeting claim's encoding (domain separation).
MEETING_CLAIM_DOMAIN = keccak256(b"zcl/meeting-claim/v1")
KG_CO2E = unit("kgCO2e")
KM = unit("km")
SHEET = unit("sheet")

# Registers that count up (activity data): an active room meter in one of these must cover the whole slot.
CUMULATIVE_UNITS = frozenset({ReadingUnit.WH, ReadingUnit.KWH, ReadingUnit.M3, ReadingUnit.LITRE, ReadingUnit.GJ})
# Spellings people use for the published travel modes (the canonical names are TRAVEL_MODE_KEYS).
MODE_ALIASES = {"car": "car_petrol_medium", "walk": "walk_cycle", "cycle": "walk_cycle", "bike": "walk_cycle",
                "tram": "light_rail_tram", "rail": "national_rail", "train": "national_rail", "subway": "metro"}
# 绿色出行: public transport, walking and cycling. A participant who drove or took a taxi did not travel green.
GREEN_MODES = frozenset({"national_rail", "light_rail_tram", "metro", "bus", "coach", "walk_cycle"})
# The behaviours the seed quantifies, each with its methodology activity and who may claim it. 绿色餐饮 and
# 绿色住宿 are named by the seed without a figure, so they are refused rather than guessed.
OFFSET_ACTIVITIES = {"green_travel": "offset.green_travel"}
OFFSETS_NOTE = ("Green-behaviour offsets are non-credit offsets: the seed's avoided-emission estimate (3.6 kg of "
                "green travel per participant who travelled green), not verified reductions. They lower the reported "
                "net, never below zero, and no credit is issued or retired for them.")


class InvalidMeeting(AccountingError):
    """A meeting description the footprint cannot be computed from; `field` names the offending entry."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


class UncoveredSlot(AccountingError):
    """A room meter whose attested readings do not reach both ends of the slot: its energy would be short."""

    def __init__(self, device_id: bytes, start: int, end: int, first: int | None, last: int | None) -> None:
        seen = f"readings from {first} to {last}" if first is not None else "no readings"
        super().__init__(f"meter 0x{device_id.hex()} does not cover the slot [{start}, {end}): "
                         f"it needs a reading at or before {start} and at or after {end} ({seen})")
        self.device_id = device_id


@dataclass(frozen=True, slots=True)
class Participant:
    """`distance` is the whole journey for this meeting (there and back), in km; `mode` a canonical mode name."""

    name: str
    mode: str
    distance: Quantity
    green_behaviours: tuple[str, ...] = ()


@dataclass(frozen=True)
class Meeting:
    """A booked slot [start, end) in unix seconds in a room (an OrganizationRegistry ROOM node)."""

    room_id: int
    start: int
    end: int
    title: str
    sheets: Quantity
    participants: tuple[Participant, ...]

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidMeeting("end", f"the slot ends ({self.end}) at or before it starts ({self.start})")
        if self.sheets.unit != SHEET:
            raise UnitMismatch("meeting paper", str(self.sheets.unit), "sheet")
        if self.sheets.value < 0 or self.sheets.value != self.sheets.value.to_integral_value():
            raise InvalidMeeting("sheets", f"must be a whole number of sheets ≥ 0, got {self.sheets.value}")
        for i, p in enumerate(self.participants):
            if p.distance.unit != KM:
                raise UnitMismatch(f"participants[{i}].distance", str(p.distance.unit), "km")
            if p.distance.value < 0:
                raise InvalidMeeting(f"participants[{i}].distance_km", f"must be ≥ 0, got {p.distance.value}")
            if p.mode not in TRAVEL_MODE_KEYS:
                raise InvalidMeeting(f"participants[{i}].mode", f"unknown mode {p.mode!r} (known: "
                                     f"{', '.join(TRAVEL_MODE_KEYS)}; aliases: {', '.join(sorted(MODE_ALIASES))})")
            for behaviour in p.green_behaviours:
                _check_offset(i, p, behaviour)

    @property
    def period(self) -> Period:
        """The days (China Standard Time) the slot falls on: what factor validity is checked against."""
        def day(t: int) -> datetime:
            return datetime.fromtimestamp(t, CHINA_STANDARD_TIME)
        return Period(day(self.start).date(), day(self.end - 1).date())


@dataclass(frozen=True)
class RoomEnergy:
    """The room's meters over the slot, from anchored and re-checked batches."""

    room_id: int
    institution_id: int
    start: int
    end: int
    devices: tuple[DeviceActivity, ...]
    batch_roots: tuple[bytes, ...]  # sorted: every anchored batch read for the slot (what an auditor re-reads)


@dataclass(frozen=True, slots=True)
class FootprintLine:
    """One line of the footprint: `category` is energy, paper, travel or offset; `subject` what it is about
    (a meter id, "paper", a participant). Offset lines carry the offset as a positive amount."""

    category: str
    subject: str
    line: EmissionLine


@dataclass(frozen=True)
class MeetingFootprint:
    meeting: Meeting
    claim_id: bytes
    methodology_label: str
    methodology_hash: str
    factor_set_label: str
    factor_set_hash: str
    batch_roots: tuple[bytes, ...]
    lines: tuple[FootprintLine, ...]
    gross: Quantity  # kgCO2e: energy + paper + travel
    offsets_claimed: Quantity  # kgCO2e: every accepted green-behaviour offset
    offsets: Quantity  # kgCO2e: what lowers the net, min(claimed, gross)
    net: Quantity  # gross − offsets, ≥ 0
    credits_tonnes: int  # ceil(net in t): whole CarbonCredit units to retire
    notes: tuple[str, ...] = field(default=())

    def by_category(self) -> dict[str, Quantity]:
        return {c: quantity_sum((l.line.rounded for l in self.lines if l.category == c), KG_CO2E)
                for c in ("energy", "paper", "travel", "offset")}

    def to_json(self) -> dict[str, object]:
        m = self.meeting
        return {
            "kind": FOOTPRINT_KIND,
            "claim_id": "0x" + self.claim_id.hex(),
            "meeting": {"room": m.room_id, "title": m.title, "start_unix": m.start, "end_unix": m.end,
                        "sheets": canonical_decimal(m.sheets.value),
                        "participants": [{"name": p.name, "mode": p.mode, "distance_km": canonical_decimal(p.distance.value),
                                          "green_behaviours": list(p.green_behaviours)} for p in m.participants]},
            "methodology": {"label": self.methodology_label, "hash": self.methodology_hash},
            "factor_set": {"label": self.factor_set_label, "hash": self.factor_set_hash},
            "input_batches": ["0x" + r.hex() for r in self.batch_roots],
            "lines": [{
                "category": l.category, "subject": l.subject, "activity": l.line.activity,
                "amount": canonical_decimal(l.line.amount.value), "unit": str(l.line.amount.unit),
                "factor": l.line.factor_key, "factor_value": canonical_decimal(l.line.factor.value),
                "factor_unit": str(l.line.factor.unit), "scope": int(l.line.scope),
                "kgco2e_exact": canonical_decimal(l.line.exact.value), "kgco2e": canonical_decimal(l.line.rounded.value),
            } for l in self.lines],
            "gross_kgco2e": canonical_decimal(self.gross.value),
            "offsets_claimed_kgco2e": canonical_decimal(self.offsets_claimed.value),
            "offsets_kgco2e": canonical_decimal(self.offsets.value),
            "offsets_are_credits": False,
            "net_kgco2e": canonical_decimal(self.net.value),
            "credits_tonnes": self.credits_tonnes,
            "notes": list(self.notes),
        }

    def encode(self) -> bytes:
        """Canonical JSON: the bytes stored as evidence and named (by CID) in the retirement's reason."""
        return canonical_json(self.to_json())

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.encode()).hexdigest()


def meeting_claim_id(chain_id: int, organizations: str, room_id: int, start: int, end: int) -> bytes:
    """keccak256(abi.encode(MEETING_CLAIM_DOMAIN, chainId, organizations, roomId, start, end)) as
    bytes32, uint256, address, uint64, uint40, uint40 — the shape of CertificationRegistry's claim ids
    (bound to a chain and a registry), so a room's slot is one claim on one deployment and nowhere else."""
    if not (0 < room_id < 1 << 64 and 0 <= start < end < 1 << 40):
        raise InvalidMeeting("slot", f"room {room_id}, [{start}, {end}) does not fit the claim encoding")
    return keccak256(abi_encode(["bytes32", "uint256", "address", "uint64", "uint40", "uint40"],
                                [MEETING_CLAIM_DOMAIN, chain_id, organizations, room_id, start, end]))


def claim_id_for(contracts: LedgerContracts, meeting: Meeting) -> bytes:
    """The meeting's claim id on the chain and deployment `contracts` are attached to."""
    organizations = contracts.organizations
    return meeting_claim_id(organizations.chain.chain_id, organizations.contract.address,
                            meeting.room_id, meeting.start, meeting.end)


def room_energy(contracts: LedgerContracts, evidence: EvidenceStore, room_id: int, start: int, end: int) -> RoomEnergy:
    """What the room's registered meters measured in [start, end), from anchored, re-checked readings only."""
    organizations = contracts.organizations
    if organizations.node(room_id).kind != NodeKind.ROOM:
        raise InvalidMeeting("room", f"node {room_id} is not a room")
    institution_id = organizations.institution_of(room_id)
    devices = boundary_devices(contracts, institution_id, room_id) or frozenset()
    if not devices:
        raise NoActivityData(f"room {room_id}: no meter is registered in it (a zero-carbon room is metered on its own)")
    series, roots = collect_points(contracts, evidence, institution_id, start, end, devices=devices)
    for device_id in sorted(devices):
        device = contracts.devices.device(device_id)
        if device.status == DeviceStatus.ACTIVE and device.unit in CUMULATIVE_UNITS:
            _check_coverage(device_id, series.get(device_id), start, end)
    activities = tuple(d for d in interval_activity(series, start, end) if d.activity not in GENERATION.values())
    return RoomEnergy(room_id, institution_id, start, end, activities, roots)


def meeting_footprint(
    meeting: Meeting,
    energy: RoomEnergy,
    claim_id: bytes,
    methodology: Methodology = ZERO_CARBON_MEETING,
    factors: FactorSet = CN_PUBLIC_INSTITUTION_2022,
) -> MeetingFootprint:
    """The footprint of `meeting` given its room's metered `energy` (see the module docstring for the rules)."""
    if (energy.room_id, energy.start, energy.end) != (meeting.room_id, meeting.start, meeting.end):
        raise InvalidMeeting("room", f"energy of room {energy.room_id} [{energy.start}, {energy.end}) is not this "
                                     f"meeting's slot (room {meeting.room_id} [{meeting.start}, {meeting.end}))")
    if len(claim_id) != 32:
        raise InvalidMeeting("claim_id", f"must be 32 bytes, got {len(claim_id)}")
    period = meeting.period

    def line(category: str, subject: str, activity: str, amount: Quantity) -> FootprintLine:
        return FootprintLine(category, subject, emission_line(methodology, activity, amount, factors, period))

    lines = [line("energy", "0x" + d.device_id.hex(), d.activity, d.amount) for d in energy.devices]
    lines.append(line("paper", "paper", "paper.a4", meeting.sheets))
    for p in meeting.participants:
        lines.append(line("travel", p.name, f"travel.{p.mode}", Quantity(p.distance.value, "passenger-km")))
    for p in meeting.participants:
        for behaviour in p.green_behaviours:
            lines.append(line("offset", p.name, OFFSET_ACTIVITIES[behaviour], Quantity(1, "person")))
    gross = quantity_sum((l.line.rounded for l in lines if l.category != "offset"), KG_CO2E)
    claimed = quantity_sum((l.line.rounded for l in lines if l.category == "offset"), KG_CO2E)
    applied = min(claimed, gross)
    net = gross - applied
    notes = [OFFSETS_NOTE] if claimed.value else []
    if applied < claimed:
        notes.append(f"Offsets claimed ({claimed}) exceed the gross footprint; only {applied} lower the net.")
    return MeetingFootprint(
        meeting=meeting, claim_id=claim_id,
        methodology_label=methodology.label, methodology_hash=methodology.content_hash,
        factor_set_label=factors.label, factor_set_hash=factors.content_hash,
        batch_roots=energy.batch_roots, lines=tuple(lines),
        gross=gross, offsets_claimed=claimed, offsets=applied, net=net, credits_tonnes=credits_to_retire(net),
        notes=tuple(notes),
    )


def credits_to_retire(net: Quantity) -> int:
    """Whole tonnes covering `net` kgCO2e: CarbonCredit units are tonnes and retire only in integers."""
    if net.unit != KG_CO2E:
        raise UnitMismatch("credits to retire", str(net.unit), "kgCO2e")
    return max(int(kgco2e_to_tco2e(net).value.to_integral_value(rounding=ROUND_CEILING)), 0)


def offset_reason(footprint: MeetingFootprint, footprint_cid: str) -> str:
    """The retirement's reason: what it offsets, and the footprint's evidence CID (`footprint_cid_in_reason`)."""
    m = footprint.meeting
    title = f" {m.title!r}" if m.title else ""
    return (f"Zero-carbon meeting{title}, room {m.room_id}: {footprint.net} net of {footprint.offsets} "
            f"non-credit offsets; footprint ipfs://{footprint_cid}")


def footprint_cid_in_reason(reason: str) -> str | None:
    """The footprint CID an `offset_reason` names, or None for any other reason."""
    found = _REASON_CID.search(reason)
    return found.group(1) if found else None


_REASON_CID = re.compile(r"footprint ipfs://([A-Za-z0-9]+)$")


def _check_offset(index: int, participant: Participant, behaviour: str) -> None:
    """A green-behaviour offset is accepted only as the seed quantifies it (see OFFSET_ACTIVITIES, GREEN_MODES)."""
    where = f"participants[{index}].green"
    if behaviour not in OFFSET_ACTIVITIES:
        raise InvalidMeeting(where, f"the seed quantifies no offset for {behaviour!r} "
                                    f"(accepted: {', '.join(sorted(OFFSET_ACTIVITIES))})")
    if participant.green_behaviours.count(behaviour) > 1:
        raise InvalidMeeting(where, f"{behaviour!r} claimed more than once by {participant.name!r}")
    if behaviour == "green_travel" and participant.mode not in GREEN_MODES:
        raise InvalidMeeting(where, f"{participant.name!r} travelled by {participant.mode}, which is not green travel")


def _check_coverage(device_id: bytes, found: MeterSeries | None, start: int, end: int) -> None:
    times = sorted(p.timestamp for p in found.as_points()) if found is not None else []
    if not times or times[0] > start or times[-1] < end:
        raise UncoveredSlot(device_id, start, end, times[0] if times else None, times[-1] if times else None)
