"""Credits through the API: an institution admin lists, a credit buyer buys and retires; roles enforced."""

from __future__ import annotations

import pytest

from api.models import Role
from api.services.users import create_user
from ledger.chain.codes import token_id
from ledger.chain.credits import CreditContracts
from tests.api.conftest import FAST_SCRYPT, KEYSTORE_PASSWORD, PASSWORD, ApiWorld
from ledger.chain.clients import LedgerContracts
from ledger.chain.connection import connect
from tests.conftest import settings_for
from tests.ledger.credit_world import CID, START_2024, START_2025, dev_key, result_input, verification_id

PRICE = 130 * 10**6  # the seed's 130 CNY per tonne, 6-decimal settlement token


@pytest.fixture(scope="module")
def market(api: ApiWorld) -> dict:
    """100 t of the institution's verified 2024 savings (a Final Savings result of 1,000 t) issued to the admin's
    account; a buyer with a server-side key and 1,000,000 settlement tokens."""
    api.contracts.organizations.chain.resync()
    credits = CreditContracts.of(api.contracts)
    me = credits.credits.me
    credits.credits.grant_role("verifier", me)
    credits.credits.grant_role("issuer", me)
    class_id = credits.credits.create_class("ZCL-VERIFIED-SAVINGS", "ZCL-MV-OPTION-C-v1", False).id
    project_id = credits.credits.register_project(class_id, api.tree.institution, "Xihuamen retrofit savings").id
    verifier = LedgerContracts.attach(connect(settings_for(api.settings.rpc_url, api.settings.data_dir, 1)),
                                      api.deployment)
    api.contracts.accounting.add_verifier(api.tree.district, verifier.accounting.chain.account.address)
    savings = api.contracts.accounting.submit_savings(api.tree.institution, api.tree.institution,
                                                      result_input(START_2024, START_2025, 1_000, "savings"))
    verifier.accounting.verify(savings, True, CID)
    credits.credits.approve_verification(verification_id("api"), project_id, 2024, 100, CID, savings)
    credits.credits.issue(verification_id("api"), me, 100)
    buyer = create_user(api.app.state.engine, "signing_buyer", PASSWORD, Role.CREDIT_BUYER, private_key=dev_key(4),
                        keystore_password=KEYSTORE_PASSWORD, kdf_iterations=FAST_SCRYPT)
    credits.settlement.mint(buyer.address, 1_000_000 * 10**6)
    return {"token": str(token_id(class_id, project_id, 2024)), "buyer": buyer.address}


def test_list_buy_and_retire(api: ApiWorld, market: dict) -> None:
    token = market["token"]
    listed = api.post("admin", "/market/listings", json={"token_id": token, "amount": 20, "price_per_unit": str(PRICE),
                                                          "keystore_password": KEYSTORE_PASSWORD})
    assert listed.status_code == 201, listed.text
    listing = listed.json()["listing_id"]
    bought = api.post("signing_buyer", f"/market/listings/{listing}/purchase",
                      json={"amount": 5, "keystore_password": KEYSTORE_PASSWORD})
    assert bought.status_code == 200, bought.text
    assert (bought.json()["cost"], bought.json()["remaining"]) == (str(5 * PRICE), 15)
    assert api.get("signing_buyer", "/credits/holdings").json() == [{"token_id": token, "amount": 5}]
    retired = api.post("signing_buyer", "/credits/retirements",
                       json={"token_id": token, "amount": 2, "reason": "2024 office emissions",
                             "period_start": START_2024, "period_end": START_2025,
                             "keystore_password": KEYSTORE_PASSWORD})
    assert retired.status_code == 201, retired.text
    body = retired.json()
    assert (body["tonnes"], body["beneficiary"], body["ranges"]) == (2, market["buyer"],
                                                                     [{"token_id": token, "first_serial": 1, "last_serial": 2}])
    again = api.get("auditor", f"/credits/retirements/{body['certificate_id']}").json()
    assert again == body
    supply = {t["token_id"]: t for t in api.get("auditor", "/credits/tokens").json()["items"]}[token]
    assert (supply["issued"], supply["retired"], supply["circulating"]) == (100, 2, 98)
    open_listings = api.get("buyer", "/market/listings", params={"token_id": token}).json()
    assert [(x["listing_id"], x["remaining"]) for x in open_listings["items"]] == [(listing, 15)]
    assert api.post("admin", f"/market/listings/{listing}/cancel",
                    json={"keystore_password": KEYSTORE_PASSWORD}).status_code == 200
    assert api.get("buyer", "/market/listings", params={"token_id": token}).json()["total"] == 0


def test_over_buying_is_refused_with_the_contracts_reason(api: ApiWorld, market: dict) -> None:
    listed = api.post("admin", "/market/listings", json={"token_id": market["token"], "amount": 3,
                                                          "price_per_unit": str(PRICE),
                                                          "keystore_password": KEYSTORE_PASSWORD}).json()
    response = api.post("signing_buyer", f"/market/listings/{listed['listing_id']}/purchase",
                        json={"amount": 4, "keystore_password": KEYSTORE_PASSWORD})
    assert response.status_code == 409 and response.json()["error"]["details"]["error"] == "ExceedsListing"
    assert api.post("signing_buyer", "/market/listings/999999/purchase",
                    json={"amount": 1, "keystore_password": KEYSTORE_PASSWORD}).status_code == 404


def test_only_admins_and_buyers_trade(api: ApiWorld, market: dict) -> None:
    body = {"token_id": market["token"], "amount": 1, "price_per_unit": "1", "keystore_password": "x"}
    for user in ("operator", "regulator", "verifier", "auditor"):
        assert api.post(user, "/market/listings", json=body).status_code == 403, user
        assert api.post(user, "/credits/retirements", json={**body, "reason": "x", "period_start": 0,
                                                             "period_end": 1}).status_code == 403, user
    assert api.get("auditor", "/credits/retirements/424242").status_code == 404


def test_a_retirement_certificate_reads_as_json_and_as_its_page(api: ApiWorld, market: dict) -> None:
    """/retirements/{id}: every fact from the chain, JSON and the page ledger/reports/certificate.py renders."""
    token = market["token"]
    retired = api.post("signing_buyer", "/credits/retirements",
                       json={"token_id": token, "amount": 1, "reason": "Q1 travel", "period_start": START_2024,
                             "period_end": START_2025, "keystore_password": KEYSTORE_PASSWORD})
    assert retired.status_code == 201, retired.text
    body = retired.json()
    number = body["certificate_id"]
    for user in ("auditor", "buyer", "operator"):  # a certificate is public record: every role reads it
        assert api.get(user, f"/retirements/{number}").status_code == 200, user
    certificate = api.get("auditor", f"/retirements/{number}").json()
    assert (certificate["owner"], certificate["beneficiary"], certificate["retiree"]) == (market["buyer"],) * 3
    assert (certificate["tonnes"], certificate["claim_kind"], certificate["claim_id"], certificate["reason"]) == \
        (1, "none", "0x" + "00" * 32, "Q1 travel")
    assert (certificate["period_start"], certificate["period_end"]) == (START_2024, START_2025)
    assert certificate["ranges"] == body["ranges"] and certificate["ranges_match"] is True
    assert [(t["token_id"], t["vintage"], t["standard"]) for t in certificate["tokens"]] == \
        [(token, 2024, "ZCL-VERIFIED-SAVINGS")]
    assert certificate["transaction_hash"].startswith("0x") and certificate["chain_id"] == 31337
    page = api.get("buyer", f"/retirements/{number}/page")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"Carbon credit retirement certificate #{number}" in page.text
    assert f'href="/explorer/tx/{certificate["transaction_hash"]}"' in page.text
    missing = api.get("auditor", "/retirements/424242/page")
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "no retirement certificate 424242"
    assert api.get("auditor", "/retirements/0").json()["error"]["code"] == "validation_error"
    assert api.client.get(f"/retirements/{number}").status_code == 401
