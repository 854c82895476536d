"""Merkle trees over reading leaves, compatible with OpenZeppelin `MerkleProof`.

Inner nodes hash the sorted pair (OpenZeppelin's commutative `Hashes.commutativeKeccak256`),
and the tree has the layout of @openzeppelin/merkle-tree's `makeMerkleTree`: an array of
2n-1 nodes, leaf i stored at index 2n-2-i, node i the parent of 2i+1 and 2i+2. Leaves keep the
order of the batch's evidence file (no sorting), so the evidence alone fixes the root.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ledger.hashing import keccak256 as keccak
from ledger.hashing import keccak256_hasher as _keccak_256

from ledger.signing import SignedReading


def reading_leaf(signed: SignedReading) -> bytes:
    """keccak256(keccak256(payload ‖ signature)); mirrored by contracts/libraries/ReadingLeaf.sol."""
    return record_leaf(signed.payload + signed.signature)


def record_leaf(record: bytes) -> bytes:
    """The leaf of a signed reading given as one record, payload ‖ signature (as evidence files hold it)."""
    return keccak(keccak(record))


def record_leaves(records: Iterable[bytes]) -> list[bytes]:
    """record_leaf of each record, for a whole batch at once (no wrapper call per hash)."""
    hasher = _keccak_256
    return [hasher(hasher(record).digest()).digest() for record in records]


def input_batch_leaf(batch_root: bytes) -> bytes:
    """keccak256(keccak256(batchRoot)): a batch's leaf in an accounting result's input set
    (AccountingLedger.inputBatchLeaf)."""
    return keccak(keccak(batch_root))


def input_set_root(batch_roots: Sequence[bytes]) -> bytes:
    """Root of the input set over the sorted batch roots; zero for an empty set."""
    roots = sorted(batch_roots)
    return MerkleTree([input_batch_leaf(r) for r in roots]).root if roots else bytes(32)


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


class MerkleTree:
    """A complete tree over `leaves` (32-byte hashes), built once, proofs on demand."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        if set(map(len, leaves)) != {32}:
            wrong = next(len(leaf) for leaf in leaves if len(leaf) != 32)
            raise ValueError(f"leaves must be 32-byte hashes, got {wrong} bytes")
        n = len(leaves)
        nodes: list[bytes] = [b""] * (n - 1) + list(leaves)[::-1]  # leaf i at 2n-2-i
        for i in range(len(nodes) - 1 - n, -1, -1):  # hash_pair, inlined: this loop is most of a batch's cost
            a, b = nodes[2 * i + 1], nodes[2 * i + 2]
            nodes[i] = _keccak_256(a + b).digest() if a < b else _keccak_256(b + a).digest()
        self._nodes = nodes
        self.leaf_count = n

    @property
    def root(self) -> bytes:
        return self._nodes[0]

    def leaf(self, index: int) -> bytes:
        return self._nodes[self._position(index)]

    def proof(self, index: int) -> list[bytes]:
        """Sibling hashes from leaf `index` up to (not including) the root."""
        position = self._position(index)
        proof: list[bytes] = []
        while position > 0:
            sibling = position - 1 if position % 2 == 0 else position + 1
            proof.append(self._nodes[sibling])
            position = (position - 1) // 2
        return proof

    def _position(self, index: int) -> int:
        if not 0 <= index < self.leaf_count:
            raise IndexError(f"leaf index {index} outside 0..{self.leaf_count - 1}")
        return len(self._nodes) - 1 - index


def verify_proof(leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """What OpenZeppelin `MerkleProof.verify(proof, root, leaf)` returns, computed off-chain."""
    computed = leaf
    for sibling in proof:
        computed = hash_pair(computed, sibling)
    return computed == root
