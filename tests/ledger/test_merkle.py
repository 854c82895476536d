"""Merkle trees and proofs, checked off-chain and by the deployed AttestationLedger (OpenZeppelin MerkleProof)."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.merkle import MerkleTree, hash_pair, reading_leaf, verify_proof
from ledger.signing import SignedReading
from tests.ledger.vectors import VECTOR_LEAF, VECTOR_PAYLOAD, VECTOR_SIGNATURE


def test_vector_leaf() -> None:
    assert reading_leaf(SignedReading(VECTOR_PAYLOAD, VECTOR_SIGNATURE)) == VECTOR_LEAF


def test_three_leaf_tree_has_the_openzeppelin_layout() -> None:
    a, b, c = (keccak(bytes([i])) for i in range(3))
    # makeMerkleTree: 5 nodes, leaves a, b, c at 4, 3, 2; node 1 = hash(3, 4); root = hash(1, 2)
    assert MerkleTree([a, b, c]).root == hash_pair(hash_pair(a, b), c)


def test_single_leaf_tree_is_its_leaf_with_empty_proof() -> None:
    tree = MerkleTree([VECTOR_LEAF])
    assert tree.root == VECTOR_LEAF and tree.proof(0) == []


def test_empty_tree_and_bad_leaves_are_refused() -> None:
    with pytest.raises(ValueError):
        MerkleTree([])
    with pytest.raises(ValueError):
        MerkleTree([b"short"])
    with pytest.raises(IndexError):
        MerkleTree([VECTOR_LEAF]).proof(1)


@settings(max_examples=100)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=70, unique=True))
def test_every_leafs_proof_verifies_and_no_other_leaf_does(leaves: list[bytes]) -> None:
    tree = MerkleTree(leaves)
    for i, leaf in enumerate(leaves):
        assert verify_proof(leaf, tree.proof(i), tree.root)
    outsider = keccak(b"".join(leaves))
    assert not verify_proof(outsider, tree.proof(0), tree.root)


def test_deployed_contract_verifies_python_proofs(contracts, tree) -> None:
    leaves = [keccak(bytes([i])) for i in range(37)]
    merkle = MerkleTree(leaves)
    contracts.attestations.anchor_batch(tree.institution, merkle.root, bytes(32), len(leaves), 1, 2, "QmTest")
    for i in range(len(leaves)):
        assert contracts.attestations.verify_reading(merkle.root, leaves[i], merkle.proof(i))
    assert not contracts.attestations.verify_reading(merkle.root, keccak(b"not a leaf"), merkle.proof(0))
    assert not contracts.attestations.verify_reading(merkle.root, leaves[1], merkle.proof(0))


def test_contract_hashes_the_vector_reading_to_the_python_leaf(contracts, tree) -> None:
    contracts.attestations.anchor_batch(tree.institution, VECTOR_LEAF, bytes(32), 1, 1, 1, "QmVector")
    assert contracts.attestations.verify_reading_bytes(VECTOR_LEAF, VECTOR_PAYLOAD, VECTOR_SIGNATURE, [])
    tampered = VECTOR_PAYLOAD[:-1] + bytes([VECTOR_PAYLOAD[-1] ^ 1])
    assert not contracts.attestations.verify_reading_bytes(VECTOR_LEAF, tampered, VECTOR_SIGNATURE, [])
