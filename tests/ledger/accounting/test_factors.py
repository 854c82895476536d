"""Factor sets: versioned, hashed, cited, and never used outside their validity period."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from ledger.accounting.errors import (
    AccountingError, DuplicateFactor, FactorOutsideValidity, UnknownFactor, UnknownFactorSet,
)
from ledger.accounting.factors import EmissionFactor, FactorSet, Period, combine_factor_sets
from ledger.accounting.published import (
    CN_GRID_2022, CN_PUBLIC_INSTITUTION_2022, FACTOR_SETS, FUELS, TRAVEL_MODES, XIHUAMEN_SEED, factor_set,
)
from ledger.accounting.quantities import Quantity, round_fraction

Y2022 = Period.year(2022)


def test_unknown_set_or_version_raises_naming_the_versions_that_exist() -> None:
    with pytest.raises(UnknownFactorSet) as caught:
        factor_set("cn-mee-grid", "2021")
    assert caught.value.known == ("2022",) and "2022" in str(caught.value)
    with pytest.raises(UnknownFactorSet) as caught:
        factor_set("no-such-set", "1")
    assert caught.value.known == ()
    assert factor_set("xihuamen-seed", "2022.1") is XIHUAMEN_SEED


def test_unknown_factor_key_raises() -> None:
    with pytest.raises(UnknownFactor) as caught:
        XIHUAMEN_SEED.factor("electricity.grid.beijing", Y2022)
    assert caught.value.key == "electricity.grid.beijing"


@pytest.mark.parametrize("factors, key, period", [
    (CN_GRID_2022, "electricity.grid.cn_national", Period.year(2021)),
    (CN_GRID_2022, "electricity.grid.cn_national", Period(date(2022, 6, 1), date(2023, 5, 31))),
    (XIHUAMEN_SEED, "water.supply", Period.year(2023)),
    (FUELS, "natural_gas.volume", Period.year(2012)),
    (CN_PUBLIC_INSTITUTION_2022, "travel.bus", Period.year(2017)),
])
def test_lookup_outside_the_validity_period_raises(factors: FactorSet, key: str, period: Period) -> None:
    with pytest.raises(FactorOutsideValidity) as caught:
        factors.factor(key, period)
    assert caught.value.key == key


def test_open_ended_factors_are_valid_from_their_start() -> None:
    assert FUELS.factor("diesel.mass", Period.year(2040)).value == Quantity("3.1863", "kgCO2e/kg")
    assert TRAVEL_MODES.factor("travel.walk_cycle", Y2022).value == Quantity(0, "gCO2e/passenger-km")


def test_the_values_the_brief_names_are_shipped_with_their_units() -> None:
    assert CN_GRID_2022.factor("electricity.grid.cn_national", Y2022).value == Quantity("0.5703", "tCO2e/MWh")
    seed = {f.key: f.value for f in XIHUAMEN_SEED.factors}
    assert seed == {
        "electricity.grid.sichuan": Quantity("0.103", "kgCO2e/kWh"),
        "water.supply": Quantity("0.194", "kgCO2e/m3"),
        "waste.recyclable": Quantity("2.06", "kgCO2e/kg"),
        "paper.a4": Quantity("2.6", "gCO2e/sheet"),
        "meeting.green_travel": Quantity("3.6", "kgCO2e/person"),
    }
    assert "43号" in CN_GRID_2022.factor("electricity.grid.cn_national", Y2022).source


@pytest.mark.parametrize("key, ncv_tj_per_gg, ef_kg_per_tj", [
    ("natural_gas.mass", "48.0", "56100"), ("gasoline.mass", "44.3", "69300"), ("diesel.mass", "43.0", "74100"),
])
def test_fuel_factors_are_the_ipcc_defaults_multiplied_out(key: str, ncv_tj_per_gg: str, ef_kg_per_tj: str) -> None:
    # TJ/Gg × kg/TJ = kg CO2 per Gg of fuel; ÷ 10⁶ gives kg CO2 per kg
    expected = Decimal(ncv_tj_per_gg) * Decimal(ef_kg_per_tj) / Decimal(10**6)
    factor = FUELS.factor(key, Y2022)
    assert factor.value == Quantity(expected, "kgCO2e/kg")
    assert ncv_tj_per_gg in factor.source and "IPCC 2006" in factor.source


def test_natural_gas_by_volume_follows_from_the_chinese_default_parameters() -> None:
    exact = Fraction("389.31") * Fraction("15.30") * Fraction("0.99") * Fraction(44, 12) / 10**4
    assert FUELS.factor("natural_gas.volume", Y2022).value.value == round_fraction(exact, 4)


def test_every_published_factor_cites_a_source_and_states_its_gases() -> None:
    for factors in FACTOR_SETS.values():
        for factor in factors.factors:
            assert factor.source.strip() and factor.gases in ("CO2", "CO2e"), (factors.label, factor.key)


def test_hash_is_sha256_of_the_canonical_json() -> None:
    document = json.loads(XIHUAMEN_SEED.canonical_json())
    assert document["id"] == "xihuamen-seed" and document["factors"][0]["value"] == "0.103"
    assert XIHUAMEN_SEED.content_hash == hashlib.sha256(XIHUAMEN_SEED.canonical_json()).hexdigest()


def test_any_changed_number_changes_the_hash_but_spelling_does_not() -> None:
    respelled = replace(XIHUAMEN_SEED, factors=tuple(
        replace(f, value=Quantity("0.1030", "kgCO2e/kWh")) if f.key == "electricity.grid.sichuan" else f
        for f in XIHUAMEN_SEED.factors))
    assert respelled.content_hash == XIHUAMEN_SEED.content_hash
    changed = replace(XIHUAMEN_SEED, factors=tuple(
        replace(f, value=Quantity("0.104", "kgCO2e/kWh")) if f.key == "electricity.grid.sichuan" else f
        for f in XIHUAMEN_SEED.factors))
    assert changed.content_hash != XIHUAMEN_SEED.content_hash
    assert replace(XIHUAMEN_SEED, valid_until=date(2023, 12, 31)).content_hash != XIHUAMEN_SEED.content_hash


def test_a_set_refuses_a_key_twice() -> None:
    factor = EmissionFactor("x", Quantity(1, "kgCO2e/kWh"), "CO2", "test")
    with pytest.raises(DuplicateFactor):
        FactorSet("t", "1", "t", "test", date(2022, 1, 1), None, (factor, factor))


def test_combined_set_keeps_each_factor_validity_and_is_valid_where_all_parts_are() -> None:
    combined = CN_PUBLIC_INSTITUTION_2022
    assert (combined.valid_from, combined.valid_until) == (date(2022, 1, 1), date(2022, 12, 31))
    assert combined.validity(combined.factor("diesel.mass", Y2022)) == (date(2006, 1, 1), None)
    assert combined.validity(combined.factor("water.supply", Y2022)) == (date(2019, 1, 1), date(2022, 12, 31))
    assert len(combined.components) == 4 and all("#" in c for c in combined.components)
    with pytest.raises(DuplicateFactor):
        combine_factor_sets("twice", "1", "twice", (XIHUAMEN_SEED, XIHUAMEN_SEED))
    with pytest.raises(AccountingError):
        combine_factor_sets("disjoint", "1", "disjoint", (CN_GRID_2022, replace(XIHUAMEN_SEED, valid_until=date(2020, 12, 31))))


def test_period_month_is_the_whole_calendar_month() -> None:
    assert str(Period.month(2022, 2)) == "2022-02-01..2022-02-28"
    assert str(Period.month(2024, 2)) == "2024-02-01..2024-02-29"  # leap year
    assert str(Period.month(2022, 12)) == "2022-12-01..2022-12-31"  # the year turns
    assert [Period.month(2022, m).start.month for m in range(1, 13)] == list(range(1, 13))
