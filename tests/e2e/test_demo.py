"""`make demo` end to end: `python -m scripts.demo --check` on a fresh data dir, then again on the kept state.

Real parts throughout: anvil with its state file, the compiled contracts, 150 meters' Ed25519 keys, the
oracle node, Mosquitto (a private broker on a free port, so no other MQTT user of this machine sees the
demo's institution; without the mosquitto binary the demo's JSON-lines fallback is used and asserted),
the indexer, uvicorn. The first run deploys, replays 2022 and certifies; the second must resume: the same
contracts, no replay, the same logins. Slow (two minutes or more on two busy cores) by nature.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.chain.devchain import free_port
from ledger.chain.toolchain import PROJECT_ROOT
from scripts.demo.clock import YEAR_START
from scripts.demo.replay import REPLAY_STEP_HOURS

METERS = 150


@pytest.fixture
def broker(tmp_path: Path):
    """A private Mosquitto on a free port (HOST:PORT), or a port nothing listens on when it is not installed."""
    port = free_port()
    binary = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
    if binary is None:
        yield f"127.0.0.1:{port}", False
        return
    process = subprocess.Popen([binary, "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"127.0.0.1:{port}", True
    finally:
        process.terminate()
        process.wait(10)


def run_demo(data_dir: Path, chain_port: int, api_port: int, broker: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("ZCL_DATA_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "scripts.demo", "--check", "--data-dir", str(data_dir), "--chain-port", str(chain_port),
         "--api-port", str(api_port), "--mqtt-broker", broker, "--check-timeout", "900"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=1200)


def test_demo_becomes_usable_and_a_second_run_resumes(tmp_path: Path, broker: tuple[str, bool]) -> None:
    address, has_broker = broker
    data_dir = tmp_path / "zcl"
    chain_port, api_port = free_port(), free_port()

    first = run_demo(data_dir, chain_port, api_port, address)
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    assert "deployed 10 contracts on chain 31337" in out
    assert "170 devices with their own Ed25519 keys (170 registered now)" in out
    assert f"for all {METERS} meters at {REPLAY_STEP_HOURS}-hour resolution" in out
    assert "verified by the district's verifier (Final)" in out
    assert "approved by regions 3 → 2 → 1" in out
    assert ("MQTT via the broker at " + address) in out if has_broker else "no MQTT broker answers" in out
    assert "ready: the platform was usable" in out
    for check in ("dashboard", "login", "explorer", "live"):
        assert f"│ {check}" in out
    marker = json.loads((data_dir / "demo" / "replayed.json").read_text())
    slots = (marker["until"] - YEAR_START) // (REPLAY_STEP_HOURS * 3600)
    assert marker["readings"] == METERS * slots  # every meter, every step, none refused
    assert marker["result_id"] == 1 and marker["certification_application"] == 1
    deployment_file = data_dir / "deployments" / "31337.json"
    deployment = deployment_file.read_text()
    logins = json.loads((data_dir / "demo" / "logins.json").read_text())
    assert sorted(logins) == ["auditor", "buyer", "qingyang-regulator", "qingyang-verifier", "xihuamen-admin",
                              "xihuamen-operator"]
    assert (data_dir / "anvil" / "state.json").stat().st_size > 0
    for log in ("anvil", "oracle", "meters", "indexer", "api"):
        assert (data_dir / "logs" / f"{log}.log").exists()

    second = run_demo(data_dir, chain_port, api_port, address)
    assert second.returncode == 0, second.stdout + second.stderr
    out = second.stdout
    assert "contracts already deployed" in out and "deployed 10 contracts" not in out
    assert "(0 registered now)" in out
    assert "the year was replayed on an earlier run (kept state)" in out and "replayed 1 Jan 2022" not in out
    assert "accounting result" not in out  # the workflows ran once
    assert "ready: the platform was usable" in out
    assert deployment_file.read_text() == deployment
    assert json.loads((data_dir / "demo" / "logins.json").read_text()) == logins
    assert json.loads((data_dir / "demo" / "replayed.json").read_text()) == marker
