"""`zcl credits verify --result` and `zcl credits savings`: the institution's own credits are verified
against its Final Savings result, and the chain refuses tonnes beyond its savings."""

from __future__ import annotations

import pytest

from tests.ledger.credit_world import CID, SAVINGS_2025, CreditWorld
from tests.zcl.test_credits_cli import run


@pytest.fixture
def world(anvil, contracts, deployment, tree, settings, tmp_path, monkeypatch) -> CreditWorld:
    monkeypatch.setenv("ZCL_RPC_URL", settings.rpc_url)
    monkeypatch.setenv("ZCL_DATA_DIR", str(settings.data_dir))
    return CreditWorld(contracts, deployment, tree, anvil.rpc_url, tmp_path / "parties")


def test_verify_cites_the_savings_result_and_shows_what_is_left(world: CreditWorld) -> None:
    savings = world.savings_result(120, *SAVINGS_2025)
    out = run(world.verifier, "credits", "verify", "1", "--vintage", "2025", "--tonnes", "100", "--evidence", CID,
              "--id", "own-2025", "--result", str(savings))
    assert "100 t verified, 100 t issuable" in out
    assert f"savings result {savings}: 120 t saved, 100 t verified, 20 t left" in out
    assert f"savings result {savings}: 120 t saved, 100 t verified, 20 t left" in run(
        world.outsider, "credits", "savings", str(savings))


def test_verifying_beyond_the_savings_is_refused_with_the_figures(world: CreditWorld) -> None:
    savings = world.savings_result(120, *SAVINGS_2025)
    out = run(world.verifier, "credits", "verify", "1", "--vintage", "2025", "--tonnes", "121", "--evidence", CID,
              "--result", str(savings), code=3)
    assert f"VerifiedTonnesExceedSavings({savings}, 121, 120)" in out


def test_the_institutions_own_credits_need_a_result(world: CreditWorld) -> None:
    out = run(world.verifier, "credits", "verify", "1", "--vintage", "2025", "--tonnes", "1", "--evidence", CID, code=3)
    assert "SavingsResultRequired(1)" in out


def test_an_emissions_result_is_not_savings(world: CreditWorld) -> None:
    baseline, _ = world.final_results()
    out = run(world.verifier, "credits", "verify", "1", "--vintage", "2023", "--tonnes", "1", "--evidence", CID,
              "--result", str(baseline), code=3)
    assert f"NotSavingsResult({baseline})" in out
