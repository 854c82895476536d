"""CertificationRegistry: published criteria, applications judged by one on-chain evaluation,
approvals district → city → province, certificate status; and the attacks: approving out of order
or from outside the tree, applying with an unverified or superseded result, one retirement for
two claims.

Module state (on top of credit_fixtures): an AccountingLedger with the district verifier, two Final
institution-wide results (1: 2023 baseline, 1,000 t; 2: 2024, 300 t), and criteria version 1 for
low-carbon (≥ 30 % intensity reduction) and zero-carbon (net ≤ 0). Near-zero has no criteria yet.
"""

from __future__ import annotations

import pytest
from brownie import ZERO_ADDRESS, CertificationRegistry, OrganizationRegistry, chain
from eth_abi import encode
from eth_utils import keccak

from conftest import NodeKind, ResultStatus
from credit_fixtures import *  # noqa: F403
from credit_fixtures import CID, Catalog, ClaimKind, plain, savings_input, verification_id
from ledger.chain.codes import CertificationLevel as Level
from ledger.chain.codes import CertificationStatus as Status

START_2023, START_2024, START_2025 = 1_672_531_200, 1_704_067_200, 1_735_689_600
YEAR = 365 * 86_400
DOC = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
MAX_NET = 2**127 - 1
AREA = 10_000  # m², the activity both periods are normalised by
BASELINE_T, CURRENT_T = 1_000, 300
SAVINGS = 3  # the institution's 2024 savings result (accounting_setup); results created in tests start at 4
DEFAULT_ADMIN_ROLE = ZERO = b"\x00" * 32


def result_input(start: int, end: int, tonnes: int, label: str = "") -> tuple:
    """IAccountingLedger.ResultInput with `tonnes` split 20/70/10 over scopes 1/2/3 (in grams)."""
    grams = tonnes * 10**6
    return (
        start,
        end,
        keccak(text="zcl.ghg-inventory@1"),
        keccak(text="methodology"),
        keccak(text="factors" + label),
        grams * 2 // 10,
        grams * 7 // 10,
        grams - grams * 2 // 10 - grams * 7 // 10,
        keccak(text="inputs" + label),
        1,
        DOC,
    )


def application(level=Level.LOW_CARBON, result=2, baseline=1, activity=AREA, baseline_activity=AREA, cid=DOC, inst=4):
    return (inst, level, result, baseline, activity, baseline_activity, cid)


@pytest.fixture(scope="module")
def accounting_setup(accounting, tree, district_admin, district_verifier, institution_admin):
    accounting.addVerifier(tree.district, district_verifier, {"from": district_admin})
    for start, end, tonnes in ((START_2023, START_2024, BASELINE_T), (START_2024, START_2025, CURRENT_T)):
        result_id = accounting.submitResult(
            tree.institution, tree.institution, result_input(start, end, tonnes), {"from": institution_admin}
        ).return_value
        accounting.verifyResult(result_id, True, CID, {"from": district_verifier})
    savings = accounting.submitSavingsResult(
        tree.institution, tree.institution, savings_input(), {"from": institution_admin}
    )
    accounting.verifyResult(savings.return_value, True, CID, {"from": district_verifier})
    assert savings.return_value == SAVINGS


@pytest.fixture(scope="module")
def savings_result(accounting_setup) -> int:
    """Overrides credit_fixtures': here the savings result comes after the two emission results."""
    return SAVINGS


@pytest.fixture(scope="module")
def registry(org, accounting, certificates, governance):
    contract = CertificationRegistry.deploy(governance, org, accounting, certificates, {"from": governance})
    contract.publishCriteria(Level.LOW_CARBON, MAX_NET, 3_000, YEAR, keccak(text="low v1"), CID, {"from": governance})
    contract.publishCriteria(Level.ZERO_CARBON, 0, 0, YEAR, keccak(text="zero v1"), CID, {"from": governance})
    return contract


@pytest.fixture(scope="module")
def deployment(org, tree, credits, certificates, settlement, market, catalog, accounting, accounting_setup, registry):
    """Overrides credit_fixtures': the AccountingLedger, its results and the registry too."""
    return credits, accounting, registry


@pytest.fixture
def apply(registry, institution_admin):
    def _apply(*args, sender=None, **kwargs):
        return registry.applyFor(application(*args, **kwargs), {"from": sender or institution_admin})

    return _apply


@pytest.fixture
def decide(registry):
    def _decide(application_id, sender, approve=True, reason="criteria met", cid=DOC):
        return registry.decide(application_id, approve, reason, cid, {"from": sender})

    return _decide


@pytest.fixture
def filed(apply) -> int:
    """Application 1: low-carbon for 2024, pending at the district."""
    return apply().return_value


@pytest.fixture
def certified(filed, decide, district_admin, city_admin, province_admin) -> int:
    for regulator in (district_admin, city_admin, province_admin):
        decide(filed, regulator)
    return filed


@pytest.fixture
def retire_for(credits, catalog, verifier, issuer, institution_admin):
    """Retire `tonnes` of fresh savings credits for a certification claim."""

    def _retire(claim_id, tonnes, start=START_2024, end=START_2025, kind=ClaimKind.CERTIFICATION_APPLICATION):
        vid = verification_id(f"for-{claim_id.hex()}-{tonnes}-{start}-{end}")
        credits.approveVerification(vid, Catalog.own_project, 2024, tonnes, SAVINGS, CID, {"from": verifier})
        tid = credits.issue(vid, institution_admin, tonnes, {"from": issuer}).return_value[0]
        return credits.retire(
            tid, tonnes, institution_admin, "zero-carbon 2024", kind, claim_id, start, end, {"from": institution_admin}
        )

    return _retire


def zero_claim(registry, tree) -> bytes:
    return bytes(registry.claimIdOf(tree.institution, Level.ZERO_CARBON, START_2024, START_2025))


# --- deployment -------------------------------------------------------------------------------


def test_registry_reports_its_sources(registry, org, accounting, certificates, governance):
    assert registry.organizations() == org
    assert registry.accounting() == accounting
    assert registry.retirementCertificates() == certificates
    assert registry.hasRole(DEFAULT_ADMIN_ROLE, governance)
    assert registry.applicationCount() == 0


@pytest.mark.parametrize("which", range(4))
def test_zero_addresses_are_rejected(org, accounting, certificates, governance, reverts_with, which):
    args = [governance.address, org.address, accounting.address, certificates.address]
    args[which] = ZERO_ADDRESS
    with reverts_with("ZeroAddress"):
        CertificationRegistry.deploy(*args, {"from": governance})


def test_accounting_over_another_tree_is_rejected(org, accounting, certificates, governance, reverts_with):
    other_org = OrganizationRegistry.deploy(governance, {"from": governance})
    with reverts_with("OrganizationsMismatch", other_org, org):
        CertificationRegistry.deploy(governance, other_org, accounting, certificates, {"from": governance})


# --- criteria ---------------------------------------------------------------------------------


def test_publish_criteria_versions_them(registry, governance, expect_event):
    rules = keccak(text="low v2")
    tx = registry.publishCriteria(Level.LOW_CARBON, MAX_NET, 4_000, YEAR, rules, "cid2", {"from": governance})
    assert tx.return_value == 2
    expect_event(
        tx,
        "CriteriaPublished",
        level=Level.LOW_CARBON,
        version=2,
        maxNetEmissions=MAX_NET,
        minReductionBps=4_000,
        validity=YEAR,
        rulesHash=rules,
        rulesCid="cid2",
    )
    assert registry.latestCriteriaVersion(Level.LOW_CARBON) == 2
    assert plain(registry.criteriaOf(Level.LOW_CARBON, 1)) == (MAX_NET, 3_000, YEAR, keccak(text="low v1"), CID)
    assert plain(registry.criteriaOf(Level.ZERO_CARBON, 1))[:3] == (0, 0, YEAR)


def test_applications_keep_the_criteria_version_they_were_filed_under(registry, filed, governance, institution_admin):
    registry.publishCriteria(Level.LOW_CARBON, MAX_NET, 9_000, YEAR, keccak(text="low v2"), CID, {"from": governance})
    assert registry.applicationOf(filed)[5] == 1
    assert registry.evaluateApplication(filed)[5]  # still meets version 1
    assert not registry.evaluate(application(), institution_admin)[5]  # 70 % < 90 %


def test_criteria_need_a_level(registry, governance, reverts_with):
    with reverts_with("InvalidLevel", Level.NONE):
        registry.publishCriteria(Level.NONE, 0, 0, YEAR, ZERO, CID, {"from": governance})


def test_reduction_threshold_is_at_most_100_percent(registry, governance, reverts_with):
    with reverts_with("InvalidThreshold", 10_001):
        registry.publishCriteria(Level.LOW_CARBON, MAX_NET, 10_001, YEAR, ZERO, CID, {"from": governance})


def test_criteria_need_a_validity_and_rules(registry, governance, reverts_with):
    with reverts_with("ZeroValidity"):
        registry.publishCriteria(Level.LOW_CARBON, MAX_NET, 0, 0, ZERO, CID, {"from": governance})
    with reverts_with("EmptyRulesCid"):
        registry.publishCriteria(Level.LOW_CARBON, MAX_NET, 0, YEAR, ZERO, "", {"from": governance})


def test_only_governance_publishes_criteria(registry, province_admin, reverts_with):
    with reverts_with("AccessControlUnauthorizedAccount", province_admin, DEFAULT_ADMIN_ROLE):
        registry.publishCriteria(Level.LOW_CARBON, MAX_NET, 0, YEAR, ZERO, CID, {"from": province_admin})


@pytest.mark.parametrize("level, version", [(Level.NEAR_ZERO_CARBON, 1), (Level.LOW_CARBON, 0), (Level.LOW_CARBON, 2)])
def test_unpublished_criteria_cannot_be_read(registry, reverts_with, level, version):
    with reverts_with("NoCriteria", level):
        registry.criteriaOf(level, version)


# --- approval levels --------------------------------------------------------------------------


def test_approval_chain_runs_from_the_district_up(registry, tree):
    assert list(registry.approvalChainFor(tree.institution)) == [tree.district, tree.city, tree.province]


def test_admin_above_a_region_waives_its_level(registry, tree, city_admin, expect_event):
    tx = registry.setLevelRequired(tree.district, False, {"from": city_admin})
    expect_event(tx, "LevelRequirementSet", regionId=tree.district, required=False, by=city_admin)
    assert not registry.isLevelRequired(tree.district)
    assert list(registry.approvalChainFor(tree.institution)) == [tree.city, tree.province]
    registry.setLevelRequired(tree.district, True, {"from": city_admin})
    assert list(registry.approvalChainFor(tree.institution)) == [tree.district, tree.city, tree.province]


def test_root_region_sets_its_own_level(registry, tree, province_admin):
    registry.setLevelRequired(tree.province, False, {"from": province_admin})
    assert list(registry.approvalChainFor(tree.institution)) == [tree.district, tree.city]


@pytest.mark.parametrize(
    "region, caller",
    [("district", "district_admin"), ("district", "other_admin"), ("city", "city_admin"), ("province", "city_admin")],
)
def test_a_regulator_cannot_waive_its_own_or_a_higher_level(registry, tree, request, reverts_with, region, caller):
    region_id, account = getattr(tree, region), request.getfixturevalue(caller)
    with reverts_with("NotLevelAuthority", region_id, account):
        registry.setLevelRequired(region_id, False, {"from": account})


def test_levels_are_set_on_regions_only(registry, tree, district_admin, reverts_with):
    with reverts_with("NotRegion", tree.institution):
        registry.setLevelRequired(tree.institution, False, {"from": district_admin})
    with reverts_with("UnknownNode", 99):
        registry.setLevelRequired(99, False, {"from": district_admin})


def test_waiving_every_level_leaves_nobody_to_approve(registry, tree, province_admin, apply, reverts_with):
    for region in (tree.district, tree.city, tree.province):
        registry.setLevelRequired(region, False, {"from": province_admin})
    with reverts_with("NoApprovalLevels", tree.institution):
        registry.approvalChainFor(tree.institution)
    with reverts_with("NoApprovalLevels", tree.institution):
        apply()


def test_approval_chain_has_at_most_eight_levels(registry, org, tree, province_admin, reverts_with):
    parent = tree.province
    for depth in range(8):  # province + 8 nested regions = 9 levels above the institution
        parent = org.createNode(parent, NodeKind.REGION, f"region {depth}", {"from": province_admin}).return_value
    deep = org.createNode(parent, NodeKind.INSTITUTION, "Deep school", {"from": province_admin}).return_value
    with reverts_with("TooManyApprovalLevels", deep):
        registry.approvalChainFor(deep)
    registry.setLevelRequired(tree.province, False, {"from": province_admin})
    assert len(registry.approvalChainFor(deep)) == 8


def test_approval_chain_is_for_institutions(registry, tree, reverts_with):
    with reverts_with("NotInstitution", tree.district):
        registry.approvalChainFor(tree.district)


# --- applying ---------------------------------------------------------------------------------


def test_apply_files_a_pending_application(registry, tree, apply, institution_admin, expect_event):
    tx = apply()
    claim_id = registry.claimIdOf(tree.institution, Level.LOW_CARBON, START_2024, START_2025)
    assert tx.return_value == 1
    expect_event(
        tx,
        "ApplicationFiled",
        applicationId=1,
        institutionId=tree.institution,
        claimId=claim_id,
        level=Level.LOW_CARBON,
        criteriaVersion=1,
        resultId=2,
        baselineResultId=1,
        certificateId=0,
        documentCid=DOC,
    )
    assert plain(registry.applicationOf(1)) == plain(
        (tree.institution, Level.LOW_CARBON, Status.PENDING, 0, 3, 1, START_2024, START_2025, 2, 1, AREA, AREA,
         institution_admin, 0, 0, claim_id)
    )
    assert list(registry.approvalChainOf(1)) == [tree.district, tree.city, tree.province]
    assert registry.applicationForClaim(claim_id) == 1
    assert registry.statusOf(1) == Status.PENDING
    assert registry.applicationCount() == 1


def test_claim_id_binds_chain_registry_institution_level_and_period(registry, tree):
    expected = keccak(
        encode(
            ["uint256", "address", "uint64", "uint8", "uint40", "uint40"],
            [chain.id, registry.address, tree.institution, Level.ZERO_CARBON, START_2024, START_2025],
        )
    )
    assert zero_claim(registry, tree) == expected


def test_evaluation_reports_emissions_retirements_and_reduction(registry, institution_admin):
    grams = CURRENT_T * 10**6
    assert plain(registry.evaluate(application(), institution_admin)) == (grams, 0, 0, grams, 7_000, True)


def test_intensity_is_normalised_by_activity(registry, institution_admin):
    """300 t over half the floor area is 600 t per baseline area: 60 % of 1,000 t, a 40 % reduction."""
    assert registry.evaluate(application(activity=AREA // 2), institution_admin)[4] == 4_000


def test_reduction_below_the_threshold_is_rejected(apply, reverts_with):
    """Over a quarter of the area the intensity is 120 % of the baseline's: a −20 % 'reduction'."""
    with reverts_with("CriteriaNotMet", Level.LOW_CARBON, 1, CURRENT_T * 10**6, -2_000):
        apply(activity=AREA // 4)


def test_zero_carbon_needs_retirements_for_its_claim(apply, reverts_with):
    with reverts_with("CriteriaNotMet", Level.ZERO_CARBON, 1, CURRENT_T * 10**6, 0):
        apply(Level.ZERO_CARBON, baseline=0)


def test_zero_carbon_with_enough_retired_is_filed(registry, tree, apply, retire_for):
    retire_for(zero_claim(registry, tree), CURRENT_T)
    tx = apply(Level.ZERO_CARBON, baseline=0)
    assert tx.events["ApplicationFiled"][0]["certificateId"] == 1
    assert plain(registry.evaluateApplication(1)) == (CURRENT_T * 10**6, CURRENT_T * 10**6, 1, 0, 0, True)


def test_zero_carbon_with_one_tonne_short_is_rejected(registry, tree, apply, retire_for, reverts_with):
    retire_for(zero_claim(registry, tree), CURRENT_T - 1)
    with reverts_with("CriteriaNotMet", Level.ZERO_CARBON, 1, 10**6, 0):
        apply(Level.ZERO_CARBON, baseline=0)


def test_a_retirement_for_one_claim_counts_for_no_other(
    registry, tree, apply, retire_for, institution_admin, reverts_with
):
    """Credits retired for the zero-carbon claim do not count for a low-carbon claim of the period,
    and no second retirement can be attached to the zero-carbon claim."""
    retire_for(zero_claim(registry, tree), CURRENT_T)
    assert registry.evaluate(application(Level.LOW_CARBON), institution_admin)[1] == 0
    claim_id = zero_claim(registry, tree)
    with reverts_with("ClaimAlreadyBacked", ClaimKind.CERTIFICATION_APPLICATION, claim_id, institution_admin, 1):
        retire_for(zero_claim(registry, tree), 1)


def test_a_strangers_retirement_under_the_claim_id_neither_counts_nor_blocks(
    registry, tree, credits, issued, apply, retire_for, holder, trader, institution_admin
):
    """Griefing attempt: someone retires one tonne under the institution's claim id first."""
    credits.safeTransferFrom(holder, trader, issued, 1, b"", {"from": holder})
    claim_id = zero_claim(registry, tree)
    kind = ClaimKind.CERTIFICATION_APPLICATION
    credits.retire(issued, 1, trader, "grief", kind, claim_id, START_2024, START_2025, {"from": trader})
    assert registry.evaluate(application(Level.ZERO_CARBON, baseline=0), institution_admin)[1] == 0
    retire_for(zero_claim(registry, tree), CURRENT_T)
    tx = apply(Level.ZERO_CARBON, baseline=0)
    assert tx.events["ApplicationFiled"][0]["certificateId"] == 2


def test_only_the_applicants_own_retirement_counts(
    registry, tree, apply, retire_for, district_admin, reverts_with
):
    """The institution admin retired for the claim; a district admin filing instead gets no credit for it."""
    retire_for(zero_claim(registry, tree), CURRENT_T)
    with reverts_with("CriteriaNotMet", Level.ZERO_CARBON, 1, CURRENT_T * 10**6, 0):
        apply(Level.ZERO_CARBON, baseline=0, sender=district_admin)


def test_retirements_for_another_period_are_rejected(registry, tree, apply, retire_for, reverts_with):
    retire_for(zero_claim(registry, tree), CURRENT_T, start=START_2024, end=START_2025 + 1)
    with reverts_with("CertificatePeriodMismatch", 1, START_2024, START_2025 + 1):
        apply(Level.ZERO_CARBON, baseline=0)


def test_meeting_retirements_do_not_count_for_certification(registry, tree, apply, retire_for, reverts_with):
    retire_for(zero_claim(registry, tree), CURRENT_T, kind=ClaimKind.MEETING)
    with reverts_with("CriteriaNotMet", Level.ZERO_CARBON, 1, CURRENT_T * 10**6, 0):
        apply(Level.ZERO_CARBON, baseline=0)


def test_one_claim_holds_one_application(registry, tree, filed, apply, reverts_with):
    claim_id = registry.claimIdOf(tree.institution, Level.LOW_CARBON, START_2024, START_2025)
    with reverts_with("ApplicationExists", claim_id, filed):
        apply()


def test_applying_needs_an_institution_admin(registry, tree, apply, stranger, other_admin, reverts_with):
    for account in (stranger, other_admin):
        with reverts_with("NotInstitutionAdmin", tree.institution, account):
            apply(sender=account)


def test_applying_is_for_institutions(apply, tree, reverts_with):
    with reverts_with("NotInstitution", tree.building):
        apply(inst=tree.building)


def test_applying_needs_a_dossier(apply, reverts_with):
    with reverts_with("EmptyDocumentCid"):
        apply(cid="")


def test_applying_needs_a_level_with_criteria(apply, reverts_with):
    with reverts_with("InvalidLevel", Level.NONE):
        apply(Level.NONE)
    with reverts_with("NoCriteria", Level.NEAR_ZERO_CARBON):
        apply(Level.NEAR_ZERO_CARBON)


def test_applying_with_an_unverified_result_is_rejected(accounting, tree, apply, institution_admin, reverts_with):
    next_year = result_input(START_2025, START_2025 + YEAR, 200)
    accounting.submitResult(tree.institution, tree.institution, next_year, {"from": institution_admin})
    with reverts_with("ResultNotFinal", 4, ResultStatus.SUBMITTED):
        apply(result=4)


def test_applying_with_a_superseded_result_is_rejected(
    accounting, apply, institution_admin, district_verifier, reverts_with
):
    restated = result_input(START_2024, START_2025, 320, "v2")
    accounting.restateResult(2, restated, "factor fix", {"from": institution_admin})
    accounting.verifyResult(4, True, CID, {"from": district_verifier})
    with reverts_with("ResultNotFinal", 2, ResultStatus.SUPERSEDED):
        apply(result=2)
    apply(result=4)  # the restatement is Final and may be cited


def test_applying_with_a_scene_result_is_rejected(
    accounting, tree, apply, institution_admin, district_verifier, reverts_with
):
    accounting.submitResult(
        tree.institution, tree.building, result_input(START_2024, START_2025, 100), {"from": institution_admin}
    )
    accounting.verifyResult(4, True, CID, {"from": district_verifier})
    with reverts_with("ResultNotInstitutionWide", 4, tree.institution):
        apply(result=4)
    with reverts_with("ResultNotInstitutionWide", 4, tree.institution):
        apply(baseline=4)


def test_applying_with_a_savings_result_is_rejected(apply, reverts_with):
    """Avoided emissions are not emissions: a Savings result cannot stand for the period's total."""
    with reverts_with("NotEmissionsResult", SAVINGS):
        apply(result=SAVINGS)
    with reverts_with("NotEmissionsResult", SAVINGS):
        apply(baseline=SAVINGS)


def test_applying_with_an_unknown_result_is_rejected(apply, reverts_with):
    with reverts_with("UnknownResult", 9):
        apply(result=9)


def test_reduction_needs_a_baseline(apply, reverts_with):
    with reverts_with("BaselineRequired", Level.LOW_CARBON, 1):
        apply(baseline=0)


def test_baseline_must_end_before_the_period_starts(apply, reverts_with):
    with reverts_with("BaselineNotEarlier", 2, 2):
        apply(baseline=2)
    with reverts_with("BaselineNotEarlier", 2, 1):
        apply(result=1, baseline=2)


@pytest.mark.parametrize("activity, baseline_activity", [(0, AREA), (AREA, 0)])
def test_intensity_needs_activity(apply, reverts_with, activity, baseline_activity):
    with reverts_with("ZeroActivity"):
        apply(activity=activity, baseline_activity=baseline_activity)


def test_baseline_without_emissions_cannot_measure_a_reduction(
    accounting, tree, apply, institution_admin, district_verifier, reverts_with
):
    accounting.submitResult(
        tree.institution, tree.institution, result_input(START_2023 - YEAR, START_2023, 0), {"from": institution_admin}
    )
    accounting.verifyResult(4, True, CID, {"from": district_verifier})
    with reverts_with("ZeroBaselineEmissions", 4):
        apply(baseline=4)


# --- deciding ---------------------------------------------------------------------------------


def test_approvals_flow_district_city_province_then_certify(
    registry, tree, filed, decide, district_admin, city_admin, province_admin, expect_event
):
    for stage, (regulator, region) in enumerate(
        ((district_admin, tree.district), (city_admin, tree.city), (province_admin, tree.province))
    ):
        tx = decide(filed, regulator, reason=f"stage {stage} ok")
        expect_event(
            tx,
            "ApplicationDecided",
            applicationId=filed,
            regionId=region,
            regulator=regulator,
            stage=stage,
            approved=True,
            reason=f"stage {stage} ok",
            documentCid=DOC,
        )
        assert registry.applicationOf(filed)[3] == stage + 1
    expect_event(
        tx,
        "CertificationGranted",
        applicationId=filed,
        institutionId=tree.institution,
        level=Level.LOW_CARBON,
        validFrom=tx.timestamp,
        validUntil=tx.timestamp + YEAR,
    )
    assert registry.statusOf(filed) == Status.CERTIFIED
    assert plain(registry.applicationOf(filed))[13:15] == (tx.timestamp, tx.timestamp + YEAR)
    assert registry.isCertifiedAt(filed, tx.timestamp)
    assert not registry.isCertifiedAt(filed, tx.timestamp + YEAR)
    assert not registry.isCertifiedAt(filed, tx.timestamp - 1)


@pytest.mark.parametrize("regulator", ["city_admin", "province_admin"])
def test_approving_before_the_lower_level_is_rejected(registry, tree, filed, decide, request, reverts_with, regulator):
    account = request.getfixturevalue(regulator)
    with reverts_with("ApprovalOutOfOrder", filed, tree.district, account):
        decide(filed, account)


def test_a_level_cannot_approve_twice(tree, filed, decide, district_admin, reverts_with):
    decide(filed, district_admin)
    with reverts_with("ApprovalOutOfOrder", filed, tree.city, district_admin):
        decide(filed, district_admin)


@pytest.mark.parametrize("regulator", ["other_admin", "stranger", "institution_admin"])
def test_regulators_outside_the_tree_cannot_decide(filed, decide, request, reverts_with, regulator):
    account = request.getfixturevalue(regulator)
    with reverts_with("NotRegulator", filed, account):
        decide(filed, account)


def test_a_regulator_cannot_approve_its_own_application(apply, decide, district_admin, reverts_with):
    application_id = apply(sender=district_admin).return_value  # admins above may apply for the institution
    with reverts_with("SelfApproval", application_id, district_admin):
        decide(application_id, district_admin)


def test_decisions_need_a_reason_and_a_document(filed, decide, district_admin, reverts_with):
    with reverts_with("EmptyReason"):
        decide(filed, district_admin, reason="")
    with reverts_with("EmptyDocumentCid"):
        decide(filed, district_admin, cid="")


def test_rejection_ends_the_application_and_frees_its_claim(
    registry, tree, filed, decide, apply, district_admin, city_admin, province_admin, expect_event, reverts_with
):
    decide(filed, district_admin)
    tx = decide(filed, city_admin, approve=False, reason="baseline floor area not evidenced")
    expect_event(
        tx,
        "ApplicationDecided",
        applicationId=filed,
        regionId=tree.city,
        regulator=city_admin,
        stage=1,
        approved=False,
        reason="baseline floor area not evidenced",
        documentCid=DOC,
    )
    assert registry.statusOf(filed) == Status.REJECTED
    with reverts_with("ApplicationNotPending", filed, Status.REJECTED):
        decide(filed, province_admin)
    claim_id = registry.applicationOf(filed)[15]
    assert registry.applicationForClaim(claim_id) == 0
    assert apply().return_value == 2  # a corrected application may be filed


def test_certified_application_takes_no_more_decisions(certified, decide, district_admin, reverts_with):
    with reverts_with("ApplicationNotPending", certified, Status.CERTIFIED):
        decide(certified, district_admin)


def test_approval_rechecks_the_result_superseded_meanwhile(
    accounting, filed, decide, district_admin, institution_admin, district_verifier, reverts_with
):
    restated = result_input(START_2024, START_2025, 320, "v2")
    accounting.restateResult(2, restated, "factor fix", {"from": institution_admin})
    accounting.verifyResult(4, True, CID, {"from": district_verifier})
    with reverts_with("ResultNotFinal", 2, ResultStatus.SUPERSEDED):
        decide(filed, district_admin)
    decide(filed, district_admin, approve=False, reason="result superseded; refile")


def test_chain_is_fixed_when_filed(registry, tree, filed, decide, city_admin, district_admin, province_admin):
    registry.setLevelRequired(tree.city, False, {"from": province_admin})
    assert list(registry.approvalChainOf(filed)) == [tree.district, tree.city, tree.province]
    decide(filed, district_admin)
    decide(filed, city_admin)
    decide(filed, province_admin)
    assert registry.statusOf(filed) == Status.CERTIFIED


def test_waived_level_is_skipped_for_new_applications(
    registry, tree, apply, decide, district_admin, province_admin, city_admin, reverts_with
):
    registry.setLevelRequired(tree.city, False, {"from": province_admin})
    application_id = apply().return_value
    assert list(registry.approvalChainOf(application_id)) == [tree.district, tree.province]
    decide(application_id, district_admin)
    with reverts_with("NotRegulator", application_id, city_admin):
        decide(application_id, city_admin)
    decide(application_id, province_admin)
    assert registry.statusOf(application_id) == Status.CERTIFIED


@pytest.mark.parametrize("application_id", [0, 1])
def test_unknown_applications_are_reported(registry, decide, district_admin, reverts_with, application_id):
    for call in (
        lambda: decide(application_id, district_admin),
        lambda: registry.statusOf(application_id),
        lambda: registry.applicationOf(application_id),
        lambda: registry.approvalChainOf(application_id),
        lambda: registry.evaluateApplication(application_id),
        lambda: registry.isCertifiedAt(application_id, 0),
        lambda: registry.suspend(application_id, "r", {"from": district_admin}),
    ):
        with reverts_with("UnknownApplication", application_id):
            call()


# --- certificate status -----------------------------------------------------------------------


def test_suspend_reinstate_and_revoke(registry, certified, city_admin, province_admin, expect_event):
    tx = registry.suspend(certified, "metering fault under review", {"from": city_admin})
    expect_event(
        tx,
        "CertificationStatusChanged",
        applicationId=certified,
        **{"from": Status.CERTIFIED},
        to=Status.SUSPENDED,
        by=city_admin,
        reason="metering fault under review",
    )
    assert registry.statusOf(certified) == Status.SUSPENDED
    assert not registry.isCertifiedAt(certified, tx.timestamp)
    tx = registry.reinstate(certified, "fault cleared", {"from": city_admin})
    expect_event(
        tx,
        "CertificationStatusChanged",
        applicationId=certified,
        **{"from": Status.SUSPENDED},
        to=Status.CERTIFIED,
        by=city_admin,
        reason="fault cleared",
    )
    assert registry.isCertifiedAt(certified, tx.timestamp)
    tx = registry.revoke(certified, "double-counted offsets found", {"from": province_admin})
    expect_event(
        tx,
        "CertificationStatusChanged",
        applicationId=certified,
        **{"from": Status.CERTIFIED},
        to=Status.REVOKED,
        by=province_admin,
        reason="double-counted offsets found",
    )
    assert registry.statusOf(certified) == Status.REVOKED


def test_suspended_certification_can_be_revoked(registry, certified, district_admin):
    registry.suspend(certified, "review", {"from": district_admin})
    registry.revoke(certified, "confirmed", {"from": district_admin})
    assert registry.statusOf(certified) == Status.REVOKED


@pytest.mark.parametrize(
    "action, current, target",
    [("suspend", Status.PENDING, Status.SUSPENDED), ("reinstate", Status.PENDING, Status.CERTIFIED),
     ("revoke", Status.PENDING, Status.REVOKED)],
)
def test_pending_applications_have_no_certificate_to_change(
    registry, filed, district_admin, reverts_with, action, current, target
):
    with reverts_with("CertificationTransitionNotAllowed", filed, current, target):
        getattr(registry, action)(filed, "r", {"from": district_admin})


def test_revocation_is_final(registry, certified, district_admin, reverts_with):
    registry.revoke(certified, "r", {"from": district_admin})
    for action, target in (("reinstate", Status.CERTIFIED), ("suspend", Status.SUSPENDED), ("revoke", Status.REVOKED)):
        with reverts_with("CertificationTransitionNotAllowed", certified, Status.REVOKED, target):
            getattr(registry, action)(certified, "r", {"from": district_admin})


def test_only_regulators_of_the_chain_change_a_certificate(
    registry, certified, other_admin, institution_admin, reverts_with
):
    for account in (other_admin, institution_admin):
        with reverts_with("NotRegulator", certified, account):
            registry.suspend(certified, "r", {"from": account})


def test_status_changes_need_a_reason(registry, certified, district_admin, reverts_with):
    with reverts_with("EmptyReason"):
        registry.suspend(certified, "", {"from": district_admin})


@pytest.mark.filterwarnings("ignore:rpc.(sleep|mine) should not be called:FutureWarning")  # brownie's own calls
def test_certification_expires_after_its_validity(registry, certified):
    chain.sleep(YEAR + 1)
    chain.mine()
    assert registry.statusOf(certified) == Status.EXPIRED
    assert registry.applicationOf(certified)[2] == Status.CERTIFIED  # stored status is unchanged


def test_apply_and_decide_gas(registry, apply, decide, district_admin, city_admin, province_admin):
    filed_tx = apply()
    gas = [decide(1, account).gas_used for account in (district_admin, city_admin, province_admin)]
    print(f"\napplyFor (low-carbon, 3 stages): {filed_tx.gas_used}; decide per stage: {gas}")
    assert filed_tx.gas_used < 400_000
    assert max(gas) < 150_000
