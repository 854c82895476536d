"""The command line as a user drives it: help everywhere, a full set-up, clear errors and exit codes."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from ledger.encoding import DeviceKind
from ledger.signing import public_key_bytes
from oracles.jsonl import signed_reading_to_json
from oracles.simulator import SimulatedMeter, device_id_for
from tests.oracles.conftest import START
from zcl.main import app

runner = CliRunner()


def _command_paths(group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in group.commands.items():
        paths.append((*prefix, name))
        if hasattr(command, "commands"):  # a group (typer vendors its own click)
            paths.extend(_command_paths(command, (*prefix, name)))
    return paths


COMMANDS = _command_paths(typer.main.get_command(app))


def test_every_group_of_the_design_is_present() -> None:
    assert {"deploy", "verify", "keygen", "org", "device", "oracle", "evidence", "measures"} <= {p[0] for p in COMMANDS}
    assert ("oracle", "ingest") in COMMANDS and ("device", "rotate-key") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and len(result.output.splitlines()) > 4


@pytest.fixture
def env(settings, monkeypatch):
    monkeypatch.setenv("ZCL_RPC_URL", settings.rpc_url)
    monkeypatch.setenv("ZCL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZCL_PRIVATE_KEY", settings.private_key)
    return settings


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_set_up_ingest_and_verify_through_the_cli(env, compiled, tmp_path) -> None:
    assert "AttestationLedger" in _ok("deploy")
    _ok("org", "create-root", "region", "Sichuan")
    _ok("org", "create-node", "1", "institution", "Xihuamen")
    _ok("org", "create-node", "2", "building", "Main")
    assert "Xihuamen" in _ok("org", "show")
    meter = SimulatedMeter.create("cli-meter", DeviceKind.ELECTRICITY_METER, b"cli", START)
    _ok("device", "register", "name:cli-meter", "--scene", "3", "--kind", "electricity_meter", "--unit", "kwh",
        "--public-key", public_key_bytes(meter.key).hex())
    shown = _ok("device", "show", "name:cli-meter")
    assert device_id_for("cli-meter").hex() in shown and "active" in shown
    from ledger.chain.devchain import DEV_PRIVATE_KEYS
    from eth_account import Account

    _ok("oracle", "authorize", "2", Account.from_key(DEV_PRIVATE_KEYS[0]).address)
    readings = [signed_reading_to_json(r) for r in meter.readings(10)]
    path = tmp_path / "readings.jsonl"
    path.write_text("\n".join(readings + ["{broken", readings[3]]) + "\n")
    result = runner.invoke(app, ["oracle", "ingest", str(path), "--institution", "2", "--batch-size", "4"])
    assert result.exit_code == 1, result.output  # some readings were refused
    assert "accepted 10 reading(s), rejected 2" in result.output
    assert "malformed" in result.output and "replayed" in result.output
    rejects = [json.loads(line) for line in (env.data_dir / "oracle" / "institution-2" / "rejects.jsonl").read_text().splitlines()]
    assert [(r["source"], r["reason"]) for r in rejects] == [("readings.jsonl:11", "malformed"), ("readings.jsonl:12", "replayed")]
    report = json.loads(_ok("verify", "--json"))
    assert (report["ok"], report["batches"], report["readings"]) == (True, 3, 10)


def test_contract_errors_are_one_line_with_exit_3(env, compiled) -> None:
    _ok("deploy")
    result = runner.invoke(app, ["org", "create-node", "99", "region", "Nowhere"])
    assert result.exit_code == 3
    assert "UnknownNode(99)" in result.output


def test_bad_arguments_exit_2(env, compiled) -> None:
    _ok("deploy")
    result = runner.invoke(app, ["org", "create-root", "galaxy", "Milky Way"])
    assert result.exit_code == 2 and "kind must be one of" in result.output
    result = runner.invoke(app, ["device", "register", "0x1234", "--scene", "1", "--kind", "water_meter",
                                 "--unit", "m3", "--public-key", "00" * 32])
    assert result.exit_code == 2 and "device id must be 32 bytes" in result.output


def test_unreachable_chain_is_reported(tmp_path) -> None:
    result = runner.invoke(app, ["--rpc-url", "http://127.0.0.1:9", "--data-dir", str(tmp_path), "verify"])
    assert result.exit_code == 3 and "cannot reach the chain" in result.output


def test_simulated_meters_register_sign_and_anchor_then_resume(env, compiled) -> None:
    _ok("deploy")
    _ok("org", "create-root", "institution", "Campus")
    from eth_account import Account

    _ok("oracle", "authorize", "1", Account.from_key(env.private_key).address)
    first = _ok("oracle", "simulate", "--institution", "1", "--meters", "3", "--readings", "8")
    assert "accepted 24 reading(s), rejected 0" in first
    again = _ok("oracle", "simulate", "--institution", "1", "--meters", "3", "--readings", "8")
    assert "accepted 24 reading(s), rejected 0" in again  # continues each meter's sequence, no replays
    report = json.loads(_ok("verify", "--json"))
    assert (report["ok"], report["readings"], report["devices"]) == (True, 48, 3)
