"""The contracts' enums and encodings as Python: NodeKind, DeviceStatus, IAccountingLedger.ResultStatus,
the credit and certification enums, and CarbonCredit's token id and serial layout.

Kept free of project imports so that brownie's contract tests can share them.
"""

from __future__ import annotations

from dataclasses import dataclass
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


class ResultKind(IntEnum):
    """IAccountingLedger.ResultKind: what a result's scope totals measure."""

    EMISSIONS = 0
    SAVINGS = 1  # emissions avoided by M&V-verified savings (ledger/accounting/savings_report.py)


# --- credits, retirement, certification (ICarbonCredit, IRetirementCertificate, ICertificationRegistry) ---


class ClaimKind(IntEnum):
    """IRetirementCertificate.ClaimKind: what a retirement backs. NONE is voluntary (claim id 0)."""

    NONE = 0
    CERTIFICATION_APPLICATION = 1
    MEETING = 2


class CertificationLevel(IntEnum):
    """ICertificationRegistry.Level."""

    NONE = 0
    LOW_CARBON = 1
    NEAR_ZERO_CARBON = 2
    ZERO_CARBON = 3


class CertificationStatus(IntEnum):
    """ICertificationRegistry.Status; EXPIRED is never stored, statusOf derives it from the validity."""

    NONE = 0
    PENDING = 1
    REJECTED = 2
    CERTIFIED = 3
    SUSPENDED = 4
    REVOKED = 5
    EXPIRED = 6


GRAMS_PER_TONNE = 1_000_000  # one credit unit is one tonne CO2e; accounting results are in gCO2e
MIN_VINTAGE = 1990  # CarbonCredit: vintages are years 1990 (Kyoto base year) .. 2999
MAX_VINTAGE = 2999

# Token id layout (ICarbonCredit): classId << 128 | projectId << 64 | vintage, each in a 64-bit lane.
_CLASS_SHIFT = 128
_PROJECT_SHIFT = 64
_LANE = (1 << 64) - 1


def token_id(class_id: int, project_id: int, vintage: int) -> int:
    """CarbonCredit.tokenIdOf: class (< 2^32), project (< 2^64) and vintage (< 2^16) in 64-bit lanes."""
    if not (0 <= class_id < 1 << 32 and 0 <= project_id < 1 << 64 and 0 <= vintage < 1 << 16):
        raise ValueError(f"token id fields out of range: class {class_id}, project {project_id}, vintage {vintage}")
    return class_id << _CLASS_SHIFT | project_id << _PROJECT_SHIFT | vintage


def decode_token_id(value: int) -> tuple[int, int, int]:
    """(class, project, vintage) of a token id; ValueError where CarbonCredit.decodeTokenId reverts InvalidTokenId."""
    class_id, project_id, vintage = value >> _CLASS_SHIFT, (value >> _PROJECT_SHIFT) & _LANE, value & _LANE
    if class_id >= 1 << 32 or vintage >= 1 << 16 or value < 0:
        raise ValueError(f"{value:#x} is not a credit token id (class << 128 | project << 64 | vintage)")
    return class_id, project_id, vintage


@dataclass(frozen=True)
class SerialRange:
    """IRetirementCertificate.SerialRange: serials first..last (inclusive) of one token id.

    Serials of a token id run from 1; issuance appends above `issued`, retirement consumes the
    lowest unretired serials, so each retirement is the range [retired + 1, retired + amount].
    """

    token_id: int
    first_serial: int
    last_serial: int

    @property
    def count(self) -> int:
        return self.last_serial - self.first_serial + 1

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.token_id, self.first_serial, self.last_serial)

    def __str__(self) -> str:
        class_id, project_id, vintage = decode_token_id(self.token_id)
        return f"{class_id}/{project_id}/{vintage} #{self.first_serial}–{self.last_serial}"
