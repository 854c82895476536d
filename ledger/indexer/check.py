"""`zcl index --check`: does the database still say what the chain and the evidence say?

Up to the indexed block it compares (1) every stored raw event with the chain's log, per event type;
(2) every state table with a replay of those events into a scratch database; (3) every batch with
the contract's record of its root; (4) every reading with its leaf, the leaves with the anchored
root, and the rows with a fresh decoding of the evidence file; (5) the daily figures with the
readings. Nothing in the database is trusted; each difference is reported as a Drift.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import insert
from sqlmodel import Session, select

from ledger.chain.clients import AttestationLedgerClient
from ledger.indexer.db import open_engine
from ledger.indexer.evidence_rows import LOADED, daily_row, day_of, derive_batch
from ledger.indexer.follower import Indexer, replay_state
from ledger.indexer.models import STATE_TABLES, Batch, BatchDevice, DailyUsage, Device, IndexTable, RawEvent, Reading
from ledger.merkle import MerkleTree, reading_leaf
from ledger.signing import SignedReading

MAX_DRIFT_PER_SUBJECT = 5


@dataclass(frozen=True)
class Drift:
    check: str  # events | state | batch | readings | evidence | daily
    subject: str
    expected: str  # what the chain / evidence / a replay says
    found: str  # what the database holds


@dataclass
class CheckReport:
    indexed_block: int
    event_counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # "Contract.Event" → (chain, database)
    batches: int = 0
    readings: int = 0
    drift: list[Drift] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.drift


def check_index(indexer: Indexer, progress: Callable[[str], None] | None = None) -> CheckReport:
    """Compare the index with the chain and the evidence up to its cursor."""
    say = progress or (lambda _: None)
    with Session(indexer.engine) as session:
        cursor = indexer._cursor(session)
        report = CheckReport(cursor.block_number)
        say("raw events against the chain")
        _check_events(indexer, session, report)
        say("state tables against a replay of the events")
        _check_state(session, report)
        say("batches against the contract, readings against roots and evidence")
        _check_batches(indexer, session, report)
        say("daily figures against the readings")
        _check_daily(session, report)
    return report


def _check_events(indexer: Indexer, session: Session, report: CheckReport) -> None:
    chain_events: dict[tuple[int, int], tuple] = {}
    start = indexer.deployment.start_block
    while start <= report.indexed_block:
        end = min(report.indexed_block, start + indexer.range_blocks - 1)
        for e in indexer.contracts.fetch(indexer.chain, start, end):
            chain_events[(e.block_number, e.log_index)] = (e.contract, e.event, e.block_hash, e.transaction_hash, e.args)
        start = end + 1
    stored = {(r.block_number, r.log_index): (r.contract, r.event, r.block_hash, r.transaction_hash, r.args)
              for r in session.exec(select(RawEvent)).all()}
    chain_counts = Counter(f"{v[0]}.{v[1]}" for v in chain_events.values())
    db_counts = Counter(f"{v[0]}.{v[1]}" for v in stored.values())
    for name in sorted(chain_counts | db_counts):
        report.event_counts[name] = (chain_counts[name], db_counts[name])
    per_subject: Counter = Counter()
    for key in sorted(chain_events.keys() | stored.keys()):
        expected, found = chain_events.get(key), stored.get(key)
        if expected == found:
            continue
        subject = f"{(expected or found)[0]}.{(expected or found)[1]}"
        per_subject[subject] += 1
        if per_subject[subject] <= MAX_DRIFT_PER_SUBJECT:
            report.drift.append(Drift("events", f"{subject} at block {key[0]} log {key[1]}",
                                      _event_text(expected, found), _event_text(found, expected)))


def _check_state(session: Session, report: CheckReport) -> None:
    scratch = open_engine("sqlite://")
    IndexTable.metadata.create_all(scratch)
    raw = [r.model_dump() for r in session.exec(select(RawEvent)).all()]
    with Session(scratch) as replayed:
        if raw:
            replayed.execute(insert(RawEvent), raw)
        replay_state(replayed)
        replayed.commit()
        for model in STATE_TABLES:
            _compare_rows(report, "state", model, _rows(replayed, model), _rows(session, model))
    scratch.dispose()


def _check_batches(indexer: Indexer, session: Session, report: CheckReport) -> None:
    attestations = AttestationLedgerClient(indexer.chain, indexer.deployment)
    anchored = {r.args["root"]: r for r in session.exec(select(RawEvent).where(
        RawEvent.contract == "AttestationLedger", RawEvent.event == "BatchAnchored")).all()}
    batches = {b.root: b for b in session.exec(select(Batch)).all()}
    for root in sorted(anchored.keys() - batches.keys()):
        report.drift.append(Drift("batch", f"batch {root}", "anchored", "absent from idx_batches"))
    for root, batch in sorted(batches.items()):
        report.batches += 1
        event = anchored.get(root)
        if event is None:
            report.drift.append(Drift("batch", f"batch {root}", "no BatchAnchored event", "in idx_batches"))
            continue
        a = event.args
        expected = (a["institutionId"], a["index"], a["readingCount"], a["firstTimestamp"], a["lastTimestamp"],
                    a["evidenceCid"], a["previousRoot"], a["oracle"], event.block_number, event.transaction_hash)
        found = (batch.institution_id, batch.batch_index, batch.reading_count, batch.first_timestamp,
                 batch.last_timestamp, batch.evidence_cid, batch.previous_root, batch.oracle, batch.block_number,
                 batch.transaction_hash)
        if expected != found:
            report.drift.append(Drift("batch", f"batch {root}", str(expected), str(found)))
        record = attestations.batch(bytes.fromhex(root[2:]))
        on_chain = (record.institution_id, record.index, record.reading_count, record.first_timestamp,
                    record.last_timestamp)
        if on_chain != expected[:5]:
            report.drift.append(Drift("batch", f"batch {root}", f"contract stores {on_chain}", str(found[:5])))
        _check_readings(indexer, session, batch, report)


def _check_readings(indexer: Indexer, session: Session, batch: Batch, report: CheckReport) -> None:
    rows = session.exec(select(Reading).where(Reading.batch_root == batch.root).order_by(Reading.leaf_index)).all()
    report.readings += len(rows)
    subject = f"batch {batch.root}"
    derived = derive_batch(batch.root, batch.institution_id, batch.evidence_cid, batch.block_number, indexer.evidence)
    if derived.status != LOADED:
        report.drift.append(Drift("evidence", subject, f"evidence {batch.evidence_cid} re-derives the root",
                                  f"{derived.status}: {derived.detail}"))
    elif batch.evidence_status != LOADED:
        report.drift.append(Drift("evidence", subject, "evidence loaded", f"{batch.evidence_status}"))
    if rows:
        leaves = []
        for row in rows:
            leaf = reading_leaf(SignedReading(bytes.fromhex(row.payload[2:]), bytes.fromhex(row.signature[2:])))
            if "0x" + leaf.hex() != row.leaf:
                report.drift.append(Drift("readings", f"{subject} leaf {row.leaf_index}",
                                          f"leaf 0x{leaf.hex()} of its payload and signature", row.leaf))
            leaves.append(bytes.fromhex(row.leaf[2:]))
        root = "0x" + MerkleTree(leaves).root.hex()
        if root != batch.root:
            report.drift.append(Drift("readings", subject, "stored leaves give the anchored root", root))
    if derived.status == LOADED:
        expected = [tuple(sorted(r.items())) for r in derived.readings]
        found = [tuple(sorted(_row_dict(r).items())) for r in rows]
        if expected != found:
            first = next((i for i, (x, y) in enumerate(zip(expected, found)) if x != y), min(len(expected), len(found)))
            report.drift.append(Drift("readings", f"{subject} leaf {first}",
                                      f"{len(expected)} readings as in evidence {batch.evidence_cid}",
                                      f"{len(found)} readings; leaf {first} differs"))
        devices = sorted(tuple(sorted(d.items())) for d in derived.devices)
        stored = sorted(tuple(sorted(_row_dict(d).items())) for d in session.exec(
            select(BatchDevice).where(BatchDevice.root == batch.root)).all())
        if devices != stored:
            report.drift.append(Drift("readings", f"{subject} device set", str(len(devices)), str(len(stored))))


def _check_daily(session: Session, report: CheckReport) -> None:
    devices = {d.device_id: d for d in session.exec(select(Device)).all()}
    groups: dict[tuple, list] = {}
    for r in session.exec(select(Reading.device_id, Reading.quantity, Reading.timestamp, Reading.sequence,
                                 Reading.unit, Reading.value)).all():
        groups.setdefault((r[0], day_of(r[2]), r[1]), []).append((r[2], r[3], r[4], r[5]))
    expected = []
    for (device_id, day, quantity), readings in groups.items():
        device = devices.get(device_id)
        expected.append(daily_row(device_id, day, quantity, device.institution_id if device else 0,
                                  device.scene_id if device else 0, readings))
    found = [row.model_dump() for row in session.exec(select(DailyUsage)).all()]
    unknown = {(r["device_id"], r["day"], r["quantity"]) for r in found if r["regular"] is None}
    for row in expected:  # NULL `regular` (a row from before migration 0003) is "unknown", always safe: not drift
        if (row["device_id"], row["day"], row["quantity"]) in unknown:
            row["regular"] = None
    expected_rows = sorted(tuple(sorted(DailyUsage(**row).model_dump().items())) for row in expected)
    found_rows = sorted(tuple(sorted(row.items())) for row in found)
    _compare_sorted(report, "daily", "idx_daily_usage", expected_rows, found_rows)


def _rows(session: Session, model: type) -> list[tuple]:
    keys = [c.name for c in sa_inspect(model).primary_key]
    rows = session.exec(select(model).order_by(*[getattr(model, k) for k in keys])).all()
    return [tuple((k, _freeze(v)) for k, v in sorted(r.model_dump().items())) for r in rows]


def _freeze(value: object) -> object:
    """JSON columns as canonical text, so rows can be compared and hashed."""
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


def _compare_rows(report: CheckReport, check: str, model: type, expected: list[tuple], found: list[tuple]) -> None:
    _compare_sorted(report, check, model.__tablename__, expected, found)


def _compare_sorted(report: CheckReport, check: str, table: str, expected: list[tuple], found: list[tuple]) -> None:
    if expected == found:
        return
    expected_set, found_set = set(expected), set(found)
    missing = [r for r in expected if r not in found_set]
    extra = [r for r in found if r not in expected_set]
    for row in (missing + extra)[:MAX_DRIFT_PER_SUBJECT]:
        in_expected = row in missing
        report.drift.append(Drift(check, f"{table}: {len(missing)} row(s) expected, {len(extra)} unexpected",
                                  _short(dict(row)) if in_expected else "absent",
                                  "absent" if in_expected else _short(dict(row))))


def _event_text(event: tuple | None, other: tuple | None) -> str:
    """An event as (contract, event, block hash, tx hash, args), showing only the parts that differ from `other`."""
    if event is None:
        return "absent"
    labels = ("contract", "event", "block hash", "transaction", "args")
    if other is None:
        return _short(f"{event[0]}.{event[1]} tx {event[3]} {json.dumps(event[4], sort_keys=True)}")
    parts = [f"{label} {json.dumps(a, sort_keys=True) if label == 'args' else a}"
             for label, a, b in zip(labels, event, other) if a != b]
    return _short("; ".join(parts))


def _row_dict(row: object) -> dict:
    return row.model_dump()


def _short(value: object, limit: int = 160) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
