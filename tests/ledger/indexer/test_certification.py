"""Certification applications, their multi-level decisions and status changes reach the index."""

from __future__ import annotations

from sqlmodel import Session, select

from ledger.chain.certification import ApplicationInput
from ledger.chain.codes import CertificationLevel
from ledger.evidence import LocalEvidenceStore
from ledger.indexer import Indexer
from ledger.indexer.check import check_index
from ledger.indexer.models import (
    CertificationApplication,
    CertificationCriteria,
    CertificationDecision,
    CertificationStatusChange,
)
from tests.ledger.credit_world import AREA, DOC, CreditWorld


def test_application_decisions_and_suspension_are_indexed(anvil, contracts, deployment, tree, settings, tmp_path,
                                                          engine) -> None:
    world = CreditWorld(contracts, deployment, tree, anvil.rpc_url, tmp_path / "parties")
    baseline, current = world.final_results()
    cert = world.holder.certification
    filed = cert.apply(ApplicationInput(institution_id=tree.institution, level=CertificationLevel.LOW_CARBON,
                                        result_id=current, baseline_result_id=baseline, activity=AREA,
                                        baseline_activity=AREA, document_cid=DOC))
    for party in (world.district, world.city, world.gov):
        party.certification.decide(filed.application_id, True, "criteria met", DOC)
    world.district.certification.suspend(filed.application_id, "meter tampering under investigation")

    indexer = Indexer(contracts.organizations.chain, deployment, engine, LocalEvidenceStore(settings.evidence_path))
    indexer.sync()
    with Session(engine) as s:
        application = s.get(CertificationApplication, filed.application_id)
        assert (application.institution_id, application.level, application.result_id, application.baseline_result_id,
                application.approvals, application.status_name) == (tree.institution, 1, current, baseline, 3,
                                                                    "suspended")
        assert application.valid_until - application.valid_from == 365 * 86_400
        decisions = s.exec(select(CertificationDecision).order_by(CertificationDecision.stage)).all()
        assert [(d.stage, d.region_id, d.regulator, d.approved) for d in decisions] == [
            (0, tree.district, world.district.address, True), (1, tree.city, world.city.address, True),
            (2, tree.province, world.gov.address, True)]
        changes = s.exec(select(CertificationStatusChange)).all()
        assert [(c.from_status, c.to_status, c.reason) for c in changes] == [
            (3, 4, "meter tampering under investigation")]
        assert {(c.level, c.version) for c in s.exec(select(CertificationCriteria)).all()} >= {(1, 1)}
    assert check_index(indexer).ok
