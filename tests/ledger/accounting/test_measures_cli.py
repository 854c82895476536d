"""`zcl measures xihuamen` as a person and a machine read it (a local app stands in for zcl's registration)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

import zcl.accounting
import zcl.context
from ledger.accounting.errors import UnknownFactorSet
from zcl.accounting import measures_app

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Stand-in for zcl's root."""

    app.add_typer(measures_app, name="measures")
    return app


def test_the_table_prints_every_line_group_total_economics_and_the_led_note() -> None:
    result = runner.invoke(_app(), ["measures", "xihuamen"])
    assert result.exit_code == 0, result.output
    out = result.output
    for figure in ("11,059.4", "45,595.6", "6,056.4", "1,802.5", "71,193.6", "174.6", "2,060", "1,040", "650",
                   "90,000", "3,665.5", "137,767.5", "3,840.1", "91,690", "233,297.6",
                   "13,348.8", "175,452.8", "2,230,000", "1,205,000", "1.85", "233.3", "30,329", "454,935"):
        assert figure in out, figure
    assert out.count("✓") == 11 + 4 + 7 and "✗" not in out  # lines, groups + total, economics with a printed figure


def test_formulas_and_the_led_reason_are_printed_in_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zcl.context.console, "width", 240)  # wide enough that no formula wraps
    out = runner.invoke(_app(), ["measures", "xihuamen"]).output
    assert "7,158,184.5 kWh/yr × 1.5 % × 0.103 kgCO2e/kWh" in out
    assert "0.008 kWh/(h·lamp) × 24 h/d ÷ (6 h/d / 24 h/d) × 300 d/yr × 3,000 lamp × 0.103 kgCO2e/kWh = 71,193.6" in out
    assert "0.008 kWh/(h·lamp) × (24 h/d − 6 h/d) × 300 d/yr × 3,000 lamp × 0.103 kgCO2e/kWh = 13,348.8" in out
    assert "the saving of lighting 6 h instead of 24 h is the 18 unlit hours" in out
    assert "totals use: the document's printed line; corrected total 175,452.8 kgCO2e/yr" in out
    assert "xihuamen-measures@1" in out and "xihuamen-seed@2022.1" in out


def test_json_gives_decimals_as_strings() -> None:
    result = runner.invoke(_app(), ["measures", "xihuamen", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert [line["rounded"] for line in document["lines"]] == [
        "11059.4", "45595.6", "6056.4", "1802.5", "71193.6", "174.6", "2060", "1040", "650", "90000", "3665.5"]
    assert all(line["matches_document"] for line in document["lines"])
    assert document["groups"] == {"electric": "137767.5", "water": "3840.1", "green office": "91690"}
    assert document["total"] == "233297.6"
    assert document["led"]["physical"]["rounded"] == "13348.8" and document["led"]["totals_use"] == "as_printed"
    assert document["led"]["corrected_total"] == "175452.8"
    economics = document["economics"]
    assert economics["credit_value"] == {"value": "30329", "unit": "CNY/yr"}
    assert economics["payback"] == {"value": "1.85", "unit": "yr"}
    assert len(document["methodology"]["hash"]) == 64 and len(document["factor_set"]["hash"]) == 64


def test_errors_are_one_line_with_exit_code_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise UnknownFactorSet("xihuamen-seed", "2099", ("2022.1",))

    monkeypatch.setattr(zcl.accounting, "xihuamen_measures", broken)
    result = runner.invoke(_app(), ["measures", "xihuamen"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown factor set xihuamen-seed@2099") and result.stderr.count("\n") == 1


def test_help_describes_the_group_and_the_command() -> None:
    result = runner.invoke(_app(), ["measures", "--help"])
    assert result.exit_code == 0 and "xihuamen" in result.output
    result = runner.invoke(_app(), ["measures", "xihuamen", "--help"])
    assert result.exit_code == 0 and "--json" in result.output
