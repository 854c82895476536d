"""Gas of real anchorBatch transactions at several batch sizes, amortised per reading.

Each anchor is made by the oracle itself (`OracleNode.ingest` then `flush` with `batch_size` set),
so root, evidence CID and timestamps are those of real batches. Only anchors after the
institution's first are measured here: the first also turns the institution's latest-root slot
from zero to non-zero, which costs more; the pipeline's first anchor records that one.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from oracles.node import OracleNode
from oracles.simulator import SimulatedMeter
from scripts.bench.pipeline import sign_readings

BATCH_SIZES = (1, 100, 1_000, 10_000)


@dataclass(frozen=True)
class AnchorGas:
    """Receipt gasUsed of `len(gas)` anchors of `batch_size` readings each."""

    batch_size: int
    gas: tuple[int, ...]

    @property
    def median(self) -> int:
        return int(statistics.median(self.gas))

    @property
    def per_reading(self) -> float:
        return self.median / self.batch_size


def measure_anchor_gas(node: OracleNode, meters: list[SimulatedMeter], sizes: Sequence[int] = BATCH_SIZES,
                       repeats: int = 3, advance: Callable[[int], object] | None = None) -> list[AnchorGas]:
    """Anchor `repeats` batches of every size in `sizes` through `node`, which has anchored before.

    Raises RuntimeError if the node has not anchored yet (the first anchor costs more, see above)
    or if any anchor was not sent as a transaction of the expected size.
    """
    if not node.contracts.attestations.latest_root(node.institution_id).strip(b"\0"):
        raise RuntimeError("measure non-first anchors only: anchor one batch for the institution first")
    original_size = node.batch_size
    results: list[AnchorGas] = []
    try:
        for size in sizes:
            node.batch_size = size
            report = node.ingest(sign_readings(meters, size * repeats))
            if report.rejected:
                raise RuntimeError(f"the oracle refused {len(report.rejected)} readings: {report.rejected_by_reason()}")
            anchors = node.flush()
            if [a.reading_count for a in anchors] != [size] * repeats or any(a.gas_used is None for a in anchors):
                raise RuntimeError(f"expected {repeats} anchor transactions of {size} readings, got "
                                   f"{[(a.reading_count, a.gas_used) for a in anchors]}")
            results.append(AnchorGas(size, tuple(a.gas_used for a in anchors if a.gas_used is not None)))
            if advance is not None:
                advance(size * repeats)
    finally:
        node.batch_size = original_size
    return results
