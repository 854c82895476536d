"""`zcl credits`, `zcl market` and `zcl retire` as their users drive them: each party with its own
key, every command printing its transaction and the resulting state, attacks refused with the
contract's error name (exit 3), bad input refused before any transaction (exit 2)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.ledger.credit_world import CID, SAVINGS_2024, START_2024, START_2025, CreditWorld, Party
from zcl.credit_args import format_units, parse_price
from zcl.main import app

runner = CliRunner()
MEETING = "0x" + "11" * 32


@pytest.fixture
def world(anvil, contracts, deployment, tree, settings, tmp_path, monkeypatch) -> CreditWorld:
    monkeypatch.setenv("ZCL_RPC_URL", settings.rpc_url)
    monkeypatch.setenv("ZCL_DATA_DIR", str(settings.data_dir))
    return CreditWorld(contracts, deployment, tree, anvil.rpc_url, tmp_path / "parties")


def run(party: Party, *args: str, code: int = 0) -> str:
    """Invoke `zcl ARGS` signed by `party`; assert the exit code; return stdout + stderr."""
    result = runner.invoke(app, list(args), env={"ZCL_PRIVATE_KEY": party.key})
    party.chain.resync()  # the CLI used the key with its own connection
    assert result.exit_code == code, result.output
    return result.output


def issued_60_of_100(world: CreditWorld) -> None:
    run(world.verifier, "credits", "verify", "1", "--vintage", "2024", "--tonnes", "100", "--evidence", CID,
        "--id", "own-2024", "--result", str(world.own_savings))
    run(world.issuer, "credits", "issue", "own-2024", "60", "--to", world.holder.address)


def test_issue_list_buy_partially_and_retire_a_batch_through_the_cli(world: CreditWorld, tmp_path) -> None:
    out = run(world.verifier, "credits", "verify", "1", "--vintage", "2024", "--tonnes", "100", "--evidence", CID,
              "--id", "own-2024", "--result", str(world.own_savings))
    assert "approved: tx 0x" in out and "100 t verified, 100 t issuable" in out
    out = run(world.issuer, "credits", "issue", "own-2024", "60", "--to", world.holder.address)
    assert "issued 60 t of 1/1/2024" in out and "serials 1–60" in out and "60 / 0 / 60" in out

    out = run(world.holder, "market", "list", "1/1/2024", "40", "--price", "130")
    assert "market approved as operator" in out and "listing 1 opened: tx 0x" in out
    assert "│ 1       │ 1/1/2024 │ 40" in out and "130.000000" in out
    out = run(world.buyer, "market", "buy", "1", "15")
    assert "market allowed to take the payment" in out
    assert f"bought 15 t of 1/1/2024 from {world.holder.address} for 1,950.000000 ZSET" in out
    assert "listing 1: 25 t left; you hold 15 t" in out

    batch = tmp_path / "retire.txt"
    batch.write_text("# meeting offsets\n1/1/2024 5\n1/1/2024:10  # the rest\n")
    out = run(world.buyer, "retire", "--file", str(batch), "--reason", "Meeting 2024-06-01",
              "--from", "2024-06-01T09:00", "--to", "2024-06-01T12:00", "--claim-kind", "meeting",
              "--claim-id", MEETING, "--beneficiary", world.holder.address)
    assert f"retired 15 t in 2 range(s); certificate 1 minted to {world.holder.address}: tx 0x" in out
    assert "1–5" in out and "6–15" in out and "2024-06-01 09:00:00 +08:00 – 2024-06-01 12:00:00 +08:00" in out

    out = run(world.outsider, "credits", "certificate", "1")
    assert world.holder.address in out and world.buyer.address in out and "1/1/2024 #1–5; 1/1/2024 #6–15" in out
    assert "ranges match the on-chain hash │ yes" in out
    data = json.loads(run(world.outsider, "credits", "certificate", "1", "--json"))
    assert data["period"] == [1_717_203_600, 1_717_214_400]  # 2024-06-01 01:00 and 04:00 UTC: read as Beijing time
    assert (data["tonnes"], data["claim_kind"], data["ranges"]) == (15, "meeting", [[2**128 + 2**64 + 2024, 1, 5],
                                                                                    [2**128 + 2**64 + 2024, 6, 15]])

    out = run(world.outsider, "credits", "show", "1/1/2024")
    assert "60 / 15 / 45" in out and "1–15" in out and "1–60" in out  # supply, retired serials, the batch
    assert json.loads(run(world.buyer, "credits", "balance", "--json"))["balances"] == {}
    out = run(world.holder, "market", "cancel", "1")
    assert "listing 1 cancelled, 25 t returned" in out and "closed" in out
    out = run(world.holder, "credits", "balance")
    assert "1/1/2024" in out and "45" in out


def test_single_retirement_and_transfer(world: CreditWorld) -> None:
    issued_60_of_100(world)
    out = run(world.holder, "credits", "transfer", "1/1/2024", "10", world.buyer.address)
    assert f"balances now: {world.holder.address} 50 t; {world.buyer.address} 10 t" in out
    out = run(world.buyer, "retire", "--range", "1/1/2024:4", "--reason", "voluntary", "--from", "2024-01-01",
              "--to", "2025-01-01")
    assert f"retired 4 t in 1 range(s); certificate 1 minted to {world.buyer.address}" in out and "1–4" in out
    period = json.loads(run(world.outsider, "credits", "certificate", "1", "--json"))["period"]
    assert period == [START_2024, START_2025] == list(SAVINGS_2024)  # the CST year 2024, as results count it


def test_external_credits_are_imported_once(world: CreditWorld) -> None:
    run(world.verifier, "credits", "verify", "2", "--vintage", "2024", "--tonnes", "50", "--evidence", CID, "--id", "a")
    run(world.verifier, "credits", "verify", "2", "--vintage", "2024", "--tonnes", "50", "--evidence", CID, "--id", "b")
    out = run(world.issuer, "credits", "import-external", "a", "50", "--serial", "VCS-4321-1-50", "--to",
              world.holder.address)
    assert "external serial 'VCS-4321-1-50' recorded" in out and "serials 1–50" in out
    out = run(world.issuer, "credits", "import-external", "b", "50", "--serial", "VCS-4321-1-50", "--to",
              world.holder.address, code=3)
    assert "ExternalSerialAlreadyImported('VCS', 'VCS-4321-1-50')" in out


# --- attacks: the chain refuses, exit 3 with the error's name ---------------------------------


def test_retiring_more_than_owned_is_refused(world: CreditWorld) -> None:
    issued_60_of_100(world)
    out = run(world.holder, "retire", "--range", "1/1/2024:61", "--reason", "x", "--from", "2024-01-01",
              "--to", "2025-01-01", code=3)
    assert f"ERC1155InsufficientBalance('{world.holder.address}', 60, 61, {2**128 + 2**64 + 2024})" in out


def test_a_serial_is_not_retired_twice_and_a_claim_not_backed_twice(world: CreditWorld) -> None:
    issued_60_of_100(world)
    args = ("retire", "--range", "1/1/2024:30", "--reason", "m", "--from", "2024-06-01", "--to", "2024-06-02",
            "--claim-kind", "meeting", "--claim-id", MEETING)
    assert "1–30" in run(world.holder, *args)
    out = run(world.holder, *args, code=3)
    assert f"ClaimAlreadyBacked(2, 0x{'11' * 32}, '{world.holder.address}', 1)" in out
    out = run(world.holder, "retire", "--range", "1/1/2024:30", "--reason", "rest", "--from", "2024-06-01",
              "--to", "2024-06-02")
    assert "31–60" in out  # never serials 1–30 again
    out = run(world.holder, "retire", "--range", "1/1/2024:1", "--reason", "more", "--from", "2024-06-01",
              "--to", "2024-06-02", code=3)
    assert "ERC1155InsufficientBalance" in out


def test_issuing_beyond_verified_savings_is_refused(world: CreditWorld) -> None:
    issued_60_of_100(world)
    out = run(world.issuer, "credits", "issue", "own-2024", "41", "--to", world.holder.address, code=3)
    assert "IssuanceExceedsVerifiedSavings(1, 41, 40)" in out


# --- bad input: refused before any transaction, exit 2 -----------------------------------------


@pytest.mark.parametrize("args, message", [
    (("credits", "show", "1/x/2024"), "is not a token id"),
    (("credits", "transfer", "1/1/2024", "0", "0x" + "00" * 20), "amount must be at least 1 tonne"),
    (("credits", "transfer", "1/1/2024", "1", "0x1234"), "recipient must be a 0x-prefixed 20-byte address"),
    (("market", "list", "1/1/2024", "1", "--price", "1.0000001"), "at most 6 decimals"),
    (("market", "list", "1/1/2024", "1", "--price", "cheap"), "price must be a decimal number"),
    (("market", "list", "1/1/2024", "1", "--price", "-5"), "price must be a positive number"),
    (("retire", "--reason", "r", "--from", "2024-01-01", "--to", "2025-01-01"), "nothing to retire"),
    (("retire", "--range", "1/1/2024:1", "--reason", "r", "--from", "2025-01-01", "--to", "2024-01-01"),
     "the period [--from, --to) is empty"),
    (("retire", "--range", "1/1/2024:1", "--reason", "r", "--from", "2024-01-01", "--to", "2025-01-01",
      "--claim-kind", "meeting"), "needs --claim-id"),
    (("retire", "--range", "1/1/2024", "--reason", "r", "--from", "2024-01-01", "--to", "2025-01-01"),
     "--range must be TOKEN:AMOUNT"),
    (("retire", "--range", "1/1/2024:1", "--reason", "r", "--from", "new year", "--to", "2025-01-01"),
     "--from must be an ISO date (2024-01-01), date-time or unix seconds (dates are China Standard Time (UTC+08:00) "
     "unless an offset is given): 'new year' is not an ISO 8601 date or date-time"),
    (("retire", "--range", "1/1/2024:1", "--reason", "r", "--from", "2024-01-01", "--to", "2024-13-01"),
     "'2024-13-01' is not an ISO 8601 date or date-time"),
    (("retire", "--range", "1/1/2024:1", "--reason", "r", "--from", "2024-01-01T00:00:00.5", "--to", "2025-01-01"),
     "has fractions of a second"),
    (("retire", "--range", "1/1/2024:1", "--reason", "r", "--from", "1969-12-31", "--to", "2025-01-01"),
     "'1969-12-31' is before 1970-01-01T00:00:00Z"),
    (("credits", "grant", "king", "0x" + "00" * 20), "role must be one of verifier, issuer"),
])
def test_bad_input_exits_2_with_a_reason(world: CreditWorld, args, message) -> None:
    assert message in run(world.holder, *args, code=2)


def test_buying_more_than_is_left_is_refused_before_sending(world: CreditWorld) -> None:
    issued_60_of_100(world)
    run(world.holder, "market", "list", "1/1/2024", "10", "--price", "130")
    assert "listing 1 has 10 t left; cannot buy 11" in run(world.buyer, "market", "buy", "1", "11", code=2)
    assert "NotSeller(1, " in run(world.buyer, "market", "cancel", "1", code=3)
    run(world.holder, "market", "cancel", "1")
    assert "listing 1 is closed (filled or cancelled)" in run(world.buyer, "market", "buy", "1", "1", code=2)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**30), st.integers(0, 18))
def test_prices_round_trip_exactly_through_their_decimal_text(units: int, decimals: int) -> None:
    """Money is never a float: what the CLI prints parses back to the same smallest units."""
    assert parse_price(format_units(units, decimals).replace(",", ""), decimals) == units
