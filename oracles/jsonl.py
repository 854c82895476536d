"""Signed readings from a JSON-lines file, one reading per line, in either of two shapes:

    {"payload": "0x<68 bytes hex>", "signature": "0x<64 bytes hex>"}
    {"device_id": "0x<32 bytes hex>", "sequence": 7, "timestamp": 1767225600,
     "quantity": "ACTIVE_ENERGY_IMPORT", "unit": "KWH", "value": "1234.567", "scale": -3,
     "signature": "0x<64 bytes hex>"}

The second shape is re-encoded canonically (ledger/encoding.py) before the signature is
checked, so both describe the same signed bytes. A line that cannot be read becomes a
ReadingRejected naming the line and the problem; it never stops the rest of the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ledger.encoding import EncodingError, Quantity, Reading, Unit, encode_reading, to_fixed_point
from ledger.signing import SignedReading
from oracles.rejects import ReadingRejected, RejectReason

_FIELDS = ("device_id", "sequence", "timestamp", "quantity", "unit", "value", "scale", "signature")


def read_jsonl(path: Path) -> Iterator[tuple[str, SignedReading | ReadingRejected]]:
    with path.open(encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            source = f"{path.name}:{number}"
            try:
                yield source, parse_line(line)
            except ReadingRejected as rejected:
                yield source, rejected


def signed_reading_to_json(signed: SignedReading) -> str:
    r = signed.reading
    return json.dumps({
        "device_id": "0x" + r.device_id.hex(),
        "sequence": r.sequence,
        "timestamp": r.timestamp,
        "quantity": r.quantity.name,
        "unit": r.unit.name,
        "value": str(r.decimal_value),
        "scale": r.scale,
        "signature": "0x" + signed.signature.hex(),
    })


def parse_line(line: str) -> SignedReading:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ReadingRejected(RejectReason.MALFORMED, f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(obj, dict):
        raise ReadingRejected(RejectReason.MALFORMED, f"expected a JSON object, got {type(obj).__name__}")
    signature = _hex(obj, "signature", 64)
    if "payload" in obj:
        return SignedReading(_hex(obj, "payload", 68), signature)
    missing = [f for f in _FIELDS if f not in obj]
    if missing:
        raise ReadingRejected(RejectReason.MALFORMED, f"missing field(s): {', '.join(missing)}")
    device_id = _hex(obj, "device_id", 32)
    try:
        scale = _int(obj, "scale")
        reading = Reading(
            device_id=device_id,
            sequence=_int(obj, "sequence"),
            timestamp=_int(obj, "timestamp"),
            quantity=_code(Quantity, obj, "quantity"),
            unit=_code(Unit, obj, "unit"),
            scale=scale,
            value=to_fixed_point(_decimal_text(obj, "value"), scale),
        )
        payload = encode_reading(reading)
    except EncodingError as exc:
        raise ReadingRejected(RejectReason.OUT_OF_RANGE, str(exc), device_id, obj.get("sequence")) from None
    return SignedReading(payload, signature)


def _hex(obj: dict, name: str, length: int) -> bytes:
    value = obj.get(name)
    if not isinstance(value, str):
        raise ReadingRejected(RejectReason.MALFORMED, f"{name} must be a hex string")
    try:
        raw = bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raise ReadingRejected(RejectReason.MALFORMED, f"{name} is not valid hex") from None
    if len(raw) != length:
        raise ReadingRejected(RejectReason.MALFORMED, f"{name} must be {length} bytes, got {len(raw)}")
    return raw


def _int(obj: dict, name: str) -> int:
    value = obj[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise ReadingRejected(RejectReason.MALFORMED, f"{name} must be an integer, got {type(value).__name__}")
    return value


def _decimal_text(obj: dict, name: str) -> str:
    value = obj[name]
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ReadingRejected(RejectReason.MALFORMED, f"{name} must be a decimal string or integer (never a float)")
    text = str(value)
    try:
        if not Decimal(text).is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise ReadingRejected(RejectReason.MALFORMED, f"{name} {text!r} is not a finite decimal") from None
    return text


def _code(table: type, obj: dict, name: str) -> int:
    value = obj[name]
    if isinstance(value, str) and value in table.__members__:
        return table[value]
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return table(value)
        except ValueError:
            pass
    raise ReadingRejected(RejectReason.OUT_OF_RANGE, f"{name} {value!r} is not a known {table.__name__}")
