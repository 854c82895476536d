"""Metered accounting counts a batch anchored under a k-of-n quorum only once its approvals are on chain,
and names the batches it left out (real anvil, real contracts, real signatures)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from eth_account import Account

from ledger.accounting.errors import NoActivityData
from ledger.accounting.metered import collect_points, metered_activity, period_bounds
from ledger.accounting.quantities import Quantity
from ledger.chain.devchain import DEV_PRIVATE_KEYS
from ledger.encoding import Quantity as Measured, Reading, Unit
from ledger.signing import sign_reading
from oracles.approvals import approve_if_rederived
from tests.ledger.accounting.test_metered import DAY, HOUR, START, kwh_meter  # noqa: F401  (kwh_meter: a fixture)
from tests.oracles.conftest import node  # noqa: F401  (node: a fixture)

CO_SIGNERS = [Account.from_key(DEV_PRIVATE_KEYS[i]) for i in (1, 3)]


def _signed(meter, hours: range):
    """Cumulative kWh rising 10 kWh an hour from 1000 kWh at the day's start, sequence = hour + 10."""
    return [sign_reading(Reading(meter.device_id, h + 10, START + h * HOUR, Measured.ACTIVE_ENERGY_IMPORT, Unit.KWH, -3,
                                 (1000 + 10 * h) * 1000), meter.key) for h in hours]


def _anchor(node, readings) -> bytes:
    report = node.ingest((f"t:{i}", r) for i, r in enumerate(readings))
    assert report.accepted == len(readings)
    [anchor] = node.flush()
    return anchor.root


def _activity(contracts, node, tree):
    series, roots = collect_points(contracts, node.evidence, tree.institution, *period_bounds(DAY))
    return metered_activity(tree.institution, DAY, series, roots)


def test_a_batch_awaiting_its_quorum_is_left_out_and_reported(contracts, tree, node, kwh_meter) -> None:
    before = _anchor(node, _signed(kwh_meter, range(-2, 13)))  # 00:00-12:00 anchored before any quorum: counts
    for signer in CO_SIGNERS:
        contracts.devices.authorize_oracle(tree.institution, signer.address)
    contracts.attestations.set_quorum(tree.institution, 2, [s.address for s in CO_SIGNERS])
    waiting = _anchor(node, _signed(kwh_meter, range(13, 27)))  # 12:00-24:00 and after: awaits 2 approvals

    activity = _activity(contracts, node, tree)
    assert activity.batch_roots == (before,)
    assert activity.awaiting_approvals == (waiting,)
    assert activity.totals == {"electricity.grid": Quantity(Decimal("120.000"), "kWh")}  # only up to reading 12:00

    ledger = contracts.attestations
    for signer in CO_SIGNERS:
        approval = approve_if_rederived(ledger, node.evidence, signer, waiting)
        ledger.approve_batch(waiting, [approval.oracle], [approval.signature])
    approved = _activity(contracts, node, tree)
    assert approved.batch_roots == tuple(sorted((before, waiting)))
    assert approved.awaiting_approvals == ()
    assert approved.totals == {"electricity.grid": Quantity(Decimal("240.000"), "kWh")}


def test_a_period_whose_only_batch_awaits_approvals_says_so(contracts, tree, node, kwh_meter) -> None:
    for signer in CO_SIGNERS:
        contracts.devices.authorize_oracle(tree.institution, signer.address)
    contracts.attestations.set_quorum(tree.institution, 2, [s.address for s in CO_SIGNERS])
    _anchor(node, _signed(kwh_meter, range(-2, 27)))
    with pytest.raises(NoActivityData, match=r"no anchored readings cover it \(1 anchored batches still await"):
        _activity(contracts, node, tree)
