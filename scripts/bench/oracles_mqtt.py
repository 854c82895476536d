"""MQTT to anchored root: a bench broker, a publisher process, the oracle runner, and the 2-process Ed25519 limit.

The oracle is the real long-running path (oracles/runner.py): the MQTT driver's ReadingSubscriber is
its source (QoS 1, manual PUBACK after spooling), the node verifies and spools, the runner batches by
size or by its time window and anchors on anvil, then confirms (1 confirmation). The meters' side is a
separate process publishing pre-signed frames with the driver's ReadingPublisher, so publishing does
not share this process's interpreter lock.

Two variants: live (the clock starts at the first publish; the publisher shares the cores with the oracle
throughout) and pre-queued (every frame is first queued by the broker for the oracle's absent persistent
session; the clock starts when the oracle connects and drains the queue, so the meters' side costs nothing
in the timed span, as when an oracle catches up after an outage).

The broker is a Mosquitto started for the run on a free loopback port with `max_queued_messages 0`:
the system broker keeps its default of 1,000 queued frames per session and silently drops the rest
when the oracle falls behind a fast publisher (oracles/drivers/mqtt.py), which would end the run short.

Wall-clock times (time.time) are compared across processes on one machine; perf_counter is used
within a process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ledger.signing import SignedReading

Advance = Callable[[int], object]


# ----------------------------------------------------------------------------------------------- broker

@dataclass
class BenchBroker:
    process: subprocess.Popen
    host: str
    port: int

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_broker(work_dir: Path) -> BenchBroker:
    """Mosquitto on a free loopback port, no persistence, no per-session queue limit."""
    binary = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
    if binary is None:
        raise RuntimeError("mosquitto is not installed (apt-get install mosquitto)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = work_dir / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "max_queued_messages 0\nmax_queued_bytes 0\nlog_dest none\n")
    process = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mosquitto exited with code {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return BenchBroker(process, "127.0.0.1", port)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("mosquitto did not start listening within 10 s")


# -------------------------------------------------------------------------------------------- publisher

def _messages(frames: list[tuple[str, bytes]], per_message: int) -> list[tuple[str, list[int]]]:
    """Each collector's frames (indices into `frames`), in their order, as messages of `per_message`
    frames: a message is sent when it is full (at its last frame's turn), the partly filled ones at
    the end, as a collector would."""
    messages: list[tuple[str, list[int]]] = []
    filling: dict[str, list[int]] = {}
    for index, (collector, _) in enumerate(frames):
        message = filling.setdefault(collector, [])
        message.append(index)
        if len(message) == per_message:
            messages.append((collector, filling.pop(collector)))
    messages.extend(filling.items())
    return messages


def _publish_worker(host: str, port: int, institution: int, frames: list[tuple[str, bytes]], rate: float | None,
                    per_message: int, go, out) -> None:
    """Child process: connect, wait for `go`, publish every frame (paced at `rate`/s if given), wait for PUBACKs.

    per_message 1: one frame per message on the device's `…/<device>/reading` topic; more: a collector's
    messages of up to that many frames on `…/<collector>/readings` (see _messages)."""
    from oracles.drivers.mqtt import BrokerAddress, ReadingPublisher

    publisher = ReadingPublisher(institution, BrokerAddress(host, port), client_id=f"zcl-bench-pub-{os.getpid()}",
                                 session_expiry=0)
    publisher.connect(timeout=10)
    signed = [SignedReading.from_bytes(frame) for _, frame in frames]
    messages = [(collector, indices, [signed[i] for i in indices]) for collector, indices in _messages(frames, per_message)]
    out.put(("ready", os.getpid()))
    go.wait()
    times = [0.0] * len(frames)  # publish time of each frame, in the order of `frames`
    now = time.time
    start = time.perf_counter()
    sent = 0
    for collector, indices, readings in messages:
        if rate is not None:
            delay = start + sent / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        t = now()
        for i in indices:
            times[i] = t
        if per_message == 1:
            publisher.publish(collector, readings[0])
        else:
            publisher.publish_many(collector, readings)
        sent += len(readings)
        if len(publisher._pending) >= 5_000:  # keep the list of unacknowledged message infos short
            publisher.flush(timeout=120)
    publisher.flush(timeout=120)
    acked = now()
    cpu = os.times()
    publisher.close()
    out.put(("done", times, acked, cpu.user + cpu.system))


class Publisher:
    """A publisher process, connected and waiting; `go()` starts it, `result()` collects publish times."""

    def __init__(self, broker: BenchBroker, institution: int, frames: list[tuple[str, bytes]], rate: float | None,
                 per_message: int = 1) -> None:
        ctx = mp.get_context("spawn")
        self._go = ctx.Event()
        self._out = ctx.Queue()
        self.process = ctx.Process(target=_publish_worker, daemon=True,
                                   args=(broker.host, broker.port, institution, frames, rate, per_message, self._go,
                                         self._out))
        self.process.start()
        message = self._out.get(timeout=60)
        if message[0] != "ready":
            raise RuntimeError(f"publisher: unexpected {message[0]!r}")
        self.pid = message[1]

    def go(self) -> None:
        self._go.set()

    def result(self, timeout: float = 300) -> tuple[list[float], float, float]:
        _, times, acked, cpu = self._out.get(timeout=timeout)
        self.process.join(10)
        return times, acked, cpu


# ------------------------------------------------------------------------------------------- oracle run

@dataclass
class MqttRun:
    readings: int
    batch_size: int
    window_seconds: float
    publish_rate: float | None  # None: as fast as the publisher can
    first_publish: float
    last_publish: float
    publisher_acked: float  # broker acknowledged the last frame to the publisher
    last_anchor: float
    anchors: int
    latencies: list[float]  # per reading: anchor receipt time − publish time, seconds
    oracle_seconds: dict[str, float]  # runner loop of this process: ingest, anchor, confirm, other
    cpu_seconds: dict[str, float]  # per process over the timed span (the publisher's: while it published)
    frames_per_message: int = 1
    verify_workers: int = 0
    errors: list[str] = field(default_factory=list)
    prequeued: bool = False  # every frame was queued in the broker before the clock started
    clock_start: float | None = None  # wall clock when the timed span began: the first publish unless prequeued

    @property
    def seconds(self) -> float:
        return self.last_anchor - (self.first_publish if self.clock_start is None else self.clock_start)

    @property
    def readings_per_second(self) -> float:
        return self.readings / self.seconds

    def cpu_microseconds_per_reading(self) -> dict[str, float]:
        return {name: seconds / self.readings * 1e6 for name, seconds in self.cpu_seconds.items()}

    def latency_percentile(self, q: float) -> float:
        data = sorted(self.latencies)
        return data[min(len(data) - 1, max(0, round(q / 100 * (len(data) - 1))))]


_INGEST = "ingest (decode, verify, checks, spool, PUBACK)"


def run_mqtt(broker: BenchBroker, contracts, institution_id: int, work_dir: Path, frames: list[tuple[str, bytes]],
             batch_size: int, window_seconds: float, rate: float | None, label: str, anvil_pid: int | None,
             advance: Advance | None = None, timeout: float = 240.0, per_message: int = 1,
             verify_workers: int = 0, prequeued: bool = False) -> MqttRun:
    """Publish `frames` from a child process; the runner subscribes, spools, batches and anchors them all.

    `per_message` frames per MQTT message (1: the per-device topic); `verify_workers` signature processes.
    `prequeued`: the oracle's persistent session subscribes, then leaves; every frame is published and
    acknowledged by the broker, which queues them for the absent session; the clock starts when the oracle
    connects again and drains the queue (the publisher's CPU is then outside the timed span)."""
    import psutil

    from oracles.drivers.mqtt import BrokerAddress, ReadingSubscriber
    from oracles.runner import OracleRunner, RunPolicy
    from oracles.signature_pool import SignaturePool
    from scripts.bench.pipeline import build_oracle

    node = build_oracle(contracts, institution_id, work_dir, batch_size)
    node.signatures = SignaturePool(verify_workers)

    received: dict[bytes, float] = {}
    original_anchor = node._anchor

    def anchor_and_note(batch, readings, maybe_anchored):
        result = original_anchor(batch, readings, maybe_anchored)
        t = time.time()
        for r in readings:
            received[r.payload[1:41]] = t
        if advance is not None:
            advance(len(readings))
        return result

    node._anchor = anchor_and_note
    seconds = {_INGEST: 0.0, "anchor (merkle, evidence, tx, receipt)": 0.0, "confirm (chain reads)": 0.0}

    def timed(owner, method: str, stage: str) -> None:
        original = getattr(owner, method)

        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[stage] += time.perf_counter() - t0
        setattr(owner, method, wrapper)

    address = BrokerAddress(broker.host, broker.port)
    client_id = f"zcl-bench-oracle-{label}-{os.getpid()}"
    subscriber = ReadingSubscriber(institution_id, address, client_id=client_id, session_expiry=300)
    subscriber.connect(timeout=10)
    time.sleep(0.5)  # SUBACK: the subscription is in place before the first frame is published
    publisher = Publisher(broker, institution_id, frames, rate, per_message)
    published: tuple[list[float], float, float] | None = None
    if prequeued:
        subscriber.disconnect()  # a clean DISCONNECT: the broker keeps the session and queues its frames
        publisher.go()
        published = publisher.result()
        subscriber = ReadingSubscriber(institution_id, address, client_id=client_id, session_expiry=300)
    runner = OracleRunner(node, [subscriber], RunPolicy(batch_size=batch_size, batch_window_seconds=window_seconds,
                                                       idle_wait_seconds=0.05, confirmations=1))
    timed(runner, "_ingest", _INGEST)
    timed(node, "flush", "anchor (merkle, evidence, tx, receipt)")
    timed(node, "confirm", "confirm (chain reads)")
    node.signatures.start()  # before the clock, as in a running oracle
    for device_id in {SignedReading.from_bytes(f).payload[1:33] for _, f in frames}:
        node.directory.lookup(device_id)  # registry cache warm (30 s), as in a running oracle

    procs = {"oracle (this process)": psutil.Process(), "mosquitto": psutil.Process(broker.process.pid)}
    if not prequeued:
        procs["publisher"] = psutil.Process(publisher.pid)
    procs.update({f"verify worker {i + 1}": psutil.Process(pid) for i, pid in enumerate(node.signatures.pids)})
    if anvil_pid is not None:
        procs["anvil"] = psutil.Process(anvil_pid)
    cpu_before = {name: sum(p.cpu_times()[:2]) for name, p in procs.items()}
    clock_start = time.time()
    if prequeued:
        subscriber.connect(timeout=10)  # the broker starts sending the queued frames at once
    runner.start()
    errors: list[str] = []
    loop_start = time.perf_counter()
    if not prequeued:
        publisher.go()
    deadline = time.monotonic() + timeout
    try:
        while len(received) < len(frames):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{label}: {len(received):,} of {len(frames):,} readings anchored after {timeout:.0f} s")
            report = runner.step()
            if report.error:
                errors.append(report.error)
            if report.ingested.rejected:
                raise RuntimeError(f"{label}: the oracle refused {len(report.ingested.rejected)} readings: "
                                   f"{report.ingested.rejected_by_reason()}")
        loop_seconds = time.perf_counter() - loop_start
        cpu_after = {name: sum(p.cpu_times()[:2]) for name, p in procs.items() if name != "publisher"}
        times, acked, publisher_cpu = published if published is not None else publisher.result()
    finally:
        runner.request_stop()
        subscriber.close()
        node.close()
    cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    cpu["publisher" if not prequeued else "publisher (before the clock)"] = publisher_cpu
    keys = [SignedReading.from_bytes(f).payload[1:41] for _, f in frames]
    latencies = [received[k] - t for k, t in zip(keys, times)]
    seconds["waiting for frames, runner bookkeeping"] = loop_seconds - sum(seconds.values())
    return MqttRun(len(frames), batch_size, window_seconds, rate, min(times), max(times), acked, max(received.values()),
                   len({v for v in received.values()}), latencies, seconds, cpu, per_message, verify_workers, errors,
                   prequeued, clock_start if prequeued else None)


# -------------------------------------------------------------------------------- Ed25519, two processes

def _verify_worker(items: list[tuple[bytes, bytes, bytes]], passes: int, barrier, out) -> None:
    from nacl.signing import VerifyKey

    keys: dict[bytes, VerifyKey] = {}
    prepared = [(keys.setdefault(pk, VerifyKey(pk)), message, signature) for pk, message, signature in items]
    barrier.wait()
    start = time.perf_counter()
    for _ in range(passes):
        for key, message, signature in prepared:
            key.verify(message, signature)
    out.put((start, time.perf_counter()))


def verify_limit(readings: list[SignedReading], public_keys: dict[bytes, bytes], processes: int = 2,
                 passes: int = 3) -> dict[str, object]:
    """PyNaCl VerifyKey.verify on `processes` processes at once, keys prepared: verifications per second."""
    from ledger.signing import SIGNING_DOMAIN

    items = [(public_keys[r.payload[1:33]], SIGNING_DOMAIN + r.payload, r.signature) for r in readings]
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    workers = [ctx.Process(target=_verify_worker, args=(items[i::processes], passes, barrier, out), daemon=True)
               for i in range(processes)]
    for w in workers:
        w.start()
    spans = [out.get(timeout=300) for _ in workers]
    for w in workers:
        w.join(10)
    seconds = max(e for _, e in spans) - min(s for s, _ in spans)
    return {"processes": processes, "passes": passes, "verifications": passes * len(items), "seconds": seconds,
            "readings_per_second": passes * len(items) / seconds,
            "per_process_seconds": [e - s for s, e in spans]}
