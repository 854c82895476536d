"""What the credits page's write forms (api/static/app/credits.js) rely on from the API: a new listing answers the
transaction that escrowed it, and a beneficiary typed in lower case is taken as that address (web3 accepts only
checksummed addresses: it was an unhandled InvalidAddress, a 500)."""

from __future__ import annotations

from eth_utils import to_checksum_address

from tests.api.conftest import KEYSTORE_PASSWORD, ApiWorld
from tests.api.test_credits import PRICE, market  # noqa: F401  (its module fixture: 100 t issued to the admin)
from tests.ledger.credit_world import START_2024, START_2025

BENEFICIARY = "0x00000000000000000000000000000000000000b1"


def test_a_new_listing_answers_its_transaction(api: ApiWorld, market: dict) -> None:  # noqa: F811
    listed = api.post("admin", "/market/listings", json={"token_id": market["token"], "amount": 2,
                                                          "price_per_unit": str(PRICE),
                                                          "keystore_password": KEYSTORE_PASSWORD})
    assert listed.status_code == 201, listed.text
    body = listed.json()
    receipt = api.contracts.organizations.chain.w3.eth.get_transaction_receipt(body["transaction_hash"])
    assert (receipt["status"], receipt["blockNumber"]) == (1, body["block_number"])
    assert (body["token_id"], body["remaining"], body["price_per_unit"]) == (market["token"], 2, str(PRICE))


def test_a_lower_case_beneficiary_is_that_address(api: ApiWorld, market: dict) -> None:  # noqa: F811
    retired = api.post("admin", "/credits/retirements",
                       json={"token_id": market["token"], "amount": 1, "beneficiary": BENEFICIARY,
                             "reason": "lower-case beneficiary", "period_start": START_2024,
                             "period_end": START_2025, "keystore_password": KEYSTORE_PASSWORD})
    assert retired.status_code == 201, retired.text
    assert (retired.json()["beneficiary"], retired.json()["tonnes"]) == (to_checksum_address(BENEFICIARY), 1)
