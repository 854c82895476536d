"""End to end over a simulated year: signed readings → oracle → anchored → accounted → submitted → verified →
`zcl audit` passes; one changed evidence byte or one changed factor → `zcl audit` fails and names it.

Density: four meters (the building's main electricity meter and its PV meter, the meeting room's
electricity and water meters) read HOURLY through calendar 2022: 35,018 signed readings (30 hours of water missing). The oracle's gate
verifies every signature on the way in and the audit verifies each again, ~60 µs apiece, so the full
institution (150 meters at 15 minutes, 5.26 M readings) is the benchmark's job (scripts/bench/
accounting_run.py); this keeps the whole year (every month, the summer gap, the year boundaries) at a
size a loaded CI machine runs in well under a minute.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta

from typer.testing import CliRunner

from ledger.accounting.factors import Period
from ledger.accounting.metered import collect_points, metered_activity, period_bounds, split_period
from ledger.accounting.published import CN_PUBLIC_INSTITUTION_2022, PUBLIC_INSTITUTION_INVENTORY
from ledger.accounting.quantities import Quantity
from ledger.accounting.report import build_report
from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import ResultStatus
from ledger.chain.connection import connect
from ledger.encoding import DeviceKind, Quantity as Measured, Reading, Unit
from ledger.evidence import LocalEvidenceStore
from ledger.signing import sign_reading
from oracles.simulator import SimulatedMeter
from tests.conftest import settings_for
from tests.oracles.conftest import make_node, register
from zcl.main import app

runner = CliRunner()
YEAR = Period(date(2022, 1, 1), date(2022, 12, 31))
START, END = period_bounds(YEAR)
HOURS = (END - START) // 3600  # 8,760
WATER_OFFLINE = range(4_000, 4_030)  # 30 hours in mid-June without a water reading: a gap, interpolated and flagged


def _daytime(hour: int) -> bool:
    return 8 <= hour % 24 < 18 and (date(2022, 1, 1) + timedelta(days=hour // 24)).weekday() < 5


# Consumption in the hour starting `hour` hours after the year began (local time), in thousandths.
PROFILES = {
    "main": (DeviceKind.ELECTRICITY_METER, "building", lambda h: 60_000 if _daytime(h) else 20_000),
    "room": (DeviceKind.ELECTRICITY_METER, "room", lambda h: 10_000 if _daytime(h) else 0),
    "water": (DeviceKind.WATER_METER, "room", lambda h: 2_000 if _daytime(h) else 0),
    "pv": (DeviceKind.PV_GENERATION_METER, "building", lambda h: 30_000 if 10 <= h % 24 < 15 else 0),
}
QUANTITY = {DeviceKind.ELECTRICITY_METER: (Measured.ACTIVE_ENERGY_IMPORT, Unit.KWH),
            DeviceKind.WATER_METER: (Measured.WATER_VOLUME, Unit.M3),
            DeviceKind.PV_GENERATION_METER: (Measured.ACTIVE_ENERGY_EXPORT, Unit.KWH)}


def _year_of_readings(meters: dict[str, SimulatedMeter]) -> list:
    """Hour -1 to hour 8,760 (the readings either side of the year), meter after meter within each hour."""
    values = {name: 1_000_000 for name in PROFILES}
    sequences = dict.fromkeys(PROFILES, 0)
    readings = []
    for hour in range(-1, HOURS + 1):
        for name, (kind, _, profile) in PROFILES.items():
            if hour > -1:
                values[name] += profile(hour - 1)
            if name == "water" and hour in WATER_OFFLINE:
                continue
            sequences[name] += 1
            quantity, unit = QUANTITY[kind]
            meter = meters[name]
            readings.append(sign_reading(Reading(meter.device_id, sequences[name], START + hour * 3600, quantity, unit,
                                                 -3, values[name]), meter.key))
    return readings


def _expected(name: str) -> int:
    return sum(PROFILES[name][2](h) for h in range(HOURS))


def test_a_simulated_year_audits_clean_and_a_changed_byte_or_factor_is_named(
        contracts, tree, settings, deployment, monkeypatch) -> None:
    for key, value in (("RPC_URL", settings.rpc_url), ("DATA_DIR", str(settings.data_dir)),
                       ("PRIVATE_KEY", settings.private_key)):
        monkeypatch.setenv(f"ZCL_{key}", value)
    meters = {name: register(contracts, getattr(tree, scene), SimulatedMeter.create(name, kind, b"year", START))
              for name, (kind, scene, _) in PROFILES.items()}
    readings = _year_of_readings(meters)
    assert len(readings) == 4 * (HOURS + 2) - len(WATER_OFFLINE) == 35_018

    node = make_node(contracts, tree.institution, settings.data_dir / "oracle", batch_size=5_000)
    node.evidence = LocalEvidenceStore(settings.evidence_path)
    ingested = node.ingest(("simulated", r) for r in readings)
    assert ingested.accepted == len(readings), ingested.rejected_by_reason()
    node.flush()
    node.spool.close()
    anchors = contracts.attestations.anchored_batches(institution_id=tree.institution)
    assert len(anchors) == 8 and sum(a.reading_count for a in anchors) == len(readings)

    # accounted: the year, and its months adding up to it exactly
    store = LocalEvidenceStore(settings.evidence_path)
    series, roots = collect_points(contracts, store, tree.institution, START, END)
    year = metered_activity(tree.institution, YEAR, series, roots)
    kwh, m3 = _expected("main") + _expected("room"), _expected("water")
    assert {a: q.value.scaleb(3) for a, q in year.totals.items()} == {
        "electricity.grid": kwh, "water.supply": m3, "electricity.generated": _expected("pv")}
    (gap,) = year.estimates
    assert gap.method.endswith("(gap)") and (gap.start, gap.end) == (START + 3_999 * 3600, START + 4_030 * 3600)
    months = [metered_activity(tree.institution, m, series, roots).totals for m in split_period(YEAR, "month")]
    assert len(months) == 12
    assert sum(m["electricity.grid"].value for m in months) == year.totals["electricity.grid"].value

    # a verifier of the district above the institution (designated before the CLI sends from the same account)
    verifier = LedgerContracts.attach(connect(settings_for(settings.rpc_url, settings.data_dir, 1)), deployment)
    contracts.accounting.add_verifier(tree.district, verifier.accounting.chain.account.address)

    # submitted, with the scope totals exact to the gram: kWh × 0.5703 kg/kWh, m³ × 0.194 kg/m³
    submitted = runner.invoke(app, ["result", "submit", "--institution", str(tree.institution),
                                    "--from", "2022-01-01", "--to", "2022-12-31"])
    assert submitted.exit_code == 0, submitted.output
    record = contracts.accounting.result(1)
    assert (record.scope1, record.scope2, record.scope3) == (0, kwh * 5703 // 10_000, m3 * 194 // 1000)
    assert record.input_batch_count == 8

    # verified: final
    verifier.accounting.verify(1, True, "QmStatementOfTheYear")
    assert contracts.accounting.result(1).status == ResultStatus.FINAL

    audit = runner.invoke(app, ["audit"])
    assert audit.exit_code == 0, audit.output
    assert "1 result(s) recomputed exactly" in audit.output

    # one evidence byte (a value byte of reading #1234 in the fourth batch) → the audit names that batch
    path = next(settings.evidence_path.rglob(anchors[3].evidence_cid))
    original = path.read_bytes()
    changed = bytearray(original)
    changed[17 + 1234 * 132 + 67] ^= 1
    path.write_bytes(bytes(changed))
    audit = runner.invoke(app, ["audit"], env={"COLUMNS": "400"})
    assert audit.exit_code == 1
    assert "input readings do not verify" in audit.output and anchors[3].root.hex() in audit.output
    path.write_bytes(original)
    assert runner.invoke(app, ["audit"]).exit_code == 0

    # one factor (the grid factor, 0.5703 → 0.4 t/MWh) in a result for the meeting room → the audit names it
    grid = next(f for f in CN_PUBLIC_INSTITUTION_2022.factors if f.key == "electricity.grid.cn_national")
    doctored = dataclasses.replace(CN_PUBLIC_INSTITUTION_2022, factors=tuple(
        dataclasses.replace(f, value=Quantity("0.4", "tCO2e/MWh")) if f is grid else f
        for f in CN_PUBLIC_INSTITUTION_2022.factors))
    report = build_report(contracts, store, tree.institution, tree.room, YEAR, PUBLIC_INSTITUTION_INVENTORY, doctored)
    assert json.loads(report.encode())["boundary"] == tree.room
    admin = LedgerContracts.attach(connect(settings_for(settings.rpc_url, settings.data_dir, 0)), deployment)  # fresh nonce
    admin.accounting.submit(tree.institution, tree.room, report.result_input(store.add(report.encode())))
    audit = runner.invoke(app, ["audit"], env={"COLUMNS": "400"})
    assert audit.exit_code == 1
    assert "result 2: factor set hash" in audit.output and "no published version has it" in audit.output
