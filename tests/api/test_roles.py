"""Every role's allowed and forbidden actions, and organisation scope (a regulator sees its subtree only)."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiWorld

EVERYONE = ("admin", "operator", "regulator", "yunnan_regulator", "verifier", "buyer", "auditor", "kunming_operator")
X = "{x}"  # the Xihuamen institution (Sichuan); K = the Kunming office (Yunnan)
K = "{k}"

# (method, path, body, {user: expected status}); users not named expect 403
MATRIX = [
    ("GET", f"/organizations/{X}", None,
     {"admin": 200, "operator": 200, "regulator": 200, "verifier": 200, "auditor": 200}),
    ("GET", f"/organizations/{K}", None, {"yunnan_regulator": 200, "auditor": 200, "kunming_operator": 200}),
    ("GET", f"/organizations/{X}/work-orders", None,
     {"admin": 200, "operator": 200, "regulator": 200, "verifier": 200, "auditor": 200}),
    ("GET", f"/organizations/{X}/assets", None,
     {"admin": 200, "operator": 200, "regulator": 200, "verifier": 200, "auditor": 200}),
    ("GET", f"/organizations/{X}/alarms", None,
     {"admin": 200, "operator": 200, "regulator": 200, "verifier": 200, "auditor": 200}),
    ("GET", f"/organizations/{X}/devices", None,
     {"admin": 200, "operator": 200, "regulator": 200, "verifier": 200, "auditor": 200}),
    ("POST", f"/organizations/{X}/assets", {"kind": "light", "name": "LED panel"}, {"admin": 201, "operator": 201}),
    ("POST", f"/organizations/{X}/projects",
     {"title": "LED", "measure": "lighting", "budget_cny": "1000", "expected_saving_kgco2e": "10"},
     {"admin": 201, "operator": 201}),
    ("POST", f"/organizations/{X}/work-orders", {"title": "Check the meter"}, {"admin": 201, "operator": 201}),
    ("POST", f"/organizations/{X}/inspections", {"outcome": "ok"}, {"admin": 201, "operator": 201}),
    ("POST", f"/organizations/{K}/assets", {"kind": "light", "name": "LED panel"}, {"kunming_operator": 201}),
    ("POST", "/chain/transactions", {"raw_transaction": "0x00"},
     # allowed roles get past the role check and fail on the bytes (422); the auditor never relays
     {"admin": 422, "operator": 422, "regulator": 422, "yunnan_regulator": 422, "verifier": 422, "buyer": 422,
      "kunming_operator": 422}),
]


def _path(api: ApiWorld, template: str) -> str:
    return template.format(x=api.tree.institution, k=api.kunming_office)


@pytest.mark.parametrize("method,template,body,allowed", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_role_matrix(api: ApiWorld, method: str, template: str, body: dict | None, allowed: dict[str, int]) -> None:
    path = _path(api, template)
    outcome = {}
    for user in EVERYONE:
        response = api.get(user, path) if method == "GET" else api.post(user, path, json=body)
        outcome[user] = response.status_code
        if response.status_code == 403:
            assert response.json()["error"]["code"] == "forbidden"
    assert outcome == {user: allowed.get(user, 403) for user in EVERYONE}


def test_regulator_reading_another_provinces_institution_is_403(api: ApiWorld) -> None:
    response = api.get("yunnan_regulator", f"/organizations/{api.tree.institution}")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (f"node {api.tree.institution} is outside your organisation scope "
                                                   f"(node {api.yunnan})")


def test_regulator_lists_its_own_subtree_only(api: ApiWorld) -> None:
    ids = [n["node_id"] for n in api.get("regulator", "/organizations").json()["items"]]
    assert ids == [1, 2, 3, 4, 5, 6]
    yunnan_ids = [n["node_id"] for n in api.get("yunnan_regulator", "/organizations").json()["items"]]
    assert yunnan_ids == [api.yunnan, api.kunming, api.kunming_office]
    assert api.get("auditor", "/organizations").json()["total"] == 9


def test_subtree_filter_and_pagination(api: ApiWorld) -> None:
    page = api.get("regulator", "/organizations/1/subtree", params={"limit": 2, "offset": 1}).json()
    assert (page["total"], [n["name"] for n in page["items"]]) == (6, ["Chengdu", "Qingyang"])
    institutions = api.get("auditor", "/organizations", params={"kind": "institution"}).json()
    assert [n["name"] for n in institutions["items"]] == ["Xihuamen office compound", "Kunming office"]


def test_node_detail_has_path_and_children(api: ApiWorld) -> None:
    body = api.get("operator", f"/organizations/{api.tree.institution}").json()
    assert [n["name"] for n in body["path"]] == ["Sichuan", "Chengdu", "Qingyang", "Xihuamen office compound"]
    assert [n["name"] for n in body["children"]] == ["Main building"]


def test_operator_cannot_read_above_its_institution(api: ApiWorld) -> None:
    assert api.get("operator", f"/organizations/{api.tree.district}").status_code == 403
    assert api.get("operator", f"/organizations/{api.tree.room}").status_code == 200


def test_operator_verifying_a_result_is_403_and_auditor_writes_nothing(api: ApiWorld) -> None:
    from tests.ledger.indexer.conftest import result_input

    result_id = api.contracts.accounting.submit(api.tree.institution, api.tree.institution,
                                                result_input([b"\x01" * 32], scope2=1000))
    body = {"approve": True, "statement": "QmStatement", "keystore_password": "x"}
    for user in ("operator", "admin", "auditor", "buyer"):
        response = api.post(user, f"/results/{result_id}/verification", json=body)
        assert response.status_code == 403, (user, response.text)
    # the verifier may; it signs in its wallet, so the server has no key to use
    response = api.post("verifier", f"/results/{result_id}/verification", json=body)
    assert response.status_code == 409 and response.json()["error"]["code"] == "no_server_key"
    assert api.get("yunnan_regulator", f"/results/{result_id}").status_code == 403
    assert api.get("regulator", f"/results/{result_id}").json()["status"] == "submitted"
