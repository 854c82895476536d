"""CarbonCredit: an internal verification's vintage is a year its cited Savings result's reporting period
falls in, at least in part; savings of one year are never credited to another.

Years are China Standard Time's (UTC+8), the calendar ledger.accounting.metered.period_bounds cuts result
periods in: the expected bounds below come from Python's calendar, not from the contract's arithmetic.
credit_fixtures' catalogue applies; each test files its own Savings results, none overlapping result 1
(the year 2024 in China Standard Time).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from brownie.test import given
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ledger.calendar import CHINA_STANDARD_TIME

from credit_fixtures import *  # noqa: F403
from credit_fixtures import CID, SAVINGS_RESULT, START_2024, START_2025, Catalog, savings_input, verification_id

GRAMS = 150_999_999  # 150 whole tonnes


def new_year(year: int) -> int:
    """Unix seconds of 1 January `year`, 00:00 China Standard Time."""
    return int(datetime(year, 1, 1, tzinfo=CHINA_STANDARD_TIME).timestamp())


def utc_new_year(year: int) -> int:
    return int(datetime(year, 1, 1, tzinfo=timezone.utc).timestamp())


def vintages_met(start: int, end: int) -> set[int]:
    """The years [start, end) shares a second with, by Python's calendar."""
    first = datetime.fromtimestamp(start, CHINA_STANDARD_TIME).year
    last = datetime.fromtimestamp(end - 1, CHINA_STANDARD_TIME).year
    return set(range(first, last + 1))


@pytest.fixture
def file_savings(accounting, tree, institution_admin, district_verifier):
    """A Final institution-wide Savings result of 150 t for [start, end); its id."""

    def _file(start: int, end: int) -> int:
        inputs = savings_input(GRAMS, start, end, label=f"{start}-{end}")
        result_id = accounting.submitSavingsResult(
            tree.institution, tree.institution, inputs, {"from": institution_admin}
        ).return_value
        accounting.verifyResult(result_id, True, CID, {"from": district_verifier})
        return result_id

    return _file


@pytest.fixture
def approve(credits, verifier):
    def _approve(vintage: int, result_id: int, tonnes: int = 1):
        vid = verification_id(f"vintage-{vintage}-{result_id}-{tonnes}")
        return credits.approveVerification(vid, Catalog.own_project, vintage, tonnes, result_id, CID, {"from": verifier})

    return _approve


def test_part_of_a_year_is_credited_to_that_year_only(file_savings, approve, reverts_with, credits):
    """The demo's shape: savings of March to August 2022 are vintage 2022, never 2021 or 2023."""
    start, end = new_year(2022) + 59 * 86_400, new_year(2022) + 243 * 86_400  # 1 March .. 1 September 2022
    result_id = file_savings(start, end)
    for vintage in (2021, 2023, 2030):
        with reverts_with("VintageOutsideSavingsPeriod", vintage, start, end):
            approve(vintage, result_id)
    approve(2022, result_id, tonnes=150)
    assert tuple(credits.savingsOf(result_id)) == (150, 150)


def test_the_catalogue_result_meets_its_own_year_only(approve, reverts_with, credits):
    """Result 1 spans China Standard Time's 2024 exactly: neither neighbouring vintage may cite it."""
    assert (START_2024, START_2025) == (new_year(2024), new_year(2025))
    for vintage in (2023, 2025):
        with reverts_with("VintageOutsideSavingsPeriod", vintage, START_2024, START_2025):
            approve(vintage, SAVINGS_RESULT)
    approve(2024, SAVINGS_RESULT, tonnes=7)
    assert tuple(credits.savingsOf(SAVINGS_RESULT)) == (1_000_000, 7)


def test_a_refused_vintage_books_nothing(file_savings, approve, reverts_with, credits):
    result_id = file_savings(new_year(2022), new_year(2023))
    with reverts_with("VintageOutsideSavingsPeriod", 2023, new_year(2022), new_year(2023)):
        approve(2023, result_id, tonnes=150)
    assert tuple(credits.savingsOf(result_id)) == (150, 0)


@pytest.mark.parametrize(
    "start, end, accepted",
    [
        # a whole year: its end is exclusive, so the next year is not met, nor is the year before
        (new_year(2022), new_year(2023), {2022}),
        # one second either side reaches the neighbouring year
        (new_year(2022) - 1, new_year(2023), {2021, 2022}),
        (new_year(2022), new_year(2023) + 1, {2022, 2023}),
        # one second, the first and the last of a year
        (new_year(2022), new_year(2022) + 1, {2022}),
        (new_year(2023) - 1, new_year(2023), {2022}),
        # two years
        (new_year(2021) + 86_400, new_year(2023) - 86_400, {2021, 2022}),
        # UTC's new year is 08:00 in China: a UTC-aligned year ends in the first eight hours of the next
        (utc_new_year(2022), utc_new_year(2023), {2022, 2023}),
    ],
    ids=["whole-year", "second-before", "second-after", "first-second", "last-second", "two-years", "utc-year"],
)
def test_boundary_years(file_savings, approve, reverts_with, start, end, accepted):
    assert vintages_met(start, end) == accepted  # the expectation, by Python's calendar
    result_id = file_savings(start, end)
    for vintage in sorted(accepted | {min(accepted) - 1, max(accepted) + 1}):
        if vintage in accepted:
            approve(vintage, result_id)
        else:
            with reverts_with("VintageOutsideSavingsPeriod", vintage, start, end):
                approve(vintage, result_id)


def test_other_refusals_come_first(accounting, tree, institution_admin, district_verifier, approve, reverts_with):
    """An Emissions result of another year is refused as not savings, whatever the vintage."""
    inputs = savings_input(GRAMS, new_year(2022), new_year(2023))
    emissions = accounting.submitResult(tree.institution, tree.institution, inputs, {"from": institution_admin})
    accounting.verifyResult(emissions.return_value, True, CID, {"from": district_verifier})
    with reverts_with("NotSavingsResult", emissions.return_value):
        approve(2030, emissions.return_value)


def test_external_verifications_keep_any_plausible_vintage(credits, verifier):
    credits.approveVerification(verification_id("vcs-1995"), Catalog.vcs_project, 1995, 5, 0, CID, {"from": verifier})
    assert credits.verificationOf(verification_id("vcs-1995"))[1] == 1995


@given(
    start=st.integers(min_value=new_year(1990), max_value=new_year(2999) - 1),
    length=st.integers(min_value=1, max_value=3 * 366 * 86_400),
    vintage=st.integers(min_value=1990, max_value=2999),
    near=st.booleans(),
)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_period_and_vintage(file_savings, approve, reverts_with, start, length, vintage, near):
    """Accepted exactly when Python's calendar says the period meets the vintage year (`near`: a vintage next
    to the period, where the bounds matter)."""
    end = start + length
    met = vintages_met(start, end)
    if near:
        vintage = min(max(vintage, min(met) - 1), max(met) + 1)
    if not 1990 <= vintage <= 2999 or (start < START_2025 and end > START_2024):
        return  # not a vintage at all, or a period result 1 already covers (OverlappingPeriod)
    result_id = file_savings(start, end)
    if vintage in met:
        approve(vintage, result_id)
    else:
        with reverts_with("VintageOutsideSavingsPeriod", vintage, start, end):
            approve(vintage, result_id)
