"""The contracts' enums as Python IntEnums (NodeKind, DeviceStatus, IAccountingLedger.ResultStatus).

Kept free of imports so that brownie's contract tests can share them.
"""

from __future__ import annotations

from enum import IntEnum


class NodeKind(IntEnum):
    REGION = 0
    INSTITUTION = 1
    PARK = 2
    BUILDING = 3
    FLOOR = 4
    ROOM = 5


class DeviceStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    RETIRED = 3


class ResultStatus(IntEnum):
    NONE = 0
    SUBMITTED = 1
    FINAL = 2
    REJECTED = 3
    SUPERSEDED = 4
