"""`zcl measures …`: reduction measures, computed from their inputs by the accounting engine."""

from __future__ import annotations

import json
from decimal import Decimal

import typer
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ledger.accounting.measures import LED_NOTE, MeasureGroup, xihuamen_measures
from ledger.accounting.quantities import Quantity, format_decimal
from zcl.context import console, reports_errors

measures_app = typer.Typer(help="Reduction measures: the seed's retrofit table, computed from its inputs.",
                           no_args_is_help=True)


def _figure(value: Decimal | None) -> str:
    return "-" if value is None else format_decimal(value)


def _mark(ok: bool | None) -> str:
    return "" if ok is None else "[green]✓[/green]" if ok else "[red]✗[/red]"


def _pair(q: Quantity, document: Decimal | None) -> tuple[str, str, str]:
    return format_decimal(q.value), _figure(document), _mark(None if document is None else q.value == document)


@measures_app.command("xihuamen")
@reports_errors
def xihuamen(as_json: bool = typer.Option(False, "--json", help="Print the table as JSON (Decimals as strings).")) -> None:
    """The Xihuamen compound's eleven measures: formula, computed and printed figures, groups, totals, economics."""
    table = xihuamen_measures()
    if as_json:
        print(json.dumps(table.to_json(), indent=2, ensure_ascii=False))
        return
    m, f = table.methodology, table.factors
    console.print(f"methodology [bold]{m.label}[/bold] sha256 {m.content_hash[:16]}…  "
                  f"factors [bold]{f.label}[/bold] sha256 {f.content_hash[:16]}…  period {table.period}",
                  highlight=False)

    lines = Table(title="Avoided emissions per measure (kgCO2e/yr)")
    lines.add_column("#", justify="right")
    lines.add_column("measure and formula", ratio=1)
    lines.add_column("group")
    lines.add_column("scope", justify="center")
    lines.add_column("computed", justify="right", no_wrap=True)
    lines.add_column("document", justify="right", no_wrap=True)
    lines.add_column("")
    for number, estimate in enumerate(table.lines, 1):
        lines.add_row(str(number), Text.assemble((estimate.activity.title, "bold"), "\n", (estimate.formula, "dim")),
                      estimate.activity.group.value, str(int(estimate.line.scope)),
                      format_decimal(estimate.line.rounded.value), _figure(estimate.document),
                      _mark(estimate.matches_document))
    console.print(lines)

    groups = Table(title="Groups and total (kgCO2e/yr)")
    for column in ("", "computed", "document", "", "LED corrected"):
        groups.add_column(column, justify="right" if column else "left", no_wrap=True)
    for group in MeasureGroup:
        groups.add_row(group.value, *_pair(table.groups[group], table.document_totals.get(group.value)),
                       format_decimal(table.corrected_groups[group].value))
    groups.add_row("[bold]total[/bold]", *_pair(table.total, table.document_totals.get("total")),
                   format_decimal(table.corrected_total.value))
    console.print(groups)

    printed = next(e for e in table.lines if e.activity.measure == table.led_physical.activity.measure)
    console.print(Panel(
        f"as printed: {printed.formula} = [bold]{format_decimal(printed.line.rounded.value)}[/bold]\n"
        f"physically consistent: {table.led_physical.formula} = "
        f"[bold]{format_decimal(table.led_physical.line.rounded.value)}[/bold]\n{LED_NOTE}\n"
        f"totals use: [bold]the document's printed line[/bold]; corrected total "
        f"{format_decimal(table.corrected_total.value)} kgCO2e/yr",
        title="LED garage lighting", expand=False), highlight=False)

    economics, corrected, doc = table.economics, table.corrected_economics, table.document_totals
    money = Table(title="Economics")
    for column in ("", "computed", "document", "", "LED corrected"):
        money.add_column(column, justify="right" if column else "left", no_wrap=True)
    years, price = format_decimal(economics.horizon.value), format_decimal(economics.credit_price.value)
    for label, value, document, other in (
        ("investment, CNY", economics.investment, doc.get("investment"), corrected.investment),
        ("savings, CNY/yr", economics.annual_savings, doc.get("annual_savings"), corrected.annual_savings),
        ("payback, yr", economics.payback, doc.get("payback"), corrected.payback),
        ("avoided, tCO2e/yr", economics.avoided, doc.get("avoided_t"), corrected.avoided),
        (f"credits @{price} CNY/t, CNY/yr", economics.credit_value, doc.get("credit_value"), corrected.credit_value),
        (f"avoided {years} yr, tCO2e", economics.horizon_avoided, doc.get("horizon_avoided_t"), corrected.horizon_avoided),
        (f"credits {years} yr, CNY", economics.horizon_credit_value, doc.get("horizon_credit_value"),
         corrected.horizon_credit_value),
        (f"savings {years} yr, CNY", economics.horizon_savings, None, corrected.horizon_savings),
    ):
        money.add_row(label, *_pair(value, document), format_decimal(other.value))
    console.print(money)
