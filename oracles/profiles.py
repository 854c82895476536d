"""What the oracle knows about a device beyond the registry: its rating, its register size, its interval.

The chain says who a device is and which key signs for it; it does not say how much a meter can
physically count in an hour. That local knowledge lives here, in a table of the spool database,
set by people (`zcl oracle profile`, or a JSON file) and used by the plausibility checks and alarms:

    rating          cumulative meters: the most the device can count per hour, in its unit per hour
                    (kW for a kWh meter, m³/h for a water meter); current monitors: the circuit's
                    rated current in A (over-current alarms)
    counter_max     the largest value the register holds before it wraps to zero (rollover)
    interval        seconds between readings, for offline detection (inferred from readings if unset)

A device without a profile still gets every check that needs no rating (negative consumption,
counter resets); jumps are only judged against a rating someone has written down.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS device_profiles (
    device_id BLOB PRIMARY KEY,
    rating TEXT,                 -- Decimal, device unit per hour (or A for current monitors)
    counter_max TEXT,            -- Decimal, in the device unit
    interval_seconds INTEGER,
    label TEXT NOT NULL DEFAULT ''
);
"""


class ProfileError(ValueError):
    """A profile that cannot be used: a non-positive rating, an unreadable profiles file."""


@dataclass(frozen=True)
class DeviceProfile:
    device_id: bytes
    rating: Decimal | None = None
    counter_max: Decimal | None = None
    interval_seconds: int | None = None
    label: str = ""

    def __post_init__(self) -> None:
        for name in ("rating", "counter_max"):
            value = getattr(self, name)
            if value is not None and not (value.is_finite() and value > 0):
                raise ProfileError(f"{name} must be a positive number, got {value}")
        if self.interval_seconds is not None and self.interval_seconds <= 0:
            raise ProfileError(f"interval must be positive, got {self.interval_seconds}")

    def to_json(self) -> dict[str, object]:
        return {
            "device_id": "0x" + self.device_id.hex(),
            "rating": None if self.rating is None else str(self.rating),
            "counter_max": None if self.counter_max is None else str(self.counter_max),
            "interval_seconds": self.interval_seconds,
            "label": self.label,
        }


class DeviceProfiles:
    """The device_profiles table, read once into memory (profiles are few and change rarely)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        db.executescript(_SCHEMA)
        self._cache: dict[bytes, DeviceProfile] = {}
        self.reload()

    def reload(self) -> None:
        """Re-read the table, e.g. after another process changed a profile."""
        rows = self.db.execute(
            "SELECT device_id, rating, counter_max, interval_seconds, label FROM device_profiles").fetchall()
        self._cache = {bytes(r[0]): DeviceProfile(bytes(r[0]), _decimal(r[1]), _decimal(r[2]), r[3], r[4]) for r in rows}

    def get(self, device_id: bytes) -> DeviceProfile | None:
        return self._cache.get(device_id)

    def all(self) -> list[DeviceProfile]:
        return sorted(self._cache.values(), key=lambda p: (p.label, p.device_id))

    def set(self, profile: DeviceProfile) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO device_profiles (device_id, rating, counter_max, interval_seconds, label) "
            "VALUES (?,?,?,?,?)",
            (profile.device_id, _text(profile.rating), _text(profile.counter_max), profile.interval_seconds, profile.label),
        )
        self._cache[profile.device_id] = profile

    def load_file(self, path: Path) -> int:
        """Set every profile in a JSON file: a list of objects shaped like `DeviceProfile.to_json()`."""
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(entries, list):
                raise ProfileError(f"{path}: expected a JSON list of profiles")
            profiles = [profile_from_json(e) for e in entries]
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            raise ProfileError(f"{path}: {exc}") from None
        for profile in profiles:
            self.set(profile)
        return len(profiles)


def profile_from_json(entry: dict) -> DeviceProfile:
    device_id = bytes.fromhex(str(entry["device_id"]).removeprefix("0x"))
    if len(device_id) != 32:
        raise ProfileError(f"device_id must be 32 bytes, got {len(device_id)}")
    interval = entry.get("interval_seconds")
    return DeviceProfile(device_id, _decimal(entry.get("rating")), _decimal(entry.get("counter_max")),
                         None if interval is None else int(interval), str(entry.get("label", "")))


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise ProfileError(f"write {value!r} as a string: ratings are decimals, never floats")
    return Decimal(str(value))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
