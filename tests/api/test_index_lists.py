"""Device and accounting-result lists: from the indexer's tables once the index has caught up with the chain
head, from the chain otherwise (header X-Served-From), with the same bodies; results show their kind."""

from __future__ import annotations

import pytest

from ledger.chain.clients import LedgerContracts
from ledger.chain.connection import connect
from ledger.encoding import DeviceKind
from ledger.evidence import LocalEvidenceStore
from ledger.indexer import Indexer
from oracles.simulator import SimulatedMeter
from tests.api.conftest import ApiWorld
from tests.conftest import settings_for
from tests.ledger.credit_world import CID, START_2023, START_2024, START_2025, result_input
from tests.oracles.conftest import START, register


@pytest.fixture(scope="module")
def world(api: ApiWorld) -> dict:
    """Two meters of the institution (one suspended), an emissions result (final) and a savings result (submitted)."""
    gov = api.contracts
    gov.organizations.chain.resync()
    meters = [register(gov, api.tree.building, SimulatedMeter.create(name, DeviceKind.ELECTRICITY_METER, seed, START))
              for name, seed in (("incomer", b"in"), ("chiller", b"ch"))]
    gov.devices.suspend(meters[1].device_id, "display broken")
    verifier = LedgerContracts.attach(connect(settings_for(api.settings.rpc_url, api.settings.data_dir, 1)),
                                      api.deployment)
    gov.accounting.add_verifier(api.tree.district, verifier.accounting.chain.account.address)
    emissions = gov.accounting.submit(api.tree.institution, api.tree.institution, result_input(START_2023, START_2024, 800))
    verifier.accounting.verify(emissions, True, CID)
    savings = gov.accounting.submit_savings(api.tree.institution, api.tree.institution,
                                            result_input(START_2024, START_2025, 120, "savings"))
    return {"meters": ["0x" + m.device_id.hex() for m in meters], "emissions": emissions, "savings": savings}


def _sync(api: ApiWorld) -> None:
    Indexer(api.contracts.organizations.chain, api.deployment, api.app.state.engine,
            LocalEvidenceStore(api.settings.evidence_path)).sync()


def _lists(api: ApiWorld, source: str) -> dict[str, dict]:
    inst = api.tree.institution
    paths = [f"/organizations/{inst}/devices", f"/organizations/{inst}/devices?status=suspended",
             f"/organizations/{inst}/results", f"/organizations/{inst}/results?kind=savings",
             f"/organizations/{inst}/results?status=final&kind=emissions", f"/organizations/{inst}/results?limit=1&offset=1"]
    answers = {}
    for path in paths:
        response = api.get("auditor", path)
        assert response.status_code == 200, response.text
        assert response.headers["x-served-from"] == source, path
        answers[path] = response.json()
    return answers


def test_lists_come_from_the_chain_then_the_caught_up_index_with_the_same_bodies(api: ApiWorld, world: dict) -> None:
    before = _lists(api, "chain")
    inst = api.tree.institution
    devices = before[f"/organizations/{inst}/devices"]["items"]
    assert [(d["device_id"], d["status"]) for d in devices] == [(world["meters"][0], "active"),
                                                                (world["meters"][1], "suspended")]
    results = before[f"/organizations/{inst}/results"]["items"]
    assert [(r["result_id"], r["kind"], r["status"], r["scope1_g"] + r["scope2_g"] + r["scope3_g"]) for r in results] == \
        [(world["emissions"], "emissions", "final", 800 * 10**6), (world["savings"], "savings", "submitted", 120 * 10**6)]
    assert [r["result_id"] for r in before[f"/organizations/{inst}/results?kind=savings"]["items"]] == [world["savings"]]
    _sync(api)
    assert _lists(api, "index") == before


def test_a_stale_index_is_not_served(api: ApiWorld, world: dict) -> None:
    """A device's status changes in place: until the index catches up the chain answers, with the new status."""
    _sync(api)
    api.contracts.organizations.chain.resync()
    api.contracts.devices.reactivate(bytes.fromhex(world["meters"][1][2:]), "display replaced")
    path = f"/organizations/{api.tree.institution}/devices"
    stale = api.get("auditor", path)
    assert stale.headers["x-served-from"] == "chain"
    assert [d["status"] for d in stale.json()["items"]] == ["active", "active"]
    _sync(api)
    fresh = api.get("auditor", path)
    assert fresh.headers["x-served-from"] == "index" and fresh.json() == stale.json()


def test_lists_keep_scope_roles_and_input_checks(api: ApiWorld, world: dict) -> None:
    inst = api.tree.institution
    for user in ("yunnan_regulator", "kunming_operator", "buyer"):
        assert api.get(user, f"/organizations/{inst}/devices").status_code == 403, user
        assert api.get(user, f"/organizations/{inst}/results").status_code == 403, user
    for user in ("operator", "regulator", "verifier", "auditor", "admin"):
        assert api.get(user, f"/organizations/{inst}/results").status_code == 200, user
    bad = api.get("auditor", f"/organizations/{inst}/results", params={"kind": "offsets"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
    assert api.get("auditor", f"/organizations/{api.tree.district}/devices").status_code == 422  # not an institution
