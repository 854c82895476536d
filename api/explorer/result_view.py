"""An accounting result as the chain records it, joined with its report: input batches and methodology.

The page links every input batch (from the report the chain names by CID hash) and says whether those
batches give the on-chain input root and whether the methodology and factor-set hashes are those of
the published versions. Recomputing the totals is `zcl audit` (ledger/audit.py); the page links to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import keccak

from ledger.accounting.errors import AccountingError
from ledger.accounting.published import factor_set, methodology
from ledger.accounting.report import bytes32_label, parse_report
from ledger.chain.clients import AccountingRecord, LedgerContracts, SubmittedResult
from ledger.chain.connection import ContractRevert
from ledger.evidence import EvidenceError, EvidenceStore
from ledger.merkle import input_set_root

from api.explorer.chain_view import NotFound


@dataclass(frozen=True)
class ResultView:
    record: AccountingRecord
    submitted: SubmittedResult | None
    report_cid: str | None
    report_cid_matches: bool
    report_error: str | None
    methodology_label: str
    methodology_published: bool
    factor_set_label: str | None
    factor_set_published: bool
    input_batches: list[str]
    input_root_matches: bool
    report: dict | None


def result_view(contracts: LedgerContracts, evidence: EvidenceStore, result_id: int) -> ResultView:
    try:
        record = contracts.accounting.result(result_id)
    except ContractRevert as exc:
        raise NotFound(f"no accounting result {result_id} ({exc})") from None
    submitted = next((s for s in contracts.accounting.submitted_results(institution_id=record.institution_id)
                      if s.result_id == result_id), None)
    cid = submitted.input.report_cid if submitted else None
    report, error = None, None
    if cid is not None:
        try:
            report = parse_report(evidence.cat(cid))
        except (EvidenceError, AccountingError) as exc:
            error = str(exc)
    label = bytes32_label(record.methodology_id)
    factors_label = report.get("factor_set") if report else None
    batches = [bytes.fromhex(r.removeprefix("0x")) for r in (report or {}).get("input_batches", [])]
    return ResultView(
        record=record, submitted=submitted, report_cid=cid,
        report_cid_matches=cid is not None and keccak(text=cid) == record.report_cid_hash, report_error=error,
        methodology_label=label, methodology_published=_published_hash(methodology, label) == record.methodology_hash,
        factor_set_label=factors_label,
        factor_set_published=_published_hash(factor_set, factors_label) == record.factor_set_hash,
        input_batches=["0x" + b.hex() for b in batches],
        input_root_matches=bool(batches) and input_set_root(batches) == record.input_root
        and len(batches) == record.input_batch_count,
        report=report)


def _published_hash(lookup, label: str | None) -> bytes | None:
    """The content hash of the published `id@version`, or None when no such version is published."""
    if not label or "@" not in label:
        return None
    try:
        return bytes.fromhex(lookup(*label.split("@", 1)).content_hash)
    except AccountingError:
        return None
