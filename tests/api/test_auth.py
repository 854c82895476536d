"""Logging in, and every way a token can be wrong: expired, forged, tampered (stolen signature)."""

from __future__ import annotations

import base64
import json
import time

from api.security import issue_token
from tests.api.conftest import PASSWORD, ApiWorld


def _error(response) -> dict:  # noqa: ANN001
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]


def test_login_gives_a_bearer_token_that_names_the_user(api: ApiWorld) -> None:
    response = api.client.post("/auth/token", data={"username": "operator", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == api.settings.token_lifetime_seconds
    me = api.client.get("/users/me", headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert (me["username"], me["role"], me["org_id"]) == ("operator", "operator", api.tree.institution)


def test_wrong_password_is_401_in_the_one_error_shape(api: ApiWorld) -> None:
    response = api.client.post("/auth/token", data={"username": "auditor", "password": "not it at all"})
    assert response.status_code == 401
    assert _error(response)["code"] == "unauthorized"


def test_missing_token_is_401(api: ApiWorld) -> None:
    response = api.client.get("/users/me")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_expired_token_is_401(api: ApiWorld) -> None:
    token = issue_token(api.app.state.jwt_secret, api.users["operator"], "operator", "operator", 60,
                        now=int(time.time()) - 120)
    response = api.client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and _error(response)["message"] == "token expired"


def test_token_forged_with_another_secret_is_401(api: ApiWorld) -> None:
    token = issue_token("a secret of 32+ bytes the server never had", api.users["auditor"], "auditor", "auditor", 600)
    response = api.client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and _error(response)["message"] == "invalid token"


def test_stolen_signature_on_altered_claims_is_401(api: ApiWorld) -> None:
    """A real token's signature pasted onto claims naming another user does not verify."""
    header, _, signature = api.token("operator").split(".")
    claims = {"sub": str(api.users["admin"]), "name": "admin", "role": "institution_admin",
              "iat": int(time.time()), "exp": int(time.time()) + 600}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = api.client.get("/users/me", headers={"Authorization": f"Bearer {header}.{payload}.{signature}"})
    assert response.status_code == 401


def test_unsigned_alg_none_token_is_401(api: ApiWorld) -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps({"sub": str(api.users["admin"]),
                                                   "exp": int(time.time()) + 600}).encode()).rstrip(b"=").decode()
    response = api.client.get("/users/me", headers={"Authorization": f"Bearer {header}.{payload}."})
    assert response.status_code == 401


def test_login_rate_limit_is_per_username_and_address_with_retry_after(api: ApiWorld) -> None:
    for _ in range(5):
        assert api.client.post("/auth/token", data={"username": "verifier", "password": "wrong!"}).status_code == 401
    limited = api.client.post("/auth/token", data={"username": "verifier", "password": PASSWORD})
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 300
    assert _error(limited)["code"] == "rate_limited"
    # another username from the same address is not locked out
    assert api.client.post("/auth/token", data={"username": "buyer", "password": PASSWORD}).status_code == 200
