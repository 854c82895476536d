"""End to end: anchored readings → accounted → submitted → verified → `zcl audit`; then tamper and watch it name the difference."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from typer.testing import CliRunner

from ledger.accounting.factors import Period
from ledger.accounting.metered import period_bounds
from ledger.accounting.published import CN_PUBLIC_INSTITUTION_2022, PUBLIC_INSTITUTION_INVENTORY
from ledger.accounting.quantities import Quantity
from ledger.accounting.report import build_report
from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import ResultStatus
from ledger.chain.connection import ContractRevert, connect
from ledger.encoding import DeviceKind, Quantity as Measured, Reading, Unit
from ledger.evidence import LocalEvidenceStore
from ledger.signing import sign_reading
from oracles.simulator import SimulatedMeter
from tests.conftest import settings_for
from tests.oracles.conftest import make_node, register
from zcl.main import app

runner = CliRunner()
PERIOD = Period(date(2022, 3, 1), date(2022, 3, 2))
START, END = period_bounds(PERIOD)


@pytest.fixture
def world(contracts, tree, settings, deployment, monkeypatch):
    for name, value in (("RPC_URL", settings.rpc_url), ("DATA_DIR", str(settings.data_dir)), ("PRIVATE_KEY", settings.private_key)):
        monkeypatch.setenv(f"ZCL_{name}", value)
    kwh = register(contracts, tree.building, SimulatedMeter.create("kwh", DeviceKind.ELECTRICITY_METER, b"w", START))
    water = register(contracts, tree.room, SimulatedMeter.create("water", DeviceKind.WATER_METER, b"w", START))
    readings = []
    for h in range(-1, 50):
        t = START + h * 3600
        readings.append(sign_reading(Reading(kwh.device_id, h + 2, t, Measured.ACTIVE_ENERGY_IMPORT, Unit.KWH, -3,
                                             5_000_000 + (h + 1) * 20_000), kwh.key))
        readings.append(sign_reading(Reading(water.device_id, h + 2, t, Measured.WATER_VOLUME, Unit.M3, -3,
                                             100_000 + (h + 1) * 500), water.key))
    node = make_node(contracts, tree.institution, settings.data_dir / "oracle", batch_size=40)
    node.evidence = LocalEvidenceStore(settings.evidence_path)
    assert node.ingest(("t", r) for r in readings).accepted == len(readings)
    anchors = node.flush()
    node.spool.close()
    verifier = LedgerContracts.attach(connect(settings_for(settings.rpc_url, settings.data_dir, 1)), deployment)
    contracts.accounting.add_verifier(tree.district, verifier.accounting.chain.account.address)
    return contracts, tree, verifier, anchors, LocalEvidenceStore(settings.evidence_path)


def _submit(*extra: str):
    return runner.invoke(app, ["result", "submit", "--institution", "4", "--from", "2022-03-01", "--to", "2022-03-02", *extra])


def test_submitted_verified_result_audits_clean(world) -> None:
    contracts, tree, verifier, anchors, _ = world
    result = _submit()
    assert result.exit_code == 0, result.output
    record = contracts.accounting.result(1)
    # 48 h × 20 kWh × 0.5703 kg/kWh = 547.488 kg (scope 2); 48 h × 0.5 m³ × 0.194 kg/m³ = 4.656 kg (scope 3)
    assert (record.scope1, record.scope2, record.scope3) == (0, 547_488, 4_656)
    assert record.input_batch_count == len(anchors)
    verifier.accounting.verify(1, True, "QmStatement")
    assert contracts.accounting.result(1).status == ResultStatus.FINAL
    audit = runner.invoke(app, ["audit"])
    assert audit.exit_code == 0, audit.output
    assert "1 result(s) recomputed exactly" in audit.output


def test_a_scene_boundary_counts_only_its_meters(world) -> None:
    contracts, tree, *_ = world
    assert _submit("--boundary", str(tree.room)).exit_code == 0
    record = contracts.accounting.result(1)
    assert (record.boundary_id, record.scope2, record.scope3) == (tree.room, 0, 4_656)  # only the water meter is in the room
    assert runner.invoke(app, ["audit"]).exit_code == 0


def test_one_changed_evidence_byte_fails_the_audit(world, settings) -> None:
    contracts, tree, verifier, anchors, _ = world
    assert _submit().exit_code == 0
    path = next(settings.evidence_path.rglob(anchors[0].evidence_cid))
    data = bytearray(path.read_bytes())
    data[17 + 5 * 132 + 60] ^= 1
    path.write_bytes(bytes(data))
    audit = runner.invoke(app, ["audit"])
    assert audit.exit_code == 1
    assert "input readings do not verify" in audit.output and anchors[0].root.hex() in audit.output


def test_a_changed_factor_fails_the_audit_and_is_named(world) -> None:
    contracts, tree, verifier, anchors, store = world
    grid = next(f for f in CN_PUBLIC_INSTITUTION_2022.factors if f.key == "electricity.grid.cn_national")
    cheaper = dataclasses.replace(grid, value=Quantity("0.4", "tCO2e/MWh"))
    doctored = dataclasses.replace(
        CN_PUBLIC_INSTITUTION_2022, factors=tuple(cheaper if f is grid else f for f in CN_PUBLIC_INSTITUTION_2022.factors))
    report = build_report(contracts, store, tree.institution, tree.institution, PERIOD, PUBLIC_INSTITUTION_INVENTORY, doctored)
    contracts.accounting.submit(tree.institution, tree.institution, report.result_input(store.add(report.encode())))
    audit = runner.invoke(app, ["audit"], env={"COLUMNS": "300"})
    assert audit.exit_code == 1
    assert "result 1: factor set hash" in audit.output and "no published version has it" in audit.output


def test_a_submitted_total_that_does_not_recompute_is_named(world) -> None:
    contracts, tree, verifier, anchors, store = world
    report = build_report(contracts, store, tree.institution, tree.institution, PERIOD, PUBLIC_INSTITUTION_INVENTORY,
                          CN_PUBLIC_INSTITUTION_2022)
    honest = report.result_input(store.add(report.encode()))
    contracts.accounting.submit(tree.institution, tree.institution, dataclasses.replace(honest, scope2=honest.scope2 - 100_000))
    audit = runner.invoke(app, ["audit"], env={"COLUMNS": "300"})
    assert audit.exit_code == 1
    assert "scope 2 total: chain says 447488 gCO2e, recomputed 547488 gCO2e" in audit.output


def test_bad_submissions_are_refused(world, settings, deployment) -> None:
    contracts, tree, verifier, *_ = world
    empty = runner.invoke(app, ["result", "submit", "--institution", "4", "--from", "2022-07-01", "--to", "2022-07-02"])
    assert empty.exit_code == 2 and "no anchored readings cover it" in empty.output
    unknown = _submit("--factors", "cn-public-institution@1999")
    assert unknown.exit_code == 2 and "cn-public-institution" in unknown.output
    assert _submit().exit_code == 0
    overlap = _submit()
    assert overlap.exit_code == 3 and "OverlappingPeriod(1)" in overlap.output
    with pytest.raises(ContractRevert, match="VerifierOutsideTree"):
        contracts.accounting.verify(1, True, "self-approval by an institution admin")
    restate = _submit("--restates", "1")
    assert restate.exit_code == 2 and "needs --reason" in restate.output
