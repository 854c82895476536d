"""JSON-lines input: both shapes give the same signed bytes; every malformed line is named."""

from __future__ import annotations

import json

import pytest

from ledger.signing import SignedReading
from oracles.jsonl import parse_line, read_jsonl, signed_reading_to_json
from oracles.rejects import ReadingRejected, RejectReason
from tests.ledger.vectors import VECTOR_PAYLOAD, VECTOR_SIGNATURE

SIGNED = SignedReading(VECTOR_PAYLOAD, VECTOR_SIGNATURE)


def test_field_shape_reencodes_to_the_signed_bytes() -> None:
    line = signed_reading_to_json(SIGNED)
    assert json.loads(line)["value"] == "1234.567"
    assert parse_line(line) == SIGNED


def test_payload_shape() -> None:
    line = json.dumps({"payload": "0x" + VECTOR_PAYLOAD.hex(), "signature": VECTOR_SIGNATURE.hex()})
    assert parse_line(line) == SIGNED


def _field_line(**changes) -> str:
    obj = json.loads(signed_reading_to_json(SIGNED))
    obj.update(changes)
    return json.dumps({k: v for k, v in obj.items() if v is not ...})


@pytest.mark.parametrize(
    ("line", "reason", "words"),
    [
        ("{not json", RejectReason.MALFORMED, "not JSON"),
        ("[1, 2]", RejectReason.MALFORMED, "JSON object"),
        (_field_line(sequence="7"), RejectReason.MALFORMED, "sequence must be an integer"),
        (_field_line(value=1234.567), RejectReason.MALFORMED, "never a float"),
        (_field_line(value="NaN"), RejectReason.MALFORMED, "finite"),
        (_field_line(timestamp=...), RejectReason.MALFORMED, "missing field(s): timestamp"),
        (_field_line(signature="0xzz"), RejectReason.MALFORMED, "signature is not valid hex"),
        (_field_line(device_id="0x1234"), RejectReason.MALFORMED, "device_id must be 32 bytes"),
        (_field_line(sequence=-1), RejectReason.OUT_OF_RANGE, "sequence"),
        (_field_line(value="1e40"), RejectReason.OUT_OF_RANGE, "value"),
        (_field_line(value="0.0001"), RejectReason.OUT_OF_RANGE, "without rounding"),
        (_field_line(unit="FURLONG"), RejectReason.OUT_OF_RANGE, "unit"),
        (_field_line(quantity=99), RejectReason.OUT_OF_RANGE, "quantity"),
    ],
)
def test_bad_lines_are_rejected_with_a_specific_reason(line: str, reason: RejectReason, words: str) -> None:
    with pytest.raises(ReadingRejected) as caught:
        parse_line(line)
    assert caught.value.reason == reason
    assert words in str(caught.value)


def test_a_bad_line_does_not_stop_the_file(tmp_path) -> None:
    path = tmp_path / "readings.jsonl"
    path.write_text(signed_reading_to_json(SIGNED) + "\n{oops\n\n" + signed_reading_to_json(SIGNED) + "\n")
    items = list(read_jsonl(path))
    assert [source for source, _ in items] == ["readings.jsonl:1", "readings.jsonl:2", "readings.jsonl:4"]
    assert isinstance(items[1][1], ReadingRejected) and items[0][1] == items[2][1] == SIGNED
