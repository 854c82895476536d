"""The demo's live feed without an MQTT broker: the compound's six collectors as real Modbus TCP servers.

The meters process (`python -m scripts.demo.meters --modbus-ports FILE`) serves every collector of the
simulated compound (oracles/simulation/compound.py: its devices on unit ids 1…n) as a pymodbus
CollectorServer on a free loopback port, and writes where they listen to FILE (in the demo's data dir)
once all of them accept connections. The supervisor (live.py) waits for that file and starts
`zcl oracle run --modbus …` with one collector per entry.

A Modbus meter shows only its latest reading, so a reading replaced before the oracle polled it would
be lost. The feed therefore paces itself by the oracle: after showing a step's readings it waits until
every unit it changed has been read once (CollectorServer.reads), up to `max_wait` seconds. Live, a
step a minute is far slower than the polling; catching up after a pause, the steps follow each other
at the polling rate and none is lost while the oracle runs. If the oracle is not polling, the feed
moves on after `max_wait`, as real meters would, and the gaps show in `zcl oracle status`.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from oracles.drivers.modbus import CollectorAddress, CollectorServer
from oracles.simulation import CompoundFleet, TimedReading


class CollectorFeed:
    def __init__(self, fleet: CompoundFleet, host: str = "127.0.0.1", max_wait: float = 10.0) -> None:
        self.host = host
        self.max_wait = max_wait
        self.servers = {name: CollectorServer(name, [d.unit_id for d in devices], host=host)
                        for name, devices in fleet.compound.collectors.items()}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="collectors", daemon=True)

    def start(self, ports_file: Path) -> list[CollectorAddress]:
        """Serve every collector, then write where they listen (atomically: a reader never sees half)."""
        self._thread.start()
        for server in self.servers.values():
            asyncio.run_coroutine_threadsafe(server.start(), self._loop).result(10)
        addresses = self.addresses()
        write_ports(ports_file, addresses)
        return addresses

    def addresses(self) -> list[CollectorAddress]:
        return [CollectorAddress(s.name, self.host, s.port, s.unit_ids) for s in self.servers.values()]

    def show(self, steps: Iterable[list[TimedReading]], stop: threading.Event) -> int:
        """Show each step's readings in turn, each until the oracle has polled it; the count shown."""
        count = 0
        for step in steps:
            if stop.is_set():
                break
            marks = {}
            for r in step:
                server = self.servers[r.collector]
                unit = r.identity.device.unit_id
                marks[(r.collector, unit)] = server.reads[unit]
                server.show(unit, r.signed)
                count += 1
            self._wait_polled(marks, stop)
        return count

    def _wait_polled(self, marks: dict[tuple[str, int], int], stop: threading.Event) -> None:
        deadline = time.monotonic() + self.max_wait
        while not stop.is_set() and time.monotonic() < deadline:
            if all(self.servers[c].reads[u] > seen for (c, u), seen in marks.items()):
                return
            stop.wait(0.05)

    def close(self) -> None:
        for server in self.servers.values():
            asyncio.run_coroutine_threadsafe(server.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def write_ports(path: Path, addresses: list[CollectorAddress]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps([{"name": a.name, "host": a.host, "port": a.port, "units": list(a.unit_ids)}
                                for a in addresses], indent=1) + "\n")
    os.replace(temp, path)


def read_ports(path: Path) -> list[CollectorAddress]:
    return [CollectorAddress(e["name"], e["host"], int(e["port"]), tuple(e["units"]))
            for e in json.loads(path.read_text())]


def wait_for_ports(path: Path, alive, timeout: float = 60.0) -> list[CollectorAddress]:
    """The collectors the meters process serves, once it has written them; RuntimeError if it died first."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if not alive():
            raise RuntimeError(f"the meters process stopped before serving its collectors (no {path})")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the meters process did not serve its collectors within {timeout:.0f} s (no {path})")
        time.sleep(0.1)
    return read_ports(path)
