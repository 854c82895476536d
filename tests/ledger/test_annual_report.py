"""`zcl report`: the annual report holds the recomputable figures and its chain links."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from tests.e2e.test_accounting_audit import world  # noqa: F401  (fixture: two meters anchored over two days of 2022)
from zcl.main import app

runner = CliRunner()


def test_annual_report_shows_scopes_months_measures_and_inputs(world, tmp_path) -> None:
    contracts, tree, verifier, anchors, _ = world
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--institution", str(tree.institution), "--year", "2022", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "Xihuamen office compound" in page
    # readings run hourly from 28 Feb 23:00 to 3 Mar 01:00: 50 h × (20 kWh × 0.5703 + 0.5 m³ × 0.194) kg
    assert "<b>575.150</b>" in page
    assert page.count("<svg") == 2 and "2022-02" in page and "2022-03" in page
    assert "Months without anchored readings (not estimated): 2022-01, 2022-04, 2022-05" in page
    assert "233,297.6" in page  # the measures table's total
    for anchor in anchors:
        assert anchor.root.hex() in page


@pytest.mark.skipif(shutil.which("chromium") is None, reason="PDF output needs Debian's chromium (apt-get install chromium)")
def test_annual_report_prints_to_pdf(world, tmp_path) -> None:
    contracts, tree, *_ = world
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--institution", str(tree.institution), "--year", "2022", "--out", str(out), "--pdf"])
    assert result.exit_code == 0, result.output
    assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
