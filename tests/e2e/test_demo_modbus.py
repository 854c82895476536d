"""`make demo` with no MQTT broker answering: the live feed is real Modbus TCP.

The meters process serves the compound's six collectors (pymodbus servers on loopback ports it writes
to the data dir) and the oracle polls them with `--modbus`; the platform must become usable exactly as
over MQTT ("live": a batch of polled readings anchored after the live processes started), with no
reading refused and no poll failing. One run (the resume is test_demo.py's). Slow by nature.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.chain.devchain import free_port
from tests.e2e.test_demo import run_demo


@pytest.mark.timeout(2700)  # one demo run; at load 15 on the shared two cores it takes over 15 minutes
def test_without_a_broker_the_collectors_serve_modbus_and_the_oracle_polls_them(tmp_path: Path) -> None:
    data_dir = tmp_path / "zcl"
    closed = f"127.0.0.1:{free_port()}"  # nothing listens there
    run = run_demo(data_dir, free_port(), free_port(), closed)
    assert run.returncode == 0, run.stdout + run.stderr
    out = " ".join(run.stdout.split())
    collectors = json.loads((data_dir / "demo" / "collectors.json").read_text())
    assert [c["name"] for c in collectors] == ["c1", "c2", "c3", "c4", "c5", "c6"]
    assert sum(len(c["units"]) for c in collectors) == 170 and {c["host"] for c in collectors} == {"127.0.0.1"}
    ports = ", ".join(str(c["port"]) for c in collectors)
    assert f"by Modbus TCP, 6 collectors on 127.0.0.1 ports {ports} polled every 1 s (no MQTT broker answers" in out
    assert "ready: the platform was usable" in out

    oracle_log = (data_dir / "logs" / "oracle.log").read_text()
    for c in collectors:
        units = f"1-{len(c['units'])}"
        assert f"--modbus name={c['name']},host=127.0.0.1,port={c['port']},units={units}" in oracle_log
    assert "polling 6 Modbus collector(s) every 1 s:" in oracle_log
    [folder] = (data_dir / "oracle").glob("institution-*")
    rejects = folder / "rejects.jsonl"
    assert not rejects.exists() or rejects.read_text() == ""  # no refused reading, no failing poll
    meters_log = (data_dir / "logs" / "meters.log").read_text()
    assert "collector c6 serving units 1–11 on 127.0.0.1:" in meters_log and "showed " in meters_log
