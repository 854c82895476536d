"""The compound's devices as signers: one Ed25519 key each, and readings in time order.

Keys and device ids are deterministic from a seed, with the same derivation as
oracles/simulator.py's SimulatedMeter (sha256 of a tag, the seed and the device's qualified name), so
a run can be repeated, resumed, and its devices registered on chain by anyone holding the seed. A
real meter keeps its key in a secure element instead (docs/trust-model.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from nacl.signing import SigningKey

from ledger.encoding import Reading
from ledger.signing import SignedReading, generate_device_key, public_key_bytes, sign_reading
from oracles.simulation.compound import Compound, Device
from oracles.simulation.faults import Fault, apply_faults
from oracles.simulation.series import MeterState, Series, check_interval, initial_state, simulate_device
from oracles.simulator import VALUE_SCALE, device_id_for


@dataclass(frozen=True)
class DeviceIdentity:
    """A device with its on-chain id and its signing key."""

    device: Device
    device_id: bytes
    key: SigningKey

    @property
    def public_key(self) -> bytes:
        return public_key_bytes(self.key)

    def sign(self, sequence: int, timestamp: int, value: int) -> SignedReading:
        reading = Reading(self.device_id, sequence, timestamp, self.device.quantity, self.device.unit, VALUE_SCALE, value)
        return sign_reading(reading, self.key)


def qualified_name(seed: str, device: Device) -> str:
    return f"xihuamen/{seed}/{device.name}"


def identity_for(seed: str, device: Device) -> DeviceIdentity:
    name = qualified_name(seed, device)
    key = generate_device_key(hashlib.sha256(b"zcl-sim-key:" + seed.encode() + name.encode()).digest())
    return DeviceIdentity(device, device_id_for(name), key)


@dataclass(frozen=True)
class TimedReading:
    """A signed reading with where it belongs: the device, its collector and the grid slot it closes."""

    identity: DeviceIdentity
    slot: int
    signed: SignedReading

    @property
    def collector(self) -> str:
        return self.identity.device.collector


class CompoundFleet:
    """Every device of a compound, simulated from a seed at a fixed reading interval."""

    def __init__(self, compound: Compound, seed: str = "xihuamen", interval: int = 900) -> None:
        check_interval(interval)
        self.compound = compound
        self.seed = seed
        self.interval = interval
        self.identities = {d.name: identity_for(seed, d) for d in compound.devices}
        self._by_id = {i.device_id: i for i in self.identities.values()}

    def device_profiles(self) -> list[dict[str, object]]:
        """What the oracle should know locally about each device (oracles/profiles.py JSON shape): how much
        it can count per hour, its reading interval and its name. Counters never wrap (int128 values)."""
        return [{"device_id": "0x" + i.device_id.hex(), "rating": f"{i.device.countable_per_hour:.3f}",
                 "counter_max": None, "interval_seconds": self.interval, "label": i.device.name}
                for i in self.identities.values()]

    def identity(self, device_id: bytes) -> DeviceIdentity | None:
        return self._by_id.get(device_id)

    def align(self, timestamp: int) -> int:
        return timestamp - timestamp % self.interval

    def series(self, end: int, start: int | None = None, states: Mapping[str, MeterState] | None = None,
               faults: Iterable[Fault] = ()) -> dict[str, Series]:
        """Each device's samples up to `end`, from its state in `states` or else fresh at `start`."""
        states = states or {}
        end = self.align(end)
        result = {}
        for name, identity in self.identities.items():
            state = states.get(name)
            if state is None:
                if start is None:
                    raise ValueError(f"{name}: no state to resume from and no start given")
                state = initial_state(identity.device, self.seed, self.align(start))
            result[name] = simulate_device(identity.device, state, end, self.interval, self.seed)
        return apply_faults(result, faults)

    def readings(self, series: Mapping[str, Series], since: int | None = None) -> Iterator[list[TimedReading]]:
        """Signed readings grouped by grid slot, in slot order; slots at or before `since` are skipped."""
        by_slot: dict[int, list[tuple[str, int]]] = {}
        for name, s in series.items():
            for i, slot in enumerate(s.slots):
                if since is None or slot > since:
                    by_slot.setdefault(slot, []).append((name, i))
        for slot in sorted(by_slot):
            step = []
            for name, i in by_slot[slot]:
                s = series[name]
                identity = self.identities[name]
                step.append(TimedReading(identity, slot, identity.sign(s.sequences[i], s.timestamps[i], s.values[i])))
            yield step
