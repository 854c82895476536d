"""The auditor's explorer in a real browser: every page loads cleanly, and the verify action tells a real
reading from a tampered one (the contract itself and ledger/merkle.py decide, not the page)."""

from __future__ import annotations

import pytest

from ledger.chain.compiler import DEPLOYABLE
from ledger.chain.deployment import standard_input_digest


def _deployed_sources_unchanged(world) -> None:
    """Pages that compare with the checkout need contracts/ as it was deployed; skip, saying so, when it was edited."""
    if standard_input_digest() not in world.deployment.compiler:
        pytest.skip("contracts/ changed since this session deployed them; the comparison would rightly fail")


def _open(tab, url: str) -> None:
    response = tab.page.goto(url)
    assert response is not None and response.status == 200, f"{url}: HTTP {response and response.status}"


def test_explorer_home_lists_contracts_blocks_batches_and_results(server, tab) -> None:
    _open(tab, f"{server.url}/explorer")
    body = tab.page.inner_text("body")
    for name in DEPLOYABLE:
        assert name in body
    assert tab.page.locator("#batches tr").count() == len(server.world.roots) + 1
    assert f"#{server.world.result_id}" in tab.page.locator("#results a").all_inner_texts()
    tab.screenshot("explorer-home")
    assert tab.errors == []


def test_anchor_transaction_shows_decoded_batch_anchored_event(server, tab) -> None:
    world = server.world
    batch = world.contracts.attestations.anchored_batches()[0]
    _open(tab, f"{server.url}/explorer/tx/0x{batch.transaction_hash.removeprefix('0x')}")
    body = tab.page.inner_text("body")
    assert "AttestationLedger.BatchAnchored" in body
    assert "anchorBatch" in body
    assert f"0x{batch.root.hex()}" in body
    assert str(batch.reading_count) in body
    tab.screenshot("explorer-transaction")
    assert tab.errors == []


@pytest.mark.parametrize("name", ["AttestationLedger", "AccountingLedger"])
def test_contract_page_says_bytecode_matches_source(server, tab, name: str) -> None:
    _deployed_sources_unchanged(server.world)
    _open(tab, f"{server.url}/explorer/contract/{name}")
    verdict = tab.page.inner_text("#bytecode-verdict")
    assert verdict.startswith("Bytecode matches source")
    assert "solc 0.8.37+commit." in tab.page.inner_text("body")
    tab.screenshot(f"explorer-contract-{name}")
    assert tab.errors == []


def test_block_and_address_pages_load(server, tab) -> None:
    deployment = server.world.deployment
    _open(tab, f"{server.url}/explorer/block/{deployment.start_block}")
    assert tab.page.locator("#transactions a").count() == 1
    _open(tab, f"{server.url}/explorer/address/{deployment.addresses['AttestationLedger']}")
    assert "AttestationLedger: source and bytecode check" in tab.page.inner_text("body")
    tab.screenshot("explorer-address")
    assert tab.errors == []


def test_result_page_links_input_batches_and_methodology(server, tab) -> None:
    world = server.world
    record = world.contracts.accounting.result(world.result_id)
    _open(tab, f"{server.url}/explorer/result/{world.result_id}")
    assert "public-institution-inventory@1" in tab.page.inner_text("#methodology")
    assert "the published version's hash" in tab.page.inner_text("#methodology")
    assert tab.page.inner_text("#input-root").startswith("These batches give the on-chain input root")
    links = tab.page.locator("#input-batches a")
    assert links.count() == record.input_batch_count
    links.first.click()
    tab.page.wait_for_url("**/explorer/batch/0x*")
    assert "The evidence re-derives the anchor" in tab.page.inner_text("#evidence-verdict")
    tab.screenshot("explorer-result")
    assert tab.errors == []


def _verify(tab, index: int, value: str | None = None) -> str:
    tab.page.fill("#verify-index", str(index))
    if value is not None:
        tab.page.fill("#verify-value", value)
    tab.page.click("#verify-button")
    tab.page.wait_for_selector("#verify-result[data-valid]")
    return tab.page.get_attribute("#verify-result", "data-valid")


def test_verify_reports_valid_for_real_reading_and_invalid_for_tampered(server, tab) -> None:
    root = server.world.roots[1]
    _open(tab, f"{server.url}/explorer/batch/0x{root.hex()}")
    tab.page.locator("button.pick").nth(7).click()  # the reading's own value, from the evidence
    tab.page.wait_for_selector("#verify-result[data-valid]")
    assert tab.page.get_attribute("#verify-result", "data-valid") == "true"
    assert tab.page.inner_text("#verify-result").startswith("VALID: reading #7")
    tab.screenshot("explorer-verify-valid")

    original = tab.page.input_value("#verify-value")
    tab.page.evaluate("document.getElementById('verify-result').removeAttribute('data-valid')")
    tampered = str(float(original) + 1)
    assert _verify(tab, 7, tampered) == "false"
    text = tab.page.inner_text("#verify-result")
    assert text.startswith(f"INVALID: reading #7, value {tampered}")
    assert "✘ contract verifyReadingBytes (leaf + Merkle proof)" in text
    assert "✔ root anchored on chain" in text
    tab.screenshot("explorer-verify-tampered")
    assert tab.errors == []


def test_verify_with_a_non_number_shows_the_reason(server, tab) -> None:
    _open(tab, f"{server.url}/explorer/batch/0x{server.world.roots[0].hex()}")
    assert _verify(tab, 0, "twelve") == "error"
    assert tab.page.inner_text("#verify-result") == "Cannot check: value 'twelve' is not a number"
    # the 422 itself is logged by the browser as a failed resource load: that is the expected error here
    assert all("422" in e for e in tab.errors)


def test_standard_explorer_metadata_is_published(server, tab) -> None:
    import json

    _deployed_sources_unchanged(server.world)
    _open(tab, f"{server.url}/explorer/api/contracts")
    listing = json.loads(tab.page.inner_text("body"))
    assert [c["name"] for c in listing["contracts"]] == list(DEPLOYABLE)
    assert listing["compiler"].endswith(listing["standard_input_sha256"])
    _open(tab, f"{server.url}/explorer/api/contracts/AttestationLedger/metadata.json")
    metadata = json.loads(tab.page.inner_text("body"))
    assert metadata["compiler"]["version"].startswith("0.8.37+commit.")
    assert metadata["settings"]["compilationTarget"] == {"contracts/AttestationLedger.sol": "AttestationLedger"}


def test_negative_index_is_stopped_by_the_form_and_refused_by_the_api(server, tab) -> None:
    _open(tab, f"{server.url}/explorer/batch/0x{server.world.roots[0].hex()}")
    tab.page.fill("#verify-index", "-1")
    tab.page.click("#verify-button")
    assert tab.page.evaluate("document.getElementById('verify-index').validity.rangeUnderflow") is True
    assert tab.page.get_attribute("#verify-result", "data-valid") is None  # nothing was sent
    tab.page.evaluate("document.getElementById('verify-index').removeAttribute('min')")  # past the form: the API says why
    assert _verify(tab, -1) == "error"
    text = tab.page.inner_text("#verify-result")
    assert text.startswith("Cannot check: ") and "greater than or equal to 0" in text
    assert all("422" in e for e in tab.errors)
