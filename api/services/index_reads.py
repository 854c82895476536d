"""Device and accounting-result lists from the indexer's tables, when the index has caught up with the chain.

"Caught up" is stricter than for batches (api/services/batch_index.py): the cursor names this chain and
stands at the chain head, because a device's status or a result's verification changes in place and a
stale row would silently answer with an old state. Otherwise the routers read the chain; the header
`X-Served-From` says which answered, and both give the same bodies.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.services.batch_index import index_serves
from ledger.chain.clients import Device
from ledger.chain.codes import DeviceStatus
from ledger.chain.connection import Chain
from ledger.indexer import index_lag
from ledger.indexer.models import AccountingResult
from ledger.indexer.models import Device as IndexedDevice

SERVED_FROM = "X-Served-From"


def index_caught_up(engine: Engine, chain: Chain) -> bool:
    """True when the index holds this chain up to its head (no block the index has not seen)."""
    return index_serves(engine, chain.chain_id) and index_lag(engine, chain) == 0


def indexed_devices(engine: Engine, institution_id: int) -> list[Device]:
    """The institution's devices in registration order (block, then id: one registration per transaction)."""
    with Session(engine) as session:
        rows = session.exec(select(IndexedDevice).where(IndexedDevice.institution_id == institution_id)
                            .order_by(IndexedDevice.block_number, IndexedDevice.device_id)).all()
    return [Device(bytes.fromhex(r.device_id[2:]), r.institution_id, r.scene_id, r.kind, r.unit, DeviceStatus(r.status),
                   r.key_count) for r in rows]


def indexed_results(engine: Engine, institution_id: int) -> list[AccountingResult]:
    """The institution's results (emissions and savings) by result id, as the index projects them."""
    with Session(engine) as session:
        return list(session.exec(select(AccountingResult).where(AccountingResult.institution_id == institution_id)
                                 .order_by(AccountingResult.result_id)).all())
