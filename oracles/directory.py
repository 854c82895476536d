"""The registry as the oracle sees it: cached, kept in the spool, and still usable while the chain is down.

Every reading's signature is checked against the key the DeviceRegistry names, so the oracle needs
the registry for every device. Lookups are cached for `ttl_seconds` (a suspension reaches the
oracle within that time) and every answer is also written to the spool's `device_views` table. When
the chain cannot be reached, the last answer is used, however old, so readings keep spooling during
an outage; the auditor later re-checks every anchored signature against the chain itself, so a
stale view can delay a suspension's effect but cannot smuggle in a reading signed by the wrong key
unnoticed. A device never seen before cannot be checked at all while the chain is down: that raises
`DirectoryUnavailable`, and the node defers the reading instead of refusing it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass

from nacl.signing import VerifyKey
from web3.exceptions import ProviderConnectionError, TimeExhausted

from ledger.chain.clients import Device, DeviceRegistryClient, DeviceStatus, KeyEpoch
from ledger.chain.connection import ContractRevert

# What "the chain cannot be reached" looks like from web3.py's HTTP provider: requests' errors are OSErrors.
CHAIN_UNREACHABLE: tuple[type[BaseException], ...] = (OSError, ProviderConnectionError, TimeExhausted)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS device_views (
    device_id BLOB PRIMARY KEY,
    view TEXT NOT NULL,            -- JSON: the Device record and its key history
    fetched_at INTEGER NOT NULL
);
"""


class DirectoryUnavailable(RuntimeError):
    """The registry cannot be asked about a device the oracle has never seen: try again later."""

    def __init__(self, device_id: bytes, reason: str) -> None:
        super().__init__(f"device 0x{device_id.hex()}: registry unreachable ({reason})")
        self.device_id = device_id
        self.reason = reason


@dataclass(frozen=True)
class DeviceView:
    device: Device
    keys: tuple[KeyEpoch, ...]
    verify_keys: tuple[VerifyKey, ...]  # the same keys, prepared once for many signature checks

    @classmethod
    def of(cls, device: Device, keys: tuple[KeyEpoch, ...]) -> "DeviceView":
        return cls(device, keys, tuple(VerifyKey(k.public_key) for k in keys))


class DeviceDirectory:
    """Registry lookups cached for `ttl_seconds`, persisted in `db` when given (the spool's connection)."""

    def __init__(self, registry: DeviceRegistryClient, ttl_seconds: float = 30.0, db: sqlite3.Connection | None = None) -> None:
        self.registry = registry
        self.ttl = ttl_seconds
        self.db = db
        self._cache: dict[bytes, tuple[float, DeviceView | None]] = {}
        if db is not None:
            db.executescript(_SCHEMA)

    def lookup(self, device_id: bytes) -> DeviceView | None:
        """The device's view, None when it is not registered; DirectoryUnavailable when nobody can tell."""
        now = time.monotonic()
        cached = self._cache.get(device_id)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        try:
            keys = tuple(self.registry.key_history(device_id))
            view: DeviceView | None = DeviceView.of(self.registry.device(device_id), keys)
        except ContractRevert as exc:
            if exc.name != "UnknownDevice":
                raise
            view = None
        except CHAIN_UNREACHABLE as exc:
            stale = cached[1] if cached is not None else self._stored(device_id)
            if stale is None:
                raise DirectoryUnavailable(device_id, _short(exc)) from None
            self._cache[device_id] = (now, stale)  # ask again after the ttl, not on every reading
            return stale
        if view is not None and (cached is None or cached[1] != view):
            self._store(view)
        self._cache[device_id] = (now, view)
        return view

    def forget(self, device_id: bytes | None = None) -> None:
        if device_id is None:
            self._cache.clear()
        else:
            self._cache.pop(device_id, None)

    def _store(self, view: DeviceView) -> None:
        if self.db is None:
            return
        d = view.device
        payload = json.dumps({"institution_id": d.institution_id, "scene_id": d.scene_id, "kind": d.kind, "unit": d.unit,
                              "status": int(d.status), "key_count": d.key_count,
                              "keys": [[k.public_key.hex(), k.valid_from_sequence] for k in view.keys]})
        self.db.execute("INSERT OR REPLACE INTO device_views (device_id, view, fetched_at) VALUES (?,?,?)",
                        (d.device_id, payload, int(time.time())))

    def _stored(self, device_id: bytes) -> DeviceView | None:
        if self.db is None:
            return None
        row = self.db.execute("SELECT view FROM device_views WHERE device_id=?", (device_id,)).fetchone()
        if row is None:
            return None
        v = json.loads(row[0])
        device = Device(device_id, v["institution_id"], v["scene_id"], v["kind"], v["unit"], DeviceStatus(v["status"]),
                        v["key_count"])
        return DeviceView.of(device, tuple(KeyEpoch(bytes.fromhex(k), s) for k, s in v["keys"]))


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "…"
