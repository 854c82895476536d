"""The live platform as child processes in one process group of their own, logs in the data dir.

    meters   python -m scripts.demo.meters   the compound's readings, signed, to MQTT (or a JSONL file)
    oracle   zcl oracle run                  verifies, spools, batches, stores evidence, anchors
    indexer  zcl index --follow              chain events + evidence → SQL
    api      zcl api serve                   the API, explorer and dashboards (uvicorn)

The group keeps Ctrl-C at the terminal from reaching them half-way: the supervisor stops them in
order (the meters first, the oracle finishing its step, then the indexer and the API) and waits.
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

from scripts.demo.layout import ORACLE_KEY, DemoLayout

LIVE_INTERVAL = 60  # seconds between a live meter's readings
BATCH_WINDOW = 10  # seconds the oracle waits before anchoring what it has
# The oracle's offline alarm compares the wall clock with readings stamped on the demo's 2022 calendar
# (clock.py); this many intervals (~19 years at 60 s) keeps it from calling every device offline.
OFFLINE_INTERVALS = 10_000_000
STOP_ORDER = ("meters", "oracle", "indexer", "api")
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
    transport: str = ""  # "MQTT at host:port" or the JSONL fallback, said to the user
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
            meters += ["--broker", str(broker)]
        except MqttDriverError as exc:
            feed = self.layout.data_dir / "demo" / "live-readings.jsonl"
            feed.parent.mkdir(parents=True, exist_ok=True)
            feed.touch()
            self.transport = f"a JSON-lines feed {feed} (no MQTT broker answers: {exc})"
            oracle += ["--file", str(feed), "--follow"]
            meters += ["--jsonl", str(feed)]
        self._spawn("oracle", [_zcl(), *oracle], ORACLE_KEY)
        self._spawn("meters", meters, None)
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
        for name in STOP_ORDER:
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
