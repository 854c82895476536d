"""A granted certification suspended, reinstated and revoked through the API by a regulator of a region
above the institution, each with a reason; its status checked by anyone, without a token."""

from __future__ import annotations

import pytest

from api.models import Role
from api.services.users import create_user
from ledger.chain.certification import CertificationClient
from ledger.chain.clients import LedgerContracts
from ledger.chain.connection import connect
from tests.api.conftest import FAST_SCRYPT, KEYSTORE_PASSWORD, PASSWORD, ApiWorld
from tests.api.test_certification import DECISION, filed  # noqa: F401 (the module's fixture)
from tests.ledger.credit_world import dev_key

SUSPEND = {"action": "suspend", "reason": "metering gap found at the site inspection",
           "keystore_password": KEYSTORE_PASSWORD}


@pytest.fixture(scope="module")
def certified(api: ApiWorld, filed: dict) -> int:  # noqa: F811
    """The filed application approved at every stage: district and city through the API, the province by a
    direct admin's key; and a city regulator with a server-side key who is no admin on chain."""
    application = filed["application_id"]
    gov = api.contracts
    for region in CertificationClient.of(gov).approval_chain(application):
        if region == api.tree.district:
            assert api.post("district_regulator", f"/certifications/{application}/decision", json=DECISION).status_code == 200
        elif region == api.tree.city:
            assert api.post("city_regulator", f"/certifications/{application}/decision", json=DECISION).status_code == 200
        else:
            admin = LedgerContracts.attach(connect(api.settings.model_copy(update={"private_key": dev_key(7)})),
                                           api.deployment)
            gov.organizations.chain.resync()  # the admin's server-side key is this key too
            gov.organizations.add_admin(region, admin.organizations.chain.account.address)
            CertificationClient.of(admin).decide(application, True, "province agrees", DECISION["document_cid"])
    create_user(api.app.state.engine, "bystander_regulator", PASSWORD, Role.REGULATOR, api.tree.city,
                private_key=dev_key(8), keystore_password=KEYSTORE_PASSWORD, kdf_iterations=FAST_SCRYPT)
    return application


def _status(api: ApiWorld, application: int, **params: object) -> dict:
    response = api.client.get(f"/certifications/{application}/status", params=params)  # no token
    assert response.status_code == 200, response.text
    return response.json()


def test_anyone_checks_a_certification_without_a_token(api: ApiWorld, certified: int) -> None:
    status = _status(api, certified)
    assert (status["status"], status["certified_at"], status["level"], status["institution_id"]) == \
        ("certified", True, "low_carbon", api.tree.institution)
    assert _status(api, certified, at=status["valid_until"])["certified_at"] is False  # [from, until)
    assert _status(api, certified, at=status["valid_from"] - 1)["certified_at"] is False
    unknown = api.client.get("/certifications/999/status")
    assert unknown.status_code == 404 and unknown.json()["error"]["details"]["error"] == "UnknownApplication"
    assert api.client.get(f"/certifications/{certified}/status", params={"at": -1}).json()["error"]["code"] == \
        "validation_error"


def test_only_a_regulator_above_the_institution_changes_its_status(api: ApiWorld, certified: int) -> None:
    path = f"/certifications/{certified}/status"
    for user in ("admin", "operator", "verifier", "auditor", "buyer"):
        response = api.post(user, path, json=SUSPEND)
        assert response.status_code == 403 and response.json()["error"]["message"] == \
            f"role {_role(user)} may not decide certifications", user
    outside = api.post("yunnan_regulator", path, json=SUSPEND)
    assert outside.status_code == 403 and outside.json()["error"]["code"] == "forbidden"
    # in scope, but a direct admin of none of the application's stages: the contract says no
    bystander = api.post("bystander_regulator", path, json=SUSPEND)
    assert bystander.status_code == 403 and bystander.json()["error"]["details"]["error"] == "NotRegulator"
    assert _status(api, certified)["status"] == "certified"


def test_a_status_change_needs_a_reason_and_an_allowed_transition(api: ApiWorld, certified: int) -> None:
    path = f"/certifications/{certified}/status"
    empty = api.post("district_regulator", path, json={**SUSPEND, "reason": ""})
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "validation_error"
    blank = api.post("district_regulator", path, json={**SUSPEND, "reason": "   "})
    assert blank.status_code == 422 and blank.json()["error"]["message"] == "a suspend needs a reason"
    unknown = api.post("district_regulator", path, json={**SUSPEND, "action": "pause"})
    assert unknown.status_code == 422
    early = api.post("district_regulator", path, json={**SUSPEND, "action": "reinstate"})
    assert early.status_code == 409 and early.json()["error"]["details"]["error"] == "CertificationTransitionNotAllowed"
    assert _status(api, certified)["status"] == "certified"


def test_suspend_reinstate_revoke(api: ApiWorld, certified: int) -> None:
    path = f"/certifications/{certified}/status"
    steps = [("district_regulator", "suspend", "certified", "suspended", False),
             ("city_regulator", "reinstate", "suspended", "certified", True),
             ("district_regulator", "revoke", "certified", "revoked", False)]
    for user, action, before, after, valid in steps:
        response = api.post(user, path, json={**SUSPEND, "action": action})
        assert response.status_code == 200, response.text
        assert (response.json()["before"], response.json()["after"]) == (before, after)
        status = _status(api, certified)
        assert (status["status"], status["certified_at"]) == (after, valid)
    assert api.post("city_regulator", path, json={**SUSPEND, "action": "reinstate"}).status_code == 409
    assert api.get("auditor", f"/certifications/{certified}").json()["status"] == "revoked"


def _role(user: str) -> str:
    return {"admin": "institution_admin", "buyer": "credit_buyer"}.get(user, user)
