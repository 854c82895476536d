"""In-process simulated meters: each holds its own Ed25519 key and signs cumulative readings.

Deterministic from a seed, so a demo or test can re-create the same meters and keys. (The
protocol-speaking simulator of the whole Xihuamen compound is a separate, later module.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from nacl.signing import SigningKey

from ledger.encoding import DeviceKind, Quantity, Reading, Unit, to_fixed_point
from ledger.signing import SignedReading, generate_device_key, public_key_bytes, sign_reading

VALUE_SCALE = -3  # readings carry three decimals (Wh resolution for kWh, litres for m³)

_PROFILES: dict[DeviceKind, tuple[Quantity, Unit, Decimal]] = {
    DeviceKind.ELECTRICITY_METER: (Quantity.ACTIVE_ENERGY_IMPORT, Unit.KWH, Decimal("12.5")),
    DeviceKind.WATER_METER: (Quantity.WATER_VOLUME, Unit.M3, Decimal("0.45")),
    DeviceKind.PV_GENERATION_METER: (Quantity.ACTIVE_ENERGY_EXPORT, Unit.KWH, Decimal("4.0")),
}


def device_id_for(name: str) -> bytes:
    """A stable 32-byte device id from a human name (sha256 of the name)."""
    return hashlib.sha256(f"zcl-device:{name}".encode()).digest()


@dataclass
class SimulatedMeter:
    """A cumulative meter: every `interval` seconds it adds a varying increment and signs the total."""

    name: str
    kind: DeviceKind
    key: SigningKey
    start_timestamp: int
    interval: int = 900
    sequence: int = 0
    total: Decimal = Decimal(0)
    _phase: int = field(default=0, repr=False)

    @classmethod
    def create(cls, name: str, kind: DeviceKind, seed: bytes, start_timestamp: int, interval: int = 900) -> "SimulatedMeter":
        key_seed = hashlib.sha256(b"zcl-sim-key:" + seed + name.encode()).digest()
        return cls(name, kind, generate_device_key(key_seed), start_timestamp, interval)

    @property
    def device_id(self) -> bytes:
        return device_id_for(self.name)

    @property
    def public_key(self) -> bytes:
        return public_key_bytes(self.key)

    @property
    def quantity(self) -> Quantity:
        return _PROFILES[self.kind][0]

    @property
    def unit(self) -> Unit:
        return _PROFILES[self.kind][1]

    def rotate_key(self, seed: bytes) -> None:
        self.key = generate_device_key(hashlib.sha256(b"zcl-sim-rotated:" + seed + self.name.encode()).digest())

    def resume_after(self, last: Reading, until: int, count: int) -> None:
        """Continue from `last` (sequence, total), spreading `count` readings up to `until`."""
        self.sequence = last.sequence
        self.total = last.decimal_value
        self.interval = max(1, (until - last.timestamp) // count)
        self.start_timestamp = last.timestamp - self.sequence * self.interval

    def next_reading(self) -> SignedReading:
        """Advance one interval and sign the new cumulative total."""
        base = _PROFILES[self.kind][2]
        self._phase = (self._phase + 1) % 96
        # a smooth daily-ish swing between 40 % and 160 % of the base increment, three decimals
        swing = Decimal(abs(48 - self._phase)) / Decimal(40)
        increment = (base * (Decimal("0.4") + swing)).quantize(Decimal("0.001"))
        self.total += increment
        self.sequence += 1
        reading = Reading(
            device_id=self.device_id,
            sequence=self.sequence,
            timestamp=self.start_timestamp + self.sequence * self.interval,
            quantity=self.quantity,
            unit=self.unit,
            scale=VALUE_SCALE,
            value=to_fixed_point(self.total, VALUE_SCALE),
        )
        return sign_reading(reading, self.key)

    def readings(self, count: int) -> Iterator[SignedReading]:
        for _ in range(count):
            yield self.next_reading()
