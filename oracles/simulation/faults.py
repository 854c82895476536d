"""Fault injection: small pure transforms of a device's Series, applied before signing.

A faulty meter still signs what it measured, so every fault here yields validly signed readings
that are wrong in the way real meters are wrong; catching them is the oracle's plausibility checks'
and the alarms' job, not the signature's. Each fault names one device and a time window in unix
seconds (grid slots), and faults compose in the order given.

Text form for the command line, times in hours from the simulation's start:

    KIND:DEVICE@HOUR[+HOURS][,key=value…]
    offline:E-A-office_plug-03@5+6        no readings delivered for 6 h (a sequence gap)
    drift:E-B-split_ac-02@0,seconds_per_day=120
    spike:W-C-canteen_water-01@30         one absurd reading (3 × what it can count), then back to normal
    stuck:E-R-chiller_plant-04@10+4       the register freezes, then jumps to the true value
    reset:E-A-office_lighting-01@12       the counter restarts from zero (meter replaced or cleared)
    leak:W-A-domestic_water-02@20,flow=0.5   continuous flow of 0.5 m³/h, plain to see at night
    overcurrent:L-A-lighting-03@19+1,factor=1.4
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from ledger.encoding import Quantity
from oracles.simulation.series import UNITS_PER_VALUE, Series

FOREVER = 2**63


class FaultError(ValueError):
    """A fault that cannot apply: unknown device, wrong kind of device, or a malformed spec."""


@dataclass(frozen=True)
class Offline:
    """The collector cannot reach the device from `start` to `end`: those readings are never delivered."""

    device: str
    start: int
    end: int = FOREVER

    def apply(self, s: Series) -> Series:
        return s.keep([i for i, slot in enumerate(s.slots) if not self.start <= slot < self.end])


@dataclass(frozen=True)
class ClockDrift:
    """From `start` the device's clock gains `seconds_per_day` (negative: loses) on the grid time."""

    device: str
    start: int
    seconds_per_day: float = 60.0

    def apply(self, s: Series) -> Series:
        if self.seconds_per_day <= -86400:
            raise FaultError("a clock cannot lose a day per day")
        shifted = [t + int((slot - self.start) * self.seconds_per_day / 86400) if slot >= self.start else t
                   for slot, t in zip(s.slots, s.timestamps)]
        return s.replace(timestamps=shifted)


@dataclass(frozen=True)
class Spike:
    """One reading at or after `at` is absurd: a cumulative counter jumps by `size` device units (default:
    three times what the device could count in that interval) and falls back on the next reading; a
    level is multiplied by `factor`."""

    device: str
    at: int
    size: float | None = None
    factor: float = 10.0

    def apply(self, s: Series) -> Series:
        i = _first_at(s, self.at)
        if i is None:
            return s
        values = list(s.values)
        if s.device.cumulative:
            interval = s.slots[i] - (s.slots[i - 1] if i else s.initial.slot)
            size = self.size if self.size is not None else 3 * s.device.countable_per_hour * interval / 3600
            values[i] += round(size * UNITS_PER_VALUE)
        else:
            values[i] = round(values[i] * self.factor)
        return s.replace(values=values)


@dataclass(frozen=True)
class Stuck:
    """From `start` to `end` the register keeps reporting the last value before `start`."""

    device: str
    start: int
    end: int = FOREVER

    def apply(self, s: Series) -> Series:
        frozen = s.initial.value
        values = []
        for slot, value in zip(s.slots, s.values):
            if slot < self.start:
                frozen = value
            values.append(frozen if self.start <= slot < self.end else value)
        return s.replace(values=values)


@dataclass(frozen=True)
class CounterReset:
    """At `at` the cumulative counter restarts from zero and counts on from there."""

    device: str
    at: int

    def apply(self, s: Series) -> Series:
        _require(s, s.device.cumulative, "a counter reset applies to cumulative meters")
        base = s.initial.value
        for slot, value in zip(s.slots, s.values):
            if slot >= self.at:
                break
            base = value
        return s.replace(values=[v - base if slot >= self.at else v for slot, v in zip(s.slots, s.values)])


@dataclass(frozen=True)
class Leak:
    """Water escapes at `flow` m³/h from `start` to `end`, day and night; at night, when nobody is in
    the building and normal flow is near zero, it is what the meter mostly measures."""

    device: str
    start: int
    end: int = FOREVER
    flow: float = 0.5

    def apply(self, s: Series) -> Series:
        _require(s, s.device.quantity == Quantity.WATER_VOLUME, "a leak applies to water meters")
        rate = self.flow * UNITS_PER_VALUE / 3600  # mantissa units per second
        return s.replace(values=[v + round(rate * (min(slot, self.end) - self.start)) if slot > self.start else v
                                 for slot, v in zip(s.slots, s.values)])


@dataclass(frozen=True)
class OverCurrent:
    """From `start` to `end` the load runs at `factor` × the device's rating: a feeder's current above
    its breaker rating, or a meter's energy at that multiple of its rated power."""

    device: str
    start: int
    end: int = FOREVER
    factor: float = 1.3

    def apply(self, s: Series) -> Series:
        _require(s, s.device.quantity in (Quantity.CURRENT, Quantity.ACTIVE_ENERGY_IMPORT),
                 "over-current applies to feeder monitors and electricity meters")
        level = self.factor * s.device.rating * UNITS_PER_VALUE
        if not s.device.cumulative:
            return s.replace(values=[max(v, round(level)) if self.start <= slot < self.end else v
                                     for slot, v in zip(s.slots, s.values)])
        values, extra, previous_slot, previous_value = [], 0, s.initial.slot, s.initial.value
        for slot, value in zip(s.slots, s.values):
            if self.start <= previous_slot and slot <= self.end:  # the interval ending at `slot` is inside
                forced = round(level * (slot - previous_slot) / 3600)
                extra += forced - (value - previous_value)
            previous_slot, previous_value = slot, value
            values.append(value + extra)
        return s.replace(values=values)


Fault = Offline | ClockDrift | Spike | Stuck | CounterReset | Leak | OverCurrent

_KINDS: dict[str, tuple[type, str, str | None]] = {  # kind → (class, start field, end field)
    "offline": (Offline, "start", "end"),
    "drift": (ClockDrift, "start", None),
    "spike": (Spike, "at", None),
    "stuck": (Stuck, "start", "end"),
    "reset": (CounterReset, "at", None),
    "leak": (Leak, "start", "end"),
    "overcurrent": (OverCurrent, "start", "end"),
}
FAULT_KINDS = tuple(_KINDS)


def apply_faults(series: Mapping[str, Series], faults: Iterable[Fault]) -> dict[str, Series]:
    result = dict(series)
    for fault in faults:
        if fault.device not in result:
            examples = ", ".join(sorted(result)[:: max(1, len(result) // 4)][:4])
            raise FaultError(f"{type(fault).__name__}: no device named {fault.device!r} (devices are named like {examples})")
        result[fault.device] = fault.apply(result[fault.device])
    return result


def parse_fault(spec: str, origin: int) -> Fault:
    """A fault from its text form (module docstring); hours count from the unix time `origin`."""
    head, _, options = spec.partition(",")
    kind, _, rest = head.partition(":")
    device, _, when = rest.partition("@")
    if kind not in _KINDS:
        raise FaultError(f"{spec!r}: unknown fault kind {kind!r}; one of {', '.join(FAULT_KINDS)}")
    if not device or not when:
        raise FaultError(f"{spec!r}: expected KIND:DEVICE@HOUR[+HOURS][,key=value…]")
    cls, start_field, end_field = _KINDS[kind]
    at, _, duration = when.partition("+")
    values: dict[str, object] = {"device": device}
    try:
        values[start_field] = origin + round(float(at) * 3600)
        if duration:
            if end_field is None:
                raise FaultError(f"{spec!r}: a {kind} fault has no duration")
            values[end_field] = values[start_field] + round(float(duration) * 3600)  # type: ignore[operator]
        for option in filter(None, options.split(",")):
            key, _, text = option.partition("=")
            if key not in cls.__dataclass_fields__ or key in ("device", start_field, end_field):
                raise FaultError(f"{spec!r}: {kind} has no option {key!r}")
            values[key] = float(text)
    except ValueError as exc:
        if isinstance(exc, FaultError):
            raise
        raise FaultError(f"{spec!r}: {exc}") from None
    return cls(**values)


def _first_at(s: Series, at: int) -> int | None:
    return next((i for i, slot in enumerate(s.slots) if slot >= at), None)


def _require(s: Series, condition: bool, message: str) -> None:
    if not condition:
        raise FaultError(f"{message}; {s.device.name} measures {s.device.quantity.name}")
