"""Indexer benchmark: catch-up speed of `zcl index` on SQLite and on PostgreSQL.

    .venv/bin/python -m scripts.bench.indexer [--devices 1000] [--meters 50] [--readings-per-meter 2000] ...

On a fresh anvil, two deployments are filled: one with registry events only (each device registered,
then suspended and reactivated: 3 events per device), one with anchored batches (signed readings
written as evidence, their roots anchored by an authorised oracle). A fresh index of each is then
built from the deployment block to the head, once per database, and timed:

- events/s: events of the registry deployment indexed per second (decode, raw row, projection);
- readings/s: readings of the batch deployment loaded per second (evidence read, CID and Merkle
  root recomputed, one row per reading with its leaf, daily figures).

PostgreSQL runs in a database created for the run (zcl_idx_bench_<random>) on 127.0.0.1:5432 and
dropped afterwards; it is skipped, and said so, where unreachable. Prints a table and writes
bench/results/indexer-<UTC timestamp>.json. Never asserts on timings.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from ledger.batch import EvidenceBatch, canonical_order
from ledger.chain.clients import LedgerContracts
from ledger.chain.deployment import Deployment, deploy_contracts
from ledger.evidence import LocalEvidenceStore
from ledger.indexer import Indexer, drop_index_tables, open_engine
from scripts.bench.machine import load_average, start_bench
from scripts.bench.report import write_results
from scripts.bench.testbed import Testbed, create_fleet, register_fleet, start_testbed

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.indexer", description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1_000, help="devices of the registry deployment (3 events each)")
    parser.add_argument("--meters", type=int, default=50, help="meters of the batch deployment")
    parser.add_argument("--readings-per-meter", type=int, default=2_000, help="readings each meter signs")
    parser.add_argument("--batch-size", type=int, default=5_000, help="readings per anchored batch")
    parser.add_argument("--range-blocks", type=int, default=2_000, help="blocks per eth_getLogs request")
    parser.add_argument("--name", default="indexer", help="results file prefix (default: indexer)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    console, started, _, machine, load_at_start = start_bench()
    with tempfile.TemporaryDirectory(prefix="zcl-bench-indexer-") as tmp:
        work = Path(tmp)
        testbed = start_testbed(work)
        try:
            console.print(f"filling the registry deployment: {args.devices} devices × 3 events")
            registry = _registry_deployment(testbed, args.devices)
            console.print(f"filling the batch deployment: {args.meters} meters × {args.readings_per_meter} readings, "
                          f"batches of {args.batch_size}")
            evidence = LocalEvidenceStore(work / "evidence")
            batches = _batch_deployment(testbed, evidence, args.meters, args.readings_per_meter, args.batch_size)
            runs = []
            for database, url, cleanup in _databases(work, console):
                try:
                    for phase, deployment in (("events", registry), ("readings", batches)):
                        runs.append(_measure(testbed, deployment, evidence, url, database, phase, args.range_blocks))
                        console.print(f"  {database} {phase}: {runs[-1]['per_second']:,.0f}/s")
                finally:
                    cleanup()
        finally:
            testbed.stop()
    document = {
        "name": args.name,
        "started_utc": started.isoformat(timespec="seconds"),
        "machine": machine,
        "setup": {"devices": args.devices, "meters": args.meters, "readings_per_meter": args.readings_per_meter,
                  "batch_size": args.batch_size, "range_blocks": args.range_blocks,
                  "load_average_start": load_at_start, "load_average_end": load_average()},
        "runs": runs,
    }
    path = write_results(document, started)
    render(console, document)
    console.print(f"results: {path}")
    return 0


def _registry_deployment(testbed: Testbed, devices: int) -> Deployment:
    deployment = deploy_contracts(testbed.admin.organizations.chain, credits=False)
    admin = LedgerContracts.attach(testbed.admin.organizations.chain, deployment)
    me = admin.organizations.chain.account.address
    region = admin.organizations.create_root(0, "Benchmark region", me)
    institution = admin.organizations.create_node(region, 1, "Benchmark institution")
    building = admin.organizations.create_node(institution, 3, "Benchmark building")
    for meter in create_fleet(devices, 1, seed=b"zcl-bench-indexer"):
        admin.devices.register_device(meter.device_id, building, int(meter.kind), int(meter.unit), meter.public_key)
        admin.devices.suspend(meter.device_id, "benchmark")
        admin.devices.reactivate(meter.device_id, "benchmark")
    return deployment


def _batch_deployment(testbed: Testbed, evidence: LocalEvidenceStore, meters: int, per_meter: int,
                      batch_size: int) -> Deployment:
    fleet = create_fleet(meters, per_meter)
    register_fleet(testbed, fleet)
    readings = canonical_order([r for meter in fleet for r in meter.readings(per_meter)])
    previous = bytes(32)
    for start in range(0, len(readings), batch_size):
        batch = EvidenceBatch(testbed.institution_id, tuple(readings[start:start + batch_size]))
        cid = evidence.add(batch.encode())
        root = batch.tree().root
        testbed.oracle.attestations.anchor_batch(testbed.institution_id, root, previous, len(batch.readings),
                                                 batch.first_timestamp, batch.last_timestamp, cid)
        previous = root
    return testbed.deployment


def _databases(work: Path, console: Console) -> Iterator[tuple[str, str, Callable[[], None]]]:
    yield "sqlite", f"sqlite:///{work / 'index.sqlite'}", lambda: None
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = f"zcl_idx_bench_{secrets.token_hex(4)}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        console.print(f"[yellow]PostgreSQL skipped[/yellow]: 127.0.0.1:5432 unreachable ({type(exc).__name__})")
        return

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    yield "postgresql", f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


def _measure(testbed: Testbed, deployment: Deployment, evidence: LocalEvidenceStore, url: str, database: str,
             phase: str, range_blocks: int) -> dict:
    """A fresh index of `deployment` from its first block to the head, timed (schema creation excluded)."""
    engine = open_engine(url)
    try:
        drop_index_tables(engine)  # the SQLite file serves both phases
        indexer = Indexer(testbed.admin.organizations.chain, deployment, engine, evidence, range_blocks=range_blocks)
        begin = time.perf_counter()
        report = indexer.sync()
        seconds = time.perf_counter() - begin
        blocks = indexer.status().indexed - deployment.start_block + 1
    finally:
        engine.dispose()
    count = report.events if phase == "events" else report.readings
    return {"database": database, "phase": phase, "events": report.events, "readings": report.readings,
            "steps": len(report.steps), "blocks": blocks,
            "seconds": seconds, "per_second": count / seconds if seconds else None}


def render(console: Console, doc: dict) -> None:
    table = Table(title="Indexer catch-up from the deployment block (fresh database, one process)")
    for column, justify in (("database", "left"), ("what", "left"), ("events", "right"), ("readings", "right"),
                            ("blocks", "right"), ("seconds", "right"), ("rate", "right")):
        table.add_column(column, justify=justify)
    for run in doc["runs"]:
        unit = "events/s" if run["phase"] == "events" else "readings/s"
        table.add_row(run["database"], "registry events" if run["phase"] == "events" else "anchored readings",
                      f"{run['events']:,}", f"{run['readings']:,}", f"{run['blocks']:,}", f"{run['seconds']:.2f}",
                      f"{run['per_second']:,.0f} {unit}")
    console.print(table)
    m, setup = doc["machine"], doc["setup"]
    console.print(f"{m['cpu_model']}, {m['logical_cores']} cores, {m['python']}; 1-minute load average "
                  f"{setup['load_average_start'][0] if setup['load_average_start'] else 'n/a'} → "
                  f"{setup['load_average_end'][0] if setup['load_average_end'] else 'n/a'} "
                  f"(other work on the machine skews every timing)")


if __name__ == "__main__":
    sys.exit(main())
