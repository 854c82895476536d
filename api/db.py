"""The API's database: the engine the indexer opens (one database, two version tables), migrated at start-up."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ledger.config import Settings
from ledger.indexer.db import database_url, open_engine

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "api_alembic_version"


def make_engine(settings: Settings) -> Engine:
    """The shared engine for `settings`; on SQLite the API's foreign keys are enforced too."""
    engine = open_engine(database_url(settings))
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _foreign_keys(dbapi_connection, _record) -> None:  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
    return engine


def migrate(engine: Engine) -> None:
    """Bring the API's tables to the newest revision (a no-op when they are current)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
