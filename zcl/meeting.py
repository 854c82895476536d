"""`zcl meeting footprint|offset|certificate`: a zero-carbon meeting, from its description to its certificate.

The description (JSON or TOML; see `ledger.accounting.meeting.meeting_from_document`) names the room, the
slot, paper and each participant's travel; the room's energy comes from its meters' anchored readings.
"""

from __future__ import annotations

import json
import tomllib
from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table

from ledger.accounting.meeting import (
    InvalidMeeting, Meeting, MeetingFootprint, claim_id_for, meeting_footprint, offset_reason,
    room_energy,
)
from ledger.accounting.meeting_description import meeting_from_document
from ledger.accounting.published import factor_set, methodology
from ledger.accounting.quantities import format_decimal
from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import ClaimKind
from ledger.chain.credits import CreditContracts, NotEnoughCredits, cover_tonnes
from ledger.reports.certificate import load_certificate, render_certificate_html, write_certificate
from zcl import context as ctx
from zcl.account import versioned
from zcl.context import console, reports_errors

meeting_app = typer.Typer(help="Zero-carbon meetings: footprint, offset by retiring credits, certificate.",
                          no_args_is_help=True)

METHODOLOGY = typer.Option("zero-carbon-meeting@1", "--methodology", help="Methodology id@version.")
FACTORS = typer.Option("cn-public-institution@2022.1", "--factors", help="Factor set id@version.")


@meeting_app.command("footprint")
@reports_errors
def footprint_command(
    description: Path = typer.Argument(..., help="Meeting description, .json or .toml."),
    method: str = METHODOLOGY,
    factors: str = FACTORS,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every line of the meeting's footprint, its non-credit offsets, net and the credits that would cover it."""
    footprint = _footprint(description, method, factors)
    if as_json:
        print(json.dumps({**footprint.to_json(), "footprint_sha256": footprint.content_hash}, indent=2,
                         ensure_ascii=False))
        return
    _print_footprint(footprint)


@meeting_app.command("offset")
@reports_errors
def offset_command(
    description: Path = typer.Argument(..., help="Meeting description, .json or .toml."),
    token_ids: list[str] = typer.Option(None, "--token-id", help="Retire from these token ids, in order "
                                        "(hex or decimal; default: every holding, oldest vintage first)."),
    beneficiary: str = typer.Option(None, help="Who the certificate is for (default: the signing account)."),
    method: str = METHODOLOGY,
    factors: str = FACTORS,
) -> None:
    """Retire whole tonnes covering the meeting's net footprint, backing its meeting claim (once per retiree)."""
    footprint = _footprint(description, method, factors)
    _print_footprint(footprint)
    if footprint.credits_tonnes == 0:
        console.print("nothing to retire: the net footprint is zero")
        return
    contracts = ctx.contracts()
    bundle = CreditContracts.of(contracts)
    me = bundle.credits.me
    chosen = [_token_id(t) for t in token_ids] if token_ids else None
    try:
        items = cover_tonnes(bundle.credits.holdings(me), footprint.credits_tonnes, chosen)
    except NotEnoughCredits as short:
        raise ctx.fail(str(short)) from None
    cid = ctx.evidence_store().add(footprint.encode())
    meeting = footprint.meeting
    claim = {"beneficiary": beneficiary or me, "reason": offset_reason(footprint, cid),
             "period_start": meeting.start, "period_end": meeting.end,
             "claim_kind": ClaimKind.MEETING, "claim_id": footprint.claim_id}
    if len(items) == 1:
        retirement = bundle.credits.retire(items[0][0], items[0][1], **claim)
    else:
        retirement = bundle.credits.retire_batch(items, **claim)
    console.print(f"retired {retirement.tonnes} t in {retirement.tx}", highlight=False)
    for r in retirement.ranges:
        console.print(f"  serials {r}", highlight=False)
    console.print(f"certificate #{retirement.certificate_id} to {retirement.beneficiary}; footprint evidence {cid}",
                  highlight=False)


@meeting_app.command("certificate")
@reports_errors
def certificate_command(
    description: Path = typer.Argument(..., help="Meeting description, .json or .toml."),
    certificate: int = typer.Option(None, "--certificate", help="Certificate id (default: the one the retiree "
                                    "backed this meeting's claim with)."),
    retiree: str = typer.Option(None, help="Whose retirement to show (default: the signing account)."),
    out: Path = typer.Option(Path("certificate.html"), help="Where to write the HTML page."),
    pdf: bool = typer.Option(False, help="Also print it to PDF (needs Chromium)."),
    explorer: str = typer.Option("/explorer", help="Base URL of the block explorer the page links to."),
    method: str = METHODOLOGY,
    factors: str = FACTORS,
) -> None:
    """The retirement certificate backing this meeting, with its footprint next to the retired tonnes."""
    contracts = ctx.contracts()
    footprint = _footprint(description, method, factors, contracts)
    bundle = CreditContracts.of(contracts)
    if certificate is None:
        who = retiree or bundle.credits.me
        certificate = bundle.certificates.certificate_for_claim(ClaimKind.MEETING, footprint.claim_id, who)
        if certificate == 0:
            raise ctx.fail(f"no certificate backs meeting claim 0x{footprint.claim_id.hex()} for retiree {who}",
                           ctx.ExitCode.FINDINGS)
    record = load_certificate(bundle, certificate)
    pdf_path = write_certificate(render_certificate_html(record, footprint, explorer), out, pdf)
    console.print(f"certificate #{certificate}: {record.certificate.tonnes} t for a net footprint of "
                  f"{footprint.net}; page written to {out}", highlight=False)
    if pdf:
        console.print(f"PDF written to {pdf_path}" if pdf_path else "no Chromium found: HTML only")


def load_meeting(path: Path) -> Meeting:
    """Parse a .json or .toml description (numbers as Decimal); errors name the file and the field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ctx.fail(f"cannot read meeting file {path}: {exc.strerror}") from None
    try:
        if path.suffix == ".toml":
            document = tomllib.loads(text, parse_float=Decimal)
        elif path.suffix == ".json":
            document = json.loads(text, parse_float=Decimal)
        else:
            raise ctx.fail(f"meeting file {path}: expected a .json or .toml file")
        return meeting_from_document(document)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        if isinstance(exc, InvalidMeeting):
            raise ctx.fail(f"meeting file {path}: {exc}") from None
        if isinstance(exc, (json.JSONDecodeError, tomllib.TOMLDecodeError)):
            raise ctx.fail(f"meeting file {path} is not valid {path.suffix[1:].upper()}: {exc}") from None
        raise ctx.fail(f"meeting file {path}: {exc}") from None


def _footprint(description: Path, method: str, factors: str,
               contracts: LedgerContracts | None = None) -> MeetingFootprint:
    meeting = load_meeting(description)
    chosen_method = methodology(*versioned(method, "--methodology"))
    chosen_factors = factor_set(*versioned(factors, "--factors"))
    contracts = contracts or ctx.contracts()
    energy = room_energy(contracts, ctx.evidence_store(), meeting.room_id, meeting.start, meeting.end)
    return meeting_footprint(meeting, energy, claim_id_for(contracts, meeting), chosen_method, chosen_factors)


def _print_footprint(footprint: MeetingFootprint) -> None:
    m = footprint.meeting
    table = Table(title=f"Meeting {m.title!r} in room {m.room_id}: {footprint.methodology_label} "
                        f"with {footprint.factor_set_label}")
    for column, justify in (("line", "left"), ("for", "left"), ("activity", "right"), ("factor", "left"),
                            ("kgCO2e", "right")):
        table.add_column(column, justify=justify)
    for l in footprint.lines:
        sign = "−" if l.category == "offset" else ""
        subject = f"meter {l.subject[:10]}…{l.subject[-4:]}" if l.category == "energy" else l.subject
        table.add_row(l.category, subject, str(l.line.amount), f"{l.line.factor_key} = {l.line.factor}",
                      sign + format_decimal(l.line.rounded.value))
    table.add_section()
    table.add_row("gross", "", "", "", format_decimal(footprint.gross.value))
    table.add_row("offsets", "non-credit", "", f"claimed {footprint.offsets_claimed}",
                  "−" + format_decimal(footprint.offsets.value))
    table.add_row("net", "", "", "", format_decimal(footprint.net.value))
    table.add_row("credits", "to retire", "", "whole tonnes, rounded up", f"{footprint.credits_tonnes} t")
    console.print(table)
    for note in footprint.notes:
        console.print(note, highlight=False)
    console.print(f"claim id 0x{footprint.claim_id.hex()}; energy from {len(footprint.batch_roots)} anchored "
                  f"batch(es) (--json lists them)", highlight=False)


def _token_id(text: str) -> int:
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        raise ctx.fail(f"--token-id must be a decimal or 0x-hex token id, got {text!r}") from None

