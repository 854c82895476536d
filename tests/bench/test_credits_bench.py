"""The credit benchmark runs end to end on its own anvil (20 ranges, a few seconds) and records every figure;
a batch retirement costs less gas than the same ranges retired one by one."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.bench.credits import main

STEPS = {
    "createCreditClass (internal)", "createCreditClass (external)", "registerProject (institution's savings)",
    "registerProject (external, outside the tree)", "submitSavingsResult", "verifyResult (approve, Final)",
    "approveVerification (internal, cites the Savings result)", "approveVerification (external)",
    "issue (first batch of a token id)", "issue (next batch, same token id)",
    "importExternalCredits (27-character serial)", "transfer (recipient's first units of the token)",
    "transfer (recipient already holds the token)", "setApprovalForAll (seller, once)", "list",
    "settlement approve (buyer, once)", "buy (partial fill)", "buy (partial fill, again)",
    "cancel (20 units returned)", "buy (fills the listing)", "retire (beneficiary's first certificate)",
    "retire (next certificate)", "retire (backing a meeting claim)", "retireBatch (5 distinct token ids, one range each)",
    "publishCriteria (low-carbon v1)", "submitResult (baseline 2023)", "verifyResult (baseline, Final)",
    "applyFor (low-carbon, with a baseline)", "decide (district, approve)", "decide (city, approve)",
    "decide (province, approve)", "suspend", "reinstate", "revoke",
}


def test_every_figure_is_recorded_and_the_batch_is_cheaper(tmp_path: Path) -> None:
    output = tmp_path / "credits.json"
    assert main(["--ranges", "20", "--batch-tokens", "5", "--output", str(output)]) == 0
    doc = json.loads(output.read_text())

    assert {s["step"] for s in doc["steps"]} == STEPS
    assert len(doc["steps"]) == len(STEPS)
    assert all(s["gas"] > 21_000 and s["tx"].startswith("0x") for s in doc["steps"])
    assert doc["machine"]["anvil"] and "git_commit" in doc["machine"]

    assert [r["layout"] for r in doc["ranges"]] == ["distinct token ids", "one token id"]
    for run in doc["ranges"]:
        batch, single = run["batch"], run["single"]
        assert (run["ranges"], batch["transactions"], single["transactions"]) == (20, 1, 20)
        assert batch["gas_per_range"] == batch["gas"] / 20 and single["gas_per_range"] == single["gas"] / 20
        assert batch["gas"] < single["gas"]
        assert run["single_over_batch_gas"] == single["gas"] / batch["gas"] > 1
        assert batch["seconds"] > 0 and single["seconds"] > 0
