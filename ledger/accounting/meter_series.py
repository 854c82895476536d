"""A meter's readings from anchored evidence, kept as integer columns: the input of metered accounting.

Only evidence that re-derives its anchor is read (CID recomputed, Merkle root recomputed; the root
once per CID in a process). Readings are decoded straight from the evidence bytes, a batch at a time,
into one array per column and meter (24 bytes a reading), so a year of 5 M readings needs no Python
object per reading; metered.py differences them.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from itertools import compress, islice
from operator import ne

from ledger.accounting.quantities import Quantity, Unit, reading_quantity
from ledger.batch import cached_evidence_root, decode_batch_header, evidence_readings
from ledger.chain.clients import AnchoredBatch
from ledger.encoding import Quantity as Measured
from ledger.encoding import Reading, ReadingColumns
from ledger.encoding import Unit as ReadingUnit
from ledger.evidence import EvidenceStore, compute_cid
from ledger.evidence_roots import root_memo_for

ACTIVITY_OF = {  # what a cumulative quantity is, in the inventory methodology's words
    Measured.ACTIVE_ENERGY_IMPORT: "electricity.grid",
    Measured.WATER_VOLUME: "water.supply",
    Measured.GAS_VOLUME: "natural_gas",
}
GENERATION = {Measured.ACTIVE_ENERGY_EXPORT: "electricity.generated"}


class UnverifiedEvidence(ValueError):
    """An anchored batch whose evidence does not re-derive its anchor: nothing may be computed from it."""

    def __init__(self, root: bytes, reason: str) -> None:
        super().__init__(f"batch 0x{root.hex()}: {reason}")
        self.root = root


@dataclass(frozen=True)
class Point:
    timestamp: int
    sequence: int
    value: Quantity


@dataclass
class MeterSeries:
    """One meter's readings in the order they were collected (batch by batch, record by record).

    Kept as integer columns (the readings' mantissas at the meter's one decimal `scale`, 24 bytes a
    reading), so a year of 5 M readings needs no object per reading. A meter whose readings mix units
    or scales keeps `points` instead and is differenced by the reference path, reading by reading.
    """

    quantity: Measured  # of the first reading collected: it decides the activity
    unit: ReadingUnit
    scale: int
    sequences: array = field(default_factory=lambda: array("Q"))
    timestamps: array = field(default_factory=lambda: array("Q"))
    values: array | list[int] = field(default_factory=lambda: array("q"))
    points: list[Point] | None = None

    def __len__(self) -> int:
        return len(self.points) if self.points is not None else len(self.sequences)

    def as_points(self) -> list[Point]:
        """The readings as Points, in collection order."""
        if self.points is not None:
            return list(self.points)
        unit = unit_of(self.unit)
        return [Point(t, q, Quantity(Decimal(v).scaleb(self.scale), unit))
                for q, t, v in zip(self.sequences, self.timestamps, self.values)]

    def extend(self, sequences: Sequence[int], timestamps: Sequence[int], values: Sequence[int],
               unit: ReadingUnit, scale: int) -> None:
        """Append readings that share one unit and scale."""
        if self.points is None and (unit, scale) != (self.unit, self.scale):
            self.points = self.as_points()  # mixed units or scales: from now on, reading by reading
        if self.points is not None:
            symbol = unit_of(unit)
            self.points.extend(Point(t, q, Quantity(Decimal(v).scaleb(scale), symbol))
                               for q, t, v in zip(sequences, timestamps, values))
            return
        self.sequences.extend(sequences)
        self.timestamps.extend(timestamps)
        if isinstance(self.values, array):
            size = len(self.values)
            try:
                self.values.extend(values)
                return
            except OverflowError:  # a mantissa beyond int64: plain ints from here on
                del self.values[size:]
                self.values = self.values.tolist()
        self.values.extend(values)


Series = Mapping[bytes, MeterSeries]


def checked_evidence(evidence: EvidenceStore, batch: AnchoredBatch) -> ReadingColumns:
    """The readings of an anchored batch, once its evidence is shown to be what the anchor names.

    The bytes are re-hashed to the anchored CID every time; the Merkle root they give is computed
    once per CID in this process (ledger.batch.cached_evidence_root), so the monthly reports after a
    year's, or an audit's recomputation after its verification, hash no tree twice; and once per CID
    at all where the store keeps a root memo (ledger/evidence_roots.py says why that is safe: the CID,
    re-checked here, pins the bytes; `zcl audit` recomputes every tree regardless).
    """
    data = evidence.cat(batch.evidence_cid)
    if compute_cid(data, cid_version=1 if batch.evidence_cid.startswith("b") else 0) != batch.evidence_cid:
        raise UnverifiedEvidence(batch.root, f"evidence does not hash to {batch.evidence_cid}")
    if decode_batch_header(data)[0] != batch.institution_id or \
            cached_evidence_root(batch.evidence_cid, data, root_memo_for(evidence), batch.root) != batch.root:
        raise UnverifiedEvidence(batch.root, "evidence does not give the anchored root")
    return evidence_readings(data)[1]


def add_readings(series: dict[bytes, MeterSeries], readings: ReadingColumns,
                 devices: frozenset[bytes] | None = None) -> None:
    """Append the cumulative readings (of `devices`, when given) to their meters' series, in record order.

    Evidence keeps each meter's readings together, so this works on runs of one device's readings;
    a reading of an instantaneous quantity is skipped, one of a non-energy, non-volume unit refused
    (reading_quantity's UnitMismatch).
    """
    ids = readings.device_ids
    cuts = [0, *compress(range(1, len(ids)), map(ne, islice(ids, 1, None), ids)), len(ids)]
    for first, last in zip(cuts, islice(cuts, 1, None)):
        device_id = ids[first]
        if devices is not None and device_id not in devices:
            continue
        run = range(first, last)
        quantities = readings.quantities[first:last]
        if not set(quantities) <= _CUMULATIVE:
            run = [i for i in run if readings.quantities[i] in _CUMULATIVE]
            if not run:
                continue
        pick = (lambda column: column[first:last]) if isinstance(run, range) else \
            (lambda column: [column[i] for i in run])  # noqa: E731
        units, scales = pick(readings.units), pick(readings.scales)
        for unit_code in set(units):
            unit_of(ReadingUnit(unit_code))  # refuses a unit that is not activity data, as reading_quantity does
        sequences, timestamps, values = pick(readings.sequences), pick(readings.timestamps), pick(readings.values)
        meter = series.get(device_id)
        if meter is None:
            meter = series[device_id] = MeterSeries(Measured(readings.quantities[run[0]]), ReadingUnit(units[0]), scales[0])
        if units.count(units[0]) == len(units) and scales.count(scales[0]) == len(scales):
            meter.extend(sequences, timestamps, values, ReadingUnit(units[0]), scales[0])
        else:
            for k in range(len(units)):
                meter.extend(sequences[k:k + 1], timestamps[k:k + 1], values[k:k + 1], ReadingUnit(units[k]), scales[k])


_CUMULATIVE = frozenset(int(q) for q in (*ACTIVITY_OF, *GENERATION))


@lru_cache(maxsize=None)
def unit_of(unit: ReadingUnit) -> Unit:
    """The accounting unit of a reading unit; UnitMismatch for one that is not activity data."""
    return reading_quantity(Reading(b"\x01" * 32, 0, 0, Measured.ACTIVE_ENERGY_IMPORT, unit, 0, 0)).unit
