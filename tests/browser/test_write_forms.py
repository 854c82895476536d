"""The write forms of /app/certification, /app/credits and /app/meetings in a real browser against the real API
and chain: each form signs with the user's server-side key and changes the chain (asserted on the chain, exact),
a contract's refusal comes back as the API's error told in zh-CN and in English, a role that may not use a form
does not see it, and a form half-filled when the session expired is there again after logging in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from ledger.chain.certification import CertificationClient
from ledger.chain.codes import CertificationLevel, CertificationStatus, ClaimKind
from ledger.chain.credits import CreditContracts
from tests.browser.conftest import Server
from tests.browser.forms_world import KEYSTORE_PASSWORD, FormsWorld, prepare_forms_world, serving_own_world
from tests.browser.test_workflow_pages import PASSWORD, _login, _message, _open, _settled, _switch, _unexpected
from tests.ledger.credit_world import AREA, DOC, TOKEN

TX = r"(0x[0-9a-f]{64})"
PRICE = str(130 * TOKEN)  # the seed's 130 CNY a tonne, in the settlement token's smallest units
SLOT_2024 = (1_704_038_400, 1_735_660_800)  # 2024-01-01 and 2025-01-01 at 00:00 Beijing time
BENEFICIARY = "0x00000000000000000000000000000000000000b1"


@pytest.fixture(scope="module")
def server(anvil, tmp_path_factory) -> Iterator[Server]:
    """This module's own world and API (see tests/browser/forms_world.py), in place of the package's."""
    with serving_own_world(anvil.rpc_url, tmp_path_factory.mktemp("forms-world") / "zcl") as own:
        yield own


@pytest.fixture(scope="module")
def forms(server) -> FormsWorld:
    return prepare_forms_world(server.world, PASSWORD)


def _logout(tab) -> None:
    """Log out and let the login page load (navigating away mid-load would abort its requests)."""
    tab.page.click("#logout")
    tab.page.wait_for_url("**/app/login.html", timeout=30_000)


def _as(tab, server, username: str, page: str) -> None:
    """Log in and land on `page` (a credit buyer has no organisation page to land on first)."""
    _login(tab, server, username, f"/app/login.html?next=%2Fapp%2F{page}.html")
    assert tab.page.get_attribute("body", "data-rendered") == "1", tab.page.inner_text("#error")


def _submit(tab, form: str, fields: dict[str, str]) -> str:
    for name, value in fields.items():
        selector = f"#{form} [name={name}]"
        if tab.page.locator(selector).evaluate("el => el.tagName") == "SELECT":
            tab.page.select_option(selector, value)
        else:
            tab.page.fill(selector, value)
    tab.page.click(f"#{form} button[type=submit]")
    message = _message(tab, form)
    _settled(tab)  # the tables a write reloads have answered (leaving earlier would abort them)
    return message


def _credit_contracts(server) -> CreditContracts:
    return CreditContracts.of(server.world.contracts)


def _receipt_ok(server, tx_hash: str) -> bool:
    return server.world.contracts.organizations.chain.w3.eth.get_transaction_receipt(tx_hash)["status"] == 1


def test_certification_filed_then_decided_stage_by_stage_then_suspended_reinstated_revoked(server, forms, tab) -> None:
    registry = CertificationClient.of(server.world.contracts)
    _as(tab, server, forms.admin.username, "certification")
    assert tab.page.is_visible("#apply")
    assert tab.page.locator("#decide").is_hidden() and tab.page.locator("#change").is_hidden()
    message = _submit(tab, "apply", {
        "level": "near_zero_carbon", "result_id": str(forms.result_id), "baseline_result_id": str(forms.baseline_result_id),
        "activity": str(AREA), "baseline_activity": str(AREA), "document_cid": DOC, "keystore_password": KEYSTORE_PASSWORD})
    filed = re.fullmatch(rf"Application #(\d+) filed under criteria version 1; transaction {TX}\.", message)
    assert filed, message
    application_id = int(filed[1])
    assert _receipt_ok(server, filed[2])
    a = registry.application(application_id)
    assert (a.institution_id, a.level, a.status, a.approvals, a.stages, a.result_id, a.baseline_result_id,
            a.applicant) == (server.world.tree.institution, CertificationLevel.NEAR_ZERO_CARBON, CertificationStatus.PENDING,
                             0, 3, forms.result_id, forms.baseline_result_id, forms.admin.address)
    tab.page.wait_for_selector(f"#applications td:text-is('#{application_id}')")
    row = tab.page.locator(f"#applications tr:has(td:text-is('#{application_id}')) td").all_inner_texts()
    assert row[:4] == [f"#{application_id}", "Near-zero-carbon", "pending", "0 / 3"]
    tab.screenshot("forms-certification-filed-en")

    for stage, regulator in enumerate((forms.district, forms.city, forms.province), start=1):
        _logout(tab)
        _as(tab, server, regulator.username, "certification")
        assert tab.page.locator("#apply").is_hidden() and tab.page.is_visible("#decide")
        tab.page.click(f"#applications [data-pick=decide][data-id='{application_id}']")
        assert tab.page.input_value("#decide [name=application_id]") == str(application_id)
        message = _submit(tab, "decide", {"approve": "true", "reason": f"criteria met, stage {stage}",
                                          "document_cid": DOC, "keystore_password": KEYSTORE_PASSWORD})
        status = "certified" if stage == 3 else "pending"
        decided = re.fullmatch(rf"Application #{application_id}: {status}, {stage} of 3 approvals; transaction {TX}\.", message)
        assert decided, message
        assert _receipt_ok(server, decided[1])
        a = registry.application(application_id)
        assert (a.approvals, registry.status(application_id)) == (
            stage, CertificationStatus.CERTIFIED if stage == 3 else CertificationStatus.PENDING)
    assert [d.reason for d in registry.decisions(application_id)] == [f"criteria met, stage {s}" for s in (1, 2, 3)]

    _logout(tab)
    _as(tab, server, forms.district.username, "certification")
    for action, before, after in (("suspend", "certified", "suspended"), ("reinstate", "suspended", "certified"),
                                  ("revoke", "certified", "revoked")):
        tab.page.click(f"#applications [data-pick=change][data-id='{application_id}']")
        message = _submit(tab, "change", {"action": action, "reason": f"{action}: site inspection 2025-03",
                                          "keystore_password": KEYSTORE_PASSWORD})
        changed = re.fullmatch(rf"Application #{application_id}: {before} → {after}; transaction {TX}\.", message)
        assert changed, message
        assert registry.status(application_id) == CertificationStatus[after.upper()]
        _settled(tab)
    row = tab.page.locator(f"#applications tr:has(td:text-is('#{application_id}')) td").all_inner_texts()
    assert row[2:4] == ["revoked", "3 / 3"]
    tab.screenshot("forms-certification-revoked-en")
    assert _unexpected(tab.errors) == []


def test_certification_refusals_in_both_languages(server, forms, tab) -> None:
    """The contract's refusals come back decoded, told in the chosen language; the validator speaks it too."""
    certified = forms.certified_application
    _as(tab, server, forms.admin.username, "certification")
    _switch(tab)
    same = {"level": "low_carbon", "result_id": str(forms.result_id), "baseline_result_id": str(forms.baseline_result_id),
            "activity": str(AREA), "baseline_activity": str(AREA), "document_cid": "", "keystore_password": KEYSTORE_PASSWORD}
    assert _submit(tab, "apply", same) == "请填写文档 CID。"
    same["document_cid"] = DOC
    message = _submit(tab, "apply", same)  # the world's application 1 already claims this level and period
    assert message.startswith(f"合约拒绝: 该机构在此期间已有同等级的申请：#{certified}。 (ApplicationExists(0x"), message
    tab.screenshot("forms-certification-refused-zh-CN")
    _switch(tab)
    message = _submit(tab, "apply", same)
    assert message.startswith(f"Refused by the contract: This institution already has an application for this level "
                              f"and period: #{certified}. (ApplicationExists(0x"), message
    message = _submit(tab, "apply", {**same, "level": "zero_carbon"})  # 300 t, nothing retired for it
    assert re.fullmatch(r"Refused by the contract: The criteria \(version 1\) are not met: net emissions 300000000 gCO2e, "
                        r"reduction 7000 basis points\. \(CriteriaNotMet\(3, 1, 300000000, 7000\)\)", message), message

    _logout(tab)
    _as(tab, server, forms.district.username, "certification")
    decision = {"application_id": str(certified), "approve": "false", "reason": "late objection", "document_cid": DOC,
                "keystore_password": KEYSTORE_PASSWORD}
    assert _submit(tab, "decide", decision) == (f"Refused by the contract: Application #{certified} is not awaiting a "
                                                f"decision: it is certified. (ApplicationNotPending({certified}, 3))")
    _switch(tab)
    assert _submit(tab, "decide", decision) == (f"合约拒绝: 申请 #{certified} 不在待审批状态：当前为已认证。 "
                                                f"(ApplicationNotPending({certified}, 3))")
    assert _submit(tab, "decide", {**decision, "reason": "   "}) == "理由格式不正确：不能只有空格。"
    assert _submit(tab, "change", {"application_id": str(certified), "action": "reinstate", "reason": "no reason",
                                   "keystore_password": "not the password"}) == (
        "密钥库密码错误: the keystore password does not decrypt your key")
    tab.screenshot("forms-certification-decision-refused-zh-CN")
    assert CertificationClient.of(server.world.contracts).status(certified) == CertificationStatus.CERTIFIED
    assert _unexpected(tab.errors) == []


def test_credits_listed_bought_retired_and_withdrawn(server, forms, tab) -> None:
    bundle, token = _credit_contracts(server), forms.token
    holder0, buyer0 = bundle.credits.balance(forms.admin.address, token), bundle.credits.balance(forms.buyer.address, token)
    cash_holder0, cash_buyer0 = (bundle.settlement.balance(forms.admin.address),
                                 bundle.settlement.balance(forms.buyer.address))
    retired0 = bundle.credits.supply(token).retired
    assert holder0 >= 10

    _as(tab, server, forms.admin.username, "credits")
    for form in ("sell", "buy", "cancel", "retire"):
        assert tab.page.is_visible(f"#{form}"), form
    message = _submit(tab, "sell", {"token_id": str(token), "amount": "10", "price_per_unit": PRICE,
                                    "keystore_password": KEYSTORE_PASSWORD})
    listed = re.fullmatch(rf"Listing #(\d+): 10 t of token {token} at {PRICE} per tonne; transaction {TX}\. "
                          rf"You now hold {holder0 - 10} t of token {token}\.", message)
    assert listed, message
    listing_id = int(listed[1])
    assert _receipt_ok(server, listed[2])
    listing = bundle.market.listing(listing_id)
    assert (listing.token_id, listing.remaining, listing.seller, listing.price_per_unit) == (
        token, 10, forms.admin.address, int(PRICE))
    assert bundle.credits.balance(forms.admin.address, token) == holder0 - 10
    _settled(tab)
    assert tab.page.locator("#holdings td").all_inner_texts() == [str(token), str(holder0 - 10)]
    assert tab.page.locator(f"#listings [data-pick=cancel][data-id='{listing_id}']").count() == 1  # its own: withdraw
    assert tab.page.locator(f"#listings [data-pick=buy][data-id='{listing_id}']").count() == 0
    tab.screenshot("forms-credits-listed-en")

    _logout(tab)
    _as(tab, server, forms.buyer.username, "credits")
    assert tab.page.locator(f"#listings [data-pick=cancel][data-id='{listing_id}']").count() == 0
    tab.page.click(f"#listings [data-pick=buy][data-id='{listing_id}']")
    assert tab.page.input_value("#buy [name=listing_id]") == str(listing_id)
    message = _submit(tab, "buy", {"amount": "4", "keystore_password": KEYSTORE_PASSWORD})
    bought = re.fullmatch(rf"Bought 4 t for {4 * int(PRICE)}; 6 t left on the listing; transaction {TX}\. "
                          rf"You now hold {buyer0 + 4} t of token {token}\.", message)
    assert bought, message
    assert bundle.market.listing(listing_id).remaining == 6
    assert bundle.credits.balance(forms.buyer.address, token) == buyer0 + 4
    assert bundle.settlement.balance(forms.buyer.address) == cash_buyer0 - 4 * int(PRICE)
    assert bundle.settlement.balance(forms.admin.address) == cash_holder0 + 4 * int(PRICE)

    message = _submit(tab, "retire", {"token_id": str(token), "amount": "3", "beneficiary": BENEFICIARY,
                                      "reason": "Forms test: 2024 business travel", "period_start": "2024-01-01",
                                      "period_end": "2025-01-01", "keystore_password": KEYSTORE_PASSWORD})
    retired = re.fullmatch(rf"Certificate #(\d+): 3 t retired for (0x[0-9a-fA-F]{{40}}), serials (\S+); transaction {TX}\. "
                           rf"You now hold {buyer0 + 1} t of token {token}\.", message)
    assert retired, message
    retirement = bundle.credits.retirement(int(retired[1]))
    assert (retirement.retiree, retirement.beneficiary.lower(), retirement.tonnes, retirement.claim_kind,
            (retirement.period_start, retirement.period_end), retirement.reason) == (
        forms.buyer.address, BENEFICIARY, 3, ClaimKind.NONE, SLOT_2024, "Forms test: 2024 business travel")
    (burned,) = retirement.ranges
    assert retired[3] == f"{burned.first_serial}–{burned.last_serial}" and burned.last_serial - burned.first_serial == 2
    assert retired[4] == retirement.tx.hash
    assert bundle.credits.balance(forms.buyer.address, token) == buyer0 + 1
    assert bundle.credits.supply(token).retired == retired0 + 3
    _settled(tab)
    assert tab.page.locator("#holdings td").all_inner_texts() == [str(token), str(buyer0 + 1)]
    tab.screenshot("forms-credits-bought-retired-en")

    _logout(tab)
    _as(tab, server, forms.admin.username, "credits")
    tab.page.click(f"#listings [data-pick=cancel][data-id='{listing_id}']")
    message = _submit(tab, "cancel", {"keystore_password": KEYSTORE_PASSWORD})
    withdrawn = re.fullmatch(rf"Listing #{listing_id} withdrawn; transaction {TX}\. "
                             rf"You now hold {holder0 - 4} t of token {token}\.", message)
    assert withdrawn, message
    assert bundle.market.listing(listing_id).remaining == 0
    assert bundle.credits.balance(forms.admin.address, token) == holder0 - 4
    _settled(tab)
    assert tab.page.locator(f"#listings [data-id='{listing_id}']").count() == 0  # only open listings are shown
    assert _unexpected(tab.errors) == []


def test_credit_refusals_in_both_languages(server, forms, tab) -> None:
    bundle, token = _credit_contracts(server), forms.token
    held = bundle.credits.balance(forms.buyer.address, token)
    too_many = {"token_id": str(token), "amount": str(held + 1000), "beneficiary": "", "reason": "more than held",
                "period_start": "2024-01-01", "period_end": "2025-01-01", "keystore_password": KEYSTORE_PASSWORD}
    _as(tab, server, forms.buyer.username, "credits")
    _switch(tab)
    message = _submit(tab, "retire", too_many)
    assert message == (f"合约拒绝: 您持有该品种 {held} 吨，少于请求的 {held + 1000} 吨。 "
                       f"(ERC1155InsufficientBalance('{forms.buyer.address}', {held}, {held + 1000}, {token}))"), message
    assert _submit(tab, "buy", {"listing_id": "999", "amount": "1", "keystore_password": KEYSTORE_PASSWORD}) == (
        "合约拒绝: 没有编号为 #999 的挂单。 (UnknownListing(999))")
    assert _submit(tab, "retire", {**too_many, "period_start": "2024-06-01", "period_end": "2024-06-01"}) == (
        "截止日期（北京时间，不含当日）不能小于 2024-06-02。")
    tab.screenshot("forms-credits-refused-zh-CN")
    _switch(tab)
    assert _submit(tab, "retire", too_many) == (
        f"Refused by the contract: You hold {held} t of this token, fewer than the {held + 1000} t asked for. "
        f"(ERC1155InsufficientBalance('{forms.buyer.address}', {held}, {held + 1000}, {token}))")
    assert _submit(tab, "buy", {"listing_id": "999", "amount": "1", "keystore_password": KEYSTORE_PASSWORD}) == (
        "Refused by the contract: There is no listing #999. (UnknownListing(999))")
    assert _submit(tab, "retire", {**too_many, "amount": "0"}) == "Tonnes must be at least 1."
    assert _submit(tab, "sell", {"token_id": "12a", "amount": "1", "price_per_unit": PRICE,
                                 "keystore_password": KEYSTORE_PASSWORD}) == (
        "Token is not in the right form: the token id, digits only.")
    tab.screenshot("forms-credits-refused-en")
    assert bundle.credits.balance(forms.buyer.address, token) == held
    assert _unexpected(tab.errors) == []


def _footprint(tab, forms, start: str, end: str, sheets: str = "0", participants: str = "") -> None:
    tab.page.fill("#meeting input[name=room]", str(forms.room))
    tab.page.fill("#meeting input[name=title]", "Quarterly review")
    tab.page.fill("#meeting input[name=start]", start)
    tab.page.fill("#meeting input[name=end]", end)
    tab.page.fill("#meeting input[name=sheets]", sheets)
    tab.page.fill("#meeting textarea[name=participants]", participants)
    tab.page.click("#meeting button[type=submit]")
    assert _message(tab, "meeting").startswith("Net footprint ")


def test_meeting_offset_retires_credits_for_its_claim_once(server, forms, tab) -> None:
    bundle, token = _credit_contracts(server), forms.token
    held = bundle.credits.balance(forms.admin.address, token)
    _as(tab, server, forms.admin.username, "meetings")
    assert tab.page.locator("#offset").is_hidden()  # nothing to offset before a footprint
    _footprint(tab, forms, "2022-03-01T10:00", "2022-03-01T12:00", "40", "Li, metro, 12")
    claim = tab.page.input_value("#offset input[name=claim_id]")
    assert tab.page.inner_text("#offset-summary") == f"Meeting {claim}: net 3.326 kgCO2e, so 1 t of credits to retire."
    message = _submit(tab, "offset", {"keystore_password": KEYSTORE_PASSWORD})
    offset = re.fullmatch(rf"Certificate #(\d+): 1 t retired for this meeting \(net 3\.326 kgCO2e\), serials (\d+); "
                          rf"transaction {TX}\. You now hold {held - 1} t of token {token}\.", message)
    assert offset, message
    certificate_id = int(offset[1])
    assert bundle.certificates.certificate_for_claim(ClaimKind.MEETING, bytes.fromhex(claim[2:]),
                                                     forms.admin.address) == certificate_id
    retirement = bundle.credits.retirement(certificate_id)
    assert (retirement.tonnes, retirement.claim_kind, retirement.beneficiary, retirement.tx.hash) == (
        1, ClaimKind.MEETING, forms.admin.address, offset[3])
    assert bundle.credits.balance(forms.admin.address, token) == held - 1
    tab.screenshot("forms-meetings-offset-en")

    message = _submit(tab, "offset", {"keystore_password": KEYSTORE_PASSWORD})  # the same meeting again
    assert message.startswith(f"Refused by the contract: This claim is already backed by your retirement certificate "
                              f"#{certificate_id}. (ClaimAlreadyBacked(2, {claim}, "), message
    _switch(tab)
    message = _submit(tab, "offset", {"keystore_password": KEYSTORE_PASSWORD})
    assert message.startswith(f"合约拒绝: 该声明已由您的注销证书 #{certificate_id} 支持。 (ClaimAlreadyBacked(2, {claim}, "), message
    assert _submit(tab, "offset", {"beneficiary": "0x12", "keystore_password": KEYSTORE_PASSWORD}) == (
        "受益方地址（默认本人）格式不正确：应为 0x 加 40 位十六进制数字。")
    tab.screenshot("forms-meetings-offset-refused-zh-CN")
    assert bundle.credits.balance(forms.admin.address, token) == held - 1
    assert _unexpected(tab.errors) == []


WRITE_FORMS = {"certification": ("#apply", "#decide", "#change"), "credits": ("#sell", "#buy", "#cancel", "#retire"),
               "meetings": ("#offset",)}


@pytest.mark.parametrize("who", ["auditor", "operator", "district"])
def test_a_role_that_may_not_use_a_form_does_not_see_it(server, forms, tab, who: str) -> None:
    """Auditors read only; operators neither certify nor trade; a regulator decides but neither applies nor trades."""
    party = getattr(forms, who)
    _as(tab, server, party.username, "certification")
    allowed = {"district": {"#decide", "#change"}}.get(who, set())
    for page, selectors in WRITE_FORMS.items():
        _open(tab, server, page)
        if page == "meetings":  # the footprint is theirs to read, the offset is not theirs to make
            _footprint(tab, forms, "2022-03-01T10:00", "2022-03-01T12:00")
        for selector in selectors:
            assert tab.page.is_visible(selector) == (selector in allowed), (who, selector)
        assert tab.page.locator("[data-pick=buy], [data-pick=cancel]").count() == 0
    _open(tab, server, "certification")
    assert tab.page.is_visible("#status")  # anyone may check a certification
    tab.screenshot(f"forms-certification-as-{who}-en")
    assert _unexpected(tab.errors) == []


def test_expired_session_brings_back_the_half_filled_retirement_and_offset(server, forms, tab) -> None:
    bundle, token = _credit_contracts(server), forms.token
    held = bundle.credits.balance(forms.buyer.address, token)
    _as(tab, server, forms.buyer.username, "credits")
    filled = {"token_id": str(token), "amount": "1", "beneficiary": BENEFICIARY, "reason": "Team offsite, June 2024",
              "period_start": "2024-06-01", "period_end": "2024-07-01"}
    for name, value in filled.items():
        tab.page.fill(f"#retire [name={name}]", value)
    tab.page.fill("#retire [name=keystore_password]", KEYSTORE_PASSWORD)
    tab.page.evaluate("sessionStorage.setItem('zcl.token', 'expired.garbage.token')")
    tab.page.click("#retire button[type=submit]")
    tab.page.wait_for_url("**/app/login.html?next=*", timeout=30_000)
    _login(tab, server, forms.buyer.username, tab.page.url.removeprefix(server.url))
    assert tab.page.url == f"{server.url}/app/credits.html"
    assert tab.page.get_attribute("#retire", "data-restored") == "1"
    assert {name: tab.page.input_value(f"#retire [name={name}]") for name in filled} == filled
    assert tab.page.input_value("#retire [name=keystore_password]") == ""  # never stored
    assert tab.page.get_attribute("#retire [name=period_end]", "min") == "2024-06-02"
    message = _submit(tab, "retire", {"keystore_password": KEYSTORE_PASSWORD})
    now_held = f"{held - 1} t of token {token}" if held > 1 else "no credits"
    assert re.fullmatch(rf"Certificate #\d+: 1 t retired for {BENEFICIARY}, serials \d+; transaction {TX}\. "
                        rf"You now hold {now_held}\.", message, re.IGNORECASE), message
    assert bundle.credits.balance(forms.buyer.address, token) == held - 1

    _logout(tab)
    held = bundle.credits.balance(forms.admin.address, token)
    _as(tab, server, forms.admin.username, "meetings")
    _footprint(tab, forms, "2022-03-01T10:30", "2022-03-01T11:30")  # another meeting: another claim
    claim = tab.page.input_value("#offset input[name=claim_id]")
    summary = tab.page.inner_text("#offset-summary")
    tab.page.fill("#offset [name=keystore_password]", KEYSTORE_PASSWORD)
    tab.page.evaluate("sessionStorage.setItem('zcl.token', 'expired.garbage.token')")
    tab.page.click("#offset button[type=submit]")
    tab.page.wait_for_url("**/app/login.html?next=*", timeout=30_000)
    _login(tab, server, forms.admin.username, tab.page.url.removeprefix(server.url))
    assert tab.page.get_attribute("#offset", "data-restored") == "1" and tab.page.is_visible("#offset")
    assert tab.page.input_value("#offset input[name=claim_id]") == claim
    assert tab.page.inner_text("#offset-summary") == summary
    tab.screenshot("forms-meetings-offset-restored-en")
    message = _submit(tab, "offset", {"keystore_password": KEYSTORE_PASSWORD})
    assert message.startswith("Certificate #") and f"You now hold {held - 1} t of token {token}." in message, message
    assert bundle.certificates.certificate_for_claim(ClaimKind.MEETING, bytes.fromhex(claim[2:]), forms.admin.address) > 0
    assert tab.page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('zcl.draft:'))") == []
    assert _unexpected(tab.errors) == []
