"""keccak-256, the hash of Merkle leaves and nodes: the C implementation when it is installed.

safe-pysha3's keccak runs ~6x faster than pycryptodome's (through eth-hash) on 64-132 byte
inputs, which is most of the Merkle stage's cost; both give the same digest.
"""

from __future__ import annotations

try:
    from sha3 import keccak_256 as _keccak_256

    def keccak256(data: bytes) -> bytes:
        return _keccak_256(data).digest()

    keccak256_hasher = _keccak_256  # hasher(data).digest(): for loops that cannot afford a wrapper call per hash

except ImportError:  # a platform without a safe-pysha3 build
    from eth_hash.auto import keccak as keccak256  # type: ignore[assignment]

    class keccak256_hasher:  # type: ignore[no-redef]
        def __init__(self, data: bytes) -> None:
            self._data = data

        def digest(self) -> bytes:
            return keccak256(self._data)

__all__ = ["keccak256", "keccak256_hasher"]
