"""The live meters: every device of the compound takes a reading each interval and sends it signed.

Run by the demo supervisor as its own process (`python -m scripts.demo.meters`). Readings are stamped
on the demo's calendar (clock.py) and continue each device from the oracle's spool, so sequences and
counters carry on from the replayed year. They travel over MQTT to the oracle's persistent session
(oracles/drivers/mqtt.py), or, with --jsonl, are appended to a file `zcl oracle run --file` tails.
A pause longer than MAX_CATCH_UP (the demo was stopped) is skipped: the counters resume, the gap shows.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from oracles.drivers.mqtt import BrokerAddress, ReadingPublisher
from oracles.jsonl import signed_reading_to_json
from oracles.simulation import CompoundFleet, MeterState, xihuamen
from oracles.spool import Spool

from scripts.demo.clock import demo_now
from scripts.demo.layout import SEED

MAX_CATCH_UP = 4 * 3600


def resume_states(spool_file: Path, fleet: CompoundFleet, now: int) -> dict[str, MeterState]:
    """Each device's state from the oracle's spool; one silent longer than MAX_CATCH_UP resumes at `now`."""
    spool = Spool(spool_file)
    try:
        states = {}
        for name, identity in fleet.identities.items():
            last = spool.latest_record(identity.device_id)
            if last is None:  # never read: starts fresh at `now` (CompoundFleet.series' start)
                continue
            r = last.reading
            resumed = r.timestamp - r.timestamp % fleet.interval
            states[name] = MeterState(r.sequence, max(resumed, fleet.align(now) - MAX_CATCH_UP), r.value)
        return states
    finally:
        spool.close()


class Sender:
    """Where readings go: the broker (one message per collector per interval) or a JSON-lines file."""

    def __init__(self, institution: int, broker: str | None, jsonl: Path | None) -> None:
        self.publisher = None
        self.file = None
        if jsonl is not None:
            self.file = jsonl.open("a")
        else:
            self.publisher = ReadingPublisher(institution, BrokerAddress.parse(broker), client_id=f"zcl-demo-meters-{institution}")
            self.publisher.connect(10)

    def send(self, by_collector: dict[str, list]) -> None:
        for collector, readings in by_collector.items():
            if self.publisher is not None:
                self.publisher.publish_many(collector, readings)
            else:
                self.file.write("".join(signed_reading_to_json(r) + "\n" for r in readings))
        if self.publisher is not None:
            self.publisher.flush(30)
        else:
            self.file.flush()

    def close(self) -> None:
        if self.publisher is not None:
            self.publisher.close()
        if self.file is not None:
            self.file.close()


def run(institution: int, spool_file: Path, interval: int, broker: str | None, jsonl: Path | None,
        stop: threading.Event) -> None:
    fleet = CompoundFleet(xihuamen(SEED.encode()), SEED, interval)
    states = resume_states(spool_file, fleet, demo_now())
    sender = Sender(institution, broker, jsonl)
    try:
        while not stop.is_set():
            now = demo_now()
            series = fleet.series(now, start=fleet.align(now) - interval, states=states)
            by_collector: dict[str, list] = {}
            count = 0
            for step in fleet.readings(series):
                for r in step:
                    by_collector.setdefault(r.collector, []).append(r.signed)
                    count += 1
            if count:
                sender.send(by_collector)
                print(f"sent {count} readings up to {fleet.align(now)} (demo clock)", flush=True)
            states = {name: s.final for name, s in series.items()}
            stop.wait(interval - demo_now() % interval + 1)
    finally:
        sender.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institution", type=int, required=True)
    parser.add_argument("--spool", type=Path, required=True, help="the oracle's spool.sqlite (read to resume)")
    parser.add_argument("--interval", type=int, default=60)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--broker", help="MQTT broker HOST:PORT")
    target.add_argument("--jsonl", type=Path, help="append signed readings to this file instead")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    run(args.institution, args.spool, args.interval, args.broker, args.jsonl, stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
