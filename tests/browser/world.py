"""A small but real world for page tests: anvil, the deployed contracts, the Xihuamen compound's meters
registered on chain, a day and a half of June 2022 signed, verified and anchored by the oracle (with a
night-time leak that raises an alarm), one accounting result computed from those readings and submitted
(result 1), and the credit world's certification and retirement (results 2 and 3 are its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ledger.accounting.factors import Period
from ledger.accounting.metered import CHINA_STANDARD_TIME
from ledger.accounting.published import CN_PUBLIC_INSTITUTION_2022, PUBLIC_INSTITUTION_INVENTORY
from ledger.accounting.report import build_report
from ledger.chain.certification import ApplicationInput
from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import CertificationLevel
from ledger.chain.connection import connect
from ledger.chain.deployment import Deployment, deploy_contracts
from ledger.config import Settings
from ledger.evidence import LocalEvidenceStore
from oracles.alarm_rules import AlarmMonitor
from oracles.alarms import AlarmStore
from oracles.node import OracleNode
from oracles.profiles import DeviceProfiles, profile_from_json
from oracles.rejects import RejectsLog
from oracles.simulation import CompoundFleet, parse_fault, xihuamen
from oracles.simulation.delivery import deliver_direct
from oracles.spool import Spool
from tests.conftest import Tree, settings_for
from tests.ledger.credit_world import AREA, DOC, OWN_TOKEN, START_2024, START_2025, CreditWorld

SEED = "xihuamen"
START = int(datetime(2022, 6, 1, tzinfo=CHINA_STANDARD_TIME).timestamp())
HOURS = 36
LEAK = "leak:W-A-domestic_water-01@0+8"  # from midnight: the quiet hours see a constant flow
RETIREMENT_REASON = "Xihuamen 2024 office travel, voluntary"


@dataclass
class World:
    settings: Settings
    deployment: Deployment
    contracts: LedgerContracts
    tree: Tree
    roots: list[bytes]
    result_id: int
    readings: int


def build_world(rpc_url: str, data_dir: Path) -> World:
    settings = settings_for(rpc_url, data_dir)
    chain = connect(settings)
    deployment = deploy_contracts(chain)
    deployment.save(settings.deployment_path(chain.chain_id))
    contracts = LedgerContracts.attach(chain, deployment)
    tree = Tree(contracts)
    contracts.devices.authorize_oracle(tree.institution, chain.account.address)

    fleet = CompoundFleet(xihuamen(SEED.encode()), SEED)
    for identity in fleet.identities.values():
        d = identity.device
        contracts.devices.register_device(identity.device_id, tree.building, int(d.kind), int(d.unit), identity.public_key)
    folder = data_dir / "oracle" / f"institution-{tree.institution}"
    spool = Spool(folder / "spool.sqlite")
    profiles = DeviceProfiles(spool.db)
    for entry in fleet.device_profiles():
        profiles.set(profile_from_json(entry))
    node = OracleNode(institution_id=tree.institution, contracts=contracts,
                      evidence=LocalEvidenceStore(settings.evidence_path), spool=spool,
                      rejects=RejectsLog(folder / "rejects.jsonl"), batch_size=5000, profiles=profiles,
                      alarms=AlarmMonitor(AlarmStore(spool.db), profiles))
    end = START + HOURS * 3600
    series = fleet.series(end, start=START, faults=[parse_fault(LEAK, START)])
    stats = deliver_direct(fleet.readings(series, since=START), node)
    anchors = node.flush()
    spool.close()

    evidence = LocalEvidenceStore(settings.evidence_path)
    period = Period(date(2022, 6, 1), date(2022, 6, 1))
    report = build_report(contracts, evidence, tree.institution, tree.institution, period,
                          PUBLIC_INSTITUTION_INVENTORY, CN_PUBLIC_INSTITUTION_2022)
    cid = evidence.add(report.encode())
    result_id = contracts.accounting.submit(tree.institution, tree.institution, report.result_input(cid))
    certify_and_retire(contracts, deployment, tree, rpc_url, data_dir)
    return World(settings, deployment, contracts, tree, [a.root for a in anchors], result_id, stats.report.accepted)


def certify_and_retire(contracts: LedgerContracts, deployment: Deployment, tree: Tree, rpc_url: str,
                       data_dir: Path) -> None:
    """The credit world of tests/ledger/credit_world.py on this chain: the institution certified low-carbon
    (application 1, three regulators' approvals) and 10 of its 50 issued tonnes retired voluntarily."""
    credit = CreditWorld(contracts, deployment, tree, rpc_url, data_dir / "parties")
    baseline, current = credit.final_results()
    filed = credit.holder.certification.apply(ApplicationInput(
        institution_id=tree.institution, level=CertificationLevel.LOW_CARBON, result_id=current,
        baseline_result_id=baseline, activity=AREA, baseline_activity=AREA, document_cid=DOC))
    for party in (credit.district, credit.city, credit.gov):
        party.certification.decide(filed.application_id, True, "criteria met", DOC)
    credit.issue_own(50)
    credit.holder.credits.credits.retire(OWN_TOKEN, 10, beneficiary=credit.holder.address, reason=RETIREMENT_REASON,
                                         period_start=START_2024, period_end=START_2025)
