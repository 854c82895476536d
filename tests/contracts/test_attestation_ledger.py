"""AttestationLedger: anchoring, per-institution hash chains, proofs of readings, gas."""

from __future__ import annotations

import pytest
from brownie import AttestationLedger, ZERO_ADDRESS, web3
from eth_utils import keccak

from conftest import NodeKind

CID = "QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"  # 46-char CIDv0, as `ipfs add` prints
ZERO = b"\x00" * 32
FIRST_TS = 1_700_000_000
LAST_TS = 1_700_000_900


# --- a tiny mirror of the Merkle convention: OpenZeppelin sorted pairs, makeMerkleTree layout ---


def _reading(i: int) -> tuple[bytes, bytes]:
    """A 68-byte payload and 64-byte signature; the contract only checks lengths and hashes."""
    return bytes([i]) * 68, bytes([0x80 | i]) * 64


def _leaf(payload: bytes, signature: bytes) -> bytes:
    return keccak(keccak(payload + signature))


def _hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


def _tree(leaves: list[bytes]) -> list[bytes]:
    """makeMerkleTree: 2n-1 nodes, leaf i at index len-1-i, node i = hash(2i+1, 2i+2)."""
    nodes = [b""] * (2 * len(leaves) - 1)
    for i, leaf in enumerate(leaves):
        nodes[len(nodes) - 1 - i] = leaf
    for i in range(len(nodes) - 1 - len(leaves), -1, -1):
        nodes[i] = _hash_pair(nodes[2 * i + 1], nodes[2 * i + 2])
    return nodes


def _proof(nodes: list[bytes], leaf_index: int) -> list[bytes]:
    position = len(nodes) - 1 - leaf_index
    proof = []
    while position > 0:
        proof.append(nodes[position - 1] if position % 2 == 0 else nodes[position + 1])
        position = (position - 1) // 2
    return proof


def _flip_last_bit(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


def _root(i: int) -> bytes:
    return keccak(b"batch %d" % i)


@pytest.fixture
def anchor(ledger, tree, authorized_oracle):
    """Anchor the next batch of the fixture institution, chained to the latest one."""

    def _anchor(root: bytes, count: int = 3, first: int = FIRST_TS, last: int = LAST_TS, cid: str = CID):
        previous = ledger.latestRoot(tree.institution)
        return ledger.anchorBatch(tree.institution, root, previous, count, first, last, cid, {"from": authorized_oracle})

    return _anchor


@pytest.fixture
def second_institution(org, devices, tree, other_admin, accounts):
    """An institution under the other district with its own oracle (accounts[8])."""
    institution = org.createNode(tree.other_district, NodeKind.INSTITUTION, "Hospital", {"from": other_admin}).return_value
    devices.authorizeOracle(institution, accounts[8], {"from": other_admin})
    return institution, accounts[8]


# --- deployment -------------------------------------------------------------------------


def test_ledger_reports_its_device_registry(ledger, devices):
    assert ledger.devices() == devices


def test_zero_device_registry_is_rejected(governance, reverts_with):
    with reverts_with("ZeroAddress"):
        AttestationLedger.deploy(ZERO_ADDRESS, {"from": governance})


# --- anchoring --------------------------------------------------------------------------


def test_first_anchor_starts_the_chain(ledger, tree, authorized_oracle, expect_event):
    root = _root(1)
    assert not ledger.isAnchored(root)
    assert ledger.latestRoot(tree.institution) == "0x" + ZERO.hex()
    tx = ledger.anchorBatch(tree.institution, root, ZERO, 3, FIRST_TS, LAST_TS, CID, {"from": authorized_oracle})
    assert tx.return_value == 1
    expect_event(
        tx,
        "BatchAnchored",
        root=root,
        institutionId=tree.institution,
        oracle=authorized_oracle,
        previousRoot=ZERO,
        index=1,
        readingCount=3,
        firstTimestamp=FIRST_TS,
        lastTimestamp=LAST_TS,
        evidenceCid=CID,
    )
    assert ledger.isAnchored(root)
    assert ledger.latestRoot(tree.institution) == "0x" + root.hex()
    assert tuple(ledger.batchOf(root)) == (tree.institution, 1, 3, FIRST_TS, LAST_TS, tx.timestamp)


def test_each_anchor_links_to_the_previous_and_counts_up(ledger, tree, anchor, expect_event):
    roots = [_root(i) for i in range(1, 5)]
    for expected_index, root in enumerate(roots, start=1):
        previous = ledger.latestRoot(tree.institution)
        tx = anchor(root)
        assert tx.return_value == expected_index
        assert tx.events["BatchAnchored"][0]["previousRoot"] == previous
        assert ledger.batchOf(root)[1] == expected_index
    assert ledger.latestRoot(tree.institution) == "0x" + roots[-1].hex()


def test_institutions_keep_independent_chains(ledger, tree, anchor, second_institution):
    institution, its_oracle = second_institution
    anchor(_root(1))
    anchor(_root(2))
    tx = ledger.anchorBatch(institution, _root(3), ZERO, 1, FIRST_TS, FIRST_TS, CID, {"from": its_oracle})
    assert tx.return_value == 1
    assert ledger.latestRoot(institution) == "0x" + _root(3).hex()
    assert ledger.latestRoot(tree.institution) == "0x" + _root(2).hex()


def test_single_instant_batch_is_accepted(anchor, ledger):
    anchor(_root(1), count=1, first=FIRST_TS, last=FIRST_TS)
    assert tuple(ledger.batchOf(_root(1)))[3:5] == (FIRST_TS, FIRST_TS)


def test_batch_occupies_one_storage_slot(ledger, tree, anchor):
    tx = anchor(_root(1), count=7)
    slot = int.from_bytes(keccak(_root(1) + (2).to_bytes(32, "big")), "big")  # _batches: slot 2, after EIP712's two
    word = int.from_bytes(web3.eth.get_storage_at(ledger.address, slot), "big")
    fields = [(tree.institution, 64), (1, 32), (7, 32), (FIRST_TS, 40), (LAST_TS, 40), (tx.timestamp, 40)]
    expected, shift = 0, 0
    for value, bits in fields:
        expected |= value << shift
        shift += bits
    assert word == expected
    assert int.from_bytes(web3.eth.get_storage_at(ledger.address, slot + 1), "big") == 0


# --- anchoring: rejections --------------------------------------------------------------


def test_stranger_cannot_anchor(ledger, tree, stranger, reverts_with):
    with reverts_with("NotAuthorizedOracle", tree.institution, stranger):
        ledger.anchorBatch(tree.institution, _root(1), ZERO, 1, FIRST_TS, LAST_TS, CID, {"from": stranger})


def test_institution_admin_is_not_an_oracle(ledger, tree, institution_admin, reverts_with):
    with reverts_with("NotAuthorizedOracle", tree.institution, institution_admin):
        ledger.anchorBatch(tree.institution, _root(1), ZERO, 1, FIRST_TS, LAST_TS, CID, {"from": institution_admin})


def test_oracle_cannot_anchor_for_another_institution(ledger, tree, authorized_oracle, second_institution, reverts_with):
    institution, _ = second_institution
    with reverts_with("NotAuthorizedOracle", institution, authorized_oracle):
        ledger.anchorBatch(institution, _root(1), ZERO, 1, FIRST_TS, LAST_TS, CID, {"from": authorized_oracle})


def test_revoked_oracle_cannot_anchor(ledger, devices, tree, anchor, authorized_oracle, institution_admin, reverts_with):
    anchor(_root(1))
    devices.revokeOracle(tree.institution, authorized_oracle, {"from": institution_admin})
    with reverts_with("NotAuthorizedOracle", tree.institution, authorized_oracle):
        ledger.anchorBatch(tree.institution, _root(2), _root(1), 1, FIRST_TS, LAST_TS, CID, {"from": authorized_oracle})


def test_zero_root_is_rejected(ledger, tree, authorized_oracle, reverts_with):
    with reverts_with("ZeroRoot"):
        ledger.anchorBatch(tree.institution, ZERO, ZERO, 1, FIRST_TS, LAST_TS, CID, {"from": authorized_oracle})


def test_duplicate_root_is_rejected(ledger, tree, anchor, authorized_oracle, reverts_with):
    anchor(_root(1))
    with reverts_with("DuplicateRoot", _root(1)):
        ledger.anchorBatch(tree.institution, _root(1), _root(1), 1, FIRST_TS, LAST_TS, CID, {"from": authorized_oracle})


def test_root_anchored_elsewhere_is_a_duplicate(ledger, anchor, second_institution, reverts_with):
    institution, its_oracle = second_institution
    anchor(_root(1))
    with reverts_with("DuplicateRoot", _root(1)):
        ledger.anchorBatch(institution, _root(1), ZERO, 1, FIRST_TS, LAST_TS, CID, {"from": its_oracle})


def test_empty_batch_is_rejected(ledger, tree, authorized_oracle, reverts_with):
    with reverts_with("EmptyBatch"):
        ledger.anchorBatch(tree.institution, _root(1), ZERO, 0, FIRST_TS, LAST_TS, CID, {"from": authorized_oracle})


def test_reversed_time_range_is_rejected(ledger, tree, authorized_oracle, reverts_with):
    with reverts_with("InvalidTimeRange", LAST_TS, FIRST_TS):
        ledger.anchorBatch(tree.institution, _root(1), ZERO, 1, LAST_TS, FIRST_TS, CID, {"from": authorized_oracle})


def test_empty_evidence_cid_is_rejected(ledger, tree, authorized_oracle, reverts_with):
    with reverts_with("EmptyEvidenceCid"):
        ledger.anchorBatch(tree.institution, _root(1), ZERO, 1, FIRST_TS, LAST_TS, "", {"from": authorized_oracle})


def test_first_batch_must_name_zero_previous(ledger, tree, authorized_oracle, reverts_with):
    with reverts_with("BatchChainBroken", tree.institution, ZERO, _root(9)):
        ledger.anchorBatch(tree.institution, _root(1), _root(9), 1, FIRST_TS, LAST_TS, CID, {"from": authorized_oracle})


def test_later_batch_must_name_latest_root(ledger, tree, anchor, authorized_oracle, reverts_with):
    anchor(_root(1))
    anchor(_root(2))
    for wrong in (ZERO, _root(1), _root(9)):
        with reverts_with("BatchChainBroken", tree.institution, _root(2), wrong):
            ledger.anchorBatch(tree.institution, _root(3), wrong, 1, FIRST_TS, LAST_TS, CID, {"from": authorized_oracle})


def test_chain_of_another_institution_cannot_be_named(ledger, tree, anchor, second_institution, reverts_with):
    institution, its_oracle = second_institution
    anchor(_root(1))
    with reverts_with("BatchChainBroken", institution, ZERO, _root(1)):
        ledger.anchorBatch(institution, _root(2), _root(1), 1, FIRST_TS, LAST_TS, CID, {"from": its_oracle})


def test_unknown_batch_reads_revert(ledger, reverts_with):
    payload, signature = _reading(0)
    with reverts_with("UnknownBatch", _root(1)):
        ledger.batchOf(_root(1))
    with reverts_with("UnknownBatch", _root(1)):
        ledger.verifyReading(_root(1), _leaf(payload, signature), [])
    with reverts_with("UnknownBatch", _root(1)):
        ledger.verifyReadingBytes(_root(1), payload, signature, [])


# --- proofs -----------------------------------------------------------------------------


@pytest.fixture
def five_readings(anchor):
    """Five readings in an anchored batch (an odd count exercises the unbalanced layout)."""
    readings = [_reading(i) for i in range(5)]
    nodes = _tree([_leaf(p, s) for p, s in readings])
    anchor(nodes[0], count=len(readings))
    return readings, nodes


def test_every_reading_of_a_batch_verifies(ledger, five_readings):
    readings, nodes = five_readings
    root = nodes[0]
    for i, (payload, signature) in enumerate(readings):
        proof = _proof(nodes, i)
        assert ledger.verifyReading(root, _leaf(payload, signature), proof)
        assert ledger.verifyReadingBytes(root, payload, signature, proof)


def test_reading_with_wrong_proof_does_not_verify(ledger, five_readings):
    readings, nodes = five_readings
    root = nodes[0]
    payload, signature = readings[1]
    assert not ledger.verifyReading(root, _leaf(payload, signature), _proof(nodes, 2))
    assert not ledger.verifyReadingBytes(root, payload, signature, _proof(nodes, 2))
    assert not ledger.verifyReading(root, _leaf(payload, signature), [])


def test_tampered_reading_does_not_verify(ledger, five_readings):
    readings, nodes = five_readings
    payload, signature = readings[3]
    assert not ledger.verifyReadingBytes(nodes[0], _flip_last_bit(payload), signature, _proof(nodes, 3))
    assert not ledger.verifyReadingBytes(nodes[0], payload, _flip_last_bit(signature), _proof(nodes, 3))


def test_reading_does_not_verify_against_another_batch(ledger, anchor, five_readings):
    readings, nodes = five_readings
    other = _tree([_leaf(*_reading(i)) for i in range(10, 14)])
    anchor(other[0])
    payload, signature = readings[0]
    assert not ledger.verifyReadingBytes(other[0], payload, signature, _proof(nodes, 0))


def test_single_reading_batch_verifies_with_empty_proof(ledger, anchor):
    payload, signature = _reading(7)
    leaf = _leaf(payload, signature)
    anchor(leaf, count=1)
    assert ledger.verifyReading(leaf, leaf, [])
    assert ledger.verifyReadingBytes(leaf, payload, signature, [])


@pytest.mark.parametrize("payload_length,signature_length", [(67, 64), (69, 64), (68, 63), (68, 65), (0, 0)])
def test_reading_of_wrong_length_is_rejected(ledger, five_readings, payload_length, signature_length, reverts_with):
    _, nodes = five_readings
    with reverts_with("InvalidReadingLength", payload_length, signature_length):
        ledger.verifyReadingBytes(nodes[0], b"\x01" * payload_length, b"\x02" * signature_length, [])


def test_leaf_hash_matches_the_fixed_vector(ledger, anchor):
    """ReadingLeaf.leafHash = keccak256(keccak256(payload ‖ signature)), pinned by a fixed vector.

    A one-leaf batch's root is its leaf, so verifying it with an empty proof checks the on-chain
    hash of these exact bytes against the vector.
    """
    payload = bytes(range(68))
    signature = bytes(range(100, 164))
    leaf = bytes.fromhex("1a0aab72a78fdbe6fe6fb37ddf79ef7a0643946e1da787f431837ef9fc1080e5")
    assert _leaf(payload, signature) == leaf
    anchor(leaf, count=1)
    assert ledger.verifyReadingBytes(leaf, payload, signature, [])
