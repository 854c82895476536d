"""`zcl account` from anchored readings, and its refusals."""

from __future__ import annotations

import json
from datetime import date

from typer.testing import CliRunner

from ledger.accounting.factors import Period
from ledger.accounting.metered import period_bounds
from ledger.encoding import DeviceKind, Quantity as Measured, Reading, Unit
from ledger.evidence import LocalEvidenceStore
from ledger.signing import sign_reading
from oracles.simulator import SimulatedMeter
from tests.oracles.conftest import make_node, register
from zcl.main import app

runner = CliRunner()
START, _ = period_bounds(Period(date(2022, 3, 1), date(2022, 3, 1)))


def test_account_a_metered_day_then_refuse_bad_requests(contracts, tree, settings, monkeypatch) -> None:
    for name, value in (("RPC_URL", settings.rpc_url), ("DATA_DIR", str(settings.data_dir)), ("PRIVATE_KEY", settings.private_key)):
        monkeypatch.setenv(f"ZCL_{name}", value)
    meter = register(contracts, tree.building, SimulatedMeter.create("a", DeviceKind.ELECTRICITY_METER, b"a", START))
    readings = [sign_reading(Reading(meter.device_id, h + 1, START + h * 3600, Measured.ACTIVE_ENERGY_IMPORT, Unit.KWH,
                                     -3, 1_000_000 + h * 12_500), meter.key) for h in range(0, 49)]
    node = make_node(contracts, tree.institution, settings.data_dir / "oracle")
    node.evidence = LocalEvidenceStore(settings.evidence_path)
    node.ingest(("t", r) for r in readings)
    node.flush()
    node.spool.close()

    args = ["account", "--institution", str(tree.institution), "--from", "2022-03-01", "--to", "2022-03-02"]
    result = runner.invoke(app, [*args, "--by", "day", "--json"])
    assert result.exit_code == 0, result.output
    days = json.loads(result.stdout)
    assert [d["activity"] for d in days] == [{"electricity.grid": "300.000 kWh"}] * 2  # 12.5 kWh an hour
    assert [d["result"]["total_gco2e"] for d in days] == [171_090, 171_090]  # 300 kWh × 0.5703 kg/kWh
    table = runner.invoke(app, args, env={"COLUMNS": "200"}).output
    assert "2022-03-01..2022-03-02" in table and "600.000" in table and "342.18" in table

    unknown = runner.invoke(app, [*args, "--methodology", "public-institution-inventory@9"])
    assert unknown.exit_code == 2 and "public-institution-inventory" in unknown.output
    empty = runner.invoke(app, ["account", "--institution", str(tree.institution), "--from", "2022-06-01", "--to", "2022-06-02"])
    assert empty.exit_code == 2 and "no anchored readings cover it" in empty.output
    backwards = runner.invoke(app, [*args[:3], "--from", "2022-03-02", "--to", "2022-03-01"])
    assert backwards.exit_code == 2 and "bad period" in backwards.output
