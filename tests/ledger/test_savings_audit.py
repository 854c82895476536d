"""An institution's M&V savings, end to end: two years of anchored daily readings → savings report →
Savings result (Final) → credits verified against it on chain → `zcl audit` re-derives the savings;
then a changed evidence byte, a doctored report and an inflated result are each named."""

from __future__ import annotations

import calendar
import json
from datetime import date

import pytest
from typer.testing import CliRunner

from ledger.accounting.factors import Period, canonical_json
from ledger.accounting.metered import period_bounds
from ledger.accounting.errors import ModelNotGoodEnough
from ledger.accounting.published import CN_PUBLIC_INSTITUTION_2022, PUBLIC_INSTITUTION_INVENTORY
from ledger.accounting.quantities import Quantity
from ledger.accounting.savings_report import ObservationPeriod, build_savings_report
from ledger.audit_credits import audit_credits
from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import ResultKind, ResultStatus
from ledger.chain.connection import ContractRevert, connect
from ledger.chain.credits import CreditContracts
from ledger.encoding import DeviceKind, Quantity as Measured, Reading, Unit
from ledger.evidence import LocalEvidenceStore
from ledger.signing import sign_reading
from oracles.simulator import SimulatedMeter
from tests.conftest import settings_for
from tests.oracles.conftest import make_node, register
from zcl.main import app

runner = CliRunner()
HDD = [420, 360, 250, 120, 40, 0, 0, 0, 30, 150, 290, 400]
CDD = [0, 0, 10, 40, 120, 210, 280, 260, 150, 30, 0, 0]
HDD_2022 = [400, 380, 240, 100, 50, 0, 0, 0, 20, 160, 300, 420]
CDD_2022 = [0, 0, 20, 50, 110, 230, 300, 250, 140, 20, 0, 0]
SAVED_PER_MONTH = 300  # kWh: the retrofit's effect, exactly, every month of 2022
AVOIDED_KWH = 12 * SAVED_PER_MONTH
AVOIDED_GRAMS = AVOIDED_KWH * 5703 // 10  # × 0.5703 kgCO2e/kWh (national grid 2022) = 2,053.08 kg
VERIFIER_KEY = 1  # anvil account 1: the district's verifier, and CarbonCredit's


def model_kwh(hdd: int, cdd: int) -> int:
    return 5_000 + 30 * hdd + 40 * cdd


def months(year: int) -> list[Period]:
    return [Period(date(year, m, 1), date(year, m, calendar.monthrange(year, m)[1])) for m in range(1, 13)]


def drivers(hdd: int, cdd: int) -> dict[str, Quantity]:
    return {"hdd": Quantity(hdd, "K·d"), "cdd": Quantity(cdd, "K·d")}


BASELINE = [ObservationPeriod(p, drivers(h, c)) for p, h, c in zip(months(2021), HDD, CDD)]
REPORTING = [ObservationPeriod(p, drivers(h, c)) for p, h, c in zip(months(2022), HDD_2022, CDD_2022)]
MONTHLY_KWH = [model_kwh(h, c) for h, c in zip(HDD, CDD)] + \
              [model_kwh(h, c) - SAVED_PER_MONTH for h, c in zip(HDD_2022, CDD_2022)]


def midnight(day: date) -> int:
    """Unix seconds of `day`'s local (+08:00) midnight: where the accounting periods start."""
    return period_bounds(Period(day, day))[0]


def daily_readings(meter: SimulatedMeter) -> list:
    """A cumulative kWh reading at every local midnight from 2021-01-01 to 2023-01-01; each month's
    consumption spread over its days in whole Wh (the remainder on its last day)."""
    out, wh = [], 1_000_000

    def read(day: date) -> None:
        reading = Reading(meter.device_id, len(out) + 1, midnight(day), Measured.ACTIVE_ENERGY_IMPORT, Unit.KWH, -3, wh)
        out.append(sign_reading(reading, meter.key))

    for period, kwh in zip(months(2021) + months(2022), MONTHLY_KWH):
        per_day, rest = divmod(kwh * 1000, period.end.day)
        for day in range(1, period.end.day + 1):
            read(date(period.start.year, period.start.month, day))
            wh += per_day + (rest if day == period.end.day else 0)
    read(date(2023, 1, 1))
    return out


@pytest.fixture
def world(contracts, tree, settings, deployment, monkeypatch):
    """The institution's two metered years anchored; the verifier designated for the district and holding
    CarbonCredit's verifier and issuer roles; the savings credit class and project registered."""
    for name, value in (("RPC_URL", settings.rpc_url), ("DATA_DIR", str(settings.data_dir)),
                        ("PRIVATE_KEY", settings.private_key)):
        monkeypatch.setenv(f"ZCL_{name}", value)
    start = period_bounds(months(2021)[0])[0]
    kwh = register(contracts, tree.building, SimulatedMeter.create("kwh", DeviceKind.ELECTRICITY_METER, b"s", start))
    node = make_node(contracts, tree.institution, settings.data_dir / "oracle", batch_size=100)
    node.evidence = LocalEvidenceStore(settings.evidence_path)
    readings = daily_readings(kwh)
    assert node.ingest(("t", r) for r in readings).accepted == len(readings)
    node.flush()
    node.spool.close()
    verifier = LedgerContracts.attach(connect(settings_for(settings.rpc_url, settings.data_dir, VERIFIER_KEY)), deployment)
    contracts.accounting.add_verifier(tree.district, verifier.accounting.chain.account.address)
    gov = CreditContracts.of(contracts)
    for role in ("verifier", "issuer"):
        gov.credits.grant_role(role, verifier.accounting.chain.account.address)
    gov.credits.create_class("ZCL-VERIFIED-SAVINGS", "ZCL-MV-OPTION-C-v1", False)
    CreditContracts.of(verifier).credits.register_project(1, tree.institution, "Xihuamen retrofits")
    return contracts, tree, verifier, LocalEvidenceStore(settings.evidence_path)


def _report(contracts, tree, store):
    return build_savings_report(contracts, store, tree.institution, tree.institution, BASELINE, REPORTING,
                                ["hdd", "cdd"], PUBLIC_INSTITUTION_INVENTORY, CN_PUBLIC_INSTITUTION_2022)


def _submit(contracts, tree, verifier, store, report=None, **change) -> tuple[int, str]:
    """Store the report, submit it as a Savings result (with `change`d on-chain fields) and make it Final."""
    report = report or _report(contracts, tree, store)
    cid = store.add(report.encode())
    result_input = report.result_input(cid)
    if change:
        from dataclasses import replace

        result_input = replace(result_input, **change)
    result_id = contracts.accounting.submit_savings(tree.institution, tree.institution, result_input)
    verifier.accounting.verify(result_id, True, "QmStatement")
    return result_id, cid


def test_savings_are_read_from_anchored_readings_exactly(world) -> None:
    contracts, tree, _, store = world
    report = _report(contracts, tree, store)
    assert [o.consumption for o in report.baseline] == [Quantity(k, "kWh") for k in MONTHLY_KWH[:12]]
    assert report.savings.avoided_energy == Quantity(AVOIDED_KWH, "kWh")
    assert report.savings.emissions.rounded == Quantity("2053.08", "kgCO2e")
    assert report.avoided_grams == AVOIDED_GRAMS == 2_053_080
    chain_input = report.result_input("QmX")
    assert (chain_input.scope1, chain_input.scope2, chain_input.scope3) == (0, AVOIDED_GRAMS, 0)
    assert period_bounds(report.period) == (chain_input.period_start, chain_input.period_end)
    assert chain_input.input_batch_count == len(report.batch_roots) == 8  # 731 readings in batches of 100


def test_verified_savings_cap_the_credits_and_audit_clean(world) -> None:
    contracts, tree, verifier, store = world
    result_id, _ = _submit(contracts, tree, verifier, store)
    record = contracts.accounting.result(result_id)
    assert (record.kind, record.status, record.scope2) == (ResultKind.SAVINGS, ResultStatus.FINAL, AVOIDED_GRAMS)
    credits = CreditContracts.of(verifier).credits
    with pytest.raises(ContractRevert) as caught:
        credits.approve_verification(b"\x01" * 32, 1, 2022, 3, "QmReport", result_id)
    assert (caught.value.name, caught.value.args_tuple) == ("VerifiedTonnesExceedSavings", (result_id, 3, 2))
    credits.approve_verification(b"\x01" * 32, 1, 2022, 2, "QmReport", result_id)  # 2.05308 t → 2 whole tonnes
    credits.issue(b"\x01" * 32, verifier.accounting.chain.account.address, 2)
    assert credits.savings(result_id).available_tonnes == 0

    audit = runner.invoke(app, ["audit"])
    assert audit.exit_code == 0, audit.output
    assert audit_credits(contracts, store) is None


def test_a_changed_byte_of_the_savings_report_fails_the_audit_and_is_named(world, settings) -> None:
    contracts, tree, verifier, store = world
    result_id, cid = _submit(contracts, tree, verifier, store)
    path = store.path_of(cid)
    data = bytearray(path.read_bytes())
    data[data.index(b'"avoided_gco2e":') + 17] ^= 1  # a digit of the claimed avoided grams
    path.write_bytes(bytes(data))
    audit = runner.invoke(app, ["audit"], env={"COLUMNS": "300"})
    assert audit.exit_code == 1
    assert f"savings result {result_id}: savings report: the evidence stored as {cid} does not hash" in audit.output


def test_a_report_stating_other_consumption_is_named(world) -> None:
    """A report whose CID is honest but whose March 2021 figure is not what the meters say."""
    contracts, tree, verifier, store = world
    honest = _report(contracts, tree, store)
    document = honest.to_json()
    document["baseline"][2]["consumption"] = "9999"
    cid = store.add(canonical_json(document))
    result_id = contracts.accounting.submit_savings(tree.institution, tree.institution, honest.result_input(cid))
    verifier.accounting.verify(result_id, True, "QmStatement")
    difference = audit_credits(contracts, store)
    assert difference is not None
    assert difference.describe() == (
        f"savings result {result_id}: baseline consumption of 2021-03-01..2021-03-31: "
        f"report says 9,999 kWh, the anchored readings give {MONTHLY_KWH[2]:,}.000 kWh")


def test_an_inflated_savings_result_is_named_before_its_credits(world) -> None:
    """The verifier approved a result claiming twice the savings: the contract cannot know, the audit does."""
    contracts, tree, verifier, store = world
    result_id, _ = _submit(contracts, tree, verifier, store, scope2=2 * AVOIDED_GRAMS)
    CreditContracts.of(verifier).credits.approve_verification(b"\x02" * 32, 1, 2022, 4, "QmReport", result_id)
    audit = runner.invoke(app, ["audit"], env={"COLUMNS": "300"})
    assert audit.exit_code == 1
    assert (f"savings result {result_id}: scope 2 savings: chain says {2 * AVOIDED_GRAMS} gCO2e avoided, "
            f"re-derived {AVOIDED_GRAMS} gCO2e") in audit.output


def test_a_model_that_fails_guideline_14_gives_no_report(world) -> None:
    contracts, tree, _, store = world
    noisy = [ObservationPeriod(o.period, drivers(h, c)) for o, h, c in zip(BASELINE, reversed(HDD), CDD)]
    with pytest.raises(ModelNotGoodEnough):
        build_savings_report(contracts, store, tree.institution, tree.institution, noisy, REPORTING, ["hdd", "cdd"],
                             PUBLIC_INSTITUTION_INVENTORY, CN_PUBLIC_INSTITUTION_2022)


def test_savings_evidence_is_canonical_json(world) -> None:
    contracts, tree, _, store = world
    report = _report(contracts, tree, store)
    document = json.loads(report.encode())
    assert document["kind"] == "zcl.savings-report/1"
    assert document["savings"] == {
        "adjusted_baseline": str(sum(model_kwh(h, c) for h, c in zip(HDD_2022, CDD_2022))),
        "reporting_consumption": str(sum(MONTHLY_KWH[12:])), "avoided_energy": str(AVOIDED_KWH), "unit": "kWh",
        "savings_fraction": document["savings"]["savings_fraction"], "avoided_kgco2e": "2053.08", "scope": 2,
        "avoided_gco2e": AVOIDED_GRAMS,
    }
    assert canonical_json(document) == report.encode()


def test_zcl_savings_submit_reads_the_spec_and_submits_the_result(world, tmp_path) -> None:
    contracts, tree, verifier, store = world

    def periods(observations):
        return [{"first_day": str(o.period.start), "last_day": str(o.period.end),
                 "drivers": {k: {"value": str(q.value), "unit": str(q.unit)} for k, q in o.drivers.items()}}
                for o in observations]

    spec = tmp_path / "retrofit.json"
    spec.write_text(json.dumps({"drivers": ["hdd", "cdd"], "baseline": periods(BASELINE),
                                "reporting": periods(REPORTING), "description": "chiller replaced"}))
    out = runner.invoke(app, ["savings", "submit", str(spec), "--institution", str(tree.institution),
                              "--description", "LED lighting, floors 1-6"], env={"COLUMNS": "300"})
    assert out.exit_code == 0, out.output
    assert "savings result 1 submitted for 2022-01-01..2022-12-31" in out.output
    assert "adjusted baseline 166,900.000 kWh, metered 163,300.000 kWh" in out.output
    assert "(scope 2; 2 whole tonnes creditable once Final); model R² 1.0000, CV(RMSE) 0.0000" in out.output
    record = contracts.accounting.result(1)
    assert (record.kind, record.status, record.scope2) == (ResultKind.SAVINGS, ResultStatus.SUBMITTED, AVOIDED_GRAMS)
    stored = json.loads(store.cat(out.output.rsplit("report ", 1)[1].split()[0]))
    assert stored["description"] == "LED lighting, floors 1-6"  # the option wins over the spec's description
    verifier.accounting.verify(1, True, "QmStatement")
    assert runner.invoke(app, ["audit"]).exit_code == 0

    spec.write_text("{}")
    bad = runner.invoke(app, ["savings", "submit", str(spec), "--institution", str(tree.institution)])
    assert bad.exit_code == 2 and "not a savings spec" in bad.output
