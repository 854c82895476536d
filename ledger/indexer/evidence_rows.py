"""From an anchored batch's evidence file to index rows: readings with their leaf index, the batch's
device set, and each (device, day, quantity)'s daily figures.

The rows are only written when the file re-derives the anchored root (ledger.batch decodes it,
ledger.merkle gives the root), so every reading in the index is provable against the chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledger.accounting.metered import meter_interval
from ledger.batch import BatchFormatError, decode_batch
from ledger.calendar import local_day, midnight
from ledger.encoding import EncodingError, decode_reading
from ledger.evidence import EvidenceError, EvidenceStore, compute_cid
from ledger.merkle import MerkleTree, reading_leaf

LOADED, MISSING, MALFORMED, ROOT_MISMATCH = "loaded", "missing", "malformed", "root_mismatch"
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class DerivedBatch:
    """What a batch's evidence gives the index, or why it gives nothing."""

    status: str
    detail: str
    readings: list[dict]
    devices: list[dict]


def derive_batch(root: str, institution_id: int, evidence_cid: str, block_number: int,
                 evidence: EvidenceStore) -> DerivedBatch:
    """Rows of idx_readings and idx_batch_devices for batch `root`, checked against the anchor."""
    try:
        data = evidence.cat(evidence_cid)
    except EvidenceError as exc:
        return DerivedBatch(MISSING, str(exc), [], [])
    actual = compute_cid(data, cid_version=1 if evidence_cid.startswith("b") else 0)
    if actual != evidence_cid:
        return DerivedBatch(MALFORMED, f"bytes hash to {actual}, anchored {evidence_cid}", [], [])
    try:
        batch = decode_batch(data)
        decoded = [decode_reading(r.payload) for r in batch.readings]
    except (BatchFormatError, EncodingError) as exc:
        return DerivedBatch(MALFORMED, str(exc), [], [])
    if batch.institution_id != institution_id:
        return DerivedBatch(MALFORMED, f"evidence is for institution {batch.institution_id}", [], [])
    leaves = [reading_leaf(r) for r in batch.readings]
    recomputed = MerkleTree(leaves).root
    if "0x" + recomputed.hex() != root:
        return DerivedBatch(ROOT_MISMATCH, f"evidence gives root 0x{recomputed.hex()}", [], [])
    readings = [
        {
            "batch_root": root, "leaf_index": i, "leaf": "0x" + leaf.hex(), "device_id": "0x" + r.device_id.hex(),
            "sequence": r.sequence, "timestamp": r.timestamp, "quantity": int(r.quantity), "unit": int(r.unit),
            "scale": r.scale, "value": r.decimal_value, "payload": "0x" + signed.payload.hex(),
            "signature": "0x" + signed.signature.hex(), "block_number": block_number,
        }
        for i, (signed, r, leaf) in enumerate(zip(batch.readings, decoded, leaves))
    ]
    devices: dict[str, dict] = {}
    for row in readings:
        entry = devices.setdefault(row["device_id"], {
            "root": root, "device_id": row["device_id"], "reading_count": 0, "first_sequence": row["sequence"],
            "last_sequence": row["sequence"], "block_number": block_number})
        entry["reading_count"] += 1
        entry["first_sequence"] = min(entry["first_sequence"], row["sequence"])
        entry["last_sequence"] = max(entry["last_sequence"], row["sequence"])
    return DerivedBatch(LOADED, "", readings, list(devices.values()))


def day_of(timestamp: int) -> date:
    """The accounting's calendar day (China Standard Time) of a unix timestamp."""
    return local_day(timestamp)


def day_bounds(day: date) -> tuple[int, int]:
    """[start, end) unix seconds of `day` in China Standard Time."""
    start = midnight(day)
    return start, start + SECONDS_PER_DAY


def daily_row(device_id: str, day: date, quantity: int, institution_id: int, scene_id: int,
              readings: Iterable[tuple[int, int, int, Decimal]]) -> dict | None:
    """The idx_daily_usage row of (timestamp, sequence, unit, value) readings of one device-day-quantity."""
    ordered = sorted(readings)
    if not ordered:
        return None
    values = [r[3] for r in ordered]
    return {
        "device_id": device_id, "day": day, "quantity": quantity, "institution_id": institution_id,
        "scene_id": scene_id, "unit": ordered[-1][2], "reading_count": len(ordered),
        "first_timestamp": ordered[0][0], "first_value": values[0], "last_timestamp": ordered[-1][0],
        "last_value": values[-1], "min_value": min(values), "max_value": max(values), "total": sum(values, Decimal(0)),
        "regular": regular_day(ordered),
    }


def regular_day(readings: list[tuple[int, int, int, Decimal]]) -> bool:
    """Whether a day's (timestamp, sequence, unit, value) readings telescope under the accounting's interval rule:
    its last value minus its first is what ledger.accounting.metered counts for every period that contains the
    whole day, so the day may stand as its first and last reading (api/explorer/dashboard_index.py).

    The readings are taken in the accounting's order (by sequence); each consecutive pair must have a later
    sequence, a later timestamp (the rule counts nothing between two readings of one instant), one unit, and
    count, by the rule itself (`meter_interval`, no counter reset), exactly its plain difference."""
    by_sequence = sorted(readings, key=lambda r: (r[1], r[0]))
    for a, b in zip(by_sequence, by_sequence[1:]):
        if b[1] <= a[1] or b[0] <= a[0] or b[2] != a[2]:
            return False
        reset, whole, share, _ = meter_interval(a[0], a[1], a[3], b[0], b[1], b[3], a[0], b[0], 0)
        if reset or share is not None or whole != b[3] - a[3]:
            return False
    return True
