"""Bad input gets one error shape and a reason: 404/405/422, oversized bodies 413, SQL injection is data."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiWorld

INJECTIONS = ["' OR '1'='1", "1; DROP TABLE api_assets; --", "\" OR \"\"=\"", "%' OR 1=1 --",
              "x') UNION SELECT * FROM api_users --"]


def _error(response) -> dict:  # noqa: ANN001
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]


def test_unknown_path_is_404_in_the_one_shape(api: ApiWorld) -> None:
    response = api.get("auditor", "/no/such/thing")
    assert response.status_code == 404 and _error(response)["code"] == "not_found"


def test_wrong_method_is_405_in_the_one_shape(api: ApiWorld) -> None:
    response = api.client.delete("/users/me")
    assert response.status_code == 405 and _error(response)["code"] == "method_not_allowed"


def test_validation_error_names_the_field(api: ApiWorld) -> None:
    response = api.post("operator", f"/organizations/{api.tree.institution}/assets", json={"kind": "toaster"})
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "validation_error" and error["message"].startswith("body.kind")
    assert {tuple(d["loc"]) for d in error["details"]} >= {("body", "kind"), ("body", "name")}


def test_unknown_organisation_node_is_404(api: ApiWorld) -> None:
    response = api.get("auditor", "/organizations/9999")
    assert response.status_code == 404 and _error(response)["message"] == "no organisation node 9999"


def test_nul_bytes_are_refused_before_the_database(api: ApiWorld) -> None:
    response = api.post("operator", f"/organizations/{api.tree.institution}/assets",
                        json={"kind": "light", "name": "LED\x00 panel"})
    assert response.status_code == 422


def test_declared_oversized_body_is_413(api: ApiWorld) -> None:
    big = b'{"kind": "light", "name": "' + b"x" * 1_100_000 + b'"}'
    response = api.client.post(f"/organizations/{api.tree.institution}/assets", content=big,
                               headers={**api.headers("operator"), "Content-Type": "application/json"})
    assert response.status_code == 413 and _error(response)["code"] == "body_too_large"


def test_streamed_oversized_body_without_length_is_413(api: ApiWorld) -> None:
    def chunks():  # noqa: ANN202
        yield b'{"kind": "light", "name": "'
        for _ in range(20):
            yield b"x" * 65_536
        yield b'"}'

    response = api.client.post(f"/organizations/{api.tree.institution}/assets", content=chunks(),
                               headers={**api.headers("operator"), "Content-Type": "application/json"})
    assert response.status_code == 413 and _error(response)["code"] == "body_too_large"


@pytest.mark.parametrize("attack", INJECTIONS)
def test_sql_injection_in_filters_is_matched_as_text(api: ApiWorld, attack: str) -> None:
    inst = api.tree.institution
    created = api.post("operator", f"/organizations/{inst}/assets", json={"kind": "meter", "name": "Main incomer"})
    assert created.status_code == 201
    before = api.get("operator", f"/organizations/{inst}/assets").json()["total"]
    for params in ({"q": attack}, {"status": attack}):
        response = api.get("operator", f"/organizations/{inst}/assets", params=params)
        assert response.status_code in (200, 422), response.text
        if response.status_code == 200:
            assert response.json()["total"] == 0
    stored = api.post("operator", f"/organizations/{inst}/assets", json={"kind": "meter", "name": attack})
    assert stored.status_code == 201
    found = api.get("operator", f"/organizations/{inst}/assets", params={"q": attack}).json()
    assert [a["name"] for a in found["items"]] == [attack]  # the attack string is a name like any other
    assert api.get("operator", f"/organizations/{inst}/assets").json()["total"] == before + 1


@pytest.mark.parametrize("attack", INJECTIONS)
def test_sql_injection_in_paths_is_422_or_404(api: ApiWorld, attack: str) -> None:
    for path in (f"/assets/{attack}", f"/work-orders/{attack}", f"/organizations/{attack}/projects"):
        response = api.get("auditor", path)
        assert response.status_code in (404, 422), (path, response.status_code)
        _error(response)


def test_like_wildcards_in_a_search_are_literal(api: ApiWorld) -> None:
    inst = api.tree.institution
    api.post("operator", f"/organizations/{inst}/assets", json={"kind": "light", "name": "100% LED corridor"})
    api.post("operator", f"/organizations/{inst}/assets", json={"kind": "light", "name": "1000 LED car park"})
    names = [a["name"] for a in api.get("operator", f"/organizations/{inst}/assets", params={"q": "100%"}).json()["items"]]
    assert names == ["100% LED corridor"]
