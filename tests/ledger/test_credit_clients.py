"""The credit clients against real contracts on anvil: issue → list → buy (partial) → retire (batch)
→ soulbound certificate, and the attacks a Python caller can try, each refused with the contract's
own error name."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings as hyp_settings
from hypothesis import strategies as st

from ledger.chain.codes import MAX_VINTAGE, ClaimKind, SerialRange, decode_token_id, token_id
from ledger.chain.connection import ChainError, ContractRevert
from ledger.chain.credits import CreditContracts
from ledger.chain.deployment import deploy_contracts
from tests.ledger.credit_world import (
    CID,
    OWN_PROJECT,
    OWN_TOKEN,
    PRICE,
    START_2024,
    START_2025,
    VCS_PROJECT,
    VINTAGE,
    CreditWorld,
    verification_id,
)

MEETING = bytes.fromhex("11" * 32)
PERIOD = {"period_start": START_2024, "period_end": START_2025}


@pytest.fixture
def world(anvil, contracts, deployment, tree, tmp_path) -> CreditWorld:
    return CreditWorld(contracts, deployment, tree, anvil.rpc_url, tmp_path / "parties")


def reverts(name: str):
    return pytest.raises(ContractRevert, match=rf"^{name}\(")


# --- layout ----------------------------------------------------------------------------------


@hyp_settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**64 - 1), st.integers(0, 2**16 - 1))
def test_token_id_layout_round_trips(class_id: int, project_id: int, vintage: int) -> None:
    assert decode_token_id(token_id(class_id, project_id, vintage)) == (class_id, project_id, vintage)


@hyp_settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**256 - 1))
def test_decoding_accepts_exactly_the_ids_the_layout_produces(value: int) -> None:
    try:
        fields = decode_token_id(value)
    except ValueError:
        assert value >> 160 or (value >> 16) & (2**48 - 1)  # bits outside the three lanes
    else:
        assert token_id(*fields) == value


def test_python_token_ids_equal_the_contracts(world: CreditWorld) -> None:
    contract = world.gov.credits.credits.contract.functions
    for fields in ((1, 1, 2024), (2**32 - 1, 2**64 - 1, MAX_VINTAGE), (0, 0, 0)):
        assert contract.tokenIdOf(*fields).call() == token_id(*fields)
        assert tuple(contract.decodeTokenId(token_id(*fields)).call()) == fields


def test_core_only_deployment_leaves_out_the_credit_contracts(chain, compiled) -> None:
    assert set(deploy_contracts(chain, credits=False).addresses) == {
        "OrganizationRegistry", "DeviceRegistry", "AttestationLedger", "AccountingLedger", "WorkflowLog"}


def test_the_market_settles_in_a_named_token_and_only_dev_chains_get_the_demo_one(chain, world) -> None:
    existing = world.gov.credits.settlement.contract.address
    second = deploy_contracts(chain, settlement_token=existing.lower())
    assert second.addresses["SettlementToken"] == existing
    market = CreditContracts.attach(chain, second).market
    assert market.contract.functions.settlementToken().call() == existing
    with pytest.raises(ChainError, match="chain 1 is not a dev chain: name the market's settlement ERC-20"):
        deploy_contracts(replace(chain, chain_id=1))


# --- the whole flow --------------------------------------------------------------------------


def test_issue_list_buy_partially_retire_in_a_batch_and_get_a_locked_certificate(world: CreditWorld) -> None:
    holder, buyer = world.holder.credits, world.buyer.credits

    issuance = world.issue_own(60, verified=100)
    assert (issuance.token_id, issuance.serials, issuance.batch_index) == (OWN_TOKEN, SerialRange(OWN_TOKEN, 1, 60), 0)
    assert issuance.tx.hash.startswith("0x") and issuance.tx.gas_used > 0

    assert holder.ensure_market_approval() is not None
    assert holder.ensure_market_approval() is None  # once per account
    listed = holder.market.list_units(OWN_TOKEN, 40, PRICE)
    assert listed.listing.listing_id == 1 and listed.listing.remaining == 40
    assert holder.credits.balance(world.holder.address, OWN_TOKEN) == 20

    assert buyer.ensure_allowance(15 * PRICE) is not None
    before = (buyer.settlement.balance(world.buyer.address), buyer.settlement.balance(world.holder.address))
    purchase = buyer.market.buy(1, 15)
    assert (purchase.amount, purchase.cost, purchase.remaining, purchase.seller) == (15, 1_950_000_000, 25,
                                                                                    world.holder.address)
    assert buyer.settlement.balance(world.buyer.address) == before[0] - 1_950_000_000
    assert buyer.settlement.balance(world.holder.address) == before[1] + 1_950_000_000
    assert buyer.credits.holdings(world.buyer.address) == {OWN_TOKEN: 15}

    retirement = buyer.credits.retire_batch([(OWN_TOKEN, 5), (OWN_TOKEN, 10)], beneficiary=world.holder.address,
                                            reason="Meeting 2024-06-01", claim_kind=ClaimKind.MEETING,
                                            claim_id=MEETING, **PERIOD)
    assert retirement.certificate_id == 1 and retirement.tonnes == 15
    assert retirement.ranges == (SerialRange(OWN_TOKEN, 1, 5), SerialRange(OWN_TOKEN, 6, 15))
    assert (retirement.retiree, retirement.beneficiary) == (world.buyer.address, world.holder.address)

    certificates = buyer.certificates
    record = certificates.certificate(1)
    assert (record.owner, record.tonnes, record.range_count, record.claim_kind, record.claim_id, record.reason) == (
        world.holder.address, 15, 2, ClaimKind.MEETING, MEETING, "Meeting 2024-06-01")
    assert certificates.locked(1) and certificates.ranges_match(1, retirement.ranges)
    assert not certificates.ranges_match(1, [SerialRange(OWN_TOKEN, 1, 15)])
    assert certificates.certificate_for_claim(ClaimKind.MEETING, MEETING, world.buyer.address) == 1
    assert buyer.credits.retirement(1) == retirement  # rebuilt from the events alone

    supply = buyer.credits.supply(OWN_TOKEN)
    assert (supply.issued, supply.retired, supply.circulating, supply.batch_count) == (60, 15, 45, 1)
    assert [buyer.credits.is_retired(OWN_TOKEN, s) for s in (1, 15, 16, 60)] == [True, True, False, False]

    cancelled = holder.market.cancel(1)
    assert cancelled.returned == 25 and holder.market.listing(1).remaining == 0
    assert holder.credits.balance(world.holder.address, OWN_TOKEN) == 45


def test_retirement_ranges_never_overlap_and_cover_exactly_the_retired_serials(world: CreditWorld) -> None:
    world.issue_own(30)
    world.holder.credits.credits.transfer(world.buyer.address, OWN_TOKEN, 12)
    retirements = [
        world.buyer.credits.credits.retire(OWN_TOKEN, 7, beneficiary=world.buyer.address, reason="a", **PERIOD),
        world.holder.credits.credits.retire(OWN_TOKEN, 10, beneficiary=world.holder.address, reason="b", **PERIOD),
        world.buyer.credits.credits.retire_batch([(OWN_TOKEN, 2), (OWN_TOKEN, 3)], beneficiary=world.buyer.address,
                                                 reason="c", **PERIOD),
    ]
    serials = [s for r in retirements for rng in r.ranges for s in range(rng.first_serial, rng.last_serial + 1)]
    assert serials == list(range(1, 23))
    assert world.gov.credits.credits.supply(OWN_TOKEN).retired == 22
    assert [r.certificate_id for r in world.gov.credits.credits.retirements()] == [1, 2, 3]


def test_external_credits_keep_their_registry_serial(world: CreditWorld) -> None:
    vid = verification_id("vcs")
    world.verifier.credits.credits.approve_verification(vid, VCS_PROJECT, VINTAGE, 50, CID)
    imported = world.issuer.credits.credits.import_external(vid, world.holder.address, 50, "VCS-4321-2024-1-50")
    assert imported.serials == SerialRange(token_id(2, VCS_PROJECT, VINTAGE), 1, 50)
    assert world.gov.credits.credits.is_external_serial_imported("VCS", "VCS-4321-2024-1-50")
    batch = world.gov.credits.credits.batch_of_serial(imported.token_id, 17)
    assert (batch.index, batch.first_serial, batch.last_serial, batch.verification_id) == (0, 1, 50, vid)


# --- attacks ---------------------------------------------------------------------------------


def test_retiring_more_than_owned_is_refused(world: CreditWorld) -> None:
    world.issue_own(10)
    with pytest.raises(ContractRevert) as caught:
        world.holder.credits.credits.retire(OWN_TOKEN, 11, beneficiary=world.holder.address, reason="x", **PERIOD)
    assert (caught.value.name, caught.value.args_tuple) == (
        "ERC1155InsufficientBalance", (world.holder.address, 10, 11, OWN_TOKEN))
    assert world.gov.credits.credits.supply(OWN_TOKEN).retired == 0  # nothing lost


def test_a_serial_is_never_retired_twice(world: CreditWorld) -> None:
    world.issue_own(5)
    world.holder.credits.credits.retire(OWN_TOKEN, 5, beneficiary=world.holder.address, reason="all", **PERIOD)
    with reverts("ERC1155InsufficientBalance"):  # the holder's serials 1..5 are gone
        world.holder.credits.credits.retire(OWN_TOKEN, 1, beneficiary=world.holder.address, reason="again", **PERIOD)
    world.issue_own(3, label="more")
    again = world.holder.credits.credits.retire(OWN_TOKEN, 3, beneficiary=world.holder.address, reason="n", **PERIOD)
    assert again.ranges == (SerialRange(OWN_TOKEN, 6, 8),)  # the next serials, never 1..5 again
    with reverts("UnknownSerial"):
        world.gov.credits.credits.is_retired(OWN_TOKEN, 9)


def test_one_retiree_backs_a_claim_once(world: CreditWorld) -> None:
    world.issue_own(10)
    credits = world.holder.credits.credits
    credits.retire(OWN_TOKEN, 4, beneficiary=world.holder.address, reason="meeting", claim_kind=ClaimKind.MEETING,
                   claim_id=MEETING, **PERIOD)
    with pytest.raises(ContractRevert) as caught:
        credits.retire(OWN_TOKEN, 4, beneficiary=world.holder.address, reason="same meeting",
                       claim_kind=ClaimKind.MEETING, claim_id=MEETING, **PERIOD)
    assert (caught.value.name, caught.value.args_tuple) == (
        "ClaimAlreadyBacked", (ClaimKind.MEETING, MEETING, world.holder.address, 1))
    assert credits.balance(world.holder.address, OWN_TOKEN) == 6


def test_a_claim_needs_an_id_and_a_period(world: CreditWorld) -> None:
    world.issue_own(3)
    credits = world.holder.credits.credits
    with reverts("InvalidClaim"):
        credits.retire(OWN_TOKEN, 1, beneficiary=world.holder.address, reason="r", claim_kind=ClaimKind.MEETING,
                       **PERIOD)
    with reverts("InvalidClaimPeriod"):
        credits.retire(OWN_TOKEN, 1, beneficiary=world.holder.address, reason="r", period_start=START_2025,
                       period_end=START_2024)
    with reverts("EmptyRetirement"):
        credits.retire_batch([], beneficiary=world.holder.address, reason="r", **PERIOD)


def test_issuing_beyond_verified_savings_is_refused(world: CreditWorld) -> None:
    world.issue_own(60, verified=100)
    vid = verification_id("own-2024")
    with pytest.raises(ContractRevert) as caught:
        world.issuer.credits.credits.issue(vid, world.holder.address, 41)
    assert (caught.value.name, caught.value.args_tuple) == ("IssuanceExceedsVerifiedSavings", (OWN_PROJECT, 41, 40))
    assert world.gov.credits.credits.verification(vid).remaining_tonnes == 40


def test_only_issuers_issue(world: CreditWorld) -> None:
    world.verifier.credits.credits.approve_verification(verification_id("x"), OWN_PROJECT, VINTAGE, 5, CID,
                                                        world.own_savings)
    with reverts("AccessControlUnauthorizedAccount"):
        world.holder.credits.credits.issue(verification_id("x"), world.holder.address, 5)


def test_an_external_serial_is_imported_once(world: CreditWorld) -> None:
    for label in ("a", "b"):
        world.verifier.credits.credits.approve_verification(verification_id(label), VCS_PROJECT, VINTAGE, 10, CID)
    world.issuer.credits.credits.import_external(verification_id("a"), world.holder.address, 10, "VCS-1")
    with reverts("ExternalSerialAlreadyImported"):
        world.issuer.credits.credits.import_external(verification_id("b"), world.holder.address, 10, "VCS-1")


def test_a_retirement_certificate_cannot_be_transferred(world: CreditWorld) -> None:
    world.issue_own(2)
    world.holder.credits.credits.retire(OWN_TOKEN, 2, beneficiary=world.holder.address, reason="r", **PERIOD)
    with pytest.raises(ContractRevert) as caught:
        world.holder.credits.certificates.transfer(1, world.buyer.address)
    assert (caught.value.name, caught.value.args_tuple) == ("CertificateNotTransferable", (1,))
    assert world.gov.credits.certificates.owner_of(1) == world.holder.address


def test_buying_more_than_listed_and_cancelling_anothers_listing_are_refused(world: CreditWorld) -> None:
    world.issue_own(10)
    world.holder.credits.ensure_market_approval()
    world.holder.credits.market.list_units(OWN_TOKEN, 10, PRICE)
    world.buyer.credits.ensure_allowance(11 * PRICE)
    with pytest.raises(ContractRevert) as caught:
        world.buyer.credits.market.buy(1, 11)
    assert (caught.value.name, caught.value.args_tuple) == ("ExceedsListing", (1, 10, 11))
    with reverts("NotSeller"):
        world.buyer.credits.market.cancel(1)
    world.holder.credits.market.cancel(1)
    with reverts("ListingNotOpen"):
        world.buyer.credits.market.buy(1, 1)
