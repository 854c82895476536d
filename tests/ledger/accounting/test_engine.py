"""The period engine and methodologies: hashed definitions, exact lines, totals that are sums of lines."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.accounting.engine import account, to_chain_integer
from ledger.accounting.errors import (
    FactorOutsideValidity, InexactArithmetic, InvalidMethodology, NegativeActivity, NoActivityData, UnitMismatch,
    UnknownFactor, UnknownMethodology, UnmappedActivity,
)
from ledger.accounting.factors import Period
from ledger.accounting.methodology import ActivityRule, IsoCategory, RoundingRule, Scope
from ledger.accounting.published import (
    CN_PUBLIC_INSTITUTION_2022, PUBLIC_INSTITUTION_INVENTORY, XIHUAMEN_MEASURES, XIHUAMEN_SEED, methodology,
)
from ledger.accounting.quantities import Quantity

Y2022 = Period.year(2022)
INVENTORY = PUBLIC_INSTITUTION_INVENTORY
FACTORS = CN_PUBLIC_INSTITUTION_2022

YEAR = {
    "electricity.grid": Quantity("7158184.5", "kWh"),
    "natural_gas": Quantity("12000", "m3"),
    "diesel": Quantity("1500.5", "kg"),
    "water.supply": Quantity("62981", "m3"),
    "travel.national_rail": Quantity("25000", "passenger-km"),
    "travel.walk_cycle": Quantity("8000", "passenger-km"),
}


def test_a_year_is_accounted_line_by_line_with_scopes_and_hashes() -> None:
    result = account(YEAR, INVENTORY, FACTORS, Y2022)
    lines = {line.activity: line for line in result.lines}
    assert lines["electricity.grid"].factor == Quantity("0.5703", "kgCO2e/kWh")  # converted from tCO2e/MWh by name
    assert lines["electricity.grid"].rounded == Quantity("4082312.620", "kgCO2e")  # 7,158,184.5 × 0.5703 = …2.62035
    assert lines["natural_gas"].rounded == Quantity("25946.4", "kgCO2e")
    assert lines["diesel"].rounded == Quantity("4781.043", "kgCO2e")  # 1,500.5 × 3.1863 = 4,781.04315
    assert lines["travel.national_rail"].rounded == Quantity("1028.75", "kgCO2e")  # 25,000 × 41.15 g
    assert lines["travel.walk_cycle"].rounded == Quantity(0, "kgCO2e")
    assert result.scope_totals[Scope.SCOPE_1] == Quantity("30727.443", "kgCO2e")
    assert result.scope_totals[Scope.SCOPE_2] == Quantity("4082312.620", "kgCO2e")
    assert result.scope_totals[Scope.SCOPE_3] == Quantity("13247.064", "kgCO2e")  # water 12,218.314 + rail 1,028.75
    assert result.iso_totals[IsoCategory.TRANSPORTATION] == Quantity("1028.75", "kgCO2e")
    assert result.methodology_hash == INVENTORY.content_hash and result.factor_set_hash == FACTORS.content_hash
    assert (result.methodology_id, result.methodology_version) == ("public-institution-inventory", "1")


def test_totals_are_sums_of_rounded_lines_and_chain_integers_are_gco2e() -> None:
    result = account(YEAR, INVENTORY, FACTORS, Y2022)
    assert sum(line.rounded.value for line in result.lines) == result.total.value
    assert sum(q.value for q in result.scope_totals.values()) == result.total.value
    chain = result.scope_totals_chain()
    assert chain == {Scope.SCOPE_1: 30727443, Scope.SCOPE_2: 4082312620, Scope.SCOPE_3: 13247064}
    assert result.to_json()["total_gco2e"] == sum(chain.values())


def test_chain_encoding_refuses_to_round() -> None:
    assert to_chain_integer(Quantity("1.234", "kgCO2e")) == 1234
    with pytest.raises(InexactArithmetic):
        to_chain_integer(Quantity("1.2345", "kgCO2e"))
    with pytest.raises(InvalidMethodology):
        to_chain_integer(Quantity("1", "tCO2e"))


def test_unknown_methodology_or_version_raises() -> None:
    with pytest.raises(UnknownMethodology) as caught:
        methodology("public-institution-inventory", "2")
    assert caught.value.known == ("1",)
    with pytest.raises(UnknownMethodology):
        methodology("ghg-protocol-magic", "1")


def test_activity_the_methodology_does_not_cover_is_refused_not_dropped() -> None:
    with pytest.raises(UnmappedActivity) as caught:
        account({**YEAR, "district_heating": Quantity(10, "GJ")}, INVENTORY, FACTORS, Y2022)
    assert caught.value.activity == "district_heating"


def test_activity_in_another_unit_is_a_mismatch_not_a_conversion() -> None:
    with pytest.raises(UnitMismatch):
        account({"electricity.grid": Quantity("7158.1845", "MWh")}, INVENTORY, FACTORS, Y2022)
    with pytest.raises(UnitMismatch):  # two parts of one activity in different units
        account([("water.supply", Quantity(1, "m3")), ("water.supply", Quantity(1, "L"))], INVENTORY, FACTORS, Y2022)


def test_empty_or_negative_activity_is_refused() -> None:
    with pytest.raises(NoActivityData):
        account({}, INVENTORY, FACTORS, Y2022)
    with pytest.raises(NegativeActivity):
        account({"natural_gas": Quantity(-1, "m3")}, INVENTORY, FACTORS, Y2022)


def test_factors_must_be_valid_for_the_period_and_present_in_the_set() -> None:
    with pytest.raises(FactorOutsideValidity):
        account(YEAR, INVENTORY, FACTORS, Period.year(2021))
    with pytest.raises(UnknownFactor):
        account({"natural_gas": Quantity(1, "m3")}, INVENTORY, XIHUAMEN_SEED, Y2022)


def test_a_measures_methodology_cannot_account_a_period() -> None:
    with pytest.raises(InvalidMethodology):
        account({"rooftop_pv": Quantity(1, "kWh/yr")}, XIHUAMEN_MEASURES, XIHUAMEN_SEED, Y2022)


def test_invalid_methodologies_are_refused_at_definition() -> None:
    rule = INVENTORY.rules[0]
    with pytest.raises(InvalidMethodology):
        replace(INVENTORY, rules=(rule, rule))
    with pytest.raises(InvalidMethodology):
        replace(INVENTORY, rounding=replace(INVENTORY.rounding, emissions=RoundingRule(4)))  # finer than gCO2e
    with pytest.raises(InvalidMethodology):
        replace(INVENTORY, rules=(replace(rule, conversions=("kwh_to_btu",)),))
    with pytest.raises(InvalidMethodology):
        replace(INVENTORY, result_unit="kWh")


def test_every_rule_and_rounding_is_covered_by_the_hash() -> None:
    base = INVENTORY.content_hash
    assert replace(INVENTORY, rounding=replace(INVENTORY.rounding, emissions=RoundingRule(2))).content_hash != base
    moved = tuple(replace(r, scope=Scope.SCOPE_3) if r.activity == "natural_gas" else r for r in INVENTORY.rules)
    assert replace(INVENTORY, rules=moved).content_hash != base
    assert replace(INVENTORY, rules=tuple(reversed(INVENTORY.rules))).content_hash == base  # order is not content


def test_a_wrong_conversion_chain_is_caught_by_the_result_unit() -> None:
    rule = ActivityRule("electricity.grid", "kWh", "electricity.grid.cn_national", Scope.SCOPE_2,
                        IsoCategory.IMPORTED_ENERGY, ("tco2e_to_kgco2e",))  # forgot mwh_to_kwh
    broken = replace(INVENTORY, rules=(rule,))
    with pytest.raises(UnitMismatch):
        account({"electricity.grid": Quantity(1, "kWh")}, broken, FACTORS, Y2022)


_amounts = st.decimals(min_value=0, max_value=10**8, places=3, allow_nan=False, allow_infinity=False)
_activity = st.sampled_from([("electricity.grid", "kWh"), ("natural_gas", "m3"), ("gasoline", "kg"), ("diesel", "kg"),
                             ("water.supply", "m3"), ("travel.bus", "passenger-km"), ("travel.taxi", "passenger-km")])
_records = st.lists(st.tuples(_activity, _amounts), min_size=1, max_size=20)


@settings(max_examples=60, deadline=None)
@given(_records)
def test_doubling_activity_doubles_emissions(records) -> None:
    single = [(a, Quantity(v, u)) for (a, u), v in records]
    double = [(a, q * 2) for a, q in single]
    one, two = account(single, INVENTORY, FACTORS, Y2022), account(double, INVENTORY, FACTORS, Y2022)
    for line_1, line_2 in zip(one.lines, two.lines):
        assert line_2.exact == line_1.exact * 2  # exact arithmetic: exactly double
        # rounded once per line at 0.001 kg: at most one unit of the last place apart
        assert abs(line_2.rounded.value - 2 * line_1.rounded.value) <= Decimal("0.001")
    assert abs(two.total.value - 2 * one.total.value) <= Decimal("0.001") * len(one.lines)


@settings(max_examples=60, deadline=None)
@given(_records, st.randoms(use_true_random=False), st.integers(min_value=1, max_value=4))
def test_result_does_not_depend_on_record_order_or_splitting(records, rng, pieces: int) -> None:
    single = [(a, Quantity(v, u)) for (a, u), v in records]
    split = []
    for activity, amount in single:  # cut each record into `pieces` exact parts
        part = (amount.value / pieces).quantize(Decimal("0.001"))
        split += [(activity, Quantity(part, amount.unit))] * (pieces - 1)
        split.append((activity, Quantity(amount.value - part * (pieces - 1), amount.unit)))
    rng.shuffle(split)
    assert account(split, INVENTORY, FACTORS, Y2022).content_hash == account(single, INVENTORY, FACTORS, Y2022).content_hash
