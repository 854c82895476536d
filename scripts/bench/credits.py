"""Credit and certification gas, and 1,000 serial ranges retired in one transaction against one by one.

    .venv/bin/python -m scripts.bench.credits [--ranges 1000] [--batch-tokens 20] [--name credits]

Starts its own anvil, deploys every contract and drives the real flow through the Python clients
(ledger/chain/credits.py, certification.py, clients.py), each party signing with its own key:
catalogue, a Final Savings result, verifications, issuance, external import, transfer, market,
retirement, and the certification chain district → city → province with suspend, reinstate and
revoke. Every figure is the `gasUsed` of the receipt of the one transaction the client call sent.

Then `--ranges` serial ranges are retired in ONE retireBatch against as many single `retire`
transactions, in two layouts: distinct token ids (one vintage each, so every range touches its own
balance and supply slots) and one token id (`--ranges` one-serial ranges, as
tests/contracts/test_credit_gas.py builds them). Both sides retire ranges of the same shape (the
batch the lower serials, the singles the next ones) as voluntary retirements (ClaimKind.NONE): one
retirement backs one claim once, so one-by-one retirements could not back a single claim. Prints tables and writes bench/results/<name>-<UTC timestamp>.json.
Asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from eth_account import Account
from eth_utils import keccak
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from ledger.chain.certification import ApplicationInput, CertificationClient
from ledger.chain.clients import LedgerContracts, NodeKind, ResultInput
from ledger.chain.codes import MIN_VINTAGE, CertificationLevel, ClaimKind
from ledger.chain.connection import Chain, connect
from ledger.chain.credits import CarbonCreditClient, CreditContracts, Project
from ledger.chain.deployment import Deployment, deploy_contracts
from ledger.chain.devchain import DEV_PRIVATE_KEYS, start_anvil
from ledger.chain.toolchain import activate_toolchain
from ledger.config import Settings
from scripts.bench.machine import load_average, start_bench
from scripts.bench.report import write_results

T = TypeVar("T")

CID = "QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"  # what `ipfs add` prints for b"hello carbon ledger\n"
TOKEN = 10**6  # settlement token (6 decimals)
PRICE = 130 * TOKEN  # the seed's 130 CNY per tonne
YEAR = 365 * 86_400
START_2023, START_2024, START_2025 = 1_672_531_200, 1_704_067_200, 1_735_689_600
VINTAGE = 2024
PARTY_BALANCE_WEI = 10**24  # a million ether each, set with anvil_setBalance
PARTIES = ("verifier", "issuer", "holder", "buyer", "district", "city")


# --- measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GasStep:
    group: str
    step: str
    gas: int
    seconds: float
    tx: str


@dataclass
class GasLog:
    """Every receipt the watched connections mined, so a client call that returns only an id still yields its gas."""

    receipts: list[TxReceipt] = field(default_factory=list)
    steps: list[GasStep] = field(default_factory=list)

    def watch(self, chain: Chain) -> Chain:
        send = chain.transact

        def transact(call: ContractFunction, gas: int | None = None) -> TxReceipt:  # the instance's, recorded
            receipt = send(call, gas)
            self.receipts.append(receipt)
            return receipt

        chain.transact = transact  # type: ignore[method-assign]
        return chain

    def one(self, group: str, step: str, action: Callable[[], T]) -> T:
        """Run `action`, which must send exactly one transaction, and record that transaction's gas."""
        before = len(self.receipts)
        start = time.perf_counter()
        value = action()
        seconds = time.perf_counter() - start
        sent = self.receipts[before:]
        if len(sent) != 1:
            raise RuntimeError(f"{step}: expected one transaction, the client sent {len(sent)}")
        receipt = sent[0]
        self.steps.append(GasStep(group, step, int(receipt["gasUsed"]), seconds,
                                  "0x" + bytes(receipt["transactionHash"]).hex()))
        return value


@dataclass
class Party:
    address: str
    ledger: LedgerContracts
    credits: CreditContracts
    certification: CertificationClient


@dataclass(frozen=True)
class Tree:
    province: int
    city: int
    district: int
    institution: int


# --- the world ------------------------------------------------------------------------------


def _party_key(name: str) -> str:
    """A fixed key per role: bench accounts only, funded through anvil's cheat RPC."""
    return "0x" + keccak(text=f"zcl-bench-credits:{name}").hex()


def _connect(rpc_url: str, data_dir: Path, key: str, log: GasLog) -> Chain:
    return log.watch(connect(Settings(rpc_url=rpc_url, data_dir=data_dir, private_key=key, confirmations=1)))


def _party(chain: Chain, deployment: Deployment) -> Party:
    ledger = LedgerContracts.attach(chain, deployment)
    return Party(chain.account.address, ledger, CreditContracts.of(ledger), CertificationClient.of(ledger))


def _result(start: int, end: int, tonnes: int, label: str) -> ResultInput:
    """A result of `tonnes` split 20/70/10 over scopes 1/2/3, in grams."""
    grams = tonnes * 10**6
    s1, s2 = grams * 2 // 10, grams * 7 // 10
    return ResultInput(start, end, keccak(text="zcl.ghg-inventory@1"), keccak(text="methodology"),
                       keccak(text="factors:" + label), s1, s2, grams - s1 - s2, keccak(text="inputs:" + label), 1, CID)


def _vid(label: str) -> bytes:
    return keccak(text=f"bench-verification:{label}")


# --- the run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RangesRun:
    layout: str
    ranges: int
    batch_gas: int
    batch_seconds: float
    single_gas: list[int]
    single_seconds: float
    batch_tx: str

    def as_dict(self) -> dict[str, object]:
        total = sum(self.single_gas)
        return {
            "layout": self.layout,
            "ranges": self.ranges,
            "batch": {"transactions": 1, "gas": self.batch_gas, "gas_per_range": self.batch_gas / self.ranges,
                      "seconds": self.batch_seconds, "tx": self.batch_tx},
            "single": {"transactions": len(self.single_gas), "gas": total, "gas_per_range": total / self.ranges,
                       "gas_min": min(self.single_gas), "gas_max": max(self.single_gas),
                       "gas_first": self.single_gas[0], "seconds": self.single_seconds},
            "single_over_batch_gas": total / self.batch_gas,
            "single_over_batch_seconds": self.single_seconds / self.batch_seconds,
        }


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.credits", description=__doc__.splitlines()[0])
    parser.add_argument("--ranges", type=int, default=1_000, help="serial ranges retired in one batch and one by one")
    parser.add_argument("--batch-tokens", type=int, default=20, help="distinct token ids in the step table's batch")
    parser.add_argument("--name", default="credits", help="results file prefix (default: credits)")
    parser.add_argument("--output", type=Path, default=None,
                        help="write the JSON here instead of bench/results/<name>-<UTC timestamp>.json")
    args = parser.parse_args(argv)
    if not 1 <= args.ranges <= 1_000 or not 1 <= args.batch_tokens <= 100:
        parser.error("--ranges must be 1..1000 and --batch-tokens 1..100 (one vintage per token id)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    console, started, clock, machine, load_start = start_bench()
    activate_toolchain()
    log = GasLog()
    with tempfile.TemporaryDirectory(prefix="zcl-bench-credits-") as tmp:
        anvil = start_anvil(log_file=Path(tmp) / "anvil.log")
        try:
            with console.status("deploying the contracts and setting up the parties"):
                t = time.monotonic()
                gov_chain = _connect(anvil.rpc_url, Path(tmp), DEV_PRIVATE_KEYS[0], log)
                deployment = deploy_contracts(gov_chain)
                deploy_seconds = time.monotonic() - t
                gov = _party(gov_chain, deployment)
                for name in PARTIES:
                    address = Account.from_key(_party_key(name)).address
                    gov_chain.w3.provider.make_request("anvil_setBalance", [address, hex(PARTY_BALANCE_WEI)])
                parties = {name: _party(_connect(anvil.rpc_url, Path(tmp), _party_key(name), log),
                                        deployment) for name in PARTIES}
                tree = _build_tree(gov, parties)
            world_seconds = time.monotonic() - t
            own, savings_id = _credit_steps(log, gov, parties, tree, args.batch_tokens)
            _certification_steps(log, gov, parties, tree)
            runs = [_ranges_distinct(console, log, parties, own, savings_id, args.ranges),
                    _ranges_one_token(console, log, parties, own, savings_id, args.ranges)]
        finally:
            anvil.stop()

    setup = {
        "ranges": args.ranges,
        "batch_tokens": args.batch_tokens,
        "chain": "anvil, automine, fresh state",
        "deploy_seconds": round(deploy_seconds, 2),
        "setup_seconds": round(world_seconds, 2),
        "transactions_sent": len(log.receipts),
        "load_average_start": load_start,
        "load_average_end": load_average(),
        "gas_source": "receipt gasUsed of the one transaction each client call sent",
        "ranges_claim": "ClaimKind.NONE on both sides (a retirement backs one claim once)",
    }
    document = {
        "name": args.name,
        "started_utc": started.isoformat(timespec="seconds"),
        "duration_seconds": round(time.monotonic() - clock, 1),
        "machine": machine,
        "setup": setup,
        "steps": [{"group": s.group, "step": s.step, "gas": s.gas, "seconds": round(s.seconds, 4), "tx": s.tx}
                  for s in log.steps],
        "ranges": [run.as_dict() for run in runs],
    }
    _render(console, document)
    if args.output is not None:
        args.output.write_text(json.dumps(document, indent=2) + "\n")
        path = args.output
    else:
        path = write_results(document, started)
    console.print(f"results written to {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


def _build_tree(gov: Party, parties: dict[str, Party]) -> Tree:
    """province (governance) → city → district → institution; roles as tests/ledger/credit_world.py has them."""
    orgs = gov.ledger.organizations
    province = orgs.create_root(NodeKind.REGION, "Sichuan", gov.address)
    city = orgs.create_node(province, NodeKind.REGION, "Chengdu")
    district = orgs.create_node(city, NodeKind.REGION, "Qingyang")
    institution = orgs.create_node(district, NodeKind.INSTITUTION, "Xihuamen office compound")
    for node, name in ((institution, "holder"), (district, "district"), (city, "city")):
        orgs.add_admin(node, parties[name].address)
    gov.ledger.accounting.add_verifier(district, parties["verifier"].address)
    gov.credits.credits.grant_role("verifier", parties["verifier"].address)
    gov.credits.credits.grant_role("issuer", parties["issuer"].address)
    for name in ("holder", "buyer"):
        gov.credits.settlement.mint(parties[name].address, 10_000_000 * TOKEN)
    return Tree(province, city, district, institution)


def _credit_steps(log: GasLog, gov: Party, p: dict[str, Party], tree: Tree, batch_tokens: int) -> tuple[Project, int]:
    """Catalogue → savings → verification → issuance → import → transfer → market → retirement."""
    g = "catalogue"
    catalogue = gov.credits.credits
    own_class = log.one(g, "createCreditClass (internal)",
                        lambda: catalogue.create_class("ZCL-VERIFIED-SAVINGS", "ZCL-MV-OPTION-C-v1", False)).id
    vcs_class = log.one(g, "createCreditClass (external)", lambda: catalogue.create_class("VCS", "VM0038", True)).id
    issuer = p["issuer"].credits.credits
    own = log.one(g, "registerProject (institution's savings)",
                  lambda: issuer.register_project(own_class, tree.institution, "Xihuamen retrofit savings")).id
    vcs = log.one(g, "registerProject (external, outside the tree)",
                  lambda: issuer.register_project(vcs_class, 0, "VCS 4321 EV charging")).id

    g = "savings result"
    holder_acc, verifier_acc = p["holder"].ledger.accounting, p["verifier"].ledger.accounting
    savings = log.one(g, "submitSavingsResult", lambda: holder_acc.submit_savings(
        tree.institution, tree.institution, _result(START_2024, START_2025, 1_000_000, "savings")))
    log.one(g, "verifyResult (approve, Final)", lambda: verifier_acc.verify(savings, True, CID))

    g = "verification and issuance"
    verifier = p["verifier"].credits.credits
    log.one(g, "approveVerification (internal, cites the Savings result)",
            lambda: verifier.approve_verification(_vid("own"), own, VINTAGE, 500, CID, savings))
    log.one(g, "approveVerification (external)",
            lambda: verifier.approve_verification(_vid("vcs"), vcs, VINTAGE, 50, CID))
    holder = p["holder"]
    first = log.one(g, "issue (first batch of a token id)", lambda: issuer.issue(_vid("own"), holder.address, 300))
    log.one(g, "issue (next batch, same token id)", lambda: issuer.issue(_vid("own"), holder.address, 100))
    log.one(g, "importExternalCredits (27-character serial)",
            lambda: issuer.import_external(_vid("vcs"), holder.address, 50, "VCS-4321-2024-000001-000050"))
    tid = first.token_id

    g = "transfer and market"
    buyer = p["buyer"]
    log.one(g, "transfer (recipient's first units of the token)",
            lambda: holder.credits.credits.transfer(buyer.address, tid, 5))
    log.one(g, "transfer (recipient already holds the token)",
            lambda: holder.credits.credits.transfer(buyer.address, tid, 5))
    log.one(g, "setApprovalForAll (seller, once)", holder.credits.ensure_market_approval)
    listing = log.one(g, "list", lambda: holder.credits.market.list_units(tid, 40, PRICE)).listing.listing_id
    log.one(g, "settlement approve (buyer, once)", lambda: buyer.credits.ensure_allowance(10**30))
    log.one(g, "buy (partial fill)", lambda: buyer.credits.market.buy(listing, 10))
    log.one(g, "buy (partial fill, again)", lambda: buyer.credits.market.buy(listing, 10))
    log.one(g, "cancel (20 units returned)", lambda: holder.credits.market.cancel(listing))
    whole = holder.credits.market.list_units(tid, 10, PRICE).listing.listing_id
    log.one(g, "buy (fills the listing)", lambda: buyer.credits.market.buy(whole, 10))

    g = "retirement"
    credits = holder.credits.credits
    period = dict(period_start=START_2024, period_end=START_2025)
    log.one(g, "retire (beneficiary's first certificate)",
            lambda: credits.retire(tid, 5, beneficiary=holder.address, reason="voluntary", **period))
    log.one(g, "retire (next certificate)",
            lambda: credits.retire(tid, 5, beneficiary=holder.address, reason="voluntary", **period))
    log.one(g, "retire (backing a meeting claim)",
            lambda: credits.retire(tid, 5, beneficiary=holder.address, reason="meeting 1", claim_kind=ClaimKind.MEETING,
                                   claim_id=keccak(text="meeting:1"), **period))
    tokens = _issue_vintages(verifier, issuer, own, savings, holder.address, "batch", batch_tokens, 1)
    log.one(g, f"retireBatch ({batch_tokens} distinct token ids, one range each)",
            lambda: credits.retire_batch([(t, 1) for t in tokens], beneficiary=holder.address, reason="batch",
                                         **period))
    return issuer.project(own), savings


def _issue_vintages(verifier: CarbonCreditClient, issuer: CarbonCreditClient, project: int, savings: int, to: str,
                    label: str, count: int, units: int, advance: Callable[[], None] | None = None) -> list[int]:
    """`count` token ids of `project`, one vintage each from MIN_VINTAGE, `units` t of each issued to `to`."""
    tokens = []
    for i in range(count):
        vintage = MIN_VINTAGE + i
        vid = _vid(f"{label}-{vintage}")
        verifier.approve_verification(vid, project, vintage, units, CID, savings)
        tokens.append(issuer.issue(vid, to, units).token_id)
        if advance:
            advance()
    return tokens


def _certification_steps(log: GasLog, gov: Party, p: dict[str, Party], tree: Tree) -> None:
    """Criteria → results → apply → district → city → province → suspend → reinstate → revoke."""
    g = "certification"
    cert = gov.certification
    log.one(g, "publishCriteria (low-carbon v1)", lambda: cert.publish_criteria(
        CertificationLevel.LOW_CARBON, 2**127 - 1, 3_000, YEAR, keccak(text="low v1"), CID))
    holder, verifier = p["holder"], p["verifier"].ledger.accounting
    baseline = log.one(g, "submitResult (baseline 2023)", lambda: holder.ledger.accounting.submit(
        tree.institution, tree.institution, _result(START_2023, START_2024, 1_000, "2023")))
    log.one(g, "verifyResult (baseline, Final)", lambda: verifier.verify(baseline, True, CID))
    current = holder.ledger.accounting.submit(tree.institution, tree.institution,
                                              _result(START_2024, START_2025, 300, "2024"))
    verifier.verify(current, True, CID)
    application = ApplicationInput(tree.institution, CertificationLevel.LOW_CARBON, current, baseline, 10_000, 10_000,
                                   CID)
    filed = log.one(g, "applyFor (low-carbon, with a baseline)", lambda: holder.certification.apply(application))
    app = filed.application_id
    for name, party in (("district", p["district"]), ("city", p["city"]), ("province", gov)):
        log.one(g, f"decide ({name}, approve)", lambda party=party: party.certification.decide(app, True, "met", CID))
    city = p["city"].certification
    log.one(g, "suspend", lambda: city.suspend(app, "audit finding"))
    log.one(g, "reinstate", lambda: city.reinstate(app, "finding closed"))
    log.one(g, "revoke", lambda: city.revoke(app, "fraud"))


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, refresh_per_second=4)


def _ranges_distinct(console: Console, log: GasLog, p: dict[str, Party], own: Project, savings: int,
                     ranges: int) -> RangesRun:
    """`ranges` token ids (vintages of a project of their own), 3 t each: one for the batch, one retired alone,
    one left, so neither side empties a balance slot (a storage refund would favour that side)."""
    holder, gov_issuer = p["holder"], p["issuer"].credits.credits
    project = gov_issuer.register_project(own.class_id, own.institution_id, "Vintages").id
    with _progress(console) as progress:
        task = progress.add_task(f"issue {ranges:,} token ids (setup)", total=ranges)
        tokens = _issue_vintages(p["verifier"].credits.credits, gov_issuer, project, savings, holder.address, "ranges",
                                 ranges, 3, lambda: progress.advance(task))
    return _batch_against_singles(console, log, holder, "distinct token ids", [(t, 1) for t in tokens])


def _ranges_one_token(console: Console, log: GasLog, p: dict[str, Party], own: Project, savings: int,
                      ranges: int) -> RangesRun:
    """One token id, 2 × `ranges` + 1 t: `ranges` one-serial ranges in the batch, then `ranges` single
    retirements, one tonne left (no side empties the balance slot)."""
    holder = p["holder"]
    vid = _vid("one-token")
    p["verifier"].credits.credits.approve_verification(vid, own.project_id, VINTAGE - 1, 2 * ranges + 1, CID,
                                                       savings)
    tid = p["issuer"].credits.credits.issue(vid, holder.address, 2 * ranges + 1).token_id
    return _batch_against_singles(console, log, holder, "one token id", [(tid, 1)] * ranges)


def _batch_against_singles(console: Console, log: GasLog, holder: Party, layout: str,
                           items: list[tuple[int, int]]) -> RangesRun:
    credits = holder.credits.credits
    common = dict(beneficiary=holder.address, reason="bench", period_start=START_2024, period_end=START_2025)
    before = len(log.receipts)
    start = time.perf_counter()
    batch = credits.retire_batch(items, **common)
    batch_seconds = time.perf_counter() - start
    if len(batch.ranges) != len(items) or len(log.receipts) != before + 1:
        raise RuntimeError(f"the batch retired {len(batch.ranges)} ranges, expected {len(items)}")
    gas = []
    with _progress(console) as progress:
        task = progress.add_task(f"{len(items):,} single retirements ({layout})", total=len(items))
        start = time.perf_counter()
        for token, amount in items:
            gas.append(credits.retire(token, amount, **common).tx.gas_used)
            progress.advance(task)
        single_seconds = time.perf_counter() - start
    return RangesRun(layout, len(items), batch.tx.gas_used, batch_seconds, gas, single_seconds, batch.tx.hash)


def _render(console: Console, doc: dict) -> None:
    table = Table(title="Gas per step (receipt gasUsed, one transaction each)")
    for column, justify in (("group", "left"), ("step", "left"), ("gas", "right"), ("ms", "right")):
        table.add_column(column, justify=justify)
    group = None
    for s in doc["steps"]:
        if group is not None and s["group"] != group:
            table.add_section()
        table.add_row(s["group"] if s["group"] != group else "", s["step"], f"{s['gas']:,}",
                      f"{s['seconds'] * 1e3:.0f}")
        group = s["group"]
    console.print(table)
    ranges = Table(title=f"Retiring {doc['setup']['ranges']:,} serial ranges: one retireBatch against one by one")
    for column in ("layout", "way", "transactions", "gas", "gas / range", "wall s", "one by one ÷ batch"):
        ranges.add_column(column, justify="left" if column in ("layout", "way") else "right")
    for r in doc["ranges"]:
        b, s = r["batch"], r["single"]
        ranges.add_row(r["layout"], "retireBatch", "1", f"{b['gas']:,}", f"{b['gas_per_range']:,.0f}",
                       f"{b['seconds']:.2f}", "")
        ranges.add_row("", "retire × N", f"{s['transactions']:,}", f"{s['gas']:,}", f"{s['gas_per_range']:,.0f}",
                       f"{s['seconds']:.2f}",
                       f"gas {r['single_over_batch_gas']:.1f}×, time {r['single_over_batch_seconds']:.0f}×")
        ranges.add_section()
    console.print(ranges)
    m, s = doc["machine"], doc["setup"]
    load = "n/a" if s["load_average_start"] is None else f"{s['load_average_start'][0]} → {s['load_average_end'][0]}"
    console.print(f"{m['cpu_model']}, {m['logical_cores']} cores, {m['python']}, anvil "
                  f"{str(m['anvil']).split(' (')[0]}; {s['transactions_sent']:,} transactions; 1-minute load {load} "
                  "(gas depends on the contracts only; timings on the machine)")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        print(f"bench failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
