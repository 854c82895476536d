"""What a simulated device measures over time, computed fast and before anything is signed.

A Series is a device's samples as parallel lists (grid slot, sequence, timestamp, value), so a whole
year for 150 meters is plain list arithmetic over the hour tables of oracles/simulation/profiles.py.
Faults (oracles/simulation/faults.py) transform Series; signing happens last, per sample, because a
faulty meter still signs what it measured.

Values are fixed-point mantissas at VALUE_SCALE (10⁻³: Wh for kWh, litres for m³, mA for A).
Cumulative devices carry their counter; instantaneous ones (feeder current) carry the level.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import accumulate

from ledger.encoding import Unit
from oracles.simulation.compound import Device
from oracles.simulation.profiles import Retrofit, hourly_shape
from oracles.simulation.workdays import local_date, local_midnight
from oracles.simulator import VALUE_SCALE

UNITS_PER_VALUE = 10**-VALUE_SCALE  # 1,000 mantissa units per kWh, m³ or A
_NOISE = {"pv": 0.3, "it_room": 0.03, "garage_lighting": 0.02, "outdoor_lighting": 0.02}
_WATER_NOISE = 0.2
_DEFAULT_NOISE = 0.1


class IntervalError(ValueError):
    pass


@dataclass(frozen=True)
class MeterState:
    """Where a device stands: its last sequence, that reading's grid slot, and its value (mantissa)."""

    sequence: int
    slot: int
    value: int


@dataclass(frozen=True)
class Series:
    """A device's samples in time order; the i-th entry of each list belongs to the same sample."""

    device: Device
    slots: list[int]  # grid time the sample closes (unix seconds); what the simulation steps by
    sequences: list[int]
    timestamps: list[int]  # what the device's own clock stamps (differs from the slot under drift)
    values: list[int]
    initial: MeterState  # the state before the first sample

    def __len__(self) -> int:
        return len(self.slots)

    def replace(self, **changes: object) -> "Series":
        return dataclasses.replace(self, **changes)

    def keep(self, indices: list[int]) -> "Series":
        """The samples at `indices` only (e.g. the ones a collector actually delivered)."""
        return self.replace(slots=[self.slots[i] for i in indices], sequences=[self.sequences[i] for i in indices],
                            timestamps=[self.timestamps[i] for i in indices], values=[self.values[i] for i in indices])

    @property
    def final(self) -> MeterState:
        if not self.slots:
            return self.initial
        return MeterState(self.sequences[-1], self.slots[-1], self.values[-1])

    def total(self) -> float:
        """Consumption over the series in device units (cumulative devices): last value minus initial."""
        last = self.values[-1] if self.values else self.initial.value
        return (last - self.initial.value) / UNITS_PER_VALUE


def check_interval(interval: int) -> None:
    if interval <= 0 or 3600 % interval:
        raise IntervalError(f"interval {interval} s must divide an hour (60, 300, 900, 1800, 3600 …)")


def initial_state(device: Device, seed: str, slot: int) -> MeterState:
    """A plausible counter for a meter that has been in service for a few years; zero for levels."""
    if not device.cumulative:
        return MeterState(0, slot, 0)
    rng = random.Random(_seed_bytes(seed, device.name, b"initial"))
    return MeterState(0, slot, round(device.annual * rng.uniform(0.5, 3.0) * UNITS_PER_VALUE))


def simulate_device(device: Device, state: MeterState, end: int, interval: int, seed: str) -> Series:
    """Samples every `interval` seconds after `state.slot` up to and including `end`."""
    check_interval(interval)
    start = state.slot
    if start % interval:
        raise IntervalError(f"state slot {start} is not on the {interval} s grid")
    count = max(0, (end - start) // interval)
    slots = list(range(start + interval, start + (count + 1) * interval, interval))
    if not count:
        return Series(device, [], [], [], [], state)
    first_day = local_date(start)
    table_start = local_midnight(first_day)
    days = (end - table_start) // 86400 + 2
    per_interval = _interval_table(device.profile, first_day, days, interval, device.retrofits)
    offset = (start - table_start) // interval
    rng = random.Random(_seed_bytes(seed, device.name, str(start).encode()))
    sigma = _WATER_NOISE if device.unit == Unit.M3 else _NOISE.get(device.profile, _DEFAULT_NOISE)
    low, width = 1 - sigma, 2 * sigma
    scale = device.hourly_scale() * UNITS_PER_VALUE * (interval / 3600 if device.cumulative else 1)
    draw = rng.random
    amounts = [per_interval[k] * scale * (low + width * draw()) for k in range(offset, offset + count)]
    if device.cumulative:
        base = state.value
        values = [base + round(total) for total in accumulate(amounts)]
    else:
        values = [round(a) for a in amounts]
    sequences = list(range(state.sequence + 1, state.sequence + count + 1))
    return Series(device, slots, sequences, list(slots), values, state)


@lru_cache(maxsize=64)
def _interval_table(profile: str, first_day: date, days: int, interval: int,
                    retrofits: tuple[Retrofit, ...] = ()) -> tuple[float, ...]:
    """The profile's value for each interval from local midnight of `first_day` (each hour repeated),
    lowered by the device's retrofits from their dates."""
    per_hour = 3600 // interval
    return tuple(h for h in hourly_shape(profile, first_day, days, retrofits) for _ in range(per_hour))


def _seed_bytes(seed: str, name: str, purpose: bytes) -> bytes:
    return hashlib.sha256(b"zcl-xihuamen-series:" + seed.encode() + b"|" + name.encode() + b"|" + purpose).digest()
