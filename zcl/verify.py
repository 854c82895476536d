"""`zcl verify`: the auditor's tool. Needs only an RPC URL, the deployment addresses and the evidence."""

from __future__ import annotations

import json

import typer
from rich.progress import Progress
from rich.table import Table

from ledger.verification import verify_ledger
from zcl import context as ctx
from zcl.context import EXIT_FINDINGS, console, errors, reports_errors


@reports_errors
def verify(
    institution: int = typer.Option(None, help="Only this institution's batch chain."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Re-derive every anchored batch from chain and evidence; exit 1 naming each mismatch."""
    contracts = ctx.contracts()
    store = ctx.evidence_store()
    with Progress(console=errors, transient=True, disable=as_json) as progress:
        task = progress.add_task("verifying batches", total=None)
        report = verify_ledger(contracts, store, institution, on_batch=lambda _: progress.advance(task))
    if as_json:
        print(json.dumps({
            "ok": report.ok, "institutions": report.institutions, "batches": report.batches,
            "readings": report.readings, "signatures_checked": report.signatures_checked, "devices": report.devices,
            "findings": [{"problem": f.problem.name, "batch": f.batch_root.hex() if f.batch_root else None,
                          "reading_index": f.reading_index, "device_id": f.device_id.hex() if f.device_id else None,
                          "sequence": f.sequence, "detail": f.detail} for f in report.findings],
        }, indent=2))
    else:
        table = Table(title="Verification", show_header=False)
        table.add_row("institutions", str(report.institutions))
        table.add_row("batches", str(report.batches))
        table.add_row("readings", str(report.readings))
        table.add_row("signatures checked", str(report.signatures_checked))
        table.add_row("devices", str(report.devices))
        console.print(table)
        for finding in report.findings:
            errors.print(f"[red]FAIL[/red] {finding.describe()}", highlight=False, soft_wrap=True)
        if report.ok:
            console.print("[green]OK[/green]: every batch re-derives from the chain and its evidence.")
    if not report.ok:
        raise typer.Exit(EXIT_FINDINGS)
