"""An institution's certifications and the retirements that back its claims, read from the chain.

Certifications are the CertificationRegistry's applications for the institution, with the status the
contract derives (`statusOf`, which knows expiry). A retirement belongs to the institution when the
credits it burned were issued to one of the institution's projects (the token id names the project) or
when it backs one of the institution's certification claims. On a deployment without the credit
contracts both lists are None.
"""

from __future__ import annotations

from ledger.chain.certification import CertificationClient
from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import ClaimKind, decode_token_id
from ledger.chain.compiler import CREDIT_CONTRACTS
from ledger.chain.credits import CarbonCreditClient


def has_credit_contracts(contracts: LedgerContracts) -> bool:
    return all(name in contracts.organizations.deployment.addresses for name in CREDIT_CONTRACTS)


def institution_certifications(contracts: LedgerContracts, institution_id: int) -> list[dict[str, object]] | None:
    if not has_credit_contracts(contracts):
        return None
    registry = CertificationClient.of(contracts)
    out = []
    for application_id in range(1, registry.application_count() + 1):
        application = registry.application(application_id)
        if application.institution_id != institution_id:
            continue
        out.append({"application_id": application_id, "level": application.level.name.lower(),
                    "status": registry.status(application_id).name.lower(),
                    "approvals": application.approvals, "stages": application.stages,
                    "period_start": application.period_start, "period_end": application.period_end,
                    "valid_from": application.valid_from, "valid_until": application.valid_until,
                    "result_id": application.result_id, "claim_id": "0x" + application.claim_id.hex()})
    return out


def institution_retirements(contracts: LedgerContracts, institution_id: int,
                            claims: set[bytes]) -> list[dict[str, object]] | None:
    """Retirements of the institution's credits or backing one of `claims` (its certification claim ids)."""
    if not has_credit_contracts(contracts):
        return None
    credits = CarbonCreditClient(contracts.organizations.chain, contracts.organizations.deployment)
    projects: dict[int, int] = {}

    def institution_of(token: int) -> int:
        project_id = decode_token_id(token)[1]
        if project_id not in projects:
            projects[project_id] = credits.project(project_id).institution_id
        return projects[project_id]

    out = []
    for r in credits.retirements(contracts.organizations.deployment.start_block):
        own = any(institution_of(s.token_id) == institution_id for s in r.ranges)
        backs = r.claim_kind == ClaimKind.CERTIFICATION_APPLICATION and r.claim_id in claims
        if own or backs:
            out.append({"certificate_id": r.certificate_id, "tonnes": r.tonnes, "beneficiary": r.beneficiary,
                        "reason": r.reason, "claim_kind": r.claim_kind.name.lower(),
                        "period_start": r.period_start, "period_end": r.period_end,
                        "serials": [{"token_id": str(s.token_id), "first": s.first_serial, "last": s.last_serial}
                                    for s in r.ranges]})
    return out
