"""The live platform as child processes in one process group of their own, logs in the data dir.

    meters   python -m scripts.demo.meters   the compound's readings, signed, to MQTT; without a broker,
                                             served by its six collectors over Modbus TCP (collectors.py)
    oracle   zcl oracle run                  subscribes or polls; verifies, spools, batches, evidence, anchors
    indexer  zcl index --follow              chain events + evidence → SQL
    api      zcl api serve                   the API, explorer and dashboards (uvicorn)

The group keeps Ctrl-C at the terminal from reaching them half-way: the supervisor stops them in
order (the meters first, the oracle finishing its step, then the indexer and the API; over Modbus
the oracle first, so it never polls collectors that have gone) and waits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ledger.chain.toolchain import PROJECT_ROOT
from ledger.config import oracle_folder
from oracles.drivers.mqtt import BrokerAddress, MqttDriverError, ReadingSubscriber

from scripts.demo.collectors import wait_for_ports
from scripts.demo.layout import ORACLE_KEY, DemoLayout

LIVE_INTERVAL = 60  # seconds between a live meter's readings
BATCH_WINDOW = 10  # seconds the oracle waits before anchoring what it has
POLL_PERIOD = 1.0  # seconds between the oracle's Modbus poll cycles (catching up, a step per cycle)
# The oracle's offline alarm compares the wall clock with readings stamped on the demo's 2022 calendar
# (clock.py); this many intervals (~19 years at 60 s) keeps it from calling every device offline.
OFFLINE_INTERVALS = 10_000_000
STOP_ORDER = ("meters", "oracle", "indexer", "api")
MODBUS_STOP_ORDER = ("oracle", "meters", "indexer", "api")
STOP_SIGNAL = {"indexer": signal.SIGINT}  # `zcl index --follow` stops on Ctrl-C; the others on SIGTERM


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log: Path


@dataclass
class LivePlatform:
    layout: DemoLayout
    institution: int
    transport: str = ""  # "MQTT at host:port" or the Modbus TCP fallback, said to the user
    stop_order: tuple[str, ...] = STOP_ORDER
    children: dict[str, Child] = field(default_factory=dict)
    _group: int | None = None

    def start(self) -> None:
        broker = BrokerAddress.parse(self.layout.mqtt_broker)
        self.layout.logs.mkdir(parents=True, exist_ok=True)
        spool = oracle_folder(self.layout.data_dir, self.institution) / "spool.sqlite"
        oracle = ["oracle", "run", "--institution", str(self.institution), "--batch-size", "5000",
                  "--batch-window", str(BATCH_WINDOW), "--offline-intervals", str(OFFLINE_INTERVALS),
                  "--verify-workers", "0"]
        meters = [sys.executable, "-m", "scripts.demo.meters", "--institution", str(self.institution),
                  "--spool", str(spool), "--interval", str(LIVE_INTERVAL)]
        try:
            broker.check_reachable()
            _open_oracle_session(self.institution, broker)
            self.transport = f"MQTT via the broker at {broker}"
            oracle += ["--subscribe", str(broker), "--mqtt-broker", str(broker)]
        except MqttDriverError as exc:  # the collectors serve Modbus TCP; the oracle starts once they listen
            ports = self.layout.data_dir / "demo" / "collectors.json"
            ports.unlink(missing_ok=True)
            self._spawn("meters", meters + ["--modbus-ports", str(ports)], None)
            collectors = wait_for_ports(ports, lambda: self.children["meters"].process.poll() is None)
            self.transport = (f"Modbus TCP, {len(collectors)} collectors on {collectors[0].host} ports "
                              f"{', '.join(str(c.port) for c in collectors)} polled every {POLL_PERIOD:g} s "
                              f"(no MQTT broker answers: {exc})")
            self.stop_order = MODBUS_STOP_ORDER
            oracle += [arg for c in collectors for arg in ("--modbus", str(c))] + ["--poll-period", str(POLL_PERIOD)]
            self._spawn("oracle", [_zcl(), *oracle], ORACLE_KEY)
        else:
            self._spawn("oracle", [_zcl(), *oracle], ORACLE_KEY)
            self._spawn("meters", meters + ["--broker", str(broker)], None)
        self._spawn("indexer", [_zcl(), "index", "--follow", "--poll-seconds", "1"], None)
        self._spawn("api", [_zcl(), "api", "serve", "--host", "127.0.0.1", "--port", str(self.layout.api_port)], None)

    def _spawn(self, name: str, args: list[str], private_key: str | None) -> None:
        env = {**os.environ, **self.layout.child_env(private_key or ""), "PYTHONPATH": str(PROJECT_ROOT),
               "PYTHONUNBUFFERED": "1"}
        log = self.layout.logs / f"{name}.log"
        with log.open("ab") as out:
            out.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(args)}\n".encode())
            out.flush()
            process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       cwd=PROJECT_ROOT, env=env, process_group=self._group or 0)
        if self._group is None:
            self._group = process.pid
        self.children[name] = Child(name, process, log)

    def exited(self) -> list[Child]:
        """Children that have stopped on their own (a failure while the demo runs)."""
        return [c for c in self.children.values() if c.process.poll() is not None]

    def stop(self, timeout: float = 20.0) -> None:
        """Stop every child in STOP_ORDER, each given `timeout` seconds before it is killed."""
        for name in self.stop_order:
            child = self.children.get(name)
            if child is None or child.process.poll() is not None:
                continue
            child.process.send_signal(STOP_SIGNAL.get(name, signal.SIGTERM))
            try:
                child.process.wait(timeout)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()


def _zcl() -> str:
    script = Path(sys.executable).with_name("zcl")
    return str(script) if script.exists() else "zcl"


def _open_oracle_session(institution: int, broker: BrokerAddress) -> None:
    """Create the oracle's persistent MQTT session before any meter publishes, so no frame is lost
    to a session that does not exist yet (the broker queues for it while the oracle starts)."""
    subscriber = ReadingSubscriber(institution, broker)
    subscriber.connect(10)
    subscriber.close()
