"""The certification client against the real registry: apply → district → city → province →
certified, with status and validity readable by anyone; and the attacks: approving out of order or
from outside the tree, an unverified or superseded result, one retirement for two claims."""

from __future__ import annotations

import pytest

from ledger.chain.certification import ApplicationInput, CertificationClient
from ledger.chain.codes import GRAMS_PER_TONNE, CertificationLevel, CertificationStatus, ClaimKind
from ledger.chain.connection import ContractRevert
from tests.ledger.credit_world import (
    AREA,
    CID,
    DOC,
    OWN_TOKEN,
    START_2024,
    START_2025,
    CreditWorld,
    result_input,
)

LOW, ZERO = CertificationLevel.LOW_CARBON, CertificationLevel.ZERO_CARBON


@pytest.fixture
def world(anvil, contracts, deployment, tree, tmp_path) -> CreditWorld:
    return CreditWorld(contracts, deployment, tree, anvil.rpc_url, tmp_path / "parties")


@pytest.fixture
def results(world: CreditWorld) -> tuple[int, int]:
    return world.final_results()


def low_carbon(world: CreditWorld, results: tuple[int, int], **changes: object) -> ApplicationInput:
    baseline, current = results
    fields = dict(institution_id=world.tree.institution, level=LOW, result_id=current, baseline_result_id=baseline,
                  activity=AREA, baseline_activity=AREA, document_cid=DOC)
    return ApplicationInput(**{**fields, **changes})


def approve_all(world: CreditWorld, application_id: int) -> list:
    return [p.certification.decide(application_id, True, "criteria met", DOC)
            for p in (world.district, world.city, world.gov)]


def reverts(name: str):
    return pytest.raises(ContractRevert, match=rf"^{name}\(")


def test_application_is_approved_district_then_city_then_province(world: CreditWorld, results) -> None:
    cert = world.holder.certification
    assert cert.approval_chain_for(world.tree.institution) == [world.tree.district, world.tree.city,
                                                               world.tree.province]
    evaluation = cert.evaluate(low_carbon(world, results), world.holder.address)
    assert (evaluation.emissions, evaluation.net_emissions, evaluation.reduction_bps, evaluation.meets_criteria) == (
        300 * GRAMS_PER_TONNE, 300 * GRAMS_PER_TONNE, 7_000, True)

    filed = cert.apply(low_carbon(world, results))
    assert (filed.application_id, filed.criteria_version, filed.certificate_id) == (1, 1, 0)
    assert filed.claim_id == cert.claim_id_of(world.tree.institution, LOW, START_2024, START_2025)
    assert cert.status(1) is CertificationStatus.PENDING

    decisions = approve_all(world, 1)
    assert [(d.stage, d.region_id, d.approved) for d in decisions] == [
        (0, world.tree.district, True), (1, world.tree.city, True), (2, world.tree.province, True)]
    assert [d.status for d in decisions] == [CertificationStatus.PENDING] * 2 + [CertificationStatus.CERTIFIED]
    last = decisions[-1]
    assert last.certified_until - last.certified_from == 365 * 86_400

    application = world.outsider.certification.application(1)  # anyone reads it
    assert (application.approvals, application.stages, application.applicant) == (3, 3, world.holder.address)
    assert world.outsider.certification.is_certified_at(1, last.certified_from)
    assert not world.outsider.certification.is_certified_at(1, last.certified_until)
    assert [r.regulator for r in cert.decisions(1)] == [world.district.address, world.city.address,
                                                        world.gov.address]


def test_zero_carbon_counts_the_applicants_retirement_for_the_claim(world: CreditWorld, results) -> None:
    cert = world.holder.certification
    claim = cert.claim_id_of(world.tree.institution, ZERO, START_2024, START_2025)
    world.issue_own(300)
    retirement = world.holder.credits.credits.retire(
        OWN_TOKEN, 300, beneficiary=world.holder.address, reason="zero-carbon 2024",
        claim_kind=ClaimKind.CERTIFICATION_APPLICATION, claim_id=claim, period_start=START_2024, period_end=START_2025)
    filed = cert.apply(low_carbon(world, results, level=ZERO, baseline_result_id=0))
    assert filed.certificate_id == retirement.certificate_id
    evaluation = cert.evaluate_application(filed.application_id)
    assert (evaluation.retired, evaluation.net_emissions, evaluation.meets_criteria) == (300 * GRAMS_PER_TONNE, 0, True)
    approve_all(world, filed.application_id)
    assert cert.status(filed.application_id) is CertificationStatus.CERTIFIED


def test_suspend_reinstate_revoke(world: CreditWorld, results) -> None:
    world.holder.certification.apply(low_carbon(world, results))
    approve_all(world, 1)
    city = world.city.certification
    change = city.suspend(1, "audit finding")
    assert (change.before, change.after) == (CertificationStatus.CERTIFIED, CertificationStatus.SUSPENDED)
    assert city.reinstate(1, "finding closed").after is CertificationStatus.CERTIFIED
    assert city.revoke(1, "fraud").after is CertificationStatus.REVOKED
    with reverts("CertificationTransitionNotAllowed"):
        city.reinstate(1, "no")
    with reverts("NotRegulator"):
        world.outsider.certification.suspend(1, "not mine")


# --- attacks ---------------------------------------------------------------------------------


def test_approving_out_of_order_is_refused(world: CreditWorld, results) -> None:
    world.holder.certification.apply(low_carbon(world, results))
    with pytest.raises(ContractRevert) as caught:
        world.city.certification.decide(1, True, "skip the district", DOC)
    assert (caught.value.name, caught.value.args_tuple) == (
        "ApprovalOutOfOrder", (1, world.tree.district, world.city.address))
    assert world.gov.certification.application(1).approvals == 0


def test_a_regulator_outside_the_tree_cannot_approve(world: CreditWorld, results) -> None:
    world.holder.certification.apply(low_carbon(world, results))
    with pytest.raises(ContractRevert) as caught:
        world.outsider.certification.decide(1, True, "not my district", DOC)
    assert (caught.value.name, caught.value.args_tuple) == ("NotRegulator", (1, world.outsider.address))


def test_applying_with_an_unverified_result_is_refused(world: CreditWorld, results) -> None:
    pending = world.holder.ledger.accounting.submit(world.tree.institution, world.tree.institution,
                                                    result_input(START_2025, START_2025 + 86_400 * 365, 200, "25"))
    with pytest.raises(ContractRevert) as caught:
        world.holder.certification.apply(low_carbon(world, results, result_id=pending))
    assert (caught.value.name, caught.value.args_tuple) == ("ResultNotFinal", (pending, 1))


def test_a_superseded_result_cannot_be_applied_with_nor_approved(world: CreditWorld, results) -> None:
    baseline, current = results
    world.holder.certification.apply(low_carbon(world, results))
    world.district.certification.decide(1, True, "ok", DOC)
    restated = world.holder.ledger.accounting.restate(current, result_input(START_2024, START_2025, 310, "r"), "fix")
    world.verifier.ledger.accounting.verify(restated, True, CID)
    with pytest.raises(ContractRevert) as caught:
        world.city.certification.decide(1, True, "ok", DOC)
    assert (caught.value.name, caught.value.args_tuple) == ("ResultNotFinal", (current, 4))  # SUPERSEDED
    with reverts("ResultNotFinal"):
        world.holder.certification.apply(low_carbon(world, results, level=ZERO, baseline_result_id=0))


def test_one_retirement_cannot_back_two_claims(world: CreditWorld, results) -> None:
    cert = world.holder.certification
    zero_claim = cert.claim_id_of(world.tree.institution, ZERO, START_2024, START_2025)
    world.issue_own(300)
    credits = world.holder.credits.credits
    credits.retire(OWN_TOKEN, 150, beneficiary=world.holder.address, reason="2024", period_start=START_2024,
                   period_end=START_2025, claim_kind=ClaimKind.CERTIFICATION_APPLICATION, claim_id=zero_claim)
    with reverts("ClaimAlreadyBacked"):
        credits.retire(OWN_TOKEN, 150, beneficiary=world.holder.address, reason="2024 again",
                       period_start=START_2024, period_end=START_2025,
                       claim_kind=ClaimKind.CERTIFICATION_APPLICATION, claim_id=zero_claim)
    with pytest.raises(ContractRevert) as caught:  # 150 t retired cannot offset 300 t
        cert.apply(low_carbon(world, results, level=ZERO, baseline_result_id=0))
    assert caught.value.name == "CriteriaNotMet"
    assert caught.value.args_tuple[2] == 150 * GRAMS_PER_TONNE


def test_the_applicant_cannot_approve_its_own_application(world: CreditWorld, results) -> None:
    world.gov.ledger.organizations.add_admin(world.tree.district, world.holder.address)
    world.holder.certification.apply(low_carbon(world, results))
    with reverts("SelfApproval"):
        world.holder.certification.decide(1, True, "mine", DOC)


def test_client_reads_criteria(world: CreditWorld, results) -> None:
    criteria = CertificationClient.of(world.gov.ledger).criteria(LOW)
    assert (criteria.version, criteria.min_reduction_bps, criteria.rules_cid) == (1, 3_000, CID)
    with reverts("NoCriteria"):
        world.gov.certification.criteria(CertificationLevel.NEAR_ZERO_CARBON, 1)
