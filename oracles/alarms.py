"""Alarms: what the oracle saw that people must act on, kept until someone acknowledges and resolves it.

Each alarm names its kind, severity, device and the readings (device, sequence) that raised it, so
anyone can look the evidence up in the spool or, once anchored, on chain. An alarm is open until it
is resolved; while open, further readings of the same kind and device join it instead of raising a
new one, so a leak that lasts all night is one alarm with many readings. Changes bump `version`;
the publisher sends every alarm whose `published_version` lags (MQTT, at least once).

The tables live in the spool database, so an alarm raised by a reading commits with that reading.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alarms (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    device_id BLOB NOT NULL,
    detail TEXT NOT NULL,
    raised_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('active', 'acknowledged', 'resolved')),
    acknowledged_by TEXT, acknowledged_at INTEGER,
    resolved_by TEXT, resolved_at INTEGER, resolution TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    published_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS alarms_open ON alarms (kind, device_id) WHERE state != 'resolved';
CREATE TABLE IF NOT EXISTS alarm_readings (
    alarm_id INTEGER NOT NULL REFERENCES alarms (id),
    device_id BLOB NOT NULL,
    sequence INTEGER NOT NULL,
    PRIMARY KEY (alarm_id, device_id, sequence)
);
"""
_COLUMNS = ("id, kind, severity, device_id, detail, raised_at, updated_at, state, acknowledged_by, acknowledged_at, "
            "resolved_by, resolved_at, resolution, version")


class AlarmKind(str, Enum):
    WATER_LEAK = "water_leak"  # minimum night flow above the threshold through the quiet hours
    OVER_CURRENT = "over_current"  # current above the circuit's rated current
    RESIDUAL_CURRENT = "residual_current"  # earth-leakage current above the RCD threshold
    OVER_TEMPERATURE = "over_temperature"
    DEVICE_OFFLINE = "device_offline"  # no reading for more than N intervals
    TAMPER = "tamper"  # repeated signature failures for one device
    COUNTER_RESET = "counter_reset"  # a cumulative register restarted near zero
    COUNTER_ROLLOVER = "counter_rollover"  # a cumulative register wrapped at its maximum


class Severity(str, Enum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class AlarmState(str, Enum):
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlarmError(ValueError):
    """An alarm that does not exist, or a change its state does not allow."""


@dataclass(frozen=True)
class Alarm:
    id: int
    kind: AlarmKind
    severity: Severity
    device_id: bytes
    detail: str
    raised_at: int
    updated_at: int
    state: AlarmState
    acknowledged_by: str | None
    acknowledged_at: int | None
    resolved_by: str | None
    resolved_at: int | None
    resolution: str | None
    version: int
    readings: tuple[tuple[bytes, int], ...]

    def to_json(self, institution_id: int | None = None) -> dict[str, object]:
        body: dict[str, object] = {
            "id": self.id, "kind": self.kind.value, "severity": self.severity.value,
            "device_id": "0x" + self.device_id.hex(), "detail": self.detail,
            "readings": [{"device_id": "0x" + d.hex(), "sequence": s} for d, s in self.readings],
            "raised_at": self.raised_at, "updated_at": self.updated_at, "state": self.state.value,
            "acknowledged_by": self.acknowledged_by, "acknowledged_at": self.acknowledged_at,
            "resolved_by": self.resolved_by, "resolved_at": self.resolved_at, "resolution": self.resolution,
            "version": self.version,
        }
        if institution_id is not None:
            body = {"institution_id": institution_id, **body}
        return body


class AlarmStore:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        db.executescript(_SCHEMA)

    @classmethod
    def open(cls, path: Path) -> "AlarmStore":
        """A store on its own connection, for commands that run beside a live oracle."""
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA busy_timeout=10000")
        db.execute("PRAGMA journal_mode=WAL")
        return cls(db)

    def raise_alarm(self, kind: AlarmKind, severity: Severity, device_id: bytes, detail: str,
                    readings: list[tuple[bytes, int]], now: int) -> Alarm:
        """Open a new alarm, or add to the open one of this kind and device (its severity only rises)."""
        row = self.db.execute("SELECT id, severity FROM alarms WHERE kind=? AND device_id=? AND state!='resolved'",
                              (kind.value, device_id)).fetchone()
        if row is None:
            alarm_id = self.db.execute(
                "INSERT INTO alarms (kind, severity, device_id, detail, raised_at, updated_at, state) "
                "VALUES (?,?,?,?,?,?, 'active')", (kind.value, severity.value, device_id, detail, now, now)).lastrowid
        else:
            alarm_id = row[0]
            worst = max(Severity(row[1]), severity, key=_RANK.__getitem__)
            self.db.execute("UPDATE alarms SET severity=?, detail=?, updated_at=?, version=version+1 WHERE id=?",
                            (worst.value, detail, now, alarm_id))
        self.db.executemany("INSERT OR IGNORE INTO alarm_readings (alarm_id, device_id, sequence) VALUES (?,?,?)",
                            [(alarm_id, d, s) for d, s in readings])
        return self.get(alarm_id)

    def acknowledge(self, alarm_id: int, by: str, now: int) -> Alarm:
        alarm = self.get(alarm_id)
        if alarm.state != AlarmState.ACTIVE:
            raise AlarmError(f"alarm {alarm_id} is {alarm.state.value}; only an active alarm can be acknowledged")
        self.db.execute("UPDATE alarms SET state='acknowledged', acknowledged_by=?, acknowledged_at=?, updated_at=?, "
                        "version=version+1 WHERE id=?", (by, now, now, alarm_id))
        return self.get(alarm_id)

    def resolve(self, alarm_id: int, by: str, now: int, resolution: str = "") -> Alarm:
        alarm = self.get(alarm_id)
        if alarm.state == AlarmState.RESOLVED:
            raise AlarmError(f"alarm {alarm_id} was already resolved by {alarm.resolved_by}")
        self.db.execute("UPDATE alarms SET state='resolved', resolved_by=?, resolved_at=?, resolution=?, updated_at=?, "
                        "version=version+1 WHERE id=?", (by, now, resolution, now, alarm_id))
        return self.get(alarm_id)

    def get(self, alarm_id: int) -> Alarm:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM alarms WHERE id=?", (alarm_id,)).fetchone()
        if row is None:
            raise AlarmError(f"no alarm {alarm_id}")
        return self._alarm(row)

    def open_alarm(self, kind: AlarmKind, device_id: bytes) -> Alarm | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM alarms WHERE kind=? AND device_id=? AND state!='resolved'",
                              (kind.value, device_id)).fetchone()
        return None if row is None else self._alarm(row)

    def list(self, include_resolved: bool = False, kind: AlarmKind | None = None, limit: int = 1000) -> list[Alarm]:
        """Newest first; open alarms only unless `include_resolved`."""
        where, args = ["1=1"], []
        if not include_resolved:
            where.append("state != 'resolved'")
        if kind is not None:
            where.append("kind=?")
            args.append(kind.value)
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM alarms WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
                               (*args, limit)).fetchall()
        return [self._alarm(r) for r in rows]

    def open_devices(self, kind: AlarmKind) -> set[bytes]:
        rows = self.db.execute("SELECT device_id FROM alarms WHERE kind=? AND state!='resolved'", (kind.value,))
        return {bytes(r[0]) for r in rows}

    def unpublished(self, limit: int = 100) -> list[Alarm]:
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM alarms WHERE published_version < version ORDER BY id LIMIT ?",
                               (limit,)).fetchall()
        return [self._alarm(r) for r in rows]

    def mark_published(self, alarm_id: int, version: int) -> None:
        self.db.execute("UPDATE alarms SET published_version=max(published_version, ?) WHERE id=?", (version, alarm_id))

    def _alarm(self, row: tuple) -> Alarm:
        readings = self.db.execute(
            "SELECT device_id, sequence FROM alarm_readings WHERE alarm_id=? ORDER BY device_id, sequence", (row[0],))
        return Alarm(row[0], AlarmKind(row[1]), Severity(row[2]), bytes(row[3]), *row[4:7], AlarmState(row[7]),
                     *row[8:14], tuple((bytes(d), s) for d, s in readings))
