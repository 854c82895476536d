"""Ed25519 verification of many readings at once, in worker processes: raw bytes in, verdicts out.

Verifying is about 60 µs of C per reading and everything else the oracle does is far less, so on a
machine with several cores the signatures are checked by `workers` processes while the oracle's
own process does the rest. A job is a chunk of records, each the 32-byte public key the registry
vouches for followed by the 132-byte signed frame (payload ‖ signature); a worker answers with one
byte per record, 1 when the signature verifies against that key (the one rule, ledger/signature_batches.py's
`verify_records`, which the auditor's workers apply too). No Python object per reading crosses a
process boundary: both directions are single byte strings.

The pool knows nothing of registries or rejections: the gate (oracles/gate.py) decides which key
a reading must verify against and, for a record the pool says is bad, re-checks it inline to name
the reason (bad signature, or a rotated-out key). With `workers=0` the same verdicts are computed
in the calling process.

Workers are separate interpreters (`python -m oracles.signature_pool`, never forked: the oracle runs
threads), each fed through its stdin and answering on its stdout. When the oracle dies, even by
SIGKILL, the worker's stdin closes and it exits: nothing is left behind.
"""

from __future__ import annotations

import select
import struct
import subprocess
import sys
from collections import deque
from collections.abc import Sequence
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # not POSIX
    fcntl = None  # type: ignore[assignment]

from ledger.signature_batches import JOB_RECORD_LENGTH as RECORD_LENGTH
from ledger.signature_batches import verify_records

__all__ = ["RECORD_LENGTH", "SignaturePool", "SignaturePoolError", "verify_records"]

DEFAULT_CHUNK = 256  # records per job: large enough that a pipe round trip is < 1 % of the job
_HEADER = struct.Struct(">I")
_DEPTH = 2  # parts in flight per worker


class SignaturePoolError(RuntimeError):
    """A worker process died or answered out of protocol; the records of that call are unverified."""


def _serve() -> None:
    """Worker loop (`python -m oracles.signature_pool`): length-prefixed chunks of records on stdin,
    their verdicts on stdout, until stdin closes (the oracle closed it, or died)."""
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        records = _read_message(source)
        if records is None:
            return
        try:
            _write_message(sink, verify_records(records))
        except BrokenPipeError:  # the oracle closed the pool with this job in flight: nobody wants the answer
            return


def _read_message(stream: BinaryIO) -> bytes | None:
    """One message, or None at end of stream. Reads exactly the message's bytes, never more: the oracle
    side reads unbuffered pipes, since bytes read ahead into a buffer would hide from select()."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    (length,) = _HEADER.unpack(header)
    return _read_exactly(stream, length)


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _write_message(stream: BinaryIO, body: bytes) -> None:
    data = memoryview(_HEADER.pack(len(body)) + body)
    while data:
        written = stream.write(data)
        data = data[written if written is not None else len(data):]
    stream.flush()


class SignaturePool:
    """`workers` processes verifying chunks of records.

    `verify` blocks until every verdict is in; `submit` then `collect` let the caller work on something
    else (the previous chunk's checks and spooling) while the workers verify."""

    def __init__(self, workers: int, chunk: int = DEFAULT_CHUNK) -> None:
        if workers < 0:
            raise ValueError(f"workers must be 0 or more, got {workers}")
        self.workers = workers
        self.chunk = chunk
        self._processes: list[subprocess.Popen] = []
        self._queued: deque[tuple[int, int, bytes]] = deque()  # (ticket, part, records) not yet sent
        self._inflight: dict[int, deque[tuple[int, int]]] = {}  # worker's stdout fd → (ticket, part) sent, in order
        self._by_fd: dict[int, subprocess.Popen] = {}
        self._parts: dict[int, list[bytes | None]] = {}  # ticket → verdicts of its parts, None until answered
        self._next_ticket = 0

    def verify(self, records: bytes) -> bytes:
        """Verdicts for `records` (see verify_records), in record order."""
        return self.collect(self.submit(records))

    def submit(self, records: bytes) -> int:
        """Hand `records` to the workers; a ticket for `collect`. Few records are verified at once, here."""
        ticket, self._next_ticket = self._next_ticket, self._next_ticket + 1
        count = len(records) // RECORD_LENGTH
        if self.workers == 0 or count < self.chunk // 2:  # too few to be worth a round trip
            self._parts[ticket] = [verify_records(records)]
            return ticket
        self.start()
        step = self.chunk * RECORD_LENGTH
        parts = range(0, len(records), step)
        self._parts[ticket] = [None] * len(parts)
        self._queued.extend((ticket, n, records[at:at + step]) for n, at in enumerate(parts))
        self._pump(wait=False)
        return ticket

    def collect(self, ticket: int) -> bytes:
        """The verdicts of a submitted call, waiting for the workers as long as it takes."""
        parts = self._parts[ticket]
        while any(p is None for p in parts):
            self._pump(wait=True)
        del self._parts[ticket]
        return b"".join(parts)  # type: ignore[arg-type]

    def holds(self, ticket: int) -> bool:
        """Whether `ticket` can still be collected: submitted and not collected, and the pool not closed since
        (closing drops every call in flight, and tickets are never reused)."""
        return ticket in self._parts

    @property
    def outstanding(self) -> int:
        """Calls submitted and not yet collected."""
        return len(self._parts)

    def pump(self) -> None:
        """Feed the workers without waiting: send queued parts to workers with room, keep the answers that are
        in. A caller busy with other work between `submit` and `collect` (the oracle anchoring) calls this now
        and then, so the workers are not left idle once the parts in their pipes are done."""
        self._pump(wait=False)

    def _pump(self, wait: bool) -> None:
        """Send queued parts to workers with room (DEPTH each, so a worker finishing one part finds the next
        already in its pipe); read the answers that are in, waiting for one if `wait`."""
        try:
            for worker in self._processes:
                waiting = self._inflight[worker.stdout.fileno()]
                while self._queued and len(waiting) < _DEPTH:
                    ticket, part, records = self._queued.popleft()
                    _write_message(worker.stdin, records)
                    waiting.append((ticket, part))
            busy = [fd for fd, waiting in self._inflight.items() if waiting]
            if not busy:
                return
            ready, _, _ = select.select(busy, [], [], None if wait else 0)
            for fd in ready:
                worker = self._by_fd[fd]
                answer = _read_message(worker.stdout)
                if answer is None:
                    raise SignaturePoolError(f"signature worker {worker.pid} exited (code {worker.poll()})")
                ticket, part = self._inflight[fd].popleft()
                self._parts[ticket][part] = answer
        except OSError as exc:
            self.close()
            raise SignaturePoolError(f"a signature worker died: {type(exc).__name__}: {exc}") from None
        except SignaturePoolError:
            self.close()
            raise

    def verify_many(self, keys: Sequence[bytes], frames: Sequence[bytes]) -> bytes:
        """Verdicts for frames[i] against keys[i]."""
        return self.verify(b"".join(k + f for k, f in zip(keys, frames, strict=True)))

    def close(self) -> None:
        for process in self._processes:
            for stream in (process.stdin, process.stdout):
                try:
                    stream.close()  # the worker sees EOF and returns
                except OSError:
                    pass
        for process in self._processes:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes, self._inflight, self._by_fd, self._queued, self._parts = [], {}, {}, deque(), {}

    def __enter__(self) -> "SignaturePool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes]

    def start(self) -> None:
        """Start the workers now (otherwise the first call large enough to need them does)."""
        if self._processes:
            return
        for _ in range(self.workers):
            self._processes.append(subprocess.Popen([sys.executable, "-m", "oracles.signature_pool"],
                                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0))
        for process in self._processes:  # room for _DEPTH parts in each pipe, so sending a part never blocks
            _widen_pipe(process.stdin.fileno(), _DEPTH * (self.chunk * RECORD_LENGTH + _HEADER.size))
        self._by_fd = {p.stdout.fileno(): p for p in self._processes}
        self._inflight = {fd: deque() for fd in self._by_fd}


def _widen_pipe(fd: int, size: int) -> None:
    """Ask Linux for a pipe buffer of at least `size` bytes (64 KiB by default); elsewhere, or when refused,
    a full pipe merely makes the sender wait."""
    setting = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setting is None:
        return
    try:
        fcntl.fcntl(fd, setting, max(size, 65536))
    except OSError:
        pass


if __name__ == "__main__":
    _serve()
