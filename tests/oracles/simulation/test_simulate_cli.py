"""`zcl simulate xihuamen` as a user runs it: register, simulate, deliver over a protocol, anchor, verify."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from zcl import context as ctx
from zcl.main import app
from zcl.oracle import open_node
from zcl.simulate import simulate_app

runner = CliRunner()
zcl = typer.Typer()  # registered as the lead registers it in zcl/main.py: `zcl simulate …`
zcl.add_typer(simulate_app, name="simulate")


@zcl.callback()
def _root() -> None:
    pass


@pytest.fixture
def env(settings, tree, monkeypatch):
    ctx.set_overrides(rpc_url=None, deployment_file=None, data_dir=None, evidence_dir=None)  # other CLI tests set them
    monkeypatch.setenv("ZCL_RPC_URL", settings.rpc_url)
    monkeypatch.setenv("ZCL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZCL_PRIVATE_KEY", settings.private_key)
    return tree


def open_node_devices(institution: int) -> int:
    node = open_node(institution, 1000)
    try:
        return len(node.contracts.devices.registered_devices(institution_id=institution))
    finally:
        node.spool.close()


def _simulate(*args: str):
    return runner.invoke(zcl, ["simulate", "xihuamen", *args])


def test_six_hours_over_modbus_are_registered_accepted_anchored_and_verified(env) -> None:
    result = _simulate("--institution", str(env.institution), "--days", "0.25", "--protocol", "modbus", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["registered"], summary["steps"], summary["sent"]) == (170, 24, 170 * 24)
    assert (summary["accepted"], summary["rejected"], summary["transport_errors"]) == (170 * 24, {}, 0)
    assert sum(b["readings"] for b in summary["anchored_batches"]) == 170 * 24
    print(f"\nzcl simulate over Modbus: mean poll cycle {summary['poll_cycle_seconds']['mean'] * 1000:.0f} ms "
          f"for 170 units")
    report = json.loads(runner.invoke(app, ["verify", "--json"]).output)
    assert (report["ok"], report["readings"], report["devices"]) == (True, 170 * 24, 170)

    again = _simulate("--institution", str(env.institution), "--days", "0.25", "--protocol", "direct", "--json")
    assert again.exit_code == 0, again.output
    resumed = json.loads(again.output)  # continues from the spool: only slots that passed meanwhile, no replays
    assert resumed["registered"] == 0 and resumed["rejected"] == {} and resumed["accepted"] == 170 * resumed["steps"]


def test_faults_over_mqtt_reach_the_oracle_and_a_clock_running_ahead_is_refused(env, broker, unique) -> None:
    # the clock gains ~2.3 days a day: most of its readings are hours ahead, far beyond the 300 s skew however
    # long a loaded machine takes to register and deliver (at 20,000 s/day only the last slot or two were ahead)
    result = _simulate("--institution", str(env.institution), "--days", "0.1", "--protocol", "mqtt",
                       "--mqtt-client-id", f"oracle-{unique}", "--broker", str(broker),
                       "--faults", "drift:E-A-office_plug-01@0,seconds_per_day=200000",
                       "--faults", "leak:W-A-domestic_water-02@0,flow=0.5",
                       "--fault", "offline:E-B-elevator-09@0+1",
                       "--fault", "spike:E-R-chiller_plant-02@1")
    assert result.exit_code == 1, result.output  # some readings were refused
    assert "timestamp_in_future" in result.output and "Anchored batches" in result.output
    assert "implausible_jump" in result.output  # the spike, judged against the rating the simulator set
    assert "Xihuamen compound over mqtt" in result.output


def test_bad_faults_and_an_unreachable_broker_exit_2_before_touching_the_chain(env) -> None:
    bad = _simulate("--institution", str(env.institution), "--days", "0.1", "--faults", "melt:E-A-office_plug-01@0")
    assert bad.exit_code == 2 and "unknown fault kind 'melt'" in bad.output
    nobody = _simulate("--institution", str(env.institution), "--days", "0.1", "--faults", "leak:W-Z-pool-01@0")
    assert nobody.exit_code == 2 and "no device named 'W-Z-pool-01' in the compound" in nobody.output
    down = _simulate("--institution", str(env.institution), "--days", "0.01", "--protocol", "mqtt",
                     "--broker", "127.0.0.1:9")
    assert down.exit_code == 2 and "cannot reach the MQTT broker at 127.0.0.1:9" in down.output
    registered = open_node_devices(env.institution)
    assert registered == 0  # nothing was registered on chain for a run that could not start


def test_simulate_xihuamen_has_help() -> None:
    result = runner.invoke(zcl, ["simulate", "xihuamen", "--help"])
    assert result.exit_code == 0 and "--protocol" in result.output and "--faults" in result.output
