"""Supervision over the index: exact aggregates, scope, ranking, drill-down and profiles.

The tree (conftest's plus two nodes) is indexed from the chain; the figures under it are well-formed rows
written straight into the index tables (daily usage, a final result, a certification), so every expected
figure below is worked out by hand:

    Sichuan(1) → Chengdu(2) ─┬ Qingyang(3) ─┬ Xihuamen(4) → Main building(5) → room(6)
                             │              └ Qingyang hospital
                             └ Jinjiang ──── Jinjiang school
    Yunnan(7) → Kunming(8) → Kunming office(9)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session

from api.models import Role
from api.services.users import create_user
from ledger.accounting import account
from ledger.accounting.factors import Period
from ledger.accounting.quantities import Quantity
from ledger.chain.codes import CertificationStatus, NodeKind, ResultStatus
from ledger.encoding import Quantity as Measured, Unit
from ledger.evidence import LocalEvidenceStore
from ledger.indexer import Indexer
from ledger.indexer.models import AccountingResult, Batch, Cursor, DailyUsage, IndexedBlock
from ledger.indexer.models.credits import CertificationApplication
from api.explorer.dashboard_metrics import FACTORS, METHODOLOGY
from tests.api.conftest import PASSWORD, ApiWorld

YEAR = 2022


def _usage(device: str, institution: int, scene: int, day: date, first: str, last: str,
           quantity: Measured = Measured.ACTIVE_ENERGY_IMPORT, unit: Unit = Unit.KWH) -> DailyUsage:
    v = Decimal
    return DailyUsage(device_id=device, day=day, quantity=int(quantity), institution_id=institution, scene_id=scene,
                      unit=int(unit), reading_count=2, first_timestamp=0, first_value=v(first), last_timestamp=0,
                      last_value=v(last), min_value=v(first), max_value=v(last), total=v(first) + v(last))


def _device(n: int) -> str:
    return "0x" + f"{n:064x}"


@pytest.fixture(scope="module")
def world(api: ApiWorld) -> dict[str, int]:
    orgs = api.contracts.organizations
    ids = {"hospital": orgs.create_node(api.tree.district, NodeKind.INSTITUTION, "Qingyang hospital"),
           "jinjiang": orgs.create_node(api.tree.city, NodeKind.REGION, "Jinjiang")}
    ids["school"] = orgs.create_node(ids["jinjiang"], NodeKind.INSTITUTION, "Jinjiang school")
    engine = api.app.state.engine
    create_user(engine, "hospital_admin", PASSWORD, Role.INSTITUTION_ADMIN, ids["hospital"],
                address=api.wallets["operator"].address)
    Indexer(orgs.chain, api.deployment, engine, LocalEvidenceStore(api.settings.evidence_path)).sync()
    x, b = api.tree.institution, api.tree.building
    rows = [
        # Xihuamen: grid meter in the building, 100 + 150 kWh in January, 150 in February; 2 m³ of water at the compound
        _usage(_device(1), x, b, date(YEAR, 1, 1), "0", "100"), _usage(_device(1), x, b, date(YEAR, 1, 2), "110", "250"),
        _usage(_device(1), x, b, date(YEAR, 2, 1), "260", "400"),
        _usage(_device(2), x, x, date(YEAR, 1, 1), "10", "12", Measured.WATER_VOLUME, Unit.M3),
        # hospital: 1,000 kWh in March (and a final Emissions result of 2,000 kg for the year)
        _usage(_device(3), ids["hospital"], ids["hospital"], date(YEAR, 3, 1), "0", "1000"),
        # school: 500 kWh in January
        _usage(_device(4), ids["school"], ids["school"], date(YEAR, 1, 5), "5", "505"),
        # Kunming office, out of Sichuan's scope: 800 kWh
        _usage(_device(5), api.kunming_office, api.kunming_office, date(YEAR, 1, 5), "0", "800"),
    ]
    result = AccountingResult(
        result_id=900, institution_id=ids["hospital"], boundary_id=ids["hospital"], submitter=api.wallets["admin"].address,
        period_start=1640966400, period_end=1672502399, methodology_id="0x" + "11" * 32, methodology_hash="0x" + "22" * 32,
        factor_set_hash="0x" + "33" * 32, scope1=0, scope2=2_000_000, scope3=0, total=2_000_000, input_root="0x" + "44" * 32,
        input_batch_count=1, report_cid="bafy", status=int(ResultStatus.FINAL), status_name="final", block_number=1,
        transaction_hash="0x" + "55" * 32)
    certified = CertificationApplication(
        application_id=900, institution_id=ids["school"], claim_id="0x" + "66" * 32, level=2, criteria_version=1,
        result_id=1, baseline_result_id=0, certificate_id=1, document_cid="bafy", status=int(CertificationStatus.CERTIFIED),
        status_name="certified", approvals=2, valid_from=1, valid_until=4_000_000_000, block_number=1,
        transaction_hash="0x" + "77" * 32)
    with Session(engine) as session:
        session.add_all([*rows, result, certified])
        session.commit()
    return ids


def _kg(activity: dict[str, Quantity], month: int) -> Decimal:
    """What the engine says for one month (the figure the service must have asked it for)."""
    first = date(YEAR, month, 1)
    last = date(YEAR, month + 1, 1).toordinal() - 1
    return account(activity, METHODOLOGY, FACTORS, Period(first, date.fromordinal(last))).total.value


def test_factors_are_what_the_figures_below_assume() -> None:
    assert _kg({"electricity.grid": Quantity(1000, "kWh")}, 3) == Decimal("570.3")
    assert _kg({"water.supply": Quantity(2, "m3")}, 1) == Decimal("0.388")


def test_regulator_sees_exact_aggregates_of_its_three_institutions(api: ApiWorld, world: dict[str, int]) -> None:
    response = api.get("regulator", f"/supervision/{api.tree.province}/institutions?year={YEAR}&rank_by=emissions")
    assert response.status_code == 200, response.text
    assert response.headers["x-served-from"] == "index"
    body = response.json()
    by_id = {i["node_id"]: i for i in body["items"]}
    assert set(by_id) == {api.tree.institution, world["hospital"], world["school"]}
    xihuamen, hospital, school = by_id[api.tree.institution], by_id[world["hospital"]], by_id[world["school"]]
    assert xihuamen["activity"] == {"electricity.grid": {"value": "400", "unit": "kWh"},
                                    "water.supply": {"value": "2", "unit": "m3"}}
    # January 250 kWh × 0.5703 + 2 m³ × 0.194 = 142.963; February 150 kWh × 0.5703 = 85.545
    assert xihuamen["metered_kgco2e"] == "228.508" and xihuamen["emissions_kgco2e"] == "228.508"
    assert xihuamen["emissions_source"] == "metered" and xihuamen["reported_kgco2e"] is None
    assert (xihuamen["people"], xihuamen["floor_area_m2"]) == (3835, "93823.09")  # the seed's
    assert hospital["reported_kgco2e"] == "2000" and hospital["emissions_kgco2e"] == "2000"
    assert hospital["emissions_source"] == "final_results" and hospital["metered_kgco2e"] == "570.3"
    assert school["metered_kgco2e"] == "285.15"
    assert school["certification"]["status"] == "certified" and school["certification"]["level"] == 2
    assert hospital["certification"]["status"] == "none"
    assert [i["open_alarms"] for i in body["items"]] == [0, 0, 0]
    node = body["node"]
    assert node["institutions"] == 3 and node["certification"] == {"certified": 1, "of": 3}
    assert node["activity"]["electricity.grid"] == {"value": "1900", "unit": "kWh"}
    assert node["emissions_kgco2e"] == "2513.658"  # 228.508 + 2,000 (final result) + 285.15
    assert node["metered_kgco2e"] == "1083.958"  # 228.508 + 570.3 + 285.15
    # ranked by emissions, largest first: the hospital's 2,000 kg, the school's 285.15, Xihuamen's 228.508
    assert [i["node_id"] for i in body["items"]] == [world["hospital"], world["school"], api.tree.institution]
    assert [i["rank"] for i in body["items"]] == [1, 2, 3]


def test_ranking_orders_and_filters(api: ApiWorld, world: dict[str, int]) -> None:
    path = f"/supervision/{api.tree.province}/institutions?year={YEAR}"
    ascending = api.get("regulator", path + "&rank_by=emissions&order=asc").json()["items"]
    assert [i["node_id"] for i in ascending] == [api.tree.institution, world["school"], world["hospital"]]
    # only Xihuamen has a profile: it ranks first on intensity, the others after it in id order
    by_intensity = api.get("regulator", path + "&rank_by=intensity_per_m2").json()["items"]
    assert [i["node_id"] for i in by_intensity] == [api.tree.institution, world["hospital"], world["school"]]
    certified = api.get("regulator", path + "&certification=certified").json()
    assert [i["node_id"] for i in certified["items"]] == [world["school"]] and certified["total"] == 1
    page = api.get("regulator", path + "&rank_by=emissions&limit=1&offset=1").json()
    assert [i["node_id"] for i in page["items"]] == [world["school"]] and page["total"] == 3
    assert page["items"][0]["rank"] == 2


def test_regulator_of_another_province_is_refused(api: ApiWorld, world: dict[str, int]) -> None:
    for path in (f"/supervision/{api.tree.province}/institutions", f"/supervision/{world['school']}/drilldown",
                 f"/supervision/{api.tree.institution}/dashboard"):
        response = api.get("yunnan_regulator", path)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "forbidden"
    assert api.get("regulator", f"/supervision/{api.yunnan}/institutions").status_code == 403
    yunnan = api.get("yunnan_regulator", f"/supervision/{api.yunnan}/institutions?year={YEAR}").json()
    assert [i["node_id"] for i in yunnan["items"]] == [api.kunming_office]
    assert yunnan["items"][0]["activity"]["electricity.grid"]["value"] == "800"
    assert api.get("regulator", "/supervision/999/institutions").status_code == 404


def test_drill_down_from_province_to_building(api: ApiWorld, world: dict[str, int]) -> None:
    city = api.get("regulator", f"/supervision/{api.tree.city}/drilldown?year={YEAR}").json()
    assert [c["node_id"] for c in city["children"]] == [api.tree.district, world["jinjiang"]]
    qingyang, jinjiang = city["children"]
    assert (qingyang["kind"], qingyang["institutions"], jinjiang["institutions"]) == ("region", 2, 1)
    assert qingyang["activity"]["electricity.grid"]["value"] == "1400"
    assert jinjiang["activity"]["electricity.grid"]["value"] == "500"
    assert [p["node_id"] for p in city["path"]] == [api.tree.province, api.tree.city]
    district = api.get("regulator", f"/supervision/{api.tree.district}/drilldown?year={YEAR}").json()
    assert [c["node_id"] for c in district["children"]] == [api.tree.institution, world["hospital"]]
    institution = api.get("regulator", f"/supervision/{api.tree.institution}/drilldown?year={YEAR}").json()
    building = institution["children"][0]
    assert building["node_id"] == api.tree.building and building["kind"] == "building"
    assert building["activity"] == {"electricity.grid": {"value": "400", "unit": "kWh"}}  # the water meter is outside it


def test_intensity_is_exact_and_profile_editing_is_the_admins(api: ApiWorld, world: dict[str, int]) -> None:
    x = api.tree.institution
    assert api.get("operator", f"/supervision/{x}/profile").json()["source"] == "seed"
    refused = api.client.put(f"/supervision/{x}/profile", headers=api.headers("operator"),
                             json={"people": 4000, "floor_area_m2": "100000"})
    assert refused.status_code == 403 and "institution_admin" in refused.json()["error"]["message"]
    other = api.client.put(f"/supervision/{world['hospital']}/profile", headers=api.headers("admin"),
                           json={"people": 100, "floor_area_m2": "1000"})
    assert other.status_code == 403  # Xihuamen's admin is not the hospital's: its scope ends at Xihuamen
    own = api.client.put(f"/supervision/{world['hospital']}/profile", headers=api.headers("hospital_admin"),
                         json={"people": 100, "floor_area_m2": "1000"})
    assert own.status_code == 200 and own.json()["people"] == 100
    bad = api.client.put(f"/supervision/{x}/profile", headers=api.headers("admin"),
                         json={"people": 4000, "floor_area_m2": "0"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"
    saved = api.client.put(f"/supervision/{x}/profile", headers=api.headers("admin"),
                           json={"people": 4000, "floor_area_m2": "100000", "baseline_year": YEAR})
    assert saved.status_code == 200 and saved.json()["source"] == "institution"
    figures = api.get("regulator", f"/supervision/{x}/drilldown?year={YEAR}").json()["node"]
    # 228.508 kg ÷ 4,000 people = 0.057127 → 0.0571; ÷ 100,000 m² = 0.00228508 → 0.0023 (4 places, half up)
    assert figures["emissions_kgco2e"] == "228.508"
    assert (figures["intensity_kgco2e_per_person"], figures["intensity_kgco2e_per_m2"]) == ("0.0571", "0.0023")
    assert figures["reduction_vs_baseline"] == "0"
    hospital = api.get("regulator", f"/supervision/{world['hospital']}/drilldown?year={YEAR}").json()["node"]
    assert (hospital["intensity_kgco2e_per_person"], hospital["intensity_kgco2e_per_m2"]) == ("20", "2")


def test_month_is_recomputed_when_its_batch_set_changes(api: ApiWorld, world: dict[str, int]) -> None:
    x, path = api.tree.institution, f"/supervision/{api.tree.institution}/dashboard?year={YEAR}"
    before = api.get("regulator", path).json()
    assert [d["day"] for d in before["days"]] == ["2022-01-01", "2022-01-02", "2022-02-01"]
    assert before["days"][1] == {"day": "2022-01-02", "electricity.grid": "150"}
    assert before["months"][1]["kgco2e"] == "85.545" and before["months"][2]["kgco2e"] is None
    engine = api.app.state.engine
    with Session(engine) as session:  # as the indexer does: a batch, its day's figures, the cursor, in one go
        cursor = session.get(Cursor, 1)
        block, block_hash = cursor.block_number + 1, "0x" + "99" * 32
        session.add(_usage(_device(1), x, api.tree.building, date(YEAR, 2, 2), "410", "500"))
        session.add(Batch(root="0x" + "88" * 32, institution_id=x, oracle=api.wallets["admin"].address,
                          previous_root="0x" + "00" * 32, batch_index=0, reading_count=2, first_timestamp=1643760000,
                          last_timestamp=1643790000, evidence_cid="bafy", block_number=block, block_hash=block_hash,
                          transaction_hash="0x" + "aa" * 32, log_index=0, evidence_status="loaded"))
        session.add(IndexedBlock(number=block, hash=block_hash))
        cursor.block_number, cursor.block_hash = block, block_hash
        session.add(cursor)
        session.commit()
    after = api.get("regulator", path).json()
    assert after["months"][1]["activity"]["electricity.grid"]["value"] == "250"  # 150 + 100 kWh
    assert after["months"][1]["kgco2e"] == "142.575"
    assert after["months"][0] == before["months"][0]
    assert after["figures"]["metered_kgco2e"] == "285.538"  # 142.963 + 142.575


def test_after_a_reorg_every_batch_set_is_compared_again(api: ApiWorld, world: dict[str, int]) -> None:
    """A batch re-anchored below the confirmed block is found once that block's hash is no longer the index's."""
    path = f"/supervision/{world['school']}/dashboard?year={YEAR}"
    assert api.get("regulator", path).json()["months"][0]["activity"]["electricity.grid"]["value"] == "500"
    engine = api.app.state.engine
    with Session(engine) as session:
        confirmed = session.get(Cursor, 1).block_number
        session.add(_usage(_device(4), world["school"], world["school"], date(YEAR, 1, 6), "505", "605"))
        session.add(Batch(root="0x" + "bb" * 32, institution_id=world["school"], oracle=api.wallets["admin"].address,
                          previous_root="0x" + "00" * 32, batch_index=0, reading_count=2, first_timestamp=1641427200,
                          last_timestamp=1641430000, evidence_cid="bafy", block_number=1, block_hash="0x" + "cc" * 32,
                          transaction_hash="0x" + "dd" * 32, log_index=0, evidence_status="loaded"))
        session.commit()
    # same cursor, batch below it: nothing says the index changed, so the cached month stands
    assert api.get("regulator", path).json()["months"][0]["activity"]["electricity.grid"]["value"] == "500"
    with Session(engine) as session:  # the reorg: the confirmed block now has another hash
        block = session.get(IndexedBlock, confirmed)
        block.hash = "0x" + "ee" * 32
        cursor = session.get(Cursor, 1)
        cursor.block_hash = block.hash
        session.add_all([block, cursor])
        session.commit()
    after = api.get("regulator", path).json()
    assert after["months"][0]["activity"]["electricity.grid"]["value"] == "600"
    assert after["months"][0]["kgco2e"] == "342.18"  # 600 kWh × 0.5703


def test_every_role_but_the_institutions_admin_is_refused_the_profile(api: ApiWorld, world: dict[str, int]) -> None:
    """Action.EDIT_PROFILE: a 403 in the API's one error body, and the profile stays as it was."""
    path = f"/supervision/{api.tree.institution}/profile"
    before = api.get("admin", path).json()
    for role in ("operator", "regulator", "verifier", "auditor"):  # each user is named after its role
        refused = api.client.put(path, headers=api.headers(role), json={"people": 1, "floor_area_m2": "1"})
        assert refused.status_code == 403, role
        assert refused.json() == {"error": {
            "code": "forbidden", "message": f"role {role} may not edit an institution's profile (its institution_admin does)",
            "details": None}}
    assert api.get("admin", path).json() == before
