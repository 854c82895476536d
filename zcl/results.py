"""`zcl result …` and `zcl audit`: submit period results, verify them as a regulator, audit them as anyone."""

from __future__ import annotations

import typer
from rich.progress import Progress
from rich.table import Table

from ledger.accounting.published import factor_set, methodology
from ledger.accounting.report import build_report, bytes32_label
from ledger.audit import audit_results
from zcl import context as ctx
from zcl.account import DAY_HELP, day_period, versioned
from zcl.context import EXIT_FINDINGS, console, errors, reports_errors

result_app = typer.Typer(help="Accounting results on chain: submit, verify (regulators), restate, show.",
                         no_args_is_help=True)


def _tx(receipt: dict) -> str:
    return f"tx {receipt['transactionHash'].hex()} (block {receipt['blockNumber']})"


@result_app.command("submit")
@reports_errors
def submit(
    institution: int = typer.Option(...),
    boundary: int = typer.Option(None, help="A scene inside the institution; default the institution itself."),
    start: str = typer.Option(..., "--from", help=DAY_HELP),
    end: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD, included."),
    method: str = typer.Option("public-institution-inventory@1", "--methodology"),
    factors: str = typer.Option("cn-public-institution@2022.1"),
    restates: int = typer.Option(None, help="Restate this Final result instead of submitting a new one."),
    reason: str = typer.Option(None, help="Why the restatement is needed (required with --restates)."),
) -> None:
    """Account the period from anchored readings, store the report as evidence, submit the result."""
    contracts = ctx.contracts()
    store = ctx.evidence_store()
    report = build_report(contracts, store, institution, boundary or institution, day_period(start, end),
                          methodology(*versioned(method, "--methodology")), factor_set(*versioned(factors, "--factors")))
    cid = store.add(report.encode())
    result_input = report.result_input(cid)
    if restates is not None:
        if not reason:
            raise ctx.fail("a restatement needs --reason")
        result_id = contracts.accounting.restate(restates, result_input, reason)
    else:
        result_id = contracts.accounting.submit(institution, boundary or institution, result_input)
    console.print(f"result {result_id} submitted: {report.result.total} in {report.result.period}, "
                  f"{len(report.activity.batch_roots)} input batches, {len(report.activity.estimates)} estimates; "
                  f"report {cid}", highlight=False)


@result_app.command("verify")
@reports_errors
def verify_result(
    result_id: int,
    approve: bool = typer.Option(..., "--approve/--reject"),
    statement: str = typer.Option(..., help="Verification statement CID, or the reason for a rejection."),
) -> None:
    """As a verifier of a region above the institution: approve (final) or reject a submitted result."""
    receipt = ctx.contracts().accounting.verify(result_id, approve, statement)
    console.print(f"result {result_id} {'approved' if approve else 'rejected'}: {_tx(receipt)}")


@result_app.command("add-verifier")
@reports_errors
def add_verifier(region: int, account: str) -> None:
    """Designate ACCOUNT as a verifier for REGION (caller: an admin of the region or above)."""
    console.print(f"{account} verifies below region {region}: {_tx(ctx.contracts().accounting.add_verifier(region, account))}")


@result_app.command("show")
@reports_errors
def show(result_id: int) -> None:
    """A result as the chain stores it."""
    r = ctx.contracts().accounting.result(result_id)
    table = Table(title=f"result {result_id}", show_header=False)
    for name, value in (
        ("status", r.status.name.lower()), ("institution / boundary", f"{r.institution_id} / {r.boundary_id}"),
        ("period (unix, [start, end))", f"{r.period_start} – {r.period_end}"),
        ("methodology", f"{bytes32_label(r.methodology_id)} 0x{r.methodology_hash.hex()[:16]}…"),
        ("factor set hash", f"0x{r.factor_set_hash.hex()[:16]}…"),
        ("scope 1 / 2 / 3 (gCO2e)", f"{r.scope1:,} / {r.scope2:,} / {r.scope3:,}"),
        ("input batches", f"{r.input_batch_count}, root 0x{r.input_root.hex()[:16]}…"),
        ("supersedes / superseded by", f"{r.supersedes or '-'} / {r.superseded_by or '-'}"),
        ("submitter", r.submitter), ("verifier", r.verifier if r.verified_at else "-"),
    ):
        table.add_row(name, value)
    console.print(table)


@reports_errors
def audit(institution: int = typer.Option(None, help="Only this institution's results.")) -> None:
    """Recompute every on-chain accounting result from chain and evidence; exit 1 at the first difference."""
    contracts = ctx.contracts()
    with Progress(console=errors, transient=True) as progress:
        task = progress.add_task("auditing results", total=contracts.accounting.result_count())
        report = audit_results(contracts, ctx.evidence_store(), institution, on_result=lambda _: progress.advance(task))
    if report.difference is not None:
        errors.print(f"[red]DIFFERS[/red] {report.difference.describe()}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_FINDINGS)
    console.print(f"[green]OK[/green]: {report.results_checked} result(s) recomputed exactly "
                  f"({report.results_skipped} rejected skipped); readings of institutions "
                  f"{report.institutions_verified or '-'} re-verified.")
