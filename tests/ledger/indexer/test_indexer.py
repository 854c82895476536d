"""The index holds what the contracts emitted and what the evidence proves, and resumes where it stopped."""

from __future__ import annotations

import shutil
from collections import Counter
from decimal import Decimal

from sqlmodel import Session, select

from ledger.batch import decode_batch
from ledger.chain.clients import LedgerContracts
from ledger.chain.deployment import deploy_contracts
from ledger.indexer import Indexer, index_lag
from ledger.indexer.models import (
    AccountingResult,
    Batch,
    BatchDevice,
    CreditBalance,
    CreditIssuance,
    CreditRetirement,
    DailyUsage,
    Device,
    ExternalImport,
    MarketListing,
    OracleAuthorisation,
    OrgNode,
    RawEvent,
    Reading,
    ResultStatusChange,
    RetirementCertificate,
    Verifier,
)
from ledger.merkle import MerkleTree
from tests.oracles.conftest import START
from tests.ledger.indexer.conftest import evidence_file


def test_tree_devices_and_oracles_are_indexed(world, engine) -> None:
    world.indexer(engine).sync()
    with Session(engine) as s:
        nodes = {n.node_id: (n.parent_id, n.kind_name, n.depth, n.path, n.institution_id)
                 for n in s.exec(select(OrgNode)).all()}
        assert nodes == {
            1: (0, "region", 0, "/1/", None),
            2: (1, "region", 1, "/1/2/", None),
            3: (2, "region", 2, "/1/2/3/", None),
            4: (3, "institution", 3, "/1/2/3/4/", 4),
            5: (4, "building", 4, "/1/2/3/4/5/", 4),
            6: (5, "room", 5, "/1/2/3/4/5/6/", 4),
        }
        devices = {d.device_id: (d.institution_id, d.scene_id, d.status_name, d.key_count)
                   for d in s.exec(select(Device)).all()}
        assert devices == {
            "0x" + world.meters[0].device_id.hex(): (4, 5, "active", 1),
            "0x" + world.meters[1].device_id.hex(): (4, 5, "suspended", 1),
            "0x" + world.meters[2].device_id.hex(): (4, 6, "active", 1),
        }
        oracle = world.contracts.devices.chain.account.address
        assert [(o.institution_id, o.oracle, o.active) for o in s.exec(select(OracleAuthorisation)).all()] == \
            [(4, oracle, True)]
        verifier = world.verifier.accounting.chain.account.address
        assert [(v.region_id, v.account, v.active) for v in s.exec(select(Verifier)).all()] == [(3, verifier, True)]
        counts = Counter(f"{r.contract}.{r.event}" for r in s.exec(select(RawEvent)).all())
        assert (counts["OrganizationRegistry.NodeCreated"], counts["DeviceRegistry.DeviceRegistered"],
                counts["AttestationLedger.BatchAnchored"], counts["AccountingLedger.ResultSubmitted"]) == (6, 3, 2, 2)


def test_every_indexed_reading_proves_against_the_contract(world, engine) -> None:
    world.indexer(engine).sync()
    with Session(engine) as s:
        batches = s.exec(select(Batch).order_by(Batch.batch_index)).all()
        assert [(b.batch_index, b.reading_count, b.evidence_status) for b in batches] == [
            (1, 12, "loaded"), (2, 12, "loaded")]
        assert [b.root for b in batches] == ["0x" + a.root.hex() for a in world.anchors]
        assert batches[1].previous_root == batches[0].root
        for batch in batches:
            readings = s.exec(select(Reading).where(Reading.batch_root == batch.root).order_by(Reading.leaf_index)).all()
            assert len(readings) == 12
            tree = MerkleTree([bytes.fromhex(r.leaf[2:]) for r in readings])
            for r in readings:
                proof = tree.proof(r.leaf_index)
                assert world.contracts.attestations.verify_reading_bytes(
                    bytes.fromhex(batch.root[2:]), bytes.fromhex(r.payload[2:]), bytes.fromhex(r.signature[2:]), proof)
            evidence = decode_batch(world.evidence.cat(batch.evidence_cid))
            assert [(r.device_id, r.sequence, r.value) for r in readings] == [
                ("0x" + x.reading.device_id.hex(), x.reading.sequence, x.reading.decimal_value) for x in evidence.readings]
        device_sets = {(d.root, d.device_id): (d.reading_count, d.first_sequence, d.last_sequence)
                       for d in s.exec(select(BatchDevice)).all()}
        # readings go in (device, sequence) order: the first batch ends, the second starts, inside one meter's run
        assert sorted(device_sets.values()) == [(4, 1, 4), (4, 5, 8), (8, 1, 8), (8, 1, 8)]


def test_daily_usage_summarises_each_device_day(world, engine) -> None:
    world.indexer(engine).sync()
    with Session(engine) as s:
        days = s.exec(select(DailyUsage).order_by(DailyUsage.device_id)).all()
        readings = s.exec(select(Reading)).all()
    assert len(days) == 3
    for day in days:
        own = sorted((r.timestamp, r.value) for r in readings if r.device_id == day.device_id)
        assert str(day.day) == "2026-01-01"  # START is 08:00 on 1 January in China Standard Time
        # one reading every 15 minutes from START
        assert (day.reading_count, day.first_timestamp, day.last_timestamp) == (8, START + 900, START + 8 * 900)
        assert (day.first_value, day.last_value) == (own[0][1], own[-1][1])
        assert day.total == sum((v for _, v in own), Decimal(0))
        assert day.institution_id == 4 and day.scene_id in (5, 6)


def test_results_keep_their_status_history(world, engine) -> None:
    world.indexer(engine).sync()
    with Session(engine) as s:
        results = {r.result_id: (r.status_name, r.total, r.supersedes, r.superseded_by, r.restatement_reason,
                                 r.statement) for r in s.exec(select(AccountingResult)).all()}
        history = [(h.result_id, h.status_name) for h in s.exec(
            select(ResultStatusChange).order_by(ResultStatusChange.block_number, ResultStatusChange.log_index)).all()]
    assert results == {
        1: ("superseded", 547_488 + 4_656, 0, 2, "", "QmStatementOfVerification"),
        2: ("final", 547_000 + 4_656, 1, 0, "meter recalibrated", "QmStatementOfRestatement"),
    }
    # the restatement's approval emits ResultVerified, then ResultSuperseded for the old result
    assert history == [(1, "submitted"), (1, "final"), (2, "submitted"), (2, "final"), (1, "superseded")]


def test_credits_import_transfers_listing_and_retirement(world, engine) -> None:
    world.indexer(engine).sync()
    me = world.contracts.devices.chain.account.address
    other = world.verifier.accounting.chain.account.address
    with Session(engine) as s:
        issuance = s.exec(select(CreditIssuance)).one()
        assert (issuance.class_id, issuance.project_id, issuance.vintage, issuance.first_serial, issuance.last_serial,
                issuance.amount, issuance.recipient) == (1, 1, 2025, 1, 100, 100, me)
        imported = s.exec(select(ExternalImport)).one()
        assert (imported.token_id, imported.standard, imported.external_serial, imported.first_serial,
                imported.last_serial) == (issuance.token_id, "VCS", "VCS-4321-2025", 1, 100)
        balances = {(b.account, b.amount) for b in s.exec(select(CreditBalance)).all()}
        market = world.credits.market.contract.address
        assert balances == {(me, 85), (other, 10), (market, 0)}
        listing = s.exec(select(MarketListing)).one()
        assert (listing.amount, listing.remaining, listing.status) == (20, 0, "cancelled")
        retirement = s.exec(select(CreditRetirement)).one()
        assert (retirement.tonnes, retirement.ranges) == (
            5, [{"tokenId": issuance.token_id, "firstSerial": 1, "lastSerial": 5}])
        certificate = s.exec(select(RetirementCertificate)).one()
        assert (certificate.certificate_id, certificate.beneficiary, certificate.tonnes, certificate.reason) == (
            retirement.certificate_id, me, 5, "2025 office emissions")


def test_indexing_resumes_from_the_stored_cursor(world, engine) -> None:
    first = world.indexer(engine, range_blocks=7)
    report = first.sync()
    cursor = first.status().indexed
    assert len(report.steps) > 1 and report.readings == 24
    world.anchor(4)  # 2 active meters × 4 readings: one more batch of 8
    second = world.indexer(engine)  # a new process, the same database
    resumed = second.sync()
    assert resumed.steps[0].from_block == cursor + 1
    assert (resumed.readings, second.status().lag) == (8, 0)
    with Session(engine) as s:
        assert len(s.exec(select(Reading)).all()) == 32
        counts = sorted(d.reading_count for d in s.exec(select(DailyUsage)).all())
    assert counts == [8, 12, 12]  # the suspended feeder stopped; the others' day grew by 4 readings


def test_evidence_that_arrives_after_its_anchor_is_loaded_later(world, engine) -> None:
    path = evidence_file(world, world.anchors[1].evidence_cid)
    aside = path.with_suffix(".aside")
    shutil.move(path, aside)
    indexer = world.indexer(engine)
    assert indexer.sync().readings == 12
    with Session(engine) as s:
        late = s.get(Batch, "0x" + world.anchors[1].root.hex())
        assert late.evidence_status == "missing" and world.anchors[1].evidence_cid in late.evidence_detail
    shutil.move(aside, path)
    assert indexer.sync().readings == 12
    with Session(engine) as s:
        assert s.get(Batch, "0x" + world.anchors[1].root.hex()).evidence_status == "loaded"
        assert len(s.exec(select(Reading)).all()) == 24


def test_a_deployment_without_credit_contracts_indexes_the_core(chain, settings, compiled, engine) -> None:
    deployment = deploy_contracts(chain, credits=False)
    core = LedgerContracts.attach(chain, deployment)
    core.organizations.create_root(0, "Sichuan", chain.account.address)
    indexer = Indexer(chain, deployment, engine, world_evidence(settings))
    assert set(indexer.contracts.skipped) == {"CarbonCredit", "RetirementCertificate", "CreditMarket",
                                              "CertificationRegistry"}
    indexer.sync()
    with Session(engine) as s:
        assert [n.name for n in s.exec(select(OrgNode)).all()] == ["Sichuan"]


def world_evidence(settings):  # noqa: ANN001, ANN201
    from ledger.evidence import LocalEvidenceStore

    return LocalEvidenceStore(settings.evidence_path)


def test_lag_for_the_health_endpoint_counts_blocks_behind_the_head(world, engine) -> None:
    chain = world.contracts.devices.chain
    assert index_lag(engine, chain) is None  # nothing indexed yet (no tables either)
    world.indexer(engine).sync()
    assert index_lag(engine, chain) == 0
    world.contracts.devices.reactivate(world.meters[1].device_id, "feeder back")
    world.contracts.devices.suspend(world.meters[1].device_id, "feeder out again")
    assert index_lag(engine, chain) == 2


def test_following_picks_up_blocks_mined_while_it_runs(world, engine) -> None:
    indexer = world.indexer(engine)
    polls = []

    def should_stop() -> bool:  # called before each poll: the chain moves on between polls
        polls.append(indexer.status().indexed)
        if len(polls) == 2:
            world.contracts.devices.reactivate(world.meters[1].device_id, "feeder back")
        return len(polls) == 4

    indexer.follow(poll_seconds=0.01, should_stop=should_stop)
    assert polls[1] == polls[2] - 1 == world.contracts.devices.chain.w3.eth.block_number - 1
    with Session(engine) as s:
        assert s.get(Device, "0x" + world.meters[1].device_id.hex()).status_name == "active"
