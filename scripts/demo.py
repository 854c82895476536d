"""`make demo`: the foundation, end to end, on embedded defaults.

Starts anvil with its state kept in .zcl/anvil/state.json, deploys (once), registers the
Xihuamen compound with a few simulated meters, lets the oracle verify and anchor a day of
their signed readings, shows what a bad reading gets, proves one reading against the chain,
and runs the auditor's check. A second run resumes from the kept state.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from ledger.batch import decode_batch
from ledger.chain.clients import LedgerContracts, NodeKind
from ledger.chain.compiler import DEPLOYABLE
from ledger.chain.connection import connect
from ledger.chain.deployment import Deployment, deploy_contracts
from ledger.chain.devchain import DEV_PRIVATE_KEYS, port_is_open, start_anvil
from ledger.config import Settings
from ledger.encoding import DeviceKind
from ledger.evidence import open_evidence_store
from ledger.signing import SignedReading
from ledger.verification import verify_ledger
from oracles.node import OracleNode
from oracles.rejects import RejectsLog
from oracles.simulator import SimulatedMeter
from oracles.spool import Spool

DATA_DIR = Path(".zcl")
PORT = 8545
METERS = [
    ("xihuamen-main-incomer", DeviceKind.ELECTRICITY_METER),
    ("xihuamen-hvac-feeder", DeviceKind.ELECTRICITY_METER),
    ("xihuamen-lighting-feeder", DeviceKind.ELECTRICITY_METER),
    ("xihuamen-water-main", DeviceKind.WATER_METER),
    ("xihuamen-rooftop-pv", DeviceKind.PV_GENERATION_METER),
]
READINGS_PER_RUN = 96  # one day at 15-minute intervals

console = Console()


def say(text: str) -> None:
    console.print(f"[bold cyan]›[/bold cyan] {text}")


def ensure_deployment(admin_settings: Settings) -> Deployment:
    chain = connect(admin_settings)
    path = admin_settings.deployment_path(chain.chain_id)
    if path.exists():
        deployment = Deployment.load(path)
        if all(name in deployment.addresses and chain.w3.eth.get_code(deployment.addresses[name]) for name in DEPLOYABLE):
            say(f"contracts already deployed (from block {deployment.start_block}); reusing them")
            return deployment
    deployment = deploy_contracts(chain)
    deployment.save(path)
    say(f"deployed {', '.join(DEPLOYABLE)} on chain {chain.chain_id}")
    return deployment


def ensure_compound(admin: LedgerContracts, oracle_address: str) -> tuple[int, int]:
    orgs = admin.organizations
    nodes = [orgs.node(i) for i in range(1, orgs.node_count() + 1)]
    institution = next((n for n in nodes if n.kind == NodeKind.INSTITUTION and n.name.startswith("Xihuamen")), None)
    building = next((n for n in nodes if institution and n.parent_id == institution.node_id), None)
    if institution and building:
        say(f"the Xihuamen compound is already registered (node {institution.node_id})")
        return institution.node_id, building.node_id
    me = orgs.chain.account.address
    province = orgs.create_root(NodeKind.REGION, "Sichuan Province 四川省", me)
    city = orgs.create_node(province, NodeKind.REGION, "Chengdu 成都市")
    district = orgs.create_node(city, NodeKind.REGION, "Qingyang District 青羊区")
    institution = orgs.create_node(district, NodeKind.INSTITUTION, "Xihuamen office compound 西华门街办公区")
    building = orgs.create_node(institution, NodeKind.BUILDING, "Main building")
    admin.devices.authorize_oracle(institution, oracle_address)
    say(f"registered Sichuan → Chengdu → Qingyang → Xihuamen (node {institution}); oracle {oracle_address} authorised")
    return institution, building


def main() -> int:
    started = time.monotonic()
    anvil = None
    if port_is_open(PORT):
        say(f"a chain is already listening on port {PORT}; using it")
    else:
        anvil = start_anvil(PORT, state_file=DATA_DIR / "anvil" / "state.json", log_file=DATA_DIR / "anvil" / "anvil.log")
        say(f"anvil started on {anvil.rpc_url}, state kept in {DATA_DIR / 'anvil' / 'state.json'}")
    try:
        rpc = f"http://127.0.0.1:{PORT}"
        admin_settings = Settings(rpc_url=rpc, data_dir=DATA_DIR, private_key=DEV_PRIVATE_KEYS[0])
        oracle_settings = Settings(rpc_url=rpc, data_dir=DATA_DIR, private_key=DEV_PRIVATE_KEYS[1])
        deployment = ensure_deployment(admin_settings)
        admin = LedgerContracts.attach(connect(admin_settings), deployment)
        oracle_chain = connect(oracle_settings)
        institution, building = ensure_compound(admin, oracle_chain.account.address)

        fleet = [SimulatedMeter.create(name, kind, b"xihuamen-demo", int(time.time()) - READINGS_PER_RUN * 900)
                 for name, kind in METERS]
        registered = set(admin.devices.registered_devices(institution_id=institution))
        for meter in fleet:
            if meter.device_id not in registered:
                admin.devices.register_device(meter.device_id, building, int(meter.kind), int(meter.unit), meter.public_key)
        say(f"{len(fleet)} meters registered, each with its own Ed25519 key")

        folder = DATA_DIR / "oracle" / f"institution-{institution}"
        evidence = open_evidence_store(admin_settings.evidence_path, admin_settings.ipfs_api)
        node = OracleNode(institution, LedgerContracts.attach(oracle_chain, deployment), evidence,
                          Spool(folder / "spool.sqlite"), RejectsLog(folder / "rejects.jsonl"), batch_size=200)
        for meter in fleet:
            last = node.spool.latest_record(meter.device_id)
            if last is not None:
                meter.resume_after(last.reading, until=int(time.time()), count=READINGS_PER_RUN)
        readings = [(m.name, r) for m in fleet for r in m.readings(READINGS_PER_RUN)]
        replay = readings[3][1]
        forged = SignedReading(readings[4][1].payload, bytes(64))
        report = node.ingest(readings + [("replayed", replay), ("forged", forged)])
        say(f"oracle accepted {report.accepted} signed readings and refused {len(report.rejected)}:")
        for rejected in report.rejected:
            console.print(f"    [yellow]refused[/yellow] {rejected}")
        anchors = node.flush()
        table = Table(title="Batches anchored this run")
        for column in ("root", "readings", "evidence CID", "gas"):
            table.add_column(column)
        for a in anchors:
            table.add_row("0x" + a.root.hex()[:18] + "…", str(a.reading_count), a.evidence_cid, str(a.gas_used or "-"))
        console.print(table)

        batch = node.spool.batches()[-1]
        parsed = decode_batch(evidence.cat(batch.evidence_cid))  # what a stranger holding the CID would do
        first = parsed.readings[0]
        proven = admin.attestations.verify_reading_bytes(batch.root, first.payload, first.signature, parsed.tree().proof(0))
        say(f"the contract itself checked one reading's Merkle proof against its anchored root: "
            f"{'valid' if proven else 'INVALID'}")
        node.spool.close()

        say("running the auditor's check (zcl verify): chain + evidence only, no oracle database")
        result = verify_ledger(admin, evidence)
        verdict = "[green]everything re-derives[/green]" if result.ok else f"[red]{len(result.findings)} problem(s)[/red]"
        console.print(Panel(
            f"{result.batches} batches, {result.readings} readings, {result.signatures_checked} signatures re-checked "
            f"against on-chain keys, {result.devices} devices: {verdict}\n"
            f"Against any chain: ZCL_RPC_URL=<url> .venv/bin/zcl verify --deployment <addresses.json>\n"
            f"Finished in {time.monotonic() - started:.1f} s. Run `make demo` again: it resumes from the kept chain state.",
            title="Zero-carbon ledger demo"))
        for finding in result.findings:
            console.print(f"[red]FAIL[/red] {finding.describe()}")
        return 0 if result.ok else 1
    finally:
        if anvil is not None:
            anvil.stop()
            say("anvil stopped; its state is saved for the next run")


if __name__ == "__main__":
    sys.exit(main())
