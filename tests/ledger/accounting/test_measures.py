"""The seed's retrofit table, every figure computed from the document's inputs and compared exactly."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from ledger.accounting.errors import (
    FactorOutsideValidity, InexactArithmetic, InvalidParameter, UnitMismatch, UnmappedActivity,
)
from ledger.accounting.factors import Period
from ledger.accounting.measures import (
    MeasureGroup, estimate, iot_control_strategies, led_garage_lighting, led_garage_lighting_as_printed, rooftop_pv,
    split_air_conditioners, water_saving_fixtures, xihuamen_activities, xihuamen_measures,
)
from ledger.accounting.methodology import RoundingRule, Scope
from ledger.accounting.published import PUBLIC_INSTITUTION_INVENTORY, XIHUAMEN_MEASURES, XIHUAMEN_SEED
from ledger.accounting.quantities import Quantity, percent

TABLE = xihuamen_measures()
LINES = {m.activity.measure: m for m in TABLE.lines}
KG_YR = "kgCO2e/yr"

# The seed, section 5: each line exactly as printed (kgCO2/yr).
SEED_LINES = [
    ("iot_control_strategies", "11059.4"), ("split_air_conditioners", "45595.6"), ("elevator_energy_feedback", "6056.4"),
    ("rooftop_pv", "1802.5"), ("led_garage_lighting", "71193.6"), ("rainwater_recovery", "174.6"),
    ("waste_sorting", "2060"), ("paperless_office", "1040"), ("meeting_paper", "650"),
    ("meeting_green_travel", "90000"), ("water_saving_fixtures", "3665.5"),
]


@pytest.mark.parametrize("measure, printed", SEED_LINES, ids=[m for m, _ in SEED_LINES])
def test_each_line_is_the_documents_figure(measure: str, printed: str) -> None:
    assert LINES[measure].line.rounded == Quantity(printed, KG_YR)
    assert LINES[measure].matches_document


def test_lines_come_in_the_documents_order_and_nothing_else() -> None:
    assert [m.activity.measure for m in TABLE.lines] == [m for m, _ in SEED_LINES]


@pytest.mark.parametrize("measure, exact", [
    ("iot_control_strategies", "11059.3950525"),  # 7,158,184.5 × 0.103 × 1.5 %
    ("split_air_conditioners", "45595.6074"),  # 717 × 0.735 × 8 × 300 × 0.103 × 35 %
    ("water_saving_fixtures", "3665.4942"),  # 62,981 × 30 % × 0.194
])
def test_the_printed_figures_are_the_exact_ones_rounded_half_up_to_a_tenth(measure: str, exact: str) -> None:
    assert LINES[measure].line.exact == Quantity(exact, KG_YR)
    assert XIHUAMEN_MEASURES.rounding.emissions == RoundingRule(1, "ROUND_HALF_UP")


def test_groups_and_total_are_the_documents() -> None:
    assert TABLE.groups == {
        MeasureGroup.ELECTRIC: Quantity("137767.5", KG_YR),  # includes waste sorting, as the document counts it
        MeasureGroup.WATER: Quantity("3840.1", KG_YR),
        MeasureGroup.GREEN_OFFICE: Quantity("91690", KG_YR),
    }
    assert TABLE.total == Quantity("233297.6", KG_YR)
    assert sum(m.line.rounded.value for m in TABLE.lines) == TABLE.total.value


def test_led_line_is_shown_both_ways_and_the_totals_use_the_printed_one() -> None:
    assert LINES["led_garage_lighting"].activity.avoided == Quantity(691200, "kWh/yr")  # 0.008 × 24 ÷ 0.25 × 300 × 3,000
    assert TABLE.led_physical.activity.avoided == Quantity(129600, "kWh/yr")  # 0.008 × 18 × 300 × 3,000
    assert TABLE.led_physical.line.rounded == Quantity("13348.8", KG_YR)
    assert TABLE.corrected_total == Quantity("175452.8", KG_YR)
    assert TABLE.corrected_groups[MeasureGroup.ELECTRIC] == Quantity("79922.7", KG_YR)
    document = TABLE.to_json()
    assert document["led"]["totals_use"] == "as_printed" and "18" in document["led"]["reason"]


def test_economics_are_the_documents() -> None:
    e = TABLE.economics
    assert e.investment == Quantity(2230000, "CNY")  # 1.81 M earlier + 0.42 M in 2022
    assert e.annual_savings == Quantity(1205000, "CNY/yr")
    assert e.payback == Quantity("1.85", "yr")  # 2.23 ÷ 1.205 = 1.8506…
    assert e.avoided == Quantity("233.3", "tCO2e/yr")
    assert e.credit_value == Quantity(30329, "CNY/yr")  # 233.3 × 130
    assert e.horizon_avoided == Quantity("3499.5", "tCO2e")  # 233.3 × 15
    assert e.horizon_credit_value == Quantity(454935, "CNY")  # needs the rounded 233.3 t, not 233.2976 t
    assert e.horizon_savings == Quantity(18075000, "CNY")  # "at least 18 M" in the document
    c = TABLE.corrected_economics
    assert (c.avoided, c.credit_value) == (Quantity("175.5", "tCO2e/yr"), Quantity(22815, "CNY/yr"))


def test_scopes_follow_what_was_avoided() -> None:
    assert {m.activity.measure for m in TABLE.lines if m.line.scope == Scope.SCOPE_2} == {
        "iot_control_strategies", "split_air_conditioners", "elevator_energy_feedback", "rooftop_pv", "led_garage_lighting"}
    assert TABLE.methodology is XIHUAMEN_MEASURES and TABLE.factors is XIHUAMEN_SEED


def test_rounding_comes_from_the_methodology_not_from_stored_results() -> None:
    whole_kg = replace(XIHUAMEN_MEASURES, version="test", rounding=replace(XIHUAMEN_MEASURES.rounding, emissions=RoundingRule(0)))
    table = xihuamen_measures(methodology=whole_kg)
    lines = {m.activity.measure: m.line.rounded for m in table.lines}
    assert lines["iot_control_strategies"] == Quantity(11059, KG_YR)
    assert lines["split_air_conditioners"] == Quantity(45596, KG_YR)
    assert table.total == Quantity(233298, KG_YR)


def test_factors_come_from_the_factor_set() -> None:
    national = replace(XIHUAMEN_SEED, version="test", factors=tuple(
        replace(f, value=Quantity("0.5703", "kgCO2e/kWh")) if f.key == "electricity.grid.sichuan" else f
        for f in XIHUAMEN_SEED.factors))
    line = {m.activity.measure: m for m in xihuamen_measures(factors=national).lines}["rooftop_pv"]
    assert line.line.rounded == Quantity("9980.3", KG_YR)  # 17,500 × 0.5703 = 9,980.25 → half up
    with pytest.raises(FactorOutsideValidity):
        xihuamen_measures(period=Period.year(2023))


def test_calculators_check_the_units_of_their_inputs() -> None:
    with pytest.raises(UnitMismatch):
        iot_control_strategies(Quantity("7158184.5", "kWh"), percent("1.5"))  # a total, not per year
    with pytest.raises(UnitMismatch):
        iot_control_strategies(Quantity("7158184.5", "kWh/yr"), Quantity("1.5", "kWh"))
    with pytest.raises(InvalidParameter):
        water_saving_fixtures(Quantity(62981, "m3/yr"), percent(130))  # a rate above 100 %
    with pytest.raises(UnitMismatch):
        split_air_conditioners(Quantity(717, "P"), Quantity("0.735", "kWh/h"), Quantity(8, "h/d"),
                               Quantity(300, "d/yr"), percent(35))
    with pytest.raises(UnitMismatch):
        rooftop_pv(Quantity(20, "kWp"))


@pytest.mark.parametrize("lit_hours", [3, 6, 12, 18])  # lit/24 must terminate: the printed formula divides by it
def test_the_printed_led_formula_overstates_the_saving_for_any_lit_hours(lit_hours: int) -> None:
    inputs = (Quantity("0.008", "kWh/(h·lamp)"), Quantity(24, "h/d"), Quantity(lit_hours, "h/d"), Quantity(300, "d/yr"),
              Quantity(3000, "lamp"))
    physical, printed = led_garage_lighting(*inputs).avoided, led_garage_lighting_as_printed(*inputs).avoided
    assert physical == Quantity(7200 * (24 - lit_hours), "kWh/yr")  # 0.008 × 300 × 3,000 per unlit hour a day
    # printed ÷ physical = 24² ÷ (lit × (24 − lit)) ≥ 4, equal only at 12 h: the printed formula always overstates
    assert printed >= physical * 4 and (printed == physical * 4) == (lit_hours == 12)


def test_the_printed_led_formula_refuses_to_round_a_non_terminating_ratio() -> None:
    with pytest.raises(InexactArithmetic):
        led_garage_lighting_as_printed(Quantity("0.008", "kWh/(h·lamp)"), Quantity(24, "h/d"), Quantity(8, "h/d"),
                                       Quantity(300, "d/yr"), Quantity(3000, "lamp"))


def test_a_measure_the_methodology_does_not_know_is_refused() -> None:
    with pytest.raises(UnmappedActivity):
        estimate(xihuamen_activities()[0], PUBLIC_INSTITUTION_INVENTORY, XIHUAMEN_SEED, Period.year(2022))


def test_document_figures_are_labels_not_inputs() -> None:
    assert all(m.document == Decimal(p) for m, (_, p) in zip(TABLE.lines, SEED_LINES))
    stripped = [estimate(a, XIHUAMEN_MEASURES, XIHUAMEN_SEED, Period.year(2022)) for a in xihuamen_activities()]
    assert [m.line.rounded for m in stripped] == [m.line.rounded for m in TABLE.lines]
