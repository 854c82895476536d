"""Oracle-side benchmarks: MQTT → anchored readings/s, Modbus poll cycle, reading → anchored latency, backlog RSS.

    .venv/bin/python -m scripts.bench.oracles_run [--readings 30000] [--meters 150] [--backlog-meters 10000] ...

Prints a table and writes bench/results/oracles-<UTC timestamp>.json (scripts/bench/report.py's
write_results, machine_info from scripts/bench/machine.py). Nothing is pinned: the oracle, the
publisher, Mosquitto and anvil share the machine's cores, as they would on a 2-core oracle box.
Asserts nothing about timings; exits non-zero with a one-line reason when a step cannot run.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from scripts.bench.machine import load_average, start_bench
from scripts.bench.oracles_backlog import measure_backlog
from scripts.bench.oracles_modbus import measure_modbus
from scripts.bench.oracles_mqtt import MqttRun, run_mqtt, start_broker, verify_limit
from scripts.bench.pipeline import measure_verify_ceiling, sign_readings
from scripts.bench.report import write_results
from scripts.bench.testbed import create_fleet, register_fleet, start_testbed

TARGET_E2E = 20_000
TARGET_MODBUS_SECONDS = 1.0
TARGET_RSS_MB = 300


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scripts.bench.oracles_run", description=__doc__.splitlines()[0])
    p.add_argument("--name", default="oracles", help="results file prefix (default: oracles)")
    p.add_argument("--readings", type=int, default=30_000, help="readings published as fast as possible (throughput)")
    p.add_argument("--meters", type=int, default=150, help="registered meters signing them")
    p.add_argument("--prequeued-readings", type=int, default=30_000,
                   help="readings queued in the broker before the oracle connects, then drained (0: skip)")
    p.add_argument("--batch-size", type=int, default=1_000, help="runner batch size in the throughput runs")
    p.add_argument("--latency-readings", type=int, default=10_000, help="readings published at a steady rate (latency)")
    p.add_argument("--latency-rate", type=float, default=1_000.0, help="readings/s published in the latency run")
    p.add_argument("--latency-batch-size", type=int, default=10_000,
                   help="runner batch size in the latency run (large: the time window decides)")
    p.add_argument("--window", type=float, default=1.0, help="runner batch window, seconds")
    p.add_argument("--frames-per-message", type=int, default=100,
                   help="frames per MQTT message on a collector's …/readings topic (1: one per message, per device)")
    p.add_argument("--verify-workers", type=int, default=2, help="oracle's signature processes (0: in its own)")
    p.add_argument("--single-frame-readings", type=int, default=10_000,
                   help="readings of a comparison run with one frame per message and no workers (0: skip)")
    p.add_argument("--modbus-cycles", type=int, default=20)
    p.add_argument("--backlog-meters", type=int, default=10_000)
    p.add_argument("--backlog-minutes", type=int, default=60, help="readings per backlog meter, one a minute")
    p.add_argument("--skip-backlog", action="store_true")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    console, started, clock_start, machine, load_at_start = start_bench()
    machine["packages"].update({n: _version(n) for n in ("paho-mqtt", "pymodbus", "psutil")})
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, refresh_per_second=2)
    document: dict[str, object] = {"name": args.name, "started_utc": started.isoformat(timespec="seconds")}
    with progress, tempfile.TemporaryDirectory(prefix="zcl-bench-oracles-") as tmp:
        work = Path(tmp)

        def step(description: str, total: int) -> Callable[..., object]:
            task = progress.add_task(description, total=total)
            return lambda n=1: progress.advance(task, n)

        done = step("start anvil, compile and deploy the ledger; start a bench Mosquitto", 1)
        testbed = start_testbed(work)
        broker = start_broker(work)
        done()
        try:
            total = args.readings + args.prequeued_readings + args.latency_readings + args.single_frame_readings
            per_meter = math.ceil(total / args.meters)
            meters = create_fleet(args.meters, per_meter)
            done = step(f"register {args.meters} meters", 1)
            register_fleet(testbed, meters)
            done()
            signed = sign_readings(meters, total, step(f"sign {total:,} readings (untimed)", total))
            collectors = [f"c{i % 6 + 1}" for i in range(args.meters)]
            collector_of = {m.name: collectors[i] for i, m in enumerate(meters)}
            frames = [(collector_of[name], r.to_bytes()) for name, r in signed]
            public_keys = {m.device_id: m.public_key for m in meters}

            throughput = run_mqtt(broker, testbed.oracle, testbed.institution_id, work / "oracle-throughput",
                                  frames[: args.readings], args.batch_size, args.window, None, "throughput",
                                  testbed.anvil.process.pid,
                                  step(f"MQTT → anchored, as fast as published, {args.frames_per_message} frames "
                                       f"per message, {args.verify_workers} verify workers", args.readings),
                                  per_message=args.frames_per_message, verify_workers=args.verify_workers)
            prequeued_end = args.readings + args.prequeued_readings
            prequeued = None
            if args.prequeued_readings:
                prequeued = run_mqtt(broker, testbed.oracle, testbed.institution_id, work / "oracle-prequeued",
                                     frames[args.readings:prequeued_end], args.batch_size, args.window, None,
                                     "prequeued", testbed.anvil.process.pid,
                                     step(f"MQTT → anchored, {args.prequeued_readings:,} queued in the broker first, "
                                          f"then drained", args.prequeued_readings),
                                     per_message=args.frames_per_message, verify_workers=args.verify_workers,
                                     prequeued=True)
            done = step("Ed25519 limit: PyNaCl verify on 2 processes, and on 1", 2)
            limit2 = verify_limit([r for _, r in signed[: args.readings]], public_keys, processes=2)
            done()
            one = measure_verify_ceiling(signed[: min(args.readings, 10_000)], public_keys, rounds=1)
            done()
            latency_end = prequeued_end + args.latency_readings
            latency = run_mqtt(broker, testbed.oracle, testbed.institution_id, work / "oracle-latency",
                               frames[prequeued_end:latency_end], args.latency_batch_size, args.window,
                               args.latency_rate, "latency", testbed.anvil.process.pid,
                               step(f"MQTT at {args.latency_rate:,.0f}/s, window {args.window:g} s: latency",
                                    args.latency_readings),
                               per_message=args.frames_per_message, verify_workers=args.verify_workers)
            single = None
            if args.single_frame_readings:
                single = run_mqtt(broker, testbed.oracle, testbed.institution_id, work / "oracle-single",
                                  frames[latency_end:], args.batch_size, args.window, None, "single",
                                  testbed.anvil.process.pid,
                                  step("MQTT → anchored, one frame per message, no verify workers",
                                       args.single_frame_readings))
        finally:
            broker.stop()
            testbed.stop()

        modbus = measure_modbus(args.modbus_cycles, step(f"Modbus: {args.modbus_cycles} poll cycles, 150 points",
                                                         args.modbus_cycles))
        backlog = None
        if not args.skip_backlog:
            n = args.backlog_meters * args.backlog_minutes
            backlog = measure_backlog(work / "backlog", args.backlog_meters, args.backlog_minutes, 60,
                                      step(f"backlog: sign {n:,} readings on 2 processes (untimed)", n),
                                      step(f"backlog: oracle ingests {n:,} readings into its spool", n))

    document.update({
        "duration_seconds": round(time.monotonic() - clock_start, 1),
        "machine": machine,
        "setup": {
            "load_average_start": load_at_start,
            "load_average_end": load_average(),
            "pinning": "none: oracle, publisher, mosquitto and anvil share all cores",
            "broker": "mosquitto started for the run on a loopback port, persistence off, max_queued_messages 0",
            "chain": "anvil, automine, fresh state; evidence in a local folder",
            "meters": args.meters,
            "runner_confirmations": 1,
            "latency_clock": "publish wall-clock time in the publisher process → wall-clock time after the anchor "
                             "receipt in the oracle (the signed timestamps are simulated, 15-minute grid)",
            "backlog_registry": "stub registry in the oracle process (10,000 on-chain registrations would take minutes)",
        },
        "mqtt_throughput": _mqtt_doc(throughput),
        "verify_limit": {
            "two_processes": limit2,
            "one_process_pynacl_readings_per_second": one.pynacl_per_second,
            "one_process_verify_signature_readings_per_second": one.gate_per_second,
            "e2e_over_two_process_limit": throughput.readings_per_second / limit2["readings_per_second"],
            "prequeued_over_two_process_limit": None if prequeued is None
            else prequeued.readings_per_second / limit2["readings_per_second"],
        },
        "mqtt_prequeued": None if prequeued is None else _mqtt_doc(prequeued),
        "latency": _mqtt_doc(latency),
        "mqtt_single_frame_messages": None if single is None else _mqtt_doc(single),
        "modbus": modbus,
        "backlog": backlog,
    })
    rss = backlog["peak_rss_bytes"] / 2**20 if backlog else None
    document["targets"] = {
        "mqtt_e2e_readings_per_second": {"target": f">= {TARGET_E2E}", "measured": throughput.readings_per_second,
                                         "met": throughput.readings_per_second >= TARGET_E2E},
        "mqtt_prequeued_readings_per_second": {
            "target": f">= {TARGET_E2E}", "measured": None if prequeued is None else prequeued.readings_per_second,
            "met": None if prequeued is None else prequeued.readings_per_second >= TARGET_E2E},
        "modbus_cycle_seconds_median": {"target": f"< {TARGET_MODBUS_SECONDS}", "measured": modbus["median_seconds"],
                                        "met": modbus["median_seconds"] < TARGET_MODBUS_SECONDS},
        "oracle_peak_rss_mb_one_hour_backlog": {"target": f"< {TARGET_RSS_MB}", "measured": rss,
                                                "met": None if rss is None else rss < TARGET_RSS_MB},
    }
    render(console, document)
    path = write_results(document, started)
    console.print(f"results written to {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


def _mqtt_doc(run: MqttRun) -> dict[str, object]:
    return {
        "readings": run.readings,
        "batch_size": run.batch_size,
        "window_seconds": run.window_seconds,
        "publish_rate": run.publish_rate or "as fast as possible",
        "seconds_first_publish_to_last_anchor": run.seconds,
        "readings_per_second": run.readings_per_second,
        "publish_seconds": run.last_publish - run.first_publish,
        "publish_readings_per_second": run.readings / max(run.last_publish - run.first_publish, 1e-9),
        "broker_acked_last_frame_after_seconds": run.publisher_acked - run.first_publish,
        "anchors": run.anchors,
        "frames_per_message": run.frames_per_message,
        "verify_workers": run.verify_workers,
        "latency_seconds": {"p50": run.latency_percentile(50), "p99": run.latency_percentile(99),
                            "max": max(run.latencies), "min": min(run.latencies)},
        "oracle_loop_seconds": run.oracle_seconds,
        "cpu_seconds": run.cpu_seconds,
        "cpu_microseconds_per_reading": run.cpu_microseconds_per_reading(),
        "prequeued": run.prequeued,
        "timed_from": "the oracle connecting to drain the queued frames" if run.prequeued else "the first publish",
        "errors": run.errors,
    }


def render(console: Console, doc: dict) -> None:
    t, v, lat, mb, bl = doc["mqtt_throughput"], doc["verify_limit"], doc["latency"], doc["modbus"], doc["backlog"]
    goals = doc["targets"]
    table = Table(title="Oracle benchmarks")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target / note")
    g = goals["mqtt_e2e_readings_per_second"]
    table.add_row("MQTT → anchored root, readings/s", f"{t['readings_per_second']:,.0f}",
                  f"{g['target']}: {_met(g['met'])}; {t['readings']:,} readings, {t['anchors']} anchors of "
                  f"{t['batch_size']:,}, {t['seconds_first_publish_to_last_anchor']:.2f} s")
    table.add_row("  how", "", f"{t['frames_per_message']} frames per MQTT message, "
                  f"{t['verify_workers']} signature worker processes")
    table.add_row("  publisher alone (QoS 1), readings/s", f"{t['publish_readings_per_second']:,.0f}",
                  "publish calls in the child process")
    single = doc.get("mqtt_single_frame_messages")
    if single is not None:
        table.add_row("  one frame per message, verified in-process", f"{single['readings_per_second']:,.0f}",
                      f"{single['readings']:,} readings on the per-device topic; "
                      f"÷ 2-process limit = {single['readings_per_second'] / v['two_processes']['readings_per_second']:.2f}")
    table.add_row("Ed25519 limit, PyNaCl on 2 processes", f"{v['two_processes']['readings_per_second']:,.0f}",
                  f"{v['two_processes']['verifications']:,} verifications, keys prepared")
    table.add_row("  on 1 process (PyNaCl / verify_signature)", f"{v['one_process_pynacl_readings_per_second']:,.0f}",
                  f"{v['one_process_verify_signature_readings_per_second']:,.0f} via verify_signature")
    table.add_row("end-to-end / 2-process limit", f"{v['e2e_over_two_process_limit']:.2f}", "")
    table.add_section()
    _loop_rows(table, t, "live")
    q = doc.get("mqtt_prequeued")
    if q is not None:
        g = goals["mqtt_prequeued_readings_per_second"]
        table.add_section()
        table.add_row("MQTT → anchored root, queued first, readings/s", f"{q['readings_per_second']:,.0f}",
                      f"{g['target']}: {_met(g['met'])}; {q['readings']:,} readings queued by the broker for the "
                      f"oracle's absent session, timed from its reconnect, {q['seconds_first_publish_to_last_anchor']:.2f} s")
        table.add_row("pre-queued / 2-process limit", f"{v['prequeued_over_two_process_limit']:.2f}", "")
        _loop_rows(table, q, "queued")
    table.add_section()
    g = goals["modbus_cycle_seconds_median"]
    table.add_row("Modbus poll cycle, 150 points / 6 collectors", f"{mb['median_seconds'] * 1000:.0f} ms",
                  f"median of {mb['cycles']}, {g['target']} s: {_met(g['met'])}; p95 {mb['p95_seconds'] * 1000:.0f} ms, "
                  f"max {mb['max_seconds'] * 1000:.0f} ms, {mb['poll_errors']} errors")
    table.add_section()
    ls = lat["latency_seconds"]
    table.add_row("latency publish → anchored, p50", f"{ls['p50']:.2f} s",
                  f"{lat['readings']:,} readings at {lat['publish_rate']:,.0f}/s, window {lat['window_seconds']:g} s, "
                  f"{lat['anchors']} anchors")
    table.add_row("latency publish → anchored, p99", f"{ls['p99']:.2f} s", f"max {ls['max']:.2f} s")
    table.add_row("  throughput run's latency, p50 / p99", f"{t['latency_seconds']['p50']:.2f} s",
                  f"p99 {t['latency_seconds']['p99']:.2f} s (a backlog of frames, not a steady rate)")
    table.add_section()
    if bl is None:
        table.add_row("oracle peak RSS, one-hour backlog", "skipped", "")
    else:
        g = goals["oracle_peak_rss_mb_one_hour_backlog"]
        table.add_row("oracle peak RSS, one-hour backlog", f"{bl['peak_rss_bytes'] / 2**20:,.0f} MB",
                      f"{g['target']} MB: {_met(g['met'])}; {bl['readings']:,} readings from {bl['meters']:,} meters "
                      f"spooled, not anchored; {bl['rss_after_setup_bytes'] / 2**20:.0f} MB before ingest")
        table.add_row("  backlog ingest, readings/s", f"{bl['ingest_readings_per_second']:,.0f}",
                      f"{bl['accepted']:,} accepted, {bl['rejected']:,} refused, spool "
                      f"{bl['spool_file_bytes'] / 2**20:,.0f} MB on disk; stub registry")
    console.print(table)
    m, s = doc["machine"], doc["setup"]
    load = "n/a" if s["load_average_start"] is None else f"{s['load_average_start'][0]} → {s['load_average_end'][0]}"
    console.print(f"{m['cpu_model']}, {m['logical_cores']} cores, {m['python']}; nothing pinned; "
                  f"1-minute load average {load}; run took {doc['duration_seconds']:.0f} s")


def _loop_rows(table: Table, run: dict, name: str) -> None:
    for stage, seconds in run["oracle_loop_seconds"].items():
        table.add_row(f"  {name}: oracle loop: {stage}", f"{seconds:.2f} s",
                      f"{seconds / run['seconds_first_publish_to_last_anchor']:.0%} of the run")
    table.add_row(f"  {name}: CPU seconds by process", "", ", ".join(f"{k} {s:.1f}" for k, s in run["cpu_seconds"].items()))
    table.add_row(f"  {name}: CPU µs per reading", "",
                  ", ".join(f"{k} {us:.1f}" for k, us in run["cpu_microseconds_per_reading"].items()))


def _met(met: bool | None) -> str:
    return "n/a" if met is None else "[green]met[/green]" if met else "[red]not met[/red]"


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        print(f"bench failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
