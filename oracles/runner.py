"""The long-running oracle (`zcl oracle run`): sources → node → anchors, until told to stop.

Each source is read on its own thread into one bounded queue; the runner's loop takes what has
arrived, spools it (one transaction, then the sources are told), and anchors when a batch is full
or the oldest pending reading has waited `batch_window_seconds`, whichever comes first. Anything
that needs the chain (anchoring, confirming, deferred readings) is retried with exponential backoff
while the chain or the evidence store is down: readings keep spooling meanwhile, and nothing is
anchored twice, because every batch is recorded as prepared before it is sent (oracles/node.py).

With an Approver (`--approve`, oracles/approver.py), a step also co-signs batches that wait for the
institution's k-of-n approvals, a few at a time, after the anchoring work and only when no readings
are queued (or it has waited `max_delay_seconds`): approving never holds up ingest for long, and it
backs off on its own while the chain or the evidence store is down.

SIGTERM and Ctrl-C stop the loop after the step in progress; readings already taken from the
sources are spooled before it returns. A kill -9 loses nothing the spool holds either: a restart
recovers prepared batches, and sources re-deliver whatever they were not told was spooled.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from oracles.alarm_publisher import AlarmPublisher
from oracles.approver import ApprovalReport, Approver
from oracles.node import AnchorResult, ConfirmReport, IngestReport, OracleNode, Presubmitted
from oracles.sources import ReadingSource, SourcedItem

log = logging.getLogger(__name__)
_DONE = object()


class ChainUnavailable(RuntimeError):
    """Deferred readings are still waiting for a registry that cannot be reached."""


@dataclass(frozen=True)
class RunPolicy:
    batch_size: int = 1000
    batch_window_seconds: float = 60.0
    confirmations: int = 1
    backoff_initial_seconds: float = 1.0
    backoff_max_seconds: float = 300.0
    max_items_per_step: int = 5000  # spooled in chunks of 500 (oracles/node.py), verified a chunk ahead
    max_batches_per_step: int = 10  # keeps a step short, so a stop request is honoured soon
    idle_wait_seconds: float = 0.5
    offline_check_seconds: float = 60.0
    exit_when_idle: bool = False  # stop once every source is exhausted and everything is anchored
    verify_while_anchoring: bool = True  # hand queued readings' signatures to the workers before anchoring


class Backoff:
    """Exponential backoff with jitter: initial, 2×, 4× … up to `maximum` seconds after each failure."""

    def __init__(self, initial: float, maximum: float, clock: Callable[[], float]) -> None:
        self.initial, self.maximum, self.clock = initial, maximum, clock
        self.failures = 0
        self.next_at = 0.0
        self.last_error: str | None = None

    def ready(self) -> bool:
        return self.clock() >= self.next_at

    def failed(self, error: BaseException) -> float:
        delay = min(self.maximum, self.initial * 2 ** min(self.failures, 32)) * random.uniform(0.5, 1.0)
        self.failures += 1
        self.next_at = self.clock() + delay
        self.last_error = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:300]
        return delay

    def succeeded(self) -> None:
        self.failures, self.next_at, self.last_error = 0, 0.0, None


@dataclass
class StepReport:
    ingested: IngestReport = field(default_factory=IngestReport)
    anchored: list[AnchorResult] = field(default_factory=list)
    confirmed: ConfirmReport = field(default_factory=ConfirmReport)
    approvals: ApprovalReport | None = None  # when an approval step ran
    error: str | None = None
    idle: bool = False  # every source exhausted, nothing pending, prepared, unconfirmed or deferred


class OracleRunner:
    def __init__(self, node: OracleNode, sources: Sequence[ReadingSource], policy: RunPolicy | None = None,
                 publisher: AlarmPublisher | None = None, clock: Callable[[], float] = time.monotonic,
                 stop: threading.Event | None = None, approver: Approver | None = None) -> None:
        self.node = node
        self.sources = list(sources)
        self.policy = policy or RunPolicy()
        self.publisher = publisher
        self.clock = clock
        self.stop_event = stop or threading.Event()
        self.anchoring = Backoff(self.policy.backoff_initial_seconds, self.policy.backoff_max_seconds, clock)
        self.approver = approver
        self.approving = Backoff(self.policy.backoff_initial_seconds, self.policy.backoff_max_seconds, clock)
        self._next_approval = 0.0
        self._last_approval = clock()
        self._approvals_settled = approver is None  # scanned to the head with nothing left to decide
        self._queue: queue.Queue = queue.Queue(maxsize=4 * self.policy.max_items_per_step)  # lists of items
        self._exhausted: set[int] = set()
        self._held: list[tuple[int, SourcedItem]] = []  # taken from the sources, not yet spooled (ingest failed,
        # or taken before anchoring so that their signatures are verified meanwhile: then `_ahead` is theirs)
        self._ahead: Presubmitted | None = None
        self._started = False
        self._window_started: float | None = None
        self._next_offline_check = 0.0
        node.batch_size = self.policy.batch_size
        node.track_confirmations = True

    def start(self) -> None:
        """Start one reader thread per source (daemon threads: a source may block forever)."""
        if self._started:
            return
        self._started = True
        for index, source in enumerate(self.sources):
            threading.Thread(target=self._pump, args=(index, source), name=f"source-{index}", daemon=True).start()

    def run(self) -> None:
        """Step until a stop is requested (or, with exit_when_idle, until everything is anchored)."""
        self.start()
        self._publish_state("running")
        try:
            while not self.stop_event.is_set():
                if self.step().idle and self.policy.exit_when_idle:
                    break
            self._ingest(self._held + self._take(timeout=0))  # readings already taken from the sources are spooled
        finally:
            self._publish_state("stopped")
            if self.publisher is not None:
                self.publisher.close()

    def request_stop(self) -> None:
        self.stop_event.set()

    def step(self) -> StepReport:
        """One round: spool what arrived, then the chain work that is due, alarms, and the status."""
        self.start()
        report = StepReport()
        taken, self._held = self._held + self._take(timeout=self._wait_time() if not self._held else 0), []
        try:
            report.ingested = self._ingest(taken)
        except Exception as exc:  # e.g. the disk is full: keep the readings and try them again next step
            self._held = taken
            report.error = f"ingest failed: {type(exc).__name__}: {exc}"
            log.error("%s; %d reading(s) held for the next attempt", report.error, len(taken))
            self.stop_event.wait(self.policy.idle_wait_seconds)
        spool = self.node.spool
        if self.anchoring.ready():
            try:
                report.anchored = self._anchor_if_due()
                if spool.unconfirmed_batches():
                    report.confirmed = self.node.confirm(self.policy.confirmations)
                    for root in report.confirmed.reorged:
                        log.warning("batch 0x%s left the canonical chain; it will be anchored again", root.hex())
                if spool.deferred_count():
                    retried = self.node.retry_deferred()
                    report.ingested.add(retried)
                    if retried.deferred and not (retried.accepted or retried.rejected):
                        raise ChainUnavailable(f"{retried.deferred} deferred reading(s) still cannot be checked: "
                                               f"{spool.deferred(1)[0].reason}")
                self.anchoring.succeeded()
            except Exception as exc:  # chain or evidence store down, a revert: all retried later
                delay = self.anchoring.failed(exc)
                self.node.contracts.attestations.chain.resync()
                report.error = self.anchoring.last_error
                log.warning("anchoring failed (%s); retrying in %.1f s, readings keep spooling", report.error, delay)
        if report.anchored or report.confirmed.confirmed:
            self._approvals_settled, self._next_approval = self.approver is None, 0.0  # own batches may need approving
        if self.approver is not None:
            report.approvals = self._approve_if_due()
        try:
            self._watch_alarms()
            self._publish_state("running")
        except Exception:  # alarms and status are worth a log line, never the oracle itself
            log.exception("alarm checks or status update failed; retried next step")
        report.idle = self._idle()
        return report

    def _approve_if_due(self) -> ApprovalReport | None:
        """One approval step when due: not while backing off, and not while readings are queued unless
        approving has waited max_delay_seconds."""
        now = self.clock()
        policy = self.approver.policy
        busy = bool(self._held) or not self._queue.empty()
        if not self.approving.ready() or now < self._next_approval or \
                (busy and now - self._last_approval < policy.max_delay_seconds):
            return None
        self._last_approval = now
        try:
            result = self.approver.step()
            self.approving.succeeded()
        except Exception as exc:  # chain or evidence store down: retried later, ingest goes on
            delay = self.approving.failed(exc)
            self._approvals_settled = False
            self.node.contracts.attestations.chain.resync()
            log.warning("approval step failed (%s); retrying in %.1f s", self.approving.last_error, delay)
            return None
        self._next_approval = now if result.more_waiting else now + policy.check_seconds
        self._approvals_settled = not result.more_waiting
        return result

    def _anchor_if_due(self) -> list[AnchorResult]:
        spool = self.node.spool
        pending = spool.pending_count()
        if pending == 0:
            self._window_started = None
        window_over = self._window_started is not None and \
            self.clock() - self._window_started >= self.policy.batch_window_seconds
        force = pending > 0 and (window_over or self._all_exhausted())
        if not (force or pending >= self.policy.batch_size or spool.prepared_batches()):
            return []
        self._verify_ahead()
        anchors = self.node.flush(force=force, max_batches=self.policy.max_batches_per_step)
        for a in anchors:
            log.info("anchored %d reading(s) as 0x%s in %s", a.reading_count, a.root.hex()[:16], a.transaction_hash)
        if spool.pending_count() == 0:
            self._window_started = None
        return anchors

    def _verify_ahead(self) -> None:
        """Take what has arrived and hand its signatures to the workers before anchoring, so they verify
        while this thread anchors (on two cores, otherwise they would sit idle). The readings are only
        held: the next step's ingest checks and spools them, and only then are the sources told, so a
        crash meanwhile loses nothing (the sources deliver them again)."""
        if not self.policy.verify_while_anchoring or self._held or self.node.signatures.workers == 0:
            return
        self._held = self._take(timeout=0)
        try:
            self._ahead = self.node.presubmit([item for _, item in self._held])
        except Exception:  # e.g. the registry failing oddly: the readings are checked the usual way next step
            self._ahead = None
            log.exception("could not verify %d reading(s) ahead; they are checked next step", len(self._held))

    def _ingest(self, taken: list[tuple[int, SourcedItem]]) -> IngestReport:
        ahead, self._ahead = self._ahead, None  # presubmitted: the first of `taken`, which begins with `_held`
        if not taken:
            return IngestReport()
        report = self.node.ingest((item for _, item in taken), ahead=ahead)
        if self._window_started is None:
            self._window_started = self.clock()
        labels: dict[int, list[str]] = {}
        for index, (label, _) in taken:
            labels.setdefault(index, []).append(label)
        for index, spooled in labels.items():
            acknowledge = getattr(self.sources[index], "spooled", None)
            if acknowledge is not None:
                try:
                    acknowledge(spooled)
                except Exception:  # the readings are safe in the spool; the source may deliver them again
                    log.exception("source %d could not acknowledge %d reading(s)", index, len(spooled))
        return report

    def _take(self, timeout: float) -> list[tuple[int, SourcedItem]]:
        """About max_items_per_step items (a source's batch is taken whole), waiting at most `timeout`
        for the first one."""
        taken: list[tuple[int, SourcedItem]] = []
        deadline = self.clock() + timeout
        while len(taken) < self.policy.max_items_per_step:
            try:
                index, items = self._queue.get(timeout=max(0.0, deadline - self.clock())) if not taken \
                    else self._queue.get_nowait()
            except queue.Empty:
                break
            if items is _DONE:
                self._exhausted.add(index)
                continue
            taken.extend((index, item) for item in items)
        return taken

    def _wait_time(self) -> float:
        """How long a step waits for the first reading: briefly once every source is exhausted."""
        return min(self.policy.idle_wait_seconds, 0.05) if self._all_exhausted() else self.policy.idle_wait_seconds

    def _pump(self, index: int, source: ReadingSource) -> None:
        """Hand the source's items to the loop: a batch at a time when the source has `batches()`."""
        batches = getattr(source, "batches", None)
        try:
            for items in batches() if batches is not None else ([item] for item in source):
                while not self._put((index, items)):
                    if self.stop_event.is_set():
                        return
        except Exception:  # a broken source must not take the oracle down; the others go on
            log.exception("source %d failed", index)
        finally:
            while not self._put((index, _DONE)) and not self.stop_event.is_set():
                pass

    def _put(self, entry: tuple[int, object]) -> bool:
        try:
            self._queue.put(entry, timeout=0.2)
            return True
        except queue.Full:
            return False

    def _all_exhausted(self) -> bool:
        return len(self._exhausted) == len(self.sources)

    def _idle(self) -> bool:
        spool = self.node.spool
        return (self._all_exhausted() and self._queue.empty() and not self._held and spool.pending_count() == 0
                and not spool.prepared_batches() and not spool.unconfirmed_batches() and spool.deferred_count() == 0
                and self._approvals_settled)

    def _watch_alarms(self) -> None:
        alarms = self.node.alarms
        if alarms is not None and self.clock() >= self._next_offline_check:
            self._next_offline_check = self.clock() + self.policy.offline_check_seconds
            alarms.check_offline(self.node.spool)
        if alarms is not None and self.publisher is not None:
            self.publisher.publish_pending(alarms.store)

    def _publish_state(self, phase: str) -> None:
        retry_in = max(0.0, self.anchoring.next_at - self.clock()) if self.anchoring.failures else 0.0
        self.node.spool.set_state({
            "phase": phase, "pid": str(os.getpid()), "heartbeat_at": str(int(time.time())),
            "last_error": self.anchoring.last_error or "", "retry_at": str(int(time.time() + retry_in)) if retry_in else "",
            "approving": "" if self.approver is None else (self.approving.last_error or "ok"),
        })
