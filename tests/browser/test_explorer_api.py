"""The explorer's and dashboard's HTTP answers, without a browser: exact figures, and bad input refused with a reason."""

from __future__ import annotations

from datetime import date

import httpx

from ledger.accounting import account
from ledger.accounting.factors import Period
from ledger.accounting.metered import collect_points, metered_activity, period_bounds
from ledger.accounting.published import CN_PUBLIC_INSTITUTION_2022, PUBLIC_INSTITUTION_INVENTORY
from ledger.accounting.quantities import canonical_decimal
from ledger.batch import decode_batch
from ledger.evidence import LocalEvidenceStore


def _get(server, path: str) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", headers={"Accept": "application/json"}, timeout=120)


def _verify(server, root: bytes, body: dict) -> httpx.Response:
    return httpx.post(f"{server.url}/explorer/api/batch/0x{root.hex()}/verify", json=body, timeout=60)


def test_real_reading_verifies_on_chain_and_off(server) -> None:
    answer = _verify(server, server.world.roots[0], {"index": 42}).json()
    assert answer["valid"] is True and answer["tampered"] is False
    assert (answer["anchored"], answer["onchain_valid"], answer["offchain_valid"], answer["signature_valid"]) == \
        (True, True, True, True)


def test_tampered_value_fails_the_proof_and_the_signature(server) -> None:
    world = server.world
    evidence = LocalEvidenceStore(world.settings.evidence_path)
    batch = world.contracts.attestations.anchored_batches()[0]
    reading = decode_batch(evidence.cat(batch.evidence_cid)).readings[42].reading
    tampered = format(reading.decimal_value + 1, "f")
    answer = _verify(server, batch.root, {"index": 42, "value": tampered}).json()
    assert answer["tampered"] is True and answer["checked_value"] == tampered
    assert (answer["valid"], answer["anchored"], answer["onchain_valid"], answer["offchain_valid"],
            answer["signature_valid"]) == (False, True, False, False, False)
    same = _verify(server, batch.root, {"index": 42, "value": format(reading.decimal_value, "f")}).json()
    assert same["valid"] is True and same["tampered"] is False


def _error(code: str, message: str) -> dict:
    """The service's one error body (api/errors.py), which the explorer answers too."""
    return {"error": {"code": code, "message": message, "details": None}}


def test_bad_verify_input_is_refused_with_the_reason(server) -> None:
    root = server.world.roots[0]
    count = server.world.contracts.attestations.batch(root).reading_count
    assert _verify(server, root, {"index": count}).json() == _error("invalid_input", f"reading index {count} outside 0..{count - 1}")
    assert _verify(server, root, {"index": 0, "value": "1e-9"}).status_code == 422
    assert _verify(server, root, {"index": 0, "value": "1e-9"}).json()["error"]["message"].startswith("value '1e-9': ")
    unknown = _verify(server, bytes(32), {"index": 0})
    assert (unknown.status_code, unknown.json()) == (404, _error("not_found", f"no batch anchored with root 0x{'00' * 32}"))
    assert _verify(server, root, {"index": -1}).status_code == 422


def test_unknown_pages_are_404_with_the_reason(server) -> None:
    assert _get(server, "/explorer/block/999999").json() == _error("not_found", "no block 999999")
    assert _get(server, "/explorer/contract/Nope").status_code == 404
    assert _get(server, "/explorer/batch/0x1234").json() == _error("not_found", "0x1234 is not a batch root (32 bytes of hex)")
    assert _get(server, "/api/dashboard/institution/999").json() == _error("not_found", "no organisation node 999")
    district = server.world.tree.district
    assert _get(server, f"/api/dashboard/institution/{district}").json() == \
        _error("not_found", f"node {district} is a region, not an institution")


def test_dashboard_figures_are_the_accounting_engines(server) -> None:
    """The big screen's day equals ledger.accounting run directly on the same anchored readings."""
    world = server.world
    data = _get(server, f"/api/dashboard/institution/{world.tree.institution}").json()
    period = Period(date(2022, 6, 1), date(2022, 6, 1))
    evidence = LocalEvidenceStore(world.settings.evidence_path)
    series, roots = collect_points(world.contracts, evidence, world.tree.institution, *period_bounds(period))
    activity = metered_activity(world.tree.institution, period, series, roots)
    result = account(activity.emission_activities, PUBLIC_INSTITUTION_INVENTORY, CN_PUBLIC_INSTITUTION_2022, period)
    day = data["daily"][0]
    assert day["first_day"] == "2022-06-01"
    assert day["kgco2e"] == canonical_decimal(result.total.value)
    assert day["kwh"] == canonical_decimal(activity.totals["electricity.grid"].value)
    assert data["as_of"] == max(b.last_timestamp for b in world.contracts.attestations.anchored_batches())
    assert data["intensity"]["people"] == 3835 and data["intensity"]["area_m2"] == "93823.09"
    assert data["measures"]["total_kgco2e_per_year"] == "233297.6"
    assert [b["end_use"] for b in data["breakdown"]] == ["lighting", "hvac", "power", "water"]
    assert data["results"][0]["result_id"] == world.result_id
    certification = data["certifications"][0]
    assert (certification["application_id"], certification["level"], certification["status"],
            certification["approvals"], certification["stages"]) == (1, "low_carbon", "certified", 3, 3)
    [retirement] = data["retirements"]
    assert (retirement["certificate_id"], retirement["tonnes"], retirement["claim_kind"], retirement["reason"]) == \
        (1, 10, "none", "Xihuamen 2024 office travel, voluntary")
    assert [(s["first"], s["last"]) for s in retirement["serials"]] == [(1, 10)]


def test_contract_listing_names_the_deployment_input_digest(server) -> None:
    from tests.browser.test_explorer_pages import _deployed_sources_unchanged

    _deployed_sources_unchanged(server.world)
    listing = _get(server, "/explorer/api/contracts").json()
    assert listing["chain_id"] == server.world.deployment.chain_id
    assert server.world.deployment.compiler == f"solc 0.8.37; input sha256 {listing['standard_input_sha256']}"
    standard = _get(server, "/explorer/api/contracts/AttestationLedger/standard-input.json").json()
    assert standard["language"] == "Solidity" and "contracts/AttestationLedger.sol" in standard["sources"]


def test_warming_computes_what_the_dashboard_serves(server) -> None:
    from api.explorer.context import ExplorerSource
    from api.explorer.dashboard_data import warm_dashboards
    from api.explorer.dashboard_metrics import ReadingsCache

    world = server.world
    cache = ReadingsCache()
    explorer = ExplorerSource(world.settings).get()
    assert warm_dashboards(explorer, cache) == [world.tree.institution]
    served = _get(server, f"/api/dashboard/institution/{world.tree.institution}").json()
    warmed = cache.figures(explorer.contracts, explorer.evidence, world.tree.institution)
    assert {k: v for k, v in served.items() if k not in ("alarms", "results", "certifications", "retirements")} == warmed


def test_other_code_at_the_address_does_not_match_the_source(server) -> None:
    """The check can fail: AttestationLedger's source against the DeviceRegistry's deployed code."""
    import dataclasses

    from api.explorer.contract_source import check_contract

    world = server.world
    addresses = {**world.deployment.addresses, "AttestationLedger": world.deployment.addresses["DeviceRegistry"]}
    check = check_contract(world.contracts.organizations.chain.w3, dataclasses.replace(world.deployment, addresses=addresses),
                           "AttestationLedger")
    assert check.matches is False
    assert check.onchain_trailer is not None and check.onchain_trailer.solc == "0.8.37"
    assert check.onchain_trailer.ipfs != check.compiled_trailer.ipfs
