"""One institution-year of signed readings as anchored-batch evidence, built directly (not through the oracle).

`meters` cumulative meters read every 15 minutes through calendar 2022 (China Standard Time, the
year the published factor set covers): 35,040 readings each, 5.26 M for 150 meters. Readings are
batched in arrival order (every meter's reading of one interval, then the next interval), as an
oracle would see them, `batch_size` to a batch; each batch is written as a v1 evidence file
(ledger.batch) into a LocalEvidenceStore.

Signing 5.26 M readings takes minutes, so it runs on every core and its output is cached under
bench/.cache/accounting-<key>/, the key being a hash of everything that determines the bytes (seed,
meters, readings per meter, batch size, first timestamp). A manifest line is appended per finished
batch, so an interrupted build resumes and a re-run signs nothing. The chain is always fresh: the
caller anchors the manifest's roots on its own anvil.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from nacl.signing import SigningKey

from ledger.accounting.factors import Period
from ledger.accounting.metered import period_bounds
from ledger.batch import EvidenceBatch, encode_batch
from ledger.encoding import ENCODING_VERSION, DeviceKind
from ledger.evidence import LocalEvidenceStore
from ledger.signing import SIGNING_DOMAIN, SignedReading
from oracles.simulator import SimulatedMeter

CACHE_DIR = Path(__file__).resolve().parents[2] / "bench" / ".cache"
YEAR = Period(date(2022, 1, 1), date(2022, 12, 31))
INTERVAL = 900
FULL_METERS = 150
_FORMAT = "accounting-year/1"  # bump when the bytes this module writes change
_LAYOUT = struct.Struct(">B32sQQBBb16s")  # ledger/encoding.py's layout (matches encode_reading byte for byte)
_KINDS = (DeviceKind.ELECTRICITY_METER, DeviceKind.ELECTRICITY_METER, DeviceKind.WATER_METER,
          DeviceKind.PV_GENERATION_METER)
# base increment per interval in thousandths (12.5 kWh, 0.45 m³, 4.0 kWh), swinging 40-160 % over 96 intervals
_BASE_MILLI = {DeviceKind.ELECTRICITY_METER: 12_500, DeviceKind.WATER_METER: 450, DeviceKind.PV_GENERATION_METER: 4_000}


@dataclass(frozen=True)
class YearSpec:
    meters: int
    batch_size: int = 10_000
    seed: bytes = b"zcl-bench-accounting"

    @property
    def start(self) -> int:
        return period_bounds(YEAR)[0]

    @property
    def readings_per_meter(self) -> int:
        start, end = period_bounds(YEAR)
        return (end - start) // INTERVAL  # 35,040: the first at 00:00 on 1 January, the last at 23:45 on 31 December

    @property
    def readings(self) -> int:
        return self.meters * self.readings_per_meter

    @property
    def batches(self) -> int:
        return -(-self.readings // self.batch_size)

    @property
    def key(self) -> str:
        text = json.dumps([_FORMAT, self.seed.hex(), self.meters, self.readings_per_meter, self.batch_size, self.start])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def cache_dir(self) -> Path:
        return CACHE_DIR / f"accounting-{self.key}"


@dataclass(frozen=True)
class BatchEntry:
    index: int
    root: bytes
    cid: str
    reading_count: int
    first_timestamp: int
    last_timestamp: int


def year_meters(spec: YearSpec) -> list[SimulatedMeter]:
    """The fleet: deterministic keys from the seed; kinds cycle electricity, electricity, water, PV."""
    return [SimulatedMeter.create(f"bench-meter-{i:03d}", _KINDS[i % len(_KINDS)], spec.seed, spec.start, INTERVAL)
            for i in range(spec.meters)]


def build_year(spec: YearSpec, workers: int | None = None,
               advance: Callable[[int], object] | None = None) -> tuple[LocalEvidenceStore, list[BatchEntry], dict]:
    """Evidence store and batch manifest of the year; signs only what the cache lacks.

    Returns (store, entries in batch order, build facts: batches signed now, seconds, workers).
    """
    import time

    folder = spec.cache_dir
    folder.mkdir(parents=True, exist_ok=True)
    ignore = CACHE_DIR / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    store = LocalEvidenceStore(folder / "evidence")
    manifest = folder / "manifest.jsonl"
    done: dict[int, BatchEntry] = {}
    if manifest.exists():
        for line in manifest.read_text().splitlines():
            try:
                e = json.loads(line)
            except ValueError:  # a line cut short by an interrupted run
                continue
            entry = BatchEntry(e["index"], bytes.fromhex(e["root"]), e["cid"], e["count"], e["first"], e["last"])
            if store.has(entry.cid):
                done[entry.index] = entry
    missing = [i for i in range(spec.batches) if i not in done]
    if advance is not None:
        advance(sum(e.reading_count for e in done.values()))
    workers = workers or os.cpu_count() or 1
    started = time.monotonic()
    if missing:
        ctx = multiprocessing.get_context("fork")
        with manifest.open("a") as out, ctx.Pool(workers, initializer=_init_worker, initargs=(spec,)) as pool:
            for entry in pool.imap_unordered(_sign_batch, missing, chunksize=1):
                out.write(json.dumps({"index": entry.index, "root": entry.root.hex(), "cid": entry.cid,
                                      "count": entry.reading_count, "first": entry.first_timestamp,
                                      "last": entry.last_timestamp}) + "\n")
                out.flush()
                done[entry.index] = entry
                if advance is not None:
                    advance(entry.reading_count)
    facts = {"cache_dir": str(folder), "batches_signed_this_run": len(missing),
             "batches_from_cache": spec.batches - len(missing),
             "signing_seconds": round(time.monotonic() - started, 1) if missing else 0.0, "signing_workers": workers}
    return store, [done[i] for i in range(spec.batches)], facts


def reading_payload(spec: YearSpec, meter_index: int, device_id: bytes, sequence: int) -> bytes:
    """The canonical payload of meter `meter_index`'s reading `sequence` (1-based)."""
    kind = _KINDS[meter_index % len(_KINDS)]
    quantity, unit = _QUANTITY[kind]
    value = 1_000_000 + 1_000 * meter_index + _cumulative(kind, sequence)
    timestamp = spec.start + (sequence - 1) * INTERVAL
    return _LAYOUT.pack(ENCODING_VERSION, device_id, sequence, timestamp, int(quantity), int(unit), -3,
                        value.to_bytes(16, "big", signed=True))


# -- worker side -------------------------------------------------------------------------------

_QUANTITY = {kind: (SimulatedMeter("x", kind, None, 0).quantity, SimulatedMeter("x", kind, None, 0).unit)  # type: ignore[arg-type]
             for kind in _BASE_MILLI}
_CYCLE: dict[DeviceKind, list[int]] = {}
for _kind, _base in _BASE_MILLI.items():
    _prefix = [0]
    for _t in range(1, 97):
        _prefix.append(_prefix[-1] + (2 * _base * (16 + abs(48 - _t % 96)) + 40) // 80)
    _CYCLE[_kind] = _prefix


def _cumulative(kind: DeviceKind, sequence: int) -> int:
    prefix = _CYCLE[kind]
    return (sequence // 96) * prefix[96] + prefix[sequence % 96]


_worker: dict[str, object] = {}


def _init_worker(spec: YearSpec) -> None:
    meters = year_meters(spec)
    _worker.update(spec=spec, keys=[SigningKey(bytes(m.key)) for m in meters], ids=[m.device_id for m in meters],
                   store=LocalEvidenceStore(spec.cache_dir / "evidence"))


def _sign_batch(index: int) -> BatchEntry:
    spec: YearSpec = _worker["spec"]  # type: ignore[assignment]
    keys: list[SigningKey] = _worker["keys"]  # type: ignore[assignment]
    ids: list[bytes] = _worker["ids"]  # type: ignore[assignment]
    store: LocalEvidenceStore = _worker["store"]  # type: ignore[assignment]
    first, last = index * spec.batch_size, min((index + 1) * spec.batch_size, spec.readings)
    readings = []
    for g in range(first, last):
        k, i = divmod(g, spec.meters)  # arrival order: interval k, meter i
        payload = reading_payload(spec, i, ids[i], k + 1)
        readings.append(SignedReading(payload, keys[i].sign(SIGNING_DOMAIN + payload).signature))
    readings.sort(key=lambda r: r.payload[1:41])  # ledger.batch.canonical_order
    batch = EvidenceBatch(_INSTITUTION_ID, tuple(readings))
    data = encode_batch(_INSTITUTION_ID, readings)
    cid = store.add(data)
    return BatchEntry(index, batch.tree().root, cid, len(readings), batch.first_timestamp, batch.last_timestamp)


_INSTITUTION_ID = 2  # the testbed's institution: root region is node 1, the institution node 2 (checked by the caller)
