"""A zero-carbon meeting through the API: its footprint from the room meter's anchored readings, its offset
(a retirement backing the meeting's claim, signed server-side or by a wallet) and its certificate."""

from __future__ import annotations

import pytest
from eth_account import Account

from api.models import Role
from api.services.users import create_user
from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import ClaimKind, token_id
from ledger.chain.connection import connect
from ledger.chain.credits import CreditContracts
from tests.api.conftest import KEYSTORE_PASSWORD, PASSWORD, ApiWorld
from tests.conftest import settings_for
from tests.ledger.credit_world import CID, START_2024, START_2025, dev_key, result_input, verification_id
from tests.ledger.test_meeting import DOCUMENT, SLOT_END, SLOT_START, anchor_room_readings


@pytest.fixture(scope="module")
def room_readings(api: ApiWorld) -> None:
    api.contracts.organizations.chain.resync()
    anchor_room_readings(api.contracts, api.tree, api.settings.data_dir)


@pytest.fixture(scope="module")
def credits(api: ApiWorld, room_readings: None) -> dict:
    """3 t of 2024 savings credits to the admin (server-side key) and 3 t to a wallet-only institution admin."""
    bundle = CreditContracts.of(api.contracts)
    me = bundle.credits.me
    bundle.credits.grant_role("verifier", me)
    bundle.credits.grant_role("issuer", me)
    class_id = bundle.credits.create_class("ZCL-VERIFIED-SAVINGS", "ZCL-MV-OPTION-C-v1", False).id
    project_id = bundle.credits.register_project(class_id, api.tree.institution, "Xihuamen retrofit savings").id
    verifier = LedgerContracts.attach(connect(settings_for(api.settings.rpc_url, api.settings.data_dir, 1)),
                                      api.deployment)
    api.contracts.accounting.add_verifier(api.tree.district, verifier.accounting.chain.account.address)
    savings = api.contracts.accounting.submit_savings(api.tree.institution, api.tree.institution,
                                                      result_input(START_2024, START_2025, 1_000, "savings"))
    verifier.accounting.verify(savings, True, CID)
    bundle.credits.approve_verification(verification_id("meeting"), project_id, 2024, 100, CID, savings)
    wallet = Account.from_key(dev_key(7))  # a funded dev account, held only by the user's "wallet"
    create_user(api.app.state.engine, "wallet_admin", PASSWORD, Role.INSTITUTION_ADMIN, api.tree.institution,
                address=wallet.address)
    bundle.credits.issue(verification_id("meeting"), me, 3)
    bundle.credits.issue(verification_id("meeting"), wallet.address, 3)
    claim = api.post("operator", "/meetings/footprint", json=DOCUMENT).json()["claim_id"]
    return {"token": token_id(class_id, project_id, 2024), "wallet": wallet, "claim": claim, "admin": me}


def _offset(api: ApiWorld, user: str, claim: str, **body: object):  # noqa: ANN202
    return api.post(user, f"/meetings/{claim}/offset", json={"meeting": DOCUMENT, **body})


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


def test_only_an_institution_admin_in_scope_offsets(api: ApiWorld, credits: dict) -> None:
    for user in ("operator", "regulator", "verifier", "auditor", "buyer", "kunming_operator"):
        response = _offset(api, user, credits["claim"], keystore_password=KEYSTORE_PASSWORD)
        assert response.status_code == 403, user
        assert set(response.json()["error"]) == {"code", "message", "details"}


def test_bad_offset_requests_are_422_and_retire_nothing(api: ApiWorld, credits: dict) -> None:
    claim = credits["claim"]
    both = _offset(api, "admin", claim, keystore_password=KEYSTORE_PASSWORD, raw_transaction="0x00")
    assert both.status_code == 422 and both.json()["error"]["message"] == \
        "send exactly one of keystore_password (server-side key) and raw_transaction (wallet)"
    assert _offset(api, "admin", claim).status_code == 422
    other = _offset(api, "admin", "0x" + "00" * 32, keystore_password=KEYSTORE_PASSWORD)
    assert other.status_code == 422 and other.json()["error"]["code"] == "not_this_meeting"
    assert api.post("admin", "/meetings/0x12/offset", json={"meeting": DOCUMENT}).json()["error"]["code"] == \
        "validation_error"
    wrong = _offset(api, "admin", claim, keystore_password="not it")
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_keystore_password"
    too_many = _offset(api, "admin", claim, keystore_password=KEYSTORE_PASSWORD, token_ids=["12345"])
    assert too_many.status_code == 409 and too_many.json()["error"]["details"] == {"needed_tonnes": 1, "held_tonnes": 0}
    bundle = CreditContracts.of(api.contracts)
    assert bundle.credits.holdings(credits["admin"]) == {credits["token"]: 3}
    assert bundle.certificates.certificate_for_claim(ClaimKind.MEETING, bytes.fromhex(claim[2:]), credits["admin"]) == 0


def test_server_side_offset_then_its_certificate_as_json_and_page(api: ApiWorld, credits: dict) -> None:
    claim = credits["claim"]
    response = _offset(api, "admin", claim, keystore_password=KEYSTORE_PASSWORD)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["tonnes"], body["claim_id"], body["net_kgco2e"], body["beneficiary"]) == \
        (1, claim, "1.264", credits["admin"])
    assert body["ranges"] == [{"token_id": str(credits["token"]), "first_serial": 1, "last_serial": 1}]
    # the claim is backed once per retiree: the contract refuses a second offset, nothing more is burned
    again = _offset(api, "admin", claim, keystore_password=KEYSTORE_PASSWORD)
    assert again.status_code == 409 and again.json()["error"]["code"] == "contract_revert"
    assert CreditContracts.of(api.contracts).credits.holdings(credits["admin"]) == {credits["token"]: 2}

    certificate = api.get("admin", f"/meetings/{claim}/certificate")
    assert certificate.status_code == 200, certificate.text
    c = certificate.json()
    assert (c["certificate"]["certificate_id"], c["certificate"]["tonnes"], c["certificate"]["claim_kind"],
            c["certificate"]["claim_id"]) == (body["certificate_id"], 1, "meeting", claim)
    assert (c["certificate"]["period_start"], c["certificate"]["period_end"]) == (SLOT_START, SLOT_END)
    assert c["certificate"]["ranges_match"] is True and c["covers"] is True
    assert c["footprint"]["net_kgco2e"] == "1.264"
    assert c["footprint_cid_recorded"] == c["footprint_cid_recomputed"] == body["footprint_cid"]
    page = api.get("auditor", f"/meetings/{claim}/certificate/page", params={"retiree": credits["admin"]})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"Carbon credit retirement certificate #{body['certificate_id']}" in page.text
    assert "<b>1.264 kgCO2e</b>" in page.text and "the same CID the retirement's reason records" in page.text
    # readers outside the room's scope, and claims nobody backed
    assert api.get("kunming_operator", f"/meetings/{claim}/certificate",
                   params={"retiree": credits["admin"]}).status_code == 403
    assert api.get("buyer", f"/meetings/{claim}/certificate", params={"retiree": credits["admin"]}).status_code == 403
    assert api.get("admin", f"/meetings/0x{'00' * 32}/certificate").status_code == 404
    mine = api.get("auditor", f"/meetings/{claim}/certificate")  # the auditor's own address backed nothing
    assert mine.status_code == 404 and mine.json()["error"]["message"] == \
        f"no certificate backing meeting claim {claim} for retiree {api.wallets['auditor'].address}"


def test_a_wallet_signs_the_offset_call_and_the_api_relays_it(api: ApiWorld, credits: dict) -> None:
    claim, wallet = credits["claim"], credits["wallet"]
    call = api.post("wallet_admin", f"/meetings/{claim}/offset/transaction", json={"meeting": DOCUMENT})
    assert call.status_code == 200, call.text
    plan = call.json()
    assert (plan["function"], plan["tonnes"], plan["items"]) == ("retire", 1, [{"token_id": str(credits["token"]),
                                                                                 "tonnes": 1}])
    w3 = api.contracts.organizations.chain.w3

    def signed(data: str) -> str:
        tx = {"to": plan["to"], "data": data, "value": 0, "gas": 600_000, "maxFeePerGas": 2 * 10**9,
              "maxPriorityFeePerGas": 10**9, "nonce": w3.eth.get_transaction_count(wallet.address, "pending"),
              "chainId": w3.eth.chain_id}
        return "0x" + bytes(wallet.sign_transaction(tx).raw_transaction).hex()

    # a retirement for no claim is not this meeting's offset: refused before anything is sent
    contract = CreditContracts.of(api.contracts).credits.contract
    voluntary = contract.encode_abi("retire", args=[credits["token"], 1, wallet.address, plan["reason"], 0,
                                                    b"\0" * 32, SLOT_START, SLOT_END])
    refused = _offset(api, "wallet_admin", claim, raw_transaction=signed(voluntary))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "not_this_meeting"
    assert refused.json()["error"]["details"]["claimKind"] == 0
    # signed by someone else's key
    stranger = Account.create()
    tx = {"to": plan["to"], "data": plan["data"], "value": 0, "gas": 600_000, "maxFeePerGas": 2 * 10**9,
          "maxPriorityFeePerGas": 10**9, "nonce": 0, "chainId": w3.eth.chain_id}
    stolen = _offset(api, "wallet_admin", claim,
                     raw_transaction="0x" + bytes(stranger.sign_transaction(tx).raw_transaction).hex())
    assert stolen.status_code == 403 and stolen.json()["error"]["code"] == "wrong_signer"
    assert CreditContracts.of(api.contracts).credits.holdings(wallet.address) == {credits["token"]: 3}

    response = _offset(api, "wallet_admin", claim, raw_transaction=signed(plan["data"]))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["tonnes"], body["beneficiary"], body["footprint_cid"]) == (1, wallet.address, plan["footprint_cid"])
    assert CreditContracts.of(api.contracts).credits.holdings(wallet.address) == {credits["token"]: 2}
    certificate = api.get("wallet_admin", f"/meetings/{claim}/certificate").json()
    assert certificate["certificate"]["certificate_id"] == body["certificate_id"] and certificate["covers"] is True
