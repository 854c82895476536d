"""Alembic environment of the indexer's tables only (the API keeps its own tables and version table)."""

from __future__ import annotations

from alembic import context

from ledger.indexer import models
from ledger.indexer.db import VERSION_TABLE, database_url, open_engine

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # the `alembic` command line: the configured database
        from ledger.config import load_settings

        with open_engine(database_url(load_settings())).begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:  # noqa: ANN001
    context.configure(connection=connection, target_metadata=models.IndexTable.metadata, version_table=VERSION_TABLE,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
