"""Gas of the credit paths, printed for the record (run with -s), with loose upper bounds so a
regression shows; and the code-size limit for the credit contracts."""

from __future__ import annotations

from brownie import web3

from credit_fixtures import *  # noqa: F403
from credit_fixtures import CID, PRICE, SAVINGS_RESULT, VINTAGE, Catalog, ClaimKind, verification_id

EIP170_CODE_LIMIT = 24_576
PERIOD = (1_704_067_200, 1_735_689_600)
DISTINCT_TOKENS = 20


def _retire_batch(credits, ids, amounts, sender, claim_id):
    return credits.retireBatch(ids, amounts, sender, "bench", ClaimKind.MEETING, claim_id, *PERIOD, {"from": sender})


def test_issue_trade_and_retire_gas(credits, market, verified, issuer, holder, buyer, trader):
    first = credits.issue(verified, holder, 60, {"from": issuer})
    tid = first.return_value[0]
    second = credits.issue(verified, holder, 20, {"from": issuer})
    transfer = credits.safeTransferFrom(holder, trader, tid, 5, b"", {"from": holder})
    listed = market.list(tid, 40, PRICE, {"from": holder})
    bought = market.buy(1, 10, {"from": buyer})
    bought_again = market.buy(1, 10, {"from": trader})
    cancelled = market.cancel(1, {"from": holder})
    retired = credits.retire(tid, 5, holder, "r", ClaimKind.MEETING, b"\x01" * 32, *PERIOD, {"from": holder})
    retired_again = credits.retire(tid, 5, holder, "r", ClaimKind.MEETING, b"\x02" * 32, *PERIOD, {"from": holder})
    gas = {
        "issue (first batch of a token id)": first.gas_used,
        "issue (next batch)": second.gas_used,
        "transfer": transfer.gas_used,
        "list": listed.gas_used,
        "buy (partial fill, first purchase of the token)": bought.gas_used,
        "buy (partial fill, another buyer)": bought_again.gas_used,
        "cancel": cancelled.gas_used,
        "retire (beneficiary's first certificate)": retired.gas_used,
        "retire (next certificate)": retired_again.gas_used,
    }
    print()
    for name, used in gas.items():
        print(f"{name}: {used}")
    assert first.gas_used < 200_000
    assert bought.gas_used < 150_000
    assert retired.gas_used < 250_000


def test_external_import_gas(credits, verifier, issuer, holder):
    vid = verification_id("vcs")
    credits.approveVerification(vid, Catalog.vcs_project, 2024, 50, 0, CID, {"from": verifier})
    tx = credits.importExternalCredits(vid, holder, 50, "VCS-4321-2024-000001-000050", {"from": issuer})
    print(f"\nimportExternalCredits (27-character serial): {tx.gas_used}")
    assert tx.gas_used < 250_000


def test_batch_retirement_costs_less_per_range_than_one_by_one(credits, verifier, issuer, holder):
    """Distinct token ids are vintages of the external project: the institution's own credits may only
    take the years of the Savings result they cite."""
    ids = []
    for i in range(DISTINCT_TOKENS):
        vid = verification_id(f"vintage-{i}")
        credits.approveVerification(vid, Catalog.vcs_project, 2000 + i, 4, 0, CID, {"from": verifier})
        ids.append(credits.importExternalCredits(vid, holder, 4, f"VCS-4321-{2000 + i}", {"from": issuer}).return_value[0])
    batch = _retire_batch(credits, ids, [1] * DISTINCT_TOKENS, holder, b"\xb0" * 32)
    singles = [_retire_batch(credits, [tid], [1], holder, bytes([i + 1]) * 32).gas_used for i, tid in enumerate(ids)]
    half = _retire_batch(credits, ids[: DISTINCT_TOKENS // 2], [1] * (DISTINCT_TOKENS // 2), holder, b"\xb1" * 32)
    per_range = (batch.gas_used - half.gas_used) / (DISTINCT_TOKENS - DISTINCT_TOKENS // 2)
    print(
        f"\nretire {DISTINCT_TOKENS} distinct token ids: one batch {batch.gas_used}, one by one {sum(singles)}"
        f" ({sum(singles) / batch.gas_used:.1f}x); marginal range in a batch ≈ {per_range:.0f} gas"
        f" → 1,000 distinct ranges ≈ {half.gas_used + per_range * (1000 - DISTINCT_TOKENS // 2):,.0f} gas"
    )
    assert batch.gas_used * 3 < sum(singles)


def test_one_thousand_ranges_fit_one_transaction(credits, verified, issuer, holder, verifier):
    """Estimated and dry-run rather than sent: brownie occasionally loses track of a transaction this
    large on a loaded machine ("Tx dropped without known replacement"), and the gas is the point."""
    vid = verification_id("thousand")
    credits.approveVerification(vid, Catalog.own_project, VINTAGE, 1000, SAVINGS_RESULT, CID, {"from": verifier})
    tid = credits.issue(vid, holder, 1000, {"from": issuer}).return_value[0]
    args = ([tid] * 1000, [1] * 1000, holder, "bench", ClaimKind.MEETING, b"\xc0" * 32, *PERIOD, {"from": holder})
    assert credits.retireBatch.call(*args) == 1
    gas = credits.retireBatch.estimate_gas(*args)
    print(f"\nretireBatch of 1,000 one-serial ranges of one token id: {gas} (estimated)")
    assert gas < 15_000_000


def test_credit_contracts_fit_the_code_size_limit(credits, certificates, market, settlement):
    for contract in (credits, certificates, market, settlement):
        size = len(web3.eth.get_code(contract.address))
        deploy_gas = contract.tx.gas_used if contract.tx else "(deployed by CarbonCredit)"
        print(f"\n{contract._name}: deploy gas {deploy_gas}, runtime {size} bytes")
        assert size <= EIP170_CODE_LIMIT
