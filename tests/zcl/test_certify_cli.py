"""`zcl certify` as applicants and regulators drive it: apply → district → city → province →
certified, status for anyone, suspend / reinstate / revoke; the attacks refused with the registry's
error name (exit 3) and bad input refused before any transaction (exit 2)."""

from __future__ import annotations

import json
import re

import pytest

from tests.ledger.credit_world import CID, DOC, START_2024, START_2025, CreditWorld, result_input
from tests.zcl.test_credits_cli import run, world  # noqa: F401  (fixture)

LOW_CARBON = ("certify", "apply", "--institution", "4", "--level", "low-carbon", "--result", "2", "--baseline", "1",
              "--activity", "10000", "--baseline-activity", "10000", "--document", DOC)


@pytest.fixture
def results(world: CreditWorld) -> tuple[int, int]:  # noqa: F811
    ids = world.final_results()
    for party in (world.gov, world.holder, world.verifier):
        party.chain.resync()
    return ids


def decide(party, application: str = "1", *extra: str, code: int = 0) -> str:
    return run(party, "certify", "decide", application, "--approve", "--reason", "criteria met", "--document", DOC,
               *extra, code=code)


def test_apply_then_district_city_province_approve_and_anyone_reads_the_status(world, results) -> None:
    out = run(world.outsider, "certify", "criteria", "low-carbon")
    assert "30 % against a baseline" in out and "365 days" in out
    out = run(world.holder, *LOW_CARBON)
    assert "meets the criteria      │ yes" in out and "70 %" in out
    assert "application 1 filed (criteria v1, claim 0x" in out and "pending" in out and "waiting" in out

    assert "stage 1 (region 3) approved: tx 0x" in decide(world.district)
    assert "stage 2 (region 2) approved" in decide(world.city)
    out = decide(world.gov)
    assert "stage 3 (region 1) approved" in out and "certified from" in out and "3 of 3" in out

    out = run(world.outsider, "certify", "status", "1")
    assert re.search(r"│ status +│ certified ", out) and re.search(r"│ certified at [-0-9: ]+\+08:00 +│ yes ", out)
    assert out.count("approved") == 3 and world.district.address in out and world.city.address in out
    data = json.loads(run(world.outsider, "certify", "status", "1", "--at", "2020-01-01", "--json"))
    assert (data["status"], data["approval_chain"], list(data["certified_at"].values())) == ("certified", [3, 2, 1],
                                                                                             [False])
    assert run(world.outsider, "certify", "evaluate", "1").count("yes") == 1

    assert "certified → suspended" in run(world.city, "certify", "suspend", "1", "--reason", "audit finding")
    assert "suspended → certified" in run(world.city, "certify", "reinstate", "1", "--reason", "closed")
    assert "certified → revoked" in run(world.district, "certify", "revoke", "1", "--reason", "fraud")
    out = run(world.city, "certify", "reinstate", "1", "--reason", "no", code=3)
    assert "CertificationTransitionNotAllowed(1, 5, 3)" in out


def test_zero_carbon_through_a_retirement_for_the_claim(world, results) -> None:
    out = run(world.holder, "certify", "evaluate", "--institution", "4", "--level", "zero-carbon", "--result", "2",
              code=1)
    assert "net emissions           │ 300 t" in out and "--for-certification 4:zero-carbon" in out
    run(world.verifier, "credits", "verify", "1", "--vintage", "2024", "--tonnes", "300", "--evidence", CID,
        "--result", str(world.own_savings))
    run(world.issuer, "credits", "issue", CID, "300", "--to", world.holder.address)
    out = run(world.holder, "retire", "--range", "1/1/2024:300", "--reason", "zero-carbon 2024", "--from",
              "2024-01-01", "--to", "2025-01-01", "--for-certification", "4:zero-carbon")
    assert "certificate 1 minted" in out and "claim application 0x" in out
    out = run(world.holder, "certify", "apply", "--institution", "4", "--level", "zero-carbon", "--result", "2",
              "--document", DOC)
    assert "300 t (certificate 1)" in out and "net emissions           │ 0 t" in out and "application 1 filed" in out


def test_publish_criteria_and_waive_a_level(world, results, tmp_path) -> None:
    rules = tmp_path / "near-zero.md"
    rules.write_text("Near-zero-carbon: net ≤ 100 t and ≥ 50 % intensity reduction.\n")
    out = run(world.gov, "certify", "criteria", "near-zero-carbon", "--publish", "--max-net-tonnes", "100",
              "--min-reduction-bps", "5000", "--rules", str(rules))
    assert "near-zero-carbon criteria version 1 published: tx 0x" in out and "100 t" in out and "50 %" in out
    assert "region 3 waived" in run(world.city, "certify", "require-level", "3", "--waived")
    out = run(world.holder, *LOW_CARBON)
    assert "0 of 2" in out
    assert "stage 1 (region 2) approved" in decide(world.city)


# --- attacks ---------------------------------------------------------------------------------


def test_approving_out_of_order_or_from_outside_the_tree_is_refused(world, results) -> None:
    run(world.holder, *LOW_CARBON)
    assert f"ApprovalOutOfOrder(1, 3, '{world.city.address}')" in decide(world.city, code=3)
    assert f"NotRegulator(1, '{world.outsider.address}')" in decide(world.outsider, code=3)
    assert "SelfApproval" not in run(world.outsider, "certify", "status", "1")  # nothing changed: still waiting
    assert "0 of 3" in run(world.outsider, "certify", "status", "1")


def test_unverified_and_superseded_results_are_refused(world, results) -> None:
    pending = world.holder.ledger.accounting.submit(4, 4, result_input(START_2025, START_2025 + 365 * 86_400, 200, "x"))
    world.holder.chain.resync()
    out = run(world.holder, "certify", "apply", "--institution", "4", "--level", "zero-carbon", "--result",
              str(pending), "--document", DOC, code=3)
    assert f"ResultNotFinal({pending}, 1)" in out

    run(world.holder, *LOW_CARBON)
    decide(world.district)
    restated = world.holder.ledger.accounting.restate(2, result_input(START_2024, START_2025, 310, "r"), "fix")
    world.verifier.ledger.accounting.verify(restated, True, CID)
    for party in (world.holder, world.verifier):
        party.chain.resync()
    assert "ResultNotFinal(2, 4)" in decide(world.city, code=3)
    assert "ResultNotFinal(2, 4)" in run(world.outsider, "certify", "evaluate", "1", code=3)


@pytest.mark.parametrize("args, message", [
    (("certify", "criteria", "carbon-neutral"), "level must be one of low-carbon, near-zero-carbon, zero-carbon"),
    (("certify", "criteria", "low-carbon", "--publish"), "--publish needs --max-net-tonnes and --rules"),
    (("certify", "status", "1", "--at", "tomorrow"), "--at must be an ISO date"),
    (("certify", "evaluate"), "give an APPLICATION id, or --institution, --level and --result"),
    (("retire", "--range", "1/1/2024:1", "--reason", "r", "--from", "2024-01-01", "--to", "2025-01-01",
      "--for-certification", "zero-carbon"), "--for-certification must be INSTITUTION:LEVEL"),
])
def test_bad_input_exits_2(world, args, message) -> None:
    assert message in run(world.holder, *args, code=2)


def test_unknown_application_is_a_chain_error(world, results) -> None:
    assert "UnknownApplication(9)" in run(world.outsider, "certify", "status", "9", code=3)
