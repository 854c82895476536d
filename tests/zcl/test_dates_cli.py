"""Dates typed into `zcl` name the same instants as the same dates picked in the web forms
(api/static/app/writeforms.js beijingMidnight, run here by node): China Standard Time, one calendar.
Text that is no date is refused with the option's name and exit 2, before any chain is touched."""

from __future__ import annotations

import json
import string
import subprocess
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ledger.accounting.factors import Period
from ledger.accounting.metered import period_bounds
from ledger.calendar import DATE_HELP
from zcl.credit_args import parse_time
from zcl.main import app

runner = CliRunner()
WRITEFORMS = Path(__file__).resolve().parents[2] / "api" / "static" / "app" / "writeforms.js"
# writeforms.js in a bare context with a `window`, then beijingMidnight over the dates on stdin
FORM_MIDNIGHTS = f"""
const vm = require("vm"), fs = require("fs");
const context = {{window: {{}}}};
vm.runInNewContext(fs.readFileSync({json.dumps(str(WRITEFORMS))}, "utf8"), context);
const dates = JSON.parse(fs.readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(dates.map((d) => context.window.zclForms.beijingMidnight(d))));
"""


def form_midnights(days: list[date]) -> list[int]:
    """What the web forms send the API for these date-input values."""
    done = subprocess.run(["node", "-e", FORM_MIDNIGHTS], input=json.dumps([d.isoformat() for d in days]),
                          capture_output=True, text=True, check=True, timeout=60)
    return json.loads(done.stdout)


def test_the_cli_and_the_web_forms_read_the_year_2024_alike() -> None:
    days = [date(2024, 1, 1), date(2025, 1, 1)]
    assert form_midnights(days) == [parse_time(d.isoformat(), "--from") for d in days] \
        == list(period_bounds(Period.year(2024))) == [1_704_038_400, 1_735_660_800]


@settings(max_examples=10, deadline=None)
@given(st.lists(st.dates(min_value=date(1970, 1, 2), max_value=date(9999, 12, 31)), min_size=1, max_size=40))
def test_the_cli_and_the_web_forms_agree_on_every_date(days: list[date]) -> None:
    assert [parse_time(d.isoformat(), "--from") for d in days] == form_midnights(days)


def retire(start: str, end: str = "2025-01-01"):
    return runner.invoke(app, ["retire", "--range", "1/1/2024:1", "--reason", "r", "--from", start, "--to", end])


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=string.ascii_letters + "-:/. ", min_size=1, max_size=20).filter(lambda t: not t.startswith("-")))
def test_text_that_is_no_date_exits_2_naming_the_option(text: str) -> None:
    result = retire(text)
    assert result.exit_code == 2, result.output
    assert f"error: --from must be an ISO date (2024-01-01), date-time or unix seconds ({DATE_HELP}): {text!r} " \
           "is not an ISO 8601 date or date-time" in result.output


def test_an_offset_changes_the_instant_and_an_empty_period_is_refused() -> None:
    result = retire("2024-01-01T08:00+08:00", "2024-01-01T00:00Z")  # the same instant: an empty period
    assert result.exit_code == 2 and "the period [--from, --to) is empty" in result.output
    assert parse_time("2024-01-01T00:00Z", "--to") - parse_time("2024-01-01", "--from") == 8 * 3600
    assert parse_time("1704038400", "--from") == parse_time("2024-01-01", "--from")  # unix seconds as they are


def test_help_says_which_clock_dates_are_read_in() -> None:
    for command in (["retire", "--help"], ["certify", "status", "--help"]):
        result = runner.invoke(app, command, env={"COLUMNS": "400"})
        assert result.exit_code == 0 and " ".join(DATE_HELP.split()) in " ".join(result.output.split()), command
    for command in (["account", "--help"], ["result", "submit", "--help"]):
        result = runner.invoke(app, command, env={"COLUMNS": "400"})
        assert "China Standard Time (UTC+08:00) days" in " ".join(result.output.split()), command
