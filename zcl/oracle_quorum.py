"""`zcl oracle quorum` (an admin requires k of n oracles per batch) and `zcl oracle approve` (an oracle co-signs).

An approval is an EIP-712 signature (oracles/approvals.py) that this oracle gives only after
re-deriving the batch's root from its evidence; anyone may submit it, here the oracle itself does.
"""

from __future__ import annotations

import json

import typer
from rich.table import Table

from ledger.chain.connection import ContractRevert
from oracles.approvals import ApprovalRefused, approve_if_rederived
from zcl import context as ctx
from zcl.context import EXIT_FINDINGS, console, reports_errors


@reports_errors
def oracle_quorum(
    institution: int = typer.Argument(..., help="Institution node."),
    threshold: int = typer.Argument(None, min=0, max=32, help="Approvals each batch needs (0: no quorum)."),
    oracles: list[str] = typer.Argument(None, help="The oracle addresses that may approve (0x…)."),
) -> None:
    """Show the institution's quorum, or set it: batches anchored from now on count only with THRESHOLD
    approvals from ORACLES (institution admin key; every oracle must be authorised)."""
    contracts = ctx.contracts()
    ledger = contracts.attestations
    if threshold is not None:
        addresses = [_address(a) for a in oracles or []]
        receipt = ledger.set_quorum(institution, threshold, addresses)
        console.print(f"quorum set in {receipt['transactionHash'].hex()}")
    current, members = ledger.quorum_of(institution)
    console.print(f"institution {institution}: " + (
        "no quorum: a batch counts once anchored" if current == 0 else
        f"{current} of {len(members)} oracles must approve each batch: {', '.join(members)}"))


@reports_errors
def oracle_approve(
    institution: int = typer.Option(..., help="Institution whose batches to approve."),
    roots: list[str] = typer.Argument(None, help="Batch roots (0x…); default: every batch still short of approvals."),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
) -> None:
    """Re-derive each batch's root from its evidence and, if it matches, approve it with this oracle's key
    (EIP-712) and submit the approval. Exit 1 if any batch was refused."""
    contracts = ctx.contracts()
    ledger = contracts.attestations
    account = ledger.chain.account
    if account is None:
        raise ctx.fail("approving needs this oracle's key (ZCL_PRIVATE_KEY or ZCL_KEYSTORE)")
    evidence = ctx.evidence_store()
    if roots:
        wanted = [ctx.parse_bytes32(r, "batch root") for r in roots]
    else:
        wanted = [root for root, required in ledger.awaiting_approvals(institution).items()
                  if ledger.approvals_of(root)[1] < required]
    outcomes: list[dict[str, object]] = []
    for root in wanted:
        outcome: dict[str, object] = {"root": "0x" + root.hex()}
        try:
            approval = approve_if_rederived(ledger, evidence, account, root)
            ledger.approve_batch(root, [approval.oracle], [approval.signature])
            required, given = ledger.approvals_of(root)
            outcome.update(approved=True, approvals=given, required=required, counts=given >= required)
        except ApprovalRefused as refused:
            outcome.update(approved=False, reason=refused.reason)
        except ContractRevert as revert:
            if revert.name != "AlreadyApproved":
                raise
            required, given = ledger.approvals_of(root)
            outcome.update(approved=True, approvals=given, required=required, counts=given >= required,
                           reason="approved before")
        outcomes.append(outcome)
    _print(outcomes, as_json)
    if any(not o["approved"] for o in outcomes):
        raise typer.Exit(EXIT_FINDINGS)


def _print(outcomes: list[dict[str, object]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(outcomes, indent=1))
        return
    if not outcomes:
        console.print("no batch waits for approvals")
        return
    table = Table(title="Batch approvals")
    for column in ("root", "approved", "approvals", "counts", "note"):
        table.add_column(column)
    for o in outcomes:
        table.add_row(str(o["root"])[:18] + "…", "yes" if o["approved"] else "[red]refused[/red]",
                      f"{o.get('approvals', '-')} of {o.get('required', '-')}", "yes" if o.get("counts") else "no",
                      str(o.get("reason", "")))
    console.print(table)


def _address(text: str) -> str:
    from web3 import Web3

    if not Web3.is_address(text):
        raise ctx.fail(f"not an address: {text!r}")
    return Web3.to_checksum_address(text)
