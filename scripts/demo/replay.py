"""The seed's year, replayed once through the oracle node so the dashboards have a year to show.

Every metering point of the compound (150) is simulated hourly from 1 January 2022 up to the demo's today
(clock.py); the collectors deliver one reading in REPLAY_STEP_HOURS, a resolution that keeps the
charts' daily and monthly shape (4 h divides the day at local midnight, UTC+8) and keeps the replay
within about a minute on two cores. Readings are signed by each device's key, verified by the oracle
(OracleNode, signature workers on every core), spooled, batched, stored as evidence and anchored.
An interrupted replay resumes from the oracle's spool.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from oracles.node import OracleNode
from oracles.profiles import profile_from_json
from ledger.signing import SignedReading
from oracles.simulation import CompoundFleet, MeterState, Series, TimedReading

from scripts.demo.clock import YEAR_START, demo_now

REPLAY_STEP_HOURS = 4
REPLAY_BATCH = 5_000


@dataclass(frozen=True)
class ReplayReport:
    devices: int
    readings: int
    rejected: int
    batches: int
    seconds: float
    first: int
    last: int

    @property
    def per_second(self) -> float:
        return self.readings / self.seconds if self.seconds else 0.0


def spool_states(node: OracleNode, fleet: CompoundFleet) -> dict[str, MeterState]:
    """Where each device stopped, from the oracle's spool (its last accepted reading), on the fleet's grid."""
    states = {}
    for name, identity in fleet.identities.items():
        last = node.spool.latest_record(identity.device_id)
        if last is not None:
            r = last.reading
            states[name] = MeterState(r.sequence, r.timestamp - r.timestamp % fleet.interval, r.value)
    return states


def thinned(series: dict[str, Series], step: int) -> dict[str, Series]:
    """The metering points' samples on the `step`-second grid only: what collectors polling that often
    deliver. The lighting controllers (feeder currents, no energy of their own) join when the demo goes live."""
    return {name: s.keep([i for i, slot in enumerate(s.slots) if slot % step == 0])
            for name, s in series.items() if s.device.cumulative}


def replay_year(node: OracleNode, fleet: CompoundFleet, live_interval: int,
                advance: Callable[[int], None] | None = None, end: int | None = None) -> ReplayReport:
    """Replay from 1 January (or where an interrupted replay stopped) to `end` (default the demo's now)."""
    step = REPLAY_STEP_HOURS * 3600
    for entry in fleet.device_profiles():  # ratings for plausibility; the live interval for offline detection
        entry["interval_seconds"] = live_interval
        node.profiles.set(profile_from_json(entry))
    end = (end or demo_now()) // step * step
    started = time.perf_counter()
    series = thinned(fleet.series(end, start=YEAR_START, states=spool_states(node, fleet)), step)
    report = node.ingest(_counted(fleet.readings(series), advance))  # one stream: chunks of 500 per commit
    anchors = node.flush()
    seconds = time.perf_counter() - started
    return ReplayReport(len(series), report.accepted, len(report.rejected), len(anchors), seconds, YEAR_START, end)


def _counted(steps: Iterable[list[TimedReading]], advance: Callable[[int], None] | None
             ) -> Iterator[tuple[str, SignedReading]]:
    for step in steps:
        for r in step:
            yield f"replay:{r.identity.device.name}", r.signed
        if advance is not None:
            advance(len(step))


def verify_workers() -> int:
    """Signature workers: one per core when there are several (as `zcl oracle run` chooses)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if cores > 1 else 0
