"""The base of every index table: its own metadata, apart from the API's tables."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class IndexTable(SQLModel, registry=registry()):
    """Base of the indexer's tables: a metadata of their own, apart from the API's."""


def block_column() -> int:
    """The block a row's event was mined in: indexed, since reorgs delete by it."""
    return Field(sa_type=BigInteger, index=True)
