"""`zcl audit`: recompute every on-chain accounting result from chain and evidence alone.

For each submitted result: its report must be the evidence the chain names (CID hash), name a
published methodology and factor set whose hashes are the ones on chain, cover the period on chain,
list exactly the input batches the on-chain input root commits to (each anchored for the
institution), and — recomputed from those batches only — give the same per-scope totals. The input
batches' readings are re-verified (signatures, roots, CIDs) by ledger/verification.py, the signatures
in one worker process per usable core; every Merkle tree is recomputed (the evidence store's root memo,
which accounting may trust, is not read: ledger/evidence_roots.py). The first difference ends the audit,
saying what differs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from eth_utils import keccak

from ledger.accounting.errors import AccountingError
from ledger.accounting.methodology import Scope
from ledger.accounting.metered import UnverifiedEvidence, period_bounds
from ledger.accounting.published import FACTOR_SETS, METHODOLOGIES, factor_set, methodology
from ledger.accounting.report import build_report, bytes32_label, parse_report, report_period
from ledger.chain.clients import LedgerContracts, SubmittedResult
from ledger.audit_credits import audit_credits
from ledger.chain.codes import ResultKind, ResultStatus
from ledger.evidence import EvidenceError, EvidenceStore
from ledger.merkle import input_set_root
from ledger.verification import verify_ledger


@dataclass(frozen=True)
class AuditDifference:
    result_id: int
    what: str
    detail: str

    def describe(self) -> str:
        return f"result {self.result_id}: {self.what}: {self.detail}"


@dataclass
class AuditReport:
    results_checked: int = 0
    results_skipped: int = 0  # rejected results claim nothing
    institutions_verified: list[int] = field(default_factory=list)
    difference: AuditDifference | None = None

    @property
    def ok(self) -> bool:
        return self.difference is None


class _Differs(Exception):
    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"{what}: {detail}")
        self.what, self.detail = what, detail


def audit_results(
    contracts: LedgerContracts,
    evidence: EvidenceStore,
    institution_id: int | None = None,
    on_result: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> AuditReport:
    """Audit every submitted result (of one institution, or all); `workers` signature-checking processes
    (default: one per usable core, none on a single core)."""
    workers = default_workers() if workers is None else workers
    report = AuditReport()
    for submitted in contracts.accounting.submitted_results(institution_id=institution_id):
        record = contracts.accounting.result(submitted.result_id)
        if record.status == ResultStatus.REJECTED:
            report.results_skipped += 1
            continue
        if record.kind == ResultKind.SAVINGS:  # re-derived with the credits they back: ledger/audit_credits.py
            continue
        try:
            if submitted.institution_id not in report.institutions_verified:
                _verify_readings(contracts, evidence, submitted.institution_id, workers)
                report.institutions_verified.append(submitted.institution_id)
            _audit_one(contracts, evidence, submitted, record)
        except _Differs as exc:
            report.difference = AuditDifference(submitted.result_id, exc.what, exc.detail)
            return report
        report.results_checked += 1
        if on_result is not None:
            on_result(submitted.result_id)
    report.difference = audit_credits(contracts, evidence, institution_id, report.institutions_verified, workers)
    return report


def default_workers() -> int:
    """One signature worker per core this process may use; none (verify in-process) when that is one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if cores > 1 else 0


def _verify_readings(contracts: LedgerContracts, evidence: EvidenceStore, institution_id: int, workers: int) -> None:
    found = verify_ledger(contracts, evidence, institution_id, workers=workers)
    if not found.ok:
        raise _Differs("input readings do not verify", found.findings[0].describe())


def _audit_one(contracts: LedgerContracts, evidence: EvidenceStore, submitted: SubmittedResult, record) -> None:
    cid = submitted.input.report_cid
    if keccak(text=cid) != record.report_cid_hash:
        raise _Differs("report CID", f"event names {cid}, whose hash the contract does not store")
    try:
        document = parse_report(evidence.cat(cid))
    except (EvidenceError, AccountingError) as exc:
        raise _Differs("report", f"{cid}: {exc}") from None

    method_label, factors_label = document.get("methodology", ""), document.get("factor_set", "")
    if bytes32_label(record.methodology_id) != method_label:
        raise _Differs("methodology id", f"chain says {bytes32_label(record.methodology_id)!r}, report {method_label!r}")
    try:
        method = methodology(*method_label.split("@", 1))
        factors = factor_set(*factors_label.split("@", 1))
    except (AccountingError, TypeError) as exc:
        raise _Differs("methodology or factor set", str(exc)) from None
    if bytes.fromhex(method.content_hash) != record.methodology_hash:
        raise _Differs("methodology hash", f"0x{record.methodology_hash.hex()} on chain is not published {method.label} "
                                           f"(0x{method.content_hash}){_known(record.methodology_hash, METHODOLOGIES)}")
    if bytes.fromhex(factors.content_hash) != record.factor_set_hash:
        raise _Differs("factor set hash", f"0x{record.factor_set_hash.hex()} on chain is not published {factors.label} "
                                          f"(0x{factors.content_hash}){_known(record.factor_set_hash, FACTOR_SETS)}")

    period = report_period(document)
    if period_bounds(period) != (record.period_start, record.period_end):
        raise _Differs("period", f"report covers {period}, chain [{record.period_start}, {record.period_end})")
    if (document.get("institution"), document.get("boundary")) != (record.institution_id, record.boundary_id):
        raise _Differs("boundary", f"report is for {document.get('institution')}/{document.get('boundary')}, "
                                   f"chain for {record.institution_id}/{record.boundary_id}")

    batches = [bytes.fromhex(r.removeprefix("0x")) for r in document.get("input_batches", [])]
    if input_set_root(batches) != record.input_root or len(batches) != record.input_batch_count:
        raise _Differs("input batches", f"the report's {len(batches)} batches do not give the on-chain input root "
                                        f"0x{record.input_root.hex()} ({record.input_batch_count} batches)")
    for root in batches:
        if not contracts.attestations.is_anchored(root) or \
                contracts.attestations.batch(root).institution_id != record.institution_id:
            raise _Differs("input batches", f"0x{root.hex()} is not a batch anchored for institution {record.institution_id}")

    try:
        recomputed = build_report(contracts, evidence, record.institution_id, record.boundary_id, period, method, factors,
                                  only_batches=frozenset(batches))
    except (UnverifiedEvidence, AccountingError) as exc:
        raise _Differs("recomputation", str(exc)) from None
    scopes = recomputed.result.scope_totals_chain()
    for scope, stored in ((Scope.SCOPE_1, record.scope1), (Scope.SCOPE_2, record.scope2), (Scope.SCOPE_3, record.scope3)):
        if scopes[scope] != stored:
            raise _Differs(f"scope {int(scope)} total", f"chain says {stored} gCO2e, recomputed {scopes[scope]} gCO2e")
    if recomputed.result.content_hash != document.get("result_hash"):
        raise _Differs("report contents", "the report's result differs from the recomputed one "
                                          f"(hash {document.get('result_hash')} vs {recomputed.result.content_hash})")


def _known(value: bytes, published: dict) -> str:
    for (name, version), item in published.items():
        if bytes.fromhex(item.content_hash) == value:
            return f"; it is {name}@{version}"
    return "; no published version has it"
