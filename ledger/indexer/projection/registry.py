"""The registry of event handlers and the row lookups they share.

A handler reads only its event and rows written by earlier events, never the chain, so the state
tables are a pure function of idx_raw_events.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session

from ledger.indexer.events import ChainEvent

ZERO_ADDRESS = "0x" + "00" * 20
Handler = Callable[[Session, ChainEvent], None]
_ROWS = "ledger.indexer.rows"
HANDLERS: dict[tuple[str, str], Handler] = {}


def handles(contract: str, *events: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the projection of `contract`'s `events`."""

    def register(func: Handler) -> Handler:
        for event in events:
            HANDLERS[(contract, event)] = func
        return func
    return register


def apply_event(session: Session, event: ChainEvent) -> None:
    """Project one event onto the state tables (events without a projection are kept raw only).

    Rows are flushed in groups: `find` flushes pending rows before it looks one up.
    """
    handler = HANDLERS.get((event.contract, event.event))
    if handler is not None:
        handler(session, event)


def find(session: Session, model: type, *key: object) -> object | None:
    """The row with primary key `key`, including rows added by earlier events not yet flushed.

    Rows found are held in `session.info` so the next event finds them without a query (the
    identity map alone holds them weakly); `forget_rows` empties it after bulk deletes.
    """
    cache = session.info.setdefault(_ROWS, {})
    row = cache.get((model, key))
    if row is not None:
        return row
    if any(isinstance(pending, model) for pending in session.new):
        session.flush()
    row = session.get(model, key if len(key) > 1 else key[0])
    if row is not None:
        cache[(model, key)] = row
    return row


def add(session: Session, row: object) -> None:
    """Add a row that later events look up: `find` then finds it without flushing."""
    session.add(row)
    key = tuple(sa_inspect(type(row)).primary_key_from_instance(row))
    session.info.setdefault(_ROWS, {})[(type(row), key)] = row


def forget_rows(session: Session) -> None:
    """Drop the rows `find` holds: after statements that delete rows behind the ORM's back."""
    session.info.pop(_ROWS, None)
    session.expunge_all()


def get(session: Session, model: type, *key: object) -> object:
    """`find` for a row an earlier event must have written; LookupError naming the table otherwise."""
    row = find(session, model, *key)
    if row is None:
        raise LookupError(f"{model.__tablename__} has no row {key}: events out of order or a missing contract")
    return row
