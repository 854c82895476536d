"""The monthly metered-emissions cache (api_supervision_months) that supervision aggregates from.

Each boundary-month holds the metered consumption of idx_daily_usage and the accounting engine's emissions
over it (ledger.accounting.account with the dashboards' methodology and factor set, one call per
boundary-month), under the batch set it was computed from.

A cached month is trusted while the institution's batch set for it is unchanged; the sets are compared only
for institutions with batches indexed after the block the cache was confirmed at (all of them after a
reorg or a rebuild), so a warm aggregate over 1,000 institutions reads a few tables once and computes nothing.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, update
from sqlmodel import Session, select

from api.explorer.dashboard_metrics import FACTORS, METHODOLOGY
from api.models import SupervisionMonth
from api.services.organizations import OrgTree
from api.services.supervision_scope import among, subtree_ids
from ledger.accounting import account
from ledger.accounting.errors import AccountingError
from ledger.accounting.factors import Period
from ledger.accounting.meter_series import ACTIVITY_OF, unit_of
from ledger.calendar import midnight
from ledger.accounting.quantities import Quantity, canonical_decimal
from ledger.encoding import Unit as ReadingUnit
from ledger.indexer.models import Batch, Cursor, DailyUsage, IndexedBlock

CUMULATIVE = {int(q): activity for q, activity in ACTIVITY_OF.items()}


def months_of(year: int) -> list[tuple[str, Period, int, int]]:
    """(YYYY-MM, period, start, end) of each month, bounds in Unix seconds of China Standard Time."""
    out = []
    for m in range(1, 13):
        month = Period.month(year, m)
        out.append((f"{year}-{m:02d}", month, midnight(month.start), midnight(month.end + timedelta(days=1))))
    return out


def batch_keys(session: Session, institution_ids: list[int], year: int) -> dict[tuple[int, str], str]:
    """Per (institution, month): the anchored batches whose readings touch the month, named by count, newest
    index and newest block (an institution's batches form a hash chain, so count + newest index name the set on
    one chain; the block number changes when a reorg re-anchors them). Two grouped queries per year."""
    months = months_of(year)
    start, end = months[0][2], months[-1][3]
    found: dict[tuple[int, str], list[str]] = defaultdict(list)
    for column in (Batch.first_timestamp, Batch.last_timestamp):
        bucket = case(*[(column < m_end, label) for label, _, _, m_end in months], else_="after").label("bucket")
        wanted = set(institution_ids)
        rows = session.exec(
            select(Batch.institution_id, bucket, func.count(), func.max(Batch.batch_index), func.max(Batch.block_number))
            .where(*among(Batch.institution_id, institution_ids), column >= start, column < end)
            .group_by(Batch.institution_id, bucket)).all()
        for institution, label, count, newest, block in rows:
            if institution in wanted:
                found[(institution, label)].append(f"{column.key[:1]}{count}.{newest}.{block}")
    return {k: "/".join(v) for k, v in found.items()}


@dataclass(frozen=True)
class MonthRow:
    """A cached month as read for aggregation (without its per-day series)."""

    node_id: int
    month: str
    batch_key: str
    activity_json: str
    kgco2e: str | None
    problem: str | None
    checked_block: int
    checked_hash: str


_MONTH_COLUMNS = (SupervisionMonth.node_id, SupervisionMonth.month, SupervisionMonth.batch_key,
                  SupervisionMonth.activity_json, SupervisionMonth.kgco2e, SupervisionMonth.problem,
                  SupervisionMonth.checked_block, SupervisionMonth.checked_hash)


def monthly_figures(session: Session, tree: OrgTree, boundaries: list[tuple[int, int]],
                    year: int) -> dict[int, list[MonthRow]]:
    """Each (node, institution) boundary's twelve months, recomputed from idx_daily_usage only where the
    institution's batch set for the month changed.

    Batch sets are compared only for institutions with a batch indexed after the block the cache was last
    confirmed at (`checked_block`, whose hash must still be in idx_blocks: otherwise a reorg or a rebuild may
    have happened and every set is compared), so a warm request costs one query on idx_batches' block index.
    """
    months = months_of(year)
    labels = [m[0] for m in months]
    node_ids = [node for node, _ in boundaries]
    cached: dict[int, dict[str, MonthRow]] = defaultdict(dict)
    wanted = set(node_ids)
    for row in session.exec(select(*_MONTH_COLUMNS).where(*among(SupervisionMonth.node_id, node_ids),
                                                          SupervisionMonth.month.in_(labels))).all():
        if row[0] in wanted:
            cached[row[0]][row[1]] = MonthRow(*row)
    cursor = session.get(Cursor, 1)
    head_block, head_hash = (cursor.block_number, cursor.block_hash or "") if cursor else (0, "")
    institutions = sorted({institution for _, institution in boundaries})
    incomplete = {institution for node, institution in boundaries if len(cached[node]) < len(labels)}
    oldest = min((r for rows in cached.values() for r in rows.values()), key=lambda r: r.checked_block, default=None)
    if oldest is None or not _still_on_chain(session, oldest.checked_block, oldest.checked_hash):
        suspects = set(institutions)
    else:
        suspects = incomplete | _anchored_since(session, institutions, oldest.checked_block)
    keys = batch_keys(session, sorted(suspects), year) if suspects else {}
    now, recomputed = int(time.time()), False
    for node_id, institution_id in boundaries:
        rows = cached[node_id]
        stale = [m for m in months if rows.get(m[0]) is None
                 or (institution_id in suspects and rows[m[0]].batch_key != keys.get((institution_id, m[0]), ""))]
        if not stale:
            continue
        activity = _monthly_activity(session, tree, node_id, institution_id, year)
        for label, period, _, _ in stale:
            amounts, days = activity.get(label, ({}, {}))
            kg, problem = _emissions(amounts, period)
            row = SupervisionMonth(
                node_id=node_id, month=label, batch_key=keys.get((institution_id, label), ""),
                activity_json=json.dumps({k: [canonical_decimal(v), u] for k, (v, u) in sorted(amounts.items())}),
                days_json=json.dumps({d: {k: canonical_decimal(v) for k, v in sorted(a.items())}
                                      for d, a in sorted(days.items())}),
                kgco2e=kg, problem=problem, computed_at=now, checked_block=head_block, checked_hash=head_hash)
            session.merge(row)
            rows[label] = MonthRow(node_id, label, row.batch_key, row.activity_json, kg, problem, head_block, head_hash)
        recomputed = True
    if oldest is None or oldest.checked_block != head_block:
        for i in range(0, len(node_ids), 900):  # rows of other nodes keep their own (older) confirmation
            session.exec(update(SupervisionMonth).where(SupervisionMonth.node_id.in_(node_ids[i:i + 900]),
                                                        SupervisionMonth.month.in_(labels))
                         .values(checked_block=head_block, checked_hash=head_hash))
        recomputed = True
    if recomputed:
        session.commit()
    return {node: [cached[node][label] for label in labels] for node in node_ids}


def _still_on_chain(session: Session, block: int, block_hash: str) -> bool:
    """True when the index still holds `block` with this hash (no reorg past it, no rebuild since)."""
    if block == 0:
        return False
    indexed = session.get(IndexedBlock, block)
    return indexed is not None and indexed.hash == block_hash


def _anchored_since(session: Session, institution_ids: list[int], block: int) -> set[int]:
    anchored = session.exec(select(Batch.institution_id).where(  # no DISTINCT: it steers SQLite off the block index
        Batch.block_number > block)).all()
    return set(anchored) & set(institution_ids)


def _emissions(amounts: dict[str, tuple[Decimal, str]], period: Period) -> tuple[str | None, str | None]:
    """The engine over the month's metered activity; a refusal (e.g. no factor for the period) is the problem."""
    if not amounts:
        return None, None
    try:
        result = account({k: Quantity(v, u) for k, (v, u) in amounts.items()}, METHODOLOGY, FACTORS, period)
    except AccountingError as exc:
        return None, str(exc)[:500]
    return canonical_decimal(result.total.value), None


def _monthly_activity(session: Session, tree: OrgTree, node_id: int, institution_id: int,
                      year: int) -> dict[str, tuple[dict[str, tuple[Decimal, str]], dict[str, dict[str, Decimal]]]]:
    """Month → (activity → (amount, unit), day → activity → amount): each cumulative meter's day is its last
    value minus the previous day's (the first day it reports: last minus first; a counter reset: the day's own
    growth), summed over the boundary's meters."""
    where = [DailyUsage.institution_id == institution_id, DailyUsage.quantity.in_(list(CUMULATIVE)),
             DailyUsage.day >= date(year - 1, 12, 1), DailyUsage.day <= date(year, 12, 31)]
    if node_id != institution_id:
        where.append(DailyUsage.scene_id.in_(subtree_ids(tree, node_id)))
    rows = session.exec(select(DailyUsage.device_id, DailyUsage.quantity, DailyUsage.unit, DailyUsage.day,
                               DailyUsage.first_value, DailyUsage.last_value)
                        .where(*where).order_by(DailyUsage.device_id, DailyUsage.quantity, DailyUsage.day)).all()
    out: dict[str, tuple[dict, dict]] = defaultdict(lambda: ({}, defaultdict(lambda: defaultdict(Decimal))))
    for quantity, unit, day, used in _daily_consumption(rows, year):
        totals, days = out[f"{year}-{day.month:02d}"]
        activity, unit_name = CUMULATIVE[quantity], str(unit_of(ReadingUnit(unit)))
        amount, _ = totals.get(activity, (Decimal(0), unit_name))
        totals[activity] = (amount + used, unit_name)
        days[day.isoformat()][activity] += used
    return out


def _daily_consumption(rows: Iterable[tuple], year: int) -> Iterable[tuple[int, int, date, Decimal]]:
    """(quantity, unit, day, consumption) of each meter-day of `year`, from rows ordered by meter and day."""
    previous: tuple[str, int, Decimal] | None = None
    for device, quantity, unit, day, first, last in rows:
        first, last = Decimal(first), Decimal(last)
        same_meter = previous is not None and previous[:2] == (device, quantity)
        used = last - previous[2] if same_meter and last >= previous[2] else last - first
        previous = (device, quantity, last)
        if day.year == year:
            yield quantity, unit, day, used

