"""The results document (JSON in bench/results/) and the tables printed from it.

The tables are rendered from the document, so what is printed is exactly what is recorded.
Targets are reported as met or not; a benchmark never fails on a timing.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from scripts.bench.gas import AnchorGas
from scripts.bench.naive import NaiveResult
from scripts.bench.pipeline import STAGES, PipelineResult, VerifyCeiling

RESULTS_DIR = Path(__file__).resolve().parents[2] / "bench" / "results"
TARGET_READINGS_PER_SECOND = 10_000
TARGET_GAS_PER_READING_AT_1000 = 70
REFERENCE_BATCH_SIZE = 1_000


def results_document(
    name: str,
    started: datetime,
    duration_seconds: float,
    machine: dict[str, object],
    setup: dict[str, object],
    pipeline_rounds: list[PipelineResult],
    ceiling: VerifyCeiling,
    anchor_gas: list[AnchorGas],
    naive: NaiveResult,
) -> dict[str, object]:
    """Every figure of the run; the full path's figures are those of its median round."""
    by_rate = sorted(pipeline_rounds, key=lambda r: r.readings_per_second)
    pipeline = by_rate[(len(by_rate) - 1) // 2]
    n = pipeline.readings
    stages = []
    for stage, group, covers in STAGES:
        seconds = pipeline.stage_seconds[stage]
        stages.append({
            "stage": stage,
            "group": group,
            "covers": covers,
            "seconds": seconds,
            "share": seconds / pipeline.seconds,
            "microseconds_per_reading": seconds / n * 1e6,
        })
    groups: dict[str, float] = {}
    for entry in stages:
        groups[entry["group"]] = groups.get(entry["group"], 0.0) + entry["seconds"]

    first = pipeline_rounds[0].anchors[0]
    later = [gas for r in pipeline_rounds for gas in r.anchor_gas][1:]
    reference = next((g for g in anchor_gas if g.batch_size == REFERENCE_BATCH_SIZE), None)
    anchored_gas_per_reading = reference.per_reading if reference else None
    return {
        "name": name,
        "started_utc": started.isoformat(timespec="seconds"),
        "duration_seconds": round(duration_seconds, 1),
        "machine": machine,
        "setup": setup,
        "pipeline": {
            "rounds_readings_per_second": [r.readings_per_second for r in pipeline_rounds],
            "median_round": pipeline_rounds.index(pipeline) + 1,
            "readings": n,
            "meters": pipeline.meters,
            "batch_size": pipeline.batch_size,
            "anchors": len(pipeline.anchors),
            "seconds": pipeline.seconds,
            "readings_per_second": pipeline.readings_per_second,
            "process_cpu_seconds": pipeline.cpu_seconds,
            "ingest_seconds": pipeline.ingest_seconds,
            "ingest_readings_per_second": n / pipeline.ingest_seconds,
            "flush_seconds": pipeline.flush_seconds,
            "registry_warmup_seconds_untimed": pipeline.registry_warmup_seconds,
            "stages": stages,
            "groups": [{"group": g, "seconds": s, "share": s / pipeline.seconds,
                        "microseconds_per_reading": s / n * 1e6} for g, s in groups.items()],
        },
        "verify_ceiling": {
            "readings": ceiling.readings,
            "pynacl_readings_per_second": ceiling.pynacl_per_second,
            "pynacl_rounds": list(ceiling.pynacl_rounds),
            "verify_signature_readings_per_second": ceiling.gate_per_second,
            "verify_signature_rounds": list(ceiling.gate_rounds),
            "pipeline_over_pynacl_ceiling": pipeline.readings_per_second / ceiling.pynacl_per_second,
        },
        "gas": {
            "first_anchor": {"batch_size": first.reading_count, "gas": first.gas_used,
                             "per_reading": first.gas_used / first.reading_count if first.gas_used else None},
            "pipeline_later_anchors": {"batch_size": pipeline.batch_size, "count": len(later),
                                       "min": min(later, default=None), "max": max(later, default=None)},
            "by_batch_size": [{"batch_size": g.batch_size, "gas": list(g.gas), "median": g.median,
                               "per_reading": g.per_reading} for g in anchor_gas],
        },
        "naive": {
            "transactions": naive.transactions,
            "seconds": naive.seconds,
            "readings_per_second": naive.readings_per_second,
            "gas_per_reading": naive.gas_per_reading,
            "gas_first": naive.gas[0],
            "gas_min": min(naive.gas),
            "gas_max": max(naive.gas),
        },
        "comparison": {
            "reference_batch_size": REFERENCE_BATCH_SIZE,
            "gas_per_reading_naive_over_anchored": (naive.gas_per_reading / anchored_gas_per_reading
                                                    if anchored_gas_per_reading else None),
            "readings_per_second_anchored_over_naive": pipeline.readings_per_second / naive.readings_per_second,
        },
        "targets": {
            "pipeline_readings_per_second": {"target": f">= {TARGET_READINGS_PER_SECOND}",
                                             "measured": pipeline.readings_per_second,
                                             "met": pipeline.readings_per_second >= TARGET_READINGS_PER_SECOND},
            "gas_per_reading_at_1000": {"target": f"<= {TARGET_GAS_PER_READING_AT_1000}",
                                        "measured": anchored_gas_per_reading,
                                        "met": anchored_gas_per_reading is not None
                                        and anchored_gas_per_reading <= TARGET_GAS_PER_READING_AT_1000},
        },
    }


def write_results(document: dict[str, object], started: datetime) -> Path:
    """bench/results/<name>-<UTC timestamp>.json"""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{document['name']}-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def render(console: Console, doc: dict) -> None:
    console.print(_stage_table(doc["pipeline"]))
    console.print(_throughput_table(doc))
    console.print(_gas_table(doc))
    m, setup = doc["machine"], doc["setup"]
    load = "n/a" if setup["load_average_start"] is None else \
        f"{setup['load_average_start'][0]} → {setup['load_average_end'][0]}"
    console.print(f"{m['cpu_model']}, {m['logical_cores']} cores, {m['python']}, anvil {str(m['anvil']).split(' (')[0]}; "
                  f"oracle on cores {setup['oracle_cores']}, anvil on {setup['anvil_cores']}; "
                  f"1-minute load average {load} (other work on the machine skews every timing)")


def _stage_table(p: dict) -> Table:
    table = Table(title=f"Where the time goes: {p['readings']:,} readings from {p['meters']} meters, "
                        f"{p['anchors']} anchors of {p['batch_size']:,}, one core (median round)")
    for column, justify in (("stage", "left"), ("µs / reading", "right"), ("share", "right"),
                            ("readings/s if alone", "right")):
        table.add_column(column, justify=justify)
    for group in p["groups"]:
        table.add_row(f"[bold]{group['group']}[/bold]", f"[bold]{group['microseconds_per_reading']:.1f}[/bold]",
                      f"[bold]{group['share']:.1%}[/bold]", f"[bold]{_rate(group['microseconds_per_reading'])}[/bold]")
        for stage in p["stages"]:
            if stage["group"] == group["group"]:
                table.add_row(f"  {stage['covers']}", f"{stage['microseconds_per_reading']:.1f}",
                              f"{stage['share']:.1%}", _rate(stage["microseconds_per_reading"]))
    table.add_section()
    table.add_row("[bold]full path[/bold]", f"[bold]{p['seconds'] / p['readings'] * 1e6:.1f}[/bold]", "100.0%",
                  f"[bold]{p['readings_per_second']:,.0f}[/bold]")
    return table


def _throughput_table(doc: dict) -> Table:
    p, c, n, t = doc["pipeline"], doc["verify_ceiling"], doc["naive"], doc["targets"]
    table = Table(title="Throughput (readings/s, one core)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target / note")
    target = t["pipeline_readings_per_second"]
    rounds = ", ".join(f"{r:,.0f}" for r in p["rounds_readings_per_second"])
    table.add_row("full path: verify → batch → evidence → anchor", f"{p['readings_per_second']:,.0f}",
                  f"{target['target']}: {_met(target['met'])}; median of {rounds}")
    table.add_row("  ingest only (verify, checks, spool)", f"{p['ingest_readings_per_second']:,.0f}", "")
    table.add_row("Ed25519 ceiling: PyNaCl verify alone", f"{c['pynacl_readings_per_second']:,.0f}",
                  f"median of {len(c['pynacl_rounds'])} passes")
    table.add_row("  verify_signature (as the gate calls it)", f"{c['verify_signature_readings_per_second']:,.0f}",
                  "builds a VerifyKey per call")
    table.add_row("full path / ceiling", f"{c['pipeline_over_pynacl_ceiling']:.2f}", "")
    table.add_row("naive: one transaction per reading", f"{n['readings_per_second']:,.1f}",
                  f"{n['transactions']} transactions, sent one by one")
    table.add_row("anchored / naive", _times(doc["comparison"]["readings_per_second_anchored_over_naive"]), "")
    return table


def _gas_table(doc: dict) -> Table:
    g, n, t = doc["gas"], doc["naive"], doc["targets"]
    naive_per_reading = n["gas_per_reading"]
    table = Table(title="Gas (receipt gasUsed)")
    for column, justify in (("design", "left"), ("readings / tx", "right"), ("gas / tx", "right"),
                            ("gas / reading", "right"), ("naive ÷ this", "right"), ("note", "left")):
        table.add_column(column, justify=justify)
    table.add_row("naive storeReading", "1", f"{naive_per_reading:,}", f"{naive_per_reading:,}",
                  "1×", f"median of {n['transactions']}")
    first = g["first_anchor"]
    table.add_row("anchorBatch, first", f"{first['batch_size']:,}", f"{first['gas']:,}",
                  f"{first['per_reading']:,.1f}", _times(naive_per_reading / first["per_reading"]),
                  "institution's first anchor")
    target = t["gas_per_reading_at_1000"]
    for row in g["by_batch_size"]:
        note = f"median of {len(row['gas'])}"
        if row["batch_size"] == REFERENCE_BATCH_SIZE:
            note += f", target {target['target']}: {_met(target['met'])}"
        table.add_row("anchorBatch", f"{row['batch_size']:,}", f"{row['median']:,}", f"{row['per_reading']:,.1f}",
                      _times(naive_per_reading / row["per_reading"]), note)
    return table


def _rate(microseconds_per_reading: float) -> str:
    return f"{1e6 / microseconds_per_reading:,.0f}" if microseconds_per_reading > 0 else "–"


def _times(ratio: float) -> str:
    return f"{ratio:,.1f}×" if ratio < 10 else f"{ratio:,.0f}×"


def _met(met: bool) -> str:
    return "[green]met[/green]" if met else "[red]not met[/red]"
