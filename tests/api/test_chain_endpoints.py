"""Devices and keys (signed server-side), raw transactions relayed from a wallet, batches with Merkle proofs."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from eth_account import Account

from ledger.encoding import DeviceKind
from ledger.evidence import LocalEvidenceStore
from oracles.simulator import SimulatedMeter
from tests.api.conftest import KEYSTORE_PASSWORD, ApiWorld
from tests.oracles.conftest import START, make_node, register

JUNE_2022 = 1_654_012_800  # 2022-06-01 00:00 +08:00, inside the published 2022 factor sets


def _registration(meter: SimulatedMeter, scene: int) -> dict:
    return {"device_id": "0x" + meter.device_id.hex(), "scene_id": scene, "kind": "electricity_meter", "unit": "kwh",
            "public_key": "0x" + meter.public_key.hex(), "keystore_password": KEYSTORE_PASSWORD}


@pytest.fixture(scope="module")
def anchored(api: ApiWorld) -> dict:
    """Two meters registered on chain, 6 readings each verified and anchored by an oracle node (batches of 8)."""
    api.contracts.organizations.chain.resync()  # the API's requests signed with the same key
    meters = [register(api.contracts, api.tree.building,
                       SimulatedMeter.create(name, DeviceKind.ELECTRICITY_METER, b"api", START)) for name in ("a", "b")]
    node = make_node(api.contracts, api.tree.institution, api.settings.data_dir / "oracle-test", batch_size=8)
    node.evidence = LocalEvidenceStore(api.settings.evidence_path)
    readings = [(m.name, r) for m in meters for r in m.readings(6)]
    assert node.ingest(readings).accepted == 12
    anchors = node.flush()
    node.spool.close()
    return {"meters": meters, "roots": ["0x" + a.root.hex() for a in anchors]}


def test_admin_registers_rotates_and_suspends_a_device_with_its_server_key(api: ApiWorld) -> None:
    inst = api.tree.institution
    meter = SimulatedMeter.create("api-registered", DeviceKind.ELECTRICITY_METER, b"reg", START)
    device = "0x" + meter.device_id.hex()
    created = api.post("admin", f"/organizations/{inst}/devices", json=_registration(meter, api.tree.room))
    assert created.status_code == 201, created.text
    detail = api.get("regulator", f"/devices/{device}").json()
    assert (detail["institution_id"], detail["scene_id"], detail["kind"], detail["status"]) == (inst, api.tree.room,
                                                                                               "electricity_meter", "active")
    new_key = SimulatedMeter.create("api-registered-2", DeviceKind.ELECTRICITY_METER, b"reg2", START).public_key
    rotated = api.post("admin", f"/devices/{device}/keys", json={"public_key": "0x" + new_key.hex(),
                                                                "valid_from_sequence": 1000,
                                                                "keystore_password": KEYSTORE_PASSWORD})
    assert rotated.status_code == 201, rotated.text
    keys = api.get("operator", f"/devices/{device}").json()["keys"]
    assert [k["valid_from_sequence"] for k in keys] == [0, 1000] and keys[1]["public_key"] == "0x" + new_key.hex()
    suspended = api.post("admin", f"/devices/{device}/status", json={"action": "suspend", "reason": "meter swapped",
                                                                    "keystore_password": KEYSTORE_PASSWORD})
    assert suspended.status_code == 200
    listed = api.get("operator", f"/organizations/{inst}/devices", params={"status": "suspended"}).json()
    assert [d["device_id"] for d in listed["items"]] == [device]
    again = api.post("admin", f"/organizations/{inst}/devices", json=_registration(meter, api.tree.room))
    assert again.status_code == 409 and again.json()["error"]["details"]["error"] == "DeviceAlreadyRegistered"


def test_device_rules_refuse_with_reasons(api: ApiWorld) -> None:
    inst = api.tree.institution
    meter = SimulatedMeter.create("refused", DeviceKind.ELECTRICITY_METER, b"ref", START)
    assert api.post("operator", f"/organizations/{inst}/devices", json=_registration(meter, api.tree.room)).status_code == 403
    outside = api.post("admin", f"/organizations/{inst}/devices", json=_registration(meter, api.kunming_office))
    assert outside.status_code == 422 and "not inside institution" in outside.json()["error"]["message"]
    region = api.post("admin", f"/organizations/{api.tree.district}/devices", json=_registration(meter, api.tree.room))
    assert region.status_code == 403  # an institution admin's scope starts at its institution
    unknown = api.get("auditor", "/devices/0x" + "77" * 32)
    assert unknown.status_code == 404 and unknown.json()["error"]["details"]["error"] == "UnknownDevice"


def _signed_call(api: ApiWorld, account, function) -> str:  # noqa: ANN001
    w3 = api.contracts.organizations.chain.w3
    tx = function.build_transaction({"from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending"),
                                     "chainId": w3.eth.chain_id, "gas": 300_000, "maxFeePerGas": 2 * 10**9,
                                     "maxPriorityFeePerGas": 10**9})
    return "0x" + bytes(account.sign_transaction(tx).raw_transaction).hex()


def test_a_wallet_signed_transaction_is_relayed(api: ApiWorld) -> None:
    meter = SimulatedMeter.create("wallet-registered", DeviceKind.WATER_METER, b"wal", START)
    devices = api.contracts.devices.contract
    raw = _signed_call(api, api.wallets["admin"], devices.functions.registerDevice(
        meter.device_id, api.tree.building, int(DeviceKind.WATER_METER), 3, meter.public_key))
    response = api.post("admin", "/chain/transactions", json={"raw_transaction": raw})
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["contract"]) == ("success", "DeviceRegistry")
    assert api.get("auditor", f"/devices/0x{meter.device_id.hex()}").json()["kind"] == "water_meter"


def test_relay_checks_signer_target_and_revert(api: ApiWorld) -> None:
    meter = SimulatedMeter.create("relay-refused", DeviceKind.WATER_METER, b"rr", START)
    call = api.contracts.devices.contract.functions.registerDevice(meter.device_id, api.tree.building,
                                                                  int(DeviceKind.WATER_METER), 3, meter.public_key)
    # signed by a key that is not the user's
    stolen = api.post("operator", "/chain/transactions", json={"raw_transaction": _signed_call(api, Account.create(), call)})
    assert stolen.status_code == 403 and stolen.json()["error"]["code"] == "wrong_signer"
    # the operator's own wallet is no node admin: the decoded revert comes back, nothing is sent
    refused = api.post("operator", "/chain/transactions", json={"raw_transaction": _signed_call(api, api.wallets["operator"], call)})
    assert refused.status_code == 403 and refused.json()["error"]["details"]["error"] == "NotInstitutionAdmin"
    # anywhere but the ledger's contracts
    w3 = api.contracts.organizations.chain.w3
    wallet = api.wallets["operator"]
    tx = {"to": "0x" + "12" * 20, "value": 0, "gas": 21_000, "maxFeePerGas": 10**9, "maxPriorityFeePerGas": 1,
          "nonce": 0, "chainId": w3.eth.chain_id}
    raw = "0x" + bytes(wallet.sign_transaction(tx).raw_transaction).hex()
    elsewhere = api.post("operator", "/chain/transactions", json={"raw_transaction": raw})
    assert elsewhere.status_code == 422 and elsewhere.json()["error"]["code"] == "unknown_target"
    assert api.post("operator", "/chain/transactions", json={"raw_transaction": "0xdeadbeef"}).status_code == 422


def test_batches_readings_and_proofs_verify_on_chain(api: ApiWorld, anchored: dict) -> None:
    inst = api.tree.institution
    page = api.get("regulator", f"/organizations/{inst}/batches").json()
    assert [b["root"] for b in page["items"]] == anchored["roots"]
    assert [b["reading_count"] for b in page["items"]] == [8, 4]
    root = anchored["roots"][0]
    assert api.get("yunnan_regulator", f"/batches/{root}").status_code == 403
    readings = api.get("operator", f"/batches/{root}/readings").json()
    assert readings["total"] == 8
    a = "0x" + anchored["meters"][0].device_id.hex()
    only_a = api.get("operator", f"/batches/{root}/readings", params={"device_id": a}).json()
    assert {r["device_id"] for r in only_a["items"]} == {a}
    proof = api.get("auditor", f"/batches/{root}/readings/3/proof").json()
    assert proof["verified_on_chain"] is True and proof["verified_off_chain"] is True
    assert len(proof["proof"]) == 3  # 8 leaves
    assert api.get("auditor", f"/batches/{root}/readings/8/proof").status_code == 404
    assert api.get("auditor", "/batches/0x" + "00" * 32).status_code == 404


def test_the_indexed_answers_equal_the_chain_answers(api: ApiWorld, anchored: dict) -> None:
    """Before the indexer runs the API reads chain + evidence; after, the index: the same bodies either way."""
    from ledger.indexer import Indexer

    inst, root = api.tree.institution, anchored["roots"][0]
    paths = [f"/organizations/{inst}/batches", f"/batches/{root}", f"/batches/{root}/readings?limit=5&offset=2",
             f"/batches/{root}/readings/5/proof", f"/batches/{anchored['roots'][1]}/readings"]
    before = {}
    for path in paths:
        response = api.get("auditor", path)
        assert response.headers["x-served-from"] == "chain", path
        before[path] = response.json()
    assert api.get("auditor", "/health").json()["index_lag_blocks"] is None
    Indexer(api.contracts.organizations.chain, api.deployment, api.app.state.engine,
            LocalEvidenceStore(api.settings.evidence_path)).sync()
    for path in paths:
        response = api.get("auditor", path)
        assert response.headers["x-served-from"] == "index", path
        assert response.json() == before[path], path
    assert api.get("auditor", "/health").json()["index_lag_blocks"] == 0
    # the organisation tree (and so every scope decision) now comes from the index, with the same answers
    directory = api.app.state.directory
    assert directory._from_index() == directory._from_chain()
    assert api.get("yunnan_regulator", f"/organizations/{inst}").status_code == 403
    assert [n["node_id"] for n in api.get("regulator", "/organizations").json()["items"]] == [1, 2, 3, 4, 5, 6]


def test_a_result_is_accounted_from_anchored_readings_and_submitted(api: ApiWorld, anchored: dict) -> None:
    """The admin's server-side key submits the day's result computed by ledger's accounting engine; the
    report goes to the evidence store and the figures on chain are the report's."""
    api.contracts.organizations.chain.resync()
    inst = api.tree.institution
    meter = register(api.contracts, api.tree.building,
                     SimulatedMeter.create("2022-incomer", DeviceKind.ELECTRICITY_METER, b"y22", JUNE_2022 - 3600))
    node = make_node(api.contracts, inst, api.settings.data_dir / "oracle-2022", batch_size=100)
    node.evidence = LocalEvidenceStore(api.settings.evidence_path)
    assert node.ingest([(meter.name, r) for r in meter.readings(104)]).accepted == 104  # 26 h of 15-min readings
    node.flush()
    node.spool.close()
    body = {"start": "2022-06-01", "end": "2022-06-01", "keystore_password": KEYSTORE_PASSWORD}
    assert api.post("operator", f"/organizations/{inst}/results", json=body).status_code == 403
    response = api.post("admin", f"/organizations/{inst}/results", json=body)
    assert response.status_code == 201, response.text
    submitted = response.json()
    report = json.loads(LocalEvidenceStore(api.settings.evidence_path).cat(submitted["report_cid"]))
    on_chain = api.get("regulator", f"/results/{submitted['result_id']}").json()
    assert on_chain["status"] == "submitted" and on_chain["input_batch_count"] == 2  # the day's two batches
    total_g = on_chain["scope1_g"] + on_chain["scope2_g"] + on_chain["scope3_g"]
    assert Decimal(total_g) / 1000 == Decimal(submitted["total_kgco2e"]) and total_g > 0
    assert (report["institution"], report["period"]["first_day"]) == (inst, "2022-06-01")
    # both 2022 batches count: the second holds the reading after midnight that closes the day (the index,
    # when an earlier test built one, serves them once the indexer has caught up)
    from ledger.indexer import Indexer

    Indexer(api.contracts.organizations.chain, api.deployment, api.app.state.engine,
            LocalEvidenceStore(api.settings.evidence_path)).sync()
    year_2022 = api.get("auditor", f"/organizations/{inst}/batches", params={"until": START - 1}).json()["items"]
    assert report["input_batches"] == [b["root"] for b in year_2022] and len(year_2022) == 2
    listed = api.get("auditor", f"/organizations/{inst}/results", params={"status": "submitted"}).json()
    assert submitted["result_id"] in [r["result_id"] for r in listed["items"]]
    bad = api.post("admin", f"/organizations/{inst}/results", json={**body, "methodology": "no-such@1"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "accounting_refused"
