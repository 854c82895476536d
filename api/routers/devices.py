"""Devices and their Ed25519 keys, as DeviceRegistry holds them; changes signed by the admin's key.

The device list comes from the indexer's tables once the index has caught up with the chain head
(`X-Served-From: index`), else from DeviceRegistry (`X-Served-From: chain`); both give the same bodies.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from api.deps import (ChainDep, CurrentUser, DirectoryDep, EngineDep, NodeId, bad_request, require_in_scope,
                      require_institution)
from api.errors import ERROR_RESPONSES
from api.permissions import Action
from api.services.index_reads import SERVED_FROM, index_caught_up, indexed_devices
from api.schemas.common import Hex32, Id, LimitQuery, OffsetQuery, Page, Password, ShortText, TransactionOut
from ledger.chain.clients import Device
from ledger.chain.codes import DeviceStatus
from ledger.encoding import DeviceKind, Unit

router = APIRouter(tags=["devices"], responses=ERROR_RESPONSES)
DeviceIdPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="bytes32 device id.",
                                   examples=["0x" + "ab" * 32])]


class KeyEpochOut(BaseModel):
    public_key: str = Field(examples=["0x" + "12" * 32])
    valid_from_sequence: int = Field(examples=[0])


class DeviceOut(BaseModel):
    device_id: str = Field(examples=["0x" + "ab" * 32])
    institution_id: int = Field(examples=[4])
    scene_id: int = Field(examples=[6])
    kind: str = Field(examples=["electricity_meter"])
    unit: str = Field(examples=["kwh"])
    status: str = Field(examples=["active"])
    key_count: int = Field(examples=[1])

    @classmethod
    def of(cls, d: Device) -> "DeviceOut":
        return cls(device_id="0x" + d.device_id.hex(), institution_id=d.institution_id, scene_id=d.scene_id,
                   kind=_name(DeviceKind, d.kind), unit=_name(Unit, d.unit), status=d.status.name.lower(),
                   key_count=d.key_count)


class DeviceDetail(DeviceOut):
    keys: list[KeyEpochOut]


class DeviceRegistration(BaseModel):
    device_id: Hex32 = Field(examples=["0x" + "ab" * 32])
    scene_id: Id = Field(description="The institution or a node inside it.", examples=[6])
    kind: Literal["electricity_meter", "water_meter", "gas_meter", "heat_meter", "pv_generation_meter",
                  "circuit_monitor"] = Field(examples=["electricity_meter"])
    unit: Literal["wh", "kwh", "m3", "litre", "gj", "kw", "ampere", "m3_per_hour", "degree_celsius"] = Field(examples=["kwh"])
    public_key: Hex32 = Field(description="The meter's Ed25519 public key.", examples=["0x" + "12" * 32])
    keystore_password: Password


class KeyRotation(BaseModel):
    public_key: Hex32
    valid_from_sequence: int = Field(ge=0, le=2**63 - 1, examples=[1000])
    keystore_password: Password


class StatusChange(BaseModel):
    action: Literal["suspend", "reactivate", "retire"] = Field(examples=["suspend"])
    reason: ShortText = Field(examples=["meter replaced after a lightning strike"])
    keystore_password: Password


def _name(enum: type, value: int) -> str:
    try:
        return enum(value).name.lower()
    except ValueError:
        return str(value)


@router.get("/organizations/{node_id}/devices", response_model=Page[DeviceOut], summary="An institution's devices")
def list_devices(node_id: NodeId, user: CurrentUser, chain: ChainDep, directory: DirectoryDep, engine: EngineDep,
                 response: Response,
                 status: Annotated[str | None, Query(pattern="^(active|suspended|retired)$")] = None,
                 limit: LimitQuery = 100, offset: OffsetQuery = 0) -> Page[DeviceOut]:
    tree = directory.tree()
    require_in_scope(user, Action.READ, node_id, tree)
    require_institution(tree, node_id)
    if index_caught_up(engine, chain.chain):
        response.headers[SERVED_FROM] = "index"
        found = indexed_devices(engine, node_id)
    else:
        response.headers[SERVED_FROM] = "chain"
        devices = chain.contracts.devices
        found = [devices.device(i) for i in dict.fromkeys(devices.registered_devices(institution_id=node_id))]
    if status is not None:
        found = [d for d in found if d.status == DeviceStatus[status.upper()]]
    return Page[DeviceOut](items=[DeviceOut.of(d) for d in found[offset:offset + limit]], total=len(found),
                           limit=limit, offset=offset)


@router.get("/devices/{device_id}", response_model=DeviceDetail, summary="A device and its key history")
def get_device(device_id: DeviceIdPath, user: CurrentUser, chain: ChainDep, directory: DirectoryDep) -> DeviceDetail:
    devices = chain.contracts.devices
    device = devices.device(bytes.fromhex(device_id[2:]))
    require_in_scope(user, Action.READ, device.institution_id, directory.tree())
    keys = [KeyEpochOut(public_key="0x" + k.public_key.hex(), valid_from_sequence=k.valid_from_sequence)
            for k in devices.key_history(device.device_id)]
    return DeviceDetail(**DeviceOut.of(device).model_dump(), keys=keys)


@router.post("/organizations/{node_id}/devices", response_model=TransactionOut, status_code=201,
             summary="Register a device (signed with your server-side key)")
def register_device(node_id: NodeId, body: DeviceRegistration, user: CurrentUser, chain: ChainDep,
                    directory: DirectoryDep) -> TransactionOut:
    tree = directory.tree()
    require_in_scope(user, Action.MANAGE_DEVICES, node_id, tree)
    require_institution(tree, node_id)
    if body.scene_id not in tree.nodes or not tree.is_ancestor_or_self(node_id, body.scene_id):
        raise bad_request(f"scene {body.scene_id} is not inside institution {node_id}")
    receipt = chain.signer(user, body.keystore_password).devices.register_device(
        bytes.fromhex(body.device_id[2:]), body.scene_id, int(DeviceKind[body.kind.upper()]),
        int(Unit[body.unit.upper()]), bytes.fromhex(body.public_key[2:]))
    return _tx(receipt)


@router.post("/devices/{device_id}/keys", response_model=TransactionOut, status_code=201, summary="Rotate a device's key")
def rotate_key(device_id: DeviceIdPath, body: KeyRotation, user: CurrentUser, chain: ChainDep,
               directory: DirectoryDep) -> TransactionOut:
    raw_id = bytes.fromhex(device_id[2:])
    device = chain.contracts.devices.device(raw_id)
    require_in_scope(user, Action.MANAGE_DEVICES, device.institution_id, directory.tree())
    receipt = chain.signer(user, body.keystore_password).devices.rotate_key(
        raw_id, bytes.fromhex(body.public_key[2:]), body.valid_from_sequence)
    return _tx(receipt)


@router.post("/devices/{device_id}/status", response_model=TransactionOut, summary="Suspend, reactivate or retire")
def change_status(device_id: DeviceIdPath, body: StatusChange, user: CurrentUser, chain: ChainDep,
                  directory: DirectoryDep) -> TransactionOut:
    raw_id = bytes.fromhex(device_id[2:])
    device = chain.contracts.devices.device(raw_id)
    require_in_scope(user, Action.MANAGE_DEVICES, device.institution_id, directory.tree())
    devices = chain.signer(user, body.keystore_password).devices
    receipt = getattr(devices, body.action)(raw_id, body.reason)
    return _tx(receipt)


def _tx(receipt: dict) -> TransactionOut:
    return TransactionOut(transaction_hash="0x" + bytes(receipt["transactionHash"]).hex(),
                          block_number=receipt["blockNumber"])

