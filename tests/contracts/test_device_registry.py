"""DeviceRegistry: registration, key histories, status transitions and oracle authorisation."""

from __future__ import annotations

import pytest
from brownie import DeviceRegistry, ZERO_ADDRESS

from conftest import DeviceStatus, NodeKind

DEVICE = b"\xd1" * 32
KEY_0 = b"\xa0" * 32
KIND_ELECTRICITY_METER = 1
UNIT_KWH = 1
MAX_SEQUENCE = 2**64 - 1


def _key(i: int) -> bytes:
    return bytes([0xA0 + i]) * 32


@pytest.fixture
def device(devices, tree, institution_admin):
    devices.registerDevice(DEVICE, tree.room, KIND_ELECTRICITY_METER, UNIT_KWH, KEY_0, {"from": institution_admin})
    return DEVICE


# --- deployment -------------------------------------------------------------------------


def test_registry_reports_its_organization_registry(devices, org):
    assert devices.organizations() == org


def test_zero_organization_registry_is_rejected(governance, reverts_with):
    with reverts_with("ZeroAddress"):
        DeviceRegistry.deploy(ZERO_ADDRESS, {"from": governance})


# --- registration -----------------------------------------------------------------------


def test_register_device_records_device_and_first_key(devices, tree, institution_admin, expect_event):
    tx = devices.registerDevice(DEVICE, tree.room, KIND_ELECTRICITY_METER, UNIT_KWH, KEY_0, {"from": institution_admin})
    expect_event(
        tx,
        "DeviceRegistered",
        deviceId=DEVICE,
        institutionId=tree.institution,
        sceneId=tree.room,
        kind=KIND_ELECTRICITY_METER,
        unit=UNIT_KWH,
        publicKey=KEY_0,
    )
    assert tuple(devices.deviceOf(DEVICE)) == (
        tree.institution,
        tree.room,
        KIND_ELECTRICITY_METER,
        UNIT_KWH,
        DeviceStatus.ACTIVE,
        1,
    )
    assert [tuple(epoch) for epoch in devices.keyHistory(DEVICE)] == [("0x" + KEY_0.hex(), 0)]
    assert tuple(devices.keyForSequence(DEVICE, 0)) == ("0x" + KEY_0.hex(), 0)
    assert tuple(devices.keyForSequence(DEVICE, MAX_SEQUENCE)) == ("0x" + KEY_0.hex(), 0)


def test_device_may_sit_on_the_institution_itself(devices, tree, institution_admin):
    devices.registerDevice(DEVICE, tree.institution, 2, 3, KEY_0, {"from": institution_admin})
    assert tuple(devices.deviceOf(DEVICE))[:2] == (tree.institution, tree.institution)


def test_admin_above_institution_may_register(devices, tree, district_admin, province_admin):
    devices.registerDevice(DEVICE, tree.building, 1, 1, KEY_0, {"from": district_admin})
    devices.registerDevice(b"\xd2" * 32, tree.room, 1, 1, KEY_0, {"from": province_admin})
    assert devices.deviceOf(DEVICE)[0] == tree.institution


def test_admin_of_another_district_cannot_register(devices, tree, other_admin, reverts_with):
    with reverts_with("NotInstitutionAdmin", tree.institution, other_admin):
        devices.registerDevice(DEVICE, tree.room, 1, 1, KEY_0, {"from": other_admin})


def test_stranger_cannot_register(devices, tree, stranger, reverts_with):
    with reverts_with("NotInstitutionAdmin", tree.institution, stranger):
        devices.registerDevice(DEVICE, tree.room, 1, 1, KEY_0, {"from": stranger})


def test_scene_outside_any_institution_is_rejected(devices, tree, district_admin, reverts_with):
    with reverts_with("NotInsideInstitution", tree.district):
        devices.registerDevice(DEVICE, tree.district, 1, 1, KEY_0, {"from": district_admin})


def test_unknown_scene_is_rejected_with_the_registry_error(devices, tree, institution_admin, reverts_with):
    # The OrganizationRegistry's UnknownNode bubbles up unchanged through DeviceRegistry.
    with reverts_with("UnknownNode", 99):
        devices.registerDevice(DEVICE, 99, 1, 1, KEY_0, {"from": institution_admin})


def test_zero_device_id_is_rejected(devices, tree, institution_admin, reverts_with):
    with reverts_with("ZeroDeviceId"):
        devices.registerDevice(b"\x00" * 32, tree.room, 1, 1, KEY_0, {"from": institution_admin})


def test_zero_kind_is_rejected(devices, tree, institution_admin, reverts_with):
    with reverts_with("InvalidDeviceKind", 0):
        devices.registerDevice(DEVICE, tree.room, 0, 1, KEY_0, {"from": institution_admin})


def test_zero_unit_is_rejected(devices, tree, institution_admin, reverts_with):
    with reverts_with("InvalidUnit", 0):
        devices.registerDevice(DEVICE, tree.room, 1, 0, KEY_0, {"from": institution_admin})


def test_zero_public_key_is_rejected(devices, tree, institution_admin, reverts_with):
    with reverts_with("InvalidPublicKey"):
        devices.registerDevice(DEVICE, tree.room, 1, 1, b"\x00" * 32, {"from": institution_admin})


def test_duplicate_device_id_is_rejected(devices, tree, device, institution_admin, reverts_with):
    with reverts_with("DeviceAlreadyRegistered", DEVICE):
        devices.registerDevice(DEVICE, tree.building, 2, 2, _key(5), {"from": institution_admin})


def test_unknown_device_reads_revert(devices, reverts_with):
    with reverts_with("UnknownDevice", DEVICE):
        devices.deviceOf(DEVICE)
    with reverts_with("UnknownDevice", DEVICE):
        devices.keyHistory(DEVICE)
    with reverts_with("UnknownDevice", DEVICE):
        devices.keyForSequence(DEVICE, 0)


# --- key rotation -----------------------------------------------------------------------


def test_rotate_key_appends_an_epoch(devices, device, institution_admin, expect_event):
    tx = devices.rotateKey(DEVICE, _key(1), 100, {"from": institution_admin})
    expect_event(tx, "DeviceKeyRotated", deviceId=DEVICE, keyIndex=1, publicKey=_key(1), validFromSequence=100)
    assert devices.deviceOf(DEVICE)[5] == 2


def test_key_for_sequence_follows_history_across_rotations(devices, device, institution_admin):
    starts = [0, 10, 11, 500, 2**40, MAX_SEQUENCE]
    for i, start in enumerate(starts[1:], start=1):
        devices.rotateKey(DEVICE, _key(i), start, {"from": institution_admin})
    history = [tuple(epoch) for epoch in devices.keyHistory(DEVICE)]
    assert history == [("0x" + _key(i).hex(), start) for i, start in enumerate(starts)]
    probes = sorted({s + d for s in starts for d in (-1, 0, 1) if 0 <= s + d <= MAX_SEQUENCE})
    for sequence in probes:
        expected = max(i for i, start in enumerate(starts) if start <= sequence)
        assert tuple(devices.keyForSequence(DEVICE, sequence)) == ("0x" + _key(expected).hex(), expected), sequence


def test_rotation_must_start_after_current_key(devices, device, institution_admin, reverts_with):
    devices.rotateKey(DEVICE, _key(1), 50, {"from": institution_admin})
    with reverts_with("KeySequenceNotIncreasing", DEVICE, 50, 50):
        devices.rotateKey(DEVICE, _key(2), 50, {"from": institution_admin})
    with reverts_with("KeySequenceNotIncreasing", DEVICE, 50, 7):
        devices.rotateKey(DEVICE, _key(2), 7, {"from": institution_admin})


def test_first_rotation_cannot_start_at_zero(devices, device, institution_admin, reverts_with):
    with reverts_with("KeySequenceNotIncreasing", DEVICE, 0, 0):
        devices.rotateKey(DEVICE, _key(1), 0, {"from": institution_admin})


def test_reusing_a_key_is_rejected(devices, device, institution_admin, reverts_with):
    devices.rotateKey(DEVICE, _key(1), 10, {"from": institution_admin})
    with reverts_with("KeyAlreadyUsed", DEVICE, _key(1)):
        devices.rotateKey(DEVICE, _key(1), 20, {"from": institution_admin})
    with reverts_with("KeyAlreadyUsed", DEVICE, KEY_0):
        devices.rotateKey(DEVICE, KEY_0, 20, {"from": institution_admin})


def test_same_key_may_serve_different_devices(devices, tree, device, institution_admin):
    devices.registerDevice(b"\xd2" * 32, tree.room, 1, 1, _key(1), {"from": institution_admin})
    devices.rotateKey(DEVICE, _key(1), 10, {"from": institution_admin})
    assert devices.keyForSequence(DEVICE, 10)[0] == "0x" + _key(1).hex()


def test_rotating_to_zero_key_is_rejected(devices, device, institution_admin, reverts_with):
    with reverts_with("InvalidPublicKey"):
        devices.rotateKey(DEVICE, b"\x00" * 32, 10, {"from": institution_admin})


def test_suspended_device_may_rotate_its_key(devices, device, institution_admin):
    devices.suspendDevice(DEVICE, "key leaked", {"from": institution_admin})
    devices.rotateKey(DEVICE, _key(1), 10, {"from": institution_admin})
    assert tuple(devices.keyForSequence(DEVICE, 10)) == ("0x" + _key(1).hex(), 1)


def test_retired_device_cannot_rotate_its_key(devices, device, institution_admin, reverts_with):
    devices.retireDevice(DEVICE, "replaced", {"from": institution_admin})
    with reverts_with("DeviceRetired", DEVICE):
        devices.rotateKey(DEVICE, _key(1), 10, {"from": institution_admin})


def test_rotation_needs_institution_admin(devices, device, other_admin, reverts_with):
    with reverts_with("NotInstitutionAdmin", 4, other_admin):
        devices.rotateKey(DEVICE, _key(1), 10, {"from": other_admin})


def test_rotation_of_unknown_device_is_rejected(devices, institution_admin, reverts_with):
    with reverts_with("UnknownDevice", DEVICE):
        devices.rotateKey(DEVICE, _key(1), 10, {"from": institution_admin})


# --- status -----------------------------------------------------------------------------


def test_suspend_and_reactivate_emit_status_changes(devices, device, institution_admin, expect_event):
    tx = devices.suspendDevice(DEVICE, "meter opened", {"from": institution_admin})
    expect_event(
        tx,
        "DeviceStatusChanged",
        deviceId=DEVICE,
        oldStatus=DeviceStatus.ACTIVE,
        newStatus=DeviceStatus.SUSPENDED,
        reason="meter opened",
    )
    assert devices.deviceOf(DEVICE)[4] == DeviceStatus.SUSPENDED
    tx = devices.reactivateDevice(DEVICE, "resealed", {"from": institution_admin})
    expect_event(
        tx,
        "DeviceStatusChanged",
        deviceId=DEVICE,
        oldStatus=DeviceStatus.SUSPENDED,
        newStatus=DeviceStatus.ACTIVE,
        reason="resealed",
    )
    assert devices.deviceOf(DEVICE)[4] == DeviceStatus.ACTIVE


@pytest.mark.parametrize("suspend_first", [False, True], ids=["from_active", "from_suspended"])
def test_retire_is_allowed_from_active_or_suspended(devices, device, institution_admin, suspend_first, expect_event):
    if suspend_first:
        devices.suspendDevice(DEVICE, "", {"from": institution_admin})
    old = DeviceStatus.SUSPENDED if suspend_first else DeviceStatus.ACTIVE
    tx = devices.retireDevice(DEVICE, "end of life", {"from": institution_admin})
    expect_event(
        tx, "DeviceStatusChanged", deviceId=DEVICE, oldStatus=old, newStatus=DeviceStatus.RETIRED, reason="end of life"
    )
    assert devices.deviceOf(DEVICE)[4] == DeviceStatus.RETIRED


def test_invalid_status_transitions_are_rejected(devices, device, institution_admin, reverts_with):
    admin = {"from": institution_admin}
    with reverts_with("InvalidStatusTransition", DEVICE, DeviceStatus.ACTIVE, DeviceStatus.ACTIVE):
        devices.reactivateDevice(DEVICE, "", admin)
    devices.suspendDevice(DEVICE, "", admin)
    with reverts_with("InvalidStatusTransition", DEVICE, DeviceStatus.SUSPENDED, DeviceStatus.SUSPENDED):
        devices.suspendDevice(DEVICE, "", admin)
    devices.retireDevice(DEVICE, "", admin)
    for action, target in (
        (devices.suspendDevice, DeviceStatus.SUSPENDED),
        (devices.reactivateDevice, DeviceStatus.ACTIVE),
        (devices.retireDevice, DeviceStatus.RETIRED),
    ):
        with reverts_with("InvalidStatusTransition", DEVICE, DeviceStatus.RETIRED, target):
            action(DEVICE, "", admin)


def test_status_changes_need_institution_admin(devices, device, other_admin, stranger, reverts_with):
    for account in (other_admin, stranger):
        for action in (devices.suspendDevice, devices.reactivateDevice, devices.retireDevice):
            with reverts_with("NotInstitutionAdmin", 4, account):
                action(DEVICE, "", {"from": account})


def test_status_change_of_unknown_device_is_rejected(devices, institution_admin, reverts_with):
    for action in (devices.suspendDevice, devices.reactivateDevice, devices.retireDevice):
        with reverts_with("UnknownDevice", DEVICE):
            action(DEVICE, "", {"from": institution_admin})


def test_device_rights_follow_the_institution_when_it_moves(
    org, devices, tree, device, city_admin, district_admin, other_admin, reverts_with
):
    org.moveNode(tree.institution, tree.other_district, {"from": city_admin})
    with reverts_with("NotInstitutionAdmin", tree.institution, district_admin):
        devices.suspendDevice(DEVICE, "", {"from": district_admin})
    devices.suspendDevice(DEVICE, "", {"from": other_admin})


# --- oracles ----------------------------------------------------------------------------


def test_authorize_oracle_emits_and_records(devices, tree, institution_admin, oracle, expect_event):
    assert not devices.isOracle(tree.institution, oracle)
    tx = devices.authorizeOracle(tree.institution, oracle, {"from": institution_admin})
    expect_event(tx, "OracleAuthorized", institutionId=tree.institution, oracle=oracle, by=institution_admin)
    assert devices.isOracle(tree.institution, oracle)
    assert not devices.isOracle(tree.building, oracle)


def test_district_admin_may_authorize_oracle_below_it(devices, tree, district_admin, oracle):
    devices.authorizeOracle(tree.institution, oracle, {"from": district_admin})
    assert devices.isOracle(tree.institution, oracle)


def test_admin_of_another_district_cannot_authorize_oracle(devices, tree, other_admin, oracle, reverts_with):
    with reverts_with("NotInstitutionAdmin", tree.institution, other_admin):
        devices.authorizeOracle(tree.institution, oracle, {"from": other_admin})


def test_oracle_needs_an_institution_node(devices, tree, province_admin, oracle, reverts_with):
    for node_id in (tree.district, tree.building, tree.room):
        with reverts_with("NotInstitution", node_id):
            devices.authorizeOracle(node_id, oracle, {"from": province_admin})
        with reverts_with("NotInstitution", node_id):
            devices.revokeOracle(node_id, oracle, {"from": province_admin})
    with reverts_with("UnknownNode", 99):
        devices.authorizeOracle(99, oracle, {"from": province_admin})


def test_zero_oracle_is_rejected(devices, tree, institution_admin, reverts_with):
    with reverts_with("ZeroAddress"):
        devices.authorizeOracle(tree.institution, ZERO_ADDRESS, {"from": institution_admin})


def test_authorizing_twice_is_rejected(devices, tree, authorized_oracle, institution_admin, reverts_with):
    with reverts_with("OracleAlreadyAuthorized", tree.institution, authorized_oracle):
        devices.authorizeOracle(tree.institution, authorized_oracle, {"from": institution_admin})


def test_revoke_oracle_emits_and_clears(devices, tree, authorized_oracle, district_admin, expect_event):
    tx = devices.revokeOracle(tree.institution, authorized_oracle, {"from": district_admin})
    expect_event(tx, "OracleRevoked", institutionId=tree.institution, oracle=authorized_oracle, by=district_admin)
    assert not devices.isOracle(tree.institution, authorized_oracle)


def test_revoking_unauthorized_oracle_is_rejected(devices, tree, institution_admin, stranger, reverts_with):
    with reverts_with("OracleNotAuthorized", tree.institution, stranger):
        devices.revokeOracle(tree.institution, stranger, {"from": institution_admin})


def test_revoke_needs_institution_admin(devices, tree, authorized_oracle, other_admin, reverts_with):
    with reverts_with("NotInstitutionAdmin", tree.institution, other_admin):
        devices.revokeOracle(tree.institution, authorized_oracle, {"from": other_admin})


def test_oracle_cannot_authorize_itself_elsewhere(org, devices, tree, governance, authorized_oracle, reverts_with):
    school = org.createRoot(NodeKind.INSTITUTION, "School", governance, {"from": governance}).return_value
    with reverts_with("NotInstitutionAdmin", school, authorized_oracle):
        devices.authorizeOracle(school, authorized_oracle, {"from": authorized_oracle})
