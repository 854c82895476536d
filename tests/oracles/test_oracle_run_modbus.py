"""`zcl oracle run --modbus …`: real pymodbus collectors on loopback polled by the oracle process, with a
JSON-lines file as a second source, on a real anvil; bad collectors are rejects, bad options exit 2."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from oracles.drivers.modbus import CollectorAddress, CollectorServer, format_unit_ids, parse_unit_ids
from oracles.jsonl import signed_reading_to_json
from tests.oracles.conftest import START
from tests.oracles.meters import registered_meter
from tests.oracles.test_oracle_cli import ZCL, _anchored, env  # noqa: F401  (env is a fixture)
from zcl.main import app

cli = CliRunner()


class Collectors:
    """CollectorServers on an event loop of their own thread, as separate devices on the network are."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.servers: list[CollectorServer] = []

    def start(self, server: CollectorServer) -> CollectorServer:
        asyncio.run_coroutine_threadsafe(server.start(), self.loop).result(10)
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            asyncio.run_coroutine_threadsafe(server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def collectors() -> Iterator[Collectors]:
    c = Collectors()
    yield c
    c.close()


def _truncated(frame: bytes) -> bytes:
    return frame[: len(frame) // 2]


def _wait_for(predicate, process: subprocess.Popen, timeout: float = 90) -> None:
    """Poll until `predicate()`; the oracle dying first fails with its output."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if process.poll() is not None:
            pytest.fail(f"the oracle exited ({process.returncode}): {process.stdout.read()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"timed out; oracle output: {process.communicate()[0]}")
        time.sleep(0.05)


def test_run_polls_collectors_beside_a_file_and_reports_bad_frames_as_rejects(
        env, contracts, tree, settings, tmp_path, collectors) -> None:
    meters = [registered_meter(contracts, tree.building, f"modbus-run-{i}") for i in range(6)]
    good = collectors.start(CollectorServer("c1", [1, 2, 3]))
    bad = collectors.start(CollectorServer("c2", [1, 2], frame_fault=_truncated))
    for unit, meter in enumerate(meters[:3], 1):
        good.show(unit, meter.sign(1, START, 1000 + unit))
    for unit, meter in enumerate(meters[3:5], 1):
        bad.show(unit, meter.sign(1, START, 50))  # shown, but every answer is cut in half on the way
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(signed_reading_to_json(meters[5].sign(s, START + s * 900, s)) + "\n" for s in (1, 2)))
    folder = settings.data_dir / "oracle" / f"institution-{tree.institution}"
    process = subprocess.Popen(
        [ZCL, "oracle", "run", "--institution", str(tree.institution), "--file", str(feed),
         "--modbus", f"name=c1,host=127.0.0.1,port={good.port},units=1-3,9",  # unit 9: no meter behind the gateway
         "--modbus", f"127.0.0.1:{bad.port}:1,2", "--poll-period", "0.2",
         "--poll-timeout", "3",  # generous: a good unit must never time out, however loaded the machine
         "--batch-window", "0.1", "--verify-workers", "0"],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(lambda: _anchored(folder / "spool.sqlite") == 5, process)
        for unit, meter in enumerate(meters[:3], 1):  # the meters take their next reading
            good.show(unit, meter.sign(2, START + 900, 1100 + unit))
        _wait_for(lambda: _anchored(folder / "spool.sqlite") == 8, process)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "polling 2 Modbus collector(s) every 0.2 s:" in output
    assert f"  name=c1,host=127.0.0.1,port={good.port},units=1-3,9\n" in output

    rejects = [json.loads(line) for line in (folder / "rejects.jsonl").read_text().splitlines()]
    assert sorted((r["source"], r["reason"], r["detail"].split(" (")[0]) for r in rejects) == sorted([
        (f"modbus://127.0.0.1:{good.port}/c1/unit-9", "malformed", "poll failed: collector c1 unit 9: exception response, code 11"),
        *[(f"modbus://127.0.0.1:{bad.port}/127.0.0.1:{bad.port}/unit-{u}", "malformed",
           f"poll failed: collector 127.0.0.1:{bad.port} unit {u}: no valid response") for u in (1, 2)]])  # once each (both sides sorted: the ports are random)

    status = cli.invoke(app, ["oracle", "status", "--institution", str(tree.institution), "--json"])
    assert status.exit_code == 0, status.output
    shown = json.loads(status.stdout)
    assert shown["rejects_by_reason"] == {"malformed": 3}
    assert {d["device_id"]: d["last_sequence"] for d in shown["device_list"]} == {
        **{"0x" + m.device_id.hex(): 2 for m in meters[:3]}, "0x" + meters[5].device_id.hex(): 2}
    assert shown["spool"] == {"pending": 0, "prepared": 0, "unconfirmed": 0, "deferred": 0}


@pytest.mark.parametrize(("args", "message"), [
    (["--modbus", "127.0.0.1:50x:1"], "--modbus '127.0.0.1:50x:1': port must be 1–65535, got '50x'"),
    (["--modbus", "127.0.0.1:502"], "expected HOST:PORT:UNITS or name=…,host=…,port=…,units=…"),
    (["--modbus", "host=10.0.0.5,port=502"], "missing units"),
    (["--modbus", "host=10.0.0.5,port=502,units=0-3"], "unit ids are 1–247 (a range low to high), got '0-3'"),
    (["--modbus", "host=10.0.0.5,port=502,units=5-2"], "got '5-2'"),
    (["--modbus", "host=10.0.0.5,port=502,units=1-3,2"], "unit ids repeat in '1-3,2'"),
    (["--modbus", "host=10.0.0.5,port=502,units=a"], "unit ids must be numbers or ranges like 1-25, got 'a'"),
    (["--modbus", "colour=red,host=10.0.0.5,port=502,units=1"], "unknown or repeated field 'colour'"),
    (["--modbus", "name=a,host=h,port=1,units=1", "--modbus", "name=a,host=h,port=2,units=1"],
     "--modbus: collector name(s) given twice: a"),
    (["--poll-period", "0"], "Invalid value for '--poll-period'"),
])
def test_bad_collector_options_exit_2_naming_the_problem(env, args, message) -> None:
    result = cli.invoke(app, ["oracle", "run", "--institution", "4", *args])
    assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output


def test_collector_addresses_in_both_spellings() -> None:
    short = CollectorAddress.parse("10.0.0.5:502:1-3,7")
    assert short == CollectorAddress("10.0.0.5:502", "10.0.0.5", 502, (1, 2, 3, 7))
    named = CollectorAddress.parse("units=7,1-3, port=502 ,name=north,host=::1")
    assert named == CollectorAddress("north", "::1", 502, (7, 1, 2, 3))
    assert CollectorAddress.parse(str(named)) == named
    assert parse_unit_ids("1-25,30") == (*range(1, 26), 30) and format_unit_ids(parse_unit_ids("1-25,30,31")) == "1-25,30-31"
