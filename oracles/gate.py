"""The checks every reading passes before the oracle accepts it.

Order matters for the reason reported: the bytes must parse, the device must be registered
to this oracle's institution and active, the unit must be the registered one, the signature
must be by the key the registry says is valid for this sequence, the pair (device, sequence)
must be new, and the timestamp must fit between its neighbours and not be in the future. Last,
a cumulative counter must be plausible (oracles/plausibility.py): it does not run backwards
except by a reset or rollover, nor faster than the device's rating.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ledger.chain.clients import DeviceStatus
from ledger.device_keys import key_index_for_sequence
from ledger.encoding import EncodingError, Reading, decode_reading
from ledger.signing import SignedReading, verify_signature
from oracles.directory import DeviceDirectory, DeviceView, DirectoryUnavailable
from oracles.plausibility import PlausibilityCheck, PlausibilityFlag
from oracles.profiles import DeviceProfiles
from oracles.rejects import ReadingRejected, RejectReason
from oracles.spool import Spool

__all__ = ["CheckedReading", "DeviceDirectory", "DeviceView", "ReadingGate", "key_index"]


@dataclass(frozen=True)
class CheckedReading:
    """A reading that passed every check; `previous` is the accepted reading of the same device and
    quantity just below it (what consumption and flow are measured from), `flag` any plausibility event."""

    reading: Reading
    previous: Reading | None
    flag: PlausibilityFlag | None


class ReadingGate:
    def __init__(
        self,
        institution_id: int,
        directory: DeviceDirectory,
        spool: Spool,
        max_future_skew_seconds: int = 300,
        clock: Callable[[], float] = time.time,
        profiles: DeviceProfiles | None = None,
    ) -> None:
        self.institution_id = institution_id
        self.directory = directory
        self.spool = spool
        self.max_future_skew = max_future_skew_seconds
        self.clock = clock
        self.plausibility = PlausibilityCheck(spool, profiles)
        self._latest: dict[bytes, tuple[int, int]] = {}  # device → (highest accepted sequence, its timestamp)

    def check(self, signed: SignedReading, verified_key: bytes | None = None) -> CheckedReading:
        """The checked reading when every check passes; ReadingRejected naming the first that fails.

        `verified_key`: a public key this exact frame is already known to verify against (the
        signature pool's verdict); when it is the key the registry names for the sequence, the
        signature is not checked again. DirectoryUnavailable (not a rejection) when the registry
        cannot be reached for a device never seen.
        """
        try:
            reading = decode_reading(signed.payload)
        except EncodingError as exc:
            raise ReadingRejected(RejectReason.OUT_OF_RANGE, str(exc)) from None
        device_id, seq = reading.device_id, reading.sequence

        def reject(reason: RejectReason, detail: str) -> ReadingRejected:
            return ReadingRejected(reason, detail, device_id, seq)

        view = self.directory.lookup(device_id)
        problem = self._device_problem(view)
        if problem is not None:
            raise reject(*problem)
        device = view.device
        if int(reading.unit) != device.unit:
            raise reject(RejectReason.UNIT_MISMATCH, f"reading unit {reading.unit.name} ({int(reading.unit)}), device registered with unit code {device.unit}")
        self._check_signature(signed, view, reject, verified_key)
        self._check_sequence_and_time(reading, reject)
        judged = self.plausibility.judge(reading)
        return CheckedReading(reading, judged.previous, judged.flag)

    def active_view(self, device_id: bytes) -> DeviceView | None:
        """The device's view when its readings can be accepted at all: registered to this oracle's institution
        and active. None otherwise, or when the registry cannot be reached (the full check then names the
        reason, or defers). Never raises. The chunk path (oracles/chunk_check.py) asks once per device and chunk."""
        try:
            view = self.directory.lookup(device_id)
        except DirectoryUnavailable:
            return None
        return view if self._device_problem(view) is None else None

    def newest_fits(self, device_id: bytes, sequence: int, timestamp: int, now: int) -> bool:
        """True when the reading passes the sequence and time checks as its device's newest reading (the usual
        case): not in the future, above every accepted sequence, and not earlier than the highest one's time.
        False leaves the verdict to the full check (a reason, or an out-of-order reading that fits)."""
        if timestamp > now + self.max_future_skew:
            return False
        latest = self._latest_of(device_id)
        return latest is None or (sequence > latest[0] and timestamp >= latest[1])

    def note_newest(self, device_id: bytes, sequence: int, timestamp: int) -> None:
        """Record an accepted reading that `newest_fits` passed (it is above the device's highest sequence)."""
        self._latest[device_id] = (sequence, timestamp)

    def record_accepted(self, reading: Reading) -> None:
        latest = self._latest.get(reading.device_id)
        if latest is None or reading.sequence > latest[0]:
            self._latest[reading.device_id] = (reading.sequence, reading.timestamp)
        self.plausibility.record_accepted(reading)

    def forget(self) -> None:
        """Drop what the gate remembers of accepted readings: after a rollback some are not in the spool."""
        self._latest.clear()
        self.plausibility.forget()

    def _check_signature(self, signed: SignedReading, view: DeviceView, reject: Callable[..., ReadingRejected],
                         verified_key: bytes | None = None) -> None:
        seq = int.from_bytes(signed.payload[33:41], "big")
        index = key_index(view, seq)
        if index is None:
            raise reject(RejectReason.NO_KEY_FOR_SEQUENCE, "no registered key covers this sequence")
        if verified_key is not None and verified_key == view.keys[index].public_key:
            return
        if verify_signature(signed, view.verify_keys[index]):
            return
        for other, key in enumerate(view.verify_keys):
            if other != index and verify_signature(signed, key):
                raise reject(RejectReason.ROTATED_OUT_KEY,
                             f"signed by key #{other}, but key #{index} is valid from sequence {view.keys[index].valid_from_sequence}")
        raise reject(RejectReason.BAD_SIGNATURE, f"signature does not verify against key #{index}")

    def _check_sequence_and_time(self, reading: Reading, reject: Callable[..., ReadingRejected]) -> None:
        now = int(self.clock())
        if self.newest_fits(reading.device_id, reading.sequence, reading.timestamp, now):  # the usual case
            return
        if reading.timestamp > now + self.max_future_skew:
            raise reject(RejectReason.TIMESTAMP_IN_FUTURE,
                         f"timestamp {reading.timestamp} is {reading.timestamp - now} s ahead of the oracle's clock")
        latest = self._latest_of(reading.device_id)
        if latest is None or reading.sequence > latest[0]:  # the newest, but earlier than the highest sequence's time
            raise reject(RejectReason.TIMESTAMP_BACKWARDS,
                         f"timestamp {reading.timestamp} is earlier than sequence {latest[0]}'s {latest[1]}")
        if self.spool.has(reading.device_id, reading.sequence):
            raise reject(RejectReason.REPLAYED, "this (device, sequence) was already accepted")
        below, above = self.spool.neighbours(reading.device_id, reading.sequence)
        if below is not None and reading.timestamp < below:
            raise reject(RejectReason.TIMESTAMP_BACKWARDS, f"timestamp {reading.timestamp} is earlier than a lower sequence's {below}")
        if above is not None and reading.timestamp > above:
            raise reject(RejectReason.TIMESTAMP_BACKWARDS, f"timestamp {reading.timestamp} is later than a higher sequence's {above}")

    def _latest_of(self, device_id: bytes) -> tuple[int, int] | None:
        """(sequence, timestamp) of the device's highest accepted reading: cached, or read from the spool (and cached)."""
        latest = self._latest.get(device_id)
        if latest is None:
            latest = self.spool.latest(device_id)
            if latest is not None:
                self._latest[device_id] = latest
        return latest

    def _device_problem(self, view: DeviceView | None) -> tuple[RejectReason, str] | None:
        """Why no reading of this device can be accepted (unregistered, another institution's, suspended,
        retired), or None. The first of the gate's checks after decoding, in this order."""
        if view is None:
            return RejectReason.UNKNOWN_DEVICE, "device is not registered on chain"
        device = view.device
        if device.institution_id != self.institution_id:
            return (RejectReason.WRONG_INSTITUTION,
                    f"device belongs to institution {device.institution_id}, oracle serves {self.institution_id}")
        if device.status == DeviceStatus.SUSPENDED:
            return RejectReason.DEVICE_SUSPENDED, "device is suspended"
        if device.status == DeviceStatus.RETIRED:
            return RejectReason.DEVICE_RETIRED, "device is retired"
        return None


def key_index(view: DeviceView, sequence: int) -> int | None:
    """The index of the key that signs for `sequence` in the device's view, None when none does:
    key_index_for_sequence, without the search for a device that never rotated its key (almost all)."""
    keys = view.keys
    if len(keys) == 1:
        return 0 if sequence >= keys[0].valid_from_sequence else None
    return key_index_for_sequence(keys, sequence)
