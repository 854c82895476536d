"""`zcl oracle …`: feed signed readings through the oracle and anchor them; run it; see how it is doing."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import typer
from rich.table import Table

from ledger.encoding import DeviceKind
from oracles.jsonl import read_jsonl
from oracles.node import AnchorResult, IngestReport, OracleNode
from oracles.simulator import SimulatedMeter
from zcl.context import EXIT_FINDINGS, console, reports_errors
from zcl.oracle_node import open_node, oracle_folder
from zcl.oracle_quorum import oracle_approve, oracle_quorum
from zcl.oracle_run import oracle_profile, oracle_profiles, oracle_run
from zcl.oracle_status import oracle_status
from zcl.registry import authorize_oracle

__all__ = ["open_node", "oracle_app", "oracle_folder", "print_outcome"]

oracle_app = typer.Typer(help="The oracle: verify signed readings, batch them, store evidence, anchor roots.",
                         no_args_is_help=True)
oracle_app.command("authorize")(authorize_oracle)
oracle_app.command("run")(oracle_run)
oracle_app.command("status")(oracle_status)
oracle_app.command("profile")(oracle_profile)
oracle_app.command("profiles")(oracle_profiles)
oracle_app.command("quorum")(oracle_quorum)
oracle_app.command("approve")(oracle_approve)


def print_outcome(node: OracleNode, report: IngestReport, anchors: list[AnchorResult]) -> None:
    deferred = f", deferred {report.deferred} (registry unreachable; checked again later)" if report.deferred else ""
    console.print(f"accepted {report.accepted} reading(s), rejected {len(report.rejected)}{deferred}")
    if report.rejected:
        table = Table(title=f"Rejected readings (also in {node.rejects.path})")
        for column in ("device", "seq", "reason", "detail"):
            table.add_column(column)
        for r in report.rejected[:50]:
            device = "-" if r.device_id is None else "0x" + r.device_id.hex()[:12] + "…"
            table.add_row(device, "-" if r.sequence is None else str(r.sequence), r.reason.value, r.detail)
        console.print(table)
    if anchors:
        table = Table(title="Anchored batches")
        for column in ("root", "readings", "evidence CID", "transaction", "gas"):
            table.add_column(column)
        for a in anchors:
            table.add_row("0x" + a.root.hex()[:16] + "…", str(a.reading_count), a.evidence_cid,
                          a.transaction_hash or "(already anchored)", str(a.gas_used or "-"))
        console.print(table)


def _run(node: OracleNode, items: Iterable) -> None:
    try:
        report = node.ingest(items)
        anchors = node.flush()
    finally:
        node.spool.close()
    print_outcome(node, report, anchors)
    if report.rejected:
        raise typer.Exit(EXIT_FINDINGS)


@oracle_app.command("ingest")
@reports_errors
def ingest(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON-lines file of signed readings."),
    institution: int = typer.Option(..., help="Institution node this oracle serves."),
    batch_size: int = typer.Option(1000, min=1, max=100_000),
) -> None:
    """Check every reading in FILE, anchor the accepted ones; exit 1 if any were rejected."""
    _run(open_node(institution, batch_size), read_jsonl(file))


@oracle_app.command("simulate")
@reports_errors
def simulate(
    institution: int = typer.Option(...),
    scene: int = typer.Option(None, help="Node to register new meters in (default: the institution)."),
    meters: int = typer.Option(3, min=1, max=1000),
    readings: int = typer.Option(96, min=1, help="Readings per meter (15-minute interval)."),
    seed: str = typer.Option("demo", help="Meters and keys are derived from this seed."),
    batch_size: int = typer.Option(1000, min=1),
) -> None:
    """Run in-process simulated meters (registering any that are new) through the oracle."""
    node = open_node(institution, batch_size)
    devices = node.contracts.devices
    kinds = [DeviceKind.ELECTRICITY_METER, DeviceKind.WATER_METER, DeviceKind.PV_GENERATION_METER]
    start = int(time.time()) - readings * 900
    fleet = [SimulatedMeter.create(f"{seed}-meter-{i}", kinds[i % 3], seed.encode(), start) for i in range(meters)]
    known = set(devices.registered_devices(institution_id=institution))
    for meter in fleet:
        if meter.device_id not in known:
            devices.register_device(meter.device_id, scene or institution, int(meter.kind), int(meter.unit), meter.public_key)
        last = node.spool.latest_record(meter.device_id)
        if last is not None:  # continue the meter where the previous run stopped, ending now
            meter.resume_after(last.reading, until=int(time.time()), count=readings)
    items = ((meter.name, signed) for meter in fleet for signed in meter.readings(readings))
    _run(node, items)
