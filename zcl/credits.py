"""`zcl credits …`: credit classes, projects, verifications, issuance, external imports, balances,
transfers and certificates (CarbonCredit, ERC-1155; one unit is one tonne CO2e)."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from ledger.chain.codes import decode_token_id
from ledger.chain.credits import CREDIT_ROLES, CarbonCreditClient, Issuance
from zcl import context as ctx
from zcl.context import console, reports_errors
from zcl.credit_args import (
    TOKEN_HELP,
    claim_kind_name,
    claim_text,
    credit_contracts,
    parse_address,
    parse_amount,
    parse_token,
    parse_verification_id,
    token_label,
    tx_line,
    when,
)

credits_app = typer.Typer(help="Carbon credits: classes, projects, verification, issuance, balances, transfers.",
                          no_args_is_help=True)


@credits_app.command("grant")
@reports_errors
def grant(role: str = typer.Argument(..., help="verifier or issuer"), account: str = typer.Argument(...)) -> None:
    """Give ACCOUNT the verifier or issuer role (governance key)."""
    if role not in CREDIT_ROLES:
        raise ctx.fail(f"role must be one of {', '.join(CREDIT_ROLES)}; got {role!r}")
    account = parse_address(account)
    bundle = credit_contracts()
    console.print(tx_line(f"{account} is now a credit {role}", bundle.credits.grant_role(role, account)))


@credits_app.command("class")
@reports_errors
def create_class(standard: str, methodology: str,
                 external: bool = typer.Option(False, "--external", help="Credits of an outside registry (VCS, GS, CCER).")) -> None:
    """Create a credit class for a standard and methodology (governance key)."""
    credits = credit_contracts().credits
    created = credits.create_class(standard, methodology, external)
    console.print(tx_line(f"credit class {created.id} created", created.tx))
    _print_class(credits, created.id)


@credits_app.command("project")
@reports_errors
def register_project(class_id: int = typer.Argument(..., metavar="CLASS"), name: str = typer.Argument(...),
                     institution: int = typer.Option(0, help="Institution node whose reductions it credits (0: none).")) -> None:
    """Register a project of a credit class (issuer key)."""
    credits = credit_contracts().credits
    created = credits.register_project(class_id, institution, name)
    console.print(tx_line(f"project {created.id} registered", created.tx))
    _print_project(credits, created.id)


@credits_app.command("verify")
@reports_errors
def approve_verification(
    project: int = typer.Argument(...),
    vintage: int = typer.Option(..., help="Year the reductions happened."),
    tonnes: int = typer.Option(..., help="Verified reductions (M&V savings) in whole tonnes."),
    evidence: str = typer.Option(..., help="CID of the verification report."),
    result: int = typer.Option(0, "--result", min=0, help="The institution's Final Savings result (AccountingLedger id) "
                                                             "verified; required for an internal class, 0 for external."),
    verification_id: str = typer.Option(None, "--id", help="32-byte hex id, or text hashed into one; default the evidence CID."),
) -> None:
    """Approve a verification, allowing issuance up to TONNES for the project's vintage (verifier key).

    The institution's own credits are verified against its M&V savings on chain: the contract refuses
    TONNES beyond what is left of the cited Savings result.
    """
    vid = parse_verification_id(verification_id or evidence)
    credits = credit_contracts().credits
    tx = credits.approve_verification(vid, project, vintage, parse_amount(tonnes, "--tonnes"), evidence, result)
    console.print(tx_line(f"verification 0x{vid.hex()} approved", tx))
    v = credits.verification(vid)
    console.print(f"project {v.project_id}, vintage {v.vintage}: {v.verified_tonnes:,} t verified, "
                  f"{v.remaining_tonnes:,} t issuable", highlight=False)
    if v.result_id:
        _print_savings(credits, v.result_id)


@credits_app.command("savings")
@reports_errors
def savings(result: int = typer.Argument(..., help="AccountingLedger result id.")) -> None:
    """How many tonnes of a Savings result have been verified, and how many are left."""
    _print_savings(credit_contracts().credits, result)


def _print_savings(credits: CarbonCreditClient, result_id: int) -> None:
    b = credits.savings(result_id)
    console.print(f"savings result {b.result_id}: {b.savings_tonnes:,} t saved, {b.verified_tonnes:,} t verified, "
                  f"{b.available_tonnes:,} t left", highlight=False)


def _print_issuance(credits: CarbonCreditClient, issuance: Issuance) -> None:
    console.print(tx_line(f"issued {issuance.serials.count:,} t of {token_label(issuance.token_id)} to {issuance.to}, "
                          f"serials {issuance.serials.first_serial:,}–{issuance.serials.last_serial:,}", issuance.tx),
                  highlight=False)
    _print_supply(credits, issuance.token_id)


@credits_app.command("issue")
@reports_errors
def issue(verification: str = typer.Argument(..., help="Verification id (as given to `credits verify`)."),
          amount: int = typer.Argument(...),
          to: str = typer.Option(..., help="Receiving account.")) -> None:
    """Issue credits against an approved verification as the token's next serial range (issuer key)."""
    credits = credit_contracts().credits
    _print_issuance(credits, credits.issue(parse_verification_id(verification), parse_address(to, "--to"),
                                  parse_amount(amount)))


@credits_app.command("import-external")
@reports_errors
def import_external(verification: str, amount: int,
                    serial: str = typer.Option(..., help="The outside registry's serial block, e.g. a Verra serial."),
                    to: str = typer.Option(..., help="Receiving account.")) -> None:
    """Bring in credits of an external registry (VCS, GS, CCER) with their registry serial; once per serial."""
    credits = credit_contracts().credits
    issuance = credits.import_external(parse_verification_id(verification), parse_address(to, "--to"),
                                       parse_amount(amount), serial)
    console.print(f"external serial {serial!r} recorded", highlight=False)
    _print_issuance(credits, issuance)


@credits_app.command("balance")
@reports_errors
def balance(account: str = typer.Argument(None, help="Default: the signing account."),
            token: str = typer.Option(None, help=TOKEN_HELP),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """Credits held by an account, per token."""
    credits = credit_contracts().credits
    account = parse_address(account) if account else credits.me
    holdings = {parse_token(token): credits.balance(account, parse_token(token))} if token else credits.holdings(account)
    if as_json:
        console.print_json(json.dumps({"account": account, "balances": {str(t): b for t, b in holdings.items()}}))
        return
    table = Table(title=f"credits of {account}")
    for column in ("token (class/project/vintage)", "token id", "tonnes"):
        table.add_column(column)
    for token_id, amount in holdings.items():
        table.add_row(token_label(token_id), hex(token_id), f"{amount:,}")
    console.print(table)


@credits_app.command("show")
@reports_errors
def show(token: str = typer.Argument(..., help=TOKEN_HELP)) -> None:
    """A token's class, project, supply and issuance batches (serial ranges)."""
    _print_supply(credit_contracts().credits, parse_token(token), batches=True)


@credits_app.command("transfer")
@reports_errors
def transfer(token: str = typer.Argument(..., help=TOKEN_HELP), amount: int = typer.Argument(...),
             to: str = typer.Argument(...)) -> None:
    """Send credits from the signing account."""
    credits = credit_contracts().credits
    token_id, to = parse_token(token), parse_address(to, "recipient")
    tx = credits.transfer(to, token_id, parse_amount(amount))
    console.print(tx_line(f"sent {amount:,} t of {token_label(token_id)} to {to}", tx), highlight=False)
    console.print(f"balances now: {credits.me} {credits.balance(credits.me, token_id):,} t; "
                  f"{to} {credits.balance(to, token_id):,} t", highlight=False)


@credits_app.command("certificate")
@reports_errors
def show_certificate(certificate_id: int, as_json: bool = typer.Option(False, "--json")) -> None:
    """A retirement certificate: beneficiary, claim, period, tonnes and the exact serial ranges retired."""
    bundle = credit_contracts()
    record = bundle.certificates.certificate(certificate_id)
    retirement = bundle.credits.retirement(certificate_id)
    matches = bundle.certificates.ranges_match(certificate_id, retirement.ranges)
    if as_json:
        console.print_json(json.dumps({
            "certificate": certificate_id, "beneficiary": record.owner, "retiree": retirement.retiree,
            "tonnes": record.tonnes, "claim_kind": claim_kind_name(record.claim_kind),
            "claim_id": "0x" + record.claim_id.hex(), "period": [record.period_start, record.period_end],
            "reason": record.reason, "ranges": [r.as_tuple() for r in retirement.ranges],
            "ranges_match_chain": matches, "transaction": retirement.tx.hash}))
        return
    table = Table(title=f"retirement certificate {certificate_id} (soulbound)", show_header=False)
    for name, value in (
        ("beneficiary", record.owner), ("retired by", retirement.retiree), ("tonnes", f"{record.tonnes:,}"),
        ("claim", claim_text(record.claim_kind, record.claim_id)),
        ("period", f"{when(record.period_start)} – {when(record.period_end)}"), ("reason", record.reason),
        ("retired at", when(record.retired_at)),
        ("serial ranges", "; ".join(f"{token_label(r.token_id)} #{r.first_serial:,}–{r.last_serial:,}"
                                    for r in retirement.ranges)),
        ("ranges match the on-chain hash", "yes" if matches else "NO"), ("transaction", retirement.tx.hash),
    ):
        table.add_row(name, value)
    console.print(table)


def _print_class(credits: CarbonCreditClient, class_id: int) -> None:
    c = credits.credit_class(class_id)
    console.print(f"class {c.class_id}: {c.standard} / {c.methodology} "
                  f"({'external registry' if c.is_external else 'issued from verified savings'})", highlight=False)


def _print_project(credits: CarbonCreditClient, project_id: int) -> None:
    p = credits.project(project_id)
    console.print(f"project {p.project_id}: class {p.class_id}, institution {p.institution_id or '-'}, "
                  f"{p.verified_tonnes:,} t verified, {p.issued_tonnes:,} t issued", highlight=False)


def _print_supply(credits: CarbonCreditClient, token_id: int, batches: bool = False) -> None:
    class_id, project_id, vintage = decode_token_id(token_id)
    supply = credits.supply(token_id)
    table = Table(title=f"token {token_label(token_id)} ({hex(token_id)})", show_header=False)
    if supply.issued:
        c, p = credits.credit_class(class_id), credits.project(project_id)
        table.add_row("class", f"{class_id}: {c.standard} / {c.methodology}")
        table.add_row("project", f"{project_id} (institution {p.institution_id or '-'}), vintage {vintage}")
    table.add_row("issued / retired / circulating (t)",
                  f"{supply.issued:,} / {supply.retired:,} / {supply.circulating:,}")
    table.add_row("retired serials", f"1–{supply.retired:,}" if supply.retired else "none")
    console.print(table)
    if batches and supply.batch_count:
        batch_table = Table(title="issuance batches")
        for column in ("#", "serials", "issued at", "verification"):
            batch_table.add_column(column)
        for b in credits.issuance_batches(token_id):
            batch_table.add_row(str(b.index), f"{b.first_serial:,}–{b.last_serial:,}", when(b.issued_at),
                                "0x" + b.verification_id.hex())
        console.print(batch_table)
