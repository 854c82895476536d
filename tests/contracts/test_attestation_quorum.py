"""AttestationLedger k-of-n: with a quorum, a batch counts only once k distinct authorised oracles of the
quorum have approved its root with EIP-712 signatures; without one, anchoring is what it always was."""

from __future__ import annotations

import itertools

import pytest
from brownie import accounts, chain, web3
from eth_account import Account
from eth_utils import keccak
from brownie.test import given
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from oracles.approvals import approval_message

CID = "QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"
ZERO = b"\x00" * 32
FIRST_TS, LAST_TS = 1_700_000_000, 1_700_000_900
_KEYS = [(0x0A11CE + i).to_bytes(32, "big") for i in range(4)]  # oracles with keys of their own, to sign typed data


def _root(i: int) -> bytes:
    return keccak(b"quorum batch %d" % i)


@pytest.fixture(scope="module")
def signers():
    """Four oracle accounts whose private keys the test holds (gas is free on the test chain)."""
    return [accounts.add(key) for key in _KEYS]


@pytest.fixture
def oracles(devices, tree, institution_admin, signers):
    for signer in signers:
        devices.authorizeOracle(tree.institution, signer, {"from": institution_admin})
    return signers


@pytest.fixture
def anchor(ledger, tree, oracles):
    def _anchor(root: bytes, by=None):
        previous = ledger.latestRoot(tree.institution)
        return ledger.anchorBatch(tree.institution, root, previous, 3, FIRST_TS, LAST_TS, CID, {"from": by or oracles[0]})

    return _anchor


def _sign(ledger, signer, root: bytes, institution: int) -> bytes:
    message = approval_message(ledger.address, chain.id, root, institution)
    return bytes(Account.sign_message(message, signer.private_key).signature)


def _quorum(ledger, tree) -> tuple[int, list]:
    threshold, oracles = ledger.quorumOf(tree.institution)
    return int(threshold), list(oracles)


def _approve(ledger, tree, root: bytes, *signers, submitter=None):
    signatures = [_sign(ledger, s, root, tree.institution) for s in signers]
    return ledger.approveBatch(root, list(signers), signatures, {"from": submitter or accounts[9]})


# --- no quorum: nothing changes --------------------------------------------------------------------


def test_without_a_quorum_a_batch_counts_when_anchored_and_takes_no_approvals(ledger, tree, anchor, oracles,
                                                                             reverts_with):
    anchor(_root(1))
    tx = anchor(_root(2))
    assert "BatchAwaitingApprovals" not in tx.events
    assert tx.gas_used <= 66_991  # no more than before quorums existed (66,991 here); measured 65,240
    assert ledger.counts(_root(2)) and tuple(ledger.approvalsOf(_root(2))) == (0, 0)
    assert _quorum(ledger, tree) == (0, [])
    with reverts_with("NoQuorumForBatch", _root(2)):
        _approve(ledger, tree, _root(2), oracles[1])


def test_a_root_never_anchored_does_not_count(ledger, reverts_with):
    assert not ledger.counts(_root(99))
    with reverts_with("UnknownBatch", _root(99)):
        ledger.approvalsOf(_root(99))


# --- a quorum ------------------------------------------------------------------------------------


def test_k_approvals_submitted_together_make_a_batch_count(ledger, tree, institution_admin, oracles, anchor,
                                                          expect_event):
    members = oracles[:3]
    tx = ledger.setQuorum(tree.institution, 2, members, {"from": institution_admin})
    expect_event(tx, "QuorumSet", institutionId=tree.institution, threshold=2, oracles=[str(m) for m in members],
                 admin=institution_admin)
    anchored = anchor(_root(1))  # the institution's first batch
    expect_event(anchored, "BatchAwaitingApprovals", root=_root(1), institutionId=tree.institution, required=2)
    assert not ledger.counts(_root(1)) and tuple(ledger.approvalsOf(_root(1))) == (2, 0)
    tx = _approve(ledger, tree, _root(1), oracles[0], oracles[2])
    assert [(e["oracle"], e["approvals"]) for e in tx.events["BatchApproved"]] == [(oracles[0], 1), (oracles[2], 2)]
    expect_event(tx, "BatchCounted", root=_root(1), institutionId=tree.institution, approvals=2)
    assert ledger.counts(_root(1)) and tuple(ledger.approvalsOf(_root(1))) == (2, 2)


def test_approvals_accumulate_over_several_transactions(ledger, tree, institution_admin, oracles, anchor):
    anchor(_root(1))
    ledger.setQuorum(tree.institution, 3, oracles, {"from": institution_admin})
    anchor(_root(2))
    for n, signer in enumerate(oracles[1:4], 1):
        assert not ledger.counts(_root(2))
        tx = _approve(ledger, tree, _root(2), signer)
        assert tuple(ledger.approvalsOf(_root(2))) == (3, n)
    assert "BatchCounted" in tx.events and ledger.counts(_root(2))


def test_a_quorum_governs_batches_anchored_after_it_not_before(ledger, tree, institution_admin, oracles, anchor):
    anchor(_root(1))
    ledger.setQuorum(tree.institution, 1, oracles[:2], {"from": institution_admin})
    anchor(_root(2))
    ledger.setQuorum(tree.institution, 0, [], {"from": institution_admin})  # cleared again
    anchor(_root(3))
    assert [tuple(ledger.approvalsOf(_root(i))) for i in (1, 2, 3)] == [(0, 0), (1, 0), (0, 0)]
    assert [ledger.counts(_root(i)) for i in (1, 2, 3)] == [True, False, True]


def test_the_quorum_rides_in_the_latest_batchs_slot(ledger, tree, institution_admin, oracles, anchor):
    """No extra storage read on the anchoring path: the next batch's threshold is the top byte of the latest
    batch's slot (_batches is slot 2, after EIP712's two deprecated string slots)."""
    anchor(_root(1))
    ledger.setQuorum(tree.institution, 2, oracles[:3], {"from": institution_admin})
    slot = int.from_bytes(keccak(_root(1) + (2).to_bytes(32, "big")), "big")
    word = int.from_bytes(web3.eth.get_storage_at(ledger.address, slot), "big")
    assert word >> 248 == 2 and (word >> 64) & 0xFFFFFFFF == 1  # quorumAhead, index
    assert tuple(ledger.batchOf(_root(1)))[:3] == (tree.institution, 1, 3)  # the public record is unchanged


# --- approvals that do not count -------------------------------------------------------------------


@pytest.fixture
def pending(ledger, tree, institution_admin, oracles, anchor):
    """A batch under a 2-of-3 quorum of oracles[0..2]; oracles[3] is authorised but not in the quorum."""
    ledger.setQuorum(tree.institution, 2, oracles[:3], {"from": institution_admin})
    anchor(_root(1))
    return _root(1)


def test_a_signature_by_someone_else_is_refused(ledger, tree, oracles, pending, reverts_with):
    forged = _sign(ledger, oracles[1], pending, tree.institution)
    with reverts_with("InvalidApprovalSignature", pending, oracles[0]):
        ledger.approveBatch(pending, [oracles[0]], [forged], {"from": oracles[1]})


def test_a_signature_over_another_root_or_institution_is_refused(ledger, tree, oracles, pending, reverts_with):
    for root, institution in ((_root(2), tree.institution), (pending, tree.institution + 1)):
        with reverts_with("InvalidApprovalSignature", pending, oracles[0]):
            ledger.approveBatch(pending, [oracles[0]], [_sign(ledger, oracles[0], root, institution)],
                                {"from": accounts[9]})


def test_the_same_oracle_counts_once(ledger, tree, oracles, pending, reverts_with):
    with reverts_with("AlreadyApproved", pending, oracles[0]):
        _approve(ledger, tree, pending, oracles[0], oracles[0])
    _approve(ledger, tree, pending, oracles[0])
    with reverts_with("AlreadyApproved", pending, oracles[0]):
        _approve(ledger, tree, pending, oracles[0])
    assert tuple(ledger.approvalsOf(pending)) == (2, 1) and not ledger.counts(pending)


def test_only_quorum_oracles_still_authorised_approve(ledger, devices, tree, institution_admin, oracles, pending,
                                                      reverts_with):
    with reverts_with("NotQuorumOracle", tree.institution, oracles[3]):
        _approve(ledger, tree, pending, oracles[3])
    devices.revokeOracle(tree.institution, oracles[1], {"from": institution_admin})
    with reverts_with("NotAuthorizedOracle", tree.institution, oracles[1]):
        _approve(ledger, tree, pending, oracles[1])
    with reverts_with("ApprovalLengthMismatch", 2, 1):
        ledger.approveBatch(pending, oracles[:2], [_sign(ledger, oracles[0], pending, tree.institution)],
                            {"from": accounts[9]})


def test_approving_an_unknown_batch_reverts(ledger, tree, oracles, reverts_with):
    with reverts_with("UnknownBatch", _root(7)):
        _approve(ledger, tree, _root(7), oracles[0])


# --- setting a quorum ------------------------------------------------------------------------------


def test_only_an_admin_of_the_institution_sets_its_quorum(ledger, tree, oracles, district_admin, other_admin,
                                                         reverts_with):
    for account in (oracles[0], other_admin):
        with reverts_with("NotInstitutionAdmin", tree.institution, account):
            ledger.setQuorum(tree.institution, 1, oracles[:1], {"from": account})
    ledger.setQuorum(tree.institution, 1, oracles[:1], {"from": district_admin})  # an admin above it may
    assert _quorum(ledger, tree) == (1, [oracles[0]])


@pytest.mark.parametrize("threshold, count", [(0, 2), (3, 2), (1, 0), (1, 33)])
def test_impossible_quorums_are_refused(ledger, tree, institution_admin, oracles, threshold, count, reverts_with):
    members = [oracles[i % 4] for i in range(count)] if count <= 4 else [accounts.add() for _ in range(count)]
    with reverts_with("InvalidQuorum", threshold, count):
        ledger.setQuorum(tree.institution, threshold, members, {"from": institution_admin})


def test_quorum_oracles_are_distinct_and_authorised(ledger, tree, institution_admin, oracles, stranger, reverts_with):
    with reverts_with("DuplicateQuorumOracle", oracles[1]):
        ledger.setQuorum(tree.institution, 2, [oracles[0], oracles[1], oracles[1]], {"from": institution_admin})
    with reverts_with("NotAuthorizedOracle", tree.institution, stranger):
        ledger.setQuorum(tree.institution, 1, [oracles[0], stranger], {"from": institution_admin})


def test_the_typed_data_python_signs_is_the_digest_the_contract_checks(ledger, tree):
    message = approval_message(ledger.address, chain.id, _root(5), tree.institution)
    digest = keccak(b"\x19" + message.version + message.header + message.body)
    assert ledger.approvalDigest(_root(5), tree.institution) == "0x" + digest.hex()


# --- the rule, for any quorum and any order of approvals ---------------------------------------------

_fresh = itertools.count(1_000)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(threshold=st.integers(1, 4), approvers=st.lists(st.integers(0, 3), max_size=6))
def test_a_batch_counts_exactly_when_k_distinct_quorum_oracles_have_approved(
        ledger, tree, institution_admin, oracles, anchor, threshold, approvers, reverts_with):
    ledger.setQuorum(tree.institution, threshold, oracles, {"from": institution_admin})
    root = _root(next(_fresh))
    anchor(root)
    approved: set[int] = set()
    for n in approvers:
        if n in approved:
            with reverts_with("AlreadyApproved", root, oracles[n]):
                _approve(ledger, tree, root, oracles[n])
        else:
            _approve(ledger, tree, root, oracles[n])
            approved.add(n)
        assert tuple(ledger.approvalsOf(root)) == (threshold, len(approved))
        assert ledger.counts(root) == (len(approved) >= threshold)
    assert ledger.counts(root) == (len(approved) >= threshold)
