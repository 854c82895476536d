"""The gate's checks over a chunk of readings at once: the usual reading decided on columns, the rest by the gate.

Almost every reading an oracle sees is its device's next one: registered here and active, the
registered unit, signed by the key the registry names, newer than anything accepted, and (a counter)
grown within its rating. Deciding that per reading with Python objects (a Reading, a view lookup, a
CheckedReading, a judged step) costs more than everything else the oracle's process does, so a chunk
is handled as columns instead:

    plan_chunk     before verification: decode the payloads into columns (ledger.encoding's
                   decode_reading_columns), look each device up once, pick the key each reading is
                   verified against, and join the signature pool's records
    ChunkChecker   after verification, in arrival order: a reading that the pool verified and that
                   `ReadingGate.newest_fits` and `PlausibilityCheck.accept_in_order` pass is accepted on
                   its fields; every other item goes to the caller's per-reading path (`ReadingGate.check`),
                   which names the reason, defers it, or accepts it the unusual way (late but fitting
                   between its neighbours, a counter reset or rollover)

No rule lives here: the fast decisions are the gate's and plausibility's own methods, applied in the
same order as the per-reading check, and every reading they do not plainly accept is checked by the gate
itself, so verdicts and reasons are those of `ReadingGate.check` (a property test in
tests/oracles/test_chunk_check.py holds the two together). Registry views are looked up once per device
and chunk rather than per reading, within the directory's cache lifetime either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ledger.encoding import (PAYLOAD_LENGTH, SIGNATURE_LENGTH, EncodingError, Quantity, Reading, ReadingColumns, Unit,
                             decode_reading, decode_reading_columns)
from ledger.signing import SignedReading
from oracles.directory import DeviceView
from oracles.gate import ReadingGate, key_index
from oracles.plausibility import UNDECIDED, as_reading
from oracles.rejects import ReadingRejected
from oracles.spool import Spool

if TYPE_CHECKING:
    from oracles.alarm_rules import AlarmMonitor

SourcedItem = tuple[str, SignedReading | ReadingRejected]
PerReading = Callable[[str, SignedReading | ReadingRejected, bytes | None], None]
"""The caller's per-reading path: (source label, item, the key the pool verified it against or None)."""

_QUANTITIES = {int(q): q for q in Quantity}
_UNITS = {int(u): u for u in Unit}


@dataclass(frozen=True)
class ChunkPlan:
    """A chunk decoded as columns, each reading with the key it is verified against.

    rows[i] is item i's row in `columns`, or -1 when the item is not a decodable signed reading (a parse
    rejection, a frame of the wrong length, bytes the encoding refuses: the gate names why). keys[r] is the
    public key row r is verified against, None when it is not submitted: its device cannot take the chunk
    path (unknown, inactive, another institution's, registry unreachable), its unit is not the registered
    one, or no key covers its sequence. `records` (key ‖ payload ‖ signature of every submitted row, in row
    order) goes to the signature pool, whose verdicts come back in that order."""

    items: list[SourcedItem]
    rows: list[int]
    columns: ReadingColumns
    keys: list[bytes | None]
    records: bytes
    views: dict[bytes, DeviceView | None]  # what the keys were chosen from: each device's view, when planned


def plan_chunk(gate: ReadingGate, items: list[SourcedItem]) -> ChunkPlan:
    """Decode `items` into columns and choose each reading's key (one registry lookup per device)."""
    positions: list[int] = []
    payloads: list[bytes] = []
    for i, (_, item) in enumerate(items):
        if isinstance(item, SignedReading) and len(item.payload) == PAYLOAD_LENGTH \
                and len(item.signature) == SIGNATURE_LENGTH:
            positions.append(i)
            payloads.append(item.payload)
    columns = _decode(payloads, positions)
    rows = [-1] * len(items)
    for row, i in enumerate(positions):
        rows[i] = row
    views = {device_id: gate.active_view(device_id) for device_id in set(columns.device_ids)}
    keys: list[bytes | None] = []
    parts: list[bytes] = []
    for row, (device_id, sequence, unit) in enumerate(zip(columns.device_ids, columns.sequences, columns.units)):
        view = views[device_id]
        index = None if view is None or unit != view.device.unit else key_index(view, sequence)
        if index is None:
            keys.append(None)
            continue
        key = view.keys[index].public_key
        keys.append(key)
        signed = items[positions[row]][1]
        parts += (key, signed.payload, signed.signature)
    return ChunkPlan(items, rows, columns, keys, b"".join(parts), views)


def plan_current(gate: ReadingGate, plan: ChunkPlan) -> bool:
    """True when every device's view is still the one the plan chose its keys from, so the plan is the one
    `plan_chunk` would make now. A plan made ahead of time (verified while the oracle anchored) is checked
    so before it is used: a suspension or key rotation the directory learnt of meanwhile means planning again."""
    return all(_same_view(gate.active_view(device_id), view) for device_id, view in plan.views.items())


def _same_view(now: DeviceView | None, then: DeviceView | None) -> bool:
    if now is None or then is None:
        return now is then
    return now is then or (now.device == then.device and now.keys == then.keys)


def _decode(payloads: list[bytes], positions: list[int]) -> ReadingColumns:
    """Columns of the payloads; a payload the encoding refuses is dropped (with its position) for the gate."""
    try:
        return decode_reading_columns(b"".join(payloads), len(payloads))
    except EncodingError:
        pass
    keep = [k for k, payload in enumerate(payloads) if _decodes(payload)]
    positions[:] = [positions[k] for k in keep]
    return decode_reading_columns(b"".join(payloads[k] for k in keep), len(keep))


def _decodes(payload: bytes) -> bool:
    try:
        decode_reading(payload)
    except EncodingError:
        return False
    return True


class ChunkChecker:
    """Accepts a planned chunk's usual readings on their fields; hands every other item to `per_reading`."""

    def __init__(self, gate: ReadingGate, spool: Spool, alarms: "AlarmMonitor | None" = None) -> None:
        self.gate = gate
        self.spool = spool
        self.alarms = alarms

    def run(self, plan: ChunkPlan, verdicts: bytes, per_reading: PerReading) -> int:
        """Check the chunk's items in arrival order, given the pool's `verdicts` for `plan.records`; the
        number accepted here (the per-reading path reports its own).

        What an acceptance does is what the per-reading path does for it: spool the reading, note it as
        the device's newest, record it for plausibility (accept_in_order), and show it to the alarms with
        the reading before it."""
        gate, spool, alarms = self.gate, self.spool, self.alarms
        newest_fits, note_newest = gate.newest_fits, gate.note_newest
        accept_in_order = gate.plausibility.accept_in_order
        columns, keys = plan.columns, plan.keys
        device_ids, sequences, timestamps = columns.device_ids, columns.sequences, columns.timestamps
        quantities, scales, values = columns.quantities, columns.scales, columns.values
        now = int(gate.clock())
        verdict = iter(verdicts)
        accepted = 0
        for (source, item), row in zip(plan.items, plan.rows):
            key = None if row < 0 else keys[row]
            if key is None:
                per_reading(source, item, None)
                continue
            if not next(verdict):
                per_reading(source, item, None)  # the gate verifies it again, to name the reason
                continue
            device_id, sequence, timestamp = device_ids[row], sequences[row], timestamps[row]
            if not newest_fits(device_id, sequence, timestamp, now):
                per_reading(source, item, key)
                continue
            reading = None if alarms is None else _reading(columns, row)
            previous = accept_in_order(device_id, quantities[row], sequence, timestamp, scales[row], values[row],
                                       item.payload if reading is None else reading)
            if previous is UNDECIDED:
                per_reading(source, item, key)
                continue
            spool.accept(device_id, sequence, timestamp, item)
            note_newest(device_id, sequence, timestamp)
            if alarms is not None:
                alarms.on_accepted(reading, as_reading(previous), None)
            accepted += 1
        return accepted


def _reading(columns: ReadingColumns, row: int) -> Reading:
    return Reading(columns.device_ids[row], columns.sequences[row], columns.timestamps[row],
                   _QUANTITIES[columns.quantities[row]], _UNITS[columns.units[row]], columns.scales[row],
                   columns.values[row])
