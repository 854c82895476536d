"""POST /wallet/retirements: the unsigned retire transaction a browser wallet signs, checked with the chain first;
signed here with the user's own key (what the wallet does) and relayed by POST /chain/transactions."""

from __future__ import annotations

import pytest

from ledger.chain.credits import CreditContracts
from tests.api.conftest import ApiWorld
from tests.api.test_credits import market  # noqa: F401 (the fixture: 100 t issued to the admin's address)
from tests.ledger.credit_world import START_2024, START_2025

REASON = "2024 office emissions, signed in a wallet"


def _retire_call(token: str, amount: int) -> dict:
    return {"token_id": token, "amount": amount, "reason": REASON, "period_start": START_2024, "period_end": START_2025}


def _signable(transaction: dict[str, str]) -> dict[str, object]:
    """The JSON-RPC transaction as eth_account signs it (what a wallet does with it)."""
    fields = {k: v for k, v in transaction.items() if k != "from"}
    return {k: (v if k in ("to", "data") else int(v, 16)) for k, v in fields.items()}


def test_the_prepared_retirement_signed_by_the_user_is_relayed_and_burns_the_credits(api: ApiWorld,
                                                                                       market: dict) -> None:  # noqa: F811
    token, admin = market["token"], api.wallets["admin"]
    credits = CreditContracts.of(api.contracts).credits
    before = credits.supply(int(token))
    prepared = api.post("admin", "/wallet/retirements", json=_retire_call(token, 3))
    assert prepared.status_code == 200, prepared.text
    body = prepared.json()
    tx = body["transaction"]
    assert (body["contract"], body["function"]) == ("CarbonCredit", "retire")
    assert (tx["from"], tx["to"], int(tx["chainId"], 16), int(tx["value"], 16)) == (
        admin.address, api.deployment.address("CarbonCredit"), api.contracts.organizations.chain.chain_id, 0)
    assert int(tx["nonce"], 16) == api.contracts.organizations.chain.w3.eth.get_transaction_count(admin.address, "pending")
    signed = admin.sign_transaction(_signable(tx))
    relayed = api.post("admin", "/chain/transactions", json={"raw_transaction": "0x" + bytes(signed.raw_transaction).hex()})
    assert relayed.status_code == 200, relayed.text
    assert (relayed.json()["contract"], relayed.json()["sender"], relayed.json()["status"]) == (
        "CarbonCredit", admin.address, "success")
    after = credits.supply(int(token))
    assert (after.retired - before.retired, after.circulating - before.circulating) == (3, -3)
    retirement = credits.retirements(retiree=admin.address)[-1]
    assert (retirement.tonnes, retirement.beneficiary, retirement.reason, retirement.period_start,
            retirement.period_end) == (3, admin.address, REASON, START_2024, START_2025)


def test_signed_by_another_key_the_relay_refuses_it(api: ApiWorld, market: dict) -> None:  # noqa: F811
    tx = api.post("admin", "/wallet/retirements", json=_retire_call(market["token"], 1)).json()["transaction"]
    other = api.wallets["buyer"]
    signed = other.sign_transaction(_signable(tx))
    refused = api.post("admin", "/chain/transactions", json={"raw_transaction": "0x" + bytes(signed.raw_transaction).hex()})
    assert refused.status_code == 403
    assert refused.json()["error"] == {"code": "wrong_signer", "details": None, "message": (
        f"transaction signed by {other.address}, not by your address {api.wallets['admin'].address}")}


def test_a_retirement_that_would_revert_answers_the_contracts_error_before_signing(api: ApiWorld,
                                                                                    market: dict) -> None:  # noqa: F811
    held = CreditContracts.of(api.contracts).credits.holdings(api.wallets["admin"].address)[int(market["token"])]
    over = api.post("admin", "/wallet/retirements", json=_retire_call(market["token"], held + 1))
    assert over.status_code == 409, over.text
    assert over.json()["error"]["details"] == {"error": "ERC1155InsufficientBalance", "args": [
        api.wallets["admin"].address, held, held + 1, int(market["token"])]}


@pytest.mark.parametrize(("user", "body", "status", "code"), [
    ("auditor", {}, 403, "forbidden"),  # auditors read only
    ("operator", {}, 403, "forbidden"),  # operators do not trade credits
    ("admin", {"token_id": str(2**256)}, 422, "invalid_input"),
    ("admin", {"amount": 0}, 422, "validation_error"),
    ("admin", {"beneficiary": "0x12"}, 422, "validation_error"),
])
def test_bad_requests_are_refused_with_their_reason(api: ApiWorld, market: dict, user: str, body: dict, status: int,
                                                    code: str) -> None:  # noqa: F811
    answer = api.post(user, "/wallet/retirements", json={**_retire_call(market["token"], 1), **body})
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), answer.text
