"""Credit and certification gas, and 1,000 serial ranges retired in one transaction against one by one.

    .venv/bin/python -m scripts.bench.credits [--ranges 1000] [--batch-tokens 20] [--name credits]

Starts its own anvil, deploys every contract and drives the real flow through the Python clients
(ledger/chain/credits.py, certification.py, clients.py), each party signing with its own key:
catalogue, a Final Savings result, verifications, issuance, external import, transfer, market,
retirement, and the certification chain district → city → province with suspend, reinstate and
revoke. Every figure is the `gasUsed` of the receipt of the one transaction the client call sent.

Then `--ranges` serial ranges are retired in ONE retireBatch against as many single `retire`
transactions, in two layouts (scripts/bench/credits_ranges.py). Prints tables and writes
bench/results/<name>-<UTC timestamp>.json. Asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from eth_utils import keccak
from rich.console import Console
from rich.table import Table

from ledger.chain.certification import ApplicationInput
from ledger.chain.codes import CertificationLevel, ClaimKind
from ledger.chain.deployment import deploy_contracts
from ledger.chain.devchain import DEV_PRIVATE_KEYS, start_anvil
from ledger.chain.toolchain import activate_toolchain
from scripts.bench.credits_ranges import ranges_distinct, ranges_one_token, render_ranges
from scripts.bench.credits_world import (
    CID, PRICE, START_2023, START_2024, START_2025, VINTAGE, YEAR, Catalogue, GasLog, Party, Tree, build_tree,
    connect_party, issue_vintages, parties_of, result_input, vid,
)
from scripts.bench.machine import load_average, start_bench
from scripts.bench.report import write_results


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
                gov_chain = connect_party(anvil.rpc_url, Path(tmp), DEV_PRIVATE_KEYS[0], log)
                deployment = deploy_contracts(gov_chain)
                deploy_seconds = time.monotonic() - t
                gov, parties = parties_of(gov_chain, deployment, anvil.rpc_url, Path(tmp), log)
                tree = build_tree(gov, parties)
            world_seconds = time.monotonic() - t
            catalogue = _credit_steps(log, gov, parties, tree, args.batch_tokens)
            _certification_steps(log, gov, parties, tree)
            runs = [ranges_distinct(console, log, parties, catalogue, args.ranges),
                    ranges_one_token(console, log, parties, catalogue, args.ranges)]
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


def _credit_steps(log: GasLog, gov: Party, p: dict[str, Party], tree: Tree, batch_tokens: int) -> Catalogue:
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
        tree.institution, tree.institution, result_input(START_2024, START_2025, 1_000_000, "savings")))
    log.one(g, "verifyResult (approve, Final)", lambda: verifier_acc.verify(savings, True, CID))

    g = "verification and issuance"
    verifier = p["verifier"].credits.credits
    log.one(g, "approveVerification (internal, cites the Savings result)",
            lambda: verifier.approve_verification(vid("own"), own, VINTAGE, 500, CID, savings))
    log.one(g, "approveVerification (external)",
            lambda: verifier.approve_verification(vid("vcs"), vcs, VINTAGE, 50, CID))
    holder = p["holder"]
    first = log.one(g, "issue (first batch of a token id)", lambda: issuer.issue(vid("own"), holder.address, 300))
    log.one(g, "issue (next batch, same token id)", lambda: issuer.issue(vid("own"), holder.address, 100))
    log.one(g, "importExternalCredits (27-character serial)",
            lambda: issuer.import_external(vid("vcs"), holder.address, 50, "VCS-4321-2024-000001-000050"))
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
    tokens = issue_vintages(verifier, issuer, vcs, holder.address, "batch", batch_tokens, 1)
    log.one(g, f"retireBatch ({batch_tokens} distinct token ids, one range each)",
            lambda: credits.retire_batch([(t, 1) for t in tokens], beneficiary=holder.address, reason="batch",
                                         **period))
    return Catalogue(issuer.project(own), issuer.project(vcs), savings)


def _certification_steps(log: GasLog, gov: Party, p: dict[str, Party], tree: Tree) -> None:
    """Criteria → results → apply → district → city → province → suspend → reinstate → revoke."""
    g = "certification"
    cert = gov.certification
    log.one(g, "publishCriteria (low-carbon v1)", lambda: cert.publish_criteria(
        CertificationLevel.LOW_CARBON, 2**127 - 1, 3_000, YEAR, keccak(text="low v1"), CID))
    holder, verifier = p["holder"], p["verifier"].ledger.accounting
    baseline = log.one(g, "submitResult (baseline 2023)", lambda: holder.ledger.accounting.submit(
        tree.institution, tree.institution, result_input(START_2023, START_2024, 1_000, "2023")))
    log.one(g, "verifyResult (baseline, Final)", lambda: verifier.verify(baseline, True, CID))
    current = holder.ledger.accounting.submit(tree.institution, tree.institution,
                                              result_input(START_2024, START_2025, 300, "2024"))
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
    render_ranges(console, doc)
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
