"""Alarms the oracle raised (leaks, electrical safety, offline devices, tampering), and handling them."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import CurrentUser, DirectoryDep, NodeId, ResourceId, SettingsDep, require_in_scope
from api.errors import ERROR_RESPONSES
from api.permissions import Action
from api.schemas.common import LimitQuery, OffsetQuery, Page, Text
from api.services.alarms import alarm_store
from oracles.alarms import Alarm, AlarmKind

router = APIRouter(prefix="/organizations/{node_id}/alarms", tags=["alarms"], responses=ERROR_RESPONSES)
MAX_LISTED = 10_000


class AlarmOut(BaseModel):
    id: int = Field(examples=[7])
    kind: str = Field(examples=["water_leak"])
    severity: str = Field(examples=["critical"])
    device_id: str
    detail: str = Field(examples=["minimum night flow 0.42 m³/h above 0.05 for 4 h"])
    readings: list[dict] = Field(description="(device, sequence) of each reading that raised it.")
    raised_at: int
    updated_at: int
    state: str = Field(examples=["active"])
    acknowledged_by: str | None
    acknowledged_at: int | None
    resolved_by: str | None
    resolved_at: int | None
    resolution: str | None

    @classmethod
    def of(cls, alarm: Alarm) -> "AlarmOut":
        return cls.model_validate({k: v for k, v in alarm.to_json().items() if k in cls.model_fields})


class Resolution(BaseModel):
    resolution: Text = Field("", examples=["valve replaced in building 5, 2F toilet"])


@router.get("", response_model=Page[AlarmOut], summary="An institution's alarms, newest first")
def list_alarms(node_id: NodeId, user: CurrentUser, settings: SettingsDep, directory: DirectoryDep,
                state: Annotated[str | None, Query(pattern="^(active|acknowledged|resolved|open)$",
                                                   description="open = active or acknowledged")] = None,
                kind: Annotated[AlarmKind | None, Query()] = None,
                limit: LimitQuery = 100, offset: OffsetQuery = 0) -> Page[AlarmOut]:
    require_in_scope(user, Action.READ, node_id, directory.tree())
    with alarm_store(settings, node_id, must_exist=False) as store:
        alarms = [] if store is None else store.list(include_resolved=state not in ("open", "active", "acknowledged"),
                                                     kind=kind, limit=MAX_LISTED)
    if state in ("active", "acknowledged", "resolved"):
        alarms = [a for a in alarms if a.state.value == state]
    return Page[AlarmOut](items=[AlarmOut.of(a) for a in alarms[offset:offset + limit]], total=len(alarms),
                          limit=limit, offset=offset)


@router.get("/{alarm_id}", response_model=AlarmOut, summary="One alarm with the readings that raised it")
def get_alarm(node_id: NodeId, alarm_id: ResourceId, user: CurrentUser, settings: SettingsDep,
              directory: DirectoryDep) -> AlarmOut:
    require_in_scope(user, Action.READ, node_id, directory.tree())
    with alarm_store(settings, node_id) as store:
        return AlarmOut.of(store.get(alarm_id))


@router.post("/{alarm_id}/acknowledge", response_model=AlarmOut, summary="Someone is on it")
def acknowledge(node_id: NodeId, alarm_id: ResourceId, user: CurrentUser, settings: SettingsDep,
                directory: DirectoryDep) -> AlarmOut:
    require_in_scope(user, Action.HANDLE_ALARMS, node_id, directory.tree())
    with alarm_store(settings, node_id) as store:
        return AlarmOut.of(store.acknowledge(alarm_id, user.username, int(time.time())))


@router.post("/{alarm_id}/resolve", response_model=AlarmOut, summary="Close the alarm, saying how")
def resolve(node_id: NodeId, alarm_id: ResourceId, body: Resolution, user: CurrentUser, settings: SettingsDep,
            directory: DirectoryDep) -> AlarmOut:
    require_in_scope(user, Action.HANDLE_ALARMS, node_id, directory.tree())
    with alarm_store(settings, node_id) as store:
        return AlarmOut.of(store.resolve(alarm_id, user.username, int(time.time()), body.resolution))
