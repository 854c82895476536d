"""Retirement certificates as the API serves them: the chain's record (ledger.reports.certificate) as JSON.

The HTML page is ledger.reports.certificate's renderer, so the API, the CLI and the PDF show the same facts.
"""

from __future__ import annotations

from api.errors import not_found
from ledger.chain.credits import CreditContracts
from ledger.reports.certificate import CertificateRecord, load_certificate


def certificate_record(bundle: CreditContracts, certificate_id: int) -> CertificateRecord:
    """Certificate `certificate_id` from the chain; 404 when it was never issued."""
    if not 1 <= certificate_id <= bundle.certificates.certificate_count():
        raise not_found(f"retirement certificate {certificate_id}")
    return load_certificate(bundle, certificate_id)


def certificate_json(record: CertificateRecord) -> dict[str, object]:
    """Every fact of the page, as JSON (token ids in decimal: they exceed JavaScript's integers)."""
    c, r = record.certificate, record.retirement
    return {
        "certificate_id": c.certificate_id, "owner": c.owner, "retiree": r.retiree, "beneficiary": r.beneficiary,
        "tonnes": c.tonnes, "claim_kind": c.claim_kind.name.lower(), "claim_id": "0x" + c.claim_id.hex(),
        "period_start": c.period_start, "period_end": c.period_end, "retired_at": c.retired_at, "reason": c.reason,
        "ranges": [{"token_id": str(s.token_id), "first_serial": s.first_serial, "last_serial": s.last_serial}
                   for s in r.ranges],
        "ranges_hash": "0x" + c.ranges_hash.hex(), "ranges_match": record.ranges_match,
        "tokens": [{"token_id": str(t.token_id), "class_id": t.class_id, "project_id": t.project_id,
                    "vintage": t.vintage, "standard": t.standard, "methodology": t.methodology} for t in record.tokens],
        "chain_id": record.chain_id, "credit_contract": record.credit_address,
        "certificate_contract": record.certificate_address,
        "transaction_hash": "0x" + r.tx.hash.removeprefix("0x"), "block_number": r.tx.block_number,
    }
