"""CarbonCredit × AccountingLedger: an institution's own credits are verified only against its Final,
institution-wide Savings results, and never beyond their savings, restatements included.

credit_fixtures' catalogue applies (result 1 is the institution's 2024 savings, 1,000,000 t). The
tests here add small savings results for 2025 onwards, so that caps are reached.
"""

from __future__ import annotations

import pytest
from brownie.test import given
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from conftest import NodeKind, ResultStatus
from credit_fixtures import *  # noqa: F403
from credit_fixtures import (
    CID,
    SAVINGS_RESULT,
    START_2025,
    START_2026,
    VINTAGE,
    Catalog,
    savings_input,
    token_id,
    verification_id,
)

YEAR = 365 * 86_400  # 2025's length: a result filed from START_2025 covers that year, in China Standard Time
SMALL_GRAMS = 150_999_999  # 150.999999 t avoided: 150 whole tonnes


@pytest.fixture
def file_savings(accounting, tree, institution_admin, district_verifier):
    """Submit a 2025 savings result of `grams` for `boundary` (default the institution), Final unless told."""

    def _file(grams: int = SMALL_GRAMS, *, boundary: int | None = None, final: bool = True, start: int = START_2025):
        boundary = tree.institution if boundary is None else boundary
        inputs = savings_input(grams, start, start + YEAR, label=str(start))
        result_id = accounting.submitSavingsResult(tree.institution, boundary, inputs, {"from": institution_admin})
        if final:
            accounting.verifyResult(result_id.return_value, True, CID, {"from": district_verifier})
        return result_id.return_value

    return _file


@pytest.fixture
def approve(credits, verifier):
    def _approve(label: str, tonnes: int, result_id: int, project: int = Catalog.own_project, vintage: int = 2025):
        vid = verification_id(label)
        return credits.approveVerification(vid, project, vintage, tonnes, result_id, CID, {"from": verifier})

    return _approve


@pytest.fixture
def restate_savings(accounting, institution_admin, district_verifier):
    """Restate savings result `old` with `grams` (a 2025 period) and make the restatement Final."""

    def _restate(old: int, grams: int) -> int:
        inputs = savings_input(grams, START_2025, START_2026, label=f"restated-{grams}")
        new = accounting.restateResult(old, inputs, "baseline model corrected", {"from": institution_admin})
        accounting.verifyResult(new.return_value, True, CID, {"from": district_verifier})
        return new.return_value

    return _restate


# --- citing a result ------------------------------------------------------------------------------


def test_verification_cites_a_savings_result_and_books_its_tonnes(credits, file_savings, approve, verifier, expect_event):
    result_id = file_savings()
    assert tuple(credits.savingsOf(result_id)) == (150, 0)
    tx = approve("own-2025", 100, result_id)
    expect_event(
        tx,
        "VerificationApproved",
        verificationId=verification_id("own-2025"),
        projectId=Catalog.own_project,
        verifier=verifier,
        vintage=2025,
        verifiedTonnes=100,
        resultId=result_id,
        evidenceCid=CID,
    )
    assert credits.verificationOf(verification_id("own-2025"))["resultId"] == result_id
    assert tuple(credits.savingsOf(result_id)) == (150, 100)


def test_verified_tonnes_never_exceed_the_savings_across_verifications(credits, file_savings, approve, reverts_with):
    result_id = file_savings()
    approve("a", 100, result_id)
    with reverts_with("VerifiedTonnesExceedSavings", result_id, 51, 50):
        approve("b", 51, result_id)
    approve("b", 50, result_id)
    with reverts_with("VerifiedTonnesExceedSavings", result_id, 1, 0):
        approve("c", 1, result_id)
    assert tuple(credits.savingsOf(result_id)) == (150, 150)


def test_projects_of_one_institution_share_a_results_savings(
    credits, tree, issuer, file_savings, approve, reverts_with
):
    """A second project of the same institution cannot credit the same savings again."""
    boiler = credits.registerProject(Catalog.savings_class, tree.institution, "Boiler swap", {"from": issuer})
    result_id = file_savings()
    approve("retrofit", 150, result_id)
    with reverts_with("VerifiedTonnesExceedSavings", result_id, 1, 0):
        approve("boiler", 1, result_id, project=boiler.return_value)


def test_savings_below_one_tonne_allow_no_verification(file_savings, approve, reverts_with):
    result_id = file_savings(999_999)
    with reverts_with("VerifiedTonnesExceedSavings", result_id, 1, 0):
        approve("a", 1, result_id)


def test_internal_verification_must_cite_a_result(approve, reverts_with):
    with reverts_with("SavingsResultRequired", Catalog.own_project):
        approve("a", 1, 0)


def test_external_verification_must_not_cite_a_result(approve, reverts_with):
    with reverts_with("UnexpectedSavingsResult", Catalog.vcs_project, SAVINGS_RESULT):
        approve("vcs", 1, SAVINGS_RESULT, project=Catalog.vcs_project)


def test_an_unknown_result_cannot_be_cited(approve, reverts_with):
    with reverts_with("UnknownResult", 9):
        approve("a", 1, 9)


def test_an_emissions_result_cannot_be_cited(accounting, tree, institution_admin, district_verifier, approve, reverts_with):
    inputs = savings_input(SMALL_GRAMS, START_2025, START_2026)
    emissions = accounting.submitResult(tree.institution, tree.institution, inputs, {"from": institution_admin})
    accounting.verifyResult(emissions.return_value, True, CID, {"from": district_verifier})
    with reverts_with("NotSavingsResult", emissions.return_value):
        approve("a", 1, emissions.return_value)


def test_a_scene_savings_result_cannot_be_cited(tree, file_savings, approve, reverts_with):
    """Only whole-institution savings: a building's would be counted again inside the institution's."""
    result_id = file_savings(boundary=tree.building)
    with reverts_with("ResultNotInstitutionWide", result_id, tree.institution):
        approve("a", 1, result_id)


def test_another_institutions_savings_cannot_be_cited(
    accounting, org, tree, credits, issuer, other_admin, other_verifier, approve, reverts_with
):
    hospital = org.createNode(tree.other_district, NodeKind.INSTITUTION, "Hospital", {"from": other_admin}).return_value
    accounting.addVerifier(tree.other_district, other_verifier, {"from": other_admin})
    inputs = savings_input(SMALL_GRAMS, START_2025, START_2026)
    result_id = accounting.submitSavingsResult(hospital, hospital, inputs, {"from": other_admin}).return_value
    accounting.verifyResult(result_id, True, CID, {"from": other_verifier})
    with reverts_with("ResultNotInstitutionWide", result_id, tree.institution):
        approve("a", 1, result_id)
    ward = credits.registerProject(Catalog.savings_class, hospital, "Ward LEDs", {"from": issuer}).return_value
    approve("hospital", 150, result_id, project=ward)  # its own institution's project may


@pytest.mark.parametrize("verdict", [None, False])
def test_a_result_that_is_not_final_cannot_be_cited(
    accounting, district_verifier, file_savings, approve, reverts_with, verdict
):
    result_id = file_savings(final=False)
    status = ResultStatus.SUBMITTED
    if verdict is not None:
        accounting.verifyResult(result_id, verdict, "model fails CV(RMSE)", {"from": district_verifier})
        status = ResultStatus.REJECTED
    with reverts_with("ResultNotFinal", result_id, status):
        approve("a", 1, result_id)


def test_internal_projects_need_an_institution(credits, issuer, reverts_with):
    with reverts_with("InstitutionRequired", Catalog.savings_class):
        credits.registerProject(Catalog.savings_class, 0, "Nobody's savings", {"from": issuer})


# --- restatements -----------------------------------------------------------------------------


def test_a_restatement_inherits_the_tonnes_booked_on_the_result_it_restates(
    credits, file_savings, approve, restate_savings, reverts_with
):
    first = file_savings()
    approve("a", 100, first)
    second = restate_savings(first, 120_500_000)  # 120.5 t after the correction
    with reverts_with("ResultNotFinal", first, ResultStatus.SUPERSEDED):
        approve("b", 1, first)
    with reverts_with("VerifiedTonnesExceedSavings", second, 21, 20):
        approve("b", 21, second)
    approve("b", 20, second)
    assert tuple(credits.savingsOf(second)) == (120, 120)
    assert tuple(credits.savingsOf(first)) == (150, 120)  # one booking for the whole chain
    third = restate_savings(second, 90_000_000)  # corrected below what is already verified
    with reverts_with("VerifiedTonnesExceedSavings", third, 1, 0):
        approve("c", 1, third)


def test_issuance_stops_when_the_cited_result_is_superseded(
    credits, file_savings, approve, restate_savings, issuer, holder, reverts_with
):
    first = file_savings()
    approve("a", 100, first)
    vid = verification_id("a")
    credits.issue(vid, holder, 10, {"from": issuer})
    restate_savings(first, 120_500_000)
    with reverts_with("ResultNotFinal", first, ResultStatus.SUPERSEDED):
        credits.issue(vid, holder, 1, {"from": issuer})
    assert credits.balanceOf(holder, token_id(Catalog.savings_class, Catalog.own_project, 2025)) == 10


def test_external_issuance_does_not_consult_the_accounting_ledger(credits, external_issued, holder):
    assert credits.balanceOf(holder, external_issued) == 50


# --- the rule, for any sequence --------------------------------------------------------------


@given(requests=st.lists(st.integers(min_value=1, max_value=80), min_size=1, max_size=6))
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_sequence_of_verifications_stays_within_the_savings(
    credits, accounting, tree, institution_admin, district_verifier, verifier, reverts_with, requests
):
    """Each verification is accepted exactly when it fits what is left; what is booked never exceeds 150 t."""
    inputs = savings_input(SMALL_GRAMS, START_2025, START_2026)
    result_id = accounting.submitSavingsResult(tree.institution, tree.institution, inputs, {"from": institution_admin})
    result_id = result_id.return_value
    accounting.verifyResult(result_id, True, CID, {"from": district_verifier})
    booked = 0
    for i, tonnes in enumerate(requests):
        vid = verification_id(f"property-{i}")
        args = (vid, Catalog.own_project, 2025, tonnes, result_id, CID, {"from": verifier})
        if booked + tonnes <= 150:
            credits.approveVerification(*args)
            booked += tonnes
        else:
            with reverts_with("VerifiedTonnesExceedSavings", result_id, tonnes, 150 - booked):
                credits.approveVerification(*args)
        assert tuple(credits.savingsOf(result_id)) == (150, booked)


# --- gas ----------------------------------------------------------------------------------------


def test_savings_link_gas(credits, file_savings, approve, restate_savings, issuer, holder, verifier):
    """Printed for the report (run with -s); bounds loose enough to flag a regression only."""
    vcs = credits.approveVerification(
        verification_id("vcs"), Catalog.vcs_project, VINTAGE, 50, 0, CID, {"from": verifier}
    )
    first = approve("a", 50, SAVINGS_RESULT, vintage=VINTAGE)
    second = approve("b", 50, SAVINGS_RESULT, vintage=VINTAGE)
    old = file_savings()
    restated = restate_savings(old, 120_500_000)
    via_chain = approve("c", 50, restated)
    issue_first = credits.issue(verification_id("a"), holder, 10, {"from": issuer})
    issue_next = credits.issue(verification_id("a"), holder, 10, {"from": issuer})
    print(
        f"\napproveVerification gas: external {vcs.gas_used}; citing a savings result: first {first.gas_used}, "
        f"next {second.gas_used}, a restatement (chain of 2) {via_chain.gas_used}"
        f"\nissue gas (internal, re-checks the result): first batch {issue_first.gas_used}, next {issue_next.gas_used}"
    )
    # the vintage check costs about 1,100 of it: the period comes with the summary (slot 0, already read)
    assert max(first.gas_used, second.gas_used, via_chain.gas_used) < 150_000
    assert issue_first.gas_used < 200_000
