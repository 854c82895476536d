"""Blocks that disappear from the chain disappear from the index (a real anvil reorg via evm_snapshot/evm_revert)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from ledger.chain.codes import DeviceStatus
from ledger.indexer import IndexerError
from ledger.indexer.check import check_index
from ledger.indexer.models import Batch, DailyUsage, Device, RawEvent, Reading
from oracles.simulator import device_id_for
from tests.ledger.indexer.conftest import dump_tables


def _rpc(world, method: str, *params: object) -> object:
    return world.contracts.devices.chain.w3.provider.make_request(method, list(params))["result"]


def _fork_away(world) -> tuple[str, int]:
    """Snapshot, then a third batch and the feeder's reactivation: the blocks the reorg will drop."""
    snapshot = _rpc(world, "evm_snapshot")
    world.anchor(4)
    world.contracts.devices.reactivate(world.meters[1].device_id, "feeder back")
    return snapshot, world.contracts.devices.chain.w3.eth.block_number


def _other_branch(world, snapshot: str, blocks: int) -> bytes:
    """Revert to the snapshot and build a different branch: a new device, then `blocks` empty blocks."""
    assert _rpc(world, "evm_revert", snapshot) is True
    world.contracts.devices.chain.resync()  # the reverted transactions' nonces are free again
    device_id = device_id_for("ix-branch-meter")
    world.contracts.devices.register_device(device_id, world.tree.building, 1, 2, b"\x11" * 32)
    if blocks:
        _rpc(world, "anvil_mine", hex(blocks))
    return device_id


@pytest.mark.parametrize("longer", [True, False], ids=["longer-branch", "shorter-branch"])
def test_a_reorg_rolls_back_the_dropped_blocks_and_indexes_the_new_branch(world, engine, longer) -> None:
    indexer = world.indexer(engine)
    indexer.sync()
    snapshot, old_head = _fork_away(world)
    indexer.sync()
    with Session(engine) as s:
        assert len(s.exec(select(Batch)).all()) == 3
        assert s.get(Device, "0x" + world.meters[1].device_id.hex()).status == DeviceStatus.ACTIVE
    branch_device = _other_branch(world, snapshot, blocks=10 if longer else 0)
    new_head = world.contracts.devices.chain.w3.eth.block_number
    assert (new_head > old_head) == longer

    report = indexer.sync()

    assert len(report.reorgs) == 1 and report.reorgs[0] <= new_head
    with Session(engine) as s:
        assert len(s.exec(select(Batch)).all()) == 2
        assert len(s.exec(select(Reading)).all()) == 24
        assert sorted(d.reading_count for d in s.exec(select(DailyUsage)).all()) == [8, 8, 8]
        assert s.get(Device, "0x" + world.meters[1].device_id.hex()).status == DeviceStatus.SUSPENDED
        assert s.get(Device, "0x" + branch_device.hex()) is not None
        assert max(r.block_number for r in s.exec(select(RawEvent)).all()) <= new_head
    assert indexer.status().indexed == new_head
    assert check_index(indexer).ok
    live = dump_tables(engine)
    indexer.rebuild()
    assert dump_tables(engine) == live


def test_a_reorg_deeper_than_the_compared_window_asks_for_a_rebuild(world, engine) -> None:
    snapshot, _ = _fork_away(world)  # two blocks with events, both dropped below
    indexer = world.indexer(engine, reorg_window=2)
    indexer.sync()
    _other_branch(world, snapshot, blocks=3)
    with pytest.raises(IndexerError, match="zcl index --rebuild"):
        indexer.sync()
