"""Plausibility of a cumulative counter: it never runs backwards, except by a reset or a rollover,
and never faster than the device can physically count.

The gate calls this after a reading's signature and sequence are good: a validly signed reading
can still be wrong the way real meters are wrong. Each reading is compared with its neighbours of
the same device and quantity (the accepted readings with the next lower and next higher sequence):

    value < previous, new value "near zero"      accepted, flagged COUNTER_RESET (meter replaced or
                                                 cleared): an event people see, never a silent negative
    value < previous, register wrapped           accepted, flagged COUNTER_ROLLOVER (profile counter_max)
    value < previous, otherwise                  rejected NEGATIVE_CONSUMPTION
    value − previous > rating × elapsed (+10 %)  rejected IMPLAUSIBLE_JUMP (only with a rating)

"Near zero" means no more than the device could have counted since the previous reading (rating ×
elapsed, with the margin), or, without a rating, at most RESET_FRACTION of the previous value.
Instantaneous quantities (power, current, flow) are levels, not counters: the alarms judge those.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from ledger.encoding import Quantity, Reading, decode_reading
from oracles.profiles import DeviceProfile, DeviceProfiles
from oracles.rejects import ReadingRejected, RejectReason
from oracles.spool import Spool

CUMULATIVE = frozenset({Quantity.ACTIVE_ENERGY_IMPORT, Quantity.ACTIVE_ENERGY_EXPORT, Quantity.WATER_VOLUME,
                        Quantity.GAS_VOLUME, Quantity.HEAT_ENERGY})
_CUMULATIVE_CODES = frozenset(int(q) for q in CUMULATIVE)
RATING_MARGIN = Decimal("0.10")  # meters may briefly exceed their nameplate rating; class-1 meters by far less
RESET_FRACTION = Decimal("0.10")
_HOUR = Decimal(3600)


class FlagKind(str, Enum):
    COUNTER_RESET = "counter_reset"
    COUNTER_ROLLOVER = "counter_rollover"


@dataclass(frozen=True)
class PlausibilityFlag:
    """An accepted reading that people should know about, with the reading it was compared with."""

    kind: FlagKind
    device_id: bytes
    sequence: int
    previous_sequence: int
    detail: str


@dataclass(frozen=True)
class Judged:
    """The outcome for an accepted reading: its previous reading of the same quantity, and any flag."""

    previous: Reading | None
    flag: PlausibilityFlag | None


# A device and quantity's highest accepted reading as the check keeps it: (sequence, timestamp, scale,
# value, the Reading or its 68 payload bytes). Plain tuples: the chunk path records one per accepted
# reading without building a Reading.
_Latest = tuple[int, int, int, int, "Reading | bytes"]
UNDECIDED = object()
"""`accept_in_order`'s answer when the reading needs the full `judge` (out of order, or not plainly plausible)."""


class PlausibilityCheck:
    def __init__(self, spool: Spool, profiles: DeviceProfiles | None = None) -> None:
        self.spool = spool
        self.profiles = profiles
        self._latest: dict[tuple[bytes, int], _Latest] = {}  # (device, quantity) → highest accepted reading

    def judge(self, reading: Reading) -> Judged:
        """Judged when the reading is plausible; ReadingRejected (NEGATIVE_CONSUMPTION, IMPLAUSIBLE_JUMP) if not."""
        latest = self._latest_of(reading.device_id, int(reading.quantity))
        if latest is None or reading.sequence > latest[0]:
            previous, following = (None if latest is None else _as_reading(latest)), None
        else:  # arrived out of order: compare with both neighbours
            previous = self._neighbour(reading, below=True, limit=reading.sequence)
            following = self._neighbour(reading, below=False, limit=reading.sequence)
        if reading.quantity not in CUMULATIVE:
            return Judged(previous, None)
        profile = self.profiles.get(reading.device_id) if self.profiles is not None else None
        flag = None if previous is None else _step(previous, reading, profile, reading)
        if following is not None:
            _step(reading, following, profile, reading)  # the later reading must still follow from this one
        return Judged(previous, flag)

    def accept_in_order(self, device_id: bytes, quantity: int, sequence: int, timestamp: int, scale: int, value: int,
                        record: Reading | bytes) -> "_Latest | None | object":
        """The usual case, decided on plain fields and recorded at once (the chunk path, oracles/chunk_check.py).

        When the reading is above its quantity's highest accepted one and `judge` would accept it without
        a flag (a level; a counter's first reading; a step `plainly_plausible` passes), it is recorded as
        accepted and the previous reading's entry (None for the first) is returned. Otherwise nothing
        changes and the answer is UNDECIDED: the caller runs the full checks, which name the outcome.
        `record` is the reading's Reading or its payload bytes, kept for the next reading's `previous`."""
        key = (device_id, quantity)
        latest = self._latest.get(key)
        if latest is None:
            latest = self._latest_of(device_id, quantity)
        if latest is not None:
            if sequence <= latest[0]:
                return UNDECIDED
            if quantity in _CUMULATIVE_CODES:
                profile = self.profiles.get(device_id) if self.profiles is not None else None
                if not plainly_plausible(latest[2], latest[3], latest[1], scale, value, timestamp,
                                         None if profile is None else profile.rating):
                    return UNDECIDED
        self._latest[key] = (sequence, timestamp, scale, value, record)
        return latest

    def record_accepted(self, reading: Reading) -> None:
        key = (reading.device_id, int(reading.quantity))
        latest = self._latest.get(key)
        if latest is None or reading.sequence > latest[0]:
            self._latest[key] = (reading.sequence, reading.timestamp, reading.scale, reading.value, reading)

    def forget(self) -> None:
        """Drop cached readings (after a rolled-back transaction they may not be in the spool)."""
        self._latest.clear()

    def _latest_of(self, device_id: bytes, quantity: int) -> _Latest | None:
        """The highest accepted reading of this device and quantity: cached, or read from the spool (and cached)."""
        key = (device_id, quantity)
        latest = self._latest.get(key)
        if latest is None:
            record = self.spool.neighbour_record(device_id, quantity, None, True)
            if record is not None:
                reading = decode_reading(record.payload)
                latest = self._latest[key] = (reading.sequence, reading.timestamp, reading.scale, reading.value, reading)
        return latest

    def _neighbour(self, reading: Reading, below: bool, limit: int | None) -> Reading | None:
        record = self.spool.neighbour_record(reading.device_id, int(reading.quantity), limit, below)
        return None if record is None else decode_reading(record.payload)


def as_reading(latest: _Latest | None) -> Reading | None:
    """The Reading of an entry `accept_in_order` returned (None stays None)."""
    return None if latest is None else _as_reading(latest)


def _as_reading(latest: _Latest) -> Reading:
    record = latest[4]
    return record if isinstance(record, Reading) else decode_reading(record)


def _step(before: Reading, after: Reading, profile: DeviceProfile | None, judged: Reading) -> PlausibilityFlag | None:
    """Judge the counter going from `before` to `after` (consecutive accepted readings of one quantity).

    Almost every step is a counter that grew within its rating: that is decided on the raw integers in
    the meter's scale (`_plainly_plausible`); anything else goes to the Decimal rule (`_judge_step`),
    which names the outcome. The fast test only ever says "plausible" where the rule does too (a property
    test in tests/oracles/test_plausibility.py holds them together)."""
    if _plainly_plausible(before, after, profile):
        return None
    return _judge_step(before, after, profile, judged)


_FAST_LIMIT = 10**27  # below this a value, and the difference of two, is exact in Decimal's 28 digits
_SLACK = 10**9  # the fast test keeps 1 part in 10⁹ away from the allowance: Decimal rounding never decides it
_MARGIN_NUMERATOR, _MARGIN_DENOMINATOR = (1 + RATING_MARGIN).as_integer_ratio()
_ratios: dict[Decimal, tuple[int, int]] = {}


def _plainly_plausible(before: Reading, after: Reading, profile: DeviceProfile | None) -> bool:
    """`plainly_plausible` of two readings."""
    return plainly_plausible(before.scale, before.value, before.timestamp, after.scale, after.value, after.timestamp,
                             profile.rating if profile is not None else None)


def plainly_plausible(old_scale: int, old: int, old_timestamp: int, scale: int, new: int, timestamp: int,
                      rating: Decimal | None) -> bool:
    """True when the counter did not run backwards and grew (if there is a rating) clearly less than
    rating × elapsed × (1 + RATING_MARGIN) + one unit of the last digit, all in integers of the meter's scale.
    On plain fields (value mantissas, scales, timestamps), so the chunk path needs no Reading objects."""
    if old_scale != scale or new < old or not -_FAST_LIMIT < old <= new < _FAST_LIMIT:
        return False
    if rating is None:
        return True
    units = new - old - 1  # the allowance's "+ one unit of the last digit"
    if units <= 0:
        return True
    ratio = _ratios.get(rating)
    if ratio is None:
        ratio = _ratios[rating] = rating.as_integer_ratio()
    elapsed = max(0, timestamp - old_timestamp)
    # units × 10^scale ≤ rating × elapsed / 3600 × margin, cross-multiplied to integers, with the slack
    allowed = ratio[0] * elapsed * _MARGIN_NUMERATOR * (_SLACK - 1)
    used = units * ratio[1] * 3600 * _MARGIN_DENOMINATOR * _SLACK
    if scale >= 0:
        used *= 10**scale
    else:
        allowed *= 10**-scale
    return used <= allowed


def _judge_step(before: Reading, after: Reading, profile: DeviceProfile | None, judged: Reading,
                ) -> PlausibilityFlag | None:
    """The rule itself, in Decimal: accepted (None), accepted with a flag, or ReadingRejected."""
    old, new = before.decimal_value, after.decimal_value
    elapsed = Decimal(max(0, after.timestamp - before.timestamp))
    rating = profile.rating if profile is not None else None
    allowance = None if rating is None else rating * elapsed / _HOUR * (1 + RATING_MARGIN) + Decimal(1).scaleb(after.scale)

    def reject(reason: RejectReason, detail: str) -> ReadingRejected:
        return ReadingRejected(reason, detail, judged.device_id, judged.sequence)

    def flag(kind: FlagKind, detail: str) -> PlausibilityFlag:
        return PlausibilityFlag(kind, after.device_id, after.sequence, before.sequence, detail)

    if new >= old:
        if allowance is not None and new - old > allowance:
            raise reject(RejectReason.IMPLAUSIBLE_JUMP,
                         f"sequence {before.sequence} → {after.sequence}: +{new - old} in {elapsed} s, "
                         f"more than rating {rating}/h allows ({allowance.normalize()})")
        return None
    if new < 0:
        raise reject(RejectReason.NEGATIVE_CONSUMPTION, f"a cumulative counter cannot read {new}")
    counter_max = profile.counter_max if profile is not None else None
    if counter_max is not None and old <= counter_max:
        wrapped = counter_max - old + new
        if wrapped <= (allowance if allowance is not None else counter_max * Decimal("0.01")):
            return flag(FlagKind.COUNTER_ROLLOVER,
                        f"register wrapped at {counter_max}: {old} → {new} (+{wrapped}) after sequence {before.sequence}")
    near_zero = allowance if allowance is not None else old * RESET_FRACTION
    if new <= near_zero:
        return flag(FlagKind.COUNTER_RESET, f"counter restarted: {old} at sequence {before.sequence}, now {new}")
    raise reject(RejectReason.NEGATIVE_CONSUMPTION,
                 f"sequence {before.sequence} read {old}, sequence {after.sequence} reads {new}: the counter ran backwards")
