"""Workflows that give every page something to show: a verified accounting result and a certification.

The result is the one `zcl result submit` makes (ledger/accounting/report.py: anchored readings →
activity → emissions, the report stored as evidence), for the replayed months of 2022 with the
published methodology and factor set; the district's designated verifier (dev account 2) approves it
with a statement stored as evidence, so the result is Final.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from eth_utils import keccak

from ledger.accounting.factors import Period
from ledger.accounting.metered import CHINA_STANDARD_TIME
from ledger.accounting.published import CN_PUBLIC_INSTITUTION_2022, PUBLIC_INSTITUTION_INVENTORY
from ledger.accounting.report import build_report
from ledger.chain.certification import ApplicationInput, CertificationClient
from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import CertificationLevel
from ledger.chain.devchain import dev_key
from ledger.evidence import EvidenceStore

from scripts.demo.clock import DEMO_YEAR
from scripts.demo.compound import CompoundNodes


@dataclass(frozen=True)
class VerifiedResult:
    result_id: int
    period: Period
    total: str
    report_cid: str
    statement_cid: str


def result_period(replayed_until: int) -> Period:
    """1 January to the last whole day the replay covers (local time)."""
    last = datetime.fromtimestamp(replayed_until, CHINA_STANDARD_TIME).date() - timedelta(days=1)
    return Period(date(DEMO_YEAR, 1, 1), max(last, date(DEMO_YEAR, 1, 1)))


def submit_and_verify(admin: LedgerContracts, verifier: LedgerContracts, evidence: EvidenceStore,
                      nodes: CompoundNodes, period: Period) -> VerifiedResult:
    """Submit the institution's result for `period` (as its admin) and approve it (as the district's verifier)."""
    report = build_report(admin, evidence, nodes.institution, nodes.institution, period,
                          PUBLIC_INSTITUTION_INVENTORY, CN_PUBLIC_INSTITUTION_2022)
    cid = evidence.add(report.encode())
    result_id = admin.accounting.submit(nodes.institution, nodes.institution, report.result_input(cid))
    verifier_address = verifier.accounting.chain.account.address
    admin.accounting.add_verifier(nodes.district, verifier_address)
    statement = evidence.add((f"Verification statement: result {result_id} of {nodes.institution} for "
                              f"{period.start}..{period.end} re-derived from report {cid} and its input batches; "
                              "approved. (zcl demo)\n").encode())
    verifier.accounting.verify(result_id, True, statement)
    return VerifiedResult(result_id, period, str(report.result.total), cid, statement)


LOW_CARBON_MAX_NET_TONNES = 5_000
DEMO_RULES = (b"Demo low-carbon criteria (zcl demo): an institution whose Final result for the period has net "
              b"emissions of at most 5,000 tCO2e; no baseline reduction required; valid 365 days. "
              b"Not a published standard.\n")



@dataclass(frozen=True)
class Certified:
    application_id: int
    regions: list[int]
    valid_until: int | None


def certify_low_carbon(admin: LedgerContracts, connect_as: Callable[[str], LedgerContracts], evidence: EvidenceStore,
                       nodes: CompoundNodes, result_id: int) -> Certified:
    """The certification flow on the Final result: governance publishes (demo) criteria, the institution's
    admin (dev account 4) files, each region of the approval chain approves as its direct admin
    (Qingyang dev account 5, Chengdu dev account 6, Sichuan governance)."""
    orgs = admin.organizations
    keys = {nodes.institution: dev_key(4), nodes.district: dev_key(5), nodes.city: dev_key(6)}
    parties = {node: connect_as(key) for node, key in keys.items()}
    for node, party in parties.items():  # runs once, with the replay (the demo's marker file)
        orgs.add_admin(node, party.organizations.chain.account.address)
    parties[nodes.province] = admin
    governance = CertificationClient.of(admin)
    rules_cid = evidence.add(DEMO_RULES)
    governance.publish_criteria(CertificationLevel.LOW_CARBON, LOW_CARBON_MAX_NET_TONNES * 10**6, 0, 365 * 86_400,
                                keccak(DEMO_RULES), rules_cid)
    dossier = evidence.add(f"Application dossier (zcl demo): low-carbon on result {result_id}.\n".encode())
    applicant = CertificationClient.of(parties[nodes.institution])
    filed = applicant.apply(ApplicationInput(nodes.institution, CertificationLevel.LOW_CARBON, result_id,
                                             document_cid=dossier))
    chain = applicant.approval_chain(filed.application_id)
    valid_until = None
    for region in chain:
        decision = CertificationClient.of(parties[region]).decide(
            filed.application_id, True, "criteria met on the Final result", evidence.add(
                f"Decision of region {region} on application {filed.application_id}: approved (zcl demo).\n".encode()))
        valid_until = decision.certified_until or valid_until
    return Certified(filed.application_id, chain, valid_until)
