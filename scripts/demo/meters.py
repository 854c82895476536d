"""The live meters: every device of the compound takes a reading each interval and sends it signed.

Run by the demo supervisor as its own process (`python -m scripts.demo.meters`). Readings are stamped
on the demo's calendar (clock.py) and continue each device from the oracle's spool, so sequences and
counters carry on from the replayed year. They travel over MQTT to the oracle's persistent session
(oracles/drivers/mqtt.py); or, with --modbus-ports, the six collectors are served as Modbus TCP servers
on loopback that `zcl oracle run --modbus` polls (collectors.py: where they listen is written to the
given file); or, with --jsonl, they are appended to a file `zcl oracle run --file` tails.
A pause longer than MAX_CATCH_UP (the demo was stopped) is skipped: the counters resume, the gap shows.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from oracles.drivers.mqtt import BrokerAddress, MqttDriverError, ReadingPublisher
from oracles.jsonl import signed_reading_to_json
from oracles.simulation import CompoundFleet, MeterState
from oracles.spool import Spool

from scripts.demo.clock import demo_now
from scripts.demo.collectors import CollectorFeed
from scripts.demo.compound import demo_fleet

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
    """Where readings go: the broker (one message per collector per interval) or a JSON-lines file.

    A broker connection lost between two sends (paho reconnects on its own, but a publish made meanwhile
    fails) is not the end of the meters: the same readings are sent again on a fresh connection to the
    same persistent session, up to RESEND_ATTEMPTS times; any the broker had already taken are refused by
    the oracle's spool as `replayed` (at least once, never lost)."""

    RESEND_ATTEMPTS = 3

    def __init__(self, institution: int, broker: str | None, jsonl: Path | None) -> None:
        self.institution = institution
        self.broker = None if broker is None else BrokerAddress.parse(broker)
        self.publisher = None
        self.file = None
        if jsonl is not None:
            self.file = jsonl.open("a")
        else:
            self.publisher = self._connect()

    def _connect(self) -> ReadingPublisher:
        publisher = ReadingPublisher(self.institution, self.broker, client_id=f"zcl-demo-meters-{self.institution}")
        publisher.connect(30)
        return publisher

    def send(self, by_collector: dict[str, list]) -> None:
        if self.publisher is None:
            for readings in by_collector.values():
                self.file.write("".join(signed_reading_to_json(r) + "\n" for r in readings))
            self.file.flush()
            return
        for attempt in range(1, self.RESEND_ATTEMPTS + 1):
            try:
                for collector, readings in by_collector.items():
                    self.publisher.publish_many(collector, readings)
                self.publisher.flush(30)
                return
            except (RuntimeError, MqttDriverError) as exc:  # paho: "Message publish failed: … not connected"
                if attempt == self.RESEND_ATTEMPTS:
                    raise
                print(f"the broker connection was lost ({exc}); sending again on a new connection", flush=True)
                self._reconnect()

    def _reconnect(self) -> None:
        try:
            self.publisher.close()
        except Exception:  # a half-dead connection: the fresh one takes over the session anyway
            pass
        self.publisher = self._connect()

    def close(self) -> None:
        if self.publisher is not None:
            self.publisher.close()
        if self.file is not None:
            self.file.close()


def run(institution: int, spool_file: Path, interval: int, broker: str | None, jsonl: Path | None,
        stop: threading.Event, modbus_ports: Path | None = None) -> None:
    fleet = demo_fleet(interval)  # the replay's compound, with its simulated retrofit
    states = resume_states(spool_file, fleet, demo_now())
    feed = CollectorFeed(fleet) if modbus_ports is not None else None
    sender = Sender(institution, broker, jsonl) if feed is None else None
    if feed is not None:
        for a in feed.start(modbus_ports):
            print(f"collector {a.name} serving units {a.unit_ids[0]}–{a.unit_ids[-1]} on {a.host}:{a.port} (Modbus TCP)",
                  flush=True)
    try:
        while not stop.is_set():
            now = demo_now()
            series = fleet.series(now, start=fleet.align(now) - interval, states=states)
            if feed is not None:
                count = feed.show(fleet.readings(series), stop)
            else:
                count = _send(sender, fleet.readings(series))
            if count:
                print(f"{'showed' if feed else 'sent'} {count} readings up to {fleet.align(now)} (demo clock)", flush=True)
            states = {name: s.final for name, s in series.items()}
            stop.wait(interval - demo_now() % interval + 1)
    finally:
        (feed or sender).close()


def _send(sender: Sender, steps) -> int:
    by_collector: dict[str, list] = {}
    count = 0
    for step in steps:
        for r in step:
            by_collector.setdefault(r.collector, []).append(r.signed)
            count += 1
    if count:
        sender.send(by_collector)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institution", type=int, required=True)
    parser.add_argument("--spool", type=Path, required=True, help="the oracle's spool.sqlite (read to resume)")
    parser.add_argument("--interval", type=int, default=60)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--broker", help="MQTT broker HOST:PORT")
    target.add_argument("--modbus-ports", type=Path,
                        help="serve the collectors over Modbus TCP on loopback; write where they listen to this file")
    target.add_argument("--jsonl", type=Path, help="append signed readings to this file instead")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    run(args.institution, args.spool, args.interval, args.broker, args.jsonl, stop, args.modbus_ports)
    return 0


if __name__ == "__main__":
    sys.exit(main())
