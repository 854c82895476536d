"""`zcl audit`'s credit checks on certifications and retirements (ledger/audit_credits.py), against the
real registry: granted certifications must still pass the contract's own evaluation; every retirement
backs one claim with its own serials."""

from __future__ import annotations

import pytest

from ledger.audit_credits import audit_applications, audit_retirements
from ledger.chain.certification import ApplicationInput
from ledger.chain.codes import CertificationLevel, ClaimKind
from tests.ledger.credit_world import AREA, CID, DOC, OWN_TOKEN, START_2024, START_2025, CreditWorld, result_input

PERIOD = {"period_start": START_2024, "period_end": START_2025}


@pytest.fixture
def world(anvil, contracts, deployment, tree, tmp_path) -> CreditWorld:
    return CreditWorld(contracts, deployment, tree, anvil.rpc_url, tmp_path / "parties")


def _certified_low_carbon(world: CreditWorld) -> int:
    baseline, current = world.final_results()
    filed = world.holder.certification.apply(ApplicationInput(
        institution_id=world.tree.institution, level=CertificationLevel.LOW_CARBON, result_id=current,
        baseline_result_id=baseline, activity=AREA, baseline_activity=AREA, document_cid=DOC))
    for regulator in (world.district, world.city, world.gov):
        regulator.certification.decide(filed.application_id, True, "criteria met", DOC)
    return filed.application_id


def test_a_certification_that_still_meets_its_criteria_passes(world: CreditWorld) -> None:
    _certified_low_carbon(world)
    assert audit_applications(world.outsider.certification) is None


def test_a_certification_whose_result_was_superseded_is_named(world: CreditWorld) -> None:
    """Certified on the 2024 result; the institution then restated 2024 upwards (no reduction left)."""
    application_id = _certified_low_carbon(world)
    restated = world.holder.ledger.accounting.restate(2, result_input(START_2024, START_2025, 990, "v2"), "meter fix")
    world.verifier.ledger.accounting.verify(restated, True, CID)
    difference = audit_applications(world.outsider.certification)
    assert difference is not None
    assert difference.describe().startswith(
        f"application {application_id}: criteria evaluation: certified, but the contract cannot evaluate it now: "
        "ResultNotFinal(2, 4)")


def test_a_revoked_certification_is_not_held_to_its_criteria(world: CreditWorld) -> None:
    application_id = _certified_low_carbon(world)
    world.district.certification.revoke(application_id, "site inspection failed")
    restated = world.holder.ledger.accounting.restate(2, result_input(START_2024, START_2025, 990, "v2"), "meter fix")
    world.verifier.ledger.accounting.verify(restated, True, CID)
    assert audit_applications(world.outsider.certification) is None


def test_retirements_that_back_one_claim_each_pass(world: CreditWorld) -> None:
    world.issue_own(10)
    credits = world.holder.credits.credits
    credits.retire(OWN_TOKEN, 4, beneficiary=world.holder.address, reason="meeting 1", claim_kind=ClaimKind.MEETING,
                   claim_id=b"\x01" * 32, **PERIOD)
    credits.retire(OWN_TOKEN, 3, beneficiary=world.holder.address, reason="voluntary", **PERIOD)
    credits.retire_batch([(OWN_TOKEN, 1), (OWN_TOKEN, 2)], beneficiary=world.holder.address, reason="meeting 2",
                         claim_kind=ClaimKind.MEETING, claim_id=b"\x02" * 32, **PERIOD)
    assert audit_retirements(world.gov.credits) is None
