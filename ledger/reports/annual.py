"""An institution's annual report: emissions by scope and month, intensity, measures, and the chain links.

Built only from what `build_report` derives from anchored readings and from the published measures,
so every figure in it is one `zcl audit` can recompute. Rendered as a self-contained HTML page
(inline SVG charts); `to_pdf` prints it with headless Chromium where one is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

from ledger.accounting.boundaries import XIHUAMEN_FLOOR_AREA, XIHUAMEN_PEOPLE, intensity
from ledger.accounting.measures import MeasuresTable
from ledger.accounting.methodology import RoundingRule, Scope
from ledger.accounting.published import methodology
from ledger.accounting.quantities import Quantity, format_decimal
from ledger.accounting.report import PeriodReport
from ledger.reports.svg import horizontal_bars, stacked_bars


@dataclass(frozen=True)
class AnnualReport:
    institution_name: str
    year: PeriodReport
    months: tuple[PeriodReport, ...]  # the months that have anchored readings
    measures: MeasuresTable | None
    people: Quantity = XIHUAMEN_PEOPLE
    area: Quantity = XIHUAMEN_FLOOR_AREA
    months_without_data: tuple[str, ...] = ()
    result_id: int | None = None
    chain_note: str = ""


def render_html(report: AnnualReport) -> str:
    result = report.year.result
    rule = _intensity_rule(report)
    per = intensity(result.total, report.people, report.area, rule)
    months = [m.result.period.start.strftime("%Y-%m") for m in report.months]
    scopes = {f"scope {int(s)}": [m.result.scope_totals[s].value for m in report.months] for s in Scope}
    totals = report.year.activity.totals
    rows = "".join(f"<tr><td>{escape(a)}</td><td class=n>{format_decimal(q.value)} {escape(str(q.unit))}</td></tr>"
                   for a, q in sorted(totals.items()))
    scope_rows = "".join(f"<tr><td>scope {int(s)}</td><td class=n>{format_decimal(q.value)}</td></tr>"
                         for s, q in result.scope_totals.items())
    estimates = report.year.activity.estimates
    batches = "".join(f"<li><code>0x{r.hex()}</code></li>" for r in report.year.activity.batch_roots)
    measures = ""
    if report.measures is not None:
        items = sorted(((m.activity.title, m.line.rounded.value) for m in report.measures.lines), key=lambda i: -i[1])
        measures = (f"<h2>Reduction measures</h2><p>Avoided emissions per year (document's methodology): "
                    f"total {format_decimal(report.measures.total.value)} kgCO2e/yr.</p>"
                    + horizontal_bars(items, "kgCO2e per year"))
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{escape(report.institution_name)}: carbon report {result.period}</title>
<style>body{{font-family:sans-serif;max-width:780px;margin:2em auto;color:#222}}td{{padding:2px 10px}}
.n{{text-align:right;font-variant-numeric:tabular-nums}}code{{font-size:10px}}h2{{border-bottom:1px solid #ccc}}</style>
</head><body>
<h1>{escape(report.institution_name)}</h1>
<p>Carbon report for {result.period} (China Standard Time). Methodology <b>{escape(report.year.methodology_label)}</b>
(sha256 <code>{result.methodology_hash}</code>), factors <b>{escape(report.year.factor_set_label)}</b>
(sha256 <code>{result.factor_set_hash}</code>).</p>
<h2>Emissions</h2>
<table><tr><th>scope</th><th>kgCO2e</th></tr>{scope_rows}
<tr><td><b>total</b></td><td class=n><b>{format_decimal(result.total.value)}</b></td></tr></table>
{stacked_bars(months, scopes, "kgCO2e per month")}
<p>{('Months without anchored readings (not estimated): ' + escape(', '.join(report.months_without_data)) + '.') if report.months_without_data else 'Every month has anchored readings.'}</p>
<h2>Intensity</h2>
<table><tr><td>per person ({format_decimal(report.people.value)} people)</td><td class=n>{format_decimal(per.per_person.value)} kgCO2e</td></tr>
<tr><td>per m² ({format_decimal(report.area.value)} m²)</td><td class=n>{format_decimal(per.per_area.value)} kgCO2e</td></tr></table>
<h2>Metered activity</h2><table>{rows}</table>
<p>{len(estimates)} interpolated stretch(es) (period boundaries and gaps), each listed in the report's evidence.</p>
{measures}
<h2>On-chain records</h2>
<p>{escape(report.chain_note)}{' Accounting result #' + str(report.result_id) + '.' if report.result_id else ''}
Input batches (Merkle roots anchored in AttestationLedger), input-set root <code>0x{report.year.activity.input_root.hex()}</code>:</p>
<ul>{batches}</ul>
<p>Re-derive every figure: <code>zcl verify</code> (readings) and <code>zcl audit</code> (results).</p>
</body></html>"""


def to_pdf(html_path: Path, pdf_path: Path) -> bool:
    """Print the page to PDF with headless Chromium; False when no Chromium is installed."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        return False
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        f"--user-data-dir={profile}", f"--print-to-pdf={pdf_path}", "--no-pdf-header-footer",
                        html_path.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    return pdf_path.exists()


def _intensity_rule(report: AnnualReport) -> RoundingRule:
    return methodology(report.year.result.methodology_id, report.year.result.methodology_version).rounding.intensity
