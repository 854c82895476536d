"""`zcl meeting footprint|offset|certificate` against a real anvil, real anchored readings and the credit contracts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger.chain.codes import ClaimKind, token_id
from ledger.chain.credits import CreditContracts
from tests.ledger.test_meeting import DOCUMENT, SLOT_END, SLOT_START, anchor_room_readings
from zcl.main import app

runner = CliRunner()
VINTAGE = 2022


@pytest.fixture
def cli_env(settings, monkeypatch) -> None:
    for name, value in (("RPC_URL", settings.rpc_url), ("DATA_DIR", str(settings.data_dir)),
                        ("PRIVATE_KEY", settings.private_key)):
        monkeypatch.setenv(f"ZCL_{name}", value)


@pytest.fixture
def meeting_file(contracts, tree, settings, tmp_path, cli_env) -> Path:
    anchor_room_readings(contracts, tree, settings.data_dir)
    path = tmp_path / "meeting.json"
    path.write_text(json.dumps({**DOCUMENT, "room": tree.room}), encoding="utf-8")
    return path


def test_footprint_prints_every_line_and_the_totals(meeting_file: Path, tree) -> None:
    shown = runner.invoke(app, ["meeting", "footprint", str(meeting_file)])
    assert shown.exit_code == 0, shown.output
    for text in ("electricity.grid.cn_national", "2.852", "40 sheet", "0.104", "Li", "travel.metro", "0.370",
                 "travel.car_petrol_medium", "1.538", "−3.600", "4.864", "1.264", "1 t", "non-credit"):
        assert text in shown.output, text
    document = json.loads(runner.invoke(app, ["meeting", "footprint", str(meeting_file), "--json"]).stdout)
    assert (document["gross_kgco2e"], document["offsets_kgco2e"], document["net_kgco2e"], document["credits_tonnes"]) \
        == ("4.864", "3.6", "1.264", 1)
    assert document["meeting"]["room"] == tree.room and len(document["input_batches"]) == 1


def test_the_same_footprint_from_a_toml_description(meeting_file: Path, tree, tmp_path) -> None:
    toml = tmp_path / "meeting.toml"
    toml.write_text(f"""room = {tree.room}
title = "Quarterly review"
start = 2022-03-01T10:00:00+08:00
end = "2022-03-01T12:00:00+08:00"
sheets = 40
[[participants]]
name = "Li"
mode = "metro"
distance_km = 12
green = ["green_travel"]
[[participants]]
name = "Wang"
mode = "car"
distance_km = 8.0
[[participants]]
name = "Zhao"
mode = "walk"
distance_km = 1.5
""", encoding="utf-8")
    document = json.loads(runner.invoke(app, ["meeting", "footprint", str(toml), "--json"]).stdout)
    assert (document["gross_kgco2e"], document["net_kgco2e"]) == ("4.864", "1.264")


@pytest.mark.parametrize(("content", "words"), [
    ({"participants": [{"name": "Li", "mode": "metro", "distance_km": "far"}]}, "participants[0].distance_km: 'far' is not"),
    ({"participants": [{"name": "Li", "mode": "car", "distance_km": 3, "green": ["green_travel"]}]},
     "participants[0].green: 'Li' travelled by car_petrol_medium, which is not green travel"),
    ({"participants": [{"name": "Li", "mode": "hovercraft", "distance_km": "1"}]}, "participants[0].mode: unknown mode"),
    ({"start": "yesterday"}, "start: 'yesterday' is not an ISO 8601 date-time"),
])
def test_a_bad_file_is_refused_naming_the_field(content: dict, words: str, tmp_path, cli_env) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**DOCUMENT, **content}), encoding="utf-8")
    refused = runner.invoke(app, ["meeting", "footprint", str(path)])
    assert refused.exit_code == 2 and f"meeting file {path}: {words}" in refused.output, refused.output
    broken = tmp_path / "broken.json"
    broken.write_text("{\"room\": 6,", encoding="utf-8")
    refused = runner.invoke(app, ["meeting", "footprint", str(broken)])
    assert refused.exit_code == 2 and "is not valid JSON" in refused.output


def _hold_credits(contracts, tree, tonnes: int) -> int:
    """Give the signing account `tonnes` of external (VCS) credits; the token id. (The institution's own
    credits would need a Final savings result, verified by another account: not what these tests are about.)"""
    bundle = CreditContracts.of(contracts)
    me = bundle.credits.me
    bundle.credits.grant_role("verifier", me)
    bundle.credits.grant_role("issuer", me)
    class_id = bundle.credits.create_class("VCS", "VM0038", True).id
    project_id = bundle.credits.register_project(class_id, tree.institution, "Xihuamen retrofits").id
    verification = bytes.fromhex("ab" * 32)
    bundle.credits.approve_verification(verification, project_id, VINTAGE, 10,
                                        "QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk")
    return bundle.credits.import_external(verification, me, tonnes, "VCS-MEETING-1").token_id


def test_offset_then_certificate_then_no_second_claim(meeting_file: Path, contracts, tree, tmp_path) -> None:
    token = _hold_credits(contracts, tree, 3)
    assert token == token_id(1, 1, VINTAGE)
    offset = runner.invoke(app, ["meeting", "offset", str(meeting_file)])
    assert offset.exit_code == 0, offset.output
    assert "retired 1 t" in offset.output and "certificate #1" in offset.output and "1/1/2022 #1–1" in offset.output

    bundle = CreditContracts.of(contracts)
    me = bundle.credits.me
    claim = json.loads(runner.invoke(app, ["meeting", "footprint", str(meeting_file), "--json"]).stdout)["claim_id"]
    assert bundle.certificates.certificate_for_claim(ClaimKind.MEETING, bytes.fromhex(claim[2:]), me) == 1
    stored = bundle.certificates.certificate(1)
    assert (stored.claim_kind, stored.period_start, stored.period_end, stored.tonnes) == (
        ClaimKind.MEETING, SLOT_START, SLOT_END, 1)
    assert bundle.credits.balance(me, token) == 2

    page = tmp_path / "certificate.html"
    shown = runner.invoke(app, ["meeting", "certificate", str(meeting_file), "--out", str(page)])
    assert shown.exit_code == 0, shown.output
    html = page.read_text(encoding="utf-8")
    retirement = bundle.credits.retirement(1)
    for text in (f"<td>{token:#x}</td>".replace("<td>", "<td><code>").replace("</td>", "</code></td>"),
                 "<td class=n>1</td><td class=n>1</td><td class=n>1</td>",  # serials 1..1, one tonne
                 "class 1 · project 1 · vintage 2022", "VCS / VM0038",
                 f"0x{claim[2:]}", "4.864 kgCO2e", "−3.600 kgCO2e", "1.264 kgCO2e", "1,000 kgCO2e",
                 "The retired tonnes cover", "rangesMatch", "the same CID the retirement",
                 f'href="/explorer/tx/{retirement.tx.hash}"', f'href="/explorer/address/{me}"',
                 f'href="/explorer/address/{bundle.credits.contract.address}"', f'<a href="/explorer/block/{retirement.tx.block_number}">{retirement.tx.block_number}</a>'):
        assert text in html, text

    again = runner.invoke(app, ["meeting", "offset", str(meeting_file)])
    assert again.exit_code == 3 and "ClaimAlreadyBacked(2, 0x" in again.output, again.output
    assert bundle.credits.balance(me, token) == 2  # nothing burned by the refused retirement


def test_certificate_prints_to_pdf_where_chromium_is_installed(meeting_file: Path, contracts, tree, tmp_path) -> None:
    _hold_credits(contracts, tree, 1)
    assert runner.invoke(app, ["meeting", "offset", str(meeting_file)]).exit_code == 0
    page = tmp_path / "certificate.html"
    shown = runner.invoke(app, ["meeting", "certificate", str(meeting_file), "--out", str(page), "--pdf"])
    assert shown.exit_code == 0, shown.output
    if "no Chromium found" in shown.output:
        pytest.skip("no Chromium on this machine")
    assert page.with_suffix(".pdf").read_bytes().startswith(b"%PDF-")


def test_certificate_of_a_meeting_nobody_offset_is_a_finding(meeting_file: Path) -> None:
    missing = runner.invoke(app, ["meeting", "certificate", str(meeting_file)])
    assert missing.exit_code == 1 and "no certificate backs meeting claim 0x" in missing.output
