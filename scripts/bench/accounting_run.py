"""Accounting benchmark: one institution-year accounted on one core, and `zcl audit` of it.

    .venv/bin/python -m scripts.bench.accounting_run [--scale 1.0] [--batch-size 10000] ...

150 meters × 35,040 quarter-hour readings (calendar 2022) = 5.26 M signed readings at scale 1;
`--scale 0.1` is 15 meters. The readings are signed on every core and cached under bench/.cache/
(a re-run signs nothing), written as evidence batches into a LocalEvidenceStore and anchored on a
fresh anvil by an authorised oracle account. Then, with this process pinned to one core and anvil
to the others:

1. collect_points + metered_activity + account for the year (what build_report runs), timed, with
   the peak resident-memory growth and CPU seconds: cold without the root memo (every batch's Merkle
   root recomputed, the memo written), cold with it (a fresh process's cache, the store's persistent
   root memo kept: ledger/evidence_roots.py) and warm (roots verified earlier in the process reused;
   CIDs always recomputed); then each step of it timed on its own, a
   cProfile of a tenth of the batches, and the original reading-by-reading path beside the current
   one on a twentieth of the batches (their ratio, measured in the same run, with equal results);
2. the year's result is submitted (build_report's PeriodReport → result_input → submit), verified by
   a verifier of the region, and audit_results (`zcl audit`) is timed, with verify_ledger's share
   (every signature re-verified) and the single-core Ed25519 ceiling measured in the same run.

Prints the tables and writes bench/results/<name>-<UTC timestamp>.json. Never asserts on timings.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ledger.accounting.report import PeriodReport
from ledger.audit import default_workers
from ledger.batch import decode_batch
from ledger.chain.clients import LedgerContracts
from scripts.bench.accounting_data import FULL_METERS, YEAR, YearSpec, build_year, year_meters
from scripts.bench.accounting_measure import (
    original_path_baseline, profile_accounting, stage_breakdown, timed_accounting, timed_audit,
)
from scripts.bench.machine import load_average, pin_process, start_bench
from scripts.bench.pipeline import measure_verify_ceiling
from scripts.bench.report import write_results
from scripts.bench.testbed import register_fleet, start_testbed

TARGET_ACCOUNTING_SECONDS = 10.0
TARGET_ACCOUNTING_BYTES = 1 << 30
TARGET_AUDIT_SECONDS = 300.0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.accounting_run", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the 150-meter institution (0.1 = 15 meters); the year is always whole")
    parser.add_argument("--batch-size", type=int, default=10_000, help="readings per anchored batch")
    parser.add_argument("--name", default="accounting", help="results file prefix (default: accounting)")
    parser.add_argument("--workers", type=int, default=None, help="signing processes (default: every core)")
    parser.add_argument("--verify-sample", type=int, default=20_000, help="readings in the Ed25519 ceiling pass")
    parser.add_argument("--verify-rounds", type=int, default=3, help="passes of the Ed25519 ceiling (median)")
    parser.add_argument("--profile-fraction", type=float, default=0.1,
                        help="share of the batches profiled with cProfile (0 to skip)")
    parser.add_argument("--baseline-fraction", type=float, default=0.05,
                        help="share of the batches run through the original path too, for the ratio (0 to skip)")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the step-by-step timing")
    parser.add_argument("--no-audit", action="store_true", help="skip the submission and the audit")
    parser.add_argument("--audit-workers", type=int, default=None,
                        help="signature processes in the audit (default: one per core, as zcl audit)")
    parser.add_argument("--no-pin", action="store_true", help="leave core placement to the OS")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    console, started, clock_start, machine, load_at_start = start_bench()
    meters_count = max(1, round(FULL_METERS * args.scale))
    spec = YearSpec(meters=meters_count, batch_size=args.batch_size)
    phases: dict[str, float] = {}

    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, refresh_per_second=2)
    with progress, tempfile.TemporaryDirectory(prefix="zcl-bench-acc-") as tmp:
        def step(description: str, total: int):
            task = progress.add_task(description, total=total)
            return lambda n=1: progress.advance(task, n)

        t = time.monotonic()
        store, batches, build = build_year(spec, args.workers, step(
            f"sign {spec.readings:,} readings of {spec.meters} meters into {spec.batches} batches "
            f"(all cores, cached)", spec.readings))
        phases["build_or_load_evidence"] = time.monotonic() - t

        done = step("start anvil, compile and deploy the ledger", 1)
        t = time.monotonic()
        testbed = start_testbed(Path(tmp))
        done()
        oracle_cores, anvil_cores = _core_plan(pin=not args.no_pin)
        if oracle_cores:
            pin_process(os.getpid(), oracle_cores)
            pin_process(testbed.anvil.process.pid, anvil_cores)
        try:
            inst = testbed.institution_id
            if inst != 2:
                raise RuntimeError(f"the evidence headers name institution 2, the testbed created {inst}")
            meters = year_meters(spec)
            done = step(f"register {len(meters)} meters", 1)
            register_fleet(testbed, meters)
            done()
            phases["testbed_and_register"] = time.monotonic() - t

            anchored = step(f"anchor {len(batches)} batch roots (oracle account)", len(batches))
            t = time.monotonic()
            previous = bytes(32)
            for b in batches:
                testbed.oracle.attestations.anchor_batch(inst, b.root, previous, b.reading_count, b.first_timestamp,
                                                         b.last_timestamp, b.cid)
                previous = b.root
                anchored()
            anchor_seconds = time.monotonic() - t
            phases["anchor"] = anchor_seconds
            contracts = testbed.admin

            done = step("timed: collect_points + metered_activity + account (one core), cold, cold with the "
                        "root memo, warm", 3)
            t = time.monotonic()
            acc = timed_accounting(contracts, store, inst, memo=False)
            done()
            memo = timed_accounting(contracts, store, inst, memo=True)
            done()
            if memo.activity != acc.activity:
                raise RuntimeError("the pass with the root memo differs from the one without")
            warm = timed_accounting(contracts, store, inst, cold=False)
            done()
            if acc.points != spec.readings or warm.points != spec.readings:
                raise RuntimeError(f"accounted {acc.points:,} / {warm.points:,} readings of {spec.readings:,}")
            if warm.activity != acc.activity:
                raise RuntimeError("the warm pass differs from the cold one")
            phases["timed_accounting"] = time.monotonic() - t

            baseline = None
            if args.baseline_fraction > 0:
                count = max(1, math.ceil(len(batches) * args.baseline_fraction))
                done = step(f"baseline: the original path and the current one on {count} batches", 1)
                t = time.monotonic()
                baseline = original_path_baseline(contracts, store, inst, frozenset(b.root for b in batches[:count]))
                gc.collect()
                done()
                phases["baseline"] = time.monotonic() - t

            breakdown = None
            if not args.no_breakdown:
                done = step("where the time goes: each step on its own", 1)
                t = time.monotonic()
                breakdown = stage_breakdown(contracts, store, inst)
                gc.collect()
                done()
                phases["stage_breakdown"] = time.monotonic() - t

            profile = None
            if args.profile_fraction > 0:
                count = max(1, math.ceil(len(batches) * args.profile_fraction))
                done = step(f"cProfile over {count} batches", 1)
                t = time.monotonic()
                profile = profile_accounting(contracts, store, inst, frozenset(b.root for b in batches[:count]))
                gc.collect()
                done()
                phases["profile"] = time.monotonic() - t

            sample = []
            for b in batches:
                sample.extend(decode_batch(store.cat(b.cid)).readings)
                if len(sample) >= args.verify_sample:
                    break
            sample = sample[: args.verify_sample]
            keys = {m.device_id: m.public_key for m in meters}
            t = time.monotonic()
            ceiling = measure_verify_ceiling([("", r) for r in sample], keys, args.verify_rounds,
                                             step("Ed25519 ceiling", 2 * args.verify_rounds * len(sample)))
            phases["verify_ceiling"] = time.monotonic() - t

            audit = None
            submission = None
            if not args.no_audit:
                done = step("submit the year's result, verify it (region verifier)", 1)
                t = time.monotonic()
                report = PeriodReport(inst, inst, acc.activity, acc.result)  # build_report's, from the timed pass
                cid = store.add(report.encode())
                result_id = contracts.accounting.submit(inst, inst, report.result_input(cid))
                region = contracts.organizations.node(inst).parent_id
                verifier = LedgerContracts.attach(testbed.naive_sender, testbed.deployment)
                contracts.accounting.add_verifier(region, testbed.naive_sender.account.address)
                verifier.accounting.verify(result_id, True, "benchmark: recomputed by the verifier")
                record = contracts.accounting.result(result_id)
                submission = {"result_id": result_id, "status": record.status.name, "report_cid": cid,
                              "scope1_gco2e": record.scope1, "scope2_gco2e": record.scope2,
                              "scope3_gco2e": record.scope3, "input_batches": record.input_batch_count}
                done()
                phases["submit_and_verify"] = time.monotonic() - t
                done = step(f"timed: audit_results (zcl audit), {spec.readings:,} signatures re-verified", 1)
                t = time.monotonic()
                if oracle_cores:  # the audit uses every core: signature workers inherit this process's placement
                    pin_process(os.getpid(), oracle_cores | anvil_cores)
                audit = timed_audit(contracts, store, inst, workers=args.audit_workers)
                done()
                phases["audit"] = time.monotonic() - t
                if not audit.report.ok or audit.report.results_checked != 1:
                    raise RuntimeError(f"the audit did not pass: {audit.report}")
        finally:
            testbed.stop()

    setup = {
        "scale": args.scale,
        "meters": spec.meters,
        "readings_per_meter": spec.readings_per_meter,
        "readings": spec.readings,
        "interval_seconds": 900,
        "period": f"{YEAR.start}..{YEAR.end} (UTC+08:00)",
        "batch_size": spec.batch_size,
        "batches": spec.batches,
        "seed": spec.seed.decode(),
        "evidence": build,
        "anchor_seconds": round(anchor_seconds, 2),
        "anchor_ms_each": round(anchor_seconds / len(batches) * 1e3, 2),
        "phase_seconds": {k: round(v, 2) for k, v in phases.items()},
        "methodology": "public-institution-inventory@1",
        "factor_set": "cn-public-institution@2022.1",
        "load_average_start": load_at_start,
        "load_average_end": load_average(),
        "measuring_cores": sorted(oracle_cores) if oracle_cores else "unpinned",
        "anvil_cores": sorted(anvil_cores) if anvil_cores else "unpinned",
        "audit_cores": "every core (signature workers and the auditing process unpinned; anvil stays on its cores)",
        "audit_workers": args.audit_workers if args.audit_workers is not None else default_workers(),
        "evidence_store": "LocalEvidenceStore in bench/.cache (files likely in the OS page cache: built or read "
                          "moments before)",
        "chain": "anvil, automine, fresh state",
    }
    document = _document(args.name, started, time.monotonic() - clock_start, machine, setup, acc, breakdown, profile,
                         ceiling, audit, submission, warm, baseline, memo)
    _render(console, document)
    path = write_results(document, started)
    console.print(f"results written to {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


def _document(name, started, duration, machine, setup, acc, breakdown, profile, ceiling, audit, submission, warm,
              baseline, memo) -> dict:
    n = setup["readings"]
    accounting = {
        "readings": acc.points,
        "devices": acc.devices,
        "seconds": acc.seconds,
        "cpu_seconds": acc.cpu_seconds,
        "collect_points_seconds": acc.collect_seconds,
        "metered_activity_seconds": acc.metered_seconds,
        "account_seconds": acc.account_seconds,
        "microseconds_per_reading": acc.seconds / n * 1e6,
        "readings_per_second": n / acc.seconds,
        "rss_before_bytes": acc.rss_before_bytes,
        "rss_peak_bytes": acc.rss_peak_bytes,
        "peak_memory_delta_bytes": acc.memory_delta_bytes,
        "peak_method": acc.peak_method,
        "totals": {k: str(v) for k, v in acc.activity.totals.items()},
        "total_kgco2e": str(acc.result.total.value),
        "estimates": len(acc.activity.estimates),
        "warm": {"seconds": warm.seconds, "cpu_seconds": warm.cpu_seconds, "collect_points_seconds": warm.collect_seconds,
                 "metered_activity_seconds": warm.metered_seconds, "peak_memory_delta_bytes": warm.memory_delta_bytes,
                 "note": "Merkle roots verified by the cold pass reused (CIDs recomputed)"},
        "cold_with_memo": {"seconds": memo.seconds, "cpu_seconds": memo.cpu_seconds,
                           "collect_points_seconds": memo.collect_seconds, "metered_activity_seconds": memo.metered_seconds,
                           "peak_memory_delta_bytes": memo.memory_delta_bytes,
                           "note": "fresh process cache; Merkle roots from the store's persistent memo (written by the "
                                   "cold pass), CIDs recomputed"},
    }
    if baseline is not None:
        accounting["baseline_original_path"] = baseline
    if breakdown is not None:
        total = sum(s["seconds"] for s in breakdown)
        for s in breakdown:
            s["share"] = s["seconds"] / total
            s["microseconds_per_reading"] = s["seconds"] / n * 1e6
        accounting["breakdown"] = {"stages": breakdown, "sum_seconds": total}
    if profile is not None:
        accounting["profile"] = profile
    ceiling_doc = {
        "readings": ceiling.readings,
        "pynacl_readings_per_second": ceiling.pynacl_per_second,
        "pynacl_rounds": list(ceiling.pynacl_rounds),
        "verify_signature_readings_per_second": ceiling.gate_per_second,
        "verify_signature_rounds": list(ceiling.gate_rounds),
        "year_at_pynacl_ceiling_seconds": n / ceiling.pynacl_per_second,
    }
    doc: dict = {
        "name": name,
        "started_utc": started.isoformat(timespec="seconds"),
        "duration_seconds": round(duration, 1),
        "machine": machine,
        "setup": setup,
        "accounting": accounting,
        "verify_ceiling": ceiling_doc,
        "targets": {
            "accounting_seconds": {"target": f"< {TARGET_ACCOUNTING_SECONDS:g}", "measured": acc.seconds,
                                   "met": acc.seconds < TARGET_ACCOUNTING_SECONDS},
            "accounting_with_memo_seconds": {"target": f"< {TARGET_ACCOUNTING_SECONDS:g}", "measured": memo.seconds,
                                             "met": memo.seconds < TARGET_ACCOUNTING_SECONDS},
            "accounting_memory_bytes": {"target": "< 1 GiB", "measured": acc.memory_delta_bytes,
                                        "met": acc.memory_delta_bytes < TARGET_ACCOUNTING_BYTES},
        },
    }
    if audit is not None:
        v = audit.verification
        rest = audit.seconds - audit.verify_ledger_seconds
        doc["audit"] = {
            "submission": submission,
            "seconds": audit.seconds,
            "cpu_seconds": audit.cpu_seconds,
            "verify_ledger_seconds": audit.verify_ledger_seconds,
            "recompute_and_checks_seconds": rest,
            "signatures_checked": v.signatures_checked if v else None,
            "readings": v.readings if v else None,
            "batches": v.batches if v else None,
            "signatures_per_second_in_verify_ledger": (v.signatures_checked / audit.verify_ledger_seconds
                                                        if v and audit.verify_ledger_seconds else None),
            "verify_ledger_over_pynacl_ceiling": (v.signatures_checked / audit.verify_ledger_seconds
                                                  / ceiling.pynacl_per_second if v else None),
            "audit_over_time_at_pynacl_ceiling": audit.seconds / ceiling_doc["year_at_pynacl_ceiling_seconds"],
            "workers": setup["audit_workers"],
            "single_core_verify_per_second_same_run": ceiling.pynacl_per_second,
            "bound_seconds_signatures_alone_at_workers": (ceiling_doc["year_at_pynacl_ceiling_seconds"]
                                                          / max(1, setup["audit_workers"])),
            "results_checked": audit.report.results_checked,
            "ok": audit.report.ok,
        }
        doc["targets"]["audit_seconds"] = {"target": f"< {TARGET_AUDIT_SECONDS:g}", "measured": audit.seconds,
                                           "met": audit.seconds < TARGET_AUDIT_SECONDS}
    return doc


def _render(console: Console, doc: dict) -> None:
    s, a, c, t = doc["setup"], doc["accounting"], doc["verify_ceiling"], doc["targets"]
    table = Table(title=f"Accounting one institution-year: {s['readings']:,} readings, {s['meters']} meters, "
                        f"{s['batches']} batches of {s['batch_size']:,} (scale {s['scale']:g}), one core")
    for column, justify in (("measure", "left"), ("value", "right"), ("target / note", "left")):
        table.add_column(column, justify=justify)
    target = t["accounting_seconds"]
    n_readings = s["readings"]
    table.add_row("collect_points + metered_activity + account, cold, no root memo", f"{a['seconds']:.2f} s",
                  f"{target['target']} s: {_met(target['met'])}; {a['cpu_seconds']:.2f} CPU-s; "
                  f"{a['readings_per_second']:,.0f} readings/s")
    table.add_row("  collect_points (events, evidence, CID, Merkle, decode)", f"{a['collect_points_seconds']:.2f} s", "")
    table.add_row("  metered_activity", f"{a['metered_activity_seconds']:.2f} s", "")
    table.add_row("  account", f"{a['account_seconds']:.3f} s", "")
    cm, target_memo = a["cold_with_memo"], t["accounting_with_memo_seconds"]
    table.add_row("same, cold with the root memo (roots checked by an earlier process)", f"{cm['seconds']:.2f} s",
                  f"{target_memo['target']} s: {_met(target_memo['met'])}; {cm['cpu_seconds']:.2f} CPU-s; "
                  f"+{cm['peak_memory_delta_bytes'] / 2**20:,.0f} MiB peak")
    table.add_row("same, warm (roots verified by the cold pass reused)", f"{a['warm']['seconds']:.2f} s",
                  f"{n_readings / a['warm']['seconds']:,.0f} readings/s; "
                  f"+{a['warm']['peak_memory_delta_bytes'] / 2**20:,.0f} MiB peak")
    if "baseline_original_path" in a:
        bl = a["baseline_original_path"]
        table.add_row(f"original path vs current, {bl['batches']} batches ({bl['readings']:,} readings)",
                      f"{bl['speedup']:.1f}×", f"{bl['original_seconds']:.2f} s vs {bl['current_seconds']:.2f} s "
                      f"in this run; equal results")
    mem = t["accounting_memory_bytes"]
    table.add_row("peak resident memory growth", f"{a['peak_memory_delta_bytes'] / 2**20:,.0f} MiB",
                  f"{mem['target']}: {_met(mem['met'])}; {a['peak_method']}")
    table.add_row("Ed25519 ceiling: PyNaCl verify alone", f"{c['pynacl_readings_per_second']:,.0f} /s",
                  f"the year's {s['readings']:,} signatures: {c['year_at_pynacl_ceiling_seconds']:.0f} s on one core")
    table.add_row("  verify_signature (VerifyKey per call)", f"{c['verify_signature_readings_per_second']:,.0f} /s", "")
    if "audit" in doc:
        au, target = doc["audit"], t["audit_seconds"]
        table.add_row("audit_results (zcl audit)", f"{au['seconds']:.1f} s",
                      f"{target['target']} s: {_met(target['met'])}; "
                      f"{au['audit_over_time_at_pynacl_ceiling']:.2f}× the ceiling's time")
        table.add_row("  verify_ledger (every signature, roots, CIDs)", f"{au['verify_ledger_seconds']:.1f} s",
                      f"{au['signatures_per_second_in_verify_ledger']:,.0f} signatures/s = "
                      f"{au['verify_ledger_over_pynacl_ceiling']:.2f} of the ceiling")
        table.add_row("  recompute from the named batches, chain checks", f"{au['recompute_and_checks_seconds']:.1f} s", "")
        table.add_row(f"  bound: signatures alone on {max(1, au['workers'])} core(s) at the one-core rate",
                      f"{au['bound_seconds_signatures_alone_at_workers']:.1f} s",
                      f"{au['single_core_verify_per_second_same_run']:,.0f} verifies/s on one core, this run; "
                      f"audit ÷ bound = {au['seconds'] / au['bound_seconds_signatures_alone_at_workers']:.2f}")
    console.print(table)
    if "breakdown" in a:
        b = Table(title="Where the accounting time goes (each step run on its own, all batches)")
        for column, justify in (("step", "left"), ("s", "right"), ("µs / reading", "right"), ("share", "right")):
            b.add_column(column, justify=justify)
        for stage in a["breakdown"]["stages"]:
            b.add_row(stage["stage"], f"{stage['seconds']:.2f}", f"{stage['microseconds_per_reading']:.2f}",
                      f"{stage['share']:.1%}")
        b.add_section()
        b.add_row("[bold]sum[/bold]", f"[bold]{a['breakdown']['sum_seconds']:.2f}[/bold]", "", "")
        console.print(b)
    if "profile" in a:
        p = a["profile"]
        pt = Table(title=f"cProfile, {p['batches']} batches ({p['readings']:,} readings): top functions by own time")
        for column, justify in (("function", "left"), ("calls", "right"), ("own s", "right"), ("share", "right")):
            pt.add_column(column, justify=justify)
        for row in p["top_by_own_time"][:15]:
            pt.add_row(row["function"][-70:], f"{row['calls']:,}", f"{row['tottime']:.2f}", f"{row['share_of_profiled']:.1%}")
        console.print(pt)
    m = doc["machine"]
    console.print(f"{m['cpu_model']}, {m['logical_cores']} cores, {m['python']}; measuring on cores "
                  f"{s['measuring_cores']}, anvil on {s['anvil_cores']}; evidence: {s['evidence']['batches_signed_this_run']} "
                  f"batches signed now, {s['evidence']['batches_from_cache']} from cache; 1-minute load "
                  f"{s['load_average_start'][0] if s['load_average_start'] else 'n/a'} → "
                  f"{s['load_average_end'][0] if s['load_average_end'] else 'n/a'}")


def _met(met: bool) -> str:
    return "[green]met[/green]" if met else "[red]not met[/red]"


def _core_plan(pin: bool) -> tuple[set[int] | None, set[int] | None]:
    if not pin or not hasattr(os, "sched_getaffinity"):
        return None, None
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None, None
    return {available[0]}, set(available[1:])


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        print(f"bench failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
