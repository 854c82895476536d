"""`zcl oracle run|status|profile(s)` and `zcl alarms list|ack|resolve` as people use them."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from ledger.chain.devchain import free_port
from ledger.encoding import Quantity, Unit
from ledger.signing import SignedReading
from oracles.jsonl import signed_reading_to_json
from tests.oracles.conftest import START
from tests.oracles.meters import registered_meter, watched_node
from zcl.alarms import alarms_app
from zcl.main import app

cli = CliRunner()
ZCL = os.path.join(os.path.dirname(sys.executable), "zcl")


@pytest.fixture
def env(settings, deployment, monkeypatch):
    values = {"ZCL_RPC_URL": settings.rpc_url, "ZCL_DATA_DIR": str(settings.data_dir), "ZCL_PRIVATE_KEY": settings.private_key}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def worked(env, contracts, tree, settings):
    """An oracle that accepted, refused, raised alarms and anchored, in the folders the CLI uses."""
    folder = settings.data_dir / "oracle" / f"institution-{tree.institution}"
    node = watched_node(contracts, tree.institution, folder)
    kwh = registered_meter(contracts, tree.building, "cli-kwh")
    amps = registered_meter(contracts, tree.building, "cli-amps", Quantity.CURRENT, Unit.AMPERE)
    good = [kwh.sign(1, START, "5000"), kwh.sign(2, START + 900, "5010"), kwh.sign(3, START + 1800, "2")]
    forged = SignedReading(kwh.sign(4, START + 2700, "3").payload, bytes(64))
    node.ingest(("t", r) for r in [*good, good[0], forged, kwh.sign(4, START + 2700, "1")])
    node.flush()
    node.ingest([("t", amps.sign(1, START, "12"))])  # one pending reading
    node.spool.close()
    return tree.institution, kwh, amps


def test_status_shows_devices_spool_rejects_alarms_and_the_last_anchor_without_the_chain(worked, monkeypatch) -> None:
    institution, kwh, amps = worked
    monkeypatch.setenv("ZCL_RPC_URL", f"http://127.0.0.1:{free_port()}")  # status reads local files only
    result = cli.invoke(app, ["oracle", "status", "--institution", str(institution), "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert status["devices"] == {"seen": 2, "online": 0, "missing_sequences": 0}  # their readings are from January: long silent
    assert {d["device_id"]: d["last_sequence"] for d in status["device_list"]} == {
        "0x" + kwh.device_id.hex(): 3, "0x" + amps.device_id.hex(): 1}
    assert status["spool"] == {"pending": 1, "prepared": 0, "unconfirmed": 0, "deferred": 0}
    assert status["rejects_by_reason"] == {"replayed": 1, "bad_signature": 1, "negative_consumption": 1}
    assert status["open_alarms_by_kind"] == {"counter_reset": 1}
    batch = status["last_anchored_batch"]
    assert batch["readings"] == 3 and len(batch["transaction_hash"]) == 64 and batch["confirmed"]
    table = cli.invoke(app, ["oracle", "status", "--institution", str(institution)], env={"COLUMNS": "220"})
    assert table.exit_code == 0, table.output
    for text in ("devices online", "0 of 2 seen", "1 pending", "bad_signature 1", "counter_reset 1", batch["transaction_hash"][:12]):
        assert text in table.output


def test_status_of_an_institution_without_an_oracle_says_so(env) -> None:
    result = cli.invoke(app, ["oracle", "status", "--institution", "999"])
    assert result.exit_code == 2 and "no oracle has run for institution 999" in result.output


def test_alarms_are_listed_acknowledged_and_resolved(worked) -> None:
    institution, kwh, _ = worked
    listed = cli.invoke(alarms_app, ["list", "--institution", str(institution), "--json"])
    assert listed.exit_code == 0, listed.output
    [alarm] = json.loads(listed.stdout)
    assert (alarm["kind"], alarm["severity"], alarm["state"]) == ("counter_reset", "warning", "active")
    assert [r["sequence"] for r in alarm["readings"]] == [2, 3]
    table = cli.invoke(alarms_app, ["list", "--institution", str(institution)], env={"COLUMNS": "220"})
    assert "counter_reset" in table.output and "active" in table.output

    ack = cli.invoke(alarms_app, ["ack", str(alarm["id"]), "--institution", str(institution), "--by", "li.wei"])
    assert ack.exit_code == 0 and "acknowledged by li.wei" in ack.output
    again = cli.invoke(alarms_app, ["ack", str(alarm["id"]), "--institution", str(institution)])
    assert again.exit_code == 2 and "only an active alarm can be acknowledged" in again.output
    done = cli.invoke(alarms_app, ["resolve", str(alarm["id"]), "--institution", str(institution), "--by", "li.wei",
                                   "--note", "meter replaced, counter restarted"])
    assert done.exit_code == 0 and "resolved by li.wei" in done.output
    assert json.loads(cli.invoke(alarms_app, ["list", "--institution", str(institution), "--json"]).stdout) == []
    [closed] = json.loads(cli.invoke(alarms_app, ["list", "--institution", str(institution), "--all", "--json"]).stdout)
    assert (closed["state"], closed["acknowledged_by"], closed["resolution"]) == ("resolved", "li.wei",
                                                                                  "meter replaced, counter restarted")
    missing = cli.invoke(alarms_app, ["resolve", "404", "--institution", str(institution)])
    assert missing.exit_code == 2 and "no alarm 404" in missing.output


def test_profiles_are_set_shown_and_loaded(worked, tmp_path) -> None:
    institution, kwh, amps = worked
    device = "0x" + kwh.device_id.hex()
    set_ = cli.invoke(app, ["oracle", "profile", device, "--institution", str(institution), "--rating", "55.5",
                            "--label", "main incomer"])
    assert set_.exit_code == 0, set_.output
    assert json.loads(set_.stdout)["rating"] == "55.5"
    bad = cli.invoke(app, ["oracle", "profile", device, "--institution", str(institution), "--rating", "-3"])
    assert bad.exit_code == 2 and "rating must be a positive number" in bad.output
    profiles = tmp_path / "profiles.json"
    profiles.write_text(json.dumps([{"device_id": "0x" + amps.device_id.hex(), "rating": "32", "label": "feeder"}]))
    loaded = cli.invoke(app, ["oracle", "profiles", "--institution", str(institution), "--load", str(profiles), "--json"])
    assert loaded.exit_code == 0, loaded.output
    assert {(p["label"], p["rating"]) for p in json.loads(loaded.stdout)} == {("main incomer", "55.5"), ("feeder", "32")}
    floats = tmp_path / "floats.json"
    floats.write_text(json.dumps([{"device_id": "0x" + amps.device_id.hex(), "rating": 32.5}]))
    refused = cli.invoke(app, ["oracle", "profiles", "--institution", str(institution), "--load", str(floats)])
    assert refused.exit_code == 2 and "never floats" in refused.output


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_run_follows_a_file_and_stops_cleanly_on_a_signal(env, contracts, tree, settings, tmp_path, stop) -> None:
    meter = registered_meter(contracts, tree.building, f"cli-run-{stop.name}")
    path = tmp_path / "readings.jsonl"
    path.write_text("".join(signed_reading_to_json(meter.sign(s, START + s * 900, 100 + s)) + "\n" for s in range(1, 6)))
    spool = settings.data_dir / "oracle" / f"institution-{tree.institution}" / "spool.sqlite"
    process = subprocess.Popen([ZCL, "oracle", "run", "--institution", str(tree.institution), "--file", str(path),
                                "--batch-size", "2", "--batch-window", "0.1"],
                               env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while _anchored(spool) < 5 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert _anchored(spool) == 5
        second = cli.invoke(app, ["oracle", "run", "--institution", str(tree.institution), "--file", str(path)])
        assert second.exit_code == 2 and "another oracle is already running" in second.output
        process.send_signal(stop)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "oracle stopped" in output
    db = sqlite3.connect(spool)
    assert db.execute("SELECT value FROM oracle_state WHERE key='phase'").fetchone() == ("stopped",)
    assert db.execute("SELECT count(*) FROM batches WHERE state != 'anchored'").fetchone() == (0,)
    db.close()


def _anchored(spool) -> int:
    if not spool.exists():
        return 0
    db = sqlite3.connect(spool, timeout=1)
    try:
        return db.execute("SELECT coalesce(sum(reading_count), 0) FROM batches WHERE state='anchored'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()
