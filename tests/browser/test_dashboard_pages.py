"""The dashboards in a real browser: they load cleanly, their charts hold the ledger's figures, and the
language switch changes the text (and is remembered)."""

from __future__ import annotations

import json

import pytest

INSTITUTION_CHARTS = ("chart-load", "chart-daily", "chart-monthly", "chart-breakdown", "chart-measures")


def _rendered(tab, url: str) -> None:
    response = tab.page.goto(url)
    assert response is not None and response.status == 200
    tab.page.wait_for_selector("body[data-rendered]", timeout=60_000)
    assert tab.page.get_attribute("body", "data-rendered") == "1", tab.page.inner_text("#error")


def _series_data(tab, chart: str) -> list:
    return tab.page.evaluate(f"window.zclCharts['{chart}'].getOption().series[0].data")


def _api(tab, url: str) -> dict:
    return json.loads(tab.page.evaluate(f"fetch('{url}').then(r => r.text())"))


def test_big_screen_charts_hold_the_ledgers_figures(server, tab) -> None:
    institution = server.world.tree.institution
    _rendered(tab, f"{server.url}/dashboard/institution/{institution}")
    data = _api(tab, f"/api/dashboard/institution/{institution}")
    for chart in INSTITUTION_CHARTS:
        assert len(_series_data(tab, chart)) > 0, f"{chart} has no data"
    load = _series_data(tab, "chart-load")
    assert [point[1] for point in load] == [float(p["kw"]) for p in data["load"]]
    assert len(load) == 96  # the last 24 h in 15-minute steps
    daily = _series_data(tab, "chart-daily")
    assert daily == [float(p["kwh"]) for p in data["daily"]]
    breakdown = {d["name"]: d["value"] for d in _series_data(tab, "chart-breakdown")}
    assert set(breakdown) == {"Lighting", "HVAC", "Power", "Water"}
    assert breakdown == {name: float(b["kgco2e"]) for name, b in
                         zip(("Lighting", "HVAC", "Power", "Water"), data["breakdown"])}
    measures = _series_data(tab, "chart-measures")
    assert len(measures) == 11 and sum(measures) == pytest.approx(233297.6)
    assert tab.page.inner_text("#per-person").startswith(data["intensity"]["per_person"][:4])
    assert tab.page.locator("#alarm-table tr").count() >= 2  # the night-time leak
    assert "Water leak" in tab.page.inner_text("#alarms")
    assert tab.page.locator("#certification-table td").all_inner_texts()[:3] == ["#1", "Low-carbon", "certified"]
    kinds = [r["kind"] for r in data["results"]]
    assert {"emissions", "savings"} <= set(kinds)  # the world's inventory results and its LED retrofit's savings
    assert kinds == [server.world.contracts.accounting.result(r["result_id"]).kind.name.lower() for r in data["results"]]
    assert tab.page.locator("#result-table td.result-kind").all_inner_texts() == \
        [{"emissions": "Emissions", "savings": "Savings (emissions avoided)"}[k] for k in kinds]
    retirement = tab.page.locator("#retirement-table td").all_inner_texts()
    assert retirement == ["#1", "10", "voluntary", "Xihuamen 2024 office travel, voluntary"]
    tab.screenshot("big-screen-en")
    assert tab.errors == []


def test_language_switch_changes_text_and_is_remembered(server, tab) -> None:
    url = f"{server.url}/dashboard/institution/{server.world.tree.institution}"
    _rendered(tab, url)
    assert tab.page.inner_text("[data-i18n='big.today']") == "Today"
    tab.page.click("#lang-switch")
    assert tab.page.inner_text("[data-i18n='big.today']") == "今日"
    assert tab.page.inner_text("#lang-switch") == "English"
    assert tab.page.evaluate("document.documentElement.lang") == "zh-CN"
    names = {d["name"] for d in _series_data(tab, "chart-breakdown")}
    assert names == {"照明", "空调暖通", "动力", "用水"}
    kinds = set(tab.page.locator("#result-table td.result-kind").all_inner_texts())
    assert kinds == {"排放核算", "节能量（避免的排放）"}
    tab.screenshot("big-screen-zh-CN")
    _rendered(tab, url)  # reloaded: the choice is kept in localStorage
    assert tab.page.inner_text("[data-i18n='big.year']") == "本年"
    tab.page.click("#lang-switch")
    assert tab.page.inner_text("[data-i18n='big.year']") == "This year"
    assert tab.errors == []


def test_regulator_screen_ranks_tree_and_drills_down(server, tab) -> None:
    world = server.world
    _rendered(tab, f"{server.url}/dashboard/region/{world.tree.province}")
    ranking = _series_data(tab, "chart-ranking")
    data = _api(tab, f"/api/dashboard/region/{world.tree.province}")
    assert [r["value"] for r in ranking] == [float(i["year"]["kgco2e"]) for i in data["institutions"]]
    tree = _series_data(tab, "chart-tree")
    assert tree[0]["name"] == "Sichuan" and tree[0]["children"][0]["name"] == "Chengdu"
    tab.screenshot("regulator-en")
    tab.page.click("a.drill")
    tab.page.wait_for_url(f"**/dashboard/institution/{world.tree.institution}")
    tab.page.wait_for_selector("body[data-rendered='1']", timeout=60_000)
    assert tab.page.inner_text("#institution-name") == "Xihuamen office compound"
    assert tab.errors == []


def test_dashboard_index_lists_regions_and_institutions(server, tab) -> None:
    _rendered(tab, f"{server.url}/dashboard/")
    assert tab.page.locator("#regions a").all_inner_texts() == ["Sichuan", "Chengdu", "Qingyang", "Jinjiang"]
    assert tab.page.locator("#institutions a").all_inner_texts() == ["Xihuamen office compound"]
    tab.screenshot("dashboard-index")
    assert tab.errors == []


def test_unknown_institution_shows_the_apis_reason(server, tab) -> None:
    tab.page.goto(f"{server.url}/dashboard/institution/999")
    tab.page.wait_for_selector("body[data-rendered='error']")
    assert tab.page.inner_text("#error") == "Could not load the data: no organisation node 999"
    assert all("404" in e for e in tab.errors) and tab.errors
