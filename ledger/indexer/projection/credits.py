"""Handlers of the credit and certification contracts: CarbonCredit, RetirementCertificate,
CreditMarket, CertificationRegistry."""

from __future__ import annotations

from sqlmodel import Session

from ledger.chain.codes import CertificationStatus, decode_token_id
from ledger.indexer.events import ChainEvent
from ledger.indexer.models import (
    CertificationApplication,
    CertificationCriteria,
    CertificationDecision,
    CertificationStatusChange,
    CreditBalance,
    CreditClass,
    CreditIssuance,
    CreditProject,
    CreditRetirement,
    CreditTransfer,
    CreditVerification,
    ExternalImport,
    LevelRequirement,
    MarketListing,
    MarketPurchase,
    RetirementCertificate,
)
from ledger.indexer.projection.registry import ZERO_ADDRESS, add, find, get, handles


# --- CarbonCredit ---------------------------------------------------------------------------------


@handles("CarbonCredit", "CreditClassCreated")
def _credit_class(session: Session, e: ChainEvent) -> None:
    a = e.args
    session.add(CreditClass(class_id=a["classId"], standard=a["standard"], methodology=a["methodology"],
                            is_external=a["isExternal"], block_number=e.block_number))


@handles("CarbonCredit", "ProjectRegistered")
def _project(session: Session, e: ChainEvent) -> None:
    a = e.args
    session.add(CreditProject(project_id=a["projectId"], class_id=a["classId"], institution_id=a["institutionId"],
                              name=a["name"], block_number=e.block_number))


@handles("CarbonCredit", "VerificationApproved")
def _verification(session: Session, e: ChainEvent) -> None:
    a = e.args
    session.add(CreditVerification(verification_id=a["verificationId"], project_id=a["projectId"],
                                    verifier=a["verifier"], vintage=a["vintage"], verified_tonnes=a["verifiedTonnes"],
                                    result_id=a.get("resultId", 0), evidence_cid=a["evidenceCid"],
                                    block_number=e.block_number))


@handles("CarbonCredit", "CreditsIssued")
def _issued(session: Session, e: ChainEvent) -> None:
    a = e.args
    class_id, project_id, vintage = decode_token_id(a["tokenId"])
    session.add(CreditIssuance(
        block_number=e.block_number, log_index=e.log_index, token_id=a["tokenId"], class_id=class_id,
        project_id=project_id, vintage=vintage, verification_id=a["verificationId"], recipient=a["to"],
        batch_index=a["batchIndex"], first_serial=a["firstSerial"], last_serial=a["lastSerial"],
        amount=a["lastSerial"] - a["firstSerial"] + 1, transaction_hash=e.transaction_hash,
    ))


@handles("CarbonCredit", "ExternalSerialImported")
def _imported(session: Session, e: ChainEvent) -> None:
    a = e.args
    session.add(ExternalImport(registry_key=a["registryKey"], token_id=a["tokenId"], standard=a["standard"],
                               external_serial=a["externalSerial"], first_serial=a["firstSerial"],
                               last_serial=a["lastSerial"], block_number=e.block_number))


@handles("CarbonCredit", "TransferSingle", "TransferBatch")
def _transfer(session: Session, e: ChainEvent) -> None:
    a = e.args
    moves = [(a["id"], a["value"])] if e.event == "TransferSingle" else list(zip(a["ids"], a["values"]))
    for item, (token_id, amount) in enumerate(moves):
        session.add(CreditTransfer(block_number=e.block_number, log_index=e.log_index, item=item,
                                   operator=a["operator"], sender=a["from"], recipient=a["to"], token_id=token_id,
                                   amount=amount, transaction_hash=e.transaction_hash))
        for account, delta in ((a["from"], -amount), (a["to"], amount)):
            if account == ZERO_ADDRESS:
                continue
            balance = find(session, CreditBalance, account, token_id)
            if balance is None:
                balance = CreditBalance(account=account, token_id=token_id, amount=0)
                add(session, balance)
            balance.amount += delta


@handles("CarbonCredit", "CreditsRetired")
def _retired(session: Session, e: ChainEvent) -> None:
    a = e.args
    session.add(CreditRetirement(certificate_id=a["certificateId"], retiree=a["retiree"],
                                 beneficiary=a["beneficiary"], tonnes=a["tonnes"], ranges=a["ranges"],
                                 block_number=e.block_number, transaction_hash=e.transaction_hash))


@handles("RetirementCertificate", "CertificateIssued")
def _certificate(session: Session, e: ChainEvent) -> None:
    a = e.args
    session.add(RetirementCertificate(
        certificate_id=a["certificateId"], beneficiary=a["beneficiary"], retiree=a["retiree"], claim_id=a["claimId"],
        claim_kind=a["claimKind"], period_start=a["periodStart"], period_end=a["periodEnd"], tonnes=a["tonnes"],
        range_count=a["rangeCount"], ranges_hash=a["rangesHash"], reason=a["reason"], block_number=e.block_number,
    ))


# --- CreditMarket ---------------------------------------------------------------------------------


@handles("CreditMarket", "Listed")
def _listed(session: Session, e: ChainEvent) -> None:
    a = e.args
    add(session, MarketListing(listing_id=a["listingId"], seller=a["seller"], token_id=a["tokenId"], amount=a["amount"],
                              price_per_unit=a["pricePerUnit"], remaining=a["amount"], status="open",
                              block_number=e.block_number))


@handles("CreditMarket", "Purchased")
def _purchased(session: Session, e: ChainEvent) -> None:
    a = e.args
    listing: MarketListing = get(session, MarketListing, a["listingId"])
    listing.remaining = a["remaining"]
    listing.status = "open" if a["remaining"] else "sold"
    session.add(MarketPurchase(block_number=e.block_number, log_index=e.log_index, listing_id=a["listingId"],
                               buyer=a["buyer"], seller=a["seller"], token_id=a["tokenId"], amount=a["amount"],
                               cost=a["cost"], remaining=a["remaining"], transaction_hash=e.transaction_hash))


@handles("CreditMarket", "ListingCancelled")
def _cancelled(session: Session, e: ChainEvent) -> None:
    listing: MarketListing = get(session, MarketListing, e.args["listingId"])
    listing.remaining, listing.status = 0, "cancelled"


# --- CertificationRegistry ------------------------------------------------------------------------


def _set_status(application: CertificationApplication, status: CertificationStatus) -> None:
    application.status, application.status_name = int(status), status.name.lower()


@handles("CertificationRegistry", "CriteriaPublished")
def _criteria(session: Session, e: ChainEvent) -> None:
    a = e.args
    session.add(CertificationCriteria(level=a["level"], version=a["version"], max_net_emissions=a["maxNetEmissions"],
                                      min_reduction_bps=a["minReductionBps"], validity=a["validity"],
                                      rules_hash=a["rulesHash"], rules_cid=a["rulesCid"], block_number=e.block_number))


@handles("CertificationRegistry", "LevelRequirementSet")
def _level_requirement(session: Session, e: ChainEvent) -> None:
    a = e.args
    row = find(session, LevelRequirement, a["regionId"])
    if row is None:
        row = LevelRequirement(region_id=a["regionId"], required=a["required"], set_by=a["by"],
                               block_number=e.block_number)
        add(session, row)
    row.required, row.set_by, row.block_number = a["required"], a["by"], e.block_number


@handles("CertificationRegistry", "ApplicationFiled")
def _application_filed(session: Session, e: ChainEvent) -> None:
    a = e.args
    add(session, CertificationApplication(
        application_id=a["applicationId"], institution_id=a["institutionId"], claim_id=a["claimId"], level=a["level"],
        criteria_version=a["criteriaVersion"], result_id=a["resultId"], baseline_result_id=a["baselineResultId"],
        certificate_id=a["certificateId"], document_cid=a["documentCid"], status=int(CertificationStatus.PENDING),
        status_name="pending", block_number=e.block_number, transaction_hash=e.transaction_hash,
    ))


@handles("CertificationRegistry", "ApplicationDecided")
def _application_decided(session: Session, e: ChainEvent) -> None:
    a = e.args
    application: CertificationApplication = get(session, CertificationApplication, a["applicationId"])
    if a["approved"]:
        application.approvals = a["stage"] + 1
    else:
        _set_status(application, CertificationStatus.REJECTED)
    session.add(CertificationDecision(
        block_number=e.block_number, log_index=e.log_index, application_id=a["applicationId"],
        region_id=a["regionId"], regulator=a["regulator"], stage=a["stage"], approved=a["approved"],
        reason=a["reason"], document_cid=a["documentCid"], transaction_hash=e.transaction_hash,
    ))


@handles("CertificationRegistry", "CertificationGranted")
def _granted(session: Session, e: ChainEvent) -> None:
    a = e.args
    application: CertificationApplication = get(session, CertificationApplication, a["applicationId"])
    _set_status(application, CertificationStatus.CERTIFIED)
    application.valid_from, application.valid_until = a["validFrom"], a["validUntil"]


@handles("CertificationRegistry", "CertificationStatusChanged")
def _certification_status(session: Session, e: ChainEvent) -> None:
    a = e.args
    application: CertificationApplication = get(session, CertificationApplication, a["applicationId"])
    _set_status(application, CertificationStatus(a["to"]))
    session.add(CertificationStatusChange(
        block_number=e.block_number, log_index=e.log_index, application_id=a["applicationId"], from_status=a["from"],
        to_status=a["to"], account=a["by"], reason=a["reason"], transaction_hash=e.transaction_hash,
    ))
