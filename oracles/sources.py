"""Where a running oracle takes readings from: the ReadingSource protocol and two sources.

A ReadingSource is any iterable of `(label, SignedReading | ReadingRejected)` pairs, exactly what
`OracleNode.ingest` takes; the label says where the item came from (file:line, topic, collector)
and ends up in the rejects log. Iterating may block while no reading is available (the runner reads
each source on its own thread) and ends when the source is exhausted; a source that runs forever
simply never ends. Drivers (MQTT, Modbus, HTTP push) plug in by being such an iterable
(`ReadingSubscriber` in drivers/mqtt.py, `ModbusSource` in drivers/modbus.py).

A source may also have `batches()`, an iterator of lists of such pairs: the runner then takes a list
at a time (the MQTT subscriber hands over every message that has arrived in one go) instead of
paying a queue hand-over per reading.

A source may also have `spooled(labels)`: the runner calls it, after the transaction that spooled
the readings with these labels has committed, so a source can acknowledge them upstream (an MQTT
PUBACK) or remember how far it got (a file offset). Until then, a crash means the source delivers
them again and the spool's (device, sequence) rule refuses the repeats.

    JsonlTail     a JSON-lines file (oracles/jsonl.py shapes), read to its end or followed as it grows,
                  resuming after a restart from the offset it last saw spooled
    QueueSource   an in-process queue that drivers or tests push into
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from ledger.signing import SignedReading
from oracles.jsonl import parse_line
from oracles.rejects import ReadingRejected

SourcedItem = tuple[str, SignedReading | ReadingRejected]


@runtime_checkable
class ReadingSource(Protocol):
    """An iterable of (label, SignedReading | ReadingRejected); see the module docstring."""

    def __iter__(self) -> Iterator[SourcedItem]: ...


@runtime_checkable
class AcknowledgingSource(ReadingSource, Protocol):
    def spooled(self, labels: Sequence[str]) -> None:
        """The readings with these labels are durable in the spool: acknowledge or checkpoint them."""


class JsonlTail:
    """Readings from a JSON-lines file; `follow` keeps reading as lines are appended (like `tail -f`).

    With a `checkpoint` file, the byte offset after the last spooled line is kept there (written
    atomically), and a restarted oracle continues from it instead of re-reading the whole file.
    """

    def __init__(self, path: Path, follow: bool = False, checkpoint: Path | None = None, poll_seconds: float = 0.2,
                 stop: threading.Event | None = None) -> None:
        self.path = path
        self.follow = follow
        self.checkpoint = checkpoint
        self.poll_seconds = poll_seconds
        self.stop = stop or threading.Event()
        self._ends: dict[str, int] = {}  # label → byte offset after its line, until spooled
        self._lock = threading.Lock()

    def start_offset(self) -> int:
        if self.checkpoint is None or not self.checkpoint.exists():
            return 0
        saved = json.loads(self.checkpoint.read_text())
        return int(saved["offset"]) if saved.get("path") == str(self.path.resolve()) else 0

    def __iter__(self) -> Iterator[SourcedItem]:
        offset = self.start_offset()
        with self.path.open("rb") as f:
            f.seek(offset)
            pending = b""
            while not self.stop.is_set():
                chunk = f.readline()
                if not chunk:
                    if not self.follow:
                        break
                    time.sleep(self.poll_seconds)  # a partial last line waits in `pending` for its end
                    continue
                pending += chunk
                if not pending.endswith(b"\n") and self.follow:
                    continue
                line, pending = pending, b""
                start, offset = offset, offset + len(line)
                text = line.decode("utf-8", errors="replace")
                if not text.strip():
                    continue
                label = f"{self.path.name}@{start}"  # the line's byte offset: `tail -c +<offset+1>` shows it
                with self._lock:
                    self._ends[label] = offset
                try:
                    yield label, parse_line(text)
                except ReadingRejected as rejected:
                    yield label, rejected

    def spooled(self, labels: Sequence[str]) -> None:
        with self._lock:
            ends = [self._ends.pop(label) for label in labels if label in self._ends]
        if ends and self.checkpoint is not None:
            _write_atomically(self.checkpoint, json.dumps({"path": str(self.path.resolve()), "offset": max(ends)}))


class QueueSource:
    """Readings pushed in-process (`put`); iteration ends after `close()` once the queue is drained."""

    _END = object()

    def __init__(self, maxsize: int = 10_000) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize)

    def put(self, label: str, item: SignedReading | ReadingRejected, timeout: float | None = None) -> None:
        self._queue.put((label, item), timeout=timeout)

    def close(self) -> None:
        self._queue.put(self._END)

    def __iter__(self) -> Iterator[SourcedItem]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            yield item


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    with temp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)
