"""The workflow pages (/app/…) in a real browser against the real API: log in, every page loads cleanly, the
language switch changes the page, bad input is refused with the validator's or the API's message in the chosen
language, and an expired session goes back to login and then restores the half-filled form."""

from __future__ import annotations

import json

import pytest

from api.db import make_engine
from api.models import Role
from api.services.users import create_user
from ledger.chain.devchain import DEV_PRIVATE_KEYS
from tests.ledger.test_meeting import anchor_room_readings

PASSWORD = "correct horse battery staple"
KEYSTORE_PASSWORD = "keystore secret 42"
PAGES = ("devices", "alarms", "projects", "certification", "credits", "meetings")
# Chromium logs every HTTP error answer of fetch(); the pages show those answers, so they are expected there.
HTTP_ERROR_LOG = "console.error: Failed to load resource: the server responded with a status of"


@pytest.fixture(scope="module")
def users(server) -> dict[str, str]:
    """An institution admin (server-side key: the chain's governance key, fast scrypt) and an auditor; and the
    meeting room's meter with 2.5 kWh an hour anchored around 2022-03-01 10:00-12:00 (tests/ledger/test_meeting.py)."""
    world = server.world
    world.contracts.organizations.chain.resync()
    anchor_room_readings(world.contracts, world.tree, world.settings.data_dir)
    engine = make_engine(server.world.settings)
    tree = server.world.tree
    create_user(engine, "app-admin", PASSWORD, Role.INSTITUTION_ADMIN, tree.institution, private_key=DEV_PRIVATE_KEYS[0],
                keystore_password=KEYSTORE_PASSWORD, kdf_iterations=2**10)
    create_user(engine, "app-auditor", PASSWORD, Role.AUDITOR)
    operator = create_user(engine, "app-operator", PASSWORD, Role.OPERATOR, world.tree.institution)
    engine.dispose()
    return {"admin": "app-admin", "auditor": "app-auditor", "operator": "app-operator", "operator_id": str(operator.id)}


def _login(tab, server, username: str, path: str = "/app/login.html") -> None:
    tab.page.goto(server.url + path)
    tab.page.fill("#login input[name=username]", username)
    tab.page.fill("#login input[name=password]", PASSWORD)
    tab.page.click("#login button[type=submit]")
    tab.page.wait_for_url(lambda url: "/app/" in url and "/login.html" not in url, timeout=30_000)
    tab.page.wait_for_selector("body[data-rendered]", timeout=60_000)
    _settled(tab)


def _settled(tab) -> None:
    """Every table's request answered (leaving earlier would abort it: a failed request)."""
    tab.page.wait_for_function("[...document.querySelectorAll('[data-loaded]')].every(el => el.dataset.loaded)",
                               timeout=60_000)


def _open(tab, server, page: str, query: str = "") -> None:
    response = tab.page.goto(f"{server.url}/app/{page}.html{query}")
    assert response is not None and response.status == 200
    tab.page.wait_for_selector("body[data-rendered]", timeout=60_000)
    assert tab.page.get_attribute("body", "data-rendered") == "1", tab.page.inner_text("#error")
    _settled(tab)


def _switch(tab) -> None:
    """Click the language switch and let the tables re-read their rows in the new language."""
    tab.page.click("#lang-switch")
    _settled(tab)


def _api(tab, url: str) -> dict:
    return json.loads(tab.page.evaluate(
        "url => fetch(url, {headers: {Authorization: 'Bearer ' + sessionStorage.getItem('zcl.token')}}).then(r => r.text())", url))


def _unexpected(errors: list[str]) -> list[str]:
    return [e for e in errors if not e.startswith(HTTP_ERROR_LOG)]


def _message(tab, form: str) -> str:
    tab.page.wait_for_function(f"document.querySelector('#{form}').dataset.state in {{invalid: 1, error: 1, done: 1}}",
                               timeout=60_000)
    return tab.page.inner_text(f"#{form} .form-message")


def test_login_then_every_page_loads_without_console_errors(server, users, tab) -> None:
    tab.page.goto(server.url + "/app/devices.html")  # no session: sent to log in, with the way back
    tab.page.wait_for_url("**/app/login.html?next=%2Fapp%2Fdevices.html", timeout=30_000)
    _login(tab, server, users["admin"], tab.page.url.removeprefix(server.url))
    assert tab.page.url == server.url + "/app/devices.html"
    assert tab.page.evaluate("sessionStorage.getItem('zcl.token')").count(".") == 2  # a JWT
    institution = server.world.tree.institution
    for page in PAGES:
        _open(tab, server, page)
        assert tab.page.locator("#error").is_hidden()
        tab.screenshot(f"app-{page}-en")
    _open(tab, server, "devices")
    devices = _api(tab, f"/organizations/{institution}/devices?limit=10")
    assert devices["total"] > 10
    assert tab.page.inner_text("#devices .pager span") == f"1–10 of {devices['total']}"
    tab.page.click("#devices [data-go='1']")
    tab.page.wait_for_function("document.querySelector('#devices .pager span').textContent.startsWith('11–')")
    _open(tab, server, "certification")
    assert tab.page.locator("#applications td").all_inner_texts()[:4] == ["#1", "Low-carbon", "certified", "3 / 3"]
    tab.page.fill("#status input[name=application_id]", "1")
    tab.page.click("#status button[type=submit]")
    assert _message(tab, "status").startswith("Application #1 (Low-carbon): certified, valid until ")
    tab.page.fill("#status input[name=application_id]", "99")
    tab.page.click("#status button[type=submit]")
    assert _message(tab, "status") == "Refused by the contract: UnknownApplication(99)"  # 404, decoded
    _open(tab, server, "credits")
    assert tab.page.locator("#tokens td").all_inner_texts()[1:] == ["2024", "50", "10", "40"]  # 10 t retired
    _open(tab, server, "alarms")
    assert "Water leak" in tab.page.inner_text("#alarms")
    assert _unexpected(tab.errors) == []


def test_language_switch_changes_the_page_and_the_role_decides_the_forms(server, users, tab) -> None:
    _login(tab, server, users["auditor"])
    _open(tab, server, "devices")
    assert tab.page.locator("#register").is_hidden()  # an auditor reads only
    assert tab.page.inner_text("header nav a.current") == "Devices"
    _switch(tab)
    assert tab.page.inner_text("header nav a.current") == "设备"
    assert tab.page.inner_text("#who") == "app-auditor · 审计人员"
    assert tab.page.inner_text("#devices th >> nth=0") == "设备编号"
    assert tab.page.inner_text("#devices .pager span").startswith("第 1–10 条，共 ")
    tab.screenshot("app-devices-zh-CN")
    _open(tab, server, "alarms")  # remembered
    assert "漏水" in tab.page.inner_text("#alarms")
    _switch(tab)
    assert "Water leak" in tab.page.inner_text("#alarms")
    assert tab.errors == []


def test_bad_input_shows_the_validators_and_the_apis_error_in_the_chosen_language(server, users, tab) -> None:
    _login(tab, server, users["admin"])
    _open(tab, server, "devices")
    _switch(tab)
    tab.page.fill("#register input[name=device_id]", "0x12")
    tab.page.click("#register button[type=submit]")
    assert _message(tab, "register") == "设备编号格式不正确：应为 0x 加 64 位十六进制数字。"
    tab.page.fill("#register input[name=device_id]", "0x" + "ab" * 32)
    tab.page.fill("#register input[name=scene_id]", str(server.world.tree.building))
    tab.page.fill("#register input[name=public_key]", "0x" + "12" * 32)
    tab.page.fill("#register input[name=keystore_password]", "not the password")
    tab.page.click("#register button[type=submit]")
    assert _message(tab, "register") == "密钥库密码错误: the keystore password does not decrypt your key"
    tab.screenshot("app-devices-bad-input-zh-CN")

    _open(tab, server, "meetings")
    tab.page.fill("#meeting input[name=room]", str(server.world.tree.room))
    tab.page.fill("#meeting input[name=start]", "2022-06-01T12:00")
    tab.page.fill("#meeting input[name=end]", "2022-06-01T10:00")  # ends before it starts: the API says so
    tab.page.fill("#meeting textarea[name=participants]", "Li, metro, 12")
    tab.page.click("#meeting button[type=submit]")
    message = _message(tab, "meeting")
    assert tab.page.get_attribute("#meeting", "data-state") == "error"
    assert message.startswith(("输入无效: ", "核算规则拒绝: ")) and "end" in message, message
    _switch(tab)
    tab.page.fill("#meeting input[name=room]", "0")
    tab.page.click("#meeting button[type=submit]")
    assert _message(tab, "meeting") == "Room (node id) must be at least 1."
    tab.screenshot("app-meetings-bad-input-en")
    assert _unexpected(tab.errors) == []


def test_meeting_footprint_form_gives_the_apis_table(server, users, tab) -> None:
    _login(tab, server, users["admin"])
    _open(tab, server, "meetings")
    tab.page.fill("#meeting input[name=room]", str(server.world.tree.room))
    tab.page.fill("#meeting input[name=title]", "Quarterly review")
    tab.page.fill("#meeting input[name=start]", "2022-03-01T10:00")
    tab.page.fill("#meeting input[name=end]", "2022-03-01T12:00")
    tab.page.fill("#meeting input[name=sheets]", "40")
    tab.page.fill("#meeting textarea[name=participants]", "Li, metro, 12")
    tab.page.click("#meeting button[type=submit]")
    assert _message(tab, "meeting").startswith("Net footprint ")
    expected = json.loads(tab.page.evaluate("""() => fetch('/meetings/footprint', {method: 'POST',
        headers: {'Content-Type': 'application/json', Authorization: 'Bearer ' + sessionStorage.getItem('zcl.token')},
        body: JSON.stringify({room: %d, title: 'Quarterly review', start: '2022-03-01T10:00:00+08:00',
                              end: '2022-03-01T12:00:00+08:00', sheets: '40',
                              participants: [{name: 'Li', mode: 'metro', distance_km: '12'}]})}).then(r => r.text())"""
                                            % server.world.tree.room))
    assert tab.page.locator("#lines tbody tr").count() == len(expected["lines"]) > 0
    assert tab.page.locator("#lines tbody td.num >> nth=1").inner_text() == expected["lines"][0]["kgco2e"]
    assert f"net {expected['net_kgco2e']} kgCO2e" in tab.page.inner_text("#totals")
    # 5 kWh × 0.5703 = 2.852 kg; 40 sheets × 2.6 g = 0.104 kg; metro 12 km × 30.84 g = 0.370 kg
    assert expected["gross_kgco2e"] == expected["net_kgco2e"] == "3.326"
    assert tab.page.inner_text("#meeting .form-message") == "Net footprint 3.326 kgCO2e."
    tab.screenshot("app-meetings-footprint-en")
    assert tab.errors == []


def test_work_orders_and_project_timeline(server, users, tab) -> None:
    _login(tab, server, users["admin"])
    _open(tab, server, "alarms")
    tab.page.click("#alarms [data-alarm] >> nth=0")
    tab.page.wait_for_function("document.querySelector('#orders').textContent.includes('alarm')", timeout=60_000)
    assert "water_leak" in tab.page.inner_text("#orders")
    tab.page.click("#alarms [data-alarm] >> nth=0")  # the same alarm again: the API's conflict, shown
    tab.page.wait_for_selector("#alarms + .form-message, section .form-message.bad", timeout=60_000)
    assert "Conflict: alarm " in tab.page.inner_text("section .form-message.bad")
    tab.page.click("#order button[type=submit]")
    assert _message(tab, "order") == "Title is required."
    order = _api(tab, f"/organizations/{server.world.tree.institution}/work-orders?source=alarm")["items"][0]
    tab.page.fill("#assign input[name=order_id]", str(order["id"]))
    tab.page.fill("#assign input[name=assignee_id]", users["operator_id"])
    tab.page.click("#assign button[type=submit]")
    assert _message(tab, "assign") == f"Work order #{order['id']} assigned."
    tab.page.click("#logout")
    _login(tab, server, users["operator"])
    _open(tab, server, "alarms")
    tab.page.click(f"#orders [data-respond='{order['id']}']")
    tab.page.wait_for_function("!document.querySelector('#orders [data-respond]')", timeout=60_000)
    tab.page.fill("#complete input[name=order_id]", str(order["id"]))
    tab.page.fill("#complete input[name=resolution]", "valve replaced")
    tab.page.click("#complete button[type=submit]")
    assert _message(tab, "complete") == f"Work order #{order['id']} completed."
    done = _api(tab, f"/work-orders/{order['id']}")
    assert done["state"] == "completed" and done["responded_at"] is not None and done["resolution"] == "valve replaced"
    tab.screenshot("app-alarms-work-orders-en")
    tab.page.click("#logout")
    _login(tab, server, users["admin"])

    _open(tab, server, "projects")
    tab.page.fill("#create input[name=title]", "Split air-conditioner retrofit")
    tab.page.fill("#create input[name=budget_cny]", "12,5")
    tab.page.click("#create button[type=submit]")
    assert _message(tab, "create") == "Budget (CNY) is not in the right form: a decimal number such as 1250000.00."
    tab.page.fill("#create input[name=budget_cny]", "1250000.00")
    tab.page.fill("#create input[name=expected_saving_kgco2e]", "45595.6")
    tab.page.click("#create button[type=submit]")
    assert _message(tab, "create") == "Project #1 opened."
    tab.page.wait_for_selector("#projects [data-project='1']")
    tab.page.click("#projects [data-project='1']")
    tab.page.wait_for_selector("#timeline-panel:not([hidden])")
    assert tab.page.inner_text("#timeline") == "No signed step yet (a draft)."
    tab.page.fill("#step input[name=note]", "approved at the office meeting")
    tab.page.fill("#step input[name=keystore_password]", KEYSTORE_PASSWORD)
    tab.page.click("#step button[type=submit]")
    assert _message(tab, "step").startswith("Step ")
    timeline = _api(tab, "/projects/1/timeline")
    assert [s["step"] for s in timeline["steps"]] == ["proposal"]
    item = tab.page.inner_text("#timeline li[data-step='proposal']")
    assert "signature valid" in item and timeline["steps"][0]["step_hash"] in item
    tab.screenshot("app-projects-timeline-en")
    assert _unexpected(tab.errors) == []


def test_expired_session_returns_to_login_and_restores_the_half_filled_form(server, users, tab) -> None:
    _login(tab, server, users["admin"])
    _open(tab, server, "alarms", "?node=%d" % server.world.tree.institution)
    tab.page.fill("#order input[name=title]", "Replace the leaking valve, building 5 2F")
    tab.page.fill("#order input[name=asset_id]", "")
    tab.page.evaluate("sessionStorage.setItem('zcl.token', 'expired.garbage.token')")
    tab.page.click("#order button[type=submit]")
    tab.page.wait_for_url("**/app/login.html?next=*", timeout=30_000)
    assert "alarms.html" in tab.page.url
    assert tab.page.is_visible("#expired")
    _login(tab, server, users["admin"], tab.page.url.removeprefix(server.url))
    assert tab.page.url == f"{server.url}/app/alarms.html?node={server.world.tree.institution}"
    assert tab.page.get_attribute("#order", "data-restored") == "1"
    assert tab.page.input_value("#order input[name=title]") == "Replace the leaking valve, building 5 2F"
    tab.screenshot("app-alarms-restored-en")
    tab.page.click("#order button[type=submit]")
    assert _message(tab, "order").startswith("Work order #")
    assert tab.page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('zcl.draft:'))") == []
    assert _unexpected(tab.errors) == []
