"""CarbonCredit: classes, projects, verifications, issuance within verified savings, external
imports that can happen once, and serial ranges."""

from __future__ import annotations

import pytest
from brownie import ZERO_ADDRESS, CarbonCredit

from credit_fixtures import *  # noqa: F403
from credit_fixtures import CID, SAVINGS_RESULT, VINTAGE, Catalog, plain, token_id, verification_id

DEFAULT_ADMIN_ROLE = b"\x00" * 32
VCS_SERIAL = "VCS-4321-2024-000001-000050"


def role(credits, name: str) -> str:
    return getattr(credits, name)()


# --- deployment -------------------------------------------------------------------------------


def test_deployment_wires_registry_certificates_and_governance(credits, certificates, org, accounting, governance):
    assert credits.organizations() == org
    assert credits.accounting() == accounting
    assert certificates.credits() == credits
    assert credits.hasRole(DEFAULT_ADMIN_ROLE, governance)
    assert credits.uri(1) == "https://ledger.example/credits/{id}.json"


@pytest.mark.parametrize("which", ["governance", "accounting"])
def test_zero_addresses_are_rejected_at_deployment(accounting, governance, reverts_with, which):
    args = [governance, accounting]
    args[0 if which == "governance" else 1] = ZERO_ADDRESS
    with reverts_with("ZeroAddress"):
        CarbonCredit.deploy(*args, "u", {"from": governance})


@pytest.mark.parametrize(
    "interface_id", ["0xd9b67a26", "0x0e89341c", "0x7965db0b", "0x01ffc9a7"]
)  # ERC-1155, its metadata URI, AccessControl, ERC-165
def test_supports_its_interfaces(credits, interface_id):
    assert credits.supportsInterface(interface_id)
    assert not credits.supportsInterface("0xffffffff")


# --- credit classes ---------------------------------------------------------------------------


def test_create_class_records_standard_methodology_and_kind(credits, governance, expect_event):
    tx = credits.createCreditClass("CCER", "CCER-14-001-V01", True, {"from": governance})
    expect_event(tx, "CreditClassCreated", classId=3, standard="CCER", methodology="CCER-14-001-V01", isExternal=True)
    assert tx.return_value == 3
    assert plain(credits.creditClassOf(3)) == ("CCER", "CCER-14-001-V01", True)
    assert plain(credits.creditClassOf(Catalog.savings_class)) == ("ZCL-VERIFIED-SAVINGS", "ZCL-MV-OPTION-C-v1", False)
    assert credits.creditClassCount() == 3


def test_same_standard_and_methodology_cannot_be_a_second_class(credits, governance, reverts_with):
    with reverts_with("CreditClassExists", Catalog.vcs_class):
        credits.createCreditClass("VCS", "VM0038", False, {"from": governance})


def test_another_methodology_of_a_standard_is_a_new_class(credits, governance):
    assert credits.createCreditClass("VCS", "VM0007", True, {"from": governance}).return_value == 3


@pytest.mark.parametrize("standard, methodology", [("", "M"), ("GS", "")])
def test_class_needs_standard_and_methodology(credits, governance, reverts_with, standard, methodology):
    with reverts_with("EmptyClassField"):
        credits.createCreditClass(standard, methodology, True, {"from": governance})


def test_only_governance_creates_classes(credits, issuer, reverts_with):
    with reverts_with("AccessControlUnauthorizedAccount", issuer, DEFAULT_ADMIN_ROLE):
        credits.createCreditClass("GS", "GS-TPDDTEC", True, {"from": issuer})


@pytest.mark.parametrize("class_id", [0, 3])
def test_unknown_class_cannot_be_read(credits, reverts_with, class_id):
    with reverts_with("UnknownCreditClass", class_id):
        credits.creditClassOf(class_id)


# --- projects ---------------------------------------------------------------------------------


def test_register_project_records_class_and_institution(credits, tree, issuer, expect_event):
    tx = credits.registerProject(Catalog.savings_class, tree.institution, "Boiler swap", {"from": issuer})
    expect_event(
        tx,
        "ProjectRegistered",
        projectId=3,
        classId=Catalog.savings_class,
        institutionId=tree.institution,
        name="Boiler swap",
    )
    assert tx.return_value == 3
    assert plain(credits.projectOf(3)) == (Catalog.savings_class, tree.institution, 0, 0)
    assert plain(credits.projectOf(Catalog.vcs_project)) == (Catalog.vcs_class, 0, 0, 0)
    assert credits.projectCount() == 3


@pytest.mark.parametrize("class_id", [0, 3])
def test_project_needs_a_known_class(credits, issuer, reverts_with, class_id):
    with reverts_with("UnknownCreditClass", class_id):
        credits.registerProject(class_id, 0, "p", {"from": issuer})


def test_project_needs_a_name(credits, issuer, reverts_with):
    with reverts_with("EmptyProjectName"):
        credits.registerProject(Catalog.vcs_class, 0, "", {"from": issuer})


@pytest.mark.parametrize("node", ["district", "building", "room"])
def test_project_institution_must_be_an_institution_node(credits, tree, issuer, reverts_with, node):
    node_id = getattr(tree, node)
    with reverts_with("NotInstitution", node_id):
        credits.registerProject(Catalog.savings_class, node_id, "p", {"from": issuer})


def test_project_institution_must_exist(credits, issuer, reverts_with):
    with reverts_with("UnknownNode", 99):
        credits.registerProject(Catalog.savings_class, 99, "p", {"from": issuer})


def test_only_issuers_register_projects(credits, holder, reverts_with):
    with reverts_with("AccessControlUnauthorizedAccount", holder, role(credits, "ISSUER_ROLE")):
        credits.registerProject(Catalog.vcs_class, 0, "p", {"from": holder})


@pytest.mark.parametrize("project_id", [0, 3])
def test_unknown_project_cannot_be_read(credits, reverts_with, project_id):
    with reverts_with("UnknownProject", project_id):
        credits.projectOf(project_id)


# --- verifications ----------------------------------------------------------------------------


def test_approve_verification_anchors_it_and_raises_the_project_cap(
    credits, verifier, expect_event, chain, savings_2025
):
    vid = verification_id("v")
    tx = credits.approveVerification(vid, Catalog.own_project, VINTAGE, 100, SAVINGS_RESULT, CID, {"from": verifier})
    expect_event(
        tx,
        "VerificationApproved",
        verificationId=vid,
        projectId=Catalog.own_project,
        verifier=verifier,
        vintage=VINTAGE,
        verifiedTonnes=100,
        resultId=SAVINGS_RESULT,
        evidenceCid=CID,
    )
    assert plain(credits.verificationOf(vid)) == (Catalog.own_project, VINTAGE, 100, 0, tx.timestamp, SAVINGS_RESULT)
    # the project's cap sums its verifications across vintages, each citing its own year's savings
    second = verification_id("w")
    credits.approveVerification(second, Catalog.own_project, VINTAGE + 1, 20, savings_2025, CID, {"from": verifier})
    assert credits.projectOf(Catalog.own_project)[2] == 120


def test_verification_is_approved_once(credits, verified, verifier, reverts_with):
    with reverts_with("VerificationAlreadyApproved", verified):
        credits.approveVerification(verified, Catalog.own_project, VINTAGE, 1, SAVINGS_RESULT, CID, {"from": verifier})


def test_verification_needs_an_id(credits, verifier, reverts_with):
    with reverts_with("ZeroVerificationId"):
        credits.approveVerification(
            b"\x00" * 32, Catalog.own_project, VINTAGE, 1, SAVINGS_RESULT, CID, {"from": verifier}
        )


def test_verification_needs_a_known_project(credits, verifier, reverts_with):
    with reverts_with("UnknownProject", 7):
        credits.approveVerification(verification_id("v"), 7, VINTAGE, 1, 0, CID, {"from": verifier})


@pytest.mark.parametrize("vintage", [0, 1989, 3000])
def test_verification_vintage_is_a_plausible_year(credits, verifier, reverts_with, vintage):
    with reverts_with("InvalidVintage", vintage):
        credits.approveVerification(
            verification_id("v"), Catalog.own_project, vintage, 1, SAVINGS_RESULT, CID, {"from": verifier}
        )


def test_verification_needs_tonnes(credits, verifier, reverts_with):
    with reverts_with("ZeroAmount"):
        credits.approveVerification(
            verification_id("v"), Catalog.own_project, VINTAGE, 0, SAVINGS_RESULT, CID, {"from": verifier}
        )


def test_verification_needs_evidence(credits, verifier, reverts_with):
    with reverts_with("EmptyEvidenceCid"):
        credits.approveVerification(
            verification_id("v"), Catalog.own_project, VINTAGE, 1, SAVINGS_RESULT, "", {"from": verifier}
        )


def test_only_verifiers_approve_verifications(credits, issuer, reverts_with):
    with reverts_with("AccessControlUnauthorizedAccount", issuer, role(credits, "VERIFIER_ROLE")):
        credits.approveVerification(
            verification_id("v"), Catalog.own_project, VINTAGE, 1, SAVINGS_RESULT, CID, {"from": issuer}
        )


def test_unknown_verification_cannot_be_read(credits, reverts_with):
    with reverts_with("UnknownVerification", verification_id("nope")):
        credits.verificationOf(verification_id("nope"))


# --- issuance ---------------------------------------------------------------------------------


def test_issue_mints_the_first_serial_range(credits, verified, issuer, holder, expect_event):
    tx = credits.issue(verified, holder, 60, {"from": issuer})
    tid = token_id(Catalog.savings_class, Catalog.own_project, VINTAGE)
    assert plain(tx.return_value) == (tid, 1, 60)
    expect_event(
        tx, "CreditsIssued", tokenId=tid, verificationId=verified, to=holder, batchIndex=0, firstSerial=1, lastSerial=60
    )
    expect_event(tx, "TransferSingle", operator=issuer, **{"from": ZERO_ADDRESS}, to=holder, id=tid, value=60)
    assert credits.balanceOf(holder, tid) == 60
    assert plain(credits.supplyOf(tid)) == (60, 0, 1)
    assert credits.totalSupply(tid) == 60
    assert plain(credits.issuanceBatchOf(tid, 0)) == (1, 60, tx.timestamp, verified)
    assert credits.verificationOf(verified)[3] == 60
    assert plain(credits.projectOf(Catalog.own_project)[2:]) == (100, 60)


def test_next_issuance_continues_the_serials(credits, issued, verified, issuer, trader):
    tx = credits.issue(verified, trader, 40, {"from": issuer})
    assert plain(tx.return_value) == (issued, 61, 100)
    assert tx.events["CreditsIssued"][0]["batchIndex"] == 1
    assert plain(credits.supplyOf(issued)) == (100, 0, 2)


def test_another_verification_of_the_same_vintage_continues_the_same_token(credits, issued, verifier, issuer, holder):
    second = verification_id("own-2024-second-period")
    credits.approveVerification(second, Catalog.own_project, VINTAGE, 10, SAVINGS_RESULT, CID, {"from": verifier})
    assert plain(credits.issue(second, holder, 10, {"from": issuer}).return_value) == (issued, 61, 70)
    assert plain(credits.batchOfSerial(issued, 61)[3]) == second
    assert plain(credits.batchOfSerial(issued, 60)) == plain(credits.issuanceBatchOf(issued, 0))


def test_another_vintage_is_another_token_with_its_own_serials(
    credits, issued, verifier, issuer, holder, savings_2025
):
    """Vintage 2025 of the institution's own project, verified against its 2025 savings."""
    vid = verification_id("own-2025")
    credits.approveVerification(vid, Catalog.own_project, VINTAGE + 1, 5, savings_2025, CID, {"from": verifier})
    tid = token_id(Catalog.savings_class, Catalog.own_project, VINTAGE + 1)
    assert plain(credits.issue(vid, holder, 5, {"from": issuer}).return_value) == (tid, 1, 5)
    assert tid != issued


def test_issuing_beyond_verified_savings_is_rejected(credits, verified, issuer, holder, reverts_with):
    with reverts_with("IssuanceExceedsVerifiedSavings", Catalog.own_project, 101, 100):
        credits.issue(verified, holder, 101, {"from": issuer})


def test_issuing_beyond_what_is_left_of_a_verification_is_rejected(
    credits, issued, verified, issuer, holder, reverts_with
):
    credits.issue(verified, holder, 39, {"from": issuer})
    with reverts_with("IssuanceExceedsVerifiedSavings", Catalog.own_project, 2, 1):
        credits.issue(verified, holder, 2, {"from": issuer})
    credits.issue(verified, holder, 1, {"from": issuer})
    with reverts_with("IssuanceExceedsVerifiedSavings", Catalog.own_project, 1, 0):
        credits.issue(verified, holder, 1, {"from": issuer})


def test_savings_of_one_vintage_cannot_be_issued_against_another_verification(
    credits, issued, verified, verifier, issuer, holder, reverts_with, savings_2025
):
    """A project's total cap is not a pool: each issuance draws on its own verification (here vintage
    2025's, of its 2025 savings, while 40 t of the 2024 verification are still unissued)."""
    small = verification_id("own-2025-small")
    credits.approveVerification(small, Catalog.own_project, VINTAGE + 1, 5, savings_2025, CID, {"from": verifier})
    with reverts_with("IssuanceExceedsVerifiedSavings", Catalog.own_project, 6, 5):
        credits.issue(small, holder, 6, {"from": issuer})


def test_issue_needs_an_approved_verification(credits, issuer, holder, reverts_with):
    with reverts_with("UnknownVerification", verification_id("unapproved")):
        credits.issue(verification_id("unapproved"), holder, 1, {"from": issuer})


def test_issue_needs_an_amount(credits, verified, issuer, holder, reverts_with):
    with reverts_with("ZeroAmount"):
        credits.issue(verified, holder, 0, {"from": issuer})


def test_only_issuers_issue(credits, verified, verifier, holder, reverts_with):
    with reverts_with("AccessControlUnauthorizedAccount", verifier, role(credits, "ISSUER_ROLE")):
        credits.issue(verified, holder, 1, {"from": verifier})


def test_issue_to_zero_address_is_rejected(credits, verified, issuer, reverts_with):
    with reverts_with("ERC1155InvalidReceiver", ZERO_ADDRESS):
        credits.issue(verified, ZERO_ADDRESS, 1, {"from": issuer})


def test_issue_to_a_contract_that_refuses_erc1155_is_rejected(credits, verified, issuer, settlement, reverts_with):
    with reverts_with("ERC1155InvalidReceiver", settlement.address):
        credits.issue(verified, settlement, 1, {"from": issuer})


def test_external_class_cannot_be_issued_without_its_registry_serial(credits, verifier, issuer, holder, reverts_with):
    vid = verification_id("vcs")
    credits.approveVerification(vid, Catalog.vcs_project, VINTAGE, 50, 0, CID, {"from": verifier})
    with reverts_with("WrongIssuancePath", Catalog.vcs_class, True):
        credits.issue(vid, holder, 1, {"from": issuer})


# --- external imports -------------------------------------------------------------------------


def test_import_records_the_registry_serial(credits, verifier, issuer, holder, expect_event):
    vid = verification_id("vcs")
    credits.approveVerification(vid, Catalog.vcs_project, VINTAGE, 50, 0, CID, {"from": verifier})
    assert not credits.isExternalSerialImported("VCS", VCS_SERIAL)
    tx = credits.importExternalCredits(vid, holder, 50, VCS_SERIAL, {"from": issuer})
    tid = token_id(Catalog.vcs_class, Catalog.vcs_project, VINTAGE)
    assert plain(tx.return_value) == (tid, 1, 50)
    registry_key = tx.events["ExternalSerialImported"][0]["registryKey"]
    expect_event(
        tx,
        "ExternalSerialImported",
        registryKey=registry_key,
        tokenId=tid,
        standard="VCS",
        externalSerial=VCS_SERIAL,
        firstSerial=1,
        lastSerial=50,
    )
    expect_event(
        tx, "CreditsIssued", tokenId=tid, verificationId=vid, to=holder, batchIndex=0, firstSerial=1, lastSerial=50
    )
    assert credits.isExternalSerialImported("VCS", VCS_SERIAL)
    assert not credits.isExternalSerialImported("GS", VCS_SERIAL)
    assert credits.balanceOf(holder, tid) == 50


def test_same_external_serial_cannot_be_imported_twice(
    credits, external_issued, verifier, issuer, holder, reverts_with
):
    vid = verification_id("vcs-again")
    credits.approveVerification(vid, Catalog.vcs_project, VINTAGE, 50, 0, CID, {"from": verifier})
    with reverts_with("ExternalSerialAlreadyImported", "VCS", VCS_SERIAL):
        credits.importExternalCredits(vid, holder, 50, VCS_SERIAL, {"from": issuer})


def test_same_external_serial_cannot_come_in_through_another_class_of_its_registry(
    credits, external_issued, governance, verifier, issuer, holder, reverts_with
):
    credits.createCreditClass("VCS", "VM0007", True, {"from": governance})
    credits.registerProject(3, 0, "Another VCS project", {"from": issuer})
    vid = verification_id("vcs-other-class")
    credits.approveVerification(vid, 3, VINTAGE, 50, 0, CID, {"from": verifier})
    with reverts_with("ExternalSerialAlreadyImported", "VCS", VCS_SERIAL):
        credits.importExternalCredits(vid, holder, 50, VCS_SERIAL, {"from": issuer})


def test_same_serial_text_of_another_registry_is_a_different_serial(
    credits, external_issued, governance, verifier, issuer, holder
):
    credits.createCreditClass("GS", "GS-TPDDTEC", True, {"from": governance})
    credits.registerProject(3, 0, "Gold Standard cookstoves", {"from": issuer})
    vid = verification_id("gs")
    credits.approveVerification(vid, 3, VINTAGE, 50, 0, CID, {"from": verifier})
    credits.importExternalCredits(vid, holder, 50, VCS_SERIAL, {"from": issuer})
    assert credits.isExternalSerialImported("GS", VCS_SERIAL)


def test_import_needs_a_registry_serial(credits, verifier, issuer, holder, reverts_with):
    vid = verification_id("vcs")
    credits.approveVerification(vid, Catalog.vcs_project, VINTAGE, 50, 0, CID, {"from": verifier})
    with reverts_with("EmptyExternalSerial"):
        credits.importExternalCredits(vid, holder, 50, "", {"from": issuer})


def test_import_is_capped_by_its_verification(credits, verifier, issuer, holder, reverts_with):
    vid = verification_id("vcs")
    credits.approveVerification(vid, Catalog.vcs_project, VINTAGE, 50, 0, CID, {"from": verifier})
    with reverts_with("IssuanceExceedsVerifiedSavings", Catalog.vcs_project, 51, 50):
        credits.importExternalCredits(vid, holder, 51, VCS_SERIAL, {"from": issuer})


def test_internal_class_cannot_be_imported(credits, verified, issuer, holder, reverts_with):
    with reverts_with("WrongIssuancePath", Catalog.savings_class, False):
        credits.importExternalCredits(verified, holder, 1, "X-1", {"from": issuer})


def test_only_issuers_import(credits, verified, holder, reverts_with):
    with reverts_with("AccessControlUnauthorizedAccount", holder, role(credits, "ISSUER_ROLE")):
        credits.importExternalCredits(verified, holder, 1, "X-1", {"from": holder})


# --- serials and token ids --------------------------------------------------------------------


def test_each_serial_maps_to_its_issuance_batch(credits, issued, verified, issuer, trader):
    tx = credits.issue(verified, trader, 40, {"from": issuer})
    first_batch, second_batch = credits.issuanceBatchOf(issued, 0), credits.issuanceBatchOf(issued, 1)
    assert plain(second_batch) == (61, 100, tx.timestamp, verified)
    for serial, batch in [(1, first_batch), (60, first_batch), (61, second_batch), (100, second_batch)]:
        assert plain(credits.batchOfSerial(issued, serial)) == plain(batch)
        assert not credits.isRetired(issued, serial)


@pytest.mark.parametrize("serial", [0, 61])
def test_serials_outside_the_issued_range_are_unknown(credits, issued, reverts_with, serial):
    with reverts_with("UnknownSerial", issued, serial):
        credits.batchOfSerial(issued, serial)
    with reverts_with("UnknownSerial", issued, serial):
        credits.isRetired(issued, serial)


def test_missing_issuance_batch_is_reported(credits, issued, reverts_with):
    with reverts_with("UnknownIssuanceBatch", issued, 1):
        credits.issuanceBatchOf(issued, 1)


def test_token_id_packs_class_project_and_vintage_in_64_bit_lanes(credits):
    tid = credits.tokenIdOf(2**32 - 1, 2**64 - 1, 2**16 - 1)
    assert tid == token_id(2**32 - 1, 2**64 - 1, 2**16 - 1) == 0xFFFFFFFF_FFFFFFFFFFFFFFFF_000000000000FFFF
    assert plain(credits.decodeTokenId(tid)) == (2**32 - 1, 2**64 - 1, 2**16 - 1)
    assert credits.tokenIdOf(1, 2, 2024) == 0x1_0000000000000002_00000000000007E8


@pytest.mark.parametrize("tid", [1 << 16, 1 << 160, 1 << 255])
def test_ids_outside_the_lanes_do_not_decode(credits, reverts_with, tid):
    with reverts_with("InvalidTokenId", tid):
        credits.decodeTokenId(tid)


def test_unissued_token_has_no_supply(credits):
    tid = token_id(Catalog.savings_class, Catalog.own_project, 2030)
    assert plain(credits.supplyOf(tid)) == (0, 0, 0)
    assert credits.totalSupply(tid) == 0
