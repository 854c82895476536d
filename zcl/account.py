"""`zcl account`: an institution's emissions for a period, from anchored readings only."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from ledger.accounting.engine import account
from ledger.accounting.factors import Period
from ledger.accounting.metered import collect_points, metered_activity, period_bounds, split_period
from ledger.accounting.published import factor_set, methodology
from ledger.accounting.quantities import format_decimal
from ledger.calendar import parse_day
from zcl import context as ctx
from zcl.context import console, reports_errors

DAY_HELP = "First day, YYYY-MM-DD; days are China Standard Time (UTC+08:00) days."


def day_period(start: str, end: str) -> Period:
    """--from/--to as the whole days of an accounting Period (ledger.calendar.parse_day), both included."""
    try:
        return Period(parse_day(start), parse_day(end))
    except ValueError as exc:
        raise ctx.fail(f"bad period: {exc}") from None


def versioned(value: str, what: str) -> tuple[str, str]:
    name, sep, version = value.partition("@")
    if not sep or not name or not version:
        raise ctx.fail(f"{what} must be written id@version, got {value!r}")
    return name, version


@reports_errors
def account_command(
    institution: int = typer.Option(..., help="Institution node id."),
    start: str = typer.Option(..., "--from", help=DAY_HELP),
    end: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD, included."),
    by: str = typer.Option("all", help="Split the period: day, month or all."),
    method: str = typer.Option("public-institution-inventory@1", "--methodology", help="Methodology id@version."),
    factors: str = typer.Option("cn-public-institution@2022.1", help="Factor set id@version."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Meter totals and emissions per scope, using only readings in anchored, re-checked batches."""
    period = day_period(start, end)
    chosen_method = methodology(*versioned(method, "--methodology"))
    chosen_factors = factor_set(*versioned(factors, "--factors"))
    parts = split_period(period, by)
    series, roots = collect_points(ctx.contracts(), ctx.evidence_store(), institution, *period_bounds(period))
    rows = []
    for part in parts:
        activity = metered_activity(institution, part, series, roots)
        result = account(activity.emission_activities, chosen_method, chosen_factors, part)
        rows.append((part, activity, result))
    if as_json:
        print(json.dumps([{
            "period": str(part), "activity": {k: str(v) for k, v in activity.totals.items()},
            "estimates": [{"device_id": e.device_id.hex(), "start": e.start, "end": e.end, "method": e.method,
                           "amount": str(e.amount)} for e in activity.estimates],
            "input_batches": [r.hex() for r in activity.batch_roots], "input_root": activity.input_root.hex(),
            "result": result.to_json(), "result_hash": result.content_hash,
        } for part, activity, result in rows], indent=2, ensure_ascii=False))
        return
    table = Table(title=f"Institution {institution}: {chosen_method.label} with {chosen_factors.label}")
    for column in ("period", "electricity kWh", "water m³", "scope 1 kg", "scope 2 kg", "scope 3 kg", "total kgCO2e",
                   "estimates"):
        table.add_column(column, justify="right")
    for part, activity, result in rows:
        totals = activity.totals
        cell = lambda key: format_decimal(totals[key].value) if key in totals else "-"  # noqa: E731
        scopes = [format_decimal(q.value) for q in result.scope_totals.values()]
        table.add_row(str(part), cell("electricity.grid"), cell("water.supply"), *scopes,
                      format_decimal(result.total.value), str(len(activity.estimates)))
    console.print(table)
    console.print(f"input: {len(roots)} anchored batch(es); every estimate is listed with --json", highlight=False)
