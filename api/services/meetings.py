"""Zero-carbon meetings for the API: footprint, the retirement that offsets it, and reading it back.

The footprint is ledger.accounting.meeting's; the retirement backs the meeting's claim (ClaimKind.MEETING,
`claim_id_for`) and names the footprint's evidence CID in its reason (`offset_reason`), exactly as
`zcl meeting offset` does, so a certificate page can later re-derive the footprint from that evidence and
the anchored readings alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from eth_utils import to_checksum_address

from api.errors import ApiError, conflict
from api.services.chain import ChainAccess
from ledger.accounting.meeting import (Meeting, MeetingFootprint, claim_id_for, footprint_cid_in_reason,
                                       meeting_footprint, offset_reason, room_energy)
from ledger.accounting.meeting_description import meeting_from_document
from ledger.accounting.metered import CHINA_STANDARD_TIME
from ledger.accounting.published import factor_set, methodology
from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import ClaimKind
from ledger.chain.credits import Certificate, CreditContracts, NotEnoughCredits, cover_tonnes
from ledger.evidence import EvidenceError, compute_cid, open_evidence_store

METHODOLOGY = ("zero-carbon-meeting", "1")
FACTORS = ("cn-public-institution", "2022.1")


@dataclass(frozen=True)
class OffsetPlan:
    """What one retirement offsetting a meeting carries: the serials to burn and the claim it backs."""

    footprint: MeetingFootprint
    footprint_cid: str
    items: tuple[tuple[int, int], ...]  # (token id, tonnes)
    beneficiary: str
    reason: str

    def call(self) -> tuple[str, list[object]]:
        """The CarbonCredit function and arguments: `retire` for one token id, `retireBatch` for several."""
        m = self.footprint.meeting
        claim = [self.beneficiary, self.reason, int(ClaimKind.MEETING), self.footprint.claim_id, m.start, m.end]
        if len(self.items) == 1:
            return "retire", [self.items[0][0], self.items[0][1], *claim]
        return "retireBatch", [[t for t, _ in self.items], [a for _, a in self.items], *claim]


def footprint_of(contracts: LedgerContracts, chain: ChainAccess, meeting: Meeting,
                 method: tuple[str, str] = METHODOLOGY, factors: tuple[str, str] = FACTORS) -> MeetingFootprint:
    """The meeting's footprint from its room's anchored readings (UncoveredSlot, InvalidMeeting → 422)."""
    evidence = open_evidence_store(chain.settings.evidence_path, chain.settings.ipfs_api)
    energy = room_energy(contracts, evidence, meeting.room_id, meeting.start, meeting.end)
    return meeting_footprint(meeting, energy, claim_id_for(contracts, meeting), methodology(*method), factor_set(*factors))


def plan_offset(chain: ChainAccess, footprint: MeetingFootprint, holder: str, beneficiary: str | None,
                chosen: list[int] | None) -> OffsetPlan:
    """Whole tonnes covering the net footprint from `holder`'s credits; the footprint is stored as evidence."""
    if footprint.credits_tonnes == 0:
        raise conflict("nothing to retire: the meeting's net footprint is zero")
    bundle = CreditContracts.of(chain.contracts)
    try:
        items = cover_tonnes(bundle.credits.holdings(holder), footprint.credits_tonnes, chosen)
    except NotEnoughCredits as short:
        raise conflict(str(short), {"needed_tonnes": short.needed, "held_tonnes": short.held}) from None
    cid = store_footprint(chain, footprint)
    return OffsetPlan(footprint, cid, tuple(items), to_checksum_address(beneficiary or holder),
                      offset_reason(footprint, cid))


def store_footprint(chain: ChainAccess, footprint: MeetingFootprint) -> str:
    """Keep the footprint's canonical bytes as evidence (idempotent): the certificate page re-reads them."""
    return open_evidence_store(chain.settings.evidence_path, chain.settings.ipfs_api).add(footprint.encode())


def check_offset_transaction(contracts: LedgerContracts, data: str, footprint: MeetingFootprint) -> None:
    """422 unless a wallet's call data retires for this meeting's claim over its slot and names its footprint."""
    contract = CreditContracts.of(contracts).credits.contract
    try:
        function, args = contract.decode_function_input(data)
    except ValueError:
        raise ApiError(422, "not_an_offset", "the transaction is not a CarbonCredit call") from None
    name = function.fn_name
    if name not in ("retire", "retireBatch"):
        raise ApiError(422, "not_an_offset", f"the transaction calls {name}, not retire or retireBatch")
    m = footprint.meeting
    expected = {"claimKind": int(ClaimKind.MEETING), "claimId": footprint.claim_id, "periodStart": m.start,
                "periodEnd": m.end}
    found = {k: (bytes(args[k]) if k == "claimId" else int(args[k])) for k in expected}
    if found != expected:
        raise ApiError(422, "not_this_meeting", "the retirement does not back this meeting's claim over its slot",
                       {k: ("0x" + v.hex() if isinstance(v, bytes) else v) for k, v in found.items()})
    recorded = footprint_cid_in_reason(args["reason"])
    if recorded is None:
        raise ApiError(422, "not_this_meeting", "the reason names no footprint (… footprint ipfs://<cid>)")
    store_cid = footprint_cid(footprint)
    if recorded != store_cid:
        raise ApiError(422, "not_this_meeting", f"the reason names footprint {recorded}, this meeting's is {store_cid}")
    tonnes = int(args["amount"]) if name == "retire" else sum(int(a) for a in args["amounts"])
    if tonnes < footprint.credits_tonnes:
        raise ApiError(422, "offset_too_small", f"the retirement burns {tonnes} t; the meeting needs "
                       f"{footprint.credits_tonnes} t")


def footprint_cid(footprint: MeetingFootprint) -> str:
    """The CID the footprint's canonical bytes have in any evidence store (what offset_reason names)."""
    return compute_cid(footprint.encode())


def recorded_footprint(chain: ChainAccess, certificate: Certificate) -> dict:
    """The footprint document a meeting certificate's reason names, from the evidence store (409 if absent)."""
    cid = footprint_cid_in_reason(certificate.reason)
    if certificate.claim_kind != ClaimKind.MEETING or cid is None:
        raise conflict(f"certificate {certificate.certificate_id} names no meeting footprint")
    try:
        return json.loads(open_evidence_store(chain.settings.evidence_path, chain.settings.ipfs_api).cat(cid))
    except EvidenceError as exc:
        raise ApiError(409, "evidence_unavailable", f"footprint {cid} of certificate "
                       f"{certificate.certificate_id}: {exc}") from None


def meeting_of(document: dict) -> Meeting:
    """The meeting a stored footprint document describes (its `meeting` part, back in description form)."""
    m = document["meeting"]

    def moment(unix: int) -> str:
        return datetime.fromtimestamp(unix, CHINA_STANDARD_TIME).isoformat()
    return meeting_from_document({
        "room": m["room"], "title": m["title"], "start": moment(m["start_unix"]), "end": moment(m["end_unix"]),
        "sheets": Decimal(m["sheets"]),
        "participants": [{"name": p["name"], "mode": p["mode"], "distance_km": Decimal(p["distance_km"]),
                          "green": list(p["green_behaviours"])} for p in m["participants"]]})


def labels(document: dict) -> tuple[tuple[str, str], tuple[str, str]]:
    """(methodology, factor set) as (id, version) from a stored footprint's labels."""
    method = tuple(document["methodology"]["label"].split("@", 1))
    factors = tuple(document["factor_set"]["label"].split("@", 1))
    return method, factors  # type: ignore[return-value]
