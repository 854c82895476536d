"""The dashboards' readings from the indexer's tables instead of the chain and the evidence, when the index is current.

Collecting a year from evidence (re-hash every batch, decode 5 M readings) is what makes a first big screen slow;
the index already holds every anchored batch's readings and their daily figures (`idx_daily_usage`: each
device-day's first and last reading). The figures are still computed by api/explorer/dashboard_metrics.py, that
is by ledger.accounting's metered rules and engine: this module only builds their input, `InstitutionReadings`,
from SQL, in a form on which those rules give the same result to the last digit:

* Between two consecutive readings of one meter, inside a day, with time moving forward and the counter not
  running backwards, the metered rule counts the plain difference, so a day's readings telescope: its first and
  last reading alone give the same amount for any period that starts and ends at local midnight (every period of
  the big screen), and the intervals across midnight are kept as they are. The indexer records, per device-day,
  whether the day does telescope under the accounting's own interval rule (`idx_daily_usage.regular`,
  ledger/indexer/evidence_rows.regular_day); such a past day becomes two points, its first and last reading.
* Every other day (a counter reset, a counter running backwards even within the day's first and last values,
  two readings at one instant, or a row indexed before the column existed, NULL) is read reading by reading from
  `idx_readings`, and so are the last 26 hours, which the load curve and the last hour cut into 15-minute
  intervals. The figures are then those of the chain and evidence, exactly.

The index serves only when it is current for the institution: its cursor names this chain and a block the chain
still has, it holds the institution's latest anchored batch, every batch in the year loaded its evidence, and no
batch awaits a quorum's approvals. Otherwise `IndexUnusable` says why and the caller reads the chain. A live
indexer is about one poll behind each new anchor: when the index lags the chain by at most `CATCH_UP_BLOCKS`,
`current_block` waits (up to the engine's `index_wait_seconds`, settings, by default twice the indexer's poll
period) for it to catch up rather than fall back to a read of the chain that takes tens of seconds.
"""

from __future__ import annotations

import threading
import time
from array import array
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from operator import itemgetter
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from ledger.accounting.factors import Period
from ledger.accounting.meter_series import ACTIVITY_OF, GENERATION, MeterSeries
from ledger.accounting.metered import InputBatches, period_bounds
from ledger.chain.connection import Chain
from ledger.config import Settings
from ledger.encoding import Quantity as Measured
from ledger.encoding import Unit as ReadingUnit
from ledger.indexer.db import database_url, open_engine
from ledger.indexer.evidence_rows import LOADED, day_bounds, day_of
from ledger.indexer.models import Batch, BatchQuorum, Cursor, DailyUsage, Reading

MARGIN = 86_400  # dashboard_metrics' window margin: readings a day either side of a period can matter
DETAIL_SECONDS = 86_400 + 2 * 3_600  # the load curve's 24 h and its margins, read reading by reading
CUMULATIVE = [int(q) for q in (*ACTIVITY_OF, *GENERATION)]
CATCH_UP_BLOCKS = 8  # an index at most this far behind the chain is one indexer poll from current: worth a wait
CATCH_UP_POLL = 0.1  # seconds between looks at the index while waiting


class IndexUnusable(RuntimeError):
    """The index cannot answer for this institution now (absent, behind the chain, or incomplete): the reason."""


class IndexLags(IndexUnusable):
    """The index is `behind` blocks behind the chain and lacks what those blocks hold: a wait may cure it."""

    def __init__(self, message: str, behind: int) -> None:
        super().__init__(message)
        self.behind = behind


@dataclass(frozen=True)
class IndexedYear:
    """What the index gives the dashboards: the readings' columns by device, and the block it was read at."""

    as_of: int
    series: dict[bytes, MeterSeries]
    roots: InputBatches
    block: int


_ENGINES: dict[str, Engine] = {}
_WAITS: dict[Engine, float] = {}  # an engine's catch-up wait, from the settings that opened it
_ENGINES_LOCK = threading.Lock()


def index_engine(settings: Settings) -> Engine | None:
    """The index's engine when one is configured (ZCL_DATABASE_URL, or the SQLite file in the data dir exists)."""
    url = database_url(settings)
    if settings.database_url is None and not Path(url.split(":///", 1)[-1]).exists():
        return None
    with _ENGINES_LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = open_engine(url)
        _WAITS[_ENGINES[url]] = settings.index_wait_seconds
        return _ENGINES[url]


def current_block(engine: Engine, chain: Chain, institution_id: int, head: bytes, wait: float | None = None) -> int:
    """The index's block when it is current for the institution whose batch chain ends at `head`; else IndexUnusable.

    An index at most CATCH_UP_BLOCKS behind (a live indexer between two polls) is given up to `wait` seconds (by
    default the engine's `index_wait_seconds`, 0 for an engine not opened by `index_engine`) to catch up."""
    wait = _WAITS.get(engine, 0.0) if wait is None else wait
    deadline = time.monotonic() + wait
    while True:
        try:
            return _current_block(engine, chain, institution_id, head)
        except IndexLags as exc:
            remaining = deadline - time.monotonic()
            if exc.behind > CATCH_UP_BLOCKS or remaining <= 0:
                if wait > 0 and exc.behind <= CATCH_UP_BLOCKS:
                    raise IndexLags(f"{exc} (after waiting {wait:g} s for it)", exc.behind) from None
                raise
            time.sleep(min(CATCH_UP_POLL, remaining))


def _current_block(engine: Engine, chain: Chain, institution_id: int, head: bytes) -> int:
    try:
        with Session(engine) as session:
            cursor = session.get(Cursor, 1)
            latest = session.exec(select(Batch.root).where(Batch.institution_id == institution_id)
                                  .order_by(Batch.batch_index.desc()).limit(1)).first()
            waiting = session.exec(select(BatchQuorum.root).where(BatchQuorum.institution_id == institution_id,
                                                                  BatchQuorum.counted.is_(False)).limit(1)).first()
            quorum = session.exec(select(BatchQuorum.root).where(BatchQuorum.institution_id == institution_id)
                                  .limit(1)).first()
    except Exception as exc:  # noqa: BLE001 - no index tables, or the database is unreachable
        raise IndexUnusable(f"the index cannot be read ({type(exc).__name__})") from None
    if cursor is None or cursor.chain_id != chain.chain_id:
        raise IndexUnusable(f"the index holds no blocks of chain {chain.chain_id}")
    try:
        block = chain.w3.eth.get_block(cursor.block_number)
    except Exception:  # noqa: BLE001 - web3's BlockNotFound: a chain restarted shorter than the index
        raise IndexUnusable(f"the chain has no block {cursor.block_number}, the index's") from None
    if cursor.block_hash is not None and "0x" + bytes(block["hash"]).hex() != cursor.block_hash.lower():
        raise IndexUnusable(f"the index's block {cursor.block_number} is no longer on the chain (reorg)")
    wanted = "0x" + head.hex()
    behind = chain.w3.eth.block_number - cursor.block_number
    if head != bytes(32) and (latest is None or latest != wanted):
        raise IndexLags(f"the index (block {cursor.block_number}) lags: it lacks the latest batch {wanted}", behind)
    if waiting is not None:
        reason = f"batch {waiting} awaits its quorum's approvals"
        raise IndexLags(reason, behind) if behind > 0 else IndexUnusable(reason)
    if quorum is not None and behind != 0:
        raise IndexLags(f"approvals may have landed after the index's block {cursor.block_number}", behind)
    return cursor.block_number


def indexed_year(engine: Engine, institution_id: int, block: int, detail_seconds: int = DETAIL_SECONDS) -> IndexedYear:
    """The institution's readings as dashboard_metrics._collect would gather them, from the index (module doc).
    A batch of the institution indexed while this reads (PostgreSQL reads each statement at its own commit) makes
    it give up (IndexUnusable) rather than mix two states."""
    with Session(engine) as session:
        batches = session.exec(select(Batch.root, Batch.first_timestamp, Batch.last_timestamp, Batch.evidence_status)
                               .where(Batch.institution_id == institution_id)).all()
        if not batches:
            raise IndexUnusable(f"the index has no batches of institution {institution_id}")
        as_of = max(b[2] for b in batches)
        year_start, _ = period_bounds(Period.year(day_of(as_of).year))
        lo, hi = year_start - MARGIN, as_of + 1 + MARGIN
        used = [b for b in batches if not (b[2] < lo or b[1] >= hi)]
        unloaded = [b for b in used if b[3] != LOADED]
        if unloaded:
            raise IndexUnusable(f"batch {unloaded[0][0]}'s evidence is {unloaded[0][3]} in the index")
        detail_from = day_bounds(day_of(as_of - detail_seconds))[0]
        first_day = day_of(lo)
        days = _daily_rows(session, institution_id, first_day, day_of(detail_from) - timedelta(days=1))
        points: dict[str, list[tuple[int, int, Decimal, int, int]]] = defaultdict(list)
        whole_days: list[tuple[str, date]] = []
        for row in days:
            device, day, quantity, unit, count, t0, v0, t1, v1, regular = row
            if not regular:  # False, or NULL (unknown): the day does not telescope, or may not
                whole_days.append((device, day))
                continue
            points[device].append((t0, 0, v0, quantity, unit))
            if count > 1:
                points[device].append((t1, 1, v1, quantity, unit))
        for device, day in whole_days:
            _add_readings(session, points, institution_id, (lo, hi), day_bounds(day), device)
        _add_readings(session, points, institution_id, (lo, hi), (max(detail_from, lo), hi))
        count = session.exec(select(func.count()).select_from(Batch)
                             .where(Batch.institution_id == institution_id)).one()
        if count != len(batches):
            raise IndexUnusable(f"the index took in batches of institution {institution_id} while it was read")
    roots = InputBatches([bytes.fromhex(b[0][2:]) for b in used])
    return IndexedYear(as_of, {bytes.fromhex(d[2:]): _meter(d, p) for d, p in sorted(points.items())}, roots, block)


def _daily_rows(session: Session, institution_id: int, first: date, last: date) -> list[tuple]:
    if last < first:
        return []
    return session.exec(select(DailyUsage.device_id, DailyUsage.day, DailyUsage.quantity, DailyUsage.unit,
                               DailyUsage.reading_count, DailyUsage.first_timestamp, DailyUsage.first_value,
                               DailyUsage.last_timestamp, DailyUsage.last_value, DailyUsage.regular)
                        .where(DailyUsage.institution_id == institution_id, DailyUsage.quantity.in_(CUMULATIVE),
                               DailyUsage.day >= first, DailyUsage.day <= last)).all()


def _add_readings(session: Session, points: dict[str, list], institution_id: int, year: tuple[int, int],
                  span: tuple[int, int], device: str | None = None) -> None:
    """Readings in [span) of the batches collect_points would read (those overlapping the year's range `year`),
    reading by reading, sequences kept to order equal instants. The batches are picked first (by their time
    range, indexed), then their readings, so a few days cost a few batches, not a scan of the year."""
    where = [Batch.institution_id == institution_id, Batch.last_timestamp >= max(year[0], span[0]),
             Batch.first_timestamp < min(year[1], span[1]), Reading.timestamp >= span[0], Reading.timestamp < span[1],
             Reading.quantity.in_(CUMULATIVE)]
    if device is not None:
        where.append(Reading.device_id == device)
    rows = session.exec(select(Reading.device_id, Reading.timestamp, Reading.sequence, Reading.value, Reading.quantity,
                               Reading.unit)
                        .join(Batch, Batch.root == Reading.batch_root)
                        .where(*where)
                        .order_by(Reading.device_id, Reading.timestamp, Reading.sequence)).all()
    last: dict[str, int] = {}
    for device, timestamp, sequence, value, quantity, unit in rows:
        if last.get(device, -1) >= sequence:  # the metered rules would order this meter by sequence, not time
            raise IndexUnusable(f"device {device}: sequence {sequence} at {timestamp} is out of time order")
        last[device] = sequence
        points[device].append((timestamp, sequence, value, quantity, unit))


def _meter(device: str, points: list[tuple[int, int, Decimal, int, int]]) -> MeterSeries:
    """One meter's points in time order as integer columns; sequences are the points' ranks (only order matters)."""
    points.sort(key=lambda p: (p[0], p[1]))
    kinds = set(map(itemgetter(3, 4), points))
    if len(kinds) > 1:
        raise IndexUnusable(f"device {device} reports several cumulative quantities or units")
    quantity, unit = kinds.pop()
    scale, values = _mantissas([p[2] for p in points])
    try:
        column: array | list[int] = array("q", values)
    except OverflowError:
        column = values
    return MeterSeries(Measured(quantity), ReadingUnit(unit), scale, array("Q", range(len(points))),
                       array("Q", (p[0] for p in points)), column)



def _mantissas(values: list[Decimal]) -> tuple[int, list[int]]:
    """(scale, integers) with value = integer × 10**scale exactly. The index keeps each reading's value at its
    scale, so the first value's exponent usually fits all; checked by sums (truncation of non-negative values
    only loses), else the finest exponent is used."""
    scale = values[0].as_tuple().exponent
    factor = Decimal(10) ** -scale
    with localcontext(prec=80):
        integers = [int(v * factor) for v in values]
        if min(values) >= 0 and sum(integers) == sum(values) * factor:
            return scale, integers
        scale = min(v.as_tuple().exponent for v in values)
        return scale, [int(v.scaleb(-scale)) for v in values]
