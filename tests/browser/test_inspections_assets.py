"""The inspection and asset-register pages in Debian chromium against the real API: register assets (the summary
adds up their ratings), filter and page the register, record inspections (a defect raises a work order), and bad
input refused with the validator's or the API's words in zh-CN and English; an auditor reads only."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from api.db import make_engine
from api.models import Role
from api.services.users import create_user
from tests.browser.test_workflow_pages import PASSWORD, _api, _login, _message, _open, _settled, _switch, _unexpected

AIRCON = {"kind": "air_conditioner", "name": "Split air-conditioners, building 1", "location": "Building 1",
          "quantity": "717", "rated_power_w": "735", "cooling_capacity_hp": "1", "efficiency_grade": "1",
          "installed_on": "2022-06-30"}


@pytest.fixture(scope="module")
def people(server) -> dict[str, str]:
    """An operator (assets and inspections are operators' work) and an auditor, for this module only."""
    engine = make_engine(server.world.settings)
    institution = server.world.tree.institution
    create_user(engine, "ia-operator", PASSWORD, Role.OPERATOR, institution)
    create_user(engine, "ia-auditor", PASSWORD, Role.AUDITOR)
    engine.dispose()
    return {"operator": "ia-operator", "auditor": "ia-auditor"}


def _fill(tab, form: str, values: dict[str, str]) -> None:
    for name, value in values.items():
        selector = f"#{form} [name={name}]"
        if tab.page.eval_on_selector(selector, "el => el.tagName") == "SELECT":
            tab.page.select_option(selector, value)
        else:
            tab.page.fill(selector, value)


def _submit(tab, form: str) -> str:
    tab.page.evaluate(f"document.querySelector('#{form}').dataset.state = ''")
    tab.page.click(f"#{form} button[type=submit]")
    return _message(tab, form)


def _rows(tab, table: str) -> list[list[str]]:
    _settled(tab)
    return [row.locator("td").all_inner_texts() for row in tab.page.locator(f"#{table} tbody tr").all()]


def test_asset_register_create_summary_filter_and_validation(server, people, tab) -> None:
    institution = server.world.tree.institution
    _login(tab, server, people["operator"])
    _open(tab, server, "assets")
    assert tab.page.inner_text("header nav a.current") == "Assets"
    assert _rows(tab, "assets") == [["Nothing here yet."]]
    _switch(tab)  # zh-CN: the validator's words
    assert tab.page.inner_text("header nav a.current") == "设备资产"
    assert _submit(tab, "asset") == "请填写名称。"
    _fill(tab, "asset", {**AIRCON, "efficiency_grade": "7"})
    assert _submit(tab, "asset") == "能效等级（1 级最优）不能大于 5。"
    _fill(tab, "asset", {"efficiency_grade": "1", "cooling_capacity_hp": "1,5"})
    assert _submit(tab, "asset") == "单台制冷量（匹）格式不正确：应为小数，例如 1250000.00。"
    _fill(tab, "asset", {"cooling_capacity_hp": "1"})
    first = _submit(tab, "asset")
    assets = _api(tab, f"/organizations/{institution}/assets")
    assert assets["total"] == 1 and first == f"已登记资产 #{assets['items'][0]['id']}。"
    assert {k: assets["items"][0][k] for k in ("kind", "quantity", "rated_power_w", "cooling_capacity_hp", "status")} == {
        "kind": "air_conditioner", "quantity": 717, "rated_power_w": 735, "cooling_capacity_hp": "1", "status": "in_service"}
    _switch(tab)  # English again
    _fill(tab, "asset", {"kind": "light", "name": "LED tubes, garage", "location": "Garage", "quantity": "120",
                         "rated_power_w": "18", "cooling_capacity_hp": "", "efficiency_grade": "", "installed_on": ""})
    assert _submit(tab, "asset").startswith("Asset #")
    for n in range(10):  # eleven more lights: the register pages
        _fill(tab, "asset", {"name": f"Corridor light {n + 1}", "location": "Building 2", "quantity": "1",
                             "rated_power_w": "10"})
        assert _submit(tab, "asset").startswith("Asset #")
    # 717 × 735 W = 526.995 kW and 717 P; lights 120 × 18 W + 10 × 10 W = 2.26 kW
    tab.page.wait_for_function("document.querySelectorAll('#summary tbody tr').length === 2")
    assert _rows(tab, "summary") == [["Air-conditioner", "1", "717", "526.995", "717"],
                                     ["Light", "11", "130", "2.26", "0"]]
    assert tab.page.inner_text("#assets .pager span") == "1–10 of 12"
    tab.page.click("#assets [data-go='1']")
    tab.page.wait_for_function("document.querySelector('#assets .pager span').textContent === '11–12 of 12'")
    _fill(tab, "filter", {"kind": "air_conditioner"})
    tab.page.click("#filter button[type=submit]")
    tab.page.wait_for_function("document.querySelector('#assets .pager span').textContent === '1–1 of 1'")
    assert _rows(tab, "assets")[0][1:] == ["Air-conditioner", "Split air-conditioners, building 1", "Building 1", "717",
                                          "735", "1", "1", "2022-06-30", "in service"]
    _fill(tab, "filter", {"kind": "", "q": "garage"})
    tab.page.click("#filter button[type=submit]")
    tab.page.wait_for_function("document.querySelector('#assets .pager span').textContent === '1–1 of 1'")
    assert _rows(tab, "assets")[0][2] == "LED tubes, garage"
    tab.screenshot("app-assets-en")
    assert _unexpected(tab.errors) == []


def test_inspections_record_defect_raises_work_order_and_errors_in_both_languages(server, people, tab) -> None:
    institution = server.world.tree.institution
    _login(tab, server, people["operator"])
    asset = _api(tab, f"/organizations/{institution}/assets?kind=air_conditioner")["items"][0]["id"]
    _open(tab, server, "inspections")
    _fill(tab, "inspection", {"asset_id": str(asset), "outcome": "ok", "notes": "filters clean"})
    ok = _submit(tab, "inspection")
    listed = _api(tab, f"/organizations/{institution}/inspections")
    assert ok == f"Inspection #{listed['items'][-1]['id']} recorded."
    _fill(tab, "inspection", {"outcome": "defect", "notes": "compressor noisy, unit 3-12"})
    defect = _submit(tab, "inspection")
    found = _api(tab, f"/organizations/{institution}/inspections?outcome=defect")["items"][-1]
    assert defect == f"Inspection #{found['id']} recorded; work order #{found['work_order_id']} raised for the defect."
    order = _api(tab, f"/work-orders/{found['work_order_id']}")
    assert order["source"] == "inspection" and order["state"] == "open" and order["asset_id"] == asset
    assert order["title"] == "Inspection defect: compressor noisy, unit 3-12"
    # the API refuses a performed time in the future, in English
    tomorrow = (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")  # the browser's clock is this one's
    _fill(tab, "inspection", {"outcome": "ok", "notes": "", "at": tomorrow})
    refused = re.fullmatch(r"Invalid input: inspection time (\d+) is in the future \(server clock (\d+)\)",
                           _submit(tab, "inspection"))
    assert refused is not None and int(refused[1]) > int(refused[2])
    _switch(tab)  # zh-CN: the validator's and the API's error
    _fill(tab, "inspection", {"at": "", "asset_id": "0"})
    assert _submit(tab, "inspection") == "资产编号（可选）不能小于 1。"
    _fill(tab, "inspection", {"asset_id": "999999"})
    assert _submit(tab, "inspection") == f"输入无效: asset 999999 is not in institution {institution}'s register"
    tab.page.wait_for_function("document.querySelector('#inspections .pager span').textContent === '第 1–2 条，共 2 条'")
    assert [r[3] for r in _rows(tab, "inspections")] == ["正常", "有问题"]
    _fill(tab, "filter", {"outcome": "defect"})
    tab.page.click("#filter button[type=submit]")
    tab.page.wait_for_function("document.querySelector('#inspections .pager span').textContent === '第 1–1 条，共 1 条'")
    row = _rows(tab, "inspections")[0]
    assert row[2:5] == [str(asset), "有问题", "compressor noisy, unit 3-12"] and row[6] == f"#{found['work_order_id']}"
    tab.screenshot("app-inspections-zh-CN")
    _switch(tab)
    assert _unexpected(tab.errors) == []


def test_auditor_reads_inspections_and_assets_without_forms(server, people, tab) -> None:
    _login(tab, server, people["auditor"])
    for page, form, table in (("inspections", "inspection", "inspections"), ("assets", "asset", "assets")):
        _open(tab, server, page, f"?node={server.world.tree.institution}")
        assert tab.page.locator(f"#{form}").is_hidden()
        assert tab.page.locator(f"#{table} tbody tr").count() >= 2
    assert tab.errors == []
