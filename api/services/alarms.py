"""The oracle's alarms of an institution (oracles/alarms.py store, in the oracle's spool)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from api.errors import ApiError, not_found
from ledger.config import Settings
from oracles.alarms import AlarmError, AlarmStore


@contextlib.contextmanager
def alarm_store(settings: Settings, institution_id: int, must_exist: bool = True) -> Iterator[AlarmStore | None]:
    """The institution's store on its own connection (closed after use), or None when no oracle ran here."""
    path = settings.oracle_spool_path(institution_id)
    if not path.exists():
        if must_exist:
            raise not_found(f"oracle spool for institution {institution_id} (no oracle has run here)")
        yield None
        return
    store = AlarmStore.open(path)
    try:
        yield store
    except AlarmError as exc:
        message = str(exc)
        raise (not_found(message.removeprefix("no ")) if message.startswith("no alarm")
               else ApiError(409, "conflict", message)) from None
    finally:
        store.db.close()
