"""Chain integers and reading values survive the database exactly, on SQLite and on PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, delete, insert, select

from ledger.encoding import INT128_MAX, INT128_MIN
from ledger.indexer.columns import ExactDecimal, WideInt

_metadata = MetaData()
_probe = Table("test_column_probe", _metadata, Column("id", Integer, primary_key=True),
               Column("wide", WideInt()), Column("exact", ExactDecimal()))

readings = st.builds(lambda mantissa, scale: Decimal(mantissa).scaleb(scale),
                     st.integers(INT128_MIN, INT128_MAX), st.integers(-128, 127))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(wide=st.integers(-(2**255), 2**256 - 1), exact=readings)
def test_uint256_and_reading_values_round_trip_exactly(engine, wide: int, exact: Decimal) -> None:
    _metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(delete(_probe))
        connection.execute(insert(_probe), {"id": 1, "wide": wide, "exact": exact})
        back_wide, back_exact = connection.execute(select(_probe.c.wide, _probe.c.exact)).one()
    assert back_wide == wide and type(back_wide) is int
    assert back_exact == exact and isinstance(back_exact, Decimal)
