"""`zcl oracle status`: how the oracle of one institution is doing, from its own files (no chain needed)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import typer
from rich.markup import escape
from rich.table import Table

from oracles.alarm_rules import AlarmMonitor, AlarmPolicy
from oracles.alarms import AlarmStore
from oracles.approval_log import ApprovalLog
from oracles.profiles import DeviceProfiles
from oracles.rejects import RejectsLog
from oracles.spool import Spool
from oracles.status import OracleStatus, collect_status
from zcl.context import console, reports_errors
from zcl.oracle_node import oracle_folder, spool_path

STALE_HEARTBEAT_SECONDS = 60  # a running oracle reports at least every idle wait; a minute of silence means gone


@reports_errors
def oracle_status(
    institution: int = typer.Option(..., help="Institution whose oracle to show."),
    offline_intervals: int = typer.Option(3, min=1, help="A device is offline after this many intervals without a reading."),
    devices: int = typer.Option(20, min=0, help="Device rows to show (offline and most behind first)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (every device)."),
) -> None:
    """Devices online and their lag, spool depth, rejects by reason, alarms, the last anchored batch."""
    spool = Spool(spool_path(institution, must_exist=True))
    approvals_file = oracle_folder(institution) / "approvals.sqlite"
    approvals = ApprovalLog(approvals_file) if approvals_file.exists() else None
    try:
        store = AlarmStore(spool.db)
        monitor = AlarmMonitor(store, DeviceProfiles(spool.db), AlarmPolicy(offline_intervals=offline_intervals))
        status = collect_status(institution, spool, RejectsLog(oracle_folder(institution) / "rejects.jsonl"), monitor,
                                approvals=approvals)
    finally:
        spool.close()
        if approvals is not None:
            approvals.close()
    if as_json:
        print(json.dumps(status.to_json(), indent=2))
    else:
        _print(status, devices)


def _print(s: OracleStatus, rows: int) -> None:
    summary = Table(title=f"Oracle of institution {s.institution_id}", show_header=False)
    summary.add_row("devices online", f"{s.online} of {len(s.devices)} seen")
    summary.add_row("missing sequences", "none" if not s.missing_sequences else
                    f"[yellow]{s.missing_sequences}[/yellow] (frames lost on the way, withheld or refused; per device below)")
    summary.add_row("spool", f"{s.pending} pending, {s.prepared} prepared, {s.unconfirmed} awaiting confirmation, "
                             f"{s.deferred} deferred")
    summary.add_row("rejects", ", ".join(f"{k} {v}" for k, v in sorted(s.rejects_by_reason.items())) or "none")
    summary.add_row("open alarms", ", ".join(f"{k} {v}" for k, v in sorted(s.open_alarms_by_kind.items())) or "none")
    b = s.last_batch
    summary.add_row("last anchored batch", "none" if b is None else
                    f"0x{b.root.hex()[:16]}… {b.reading_count} readings, tx {b.transaction_hash or '(found on chain)'}"
                    f"{'' if b.block_number is None else f', block {b.block_number}'}"
                    f"{', confirmed' if b.confirmed else ', not yet confirmed'}")
    summary.add_row("runner", _runner_line(s.runner, s.now))
    if s.approvals is not None:
        summary.add_row("approvals (k of n)", _approvals_line(s))
    console.print(summary)
    if s.approvals is not None and s.approvals.refused:
        refused = Table(title="Batches this oracle refused to approve (never signed)")
        for column in ("root", "anchored by", "block", "reason"):
            refused.add_column(column)
        for e in s.approvals.refused:
            refused.add_row("0x" + e.root.hex(), e.anchored_by, str(e.block_number), escape(e.reason))
        console.print(refused)
    if not s.devices or rows == 0:
        return
    table = Table(title="Devices")
    for column in ("device", "online", "last seq", "last reading (UTC)", "lag", "interval", "readings", "missing"):
        table.add_column(column)
    for d in s.devices[:rows]:
        table.add_row("0x" + d.device_id.hex()[:16] + "…", "[green]yes[/green]" if d.online else "[red]no[/red]",
                      str(d.last_sequence), _utc(d.last_timestamp), _duration(d.lag_seconds), _duration(d.interval_seconds),
                      str(d.readings), str(d.missing_sequences))
    if len(s.devices) > rows:
        table.caption = f"{len(s.devices) - rows} more (--devices N, or --json)"
    console.print(table)


def _runner_line(state: dict[str, str], now: int) -> str:
    if not state:
        return "never run here"
    silent = now - int(state.get("heartbeat_at") or now)
    phase = state.get("phase", "?")
    if phase == "running" and silent > STALE_HEARTBEAT_SECONDS:
        phase = "silent (stuck, or killed?)"
    line = f"{phase} (pid {state.get('pid', '?')}, heartbeat {_duration(silent)} ago)"
    if state.get("last_error"):
        retry = state.get("retry_at")
        line += f"; last error: {state['last_error']}" + (f", retry in {_duration(int(retry) - now)}" if retry else "")
    return line


def _approvals_line(s: OracleStatus) -> str:
    a = s.approvals
    counts = a.by_state
    line = (f"{counts.get('approved', 0)} approved, [red]{counts.get('refused', 0)} refused[/red], "
            f"{counts.get('waiting', 0)} waiting, {counts.get('skipped', 0)} skipped (had their approvals)")
    if s.runner.get("approving") not in (None, "", "ok"):
        line += f"; last error: {escape(s.runner['approving'])}"
    return line + (f"; {escape(a.note)}" if a.note else "")


def _utc(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _duration(seconds: int) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds} s"


__all__ = ["oracle_status"]
