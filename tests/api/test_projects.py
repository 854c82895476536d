"""Retrofit projects: seven signed steps in order, the right role for each, a hash-chained timeline."""

from __future__ import annotations

import time

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from sqlmodel import Session, select

from api.models import ProjectStep
from api.services.projects import STEPS, ZERO_HASH
from ledger.chain.clients import LedgerContracts
from ledger.chain.connection import connect
from tests.api.conftest import KEYSTORE_PASSWORD, ApiWorld
from tests.conftest import settings_for

PROJECT = {"title": "Split air-conditioner retrofit, 717 P", "measure": "air_conditioning",
           "budget_cny": "1250000.00", "expected_saving_kgco2e": "45595.6"}


def _create(api: ApiWorld) -> int:
    response = api.post("operator", f"/organizations/{api.tree.institution}/projects", json=PROJECT)
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "draft" and response.json()["next_step"] == "proposal"
    return response.json()["id"]


def _signed_step(api: ApiWorld, user: str, project: int, step: str, note: str = "", wallet=None) -> dict:  # noqa: ANN001
    at = int(time.time())
    typed = api.get(user, f"/projects/{project}/typed-data", params={"step": step, "at": at, "note": note})
    assert typed.status_code == 200, typed.text
    signable = encode_typed_data(full_message=typed.json())
    signature = Account.sign_message(signable, (wallet or api.wallets[user]).key).signature
    return {"step": step, "note": note, "at": at, "signature": "0x" + bytes(signature).hex()}


def _post_step(api: ApiWorld, user: str, project: int, body: dict):  # noqa: ANN202
    return api.post(user, f"/projects/{project}/steps", json=body)


def test_a_project_runs_its_seven_steps_like_a_parcel(api: ApiWorld) -> None:
    project = _create(api)
    actors = {"proposal": "operator", "approval": "admin", "procurement": "operator", "installation": "operator",
              "commissioning": "operator", "mv": "verifier", "verified": "regulator"}
    for step in STEPS:
        user = actors[step]
        if user == "admin":  # server-side key
            body = {"step": step, "note": "approved at the 2022-05 office meeting", "keystore_password": KEYSTORE_PASSWORD}
        else:
            body = _signed_step(api, user, project, step, note=f"{step} done")
        response = _post_step(api, user, project, body)
        assert response.status_code == 201, (step, response.text)
        assert response.json()["signature_valid"] is True
    timeline = api.get("auditor", f"/projects/{project}/timeline").json()
    steps = timeline["steps"]
    assert [s["step"] for s in steps] == list(STEPS)
    assert steps[0]["previous_hash"] == ZERO_HASH
    assert all(b["previous_hash"] == a["step_hash"] for a, b in zip(steps, steps[1:]))
    assert all(s["signature_valid"] for s in steps)
    assert [s["actor_address"] for s in steps] == [api.wallets[actors[s]].address for s in STEPS]
    assert [s["signed_client_side"] for s in steps] == [actors[s] != "admin" for s in STEPS]
    assert timeline["pending"] == [] and timeline["project"]["state"] == "verified"
    assert timeline["elapsed_seconds"] == steps[-1]["at"] - steps[0]["at"]
    again = _post_step(api, "regulator", project, {"step": "verified", "keystore_password": "x"})
    assert again.status_code == 409 and "is complete" in again.json()["error"]["message"]


def test_skipping_a_step_is_409_naming_the_next_one(api: ApiWorld) -> None:
    project = _create(api)
    response = _post_step(api, "operator", project, {"step": "procurement", "keystore_password": "x"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["details"] == {"state": "draft", "next_step": "proposal"}
    assert "out of order" in error["message"]


def test_operator_approving_is_403(api: ApiWorld) -> None:
    project = _create(api)
    assert _post_step(api, "operator", project, _signed_step(api, "operator", project, "proposal")).status_code == 201
    response = _post_step(api, "operator", project, {"step": "approval", "keystore_password": "x"})
    assert response.status_code == 403
    assert response.json()["error"]["message"] == ("role operator may not record step 'approval' "
                                                    "(allowed: institution_admin, regulator)")


def test_regulator_of_another_province_cannot_sign_a_step(api: ApiWorld) -> None:
    project = _create(api)
    assert api.get("yunnan_regulator", f"/projects/{project}").status_code == 403
    response = _post_step(api, "yunnan_regulator", project, {"step": "proposal", "keystore_password": "x"})
    assert response.status_code == 403


def test_a_signature_by_another_key_is_refused(api: ApiWorld) -> None:
    project = _create(api)
    body = _signed_step(api, "operator", project, "proposal", wallet=Account.create())
    response = _post_step(api, "operator", project, body)
    assert response.status_code == 403 and response.json()["error"]["code"] == "wrong_signer"
    assert api.get("operator", f"/projects/{project}").json()["state"] == "draft"  # nothing recorded


def test_a_stale_client_signed_time_is_refused(api: ApiWorld) -> None:
    project = _create(api)
    body = _signed_step(api, "operator", project, "proposal")
    body["at"] -= 3600
    response = _post_step(api, "operator", project, body)
    assert response.status_code == 422


def test_a_wallet_signature_without_its_time_is_422(api: ApiWorld) -> None:
    project = _create(api)
    body = _signed_step(api, "operator", project, "proposal")
    del body["at"]
    response = _post_step(api, "operator", project, body)
    assert response.status_code == 422 and "needs `at`" in response.json()["error"]["message"]


def test_wrong_keystore_password_is_403_and_records_nothing(api: ApiWorld) -> None:
    project = _create(api)
    response = _post_step(api, "admin", project, {"step": "proposal", "keystore_password": "not the password"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "wrong_keystore_password"
    assert api.get("admin", f"/projects/{project}/timeline").json()["steps"] == []


def test_a_step_altered_in_the_database_shows_an_invalid_signature(api: ApiWorld) -> None:
    project = _create(api)
    assert _post_step(api, "operator", project, _signed_step(api, "operator", project, "proposal", "as proposed")).status_code == 201
    with Session(api.app.state.engine) as session:
        step = session.exec(select(ProjectStep).where(ProjectStep.project_id == project)).one()
        step.note = "as proposed, with a larger budget"
        session.add(step)
        session.commit()
    assert api.get("auditor", f"/projects/{project}/timeline").json()["steps"][0]["signature_valid"] is False


def test_projects_filter_by_state_for_a_regulator_over_its_subtree(api: ApiWorld) -> None:
    project = _create(api)
    drafts = api.get("regulator", "/organizations/1/projects", params={"state": "draft", "limit": 500}).json()
    assert project in [p["id"] for p in drafts["items"]]
    assert all(p["state"] == "draft" for p in drafts["items"])
    assert api.get("yunnan_regulator", f"/organizations/{api.yunnan}/projects").json()["total"] == 0


def test_steps_are_anchored_in_workflow_log_with_the_actors_signature(api: ApiWorld) -> None:
    """With a recorder key (the governance key holds RECORDER_ROLE), each step's hash goes on chain as it is
    recorded; WorkflowLog checks the actor's signature, so the anchor names the real signer."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from ledger.chain.devchain import DEV_PRIVATE_KEYS
    from ledger.chain.workflow import WorkflowLogClient

    api.contracts.organizations.chain.resync()
    app = create_app(api.settings.model_copy(update={"private_key": DEV_PRIVATE_KEYS[0]}))
    with TestClient(app) as client:
        project = _create(api)
        body = _signed_step(api, "operator", project, "proposal", "anchored")
        recorded = client.post(f"/projects/{project}/steps", json=body, headers=api.headers("operator"))
        assert recorded.status_code == 201, recorded.text
        step = recorded.json()
        assert step["anchor_transaction"] is not None and step["anchor_block"] > 0
        approval = client.post(f"/projects/{project}/steps", headers=api.headers("admin"),
                               json={"step": "approval", "keystore_password": KEYSTORE_PASSWORD})
        assert approval.json()["anchor_transaction"] is not None
        timeline = client.get(f"/projects/{project}/timeline", headers=api.headers("auditor")).json()
    assert [s["anchored_on_chain"] for s in timeline["steps"]] == [True, True]
    anchors = WorkflowLogClient.of(api.contracts).anchors_of(project)
    assert [(a.step, "0x" + a.step_hash.hex(), a.actor) for a in anchors] == [
        (s["step"], s["step_hash"], s["actor_address"]) for s in timeline["steps"]]
    app.state.engine.dispose()


def test_steps_recorded_without_a_recorder_are_anchored_later(api: ApiWorld) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from ledger.chain.devchain import DEV_PRIVATE_KEYS

    project = _create(api)
    assert _post_step(api, "operator", project, _signed_step(api, "operator", project, "proposal")).status_code == 201
    assert api.get("auditor", f"/projects/{project}/timeline").json()["steps"][0]["anchored_on_chain"] is False
    api.contracts.organizations.chain.resync()
    app = create_app(api.settings.model_copy(update={"private_key": DEV_PRIVATE_KEYS[0]}))
    with TestClient(app) as client:
        caught_up = client.post(f"/projects/{project}/anchors", headers=api.headers("operator")).json()
    assert caught_up["steps"][0]["anchored_on_chain"] is True and caught_up["steps"][0]["anchor_transaction"]
    app.state.engine.dispose()


def test_workflow_log_refuses_a_step_attributed_to_someone_else(api: ApiWorld) -> None:
    from ledger.chain.connection import ContractRevert
    from ledger.chain.workflow import WorkflowLogClient

    api.contracts.organizations.chain.resync()
    log = WorkflowLogClient.of(api.contracts)
    digest = b"\x42" * 32
    signature = Account.unsafe_sign_hash(digest, api.wallets["operator"].key).signature
    with pytest.raises(ContractRevert) as refused:
        log.record_step(1, "approval", digest, api.wallets["regulator"].address, bytes(signature))
    assert refused.value.name == "SignatureNotByActor"
    log.record_step(1, "approval", digest, api.wallets["operator"].address, bytes(signature))
    with pytest.raises(ContractRevert) as twice:
        log.record_step(1, "approval", digest, api.wallets["operator"].address, bytes(signature))
    assert twice.value.name == "StepAlreadyRecorded"
    stranger = LedgerContracts.attach(connect(settings_for(api.settings.rpc_url, api.settings.data_dir, 3)),
                                      api.deployment)
    with pytest.raises(ContractRevert) as no_role:
        WorkflowLogClient.of(stranger).record_step(1, "mv", b"\x43" * 32, api.wallets["operator"].address,
                                                   bytes(signature))
    assert no_role.value.name == "AccessControlUnauthorizedAccount"
