"""What `zcl oracle status` shows, gathered from the oracle's own files only (no chain needed).

Devices seen and whether each is online (a reading within `offline_intervals` of its interval), the
last reading and its lag behind the oracle's clock, the spool's depth, rejects by reason, open
alarms, the last anchored batch with its transaction, and what the running oracle last reported
about itself (heartbeat, last anchoring error); for an oracle that co-signs (`--approve`), its
approval decisions by state and the batches it refused, with why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from oracles.alarm_rules import AlarmMonitor
from oracles.alarms import AlarmStore
from oracles.approval_log import ApprovalEntry, ApprovalLog
from oracles.rejects import RejectsLog
from oracles.spool import Spool, SpooledBatch


@dataclass(frozen=True)
class DeviceLine:
    device_id: bytes
    last_sequence: int
    last_timestamp: int
    lag_seconds: int
    interval_seconds: int
    readings: int
    online: bool
    missing_sequences: int = 0  # gaps between its lowest and highest accepted sequence


@dataclass(frozen=True)
class ApprovalStatus:
    """What the co-signing step decided: batches by state, the latest refusals, why it approves nothing."""

    by_state: dict[str, int]
    refused: list[ApprovalEntry] = field(default_factory=list)
    note: str = ""

    def to_json(self) -> dict[str, object]:
        return {"by_state": self.by_state, "note": self.note, "refused": [e.to_json() for e in self.refused]}


@dataclass(frozen=True)
class OracleStatus:
    institution_id: int
    now: int
    devices: list[DeviceLine]
    pending: int
    prepared: int
    unconfirmed: int
    deferred: int
    rejects_by_reason: dict[str, int]
    open_alarms_by_kind: dict[str, int]
    last_batch: SpooledBatch | None
    runner: dict[str, str]
    approvals: ApprovalStatus | None = None  # None: this oracle never ran with --approve

    @property
    def online(self) -> int:
        return sum(d.online for d in self.devices)

    @property
    def missing_sequences(self) -> int:
        return sum(d.missing_sequences for d in self.devices)

    def to_json(self) -> dict[str, object]:
        batch = self.last_batch
        return {
            "institution_id": self.institution_id,
            "now": self.now,
            "devices": {"seen": len(self.devices), "online": self.online, "missing_sequences": self.missing_sequences},
            "device_list": [{
                "device_id": "0x" + d.device_id.hex(), "last_sequence": d.last_sequence, "last_timestamp": d.last_timestamp,
                "lag_seconds": d.lag_seconds, "interval_seconds": d.interval_seconds, "readings": d.readings,
                "online": d.online, "missing_sequences": d.missing_sequences} for d in self.devices],
            "spool": {"pending": self.pending, "prepared": self.prepared, "unconfirmed": self.unconfirmed,
                      "deferred": self.deferred},
            "rejects_by_reason": self.rejects_by_reason,
            "open_alarms_by_kind": self.open_alarms_by_kind,
            "last_anchored_batch": None if batch is None else {
                "root": "0x" + batch.root.hex(), "readings": batch.reading_count, "evidence_cid": batch.evidence_cid,
                "transaction_hash": batch.transaction_hash, "block_number": batch.block_number,
                "confirmed": batch.confirmed, "anchored_at": batch.anchored_at},
            "runner": self.runner,
            "approvals": None if self.approvals is None else self.approvals.to_json(),
        }


def collect_status(institution_id: int, spool: Spool, rejects: RejectsLog, monitor: AlarmMonitor,
                   now: int | None = None, approvals: ApprovalLog | None = None) -> OracleStatus:
    """The status as of `now` (the oracle's clock by default); `monitor` supplies intervals and the policy."""
    now = int(time.time()) if now is None else now
    devices = []
    for a in spool.device_activity():
        interval = monitor.interval_of(a.device_id, a.last_timestamp, a.previous_timestamp)
        lag = now - a.last_timestamp
        devices.append(DeviceLine(a.device_id, a.last_sequence, a.last_timestamp, lag, interval, a.readings,
                                  lag <= monitor.policy.offline_intervals * interval, a.missing_sequences))
    devices.sort(key=lambda d: (d.online, -d.lag_seconds, d.device_id))  # offline and most behind first
    return OracleStatus(
        institution_id=institution_id,
        now=now,
        devices=devices,
        pending=spool.pending_count(),
        prepared=len(spool.prepared_batches()),
        unconfirmed=len(spool.unconfirmed_batches()),
        deferred=spool.deferred_count(),
        rejects_by_reason=rejects.counts_by_reason(),
        open_alarms_by_kind=_open_by_kind(monitor.store),
        last_batch=spool.last_anchored_batch(),
        runner=spool.state(),
        approvals=None if approvals is None else ApprovalStatus(approvals.counts(), approvals.refused(), approvals.note()),
    )


def _open_by_kind(store: AlarmStore) -> dict[str, int]:
    counts: dict[str, int] = {}
    for alarm in store.list():
        counts[alarm.kind.value] = counts.get(alarm.kind.value, 0) + 1
    return counts
