"""`zcl oracle run --approve`: two oracles of one institution under a 2-of-2 quorum on a real anvil.

Oracle 1 anchors and approves its own batches; oracle 2 (its own key, its own folder, the same
evidence store) runs with --approve and no sources, re-derives every waiting batch from its evidence
and co-signs it; a batch whose evidence was tampered with is refused, logged and shown by
`zcl oracle status`, never signed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from typer.testing import CliRunner

from ledger.chain.devchain import DEV_PRIVATE_KEYS
from ledger.evidence import LocalEvidenceStore
from oracles.approval_log import ApprovalLog
from oracles.approver import ApprovalPolicy, Approver
from oracles.jsonl import signed_reading_to_json
from tests.oracles.conftest import START
from tests.oracles.meters import registered_meter
from zcl.main import app

cli = CliRunner()
ORACLE_1, ORACLE_2 = (Account.from_key(DEV_PRIVATE_KEYS[i]) for i in (0, 3))
OUTSIDER = Account.from_key("0x" + "42" * 32)  # an authorised oracle of the institution, outside its quorum


@pytest.fixture
def institution(settings, deployment, contracts, tree, monkeypatch) -> int:
    """Oracles 1 and 2 authorised, a quorum of both; the CLI acting as oracle 1 (the settings' key)."""
    contracts.devices.authorize_oracle(tree.institution, ORACLE_2.address)
    contracts.devices.authorize_oracle(tree.institution, OUTSIDER.address)
    contracts.attestations.set_quorum(tree.institution, 2, [ORACLE_1.address, ORACLE_2.address])
    for name, value in {"ZCL_RPC_URL": settings.rpc_url, "ZCL_DATA_DIR": str(settings.data_dir),
                        "ZCL_PRIVATE_KEY": settings.private_key}.items():
        monkeypatch.setenv(name, value)
    return tree.institution


def _readings(tmp_path: Path, meter, first: int, count: int, name: str) -> Path:
    path = tmp_path / name
    path.write_text("".join(signed_reading_to_json(meter.sign(s, START + s * 900, 100 + s)) + "\n"
                            for s in range(first, first + count)))
    return path


def _run(institution: int, *extra: str) -> None:
    result = cli.invoke(app, ["oracle", "run", "--institution", str(institution), "--until-idle", "--approve",
                              "--verify-workers", "0", "--batch-window", "0", *extra])
    assert result.exit_code == 0, result.output


def _as_oracle_2(monkeypatch, settings, contracts, tmp_path: Path) -> None:
    """Another machine: its own key and folder, the shared evidence store and the deployment's addresses."""
    monkeypatch.setenv("ZCL_PRIVATE_KEY", DEV_PRIVATE_KEYS[3])
    monkeypatch.setenv("ZCL_DATA_DIR", str(tmp_path / "oracle-2"))
    monkeypatch.setenv("ZCL_EVIDENCE_DIR", str(settings.evidence_path))
    monkeypatch.setenv("ZCL_DEPLOYMENT_FILE", str(settings.deployment_path(contracts.attestations.chain.chain_id)))


def test_a_second_oracle_co_signs_what_re_derives_and_refuses_tampered_evidence(
        institution, contracts, tree, settings, tmp_path, monkeypatch) -> None:
    ledger = contracts.attestations
    meter = registered_meter(contracts, tree.building, "approve-kwh")
    _run(institution, "--file", str(_readings(tmp_path, meter, 1, 4, "a.jsonl")))
    _run(institution, "--file", str(_readings(tmp_path, meter, 5, 3, "b.jsonl")))
    first, second = ledger.anchored_batches(institution_id=institution)
    assert (first.reading_count, second.reading_count) == (4, 3) and first.oracle == second.oracle == ORACLE_1.address
    assert ledger.approvals_of(first.root) == ledger.approvals_of(second.root) == (2, 1)  # oracle 1's own approval
    assert not ledger.counts(first.root)

    stored = LocalEvidenceStore(settings.evidence_path)._existing(second.evidence_cid)
    tampered = bytearray(stored.read_bytes())
    tampered[-1] ^= 1  # one bit of the last reading's signature
    stored.write_bytes(bytes(tampered))

    _as_oracle_2(monkeypatch, settings, contracts, tmp_path)
    _run(institution)
    assert ledger.approvals_of(first.root) == (2, 2) and ledger.counts(first.root)
    assert ledger.approvals_of(second.root) == (2, 1) and not ledger.counts(second.root)

    _run(institution)  # a restart decides nothing twice
    result = cli.invoke(app, ["oracle", "status", "--institution", str(institution), "--json"])
    assert result.exit_code == 0, result.output
    approvals = json.loads(result.stdout)["approvals"]
    assert approvals["by_state"] == {"approved": 1, "refused": 1} and approvals["note"] == ""
    [refused] = approvals["refused"]
    assert (refused["root"], refused["anchored_by"], refused["state"]) == ("0x" + second.root.hex(), ORACLE_1.address,
                                                                           "refused")
    assert refused["reason"] == f"evidence {second.evidence_cid} does not re-derive this root"
    assert ledger.approvals_of(second.root) == (2, 1)
    table = cli.invoke(app, ["oracle", "status", "--institution", str(institution)])
    assert table.exit_code == 0, table.output
    for text in ("1 approved, 1 refused, 0 waiting", "refused to approve", "0x" + second.root.hex()):
        assert text in table.output


def test_missing_evidence_is_refused_and_an_oracle_outside_the_quorum_approves_nothing(
        institution, contracts, tree, settings, tmp_path, monkeypatch) -> None:
    ledger = contracts.attestations
    meter = registered_meter(contracts, tree.building, "approve-missing")
    _run(institution, "--file", str(_readings(tmp_path, meter, 1, 2, "a.jsonl")))
    [anchor] = ledger.anchored_batches(institution_id=institution)
    LocalEvidenceStore(settings.evidence_path)._existing(anchor.evidence_cid).unlink()

    outsider = Approver(ledger, LocalEvidenceStore(settings.evidence_path), OUTSIDER, institution,
                        ApprovalLog(tmp_path / "outsider" / "approvals.sqlite"))
    report = outsider.step()
    assert report.note == (f"{OUTSIDER.address} is not a member of institution {institution}'s quorum (2 of 2): "
                           "it approves nothing") and not report.approved and not report.refused
    assert outsider.log.counts() == {} and outsider.log.note() == report.note

    approver = Approver(ledger, LocalEvidenceStore(settings.evidence_path), ORACLE_2, institution,
                        ApprovalLog(tmp_path / "oracle-2" / "approvals.sqlite"), policy=ApprovalPolicy(max_per_step=1))
    report = approver.step()
    assert report.found == 1 and report.refused == [
        (anchor.root, f"evidence {anchor.evidence_cid} is missing from the evidence store")]
    assert ledger.approvals_of(anchor.root) == (2, 1)


def test_bad_uses_of_approve_are_refused_before_anything_starts(institution, monkeypatch) -> None:
    monkeypatch.delenv("ZCL_PRIVATE_KEY")
    result = cli.invoke(app, ["oracle", "run", "--institution", str(institution), "--approve", "--until-idle"])
    assert result.exit_code == 2
    assert "--approve signs approvals with this oracle's key: set ZCL_PRIVATE_KEY or ZCL_KEYSTORE" in result.output


def test_without_a_quorum_an_approving_oracle_says_there_is_nothing_to_approve(contracts, tree, settings, tmp_path) -> None:
    approver = Approver(contracts.attestations, LocalEvidenceStore(settings.evidence_path), ORACLE_1, tree.institution,
                        ApprovalLog(tmp_path / "approvals.sqlite"))
    report = approver.step()
    assert report.note == f"institution {tree.institution} requires no approvals (no quorum): nothing to approve"
    assert approver.log.scanned_to() is None and approver.log.counts() == {}
