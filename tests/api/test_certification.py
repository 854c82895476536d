"""Certification through the API: an institution admin files, regulators decide stage by stage;
an operator approving, or a regulator of another province, is refused."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from api.models import Role
from api.services.users import create_user
from ledger.chain.certification import CertificationClient
from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import CertificationLevel
from ledger.chain.connection import connect
from tests.api.conftest import FAST_SCRYPT, KEYSTORE_PASSWORD, PASSWORD, ApiWorld
from tests.conftest import settings_for
from tests.ledger.credit_world import CID, MAX_NET, START_2023, START_2024, START_2025, YEAR, dev_key, result_input

DECISION = {"approve": True, "reason": "criteria met; site visit done", "document_cid": CID,
            "keystore_password": KEYSTORE_PASSWORD}


@pytest.fixture(scope="module")
def filed(api: ApiWorld) -> dict:
    """Final results 2023 (1,000 t) and 2024 (300 t), low-carbon criteria v1 (≥ 30 % reduction), and a
    district regulator whose server-side key is a direct admin of the district on chain."""
    gov = api.contracts
    gov.organizations.chain.resync()
    verifier = LedgerContracts.attach(connect(settings_for(api.settings.rpc_url, api.settings.data_dir, 1)), api.deployment)
    gov.accounting.add_verifier(api.tree.district, verifier.accounting.chain.account.address)
    ids = []
    for start, end, tonnes in ((START_2023, START_2024, 1_000), (START_2024, START_2025, 300)):
        result_id = gov.accounting.submit(api.tree.institution, api.tree.institution, result_input(start, end, tonnes))
        verifier.accounting.verify(result_id, True, CID)
        ids.append(result_id)
    CertificationClient.of(gov).publish_criteria(CertificationLevel.LOW_CARBON, MAX_NET, 3_000, YEAR,
                                                 keccak(text="low v1"), CID)
    for index, node, name in ((5, api.tree.district, "district_regulator"), (6, api.tree.city, "city_regulator")):
        key = dev_key(index)
        user = create_user(api.app.state.engine, name, PASSWORD, Role.REGULATOR, node, private_key=key,
                           keystore_password=KEYSTORE_PASSWORD, kdf_iterations=FAST_SCRYPT)
        gov.organizations.add_admin(node, user.address)
    response = api.post("admin", f"/organizations/{api.tree.institution}/certifications",
                        json={"level": "low_carbon", "result_id": ids[1], "baseline_result_id": ids[0], "document_cid": CID,
                              "activity": 10_000, "baseline_activity": 10_000,
                              "keystore_password": KEYSTORE_PASSWORD})
    assert response.status_code == 201, response.text
    return response.json()


def test_an_application_is_decided_stage_by_stage(api: ApiWorld, filed: dict) -> None:
    application = filed["application_id"]
    detail = api.get("regulator", f"/certifications/{application}").json()
    assert detail["status"] == "pending" and detail["approval_chain"][:2] == [api.tree.district, api.tree.city]
    # the city may not decide before the district (the contract's order), answered with its error
    early = api.post("city_regulator", f"/certifications/{application}/decision", json=DECISION)
    assert early.status_code in (403, 409) and early.json()["error"]["code"] == "contract_revert"
    decided = api.post("district_regulator", f"/certifications/{application}/decision", json=DECISION)
    assert decided.status_code == 200, decided.text
    after = api.get("auditor", f"/certifications/{application}").json()
    assert after["approvals"] == 1
    assert [(d["region_id"], d["approved"]) for d in after["decisions"]] == [(api.tree.district, True)]
    pending = api.get("regulator", "/organizations/1/certifications", params={"status": after["status"]}).json()
    assert application in [a["application_id"] for a in pending["items"]]


def test_operator_approving_a_certification_is_403(api: ApiWorld, filed: dict) -> None:
    response = api.post("operator", f"/certifications/{filed['application_id']}/decision", json=DECISION)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "role operator may not decide certifications"


def test_regulator_of_another_province_cannot_see_or_decide(api: ApiWorld, filed: dict) -> None:
    application = filed["application_id"]
    assert api.get("yunnan_regulator", f"/certifications/{application}").status_code == 403
    assert api.post("yunnan_regulator", f"/certifications/{application}/decision", json=DECISION).status_code == 403
    assert api.get("yunnan_regulator", f"/organizations/{api.yunnan}/certifications").json()["total"] == 0


def test_only_an_institution_admin_files(api: ApiWorld, filed: dict) -> None:
    body = {"level": "low_carbon", "result_id": 1, "document_cid": CID, "keystore_password": KEYSTORE_PASSWORD}
    for user in ("operator", "regulator", "verifier", "auditor", "buyer"):
        assert api.post(user, f"/organizations/{api.tree.institution}/certifications", json=body).status_code == 403
    assert api.get("auditor", "/certifications/999").status_code == 404
