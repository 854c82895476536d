"""Typed client of CertificationRegistry: published criteria, applications, the district → city →
province approval chain, and a certificate's status.

The criteria are evaluated by the contract alone (`evaluate`, `evaluate_application`): the
applicant, each regulator and `zcl audit` all call that one implementation. Emissions are in
gCO2e, one retired credit is GRAMS_PER_TONNE g, periods are [start, end) unix seconds.
To back an application with retirements, retire under `claim_id_of(...)` with
ClaimKind.CERTIFICATION_APPLICATION from the account that will apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import CertificationLevel, CertificationStatus
from ledger.chain.receipts import ReceiptClient, Transaction


@dataclass(frozen=True)
class Criteria:
    """One published version of a level's criteria (ICertificationRegistry.Criteria)."""

    level: CertificationLevel
    version: int
    max_net_emissions: int  # gCO2e
    min_reduction_bps: int  # 0 = no reduction against a baseline required
    validity: int  # seconds
    rules_hash: bytes
    rules_cid: str


@dataclass(frozen=True)
class ApplicationInput:
    """What an institution admin files (ICertificationRegistry.ApplicationInput)."""

    institution_id: int
    level: CertificationLevel
    result_id: int
    baseline_result_id: int = 0
    activity: int = 0
    baseline_activity: int = 0
    document_cid: str = ""

    def as_tuple(self) -> tuple:
        return (self.institution_id, int(self.level), self.result_id, self.baseline_result_id, self.activity,
                self.baseline_activity, self.document_cid)


@dataclass(frozen=True)
class Application:
    """An application as stored; `status` is the stored one (see CertificationClient.status for Expired)."""

    application_id: int
    institution_id: int
    level: CertificationLevel
    status: CertificationStatus
    approvals: int
    stages: int
    criteria_version: int
    period_start: int
    period_end: int
    result_id: int
    baseline_result_id: int
    activity: int
    baseline_activity: int
    applicant: str
    valid_from: int
    valid_until: int
    claim_id: bytes


@dataclass(frozen=True)
class Evaluation:
    """The contract's evaluation: gCO2e figures, reduction in basis points, and the verdict."""

    emissions: int
    retired: int
    certificate_id: int
    net_emissions: int
    reduction_bps: int
    meets_criteria: bool


@dataclass(frozen=True)
class Published:
    level: CertificationLevel
    version: int
    tx: Transaction


@dataclass(frozen=True)
class Filed:
    application_id: int
    claim_id: bytes
    criteria_version: int
    certificate_id: int  # the applicant's retirement certificate counted, or 0
    tx: Transaction


@dataclass(frozen=True)
class Decision:
    """One stage's decision; `certified_until` is set when it was the last approval."""

    application_id: int
    region_id: int
    stage: int
    approved: bool
    status: CertificationStatus
    certified_from: int | None
    certified_until: int | None
    tx: Transaction


@dataclass(frozen=True)
class DecisionRecord:
    """A past decision, as the ApplicationDecided event records it."""

    stage: int
    region_id: int
    regulator: str
    approved: bool
    reason: str
    document_cid: str
    transaction_hash: str


@dataclass(frozen=True)
class StatusChange:
    application_id: int
    before: CertificationStatus
    after: CertificationStatus
    tx: Transaction


class CertificationClient(ReceiptClient):
    NAME = "CertificationRegistry"

    @classmethod
    def of(cls, contracts: LedgerContracts) -> "CertificationClient":
        return cls(contracts.organizations.chain, contracts.organizations.deployment)

    # governance

    def publish_criteria(
        self,
        level: CertificationLevel,
        max_net_emissions: int,
        min_reduction_bps: int,
        validity: int,
        rules_hash: bytes,
        rules_cid: str,
    ) -> Published:
        """A new criteria version for `level` (DEFAULT_ADMIN_ROLE); later applications are judged by it."""
        receipt = self._send("publishCriteria", int(level), max_net_emissions, min_reduction_bps, validity,
                             rules_hash, rules_cid)
        return Published(level, int(self._one(receipt, "CriteriaPublished")["version"]), Transaction.of(receipt))

    def set_level_required(self, region_id: int, required: bool) -> Transaction:
        """Require or waive a region's stage in approval chains filed from now on."""
        return Transaction.of(self._send("setLevelRequired", region_id, required))

    # applicant

    def apply(self, application: ApplicationInput) -> Filed:
        """File as the signing account (an institution admin); CriteriaNotMet when the evaluation fails."""
        receipt = self._send("applyFor", application.as_tuple())
        a = self._one(receipt, "ApplicationFiled")
        return Filed(int(a["applicationId"]), bytes(a["claimId"]), int(a["criteriaVersion"]), int(a["certificateId"]),
                     Transaction.of(receipt))

    # regulators

    def decide(self, application_id: int, approve: bool, reason: str, document_cid: str) -> Decision:
        """Approve or reject the current stage (a direct admin of its region, not the applicant)."""
        receipt = self._send("decide", application_id, approve, reason, document_cid)
        a = self._one(receipt, "ApplicationDecided")
        granted = self._events(receipt, "CertificationGranted")
        return Decision(
            application_id=application_id,
            region_id=int(a["regionId"]),
            stage=int(a["stage"]),
            approved=bool(a["approved"]),
            status=self.status(application_id),
            certified_from=int(granted[0]["validFrom"]) if granted else None,
            certified_until=int(granted[0]["validUntil"]) if granted else None,
            tx=Transaction.of(receipt),
        )

    def suspend(self, application_id: int, reason: str) -> StatusChange:
        return self._transition("suspend", application_id, reason)

    def reinstate(self, application_id: int, reason: str) -> StatusChange:
        return self._transition("reinstate", application_id, reason)

    def revoke(self, application_id: int, reason: str) -> StatusChange:
        return self._transition("revoke", application_id, reason)

    def _transition(self, function: str, application_id: int, reason: str) -> StatusChange:
        receipt = self._send(function, application_id, reason)
        a = self._one(receipt, "CertificationStatusChanged")
        return StatusChange(application_id, CertificationStatus(a["from"]), CertificationStatus(a["to"]),
                            Transaction.of(receipt))

    # reads (anyone)

    def evaluate(self, application: ApplicationInput, applicant: str) -> Evaluation:
        """What `applyFor` would conclude for `applicant` now, against the level's latest criteria."""
        return Evaluation(*self._call("evaluate", application.as_tuple(), applicant))

    def evaluate_application(self, application_id: int) -> Evaluation:
        """A filed application re-evaluated as an approval would now (ResultNotFinal once superseded)."""
        return Evaluation(*self._call("evaluateApplication", application_id))

    def claim_id_of(self, institution_id: int, level: CertificationLevel, period_start: int, period_end: int) -> bytes:
        return bytes(self._call("claimIdOf", institution_id, int(level), period_start, period_end))

    def status(self, application_id: int) -> CertificationStatus:
        """Status now: Expired once a Certified or Suspended application's validity has ended."""
        return CertificationStatus(self._call("statusOf", application_id))

    def is_certified_at(self, application_id: int, timestamp: int) -> bool:
        return bool(self._call("isCertifiedAt", application_id, timestamp))

    def application(self, application_id: int) -> Application:
        raw = list(self._call("applicationOf", application_id))
        raw[1], raw[2] = CertificationLevel(raw[1]), CertificationStatus(raw[2])
        raw[15] = bytes(raw[15])
        return Application(application_id, *raw)

    def approval_chain(self, application_id: int) -> list[int]:
        return [int(r) for r in self._call("approvalChainOf", application_id)]

    def approval_chain_for(self, institution_id: int) -> list[int]:
        return [int(r) for r in self._call("approvalChainFor", institution_id)]

    def application_for_claim(self, claim_id: bytes) -> int:
        return int(self._call("applicationForClaim", claim_id))

    def criteria(self, level: CertificationLevel, version: int | None = None) -> Criteria:
        """A criteria version (default: the latest); NoCriteria when none is published."""
        version = self.latest_criteria_version(level) if version is None else version
        max_net, min_bps, validity, rules_hash, rules_cid = self._call("criteriaOf", int(level), version)
        return Criteria(level, version, int(max_net), int(min_bps), int(validity), bytes(rules_hash), rules_cid)

    def latest_criteria_version(self, level: CertificationLevel) -> int:
        return int(self._call("latestCriteriaVersion", int(level)))

    def is_level_required(self, region_id: int) -> bool:
        return bool(self._call("isLevelRequired", region_id))

    def application_count(self) -> int:
        return int(self._call("applicationCount"))

    def decisions(self, application_id: int) -> list[DecisionRecord]:
        """Every decision on the application, in order, from its ApplicationDecided events."""
        return [DecisionRecord(int(a["stage"]), int(a["regionId"]), a["regulator"], bool(a["approved"]), a["reason"],
                               a["documentCid"], "0x" + log["transactionHash"].hex().removeprefix("0x"))
                for log in self._logs("ApplicationDecided", 0, None, applicationId=application_id)
                for a in (log["args"],)]
