"""Oracle memory with a one-hour backlog: 10,000 meters × one reading a minute = 600,000 readings.

The readings are signed in two child processes (untimed) and written as 132-byte frames to files.
A fresh child process is the oracle: it builds an OracleNode with a real SQLite spool, streams the
frames from the files through `OracleNode.ingest` (decode, registry view, Ed25519 verify, sequence,
time and plausibility checks, spool insert, commit every 1,000), without anchoring, and reports its
peak RSS (getrusage ru_maxrss) and its RSS at start and end (psutil).

Registering 10,000 meters on anvil would take minutes, so this oracle's registry is a stub in this
process answering `device` and `key_history` as the DeviceRegistry would for registered, active
meters. The directory, its cache and its `device_views` table in the spool are the real ones.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable
from pathlib import Path

Advance = Callable[[int], object]
_INSTITUTION = 1
_SEED = b"zcl-bench-backlog"


def _meter(i: int, start: int, interval: int):
    from ledger.encoding import DeviceKind
    from oracles.simulator import SimulatedMeter

    kinds = (DeviceKind.ELECTRICITY_METER, DeviceKind.ELECTRICITY_METER, DeviceKind.WATER_METER,
             DeviceKind.PV_GENERATION_METER)
    return SimulatedMeter.create(f"backlog-meter-{i:05d}", kinds[i % len(kinds)], _SEED, start, interval)


def _sign_worker(indices: list[int], per_meter: int, start: int, interval: int, path: str, counter) -> None:
    """Child: every meter's readings in time order, minute by minute across meters, as frames to `path`."""
    meters = [_meter(i, start, interval) for i in indices]
    with open(path, "wb", buffering=1 << 20) as f:
        for _ in range(per_meter):
            for m in meters:
                f.write(m.next_reading().to_bytes())
            with counter.get_lock():
                counter.value += len(meters)


class _StubRegistry:
    """DeviceRegistryClient's two read calls, for meters registered and active in `_INSTITUTION`."""

    def __init__(self, devices: dict[bytes, tuple[bytes, int, int]]) -> None:
        self.devices = devices  # device id → (public key, kind, unit)

    def device(self, device_id: bytes):
        from ledger.chain.clients import Device, DeviceStatus

        _, kind, unit = self.devices[device_id]
        return Device(device_id, _INSTITUTION, 1, kind, unit, DeviceStatus.ACTIVE, 1)

    def key_history(self, device_id: bytes):
        from ledger.chain.clients import KeyEpoch

        return [KeyEpoch(self.devices[device_id][0], 0)]


def _oracle_worker(paths: list[str], devices: dict[bytes, tuple[bytes, int, int]], work_dir: str, counter, out) -> None:
    """Child: the oracle. Ingest every frame, then report memory and counts."""
    import resource
    from types import SimpleNamespace

    import psutil

    from ledger.evidence import open_evidence_store
    from ledger.signing import SignedReading
    from oracles.node import OracleNode
    from oracles.rejects import RejectsLog
    from oracles.spool import Spool

    work = Path(work_dir)
    node = OracleNode(institution_id=_INSTITUTION, contracts=SimpleNamespace(devices=_StubRegistry(devices)),
                      evidence=open_evidence_store(work / "evidence"), spool=Spool(work / "spool.sqlite"),
                      rejects=RejectsLog(work / "rejects.jsonl"))
    process = psutil.Process()
    rss_start = process.memory_info().rss
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    accepted = rejected = 0
    reasons: dict[str, int] = {}
    start = time.perf_counter()
    chunk = 10_000
    for path in paths:
        with open(path, "rb", buffering=1 << 20) as f:
            while True:
                data = f.read(132 * chunk)
                if not data:
                    break
                items = [("backlog", SignedReading.from_bytes(data[i:i + 132])) for i in range(0, len(data), 132)]
                report = node.ingest(items)
                accepted += report.accepted
                rejected += len(report.rejected)
                for k, v in report.rejected_by_reason().items():
                    reasons[k] = reasons.get(k, 0) + v
                with counter.get_lock():
                    counter.value += len(items)
    seconds = time.perf_counter() - start
    pending = node.spool.pending_count()
    node.spool.close()
    out.put({
        "accepted": accepted,
        "rejected": rejected,
        "rejected_by_reason": reasons,
        "pending_in_spool": pending,
        "ingest_seconds": seconds,
        "ingest_readings_per_second": (accepted + rejected) / seconds,
        "rss_after_setup_bytes": rss_start,
        "rss_end_bytes": process.memory_info().rss,
        "peak_rss_before_ingest_bytes": peak_before,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "spool_file_bytes": sum(p.stat().st_size for p in work.glob("spool.sqlite*")),
    })


def measure_backlog(work_dir: Path, meters: int, per_meter: int, interval: int, signing: Advance | None = None,
                    ingesting: Advance | None = None) -> dict[str, object]:
    from ledger.signing import public_key_bytes

    ctx = mp.get_context("spawn")
    start = int(time.time()) - 60 - per_meter * interval  # the last reading a minute ago
    work_dir.mkdir(parents=True, exist_ok=True)
    processes = 2
    paths = [str(work_dir / f"frames-{k}.bin") for k in range(processes)]
    counter = ctx.Value("q", 0)
    sign_start = time.perf_counter()
    signers = [ctx.Process(target=_sign_worker, args=(list(range(k, meters, processes)), per_meter, start, interval,
                                                      paths[k], counter), daemon=True) for k in range(processes)]
    for p in signers:
        p.start()
    _follow(counter, signers, signing)
    if any(p.exitcode != 0 for p in signers):
        raise RuntimeError("a signing process failed")
    sign_seconds = time.perf_counter() - sign_start

    devices = {}
    for i in range(meters):
        m = _meter(i, start, interval)
        devices[m.device_id] = (public_key_bytes(m.key), int(m.kind), int(m.unit))
    counter = ctx.Value("q", 0)
    out = ctx.Queue()
    oracle = ctx.Process(target=_oracle_worker, args=(paths, devices, str(work_dir / "oracle"), counter, out),
                         daemon=True)
    oracle.start()
    _follow(counter, [oracle], ingesting, out)
    result = out.get(timeout=30)
    oracle.join(10)
    for path in paths:
        os.unlink(path)
    return {"meters": meters, "readings_per_meter": per_meter, "interval_seconds": interval,
            "readings": meters * per_meter, "signing_seconds_untimed": sign_seconds, "signing_processes": processes,
            **result}


def _follow(counter, processes, advance: Advance | None, out=None) -> None:
    seen = 0
    while any(p.is_alive() for p in processes):
        if out is not None and not out.empty():
            break
        time.sleep(0.25)
        now = counter.value
        if advance is not None and now > seen:
            advance(now - seen)
        seen = now
    for p in processes:
        p.join(30)
    now = counter.value
    if advance is not None and now > seen:
        advance(now - seen)
