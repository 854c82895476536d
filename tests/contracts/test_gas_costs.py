"""Gas of the hot path and of deployment, printed for the record (run with -s to see them)."""

from __future__ import annotations

from brownie import web3
from eth_utils import keccak

CID_V0 = "QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"  # 46 characters, as `ipfs add` prints
ANCHOR_GAS_LIMIT = 70_000  # whole transaction, for every anchor after an institution's first
EIP170_CODE_LIMIT = 24_576


def test_subsequent_anchor_costs_at_most_70k_gas(ledger, tree, authorized_oracle):
    first_root, second_root = keccak(b"batch 1"), keccak(b"batch 2")
    first = ledger.anchorBatch(
        tree.institution, first_root, b"\x00" * 32, 100, 1_700_000_000, 1_700_000_900, CID_V0, {"from": authorized_oracle}
    )
    second = ledger.anchorBatch(
        tree.institution, second_root, first_root, 100, 1_700_000_900, 1_700_001_800, CID_V0, {"from": authorized_oracle}
    )
    print(f"\nanchorBatch gas: first {first.gas_used}, subsequent {second.gas_used} (46-char CIDv0)")
    assert second.gas_used <= ANCHOR_GAS_LIMIT


def test_contracts_fit_the_code_size_limit(org, devices, ledger):
    for contract in (org, devices, ledger):
        size = len(web3.eth.get_code(contract.address))
        print(f"\n{contract._name}: deploy gas {contract.tx.gas_used}, runtime {size} bytes")
        assert size <= EIP170_CODE_LIMIT
