"""A rebuilt index equals the live one, and `zcl index --check` names every kind of drift."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from ledger.indexer.check import check_index
from ledger.indexer.models import Device, RawEvent, Reading
from tests.ledger.indexer.conftest import database_env, dump_tables, evidence_file
from zcl.main import app

runner = CliRunner()


def test_rebuilt_index_equals_live_index(world, engine) -> None:
    indexer = world.indexer(engine, range_blocks=5)
    indexer.sync()
    world.anchor(4)  # activity between the live index's steps
    world.contracts.devices.reactivate(world.meters[1].device_id, "feeder back")
    indexer.sync()
    live = dump_tables(engine)
    assert len(live["idx_readings"]) == 32 and len(live["idx_raw_events"]) > 40
    indexer.rebuild()
    rebuilt = dump_tables(engine)
    assert rebuilt.keys() == live.keys()
    for table in live:
        assert rebuilt[table] == live[table], table


def test_check_of_a_faithful_index_finds_nothing(world, engine) -> None:
    indexer = world.indexer(engine)
    indexer.sync()
    report = check_index(indexer)
    assert report.ok, report.drift
    assert (report.batches, report.readings) == (2, 24)
    assert report.event_counts["AttestationLedger.BatchAnchored"] == (2, 2)


def _tamper(engine, statement) -> None:  # noqa: ANN001
    with engine.begin() as connection:
        assert connection.execute(statement).rowcount == 1


def test_check_detects_a_tampered_reading(world, engine) -> None:
    indexer = world.indexer(engine)
    indexer.sync()
    root = "0x" + world.anchors[0].root.hex()
    _tamper(engine, update(Reading).where(Reading.batch_root == root, Reading.leaf_index == 3)
            .values(value=Decimal("999999")))
    drift = check_index(indexer).drift
    assert [(d.check, d.subject) for d in drift if d.check == "readings"] == [("readings", f"batch {root} leaf 3")]
    # the day's figures no longer follow from the (tampered) readings either: both rows of the difference
    assert [d.subject for d in drift if d.check != "readings"] == ["idx_daily_usage: 1 row(s) expected, 1 unexpected"] * 2


def test_check_detects_a_tampered_state_row_and_raw_event(world, engine) -> None:
    indexer = world.indexer(engine)
    indexer.sync()
    feeder = "0x" + world.meters[1].device_id.hex()
    _tamper(engine, update(Device).where(Device.device_id == feeder).values(status=1, status_name="active"))
    _tamper(engine, update(RawEvent).where(RawEvent.event == "NodeCreated", RawEvent.args["nodeId"].as_integer() == 4)
            .values(args={"nodeId": 4, "parentId": 3, "kind": 1, "name": "Somewhere else"}))
    drift = check_index(indexer).drift
    checks = {(d.check, d.subject.split(":")[0].split(" at ")[0]) for d in drift}
    assert ("state", "idx_devices") in checks
    assert ("events", "OrganizationRegistry.NodeCreated") in checks
    assert any("Somewhere else" in d.found for d in drift if d.check == "events")


def test_check_detects_a_missing_evidence_file(world, engine) -> None:
    indexer = world.indexer(engine)
    indexer.sync()
    cid = world.anchors[1].evidence_cid
    evidence_file(world, cid).unlink()
    drift = check_index(indexer).drift
    assert [(d.check, d.subject) for d in drift] == [("evidence", f"batch 0x{world.anchors[1].root.hex()}")]
    assert cid in drift[0].found and drift[0].found.startswith("missing")


@pytest.fixture
def cli_env(world, engine, monkeypatch):
    settings = world.settings
    monkeypatch.setenv("ZCL_RPC_URL", settings.rpc_url)
    monkeypatch.setenv("ZCL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZCL_DATABASE_URL", database_env(engine))
    return world


def test_the_cli_indexes_reports_status_checks_and_rebuilds(cli_env, engine) -> None:
    first = runner.invoke(app, ["index"])
    assert first.exit_code == 0, first.output
    assert "and 24 readings" in first.output and "(lag 0)" in first.output
    status = runner.invoke(app, ["index", "--status", "--json"])
    assert status.exit_code == 0 and '"lag": 0' in status.output
    clean = runner.invoke(app, ["index", "--check"])
    assert clean.exit_code == 0, clean.output
    assert "OK: the index says what the chain and the evidence say" in clean.output
    feeder = "0x" + cli_env.meters[1].device_id.hex()
    _tamper(engine, update(Device).where(Device.device_id == feeder).values(status=1, status_name="active"))
    drifted = runner.invoke(app, ["index", "--check"])
    assert drifted.exit_code == 1
    assert "Drift (" in drifted.output and "idx_devices" in drifted.output
    rebuilt = runner.invoke(app, ["index", "--rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert runner.invoke(app, ["index", "--check"]).exit_code == 0


def test_the_cli_refuses_two_modes_at_once(cli_env) -> None:
    result = runner.invoke(app, ["index", "--check", "--rebuild"])
    assert result.exit_code == 2 and "choose one of" in result.output


def test_an_unreachable_database_is_a_one_line_error(cli_env, monkeypatch) -> None:
    monkeypatch.setenv("ZCL_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    result = runner.invoke(app, ["index", "--status"])
    assert result.exit_code == 2
    assert result.output.startswith("error: cannot use the index database:") and "127.0.0.1" in result.output
    assert "Traceback" not in result.output
