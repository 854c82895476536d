"""A zero-carbon meeting's footprint through the API, from the room meter's anchored readings."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiWorld
from tests.ledger.test_meeting import DOCUMENT, anchor_room_readings


@pytest.fixture(scope="module")
def room_readings(api: ApiWorld) -> None:
    api.contracts.organizations.chain.resync()
    anchor_room_readings(api.contracts, api.tree, api.settings.data_dir)


def test_footprint_matches_the_hand_computed_figures(api: ApiWorld, room_readings: None) -> None:
    """ledger's own test computes 4.864 kg gross, 3.600 kg green-travel offset, 1.264 kg net, 1 t to retire."""
    response = api.post("operator", "/meetings/footprint", json=DOCUMENT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["gross_kgco2e"], body["offsets_kgco2e"], body["net_kgco2e"], body["credits_tonnes"]) == \
        ("4.864", "3.6", "1.264", 1)
    assert body["claim_id"].startswith("0x") and len(body["footprint_sha256"]) == 64


def test_a_meeting_outside_your_scope_is_403_and_a_bad_description_is_422(api: ApiWorld, room_readings: None) -> None:
    assert api.post("kunming_operator", "/meetings/footprint", json=DOCUMENT).status_code == 403
    bad = api.post("operator", "/meetings/footprint", json={**DOCUMENT, "sheets": "many"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "accounting_refused"
    early = api.post("operator", "/meetings/footprint", json={**DOCUMENT, "start": "2022-03-01T06:00:00+08:00"})
    assert early.status_code == 422  # the room meter does not cover the slot: refused, with the reason
