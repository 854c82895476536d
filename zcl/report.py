"""`zcl report`: an institution's annual carbon report (HTML, and PDF where Chromium is installed)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from ledger.accounting.errors import NoActivityData
from ledger.accounting.factors import Period
from ledger.accounting.measures import xihuamen_measures
from ledger.accounting.published import factor_set, methodology
from ledger.accounting.quantities import Quantity
from ledger.accounting.report import build_report
from ledger.accounting.metered import split_period
from ledger.reports.annual import AnnualReport, render_html, to_pdf
from zcl import context as ctx
from zcl.account import versioned
from zcl.context import console, reports_errors


@reports_errors
def report_command(
    institution: int = typer.Option(...),
    year: int = typer.Option(..., min=2000, max=2100),
    out: Path = typer.Option(Path("report.html"), help="Where to write the HTML page."),
    pdf: bool = typer.Option(False, help="Also print it to PDF (needs Chromium)."),
    people: str = typer.Option("3835", help="Occupants, for intensity per person."),
    area: str = typer.Option("93823.09", help="Floor area in m², for intensity per m²."),
    method: str = typer.Option("public-institution-inventory@1", "--methodology"),
    factors: str = typer.Option("cn-public-institution@2022.1"),
    with_measures: bool = typer.Option(True, "--measures/--no-measures", help="Include the Xihuamen measures table."),
) -> None:
    """Write the year's report: emissions by scope and month, intensity, measures, on-chain links."""
    contracts, store = ctx.contracts(), ctx.evidence_store()
    chosen = methodology(*versioned(method, "--methodology")), factor_set(*versioned(factors, "--factors"))
    period = Period(date(year, 1, 1), date(year, 12, 31))
    name = contracts.organizations.node(institution).name
    whole = build_report(contracts, store, institution, institution, period, *chosen)
    months, empty = [], []
    for month in split_period(period, "month"):
        try:
            months.append(build_report(contracts, store, institution, institution, month, *chosen))
        except NoActivityData:
            empty.append(month.start.strftime("%Y-%m"))
    page = render_html(AnnualReport(
        institution_name=name, year=whole, months=tuple(months), months_without_data=tuple(empty), measures=xihuamen_measures() if with_measures else None,
        people=Quantity(people, "person"), area=Quantity(area, "m2"),
        chain_note=f"Chain id {contracts.organizations.chain.chain_id}. "))
    out.write_text(page, encoding="utf-8")
    console.print(f"report written to {out}")
    if pdf:
        pdf_path = out.with_suffix(".pdf")
        console.print(f"PDF written to {pdf_path}" if to_pdf(out, pdf_path) else "no Chromium found: HTML only")
