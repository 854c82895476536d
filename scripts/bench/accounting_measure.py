"""The accounting measurements: one timed pass, its peak memory, where the time goes, and the audit.

Timings are wall-clock seconds of this process, pinned to one core by the caller. Peak memory is
the resident-set high-water mark during the pass minus the resident set just before it (Linux
resets the mark through /proc/self/clear_refs; elsewhere ru_maxrss is used, which can only
under-state the delta when the process was larger before).
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import resource
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter, process_time

import ledger.audit as audit_module
from ledger.accounting.engine import AccountingResult, account
from ledger.accounting.metered import (
    ACTIVITY_OF, GENERATION, MeteredActivity, Point, add_readings, collect_points, metered_activity, period_bounds,
)
from ledger.accounting.published import CN_PUBLIC_INSTITUTION_2022, PUBLIC_INSTITUTION_INVENTORY
from ledger.accounting.quantities import reading_quantity
from ledger.audit import AuditReport, audit_results
from ledger.batch import decode_batch, evidence_readings, evidence_root, forget_evidence_roots
from ledger.evidence_roots import root_memo_for
from ledger.chain.clients import LedgerContracts
from ledger.evidence import EvidenceStore, compute_cid
from ledger.verification import VerificationReport
from scripts.bench.accounting_data import YEAR

METHODOLOGY = PUBLIC_INSTITUTION_INVENTORY
FACTORS = CN_PUBLIC_INSTITUTION_2022


@dataclass
class AccountingPass:
    collect_seconds: float
    metered_seconds: float
    account_seconds: float
    cpu_seconds: float
    rss_before_bytes: int
    rss_peak_bytes: int
    peak_method: str
    points: int
    devices: int
    activity: MeteredActivity
    result: AccountingResult

    @property
    def seconds(self) -> float:
        return self.collect_seconds + self.metered_seconds + self.account_seconds

    @property
    def memory_delta_bytes(self) -> int:
        return self.rss_peak_bytes - self.rss_before_bytes


def timed_accounting(contracts: LedgerContracts, evidence: EvidenceStore, institution_id: int,
                     cold: bool = True, memo: bool = True) -> AccountingPass:
    """collect_points + metered_activity + account for the year, as build_report runs them.

    Cold: the process's cache of verified roots is emptied first, as in a fresh process; then with
    `memo` the store's persistent root memo (ledger/evidence_roots.py) is kept, as for any accounting
    after the oracle, the indexer, a verification or an earlier accounting computed the roots; without
    it the memo is deleted and every batch's Merkle root recomputed (a first accounting; it writes the
    memo). Warm: the roots verified by an earlier pass in this process are reused. CIDs are always
    recomputed.
    """
    if cold:
        forget_evidence_roots()
        store_memo = root_memo_for(evidence)
        if store_memo is not None:
            store_memo.clear() if not memo else store_memo.close()
    gc.collect()
    before, method = _reset_peak()
    cpu = process_time()
    t0 = perf_counter()
    series, roots = collect_points(contracts, evidence, institution_id, *period_bounds(YEAR))
    t1 = perf_counter()
    activity = metered_activity(institution_id, YEAR, series, roots)
    t2 = perf_counter()
    result = account(activity.emission_activities, METHODOLOGY, FACTORS, YEAR)
    t3 = perf_counter()
    cpu = process_time() - cpu
    peak = _peak_rss(method)
    points = sum(len(m) for m in series.values())
    devices = len(series)
    del series
    gc.collect()
    return AccountingPass(t1 - t0, t2 - t1, t3 - t2, cpu, before, peak, method, points, devices, activity, result)


def stage_breakdown(contracts: LedgerContracts, evidence: EvidenceStore, institution_id: int) -> list[dict]:
    """The steps of collect_points run one at a time over every batch, then metered_activity and account.

    Each step is timed on its own (the same calls collect_points and checked_evidence make, in the same
    order), so the steps add up to about the timed pass. The Merkle step runs cold: this process's
    cache of verified roots is emptied first.
    """
    clock: dict[str, float] = {}

    def timed(stage: str, fn: Callable[[], object]) -> object:
        t = perf_counter()
        out = fn()
        clock[stage] = clock.get(stage, 0.0) + perf_counter() - t
        return out

    forget_evidence_roots()
    batches = timed("chain: BatchAnchored events", lambda: contracts.attestations.anchored_batches(
        institution_id=institution_id))
    series: dict = {}
    for batch in batches:  # type: ignore[union-attr]
        data = timed("evidence read (LocalEvidenceStore.cat)", lambda: evidence.cat(batch.evidence_cid))
        timed("CID recompute (UnixFS sha256)", lambda: compute_cid(
            data, cid_version=1 if batch.evidence_cid.startswith("b") else 0))
        timed("Merkle root recompute (evidence_root: keccak leaves + tree)", lambda: evidence_root(data))
        columns = timed("reading decode (evidence_readings: one struct call per batch)",
                        lambda: evidence_readings(data)[1])
        timed("group into meter series (add_readings: runs → int arrays)", lambda: add_readings(series, columns))
    roots = tuple(sorted(b.root for b in batches))  # type: ignore[union-attr]
    activity = timed("metered_activity (telescoped integer differences; Fractions at the ends)",
                     lambda: metered_activity(institution_id, YEAR, series, roots))
    timed("account (factors, Decimal)", lambda: account(activity.emission_activities, METHODOLOGY, FACTORS, YEAR))
    return [{"stage": stage, "seconds": seconds} for stage, seconds in clock.items()]


def original_path_baseline(contracts: LedgerContracts, evidence: EvidenceStore, institution_id: int,
                           batch_roots: frozenset[bytes]) -> dict:
    """The reading-by-reading path accounting used before the columnar one (commit 31f82a7: decode_batch,
    a SignedReading, Reading, Decimal Quantity and Point per reading, then Decimal differencing), run on
    `batch_roots` beside the current path on the same batches: the ratio of the two on one machine at
    one moment, which a noisy shared machine cannot give between runs."""
    roots = tuple(sorted(batch_roots))
    gc.collect()
    t = perf_counter()
    series: dict = {}
    for batch in contracts.attestations.anchored_batches(institution_id=institution_id):
        if batch.root not in batch_roots:
            continue
        data = evidence.cat(batch.evidence_cid)
        if compute_cid(data, cid_version=1 if batch.evidence_cid.startswith("b") else 0) != batch.evidence_cid:
            raise RuntimeError("evidence does not hash to its CID")
        parsed = decode_batch(data)
        if parsed.tree().root != batch.root:
            raise RuntimeError("evidence does not give its root")
        for signed in parsed.readings:
            reading = signed.reading
            if reading.quantity not in ACTIVITY_OF and reading.quantity not in GENERATION:
                continue
            kind, points = series.setdefault(reading.device_id, (reading.quantity, []))
            points.append(Point(reading.timestamp, reading.sequence, reading_quantity(reading)))
    original = metered_activity(institution_id, YEAR, series, roots)
    original_seconds = perf_counter() - t
    readings = sum(len(p) for _, p in series.values())
    del series
    gc.collect()
    forget_evidence_roots()
    t = perf_counter()
    now_series, now_roots = collect_points(contracts, evidence, institution_id, *period_bounds(YEAR),
                                           only_batches=batch_roots)
    current = metered_activity(institution_id, YEAR, now_series, now_roots)
    current_seconds = perf_counter() - t
    if current != original:
        raise RuntimeError("the columnar path and the original path disagree on the baseline batches")
    return {"batches": len(batch_roots), "readings": readings, "original_seconds": original_seconds,
            "current_seconds": current_seconds, "speedup": original_seconds / current_seconds,
            "identical_results": True}


def profile_accounting(contracts: LedgerContracts, evidence: EvidenceStore, institution_id: int,
                       batch_roots: frozenset[bytes], top: int = 25) -> dict:
    """cProfile of the pass restricted to `batch_roots` (a subset, since cProfile slows it several times)."""
    forget_evidence_roots()
    profiler = cProfile.Profile()
    t = perf_counter()
    profiler.enable()
    series, roots = collect_points(contracts, evidence, institution_id, *period_bounds(YEAR), only_batches=batch_roots)
    activity = metered_activity(institution_id, YEAR, series, roots)
    account(activity.emission_activities, METHODOLOGY, FACTORS, YEAR)
    profiler.disable()
    seconds = perf_counter() - t
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (filename, line, name), (cc, nc, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{_short(filename)}:{line}({name})", "calls": nc, "tottime": tottime,
                     "cumtime": cumtime})
    rows.sort(key=lambda r: r["tottime"], reverse=True)
    total = sum(r["tottime"] for r in rows)
    for r in rows:
        r["share_of_profiled"] = r["tottime"] / total if total else 0.0
    return {"batches": len(batch_roots), "readings": sum(len(m) for m in series.values()),
            "profiled_seconds": seconds, "top_by_own_time": rows[:top]}


@dataclass
class AuditTiming:
    seconds: float
    cpu_seconds: float
    verify_ledger_seconds: float
    verification: VerificationReport | None
    report: AuditReport


def timed_audit(contracts: LedgerContracts, evidence: EvidenceStore, institution_id: int,
                workers: int | None = None) -> AuditTiming:
    """audit_results (what `zcl audit` runs), with verify_ledger's share timed by wrapping its name in ledger.audit.

    `workers` signature processes (default: audit_results's, one per core this process may use); the CPU
    seconds are this process's only."""
    original = audit_module.verify_ledger
    seen: dict[str, object] = {"seconds": 0.0, "report": None}

    def wrapped(*args, **kwargs):
        t = perf_counter()
        out = original(*args, **kwargs)
        seen["seconds"] = float(seen["seconds"]) + perf_counter() - t  # type: ignore[arg-type]
        seen["report"] = out
        return out

    audit_module.verify_ledger = wrapped
    try:
        forget_evidence_roots()  # cold: the accounting passes before must not spare the audit any Merkle tree
        gc.collect()
        cpu = process_time()
        t = perf_counter()
        report = audit_results(contracts, evidence, institution_id, workers=workers)
        seconds = perf_counter() - t
        cpu = process_time() - cpu
    finally:
        audit_module.verify_ledger = original
    return AuditTiming(seconds, cpu, float(seen["seconds"]), seen["report"], report)  # type: ignore[arg-type]


def _reset_peak() -> tuple[int, str]:
    clear = Path("/proc/self/clear_refs")
    try:
        clear.write_text("5")  # reset VmHWM to the current resident set
        return _status_kib("VmRSS") * 1024, "VmHWM after clear_refs"
    except OSError:
        return _maxrss(), "ru_maxrss"


def _peak_rss(method: str) -> int:
    return _status_kib("VmHWM") * 1024 if method.startswith("VmHWM") else _maxrss()


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(f"no {field} in /proc/self/status")


def _maxrss() -> int:
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value if sys.platform == "darwin" else value * 1024


def _short(filename: str) -> str:
    for marker in ("/ledger/", "/site-packages/", "/lib/python"):
        if marker in filename:
            return filename[filename.index(marker) + 1:]
    return filename
