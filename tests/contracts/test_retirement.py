"""Retirement: credits burn lowest-serial-first into soulbound certificates; a serial is retired
once, a claim is backed once, a certificate never moves."""

from __future__ import annotations

import pytest
from brownie import ZERO_ADDRESS
from eth_abi import encode
from eth_utils import keccak

from credit_fixtures import *  # noqa: F403
from credit_fixtures import Catalog, ClaimKind, plain, token_id

APPLICATION = keccak(text="certification application 1")
MEETING = keccak(text="meeting 2024-06-01 room 6")
START, END = 1_704_067_200, 1_735_689_600  # [2024-01-01, 2025-01-01) UTC
REASON = "Offset of the institution's 2024 residual emissions"
RANGE_TYPE = "(uint256,uint64,uint64)[]"


def ranges_hash(ranges) -> bytes:
    return keccak(encode([RANGE_TYPE], [[tuple(r) for r in ranges]]))


def retire(
    credits,
    tid,
    amount,
    sender,
    *,
    beneficiary=None,
    kind=ClaimKind.CERTIFICATION_APPLICATION,
    claim=APPLICATION,
    start=START,
    end=END,
    reason=REASON,
):
    return credits.retire(tid, amount, beneficiary or sender, reason, kind, claim, start, end, {"from": sender})


# --- retire -----------------------------------------------------------------------------------


def test_retire_burns_the_lowest_serials_and_mints_a_certificate(
    credits, certificates, issued, holder, buyer, expect_event
):
    tx = retire(credits, issued, 10, holder, beneficiary=buyer)
    assert tx.return_value == 1
    ranges = [(issued, 1, 10)]
    expect_event(tx, "TransferSingle", operator=holder, **{"from": holder}, to=ZERO_ADDRESS, id=issued, value=10)
    expect_event(tx, "CreditsRetired", certificateId=1, retiree=holder, beneficiary=buyer, tonnes=10, ranges=ranges)
    expect_event(
        tx,
        "CertificateIssued",
        certificateId=1,
        beneficiary=buyer,
        claimId=APPLICATION,
        retiree=holder,
        claimKind=ClaimKind.CERTIFICATION_APPLICATION,
        periodStart=START,
        periodEnd=END,
        tonnes=10,
        rangeCount=1,
        rangesHash=ranges_hash(ranges),
        reason=REASON,
    )
    expect_event(tx, "Locked", tokenId=1)
    expect_event(tx, "Transfer", **{"from": ZERO_ADDRESS}, to=buyer, tokenId=1)
    assert credits.balanceOf(holder, issued) == 50
    assert plain(credits.supplyOf(issued)) == (60, 10, 1)
    assert credits.totalSupply(issued) == 50
    assert certificates.ownerOf(1) == buyer
    assert plain(certificates.certificateOf(1)) == (
        ClaimKind.CERTIFICATION_APPLICATION,
        START,
        END,
        tx.timestamp,
        10,
        1,
        APPLICATION,
        ranges_hash(ranges),
        REASON,
    )
    assert certificates.certificateForClaim(ClaimKind.CERTIFICATION_APPLICATION, APPLICATION, holder) == 1
    assert certificates.certificateCount() == 1


def test_next_retirement_takes_the_next_serials_whoever_retires(credits, issued, holder, trader):
    retire(credits, issued, 10, holder)
    credits.safeTransferFrom(holder, trader, issued, 20, b"", {"from": holder})
    tx = retire(credits, issued, 15, trader, kind=ClaimKind.MEETING, claim=MEETING)
    assert plain(tx.events["CreditsRetired"][0]["ranges"]) == ((issued, 11, 25),)
    assert credits.isRetired(issued, 25)
    assert not credits.isRetired(issued, 26)


def test_retired_serials_are_exactly_one_to_retired(credits, issued, holder):
    retire(credits, issued, 7, holder)
    assert [credits.isRetired(issued, s) for s in (1, 7, 8, 60)] == [True, True, False, False]


def test_retiring_a_serial_twice_is_impossible(credits, issued, holder, verified, issuer, reverts_with):
    """Once all 60 serials are retired nobody holds a unit of them; new units get new serials."""
    retire(credits, issued, 60, holder)
    with reverts_with("ERC1155InsufficientBalance", holder, 0, 1, issued):
        retire(credits, issued, 1, holder, kind=ClaimKind.MEETING, claim=MEETING)
    credits.issue(verified, holder, 5, {"from": issuer})
    tx = retire(credits, issued, 5, holder, kind=ClaimKind.MEETING, claim=MEETING)
    assert plain(tx.events["CreditsRetired"][0]["ranges"]) == ((issued, 61, 65),)


def test_retiring_more_than_owned_is_rejected(credits, issued, holder, reverts_with):
    with reverts_with("ERC1155InsufficientBalance", holder, 60, 61, issued):
        retire(credits, issued, 61, holder)


def test_retiring_units_held_by_someone_else_is_rejected(credits, issued, trader, reverts_with):
    with reverts_with("ERC1155InsufficientBalance", trader, 0, 1, issued):
        retire(credits, issued, 1, trader)


def test_retiring_an_unissued_token_is_rejected(credits, holder, reverts_with):
    tid = token_id(Catalog.savings_class, Catalog.own_project, 2030)
    with reverts_with("ERC1155InsufficientBalance", holder, 0, 1, tid):
        retire(credits, tid, 1, holder)


def test_retiring_a_huge_amount_is_an_insufficient_balance(credits, issued, holder, reverts_with):
    with reverts_with("ERC1155InsufficientBalance", holder, 60, 2**200, issued):
        retire(credits, issued, 2**200, holder)


def test_retiring_nothing_is_rejected(credits, issued, holder, reverts_with):
    with reverts_with("ZeroAmount"):
        retire(credits, issued, 0, holder)


def test_listed_units_cannot_be_retired_by_their_seller(credits, market, issued, holder, reverts_with):
    market.list(issued, 60, 1, {"from": holder})
    with reverts_with("ERC1155InsufficientBalance", holder, 0, 1, issued):
        retire(credits, issued, 1, holder)


# --- claims -----------------------------------------------------------------------------------


def test_one_claim_is_backed_once_by_a_retiree(credits, certificates, issued, holder, reverts_with):
    retire(credits, issued, 10, holder)
    with reverts_with("ClaimAlreadyBacked", ClaimKind.CERTIFICATION_APPLICATION, APPLICATION, holder, 1):
        retire(credits, issued, 10, holder)
    assert credits.balanceOf(holder, issued) == 50  # the failed attempt burned nothing
    assert certificates.certificateCount() == 1


def test_a_stranger_backing_the_same_claim_id_gets_its_own_certificate(credits, certificates, issued, holder, trader):
    """Claims are keyed by retiree: whoever judges the claim reads the certificate of the retiree
    it trusts, so a stranger's retirement under the same id neither counts nor blocks."""
    credits.safeTransferFrom(holder, trader, issued, 1, b"", {"from": holder})
    retire(credits, issued, 1, trader)
    retire(credits, issued, 10, holder)
    assert certificates.certificateForClaim(ClaimKind.CERTIFICATION_APPLICATION, APPLICATION, trader) == 1
    assert certificates.certificateForClaim(ClaimKind.CERTIFICATION_APPLICATION, APPLICATION, holder) == 2


def test_a_retirement_backs_exactly_the_claim_it_names(credits, certificates, issued, holder):
    """The same id under another kind is another claim; the first certificate still names only its own."""
    retire(credits, issued, 10, holder)
    retire(credits, issued, 5, holder, kind=ClaimKind.MEETING, claim=APPLICATION)
    assert certificates.certificateForClaim(ClaimKind.CERTIFICATION_APPLICATION, APPLICATION, holder) == 1
    assert certificates.certificateForClaim(ClaimKind.MEETING, APPLICATION, holder) == 2
    assert certificates.certificateOf(1)[0] == ClaimKind.CERTIFICATION_APPLICATION
    assert certificates.certificateOf(2)[0] == ClaimKind.MEETING
    assert certificates.certificateForClaim(ClaimKind.MEETING, MEETING, holder) == 0


def test_voluntary_retirements_back_no_claim_and_may_repeat(credits, certificates, issued, holder):
    retire(credits, issued, 1, holder, kind=ClaimKind.NONE, claim=b"\x00" * 32)
    retire(credits, issued, 1, holder, kind=ClaimKind.NONE, claim=b"\x00" * 32)
    assert certificates.certificateCount() == 2
    assert certificates.certificateForClaim(ClaimKind.NONE, b"\x00" * 32, holder) == 0


@pytest.mark.parametrize(
    "kind, claim",
    [
        (ClaimKind.NONE, APPLICATION),
        (ClaimKind.CERTIFICATION_APPLICATION, b"\x00" * 32),
        (ClaimKind.MEETING, b"\x00" * 32),
    ],
)
def test_claim_kind_and_id_must_agree(credits, issued, holder, reverts_with, kind, claim):
    with reverts_with("InvalidClaim", kind, claim):
        retire(credits, issued, 1, holder, kind=kind, claim=claim)


@pytest.mark.parametrize("start, end", [(END, START), (START, START)])
def test_claimed_period_must_not_be_empty_or_reversed(credits, issued, holder, reverts_with, start, end):
    with reverts_with("InvalidClaimPeriod", start, end):
        retire(credits, issued, 1, holder, start=start, end=end)


def test_one_second_period_is_accepted(credits, issued, holder):
    retire(credits, issued, 1, holder, start=START, end=START + 1)


def test_certificate_needs_a_beneficiary(credits, issued, holder, reverts_with):
    with reverts_with("ERC721InvalidReceiver", ZERO_ADDRESS):
        credits.retire(issued, 1, ZERO_ADDRESS, REASON, ClaimKind.MEETING, MEETING, START, END, {"from": holder})


# --- batch ------------------------------------------------------------------------------------


def test_batch_retirement_burns_several_tokens_into_one_certificate(
    credits, certificates, issued, external_issued, holder, expect_event
):
    tx = credits.retireBatch(
        [issued, external_issued, issued], [5, 20, 3], holder, REASON, ClaimKind.MEETING, MEETING, START, END,
        {"from": holder},
    )
    ranges = [(issued, 1, 5), (external_issued, 1, 20), (issued, 6, 8)]
    expect_event(
        tx,
        "TransferBatch",
        operator=holder,
        **{"from": holder},
        to=ZERO_ADDRESS,
        ids=[issued, external_issued, issued],
        values=[5, 20, 3],
    )
    expect_event(tx, "CreditsRetired", certificateId=1, retiree=holder, beneficiary=holder, tonnes=28, ranges=ranges)
    assert plain(certificates.certificateOf(1))[4:6] == (28, 3)
    assert certificates.rangesMatch(1, ranges)
    assert not certificates.rangesMatch(1, ranges[:2])
    assert not certificates.rangesMatch(1, [(issued, 1, 5), (external_issued, 1, 20), (issued, 6, 9)])
    assert plain(credits.supplyOf(issued))[:2] == (60, 8)
    assert plain(credits.supplyOf(external_issued))[:2] == (50, 20)


def test_batch_with_any_entry_over_balance_burns_nothing(credits, issued, external_issued, holder, reverts_with):
    with reverts_with("ERC1155InsufficientBalance", holder, 50, 51, external_issued):
        credits.retireBatch(
            [issued, external_issued], [5, 51], holder, REASON, ClaimKind.MEETING, MEETING, START, END, {"from": holder}
        )
    assert credits.balanceOf(holder, issued) == 60


def test_batch_repeating_a_token_beyond_its_balance_is_rejected(credits, issued, holder, reverts_with):
    with reverts_with("ERC1155InsufficientBalance", holder, 20, 30, issued):
        credits.retireBatch(
            [issued, issued], [40, 30], holder, REASON, ClaimKind.MEETING, MEETING, START, END, {"from": holder}
        )


def test_empty_batch_is_rejected(credits, holder, reverts_with):
    with reverts_with("EmptyRetirement"):
        credits.retireBatch([], [], holder, REASON, ClaimKind.MEETING, MEETING, START, END, {"from": holder})


def test_batch_lengths_must_match(credits, issued, holder, reverts_with):
    with reverts_with("RetirementLengthMismatch", 1, 2):
        credits.retireBatch([issued], [1, 1], holder, REASON, ClaimKind.MEETING, MEETING, START, END, {"from": holder})


def test_batch_entry_of_zero_is_rejected(credits, issued, holder, reverts_with):
    with reverts_with("ZeroAmount"):
        credits.retireBatch(
            [issued, issued], [1, 0], holder, REASON, ClaimKind.MEETING, MEETING, START, END, {"from": holder}
        )


# --- certificates -----------------------------------------------------------------------------


@pytest.fixture
def certificate(credits, issued, holder):
    retire(credits, issued, 10, holder)
    return 1


def test_certificate_metadata_and_soulbound_interfaces(certificates, certificate):
    assert certificates.name() == "ZCL Retirement Certificate"
    assert certificates.symbol() == "ZCLRC"
    assert certificates.locked(certificate)
    for interface_id in ("0x80ac58cd", "0x5b5e139f", "0xb45a3c0e", "0x01ffc9a7"):  # 721, metadata, 5192, 165
        assert certificates.supportsInterface(interface_id)
    assert not certificates.supportsInterface("0xffffffff")


def test_transferring_a_certificate_is_rejected(certificates, certificate, holder, trader, reverts_with):
    with reverts_with("CertificateNotTransferable", certificate):
        certificates.transferFrom(holder, trader, certificate, {"from": holder})
    with reverts_with("CertificateNotTransferable", certificate):
        certificates.safeTransferFrom(holder, trader, certificate, {"from": holder})
    with reverts_with("CertificateNotTransferable", certificate):
        certificates.safeTransferFrom(holder, trader, certificate, b"data", {"from": holder})
    assert certificates.ownerOf(certificate) == holder


def test_approving_a_certificate_is_rejected(certificates, certificate, holder, trader, reverts_with):
    with reverts_with("CertificateNotTransferable", certificate):
        certificates.approve(trader, certificate, {"from": holder})
    with reverts_with("CertificateNotTransferable", 0):
        certificates.setApprovalForAll(trader, True, {"from": holder})
    assert certificates.getApproved(certificate) == ZERO_ADDRESS


def test_only_the_credit_contract_mints_certificates(certificates, holder, reverts_with):
    claim = (holder, ClaimKind.MEETING, MEETING, START, END, REASON)
    with reverts_with("NotCreditContract", holder):
        certificates.issueCertificate(claim, holder, 10, 1, b"\x11" * 32, {"from": holder})


def test_unknown_certificates_cannot_be_read(certificates, reverts_with):
    for call in (
        lambda: certificates.certificateOf(9),
        lambda: certificates.locked(9),
        lambda: certificates.rangesMatch(9, []),
    ):
        with reverts_with("ERC721NonexistentToken", 9):
            call()
