"""Alarms → work orders → response and completion times → the seed's operations figures, exactly."""

from __future__ import annotations

import pytest

from oracles.alarms import AlarmKind, AlarmStore, Severity
from tests.api.conftest import ApiWorld

HOUR = 3600
CUTOVER = 1_700_000_000
DEVICE = bytes.fromhex("ab" * 32)


@pytest.fixture(scope="module")
def alarms(api: ApiWorld) -> list[int]:
    """Three alarms in the institution's oracle spool (the store the oracle writes)."""
    path = api.settings.oracle_spool_path(api.tree.institution)
    path.parent.mkdir(parents=True, exist_ok=True)
    store = AlarmStore.open(path)
    ids = [store.raise_alarm(AlarmKind.WATER_LEAK, Severity.CRITICAL, DEVICE, "night flow 0.42 m³/h for 4 h",
                             [(DEVICE, 10), (DEVICE, 11)], CUTOVER + 100).id,
           store.raise_alarm(AlarmKind.OVER_CURRENT, Severity.WARNING, DEVICE, "phase B 65 A > 63 A",
                             [(DEVICE, 12)], CUTOVER + 200).id,
           store.raise_alarm(AlarmKind.DEVICE_OFFLINE, Severity.INFO, DEVICE, "no reading for 3 intervals",
                             [], CUTOVER + 300).id]
    store.db.close()
    return ids


def _order(api: ApiWorld, user: str, raised: int, responded: int, completed: int) -> dict:
    """A hand-raised order at the Kunming office, assigned to its operator, responded and completed."""
    inst = api.kunming_office
    order = api.post(user, f"/organizations/{inst}/work-orders", json={"title": "repair", "raised_at": raised}).json()
    oid = order["id"]
    assert api.post(user, f"/work-orders/{oid}/assign",
                    json={"assignee_id": api.users[user], "at": raised}).status_code == 200
    assert api.post(user, f"/work-orders/{oid}/respond", json={"at": responded}).status_code == 200
    done = api.post(user, f"/work-orders/{oid}/complete", json={"resolution": "fixed", "at": completed})
    assert done.status_code == 200, done.text
    return done.json()


def test_alarm_list_filters_and_handling(api: ApiWorld, alarms: list[int]) -> None:
    inst = api.tree.institution
    page = api.get("regulator", f"/organizations/{inst}/alarms").json()
    assert page["total"] == 3 and [a["id"] for a in page["items"]] == alarms[::-1]
    leaks = api.get("operator", f"/organizations/{inst}/alarms", params={"kind": "water_leak"}).json()["items"]
    assert [a["id"] for a in leaks] == [alarms[0]]
    assert leaks[0]["readings"] == [{"device_id": "0x" + "ab" * 32, "sequence": 10},
                                    {"device_id": "0x" + "ab" * 32, "sequence": 11}]
    assert api.post("auditor", f"/organizations/{inst}/alarms/{alarms[2]}/acknowledge").status_code == 403
    acked = api.post("operator", f"/organizations/{inst}/alarms/{alarms[2]}/acknowledge")
    assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "operator"
    again = api.post("operator", f"/organizations/{inst}/alarms/{alarms[2]}/acknowledge")
    assert again.status_code == 409 and "only an active alarm" in again.json()["error"]["message"]
    resolved = api.post("admin", f"/organizations/{inst}/alarms/{alarms[2]}/resolve", json={"resolution": "gateway rebooted"})
    assert resolved.json()["state"] == "resolved"
    assert api.get("operator", f"/organizations/{inst}/alarms", params={"state": "resolved"}).json()["total"] == 1
    assert api.get("operator", f"/organizations/{inst}/alarms", params={"state": "open"}).json()["total"] == 2
    assert api.get("operator", f"/organizations/{inst}/alarms/999").status_code == 404


def test_work_order_from_an_alarm_counts_from_the_alarm(api: ApiWorld, alarms: list[int]) -> None:
    inst = api.tree.institution
    created = api.post("operator", f"/organizations/{inst}/alarms/{alarms[0]}/work-orders")
    assert created.status_code == 201
    order = created.json()
    assert (order["source"], order["alarm_id"], order["raised_at"], order["state"]) == ("alarm", alarms[0], CUTOVER + 100, "open")
    assert order["title"].startswith("water_leak (critical): night flow")
    dup = api.post("operator", f"/organizations/{inst}/alarms/{alarms[0]}/work-orders")
    assert dup.status_code == 409 and dup.json()["error"]["details"] == {"work_order_id": order["id"]}
    oid = order["id"]
    assert api.post("admin", f"/work-orders/{oid}/assign",
                    json={"assignee_id": api.users["operator"], "at": CUTOVER + 160}).status_code == 200
    # only the assignee works on it; times cannot run backwards
    assert api.post("admin", f"/work-orders/{oid}/respond", json={"at": CUTOVER + 200}).status_code == 403
    assert api.post("operator", f"/work-orders/{oid}/respond", json={"at": CUTOVER + 150}).status_code == 422
    assert api.post("operator", f"/work-orders/{oid}/complete", json={"resolution": "x"}).status_code == 409
    assert api.post("operator", f"/work-orders/{oid}/respond", json={"at": CUTOVER + 1000}).status_code == 200
    done = api.post("operator", f"/work-orders/{oid}/complete", json={"resolution": "valve replaced", "at": CUTOVER + 7300})
    assert (done.json()["response_seconds"], done.json()["completion_seconds"]) == (900, 7200)


def test_assigning_to_someone_outside_the_institution_is_refused(api: ApiWorld) -> None:
    inst = api.tree.institution
    oid = api.post("operator", f"/organizations/{inst}/work-orders", json={"title": "x"}).json()["id"]
    for user in ("kunming_operator", "regulator"):
        response = api.post("admin", f"/work-orders/{oid}/assign", json={"assignee_id": api.users[user]})
        assert response.status_code == 422, user
    assert api.get("kunming_operator", f"/work-orders/{oid}").status_code == 403


def test_operations_figures_before_and_after_are_exact(api: ApiWorld) -> None:
    """Before the cut-over: responses 4 h and 6 h, completions 48 h and 24 h (means 5 h and 36 h).
    After: responses 1 h, 2 h and 900 s (mean 3,900 s), completions 12 h, 18 h and 2 h (mean 10 2/3 h)."""
    user, base = "kunming_operator", CUTOVER - 30 * 24 * HOUR
    _order(api, user, base, base + 4 * HOUR, base + 48 * HOUR)
    _order(api, user, base + HOUR, base + 7 * HOUR, base + 25 * HOUR)
    _order(api, user, CUTOVER, CUTOVER + HOUR, CUTOVER + 12 * HOUR)
    _order(api, user, CUTOVER + 10_000, CUTOVER + 10_000 + 2 * HOUR, CUTOVER + 10_000 + 18 * HOUR)
    _order(api, user, CUTOVER + 20_000, CUTOVER + 20_900, CUTOVER + 27_200)
    figures = api.get("yunnan_regulator", f"/organizations/{api.yunnan}/operations-figures",
                      params={"cutover": CUTOVER}).json()
    assert figures["before"] == {"orders": 2, "responded": 2, "completed": 2, "response_seconds_total": 36_000,
                                 "completion_seconds_total": 259_200, "mean_response_seconds": "18000.0",
                                 "mean_completion_seconds": "129600.0"}
    assert figures["after"] == {"orders": 3, "responded": 3, "completed": 3, "response_seconds_total": 11_700,
                                "completion_seconds_total": 115_200, "mean_response_seconds": "3900.0",
                                "mean_completion_seconds": "38400.0"}
    # (18000 − 3900) / 18000 = 78.33…%; (129600 − 38400) / 129600 = 70.37…%
    assert (figures["response_reduction_pct"], figures["completion_reduction_pct"]) == ("78.3", "70.4")
    assert figures["meets_seed_claim"] == {"response": True, "completion": True}
    assert figures["seed_claim"] == {"response_reduction_pct": "60", "completion_reduction_pct": "50"}
    assert api.get("regulator", f"/organizations/{api.yunnan}/operations-figures",
                   params={"cutover": CUTOVER}).status_code == 403


def test_figures_without_a_cohort_say_none(api: ApiWorld) -> None:
    figures = api.get("auditor", f"/organizations/{api.tree.room}/operations-figures", params={"cutover": 0}).json()
    assert figures["response_reduction_pct"] is None and figures["meets_seed_claim"] == {"response": None,
                                                                                         "completion": None}


def test_an_inspection_defect_raises_a_work_order(api: ApiWorld) -> None:
    inst = api.tree.institution
    asset = api.post("operator", f"/organizations/{inst}/assets",
                     json={"kind": "water_fixture", "name": "Sensor urinals, building 5", "quantity": 37}).json()
    ok = api.post("operator", f"/organizations/{inst}/inspections", json={"asset_id": asset["id"], "outcome": "ok"})
    assert ok.status_code == 201 and ok.json()["work_order_id"] is None
    defect = api.post("operator", f"/organizations/{inst}/inspections",
                      json={"asset_id": asset["id"], "outcome": "defect", "notes": "flush valve runs on"}).json()
    order = api.get("operator", f"/work-orders/{defect['work_order_id']}").json()
    assert (order["source"], order["asset_id"], order["raised_at"]) == ("inspection", asset["id"], defect["performed_at"])
    listed = api.get("auditor", f"/organizations/{inst}/inspections", params={"outcome": "defect"}).json()
    assert [i["id"] for i in listed["items"]] == [defect["id"]]
    foreign = api.post("operator", f"/organizations/{inst}/inspections", json={"asset_id": 10**6, "outcome": "ok"})
    assert foreign.status_code == 422


def test_asset_register_ratings_summary(api: ApiWorld) -> None:
    """The seed's equipment: 717 P of split air-conditioners, 3,000 8 W LED lamps, 14 elevators."""
    inst = api.kunming_office
    for body in ({"kind": "air_conditioner", "name": "Split units", "quantity": 717, "cooling_capacity_hp": "1",
                  "rated_power_w": 735, "efficiency_grade": 1},
                 {"kind": "light", "name": "Car park LED", "quantity": 3000, "rated_power_w": 8},
                 {"kind": "elevator", "name": "Elevators with energy feedback", "quantity": 14}):
        assert api.post("kunming_operator", f"/organizations/{inst}/assets", json=body).status_code == 201
    summary = {s["kind"]: s for s in api.get("yunnan_regulator", f"/organizations/{inst}/assets/summary").json()}
    assert summary["air_conditioner"]["units"] == 717 and summary["air_conditioner"]["cooling_capacity_hp"] == "717"
    assert summary["air_conditioner"]["rated_power_kw"] == "526.995"
    assert summary["light"]["rated_power_kw"] == "24"
    assert summary["elevator"]["units"] == 14
    assert api.post("kunming_operator", f"/organizations/{inst}/assets",
                    json={"kind": "light", "name": "x", "efficiency_grade": 6}).status_code == 422
