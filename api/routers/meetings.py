"""Zero-carbon meetings: a meeting's footprint from its room's anchored readings (ledger.accounting.meeting).

Offsetting is a retirement backing the meeting's claim: POST /credits/retirements, or `zcl meeting offset`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from api.deps import ChainDep, CurrentUser, DirectoryDep, require_in_scope
from api.errors import ERROR_RESPONSES
from api.permissions import Action
from ledger.accounting.meeting import claim_id_for, meeting_footprint, room_energy
from ledger.accounting.meeting_description import meeting_from_document
from ledger.accounting.published import factor_set, methodology
from ledger.evidence import open_evidence_store

router = APIRouter(prefix="/meetings", tags=["meetings"], responses=ERROR_RESPONSES)
EXAMPLE = {"room": 6, "title": "Quarterly review", "start": "2022-03-01T10:00:00+08:00",
           "end": "2022-03-01T12:00:00+08:00", "sheets": 40,
           "participants": [{"name": "Li", "mode": "metro", "distance_km": "12", "green": ["green_travel"]}]}


class FootprintOut(BaseModel):
    kind: str
    claim_id: str = Field(description="The claim a retirement backs to offset this meeting.")
    meeting: dict
    footprint_sha256: str
    model_config = {"extra": "allow"}


@router.post("/footprint", response_model=FootprintOut, summary="A meeting's footprint, line by line")
def footprint(document: Annotated[dict, Body(examples=[EXAMPLE], description="The meeting description "
                                             "(decimals as strings; see ledger/accounting/meeting_description.py).")],
              user: CurrentUser, chain: ChainDep, directory: DirectoryDep) -> FootprintOut:
    meeting = meeting_from_document(document)  # InvalidMeeting (an AccountingError) → 422 with the field
    require_in_scope(user, Action.READ, meeting.room_id, directory.tree())
    contracts = chain.contracts
    evidence = open_evidence_store(chain.settings.evidence_path, chain.settings.ipfs_api)
    energy = room_energy(contracts, evidence, meeting.room_id, meeting.start, meeting.end)
    result = meeting_footprint(meeting, energy, claim_id_for(contracts, meeting),
                               methodology("zero-carbon-meeting", "1"), factor_set("cn-public-institution", "2022.1"))
    return FootprintOut(**result.to_json(), footprint_sha256=result.content_hash)
