"""Quantities: units are explicit, arithmetic is exact, conversions are named, floats never get in."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.accounting.errors import FloatRejected, InexactArithmetic, UnitMismatch, UnknownConversion, UnknownUnit
from ledger.accounting.quantities import (
    ONE, SYMBOLS, Quantity, Unit, conversion, kg_to_t, kwh_to_mwh, litres_to_m3, mwh_to_kwh, percent, quantity_sum,
    reading_quantity, round_fraction, tco2e_to_kgco2e, unit,
)
from ledger.encoding import Quantity as ReadingQuantity
from ledger.encoding import Reading
from ledger.encoding import Unit as ReadingUnit


@pytest.mark.parametrize("left, right", [("kWh", "m3"), ("kg", "kgCO2e"), ("kWh", "MWh"), ("kgCO2e", "kgCO2e/yr")])
def test_adding_different_units_raises_unit_mismatch(left: str, right: str) -> None:
    with pytest.raises(UnitMismatch) as caught:
        Quantity(1, left) + Quantity(1, right)
    assert caught.value.left == str(unit(left)) and caught.value.right == str(unit(right))
    with pytest.raises(UnitMismatch):
        Quantity(1, left) - Quantity(1, right)
    with pytest.raises(UnitMismatch):
        Quantity(1, left) < Quantity(1, right)


def test_adding_a_bare_number_to_a_quantity_raises() -> None:
    with pytest.raises(UnitMismatch):
        Quantity(1, "kWh") + 1  # type: ignore[operator]


@pytest.mark.parametrize("make", [
    lambda: Quantity(0.103, "kgCO2e/kWh"),
    lambda: Quantity(1, "kWh") * 1.5,
    lambda: Quantity(1, "kWh") / 2.0,
    lambda: percent(1.5),
    lambda: round_fraction(0.5, 0),  # type: ignore[arg-type]
    lambda: Quantity(1, "kWh") + 0.0,
])
def test_floats_are_rejected_at_every_entry(make) -> None:
    with pytest.raises(FloatRejected):
        make()


def test_units_multiply_and_cancel_symbolically() -> None:
    emissions = Quantity("7158184.5", "kWh/yr") * Quantity("0.103", "kgCO2e/kWh") * percent("1.5")
    assert emissions.unit == unit("kgCO2e/yr")
    assert emissions.value == Decimal("11059.3950525")
    assert (Quantity(2, "kWh/(h·lamp)") * Quantity(3, "h") * Quantity(4, "lamp")).unit == unit("kWh")


def test_conversions_are_named_exact_and_refuse_other_units() -> None:
    grid = Quantity("0.5703", "tCO2e/MWh")
    per_kwh = mwh_to_kwh(tco2e_to_kgco2e(grid))
    assert per_kwh.unit == unit("kgCO2e/kWh") and per_kwh.value == Decimal("0.5703")
    assert kwh_to_mwh(Quantity("7158184.5", "kWh")) == Quantity("7158.1845", "MWh")
    assert kg_to_t(Quantity(1000, "kg")) == Quantity(1, "t")
    assert litres_to_m3(Quantity(62981000, "L")) == Quantity(62981, "m3")
    with pytest.raises(UnitMismatch):
        kwh_to_mwh(Quantity(1, "m3"))
    with pytest.raises(UnitMismatch):
        kg_to_t(Quantity(1, "kgCO2e"))  # emissions mass is not goods mass
    assert conversion("gco2e_to_kgco2e")(Quantity("2.6", "gCO2e/sheet")) == Quantity("0.0026", "kgCO2e/sheet")
    with pytest.raises(UnknownConversion):
        conversion("kwh_to_btu")


def test_inexact_division_raises_and_rounding_is_always_explicit() -> None:
    with pytest.raises(InexactArithmetic):
        Quantity(1, "kWh") / 3
    assert Quantity(6, "h/d") / Quantity(24, "h/d") == Quantity("0.25")
    third = Quantity(1, "kWh").divided_by(Quantity(3, "h"), 3)
    assert third == Quantity("0.333", "kWh/h")
    assert Quantity("2230000", "CNY").divided_by(Quantity("1205000", "CNY/yr"), 2) == Quantity("1.85", "yr")


def test_quantize_uses_the_stated_rule() -> None:
    assert Quantity("0.25", "kg").quantize(1) == Quantity("0.3", "kg")
    assert Quantity("0.25", "kg").quantize(1, ROUND_HALF_EVEN) == Quantity("0.2", "kg")
    assert Quantity("-0.25", "kg").quantize(1) == Quantity("-0.3", "kg")


@given(st.decimals(min_value=-10**9, max_value=10**9, places=6, allow_nan=False, allow_infinity=False),
       st.integers(min_value=0, max_value=5), st.sampled_from([ROUND_HALF_UP, ROUND_HALF_EVEN]))
def test_round_fraction_agrees_with_decimal_quantize(value: Decimal, places: int, mode: str) -> None:
    expected = value.quantize(Decimal(1).scaleb(-places), rounding=mode)
    assert round_fraction(Fraction(value), places, mode) == expected


def test_round_fraction_rounds_non_terminating_rationals_once() -> None:
    assert round_fraction(Fraction(2, 3), 4) == Decimal("0.6667")
    assert round_fraction(Fraction(-2, 3), 4) == Decimal("-0.6667")
    assert round_fraction(Fraction(1, 8), 2) == Decimal("0.13")  # half up
    assert round_fraction(Fraction(1, 8), 2, ROUND_HALF_EVEN) == Decimal("0.12")


def test_unknown_symbols_are_refused_and_aliases_accepted() -> None:
    with pytest.raises(UnknownUnit):
        unit("kWh/fortnight")
    assert unit("m³") == unit("m3") and unit("pkm") == unit("passenger-km")
    assert unit("1") == ONE and str(ONE) == "1"


_units = st.lists(st.tuples(st.sampled_from(sorted(SYMBOLS)), st.integers(-3, 3)), max_size=4)


@given(_units)
def test_unit_text_round_trips(parts: list[tuple[str, int]]) -> None:
    u = Unit(())
    for symbol, power in parts:
        u = u * Unit(((symbol, power),)) if power else u
    assert unit(str(u)) == u


def test_quantity_sum_of_nothing_is_zero_in_the_unit() -> None:
    assert quantity_sum([], "kgCO2e") == Quantity(0, "kgCO2e")
    with pytest.raises(UnitMismatch):
        quantity_sum([Quantity(1, "kWh")], "m3")


def test_readings_become_activity_quantities_only_for_cumulative_units() -> None:
    reading = Reading(device_id=b"\x01" * 32, sequence=1, timestamp=1_700_000_000,
                      quantity=ReadingQuantity.ACTIVE_ENERGY_IMPORT, unit=ReadingUnit.KWH, scale=-2, value=123456)
    assert reading_quantity(reading) == Quantity("1234.56", "kWh")
    power = Reading(device_id=b"\x01" * 32, sequence=2, timestamp=1_700_000_000,
                    quantity=ReadingQuantity.ACTIVE_POWER, unit=ReadingUnit.KW, scale=0, value=5)
    with pytest.raises(UnitMismatch):
        reading_quantity(power)
