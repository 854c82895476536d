"""The Alembic migrations create exactly the tables the models describe, beside the API's tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ledger.indexer import drop_index_tables, migrate
from ledger.indexer.db import VERSION_TABLE
from ledger.indexer.models import IndexTable


def test_migrated_schema_equals_the_models(engine) -> None:
    migrate(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "version_table": VERSION_TABLE})
        differences = [d for d in compare_metadata(context, IndexTable.metadata)
                       if not (d[0] == "remove_table" and not d[1].name.startswith("idx_"))]  # other owners' tables
    assert differences == []


def test_downgrade_removes_only_the_index_tables(engine) -> None:
    migrate(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE api_probe (id INTEGER PRIMARY KEY)")
    drop_index_tables(engine)
    names = set(inspect(engine).get_table_names())
    assert "api_probe" in names and not {n for n in names if n.startswith("idx_")}
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE api_probe")
    migrate(engine)  # and back
    assert {t for t in inspect(engine).get_table_names() if t.startswith("idx_")} == set(IndexTable.metadata.tables)
