"""`make bench`: throughput, Ed25519 ceiling, anchor gas and the naive baseline, in one run.

    .venv/bin/python -m scripts.bench.run [--readings 20000] [--meters 50] [--batch-size 1000] ...

This process (the oracle) is pinned to one core and anvil to the others, so "one core" is
literal. Prints the tables and writes bench/results/<name>-<UTC timestamp>.json; it asserts
nothing about timings. Exits non-zero with a one-line reason when a step cannot run.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from scripts.bench.gas import BATCH_SIZES, measure_anchor_gas
from scripts.bench.machine import load_average, pin_process, start_bench
from scripts.bench.naive import deploy_naive_store, measure_naive
from scripts.bench.pipeline import build_oracle, measure_pipeline, measure_verify_ceiling, sign_readings
from scripts.bench.report import render, results_document, write_results
from scripts.bench.testbed import create_fleet, register_fleet, start_testbed


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="ledger", help="results file prefix (default: ledger)")
    parser.add_argument("--readings", type=int, default=20_000, help="readings through the full path, per round")
    parser.add_argument("--rounds", type=int, default=3, help="full-path rounds, each with a fresh oracle (median reported)")
    parser.add_argument("--meters", type=int, default=50, help="simulated meters signing them")
    parser.add_argument("--batch-size", type=int, default=1_000, help="readings per anchored batch in the pipeline")
    parser.add_argument("--verify-rounds", type=int, default=3, help="passes of the Ed25519 ceiling")
    parser.add_argument("--gas-repeats", type=int, default=3, help="anchors measured per batch size")
    parser.add_argument("--naive-transactions", type=int, default=500, help="readings stored one per transaction")
    parser.add_argument("--no-pin", action="store_true", help="leave core placement to the OS")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    console, started, clock_start, machine, load_at_start = start_bench()
    oracle_cores, anvil_cores = _core_plan(pin=not args.no_pin)
    if oracle_cores:
        pin_process(os.getpid(), oracle_cores)  # before any thread starts, so all of ours inherit it

    gas_readings = sum(BATCH_SIZES) * args.gas_repeats
    per_meter = math.ceil((args.rounds * args.readings + gas_readings) / args.meters)
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, refresh_per_second=2)
    with progress, tempfile.TemporaryDirectory(prefix="zcl-bench-") as tmp:
        work_dir = Path(tmp)

        def step(description: str, total: int) -> Callable[..., object]:
            task = progress.add_task(description, total=total)
            return lambda n=1: progress.advance(task, n)

        done = step("start anvil, compile and deploy the ledger", 1)
        testbed = start_testbed(work_dir)
        if anvil_cores:
            pin_process(testbed.anvil.process.pid, anvil_cores)
        done()
        try:
            meters = create_fleet(args.meters, per_meter)
            registered = step(f"register {args.meters} meters", 1)
            register_fleet(testbed, meters)
            registered()
            public_keys = {m.device_id: m.public_key for m in meters}
            total = args.rounds * args.readings
            signing = step(f"sign {total:,} readings (untimed)", total)
            rounds = [sign_readings(meters, args.readings, signing) for _ in range(args.rounds)]

            oracles = []
            try:
                pipeline_rounds = []
                for i, readings in enumerate(rounds, 1):
                    oracles.append(build_oracle(testbed.oracle, testbed.institution_id, work_dir / f"oracle-{i}",
                                                args.batch_size))
                    pipeline_rounds.append(measure_pipeline(oracles[-1], readings,
                                                     step(f"full path, round {i}: ingest, then anchor", 2 * args.readings)))
                ceiling = measure_verify_ceiling(rounds[0], public_keys, args.verify_rounds,
                                                 step("Ed25519 ceiling", 2 * args.verify_rounds * args.readings))
                anchor_gas = measure_anchor_gas(oracles[-1], meters, BATCH_SIZES, args.gas_repeats,
                                                step(f"anchor gas at {', '.join(map(str, BATCH_SIZES))}", gas_readings))
            finally:
                for node in oracles:
                    node.spool.close()

            naive_readings = rounds[0][: args.naive_transactions]
            done = step("naive: compile and deploy NaiveReadingStore", 1)
            store = deploy_naive_store(testbed.naive_sender)
            done()
            naive = measure_naive(testbed.naive_sender, store, naive_readings, public_keys,
                                  step("naive: one reading per transaction", len(naive_readings)))
        finally:
            testbed.stop()

    setup = {
        "load_average_start": load_at_start,
        "load_average_end": load_average(),
        "oracle_cores": sorted(oracle_cores) if oracle_cores else "unpinned",
        "anvil_cores": sorted(anvil_cores) if anvil_cores else "unpinned",
        "readings_per_round": args.readings,
        "rounds": args.rounds,
        "meters": args.meters,
        "batch_size": args.batch_size,
        "verify_rounds": args.verify_rounds,
        "gas_batch_sizes": list(BATCH_SIZES),
        "gas_repeats": args.gas_repeats,
        "naive_transactions": len(naive_readings),
        "evidence_store": "LocalEvidenceStore in a temporary folder",
        "chain": "anvil, automine, fresh state",
    }
    document = results_document(args.name, started, time.monotonic() - clock_start, machine, setup,
                                pipeline_rounds, ceiling, anchor_gas, naive)
    render(console, document)
    path = write_results(document, started)
    console.print(f"results written to {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


def _core_plan(pin: bool) -> tuple[set[int] | None, set[int] | None]:
    """One core for this process, the rest for anvil; None, None when there is only one or no affinity."""
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
    except Exception as exc:  # one line for people; the traceback adds nothing to a failed set-up
        print(f"bench failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
