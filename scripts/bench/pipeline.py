"""Readings per second through the oracle's whole path, where the time goes, and the Ed25519 ceiling.

The path is the real one: `OracleNode.ingest` (decode, registry checks, Ed25519 verify, dedupe,
SQLite spool) then `OracleNode.flush` (Merkle tree, evidence file into a local store, anchor
transaction on anvil, receipt). Readings are signed before the clock starts; the registry cache
is warmed first, so the figure is the steady state of a running oracle, not its start-up.

Stages are timed by wrapping the node's own methods on this one instance (two clock reads per
call, well under 1 % of a reading's cost); stages that have no method of their own are the
remainder of the enclosing one, so the stages add up to the total exactly.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter, process_time

from nacl.signing import VerifyKey

from ledger.chain.clients import LedgerContracts
from ledger.evidence import open_evidence_store
from ledger.signing import SIGNING_DOMAIN, SignedReading, verify_signature
from oracles.node import AnchorResult, OracleNode
from oracles.rejects import RejectsLog
from oracles.simulator import SimulatedMeter
from oracles.spool import Spool

Advance = Callable[[int], object]
SourcedReading = tuple[str, SignedReading]

# (stage, the stage it belongs to, what it covers)
STAGES: tuple[tuple[str, str, str], ...] = (
    ("verify", "ed25519 verify", "Ed25519 verify in the gate (a VerifyKey per call)"),
    ("checks", "decode + dedupe + spool", "decode, registry cache, sequence and time checks"),
    ("spool_insert", "decode + dedupe + spool", "spool insert of each accepted reading"),
    ("spool_pending", "decode + dedupe + spool", "spool read of the pending readings"),
    ("spool_claim", "decode + dedupe + spool", "spool: record batch, claim its readings"),
    ("spool_readback", "decode + dedupe + spool", "spool read-back to anchor, mark anchored"),
    ("merkle", "merkle + evidence", "canonical order, Merkle tree, evidence bytes"),
    ("evidence_add", "merkle + evidence", "evidence store add (CID, write, fsync)"),
    ("anchor_tx", "anchor tx", "chain reads, build, sign, send, receipt"),
)


@dataclass(frozen=True)
class PipelineResult:
    readings: int
    meters: int
    batch_size: int
    seconds: float
    cpu_seconds: float  # this process only; the rest of `seconds` it waited (on anvil) or was preempted
    ingest_seconds: float
    flush_seconds: float
    registry_warmup_seconds: float
    stage_seconds: dict[str, float]
    anchors: tuple[AnchorResult, ...]

    @property
    def readings_per_second(self) -> float:
        return self.readings / self.seconds

    @property
    def anchor_gas(self) -> list[int]:
        return [a.gas_used for a in self.anchors if a.gas_used is not None]


@dataclass(frozen=True)
class VerifyCeiling:
    """Ed25519 verifications per second on one core, `rounds` passes over the same readings."""

    readings: int
    pynacl_rounds: tuple[float, ...]  # VerifyKey.verify with keys and messages prepared
    gate_rounds: tuple[float, ...]  # ledger.signing.verify_signature, as the gate calls it

    @property
    def pynacl_per_second(self) -> float:
        return statistics.median(self.pynacl_rounds)

    @property
    def gate_per_second(self) -> float:
        return statistics.median(self.gate_rounds)


def sign_readings(meters: list[SimulatedMeter], count: int, advance: Advance | None = None) -> list[SourcedReading]:
    """`count` readings in arrival order: each meter's next reading in turn, round after round."""
    readings: list[SourcedReading] = []
    for start in range(0, count, len(meters)):
        round_ = meters[: min(len(meters), count - start)]
        readings.extend((meter.name, meter.next_reading()) for meter in round_)
        if advance is not None:
            advance(len(round_))
    return readings


def build_oracle(contracts: LedgerContracts, institution_id: int, work_dir: Path, batch_size: int) -> OracleNode:
    """An oracle with a fresh spool and a local evidence store in `work_dir`."""
    return OracleNode(
        institution_id=institution_id,
        contracts=contracts,
        evidence=open_evidence_store(work_dir / "evidence"),
        spool=Spool(work_dir / "spool.sqlite"),
        rejects=RejectsLog(work_dir / "rejects.jsonl"),
        batch_size=batch_size,
    )


def measure_pipeline(node: OracleNode, readings: list[SourcedReading], advance: Advance | None = None) -> PipelineResult:
    """Ingest then flush `readings` through `node`, timing the whole and each stage.

    Raises RuntimeError when the node refuses a reading or anchors fewer than it was given:
    a rate measured over a path that did not do its work would mean nothing.
    """
    devices = {r.payload[1:33] for _, r in readings}
    warmup_start = perf_counter()
    for device_id in devices:
        node.directory.lookup(device_id)
    warmup = perf_counter() - warmup_start

    clock = _StageClock()
    clock.wrap(node.gate, "_check_signature", "verify")
    clock.wrap(node.spool, "accept", "spool_insert")
    clock.wrap(node, "_prepare", "prepare")
    clock.wrap(node.spool, "prepare_batch", "spool_claim")
    clock.wrap(node.evidence, "add", "evidence_add")
    clock.wrap(node, "_anchor", "anchor", after=(lambda result: advance(result.reading_count)) if advance else None)
    clock.wrap(node.spool, "batch_readings", "spool_readback")
    clock.wrap(node.spool, "mark_anchored", "spool_readback")

    cpu_start, start = process_time(), perf_counter()
    report = node.ingest(_counted(readings, advance))
    ingested = perf_counter()
    anchors = node.flush()
    end, cpu_end = perf_counter(), process_time()
    clock.unwrap_all()

    if report.rejected:
        raise RuntimeError(f"the oracle refused {len(report.rejected)} readings: {report.rejected_by_reason()}")
    anchored = sum(a.reading_count for a in anchors)
    if anchored != len(readings):
        raise RuntimeError(f"the oracle anchored {anchored} of {len(readings)} readings")

    s = clock.seconds
    ingest_seconds, flush_seconds = ingested - start, end - ingested
    stages = {
        "verify": s["verify"],
        "checks": ingest_seconds - s["verify"] - s["spool_insert"],
        "spool_insert": s["spool_insert"],
        "spool_pending": flush_seconds - s["prepare"] - s["anchor"],
        "spool_claim": s["spool_claim"],
        "spool_readback": s["spool_readback"],
        "merkle": s["prepare"] - s["spool_claim"] - s["evidence_add"],
        "evidence_add": s["evidence_add"],
        "anchor_tx": s["anchor"] - s["spool_readback"],
    }
    return PipelineResult(
        readings=len(readings),
        meters=len(devices),
        batch_size=node.batch_size,
        seconds=end - start,
        cpu_seconds=cpu_end - cpu_start,
        ingest_seconds=ingest_seconds,
        flush_seconds=flush_seconds,
        registry_warmup_seconds=warmup,
        stage_seconds=stages,
        anchors=tuple(anchors),
    )


def measure_verify_ceiling(readings: list[SourcedReading], public_keys: dict[bytes, bytes], rounds: int = 3,
                           advance: Advance | None = None) -> VerifyCeiling:
    """PyNaCl Ed25519 verification alone, and through `verify_signature`; raises if any fails."""
    prepared = [(VerifyKey(public_keys[r.payload[1:33]]), SIGNING_DOMAIN + r.payload, r.signature) for _, r in readings]
    keyed = [(r, public_keys[r.payload[1:33]]) for _, r in readings]
    pynacl_rounds: list[float] = []
    gate_rounds: list[float] = []
    for _ in range(rounds):
        start = perf_counter()
        for key, message, signature in prepared:
            key.verify(message, signature)  # raises BadSignatureError: nothing to count silently
        pynacl_rounds.append(len(prepared) / (perf_counter() - start))
        if advance is not None:
            advance(len(prepared))

        start = perf_counter()
        valid = 0
        for signed, public_key in keyed:
            valid += verify_signature(signed, public_key)
        gate_rounds.append(len(keyed) / (perf_counter() - start))
        if valid != len(keyed):
            raise RuntimeError(f"{len(keyed) - valid} signatures did not verify")
        if advance is not None:
            advance(len(keyed))
    return VerifyCeiling(len(readings), tuple(pynacl_rounds), tuple(gate_rounds))


class _StageClock:
    """Accumulated seconds per stage, gathered by wrapping methods of single instances."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._wrapped: list[tuple[object, str]] = []

    def wrap(self, owner: object, method: str, stage: str, after: Callable[[object], object] | None = None) -> None:
        original = getattr(owner, method)
        seconds = self.seconds

        def timed(*args: object, **kwargs: object) -> object:
            start = perf_counter()
            try:
                result = original(*args, **kwargs)
            finally:
                seconds[stage] += perf_counter() - start
            if after is not None:
                after(result)
            return result

        setattr(owner, method, timed)  # an instance attribute shadows the class's method
        self._wrapped.append((owner, method))

    def unwrap_all(self) -> None:
        for owner, method in self._wrapped:
            delattr(owner, method)
        self._wrapped.clear()


def _counted(readings: Iterable[SourcedReading], advance: Advance | None, every: int = 1_000) -> Iterator[SourcedReading]:
    if advance is None:
        yield from readings
        return
    n = 0
    for item in readings:
        yield item
        n += 1
        if n == every:
            advance(n)
            n = 0
    if n:
        advance(n)
