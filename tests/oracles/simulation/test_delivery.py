"""The simulated compound reaching a real oracle over each protocol: the same readings, all anchored."""

from __future__ import annotations

import pytest

from oracles.simulation.delivery import Protocol, deliver_direct, deliver_modbus, deliver_mqtt
from tests.oracles.conftest import make_node
from tests.oracles.drivers.conftest import SIM_START, register_identities

COLLECTORS = ("c5", "c6")  # the plant room and the garage: 36 devices, enough for every device kind


@pytest.fixture
def site(contracts, tree, tmp_path, fleet):
    register_identities(contracts, tree.building,
                        [i for i in fleet.identities.values() if i.device.collector in COLLECTORS])
    steps = [[r for r in step if r.collector in COLLECTORS]
             for step in fleet.readings(fleet.series(SIM_START + 3600, start=SIM_START))]
    node = make_node(contracts, tree.institution, tmp_path / "oracle", batch_size=50)
    yield node, steps
    node.spool.close()


def _check(stats, node, steps, contracts) -> None:
    sent = sum(len(s) for s in steps)
    assert (stats.steps, stats.sent, stats.report.accepted, stats.report.rejected, stats.errors) == (4, sent, sent, [], [])
    anchors = node.flush()
    assert sum(a.reading_count for a in anchors) == sent == 144
    assert all(contracts.attestations.is_anchored(a.root) for a in anchors)


def test_direct_delivery_accepts_every_reading(site, contracts) -> None:
    node, steps = site
    progress = []
    stats = deliver_direct(steps, node, progress.append)
    assert stats.protocol == Protocol.DIRECT and progress == [36] * 4
    _check(stats, node, steps, contracts)


def test_modbus_delivery_polls_every_reading_from_the_collectors(site, contracts, fleet) -> None:
    node, steps = site
    stats = deliver_modbus(steps, node, fleet.compound)
    assert len(stats.cycle_seconds) == 4
    print(f"\nModbus poll cycles over all 6 collectors (170 units, 36 registered): "
          f"{', '.join(f'{s * 1000:.0f} ms' for s in stats.cycle_seconds)}")
    _check(stats, node, steps, contracts)


def test_mqtt_delivery_carries_every_reading_through_the_broker(site, contracts, broker, unique, tree) -> None:
    node, steps = site
    stats = deliver_mqtt(steps, node, tree.institution, broker, client_id=f"oracle-{unique}", session_expiry=120)
    _check(stats, node, steps, contracts)
