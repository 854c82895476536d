"""`zcl audit`, credits part: savings results, the verifications citing them, certifications, retirements.

From the chain and the evidence alone:

- every Savings result (an institution's M&V savings) is re-derived from its report: the evidence must
  hash to the CID the chain names, state the methodology, factors, period, boundary and input batches
  the chain holds, and — each period's consumption re-read from exactly those anchored batches and run
  through ledger.accounting.mv, the one M&V formula — give the avoided gCO2e on chain;
- the tonnes verified against each Savings result's restatement chain, summed over the CarbonCredit
  verifications citing it, never exceed the savings re-derived (in whole tonnes);
- every pending or granted certification still meets its criteria by the contract's own rule
  (CertificationRegistry.evaluateApplication, the code applicant and regulator ran);
- every retirement certificate backs one claim: its serial ranges are the ones it hashed, no serial is
  retired twice, and the registry names it as the one certificate of its (claim, retiree).

The first difference ends the audit, naming the record and what differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from eth_utils import keccak

from ledger.accounting.errors import AccountingError
from ledger.accounting.metered import UnverifiedEvidence, period_bounds
from ledger.accounting.quantities import Quantity
from ledger.accounting.report import bytes32_label
from ledger.accounting.savings_report import parse_savings_report, rederive_savings, stated_periods
from ledger.chain.certification import CertificationClient
from ledger.chain.clients import AccountingRecord, LedgerContracts, SubmittedResult
from ledger.chain.codes import GRAMS_PER_TONNE, CertificationStatus, ClaimKind, ResultKind, ResultStatus
from ledger.chain.connection import ChainError
from ledger.chain.credits import CarbonCreditClient, CreditContracts
from ledger.evidence import EvidenceError, EvidenceStore
from ledger.merkle import input_set_root
from ledger.verification import verify_ledger

# Statuses whose every step required the criteria to be met (applyFor and each approval check them).
_MUST_MEET = (CertificationStatus.PENDING, CertificationStatus.CERTIFIED, CertificationStatus.SUSPENDED)


@dataclass(frozen=True)
class CreditDifference:
    subject: str  # "savings result 3", "verification 0x…", "application 2", "certificate 5"
    what: str
    detail: str

    def describe(self) -> str:
        return f"{self.subject}: {self.what}: {self.detail}"


class _Differs(Exception):
    def __init__(self, subject: str, what: str, detail: str) -> None:
        super().__init__(f"{subject}: {what}: {detail}")
        self.difference = CreditDifference(subject, what, detail)


def audit_credits(
    contracts: LedgerContracts,
    evidence: EvidenceStore,
    institution_id: int | None = None,
    institutions_verified: list[int] | None = None,
    workers: int = 0,
) -> CreditDifference | None:
    """The first difference in the credit records (of one institution's projects and applications, or
    all), or None. Institutions whose readings are not in `institutions_verified` get them re-verified
    (signatures, roots, CIDs) before their savings are re-derived, and are added to it."""
    verified = institutions_verified if institutions_verified is not None else []
    try:
        savings = _audit_savings_results(contracts, evidence, institution_id, verified, workers)
        if "CarbonCredit" not in contracts.organizations.deployment.addresses:
            return None  # a core-only deployment: no credits to audit
        bundle = CreditContracts.of(contracts)
        _audit_verifications(contracts, bundle.credits, savings, institution_id)
    except _Differs as exc:
        return exc.difference
    return audit_retirements(bundle) or audit_applications(CertificationClient.of(contracts), institution_id)


# --- savings results ---------------------------------------------------------------------------


def _audit_savings_results(contracts: LedgerContracts, evidence: EvidenceStore, institution_id: int | None,
                           verified: list[int], workers: int) -> dict[int, int]:
    """Re-derive every non-rejected Savings result; its re-derived avoided gCO2e by result id."""
    savings: dict[int, int] = {}
    for submitted in contracts.accounting.submitted_results(institution_id=institution_id):
        if submitted.kind != ResultKind.SAVINGS:
            continue
        record = contracts.accounting.result(submitted.result_id)
        if record.status == ResultStatus.REJECTED:
            continue
        if record.institution_id not in verified:
            found = verify_ledger(contracts, evidence, record.institution_id, workers=workers)
            if not found.ok:
                raise _Differs(f"savings result {record.result_id}", "input readings do not verify",
                               found.findings[0].describe())
            verified.append(record.institution_id)
        savings[record.result_id] = rederive_savings_result(contracts, evidence, submitted, record)
    return savings


def rederive_savings_result(contracts: LedgerContracts, evidence: EvidenceStore, submitted: SubmittedResult,
                            record: AccountingRecord) -> int:
    """The avoided gCO2e of a Savings result, re-derived from its report; _Differs at the first mismatch."""
    subject = f"savings result {record.result_id}"
    cid = submitted.input.report_cid
    if keccak(text=cid) != record.report_cid_hash:
        raise _Differs(subject, "report CID", f"event names {cid}, whose hash the contract does not store")
    try:
        if not evidence.verify(cid):
            raise _Differs(subject, "savings report", f"the evidence stored as {cid} does not hash to that CID "
                                                      "(its bytes were changed)")
        document = parse_savings_report(evidence.cat(cid))
    except (EvidenceError, AccountingError) as exc:
        raise _Differs(subject, "savings report", f"{cid}: {exc}") from None

    stated = document.get("methodology", "")
    if bytes32_label(record.methodology_id) != stated:
        raise _Differs(subject, "methodology id",
                       f"chain says {bytes32_label(record.methodology_id)!r}, report {stated!r}")
    try:
        recomputed = rederive_savings(contracts, evidence, document)
    except (UnverifiedEvidence, AccountingError) as exc:
        raise _Differs(subject, "recomputation", str(exc)) from None
    if bytes.fromhex(recomputed.methodology.content_hash) != record.methodology_hash:
        raise _Differs(subject, "methodology hash", f"0x{record.methodology_hash.hex()} on chain is not published "
                                                    f"{recomputed.methodology.label}")
    if bytes.fromhex(recomputed.factors.content_hash) != record.factor_set_hash:
        raise _Differs(subject, "factor set hash", f"0x{record.factor_set_hash.hex()} on chain is not published "
                                                   f"{recomputed.factors.label}")
    if period_bounds(recomputed.period) != (record.period_start, record.period_end):
        raise _Differs(subject, "period", f"report's reporting period is {recomputed.period}, "
                                          f"chain [{record.period_start}, {record.period_end})")
    if (recomputed.institution_id, recomputed.boundary_id) != (record.institution_id, record.boundary_id):
        raise _Differs(subject, "boundary", f"report is for {recomputed.institution_id}/{recomputed.boundary_id}, "
                                            f"chain for {record.institution_id}/{record.boundary_id}")
    _check_input_batches(contracts, subject, document, record)
    for part, observations in (("baseline", recomputed.baseline), ("reporting", recomputed.reporting)):
        _check_consumption(subject, part, document, observations)
    chain = (record.scope1, record.scope2, record.scope3)
    derived = tuple(recomputed.avoided_grams if int(recomputed.scope) == s else 0 for s in (1, 2, 3))
    for scope, (on_chain, again) in enumerate(zip(chain, derived), start=1):
        if on_chain != again:
            raise _Differs(subject, f"scope {scope} savings", f"chain says {on_chain} gCO2e avoided, "
                                                              f"re-derived {again} gCO2e")
    if recomputed.to_json() != document:
        raise _Differs(subject, "report contents", "the report's figures differ from the re-derived report")
    return recomputed.avoided_grams


def _check_input_batches(contracts: LedgerContracts, subject: str, document: dict, record: AccountingRecord) -> None:
    batches = [bytes.fromhex(r.removeprefix("0x")) for r in document.get("input_batches", [])]
    if input_set_root(batches) != record.input_root or len(batches) != record.input_batch_count:
        raise _Differs(subject, "input batches",
                       f"the report's {len(batches)} batches do not give the on-chain input root "
                       f"0x{record.input_root.hex()} ({record.input_batch_count} batches)")
    for root in batches:
        if not contracts.attestations.is_anchored(root) or \
                contracts.attestations.batch(root).institution_id != record.institution_id:
            raise _Differs(subject, "input batches", f"0x{root.hex()} is not a batch anchored for institution "
                                                     f"{record.institution_id}")


def _check_consumption(subject: str, part: str, document: dict, observations: Iterable) -> None:
    for period, stated, observation in zip(stated_periods(document, part), document[part], observations):
        claimed = Quantity(stated["consumption"], stated["unit"])
        if claimed != observation.consumption:
            raise _Differs(subject, f"{part} consumption of {period.period}",
                           f"report says {claimed}, the anchored readings give {observation.consumption}")


# --- verifications ------------------------------------------------------------------------------


def _audit_verifications(contracts: LedgerContracts, credits: CarbonCreditClient, savings: dict[int, int],
                         institution_id: int | None) -> None:
    """Replay the verifications in approval order: per restatement chain, the tonnes booked never pass
    the re-derived savings of the result each verification cites."""
    booked: dict[int, int] = {}
    for verification, _ in credits.verifications():
        if not verification.result_id:
            continue
        subject = f"verification 0x{verification.verification_id.hex()}"
        record = contracts.accounting.result(verification.result_id)
        if institution_id is not None and record.institution_id != institution_id:
            continue
        if record.kind != ResultKind.SAVINGS or verification.result_id not in savings:
            raise _Differs(subject, "cited result", f"result {verification.result_id} is not a re-derived Savings "
                                                    f"result (kind {record.kind.name.lower()}, "
                                                    f"status {record.status.name.lower()})")
        first = _first_of_chain(contracts, record)
        booked[first] = booked.get(first, 0) + verification.verified_tonnes
        available = savings[verification.result_id] // GRAMS_PER_TONNE
        if booked[first] > available:
            raise _Differs(subject, "verified tonnes exceed savings",
                           f"{booked[first]:,} t verified against result {verification.result_id} (restatement chain "
                           f"from {first}), whose re-derived savings are {available:,} t")


def _first_of_chain(contracts: LedgerContracts, record: AccountingRecord) -> int:
    while record.supersedes:
        record = contracts.accounting.result(record.supersedes)
    return record.result_id


# --- retirements and certifications ------------------------------------------------------------


def audit_retirements(bundle: CreditContracts) -> CreditDifference | None:
    """The first retirement that does not back exactly one claim with its own serials, or None."""
    try:
        _audit_retirements(bundle)
    except _Differs as exc:
        return exc.difference
    return None


def audit_applications(certification: CertificationClient,
                       institution_id: int | None = None) -> CreditDifference | None:
    """The first pending or granted application the contract's own rule no longer accepts, or None."""
    try:
        _audit_applications(certification, institution_id)
    except _Differs as exc:
        return exc.difference
    return None


def _audit_retirements(bundle: CreditContracts) -> None:
    retired: dict[int, int] = {}  # token id → serials retired so far, replayed in certificate order
    claims: set[tuple[ClaimKind, bytes, str]] = set()
    for retirement in sorted(bundle.credits.retirements(), key=lambda r: r.certificate_id):
        subject = f"certificate {retirement.certificate_id}"
        for r in retirement.ranges:
            if r.first_serial != retired.get(r.token_id, 0) + 1:
                raise _Differs(subject, "serials", f"{r} does not follow serial {retired.get(r.token_id, 0)}: a serial "
                                                   "would be retired twice or skipped")
            retired[r.token_id] = r.last_serial
        if not bundle.certificates.ranges_match(retirement.certificate_id, retirement.ranges):
            raise _Differs(subject, "serial ranges",
                           "the ranges in CreditsRetired are not the ones the certificate hashed")
        if retirement.claim_kind == ClaimKind.NONE:
            continue
        claim = (retirement.claim_kind, retirement.claim_id, retirement.retiree)
        if claim in claims:
            raise _Differs(subject, "claim backed twice", f"{retirement.claim_kind.name.lower()} 0x"
                                                          f"{retirement.claim_id.hex()} by {retirement.retiree}")
        claims.add(claim)
        named = bundle.certificates.certificate_for_claim(*claim)
        if named != retirement.certificate_id:
            raise _Differs(subject, "claim", f"the registry names certificate {named} for its claim")


def _audit_applications(certification: CertificationClient, institution_id: int | None) -> None:
    for application_id in range(1, certification.application_count() + 1):
        application = certification.application(application_id)
        if institution_id is not None and application.institution_id != institution_id:
            continue
        if application.status not in _MUST_MEET:
            continue
        subject = f"application {application_id}"
        try:
            evaluation = certification.evaluate_application(application_id)
        except ChainError as exc:
            raise _Differs(subject, "criteria evaluation", f"{application.status.name.lower()}, but the contract "
                                                           f"cannot evaluate it now: {exc}") from None
        if not evaluation.meets_criteria:
            raise _Differs(subject, "criteria not met",
                           f"{application.status.name.lower()}, yet evaluateApplication says net "
                           f"{evaluation.net_emissions} gCO2e, reduction {evaluation.reduction_bps} bps: not met")
