"""A deployed contract's source, compiler metadata and the check that its on-chain code is that source.

The check recompiles contracts/ with the project's compiler settings (ledger/chain/compiler.py, cached
by a hash of sources and settings) and compares the runtime code with `eth_getCode` through
`runtime_code_matches`: immutables and solc's trailing CBOR metadata are masked. The trailer is
`a2 64 'ipfs' 58 22 <34-byte multihash of the metadata JSON> 64 'solc' 43 <major minor patch>` followed
by its own length in two bytes; the metadata JSON names source files by path and hashes their text, so
a comment or a different checkout path changes the trailer but not one instruction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from multiformats import multibase
from web3 import Web3

from ledger.chain.compiler import SETTINGS, Artifact, compile_contracts, runtime_code_matches, standard_json_input
from ledger.chain.deployment import Deployment, standard_input_digest

_IPFS_PREFIX = bytes.fromhex("a264697066735822")
_SOLC_MARK = bytes.fromhex("64736f6c6343")


@dataclass(frozen=True)
class CborTrailer:
    """What solc appended after the code: the metadata's IPFS hash and the compiler version."""

    length: int
    ipfs: str | None
    solc: str | None
    raw_hex: str


@dataclass(frozen=True)
class SourceCheck:
    name: str
    address: str
    compiler_version: str
    settings: dict
    input_digest: str
    deployment_compiler: str
    deployment_digest_matches: bool
    onchain_size: int
    compiled_size: int
    matches: bool
    onchain_trailer: CborTrailer | None
    compiled_trailer: CborTrailer | None
    immutable_ranges: list[tuple[int, int]]
    sources: dict[str, str]
    metadata: dict


def cbor_trailer(code: bytes) -> CborTrailer | None:
    """The trailer solc appends (its layout is in the module docstring); None when the code has none."""
    if len(code) < 2:
        return None
    length = int.from_bytes(code[-2:], "big")
    if length + 2 > len(code):
        return None
    raw = code[-2 - length : -2]
    ipfs = solc = None
    if raw.startswith(_IPFS_PREFIX) and len(raw) >= 8 + 34:
        ipfs = multibase.encode(raw[8 : 8 + 34], "base58btc")[1:]  # CIDv0 text: base58btc without the 'z'
        rest = raw[8 + 34 :]
        if rest.startswith(_SOLC_MARK) and len(rest) == 9:
            solc = ".".join(str(b) for b in rest[6:9])
    return CborTrailer(length, ipfs, solc, raw.hex())


def check_contract(w3: Web3, deployment: Deployment, name: str, fresh: bool = False) -> SourceCheck:
    """Recompile (from cache unless `fresh`) and compare `name`'s runtime code with the chain's."""
    address = deployment.address(name)
    artifact: Artifact = compile_contracts(force=fresh)[name]
    onchain = bytes(w3.eth.get_code(address))
    compiled = bytes.fromhex(artifact.deployed_bytecode[2:])
    metadata = json.loads(artifact.metadata)
    sources = standard_json_input()["sources"]
    used = {path: sources[path]["content"] for path in metadata.get("sources", {}) if path in sources}
    digest = standard_input_digest()
    return SourceCheck(
        name=name, address=address, compiler_version=metadata["compiler"]["version"], settings=SETTINGS,
        input_digest=digest, deployment_compiler=deployment.compiler,
        deployment_digest_matches=digest in deployment.compiler, onchain_size=len(onchain),
        compiled_size=len(compiled), matches=runtime_code_matches(onchain, artifact),
        onchain_trailer=cbor_trailer(onchain), compiled_trailer=cbor_trailer(compiled),
        immutable_ranges=artifact.immutable_ranges, sources=used, metadata=metadata)


def contract_metadata(name: str) -> dict:
    """solc's metadata JSON for `name` (what Sourcify and Blockscout verify against)."""
    return json.loads(compile_contracts()[name].metadata)

