"""k-of-n from the oracles' side: a co-signing oracle approves only what its evidence re-derives, and the
auditor counts a batch anchored under a quorum only once it has its approvals (real anvil, real contracts)."""

from __future__ import annotations

import json

import pytest
from eth_account import Account
from typer.testing import CliRunner

from ledger.chain.connection import ContractRevert
from ledger.chain.devchain import DEV_PRIVATE_KEYS
from ledger.verification import Problem, verify_ledger
from oracles.approvals import ApprovalRefused, approve_if_rederived, sign_approval

CO_SIGNERS = [Account.from_key(DEV_PRIVATE_KEYS[i]) for i in (1, 3)]


def _anchor(node, meter, count: int = 5) -> bytes:
    report = node.ingest((f"t:{i}", r) for i, r in enumerate(meter.readings(count)))
    assert report.accepted == count
    [anchor] = node.flush()
    return anchor.root


@pytest.fixture
def quorum(contracts, tree):
    """Two oracles besides the anchoring one, both required: a 2-of-2 quorum."""
    for signer in CO_SIGNERS:
        contracts.devices.authorize_oracle(tree.institution, signer.address)
    contracts.attestations.set_quorum(tree.institution, 2, [s.address for s in CO_SIGNERS])
    return CO_SIGNERS


def _findings(contracts, node, tree) -> list[tuple[Problem, str]]:
    return [(f.problem, f.detail) for f in verify_ledger(contracts, node.evidence, tree.institution).findings]


def test_a_batch_under_a_quorum_counts_only_with_its_approvals(contracts, tree, node, meter, quorum) -> None:
    ledger = contracts.attestations
    root = _anchor(node, meter)
    assert _findings(contracts, node, tree) == [(Problem.NOT_APPROVED, "0 of the 2 oracle approvals its quorum requires")]
    assert not ledger.counts(root)
    for n, signer in enumerate(quorum, 1):
        approval = approve_if_rederived(ledger, node.evidence, signer, root)
        ledger.approve_batch(root, [approval.oracle], [approval.signature])  # submitted by the anchoring oracle
        assert ledger.approvals_of(root) == (2, n)
    assert _findings(contracts, node, tree) == [] and ledger.counts(root)


def test_without_a_quorum_nothing_needs_approving(contracts, tree, node, meter) -> None:
    root = _anchor(node, meter)
    assert contracts.attestations.counts(root) and _findings(contracts, node, tree) == []
    with pytest.raises(ApprovalRefused, match="anchored without a quorum"):
        approve_if_rederived(contracts.attestations, node.evidence, CO_SIGNERS[0], root)
    with pytest.raises(ApprovalRefused, match="not anchored"):
        approve_if_rederived(contracts.attestations, node.evidence, CO_SIGNERS[0], bytes(32))


def test_an_oracle_refuses_to_approve_evidence_that_does_not_give_the_root(contracts, tree, node, meter, quorum) -> None:
    root = _anchor(node, meter)
    cid = node.spool.last_anchored_batch().evidence_cid
    stored = node.evidence._existing(cid)
    data = bytearray(stored.read_bytes())
    data[-1] ^= 1  # one bit of the last signature
    stored.write_bytes(bytes(data))
    with pytest.raises(ApprovalRefused, match=f"evidence {cid} does not re-derive this root"):
        approve_if_rederived(contracts.attestations, node.evidence, quorum[0], root)


def test_the_contract_refuses_an_approval_signed_for_another_chain(contracts, tree, node, meter, quorum) -> None:
    ledger = contracts.attestations
    root = _anchor(node, meter)
    wrong = sign_approval(quorum[0], ledger.contract.address, ledger.chain.chain_id + 1, root, tree.institution)
    with pytest.raises(ContractRevert) as caught:
        ledger.approve_batch(root, [wrong.oracle], [wrong.signature])
    assert caught.value.name == "InvalidApprovalSignature"
    assert ledger.approvals_of(root) == (2, 0)


def test_zcl_oracle_quorum_and_approve(contracts, tree, node, meter, settings, monkeypatch) -> None:
    from zcl.main import app

    for signer in CO_SIGNERS:
        contracts.devices.authorize_oracle(tree.institution, signer.address)
    monkeypatch.setenv("ZCL_RPC_URL", settings.rpc_url)
    monkeypatch.setenv("ZCL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZCL_EVIDENCE_DIR", str(node.evidence.root))
    monkeypatch.setenv("ZCL_PRIVATE_KEY", DEV_PRIVATE_KEYS[0])  # the admin's
    cli = CliRunner()
    result = cli.invoke(app, ["oracle", "quorum", str(tree.institution), "1", *[s.address for s in CO_SIGNERS]])
    assert result.exit_code == 0, result.output
    assert "1 of 2 oracles must approve each batch" in result.output
    contracts.attestations.chain.resync()  # the CLI sent from the same account: fetch its nonce again
    root = _anchor(node, meter)
    monkeypatch.setenv("ZCL_PRIVATE_KEY", DEV_PRIVATE_KEYS[3])  # the co-signing oracle's own key
    result = cli.invoke(app, ["oracle", "approve", "--institution", str(tree.institution), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"root": "0x" + root.hex(), "approved": True, "approvals": 1, "required": 1, "counts": True}]
    result = cli.invoke(app, ["oracle", "approve", "--institution", str(tree.institution), "0x" + "11" * 32])
    assert result.exit_code == 1 and "not anchored" in result.output
