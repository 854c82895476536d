"""`zcl savings submit`: an institution's M&V savings (IPMVP option C) from anchored readings, stored as
evidence and submitted as an AccountingLedger Savings result, which its own credits are verified against."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ledger.accounting.mv import FRACTION_PLACES
from ledger.accounting.published import factor_set, methodology
from ledger.accounting.quantities import round_fraction
from ledger.accounting.savings_report import build_savings_report, stated_periods
from zcl import context as ctx
from zcl.account import versioned
from zcl.context import console, reports_errors

savings_app = typer.Typer(help="An institution's verified M&V savings: the Savings results its own credits rest on.",
                          no_args_is_help=True)
SPEC_HELP = ('JSON: {"drivers": ["hdd", …], "baseline": [PERIOD, …], "reporting": [PERIOD, …], "description": "…"} '
             'with PERIOD {"first_day": "2021-01-01", "last_day": "2021-01-31", "drivers": {"hdd": {"value": "420", '
             '"unit": "K·d"}}}; the optional description (what the retrofit was) is kept in the report')


@savings_app.command("submit")
@reports_errors
def submit_savings(
    spec: Path = typer.Argument(..., exists=True, dir_okay=False, help=SPEC_HELP),
    institution: int = typer.Option(...),
    boundary: int = typer.Option(None, help="A scene inside the institution; default the institution itself "
                                            "(only institution-wide savings back credits)."),
    activity: str = typer.Option("electricity.grid", help="The metered activity the retrofit saves."),
    method: str = typer.Option("public-institution-inventory@1", "--methodology"),
    factors: str = typer.Option("cn-public-institution@2022.1"),
    description: str = typer.Option(None, help="What the retrofit was, kept in the report (default the spec's "
                                               "\"description\")."),
) -> None:
    """Verify a retrofit's savings from metered data, store the report, submit it as a Savings result."""
    try:
        document = json.loads(spec.read_text())
        drivers = [str(d) for d in document["drivers"]]
        described = str(description if description is not None else document.get("description", ""))
    except (ValueError, KeyError, TypeError) as exc:
        raise ctx.fail(f"{spec}: not a savings spec ({exc!r}); expected {SPEC_HELP}") from None
    contracts, store = ctx.contracts(), ctx.evidence_store()
    report = build_savings_report(
        contracts, store, institution, boundary or institution, stated_periods(document, "baseline"),
        stated_periods(document, "reporting"), drivers, methodology(*versioned(method, "--methodology")),
        factor_set(*versioned(factors, "--factors")), activity, description=described)
    cid = store.add(report.encode())
    result_id = contracts.accounting.submit_savings(institution, boundary or institution, report.result_input(cid))
    s = report.savings
    console.print(f"savings result {result_id} submitted for {report.period}: adjusted baseline {s.adjusted_baseline}, "
                  f"metered {s.reporting_consumption}, avoided {s.avoided_energy} = {s.emissions.rounded} "
                  f"(scope {int(report.scope)}; {report.avoided_grams // 10**6:,} whole tonnes creditable once Final); "
                  f"model R² {round_fraction(s.model.r_squared, FRACTION_PLACES)}, "
                  f"CV(RMSE) {s.model.cv_rmse()}; {len(report.batch_roots)} input batches; report {cid}",
                  highlight=False)
