"""Column types that keep chain integers and meter decimals exact on every database.

uint128/uint256 amounts and int128 reading mantissas do not fit SQL BIGINT, and a float is never
acceptable for carbon or money. PostgreSQL stores them as NUMERIC (exact, summable in SQL); SQLite,
which has no exact wide number, stores their canonical decimal text.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class WideInt(TypeDecorator):
    """A Python int of any size: NUMERIC(78, 0) on PostgreSQL, decimal text elsewhere."""

    impl = String(80)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(78, 0))
        return dialect.type_descriptor(String(80))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> object:
        if value is None:
            return None
        return Decimal(int(value)) if dialect.name == "postgresql" else str(int(value))

    def process_result_value(self, value: object, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


class ExactDecimal(TypeDecorator):
    """A Decimal kept exactly: unconstrained NUMERIC on PostgreSQL, its text elsewhere."""

    impl = String(120)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(String(120))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> object:
        if value is None:
            return None
        return Decimal(value) if dialect.name == "postgresql" else str(Decimal(value))

    def process_result_value(self, value: object, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))
