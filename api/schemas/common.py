"""Types shared by every resource: safe text, hex values, pages."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field, StringConstraints

# No NUL: PostgreSQL text cannot hold it, so it is refused at the door (422); lone surrogates fail validation too.
_SAFE = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(max_length=2000, pattern=_SAFE)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_SAFE)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]
Cid = Annotated[str, StringConstraints(max_length=128, pattern=r"^[A-Za-z0-9]*$")]
Hex32 = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$")]
HexBytes = Annotated[str, StringConstraints(max_length=262_144, pattern=r"^0x([0-9a-fA-F]{2})+$")]
Signature = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{130}$")]
Address = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Timestamp = Annotated[int, Field(ge=0, le=2**31 - 1, description="Unix seconds, UTC.", examples=[1_700_000_000])]
DecimalText = Annotated[str, StringConstraints(max_length=24, pattern=r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$")]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A slice of a list: `items` from `offset`, at most `limit`, of `total` matching."""

    items: list[T]
    total: int = Field(examples=[42])
    limit: int = Field(examples=[50])
    offset: int = Field(examples=[0])


LimitQuery = Annotated[int, Query(ge=1, le=500, description="Page size.")]
OffsetQuery = Annotated[int, Query(ge=0, le=2**31 - 1, description="Items to skip.")]
FilterText = Annotated[str | None, Query(max_length=64, pattern=_SAFE, description="Exact match.")]


class Signer(BaseModel):
    """Server-side signing: the password that decrypts the user's keystore for this one request."""

    keystore_password: Password = Field(examples=["correct horse battery staple"])


class TransactionOut(BaseModel):
    transaction_hash: str = Field(examples=["0x5c50…"])
    block_number: int = Field(examples=[42])
