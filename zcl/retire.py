"""`zcl retire`: burn credits (lowest unretired serials) into a soulbound retirement certificate
backing one claim: a certification application, a meeting, or nothing (voluntary)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ledger.calendar import DATE_HELP
from ledger.chain.certification import CertificationClient
from ledger.chain.codes import ClaimKind
from ledger.chain.credits import CreditContracts, ZERO_CLAIM
from zcl import context as ctx
from zcl.context import console, reports_errors
from zcl.credit_args import (
    claim_text,
    parse_address,
    parse_claim_kind,
    parse_level,
    parse_period,
    parse_range,
    parse_retirement_file,
    token_label,
    tx_line,
    when,
)


@reports_errors
def retire_command(
    ranges: list[str] = typer.Option(None, "--range", help="TOKEN:AMOUNT, e.g. 1/1/2024:10; repeat for a batch."),
    file: Path = typer.Option(None, help="A batch: lines `TOKEN AMOUNT` (# comments allowed)."),
    beneficiary: str = typer.Option(None, help="Who the certificate is for; default the signing account."),
    reason: str = typer.Option(..., help="Why the credits are retired (kept on the certificate)."),
    start: str = typer.Option(
        ..., "--from", help=f"Start of the period claimed: ISO date, date-time or unix seconds; {DATE_HELP}."),
    end: str = typer.Option(..., "--to", help="End of the period claimed, exclusive (2024-01-01 to 2025-01-01 is the year 2024)."),
    claim_kind: str = typer.Option("none", help="none, application or meeting."),
    claim_id: str = typer.Option(None, help="The claim's 32-byte id (hex)."),
    for_certification: str = typer.Option(
        None, help="INSTITUTION:LEVEL, e.g. 4:zero-carbon: back that certification claim for the period."),
) -> None:
    """Retire credits in one transaction and print the certificate with its serial ranges."""
    items = [parse_range(r) for r in ranges or []] + (parse_retirement_file(file) if file else [])
    if not items:
        raise ctx.fail("nothing to retire: give --range TOKEN:AMOUNT (repeatable) or --file")
    period_start, period_end = parse_period(start, end)
    contracts = ctx.contracts()
    bundle = CreditContracts.of(contracts)
    kind, claim = parse_claim_kind(claim_kind), ZERO_CLAIM
    if for_certification:
        kind, claim = ClaimKind.CERTIFICATION_APPLICATION, _certification_claim(
            CertificationClient.of(contracts), for_certification, period_start, period_end)
    elif claim_id:
        claim = ctx.parse_bytes32(claim_id, "--claim-id")
    if (kind is ClaimKind.NONE) != (claim == ZERO_CLAIM):
        raise ctx.fail("a claim kind other than `none` needs --claim-id (or --for-certification); `none` takes no id")
    beneficiary = parse_address(beneficiary, "--beneficiary") if beneficiary else bundle.credits.me
    terms = dict(beneficiary=beneficiary, reason=reason, period_start=period_start, period_end=period_end,
                 claim_kind=kind, claim_id=claim)
    if len(items) == 1:
        retirement = bundle.credits.retire(*items[0], **terms)
    else:
        retirement = bundle.credits.retire_batch(items, **terms)
    console.print(tx_line(f"retired {retirement.tonnes:,} t in {len(retirement.ranges)} range(s); "
                          f"certificate {retirement.certificate_id} minted to {retirement.beneficiary}", retirement.tx),
                  highlight=False)
    table = Table(title=f"retirement certificate {retirement.certificate_id}")
    for column in ("token", "serials", "tonnes"):
        table.add_column(column)
    for r in retirement.ranges:
        table.add_row(token_label(r.token_id), f"{r.first_serial:,}–{r.last_serial:,}", f"{r.count:,}")
    console.print(table)
    console.print(f"claim {claim_text(retirement.claim_kind, retirement.claim_id)}; "
                  f"period {when(retirement.period_start)} – {when(retirement.period_end)}; "
                  f"reason {retirement.reason!r}", highlight=False, soft_wrap=True)


def _certification_claim(certification: CertificationClient, value: str, start: int, end: int) -> bytes:
    institution, sep, level = value.partition(":")
    if not sep or not institution.isdigit():
        raise ctx.fail(f"--for-certification must be INSTITUTION:LEVEL (e.g. 4:zero-carbon), got {value!r}")
    return certification.claim_id_of(int(institution), parse_level(level), start, end)
