"""The SQL index of the ledger: contract events and anchored readings, rebuildable from chain + evidence.

`Indexer` follows a deployment (ranges, resumable, reorg-safe); `check_index` compares the database
with the chain and the evidence; `index_lag` serves health endpoints. Tables: ledger/indexer/models/;
design: docs/indexer.md.
"""

from ledger.indexer.db import database_url, drop_index_tables, migrate, open_engine
from ledger.indexer.follower import Indexer, IndexerError, IndexStatus, StepReport, SyncReport, index_lag

__all__ = [
    "IndexStatus",
    "Indexer",
    "IndexerError",
    "StepReport",
    "SyncReport",
    "database_url",
    "drop_index_tables",
    "index_lag",
    "migrate",
    "open_engine",
]
