"""How each event changes the state tables: one small function per (contract, event).

Every handler reads only the event and rows written by earlier events, never the chain, so the
state tables are a pure function of idx_raw_events: replaying them in (block, log index) order
gives the same rows (after a reorg, by `--check`, and in the rebuild test). Handlers live in
`core.py` and `credits.py`; importing this package registers them.
"""

from ledger.indexer.projection import core, credits  # noqa: F401  (registers the handlers)
from ledger.indexer.projection.registry import HANDLERS, apply_event, forget_rows

__all__ = ["HANDLERS", "apply_event", "forget_rows"]
