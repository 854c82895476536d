"""`zcl index`: keep the SQL index of chain events and anchored readings, rebuild it, check it."""

from __future__ import annotations

import json

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from ledger.chain.deployment import Deployment
from ledger.indexer import Indexer, IndexerError, IndexStatus, StepReport, SyncReport, database_url, open_engine
from ledger.indexer.check import CheckReport, check_index
from zcl import context as ctx
from zcl.context import ExitCode, console, errors, reports_errors


@reports_errors
def index_command(
    follow: bool = typer.Option(False, "--follow", help="Keep following the chain head until interrupted."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Drop the index tables and rebuild them from chain and evidence."),
    check: bool = typer.Option(False, "--check", help="Compare the database with chain and evidence; exit 1 on drift."),
    status: bool = typer.Option(False, "--status", help="Show chain head, indexed block and lag."),
    confirmations: int = typer.Option(None, min=0, help="Blocks a block needs on top before it is indexed "
                                                        "(default ZCL_CONFIRMATIONS; 1 = the head itself)."),
    range_blocks: int = typer.Option(2_000, min=1, help="Blocks per eth_getLogs request."),
    poll_seconds: float = typer.Option(2.0, min=0.1, help="With --follow: seconds between polls of the head."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Index contract events and anchored readings into SQL (ZCL_DATABASE_URL, default SQLite in the data dir)."""
    if sum((follow, rebuild, check, status)) > 1:
        raise ctx.fail("choose one of --follow, --rebuild, --check, --status")
    try:
        indexer = _indexer(confirmations, range_blocks)
    except SQLAlchemyError as exc:
        raise ctx.fail(f"cannot use the index database: {_reason(exc)}") from None
    try:
        if status:
            _print_status(indexer.status(), indexer, as_json)
        elif check:
            report = check_index(indexer, progress=None if as_json else lambda what: errors.print(f"checking {what}…"))
            _print_check(report, as_json)
            if not report.ok:
                raise typer.Exit(int(ExitCode.FINDINGS))
        elif rebuild:
            _print_sync(_with_progress(indexer, indexer.rebuild, as_json), indexer, as_json)
        elif follow:
            errors.print(f"following chain {indexer.chain.chain_id} into {_safe_url(indexer)}; Ctrl-C stops")
            try:
                indexer.follow(poll_seconds, on_step=lambda step, st: _log_step(step, st, as_json),
                               on_chain_error=lambda exc: errors.print(f"[yellow]retrying[/yellow]: {exc}"))
            except KeyboardInterrupt:
                _print_status(indexer.status(), indexer, as_json)
        else:
            _print_sync(_with_progress(indexer, indexer.sync, as_json), indexer, as_json)
    except IndexerError as exc:
        raise ctx.fail(str(exc), ExitCode.CHAIN) from None
    except SQLAlchemyError as exc:
        raise ctx.fail(f"the index database failed: {_reason(exc)}") from None
    finally:
        indexer.engine.dispose()


def _indexer(confirmations: int | None, range_blocks: int) -> Indexer:
    settings = ctx.settings()
    chain = ctx.chain()
    deployment = Deployment.load(settings.deployment_path(chain.chain_id))
    engine = open_engine(database_url(settings))
    return Indexer(chain, deployment, engine, ctx.evidence_store(),
                   confirmations=settings.confirmations if confirmations is None else confirmations,
                   range_blocks=range_blocks)


def _with_progress(indexer: Indexer, run, as_json: bool) -> SyncReport:  # noqa: ANN001
    """Run `run(on_step)` with a progress bar over the blocks still to index."""
    with Progress(TextColumn("indexing blocks"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[what]}"),
                  TimeElapsedColumn(), console=errors, transient=True, disable=as_json) as progress:
        task = progress.add_task("index", total=None, what="")

        def on_step(step: StepReport, status: IndexStatus) -> None:
            progress.update(task, total=max(1, status.target - status.start_block + 1),
                            completed=status.indexed - status.start_block + 1,
                            what=f"{step.events} events, {step.readings} readings in {step.from_block}–{step.to_block}")

        return run(on_step)


def _print_sync(report: SyncReport, indexer: Indexer, as_json: bool) -> None:
    status = indexer.status()
    if as_json:
        print(json.dumps({"events": report.events, "readings": report.readings, "reorgs": report.reorgs,
                          **_status_dict(status)}, indent=2))
        return
    for fork in report.reorgs:
        errors.print(f"[yellow]reorg[/yellow]: blocks from {fork} were replaced; their rows were rolled back and re-indexed")
    console.print(f"indexed {report.events} events and {report.readings} readings; "
                  f"at block {status.indexed} of {status.head} (lag {status.lag})")
    if indexer.contracts.skipped:
        console.print(f"not in this deployment (not indexed): {', '.join(indexer.contracts.skipped)}")


def _log_step(step: StepReport, status: IndexStatus, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"from_block": step.from_block, "to_block": step.to_block, "events": step.events,
                          "readings": step.readings, "reorg_from": step.reorg_from, "lag": status.lag}), flush=True)
    else:
        reorg = f" after rolling back a reorg from block {step.reorg_from}" if step.reorg_from is not None else ""
        errors.print(f"blocks {step.from_block}–{step.to_block}: {step.events} events, {step.readings} readings"
                     f"{reorg}; lag {status.lag}")


def _status_dict(status: IndexStatus) -> dict:
    return {"chain_id": status.chain_id, "head": status.head, "target": status.target, "indexed": status.indexed,
            "start_block": status.start_block, "lag": status.lag}


def _print_status(status: IndexStatus, indexer: Indexer, as_json: bool) -> None:
    if as_json:
        print(json.dumps({**_status_dict(status), "database": _safe_url(indexer)}, indent=2))
        return
    table = Table(title="Index", show_header=False)
    table.add_row("database", _safe_url(indexer))
    table.add_row("chain id", str(status.chain_id))
    table.add_row("chain head", str(status.head))
    table.add_row("indexed up to block", str(status.indexed))
    table.add_row("confirmed target", str(status.target))
    table.add_row("lag (blocks)", str(status.lag))
    table.add_row("contracts indexed", ", ".join(indexer.contracts.names.values()))
    if indexer.contracts.skipped:
        table.add_row("not in deployment", ", ".join(indexer.contracts.skipped))
    console.print(table)


def _print_check(report: CheckReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps({
            "ok": report.ok, "indexed_block": report.indexed_block, "batches": report.batches,
            "readings": report.readings,
            "event_counts": {k: {"chain": c, "database": d} for k, (c, d) in report.event_counts.items()},
            "drift": [vars(d) for d in report.drift],
        }, indent=2))
        return
    counts = Table(title=f"Events up to block {report.indexed_block}")
    for column in ("event", "chain", "database"):
        counts.add_column(column, justify="left" if column == "event" else "right")
    for name, (chain_count, db_count) in report.event_counts.items():
        style = None if chain_count == db_count else "red"
        counts.add_row(name, str(chain_count), str(db_count), style=style)
    console.print(counts)
    console.print(f"{report.batches} batches and {report.readings} readings checked against chain and evidence")
    if report.ok:
        console.print("[green]OK[/green]: the index says what the chain and the evidence say.")
        return
    drift = Table(title=f"Drift ({len(report.drift)})")
    for column in ("check", "where", "chain / evidence / replay", "database"):
        drift.add_column(column, overflow="fold")
    for d in report.drift:
        drift.add_row(d.check, d.subject, d.expected, d.found)
    console.print(drift)


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's own message (first line), without SQLAlchemy's statement dump."""
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _safe_url(indexer: Indexer) -> str:
    return indexer.engine.url.render_as_string(hide_password=True)
