"""A period report: the accounting result with everything needed to recompute it, and its on-chain form.

The report is canonical JSON stored as evidence; the AccountingLedger keeps its CID's hash, the
methodology and factor-set hashes, the per-scope totals and the root of the input batch set, so an
auditor can fetch the report, find the same published methodology and factors, re-derive the activity
from exactly the batches it names, and compare every figure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from ledger.accounting.engine import AccountingResult, account
from ledger.accounting.errors import AccountingError
from ledger.accounting.factors import FactorSet, Period, canonical_json
from ledger.accounting.metered import MeteredActivity, collect_points, metered_activity, period_bounds
from ledger.accounting.methodology import Methodology, Scope
from ledger.chain.clients import LedgerContracts, ResultInput
from ledger.evidence import EvidenceStore

REPORT_KIND = "zcl.accounting-report/1"


def label_bytes32(label: str) -> bytes:
    """`id@version` as left-aligned ASCII in a bytes32 (readable on any explorer)."""
    raw = label.encode("ascii")
    if len(raw) > 32:
        raise AccountingError(f"{label!r} is longer than 32 bytes and cannot be a bytes32 label")
    return raw.ljust(32, b"\0")


def bytes32_label(value: bytes) -> str:
    return value.rstrip(b"\0").decode("ascii", errors="replace")


@dataclass(frozen=True)
class PeriodReport:
    institution_id: int
    boundary_id: int
    activity: MeteredActivity
    result: AccountingResult

    @property
    def methodology_label(self) -> str:
        return f"{self.result.methodology_id}@{self.result.methodology_version}"

    @property
    def factor_set_label(self) -> str:
        return f"{self.result.factor_set_id}@{self.result.factor_set_version}"

    def to_json(self) -> dict[str, object]:
        start, end = period_bounds(self.result.period)
        return {
            "kind": REPORT_KIND,
            "institution": self.institution_id,
            "boundary": self.boundary_id,
            "period": {"first_day": self.result.period.start.isoformat(), "last_day": self.result.period.end.isoformat(),
                       "start_unix": start, "end_unix": end, "timezone": "+08:00"},
            "methodology": self.methodology_label,
            "factor_set": self.factor_set_label,
            "input_batches": ["0x" + r.hex() for r in self.activity.batch_roots],
            "input_root": "0x" + self.activity.input_root.hex(),
            "devices": [{
                "device_id": "0x" + d.device_id.hex(), "activity": d.activity, "amount": str(d.amount),
                "readings_used": d.readings_used, "counter_resets": d.counter_resets,
                "estimates": [{"start": e.start, "end": e.end, "method": e.method, "amount": str(e.amount)}
                              for e in d.estimates],
            } for d in self.activity.devices],
            "result": self.result.to_json(),
            "result_hash": self.result.content_hash,
        }

    def encode(self) -> bytes:
        return canonical_json(self.to_json())

    def result_input(self, report_cid: str) -> ResultInput:
        start, end = period_bounds(self.result.period)
        scopes = self.result.scope_totals_chain()
        return ResultInput(
            period_start=start, period_end=end,
            methodology_id=label_bytes32(self.methodology_label),
            methodology_hash=bytes.fromhex(self.result.methodology_hash),
            factor_set_hash=bytes.fromhex(self.result.factor_set_hash),
            scope1=scopes[Scope.SCOPE_1], scope2=scopes[Scope.SCOPE_2], scope3=scopes[Scope.SCOPE_3],
            input_root=self.activity.input_root, input_batch_count=len(self.activity.batch_roots),
            report_cid=report_cid,
        )


def boundary_devices(contracts: LedgerContracts, institution_id: int, boundary_id: int) -> frozenset[bytes] | None:
    """The meters registered inside `boundary_id`; None for the whole institution."""
    if boundary_id == institution_id:
        return None
    if not contracts.organizations.is_ancestor_or_self(institution_id, boundary_id):
        raise AccountingError(f"boundary {boundary_id} is not inside institution {institution_id}")
    return frozenset(
        d for d in contracts.devices.registered_devices(institution_id=institution_id)
        if contracts.organizations.is_ancestor_or_self(boundary_id, contracts.devices.device(d).scene_id)
    )


def build_report(
    contracts: LedgerContracts,
    evidence: EvidenceStore,
    institution_id: int,
    boundary_id: int,
    period: Period,
    methodology: Methodology,
    factors: FactorSet,
    only_batches: frozenset[bytes] | None = None,
) -> PeriodReport:
    """Account `period` for a boundary from anchored readings (or from exactly `only_batches`)."""
    devices = boundary_devices(contracts, institution_id, boundary_id)
    series, roots = collect_points(contracts, evidence, institution_id, *period_bounds(period),
                                   only_batches=only_batches, devices=devices)
    activity = metered_activity(institution_id, period, series, roots)
    return PeriodReport(institution_id, boundary_id, activity,
                        account(activity.emission_activities, methodology, factors, period))


def parse_report(data: bytes) -> dict:
    """The report's JSON; AccountingError when it is not a report of this kind."""
    try:
        report = json.loads(data)
    except ValueError as exc:
        raise AccountingError(f"report is not JSON: {exc}") from None
    if not isinstance(report, dict) or report.get("kind") != REPORT_KIND:
        raise AccountingError(f"not a {REPORT_KIND} document")
    return report


def report_period(report: dict) -> Period:
    return Period(date.fromisoformat(report["period"]["first_day"]), date.fromisoformat(report["period"]["last_day"]))
