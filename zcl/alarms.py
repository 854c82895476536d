"""`zcl alarms list|ack|resolve`: the oracle's alarms, read and handled beside a running oracle."""

from __future__ import annotations

import getpass
import json
import time

import typer
from rich.table import Table

from ledger.calendar import format_instant
from oracles.alarms import Alarm, AlarmKind, AlarmState, AlarmStore
from zcl.context import console, reports_errors
from zcl.oracle_node import spool_path

alarms_app = typer.Typer(help="Alarms the oracle raised: leaks, electrical safety, offline devices, tampering.",
                         no_args_is_help=True)
_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def _store(institution: int) -> AlarmStore:
    return AlarmStore.open(spool_path(institution, must_exist=True))


@alarms_app.command("list")
@reports_errors
def list_alarms(
    institution: int = typer.Option(..., help="Institution whose oracle raised the alarms."),
    include_resolved: bool = typer.Option(False, "--all", help="Include resolved alarms."),
    kind: AlarmKind = typer.Option(None, help="Only alarms of this kind."),
    limit: int = typer.Option(100, min=1),
    as_json: bool = typer.Option(False, "--json", help="Print JSON, with every reading that raised each alarm."),
) -> None:
    """Open alarms, newest first (with --all, resolved ones too)."""
    store = _store(institution)
    try:
        alarms = store.list(include_resolved, kind, limit)
    finally:
        store.db.close()
    if as_json:
        print(json.dumps([a.to_json(institution) for a in alarms], indent=2, ensure_ascii=False))
        return
    table = Table(title=f"Alarms, institution {institution}" + ("" if include_resolved else " (open)"))
    for column in ("id", "kind", "severity", "device", "readings", "raised (UTC+08:00)", "state", "detail"):
        table.add_column(column)
    for a in alarms:
        table.add_row(str(a.id), a.kind.value, f"[{_SEVERITY_STYLE[a.severity.value]}]{a.severity.value}[/]",
                      "0x" + a.device_id.hex()[:12] + "…", _readings(a), format_instant(a.raised_at)[:16], _state(a), a.detail)
    console.print(table)


@alarms_app.command("ack")
@reports_errors
def acknowledge(
    alarm_id: int = typer.Argument(..., help="The alarm's id (zcl alarms list)."),
    institution: int = typer.Option(...),
    by: str = typer.Option(None, help="Who acknowledges (default: the login name)."),
) -> None:
    """Acknowledge an active alarm: someone is on it."""
    store = _store(institution)
    try:
        alarm = store.acknowledge(alarm_id, by or getpass.getuser(), int(time.time()))
    finally:
        store.db.close()
    console.print(f"alarm {alarm.id} ({alarm.kind.value}) acknowledged by {alarm.acknowledged_by}")


@alarms_app.command("resolve")
@reports_errors
def resolve(
    alarm_id: int = typer.Argument(..., help="The alarm's id (zcl alarms list)."),
    institution: int = typer.Option(...),
    by: str = typer.Option(None, help="Who resolves (default: the login name)."),
    note: str = typer.Option("", help="What was done."),
) -> None:
    """Resolve an alarm; later readings of the same kind raise a new one."""
    store = _store(institution)
    try:
        alarm = store.resolve(alarm_id, by or getpass.getuser(), int(time.time()), note)
    finally:
        store.db.close()
    console.print(f"alarm {alarm.id} ({alarm.kind.value}) resolved by {alarm.resolved_by}")


def _readings(alarm: Alarm) -> str:
    shown = ", ".join(f"#{s}" for _, s in alarm.readings[:4])
    return shown + (f" +{len(alarm.readings) - 4}" if len(alarm.readings) > 4 else "")


def _state(alarm: Alarm) -> str:
    if alarm.state == AlarmState.ACKNOWLEDGED:
        return f"acknowledged by {alarm.acknowledged_by}"
    if alarm.state == AlarmState.RESOLVED:
        return f"resolved by {alarm.resolved_by}"
    return "[bold]active[/bold]"


__all__ = ["alarms_app"]
