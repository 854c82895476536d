"""idx_daily_usage.regular: which device-days telescope under the accounting's interval rule, and the migration
that added the column (rows indexed before it are NULL, "unknown", which `--check` accepts and `--rebuild` fills)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from alembic import command
from alembic.config import Config
from sqlalchemy import update
from sqlmodel import Session, select

from ledger.indexer import migrate
from ledger.indexer.check import check_index
from ledger.indexer.db import MIGRATIONS
from ledger.indexer.evidence_rows import daily_row, regular_day
from ledger.indexer.models import DailyUsage

KWH, M3 = 1, 3


def day(*readings: tuple[int, int, str]) -> list[tuple[int, int, int, Decimal]]:
    """(timestamp, sequence, value) readings in kWh, as daily_row receives them."""
    return [(t, q, KWH, Decimal(v)) for t, q, v in readings]


def test_a_rising_counter_is_regular() -> None:
    assert regular_day(day((0, 1, "5.000"), (900, 2, "5.250"), (1800, 3, "5.250"), (2700, 4, "6.125")))
    assert regular_day(day((2700, 4, "6.125"), (0, 1, "5.000"), (900, 2, "5.250")))  # any input order
    assert regular_day(day((0, 1, "5.000")))
    assert daily_row("0x01", date(2022, 6, 1), 1, 1, 1, day((0, 1, "5"), (900, 2, "6")))["regular"] is True


def test_a_counter_running_backwards_between_the_days_bounds_is_not() -> None:
    # first 5, last 9, minimum 5 and maximum 9: its bounds look regular, but 7 → 6 is a reset to the rule
    assert not regular_day(day((0, 1, "5"), (900, 2, "7"), (1800, 3, "6"), (2700, 4, "9")))


def test_two_readings_at_one_instant_are_not() -> None:
    assert not regular_day(day((0, 1, "5"), (900, 2, "6"), (900, 3, "6.5"), (1800, 4, "7")))
    assert not regular_day(day((0, 1, "5"), (900, 2, "6"), (900, 3, "6"), (1800, 4, "7")))  # even at one value


def test_sequences_out_of_time_order_a_repeated_sequence_or_a_change_of_unit_are_not() -> None:
    assert not regular_day(day((0, 2, "5"), (900, 1, "6")))
    assert not regular_day(day((0, 1, "5"), (900, 1, "6")))
    assert not regular_day([(0, 1, KWH, Decimal(5)), (900, 2, M3, Decimal(6))])


def test_rows_from_before_the_column_are_unknown_checked_and_filled_by_a_rebuild(world, engine) -> None:
    indexer = world.indexer(engine)
    indexer.sync()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    migrate(engine)  # 0002 → head: the existing rows get NULL
    with Session(engine) as session:
        flags = session.exec(select(DailyUsage.regular)).all()
    assert flags and set(flags) == {None}
    report = check_index(indexer)
    assert report.ok, report.drift
    indexer.rebuild()
    with Session(engine) as session:
        assert set(session.exec(select(DailyUsage.regular)).all()) == {True}
    with engine.begin() as connection:  # a wrong flag (not NULL) is drift
        connection.execute(update(DailyUsage).where(DailyUsage.reading_count > 1).values(regular=False))
    drift = check_index(indexer).drift
    assert drift and {d.check for d in drift} == {"daily"}
