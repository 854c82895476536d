"""A retirement certificate as a page: every fact read from the chain, each linked to its on-chain proof.

The certificate record (RetirementCertificate.certificateOf and its owner, the beneficiary), the serial
ranges and the retiring transaction (CarbonCredit's CreditsRetired event), whether those ranges are the
ones the certificate pins (`rangesMatch`, asked of the contract), and each token id's class, project and
vintage. For a meeting claim the page also shows the meeting's footprint — recomputed by the caller from
attested readings and the meeting's description — next to the retired tonnes, refusing a footprint whose
claim id is not the certificate's. Rendered with the Jinja2 template beside this file; PDF through the
one Chromium path, `ledger.reports.annual.to_pdf`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ledger.accounting.meeting import MeetingFootprint, footprint_cid_in_reason
from ledger.accounting.metered import CHINA_STANDARD_TIME
from ledger.accounting.quantities import Quantity, format_decimal, tco2e_to_kgco2e
from ledger.chain.codes import ClaimKind, SerialRange, decode_token_id
from ledger.chain.credits import Certificate, CreditContracts, Retirement
from ledger.evidence import compute_cid
from ledger.reports.annual import to_pdf
from ledger.reports.svg import horizontal_bars

TEMPLATE = "certificate.html.j2"
_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=True, undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)


class FootprintMismatch(ValueError):
    """A footprint offered for a certificate whose claim is not that meeting's."""


@dataclass(frozen=True)
class TokenInfo:
    token_id: int
    class_id: int
    project_id: int
    vintage: int
    standard: str
    methodology: str


@dataclass(frozen=True)
class CertificateRecord:
    """What the chain says about one retirement certificate."""

    chain_id: int
    credit_address: str
    certificate_address: str
    certificate: Certificate
    retirement: Retirement
    ranges_match: bool  # RetirementCertificate.rangesMatch(id, the event's ranges)
    tokens: tuple[TokenInfo, ...]


def load_certificate(bundle: CreditContracts, certificate_id: int) -> CertificateRecord:
    """Read certificate `certificate_id` and its retirement from the chain (ERC721NonexistentToken if none)."""
    certificate = bundle.certificates.certificate(certificate_id)
    retirement = bundle.credits.retirement(certificate_id)
    tokens = []
    for token_id in sorted({r.token_id for r in retirement.ranges}):
        class_id, project_id, vintage = decode_token_id(token_id)
        credit_class = bundle.credits.credit_class(class_id)
        tokens.append(TokenInfo(token_id, class_id, project_id, vintage, credit_class.standard, credit_class.methodology))
    return CertificateRecord(
        chain_id=bundle.credits.chain.chain_id,
        credit_address=bundle.credits.contract.address,
        certificate_address=bundle.certificates.contract.address,
        certificate=certificate, retirement=retirement,
        ranges_match=bundle.certificates.ranges_match(certificate_id, retirement.ranges),
        tokens=tuple(tokens),
    )


def render_certificate_html(record: CertificateRecord, footprint: MeetingFootprint | None = None,
                            explorer: str = "/explorer") -> str:
    """The certificate page; `footprint` only for a meeting claim, and only that meeting's."""
    certificate = record.certificate
    if footprint is not None:
        if certificate.claim_kind != ClaimKind.MEETING or footprint.claim_id != certificate.claim_id:
            raise FootprintMismatch(
                f"certificate {certificate.certificate_id} backs {certificate.claim_kind.name} claim "
                f"0x{certificate.claim_id.hex()}, not meeting claim 0x{footprint.claim_id.hex()}")
    return _ENV.get_template(TEMPLATE).render(
        record=record, c=certificate, r=record.retirement, kind=certificate.claim_kind.name.replace("_", " ").lower(),
        period=(_moment(certificate.period_start), _moment(certificate.period_end)),
        retired_at=_moment(certificate.retired_at),
        ranges=[_range_row(r) for r in record.retirement.ranges],
        tokens=record.tokens,
        tx_link=f"{explorer}/tx/{record.retirement.tx.hash}",
        block_link=f"{explorer}/block/{record.retirement.tx.block_number}",
        address_link=lambda a: f"{explorer}/address/{a}",
        meeting=_meeting_view(footprint, certificate) if footprint is not None else None,
    )


def write_certificate(html: str, out: Path, pdf: bool) -> Path | None:
    """Write the page; with `pdf`, print it beside (same name, .pdf). The PDF path, or None when not printed."""
    out.write_text(html, encoding="utf-8")
    if not pdf:
        return None
    pdf_path = out.with_suffix(".pdf")
    return pdf_path if to_pdf(out, pdf_path) else None


def _range_row(r: SerialRange) -> dict[str, object]:
    class_id, project_id, vintage = decode_token_id(r.token_id)
    return {"token_id": f"{r.token_id:#x}", "label": f"class {class_id} · project {project_id} · vintage {vintage}",
            "first": r.first_serial, "last": r.last_serial, "count": r.count}


def _meeting_view(footprint: MeetingFootprint, certificate: Certificate) -> dict[str, object]:
    retired_kg = tco2e_to_kgco2e(Quantity(certificate.tonnes, "tCO2e"))
    categories = footprint.by_category()
    recorded_cid = footprint_cid_in_reason(certificate.reason)
    recomputed_cid = compute_cid(footprint.encode())
    return {
        "footprint": footprint,
        "lines": [{"category": l.category, "subject": l.subject, "activity": l.line.activity,
                   "amount": str(l.line.amount), "factor": f"{l.line.factor_key} = {l.line.factor}",
                   "kg": format_decimal(l.line.rounded.value)} for l in footprint.lines],
        "gross": format_decimal(footprint.gross.value), "offsets": format_decimal(footprint.offsets.value),
        "offsets_claimed": format_decimal(footprint.offsets_claimed.value), "net": format_decimal(footprint.net.value),
        "retired_kg": format_decimal(retired_kg.value), "covers": retired_kg >= footprint.net,
        "slot": (_moment(footprint.meeting.start), _moment(footprint.meeting.end)),
        "recorded_cid": recorded_cid, "recomputed_cid": recomputed_cid,
        "chart": horizontal_bars([(f"{name} (kgCO2e)", q.value) for name, q in (
            ("energy", categories["energy"]), ("paper", categories["paper"]), ("travel", categories["travel"]),
            ("offsets, non-credit", footprint.offsets))], "kgCO2e of the meeting"),
    }


def _moment(unix: int) -> str:
    local = datetime.fromtimestamp(unix, CHINA_STANDARD_TIME)
    utc = datetime.fromtimestamp(unix, timezone.utc)
    return f"{local:%Y-%m-%d %H:%M:%S} +08:00 ({utc:%H:%M} UTC, unix {unix})"
