"""Alembic environment of the API's tables only (the indexer keeps its own version table)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from api import models  # noqa: F401  (registers the tables)
from api.db import VERSION_TABLE, make_engine

config = context.config


def _include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return type_ != "table" or name in models.API_TABLES


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from ledger.config import load_settings

        with make_engine(load_settings()).begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:  # noqa: ANN001
    context.configure(connection=connection, target_metadata=SQLModel.metadata, version_table=VERSION_TABLE,
                      include_object=_include, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


run()
