"""Why a reading was refused, as a value: raised by the gate, written to the rejects log."""

from __future__ import annotations

import json
import time
from enum import Enum
from pathlib import Path


class RejectReason(str, Enum):
    MALFORMED = "malformed"  # not JSON, wrong types, missing fields
    OUT_OF_RANGE = "out_of_range"  # a field outside its encoding range or an unknown code
    UNKNOWN_DEVICE = "unknown_device"
    WRONG_INSTITUTION = "wrong_institution"  # device registered to another institution than this oracle serves
    DEVICE_SUSPENDED = "device_suspended"
    DEVICE_RETIRED = "device_retired"
    UNIT_MISMATCH = "unit_mismatch"  # reading's unit differs from the device's registered unit
    NO_KEY_FOR_SEQUENCE = "no_key_for_sequence"
    ROTATED_OUT_KEY = "rotated_out_key"  # signed by a key that is no longer valid for this sequence
    BAD_SIGNATURE = "bad_signature"
    REPLAYED = "replayed"  # this (device, sequence) was already accepted
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"
    TIMESTAMP_BACKWARDS = "timestamp_backwards"  # earlier than a lower sequence's reading, or later than a higher one's
    NEGATIVE_CONSUMPTION = "negative_consumption"  # a cumulative counter went down, and not as a reset or rollover
    IMPLAUSIBLE_JUMP = "implausible_jump"  # a counter grew faster than the device's rating allows


class ReadingRejected(Exception):
    """A reading refused by the oracle: the reason, the reading's identity and a detail for people."""

    def __init__(self, reason: RejectReason, detail: str, device_id: bytes | None = None, sequence: int | None = None) -> None:
        who = f"device 0x{device_id.hex()} seq {sequence}: " if device_id is not None else ""
        super().__init__(f"{who}{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        self.device_id = device_id
        self.sequence = sequence


class RejectsLog:
    """Append-only JSON-lines file of every refused reading, with where it came from."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, rejected: ReadingRejected, source: str, raw: str | None = None) -> None:
        entry = {
            "at": int(time.time()),
            "source": source,
            "reason": rejected.reason.value,
            "detail": rejected.detail,
            "device_id": None if rejected.device_id is None else "0x" + rejected.device_id.hex(),
            "sequence": rejected.sequence,
            "raw": raw,
        }
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def entries(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]

    def counts_by_reason(self) -> dict[str, int]:
        """How many readings were refused for each reason, read line by line (the log can be large).

        A line cut short by a crash mid-write is skipped rather than failing the count.
        """
        counts: dict[str, int] = {}
        if not self.path.exists():
            return counts
        with self.path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    reason = json.loads(line)["reason"]
                except (ValueError, KeyError, TypeError):
                    continue
                counts[reason] = counts.get(reason, 0) + 1
        return counts
