"""Meters for the oracle's own tests: any quantity and unit, readings with exactly the values a test needs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from nacl.signing import SigningKey

from ledger.chain.clients import LedgerContracts
from ledger.encoding import DeviceKind, Quantity, Reading, Unit, to_fixed_point
from ledger.evidence import LocalEvidenceStore
from ledger.signing import SignedReading, generate_device_key, public_key_bytes, sign_reading
from oracles.alarm_rules import AlarmMonitor, AlarmPolicy
from oracles.alarms import AlarmStore
from oracles.node import OracleNode
from oracles.profiles import DeviceProfiles
from oracles.rejects import RejectsLog
from oracles.simulator import device_id_for
from oracles.spool import Spool

SCALE = -3


@dataclass
class Meter:
    name: str
    key: SigningKey
    quantity: Quantity
    unit: Unit

    @property
    def device_id(self) -> bytes:
        return device_id_for(self.name)

    def sign(self, sequence: int, timestamp: int, value: str | int | Decimal, key: SigningKey | None = None) -> SignedReading:
        reading = Reading(self.device_id, sequence, timestamp, self.quantity, self.unit, SCALE, to_fixed_point(value, SCALE))
        return sign_reading(reading, key or self.key)


KINDS = {
    (Quantity.ACTIVE_ENERGY_IMPORT, Unit.KWH): DeviceKind.ELECTRICITY_METER,
    (Quantity.WATER_VOLUME, Unit.M3): DeviceKind.WATER_METER,
    (Quantity.WATER_FLOW, Unit.M3_PER_HOUR): DeviceKind.WATER_METER,
    (Quantity.CURRENT, Unit.AMPERE): DeviceKind.CIRCUIT_MONITOR,
}


def registered_meter(contracts: LedgerContracts, scene: int, name: str,
                     quantity: Quantity = Quantity.ACTIVE_ENERGY_IMPORT, unit: Unit = Unit.KWH) -> Meter:
    meter = Meter(name, generate_device_key(hashlib.sha256(name.encode()).digest()), quantity, unit)
    contracts.devices.register_device(meter.device_id, scene, int(KINDS[(quantity, unit)]), int(unit),
                                      public_key_bytes(meter.key))
    return meter


class Clock:
    """A clock the test moves by hand (the oracle's wall clock for alarms, or a monotonic one)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def watched_node(contracts: LedgerContracts, institution: int, folder: Path, clock: Clock | None = None,
                 policy: AlarmPolicy | None = None, batch_size: int = 1000) -> OracleNode:
    """An oracle with device profiles and alarms, as `zcl oracle run` opens it."""
    spool = Spool(folder / "spool.sqlite")
    profiles = DeviceProfiles(spool.db)
    kwargs = {} if clock is None else {"clock": clock}
    monitor = AlarmMonitor(AlarmStore(spool.db), profiles, policy, **kwargs)
    return OracleNode(institution, contracts, LocalEvidenceStore(folder / "evidence"), spool,
                      RejectsLog(folder / "rejects.jsonl"), batch_size, profiles=profiles, alarms=monitor, **kwargs)
