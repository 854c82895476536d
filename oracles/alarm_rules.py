"""When the oracle raises an alarm: the rules, applied to each accepted or refused reading and to the clock.

    water leak        minimum night flow: through the quiet hours (01:00–05:00 local by default) every
                      interval of a water meter showed flow above `leak_flow_m3_per_hour`, for at least
                      `leak_min_seconds`. A tap opened at night is one interval; a leak is all of them.
    over-current      a CURRENT reading above the circuit's rated current (the device profile's rating);
                      critical from `over_current_critical` × rating
    residual current  a RESIDUAL_CURRENT reading above `residual_current_limit_a` (30 mA: the RCD rule)
    temperature       a TEMPERATURE reading above `temperature_limit_c`
    offline / stale   no reading for more than `offline_intervals` of the device's interval; resolved by
                      the oracle itself when the device reports again
    tamper            `tamper_failures` signature failures for one registered device within
                      `tamper_window_seconds` of the oracle's clock
    counter events    resets and rollovers the plausibility checks flagged (oracles/plausibility.py)

Residual current and temperature are matched by the Quantity's name, so they work as soon as those
codes exist in ledger/encoding.py. Leak and tamper windows are kept in memory: after a restart they
start again, which can delay an alarm by one window but never raises a false one.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from ledger.encoding import Quantity, Reading, Unit
from oracles.alarms import AlarmKind, AlarmStore, Severity
from oracles.plausibility import FlagKind, PlausibilityFlag
from oracles.profiles import DeviceProfiles
from oracles.rejects import ReadingRejected, RejectReason
from oracles.spool import Spool

SYSTEM_ACTOR = "oracle"  # who resolves an alarm the oracle itself can see is over
_TAMPER_REASONS = frozenset({RejectReason.BAD_SIGNATURE, RejectReason.ROTATED_OUT_KEY})
_CUBIC_METRES = {Unit.M3: Decimal(1), Unit.LITRE: Decimal("0.001")}
_HOUR = Decimal(3600)


@dataclass(frozen=True)
class AlarmPolicy:
    utc_offset_hours: int = 8  # the seed's sites keep China Standard Time
    quiet_hours: tuple[int, int] = (1, 5)  # local [start, end) hours with nobody in the buildings
    leak_flow_m3_per_hour: Decimal = Decimal("0.05")
    leak_min_seconds: int = 3600
    over_current_critical: Decimal = Decimal("1.25")
    residual_current_limit_a: Decimal = Decimal("0.030")
    temperature_limit_c: Decimal = Decimal("70")
    offline_intervals: int = 3
    default_interval_seconds: int = 900
    tamper_failures: int = 3
    tamper_window_seconds: int = 600


@dataclass
class _Night:
    """One device's quiet-hours window so far: covered seconds, the smallest flow, the readings."""

    key: int
    covered: int = 0
    min_flow: Decimal | None = None
    readings: list[tuple[bytes, int]] = field(default_factory=list)
    raised: bool = False


class AlarmMonitor:
    def __init__(self, store: AlarmStore, profiles: DeviceProfiles | None = None, policy: AlarmPolicy | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.profiles = profiles
        self.policy = policy or AlarmPolicy()
        self.clock = clock
        self._nights: dict[bytes, _Night] = {}
        self._failures: dict[bytes, deque[tuple[float, int | None]]] = {}
        self._offline = store.open_devices(AlarmKind.DEVICE_OFFLINE)

    def on_accepted(self, reading: Reading, previous: Reading | None, flag: PlausibilityFlag | None) -> None:
        """Apply the reading rules; called inside the transaction that spools the reading."""
        now = int(self.clock())
        if flag is not None:
            kind = AlarmKind.COUNTER_RESET if flag.kind == FlagKind.COUNTER_RESET else AlarmKind.COUNTER_ROLLOVER
            self.store.raise_alarm(kind, Severity.WARNING, reading.device_id, flag.detail,
                                   [(reading.device_id, flag.previous_sequence), (reading.device_id, reading.sequence)], now)
        if reading.device_id in self._offline:
            alarm = self.store.open_alarm(AlarmKind.DEVICE_OFFLINE, reading.device_id)
            if alarm is not None:
                self.store.resolve(alarm.id, SYSTEM_ACTOR, now, f"reading sequence {reading.sequence} arrived")
            self._offline.discard(reading.device_id)
        quantity = reading.quantity
        if quantity in (Quantity.WATER_VOLUME, Quantity.WATER_FLOW):
            self._water(reading, previous, now)
        elif quantity == Quantity.CURRENT:
            self._over_current(reading, now)
        elif quantity.name == "RESIDUAL_CURRENT":
            self._over_limit(reading, AlarmKind.RESIDUAL_CURRENT, self.policy.residual_current_limit_a, "A", now)
        elif quantity.name == "TEMPERATURE":
            self._over_limit(reading, AlarmKind.OVER_TEMPERATURE, self.policy.temperature_limit_c, "°C", now)

    def on_rejected(self, rejected: ReadingRejected) -> None:
        """Count signature failures per device; enough of them close together is tampering."""
        if rejected.reason not in _TAMPER_REASONS or rejected.device_id is None:
            return
        now = self.clock()
        window = self._failures.setdefault(rejected.device_id, deque())
        window.append((now, rejected.sequence))
        while window and window[0][0] < now - self.policy.tamper_window_seconds:
            window.popleft()
        if len(window) >= self.policy.tamper_failures:
            self.store.raise_alarm(
                AlarmKind.TAMPER, Severity.CRITICAL, rejected.device_id,
                f"{len(window)} signature failures within {self.policy.tamper_window_seconds} s (last: {rejected.detail})",
                [(rejected.device_id, s) for _, s in window if s is not None], int(now))

    def check_offline(self, spool: Spool) -> int:
        """Raise DEVICE_OFFLINE for every device silent for too long; the number newly raised."""
        now = int(self.clock())
        raised = 0
        for device in spool.device_activity():
            if device.device_id in self._offline:
                continue
            interval = self.interval_of(device.device_id, device.last_timestamp, device.previous_timestamp)
            silent = now - device.last_timestamp
            if silent > self.policy.offline_intervals * interval:
                self.store.raise_alarm(
                    AlarmKind.DEVICE_OFFLINE, Severity.WARNING, device.device_id,
                    f"no reading for {silent} s (> {self.policy.offline_intervals} × {interval} s); "
                    f"last was sequence {device.last_sequence}", [(device.device_id, device.last_sequence)], now)
                self._offline.add(device.device_id)
                raised += 1
        return raised

    def interval_of(self, device_id: bytes, last: int, previous: int | None) -> int:
        profile = self.profiles.get(device_id) if self.profiles is not None else None
        if profile is not None and profile.interval_seconds:
            return profile.interval_seconds
        if previous is not None and last > previous:
            return last - previous
        return self.policy.default_interval_seconds

    def forget(self) -> None:
        """Drop in-memory windows (after a rolled-back transaction) and re-read which devices are offline."""
        self._nights.clear()
        self._failures.clear()
        self._offline = self.store.open_devices(AlarmKind.DEVICE_OFFLINE)

    def _water(self, reading: Reading, previous: Reading | None, now: int) -> None:
        if previous is None or reading.timestamp <= previous.timestamp:
            return
        start, end = previous.timestamp, reading.timestamp
        if reading.quantity == Quantity.WATER_FLOW:
            flow = reading.decimal_value if reading.unit == Unit.M3_PER_HOUR else None
        else:
            factor = _CUBIC_METRES.get(reading.unit)
            delta = reading.decimal_value - previous.decimal_value
            flow = None if factor is None or delta < 0 else delta * factor * _HOUR / (end - start)
        key = self._quiet_window(start, end)
        if flow is None or key is None:
            return
        night = self._nights.get(reading.device_id)
        if night is None or night.key != key:
            night = self._nights[reading.device_id] = _Night(key)
        night.covered += end - start
        night.min_flow = flow if night.min_flow is None else min(night.min_flow, flow)
        night.readings.append((reading.device_id, reading.sequence))
        limit = self.policy.leak_flow_m3_per_hour
        if not night.raised and night.covered >= self.policy.leak_min_seconds and night.min_flow > limit:
            night.raised = True
            severity = Severity.CRITICAL if night.min_flow > 10 * limit else Severity.WARNING
            self.store.raise_alarm(
                AlarmKind.WATER_LEAK, severity, reading.device_id,
                f"minimum night flow {night.min_flow.quantize(Decimal('0.001'))} m³/h over {night.covered} s "
                f"of quiet hours (threshold {limit} m³/h)", night.readings, now)

    def _quiet_window(self, start: int, end: int) -> int | None:
        """The start (unix s) of the quiet-hours window holding the whole interval [start, end], or None.

        Windows may cross midnight (e.g. quiet hours 23–5)."""
        offset = self.policy.utc_offset_hours * 3600
        first, last = self.policy.quiet_hours
        length = ((last - first) % 24) * 3600
        local = start + offset
        window = (local - first * 3600) // 86400 * 86400 + first * 3600  # latest local window start ≤ start
        return window - offset if end + offset <= window + length else None

    def _over_current(self, reading: Reading, now: int) -> None:
        profile = self.profiles.get(reading.device_id) if self.profiles is not None else None
        if profile is None or profile.rating is None or reading.unit != Unit.AMPERE:
            return
        value, rating = reading.decimal_value, profile.rating
        if value > rating:
            severity = Severity.CRITICAL if value > rating * self.policy.over_current_critical else Severity.WARNING
            self.store.raise_alarm(AlarmKind.OVER_CURRENT, severity, reading.device_id,
                                   f"{value} A on a circuit rated {rating} A", [(reading.device_id, reading.sequence)], now)

    def _over_limit(self, reading: Reading, kind: AlarmKind, limit: Decimal, unit: str, now: int) -> None:
        if reading.decimal_value > limit:
            self.store.raise_alarm(kind, Severity.CRITICAL, reading.device_id,
                                   f"{reading.decimal_value} {unit}, limit {limit} {unit}",
                                   [(reading.device_id, reading.sequence)], now)
