"""Exact quantities with explicit units: the only numbers accounting computes with.

A `Quantity` is a Decimal and a `Unit`. Units multiply and divide symbolically (kgCO2e/kWh × kWh =
kgCO2e), so a formula that ends in the wrong unit is caught; adding or comparing different units raises
UnitMismatch. Nothing converts by itself: kWh becomes MWh only through a named Conversion (`kwh_to_mwh`),
which a methodology lists by name so the conversion is part of what its hash covers.

Arithmetic never rounds: an operation whose exact result does not fit raises InexactArithmetic, and
rounding happens only through `quantize`, `divided_by` or `round_fraction`, each with a stated rule.
Floats are refused at every entry point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import (
    ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, DivisionByZero, Inexact, InvalidOperation,
    Overflow,
)
from fractions import Fraction
from functools import lru_cache

from ledger.accounting.errors import FloatRejected, InexactArithmetic, UnitMismatch, UnknownConversion, UnknownUnit
from ledger.encoding import Reading
from ledger.encoding import Unit as ReadingUnit

# Canonical symbols (ASCII, so hashes and JSON are stable) and what each means.
SYMBOLS: dict[str, str] = {
    "Wh": "watt-hour", "kWh": "kilowatt-hour", "MWh": "megawatt-hour", "GJ": "gigajoule", "kWp": "kilowatt-peak (PV)",
    "m3": "cubic metre", "L": "litre", "g": "gram", "kg": "kilogram", "t": "tonne",
    "gCO2e": "gram CO2-equivalent", "kgCO2e": "kilogram CO2-equivalent", "tCO2e": "tonne CO2-equivalent",
    "sheet": "A4 sheet", "person": "person", "lamp": "lamp", "elevator": "elevator", "office": "office room",
    "meeting": "meeting", "P": "air-conditioner capacity class (匹, about 2.5 kW cooling)",
    "m2": "square metre", "km": "kilometre", "passenger-km": "passenger-kilometre",
    "h": "hour", "d": "day", "yr": "year", "K": "kelvin (degree-days are K·d)", "CNY": "renminbi yuan",
}
_ALIASES = {"m³": "m3", "m²": "m2", "pkm": "passenger-km", "a": "yr"}

# Wide enough that no product or sum of realistic figures is ever rounded; Inexact is an error, not a flag.
EXACT = Context(prec=120, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])
# Used only where rounding is the point (quantize): same width, Inexact allowed.
_ROUNDING = Context(prec=120, traps=[InvalidOperation, Overflow])
ROUNDING_MODES = (ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN)


@dataclass(frozen=True, slots=True)
class Unit:
    """A product of symbols with integer powers, e.g. kgCO2e·kWh⁻¹; `powers` is sorted (case-insensitively)
    and has no zeros, so equal units compare and print equally."""

    powers: tuple[tuple[str, int], ...]

    def __mul__(self, other: Unit) -> Unit:
        return _combine(self.powers, other.powers, 1)

    def __truediv__(self, other: Unit) -> Unit:
        return _combine(self.powers, other.powers, -1)

    def __repr__(self) -> str:
        return f"unit({str(self)!r})"

    def exponent(self, symbol: str) -> int:
        return dict(self.powers).get(symbol, 0)

    def __str__(self) -> str:
        def side(items: list[tuple[str, int]]) -> str:
            return "·".join(s if p == 1 else f"{s}^{p}" for s, p in items)
        num = [(s, p) for s, p in self.powers if p > 0]
        den = [(s, -p) for s, p in self.powers if p < 0]
        text = side(num) or "1"
        if den:
            text += "/" + (side(den) if len(den) == 1 else f"({side(den)})")
        return text


def _combine(left: tuple[tuple[str, int], ...], right: tuple[tuple[str, int], ...], sign: int) -> Unit:
    powers = dict(left)
    for symbol, power in right:
        powers[symbol] = powers.get(symbol, 0) + sign * power
    return Unit(tuple(sorted(((s, p) for s, p in powers.items() if p), key=lambda item: (item[0].lower(), item[0]))))


@lru_cache(maxsize=512)
def unit(text: str) -> Unit:
    """Parse `kgCO2e/kWh`, `kWh/(h·lamp)`, `K·d`, `1`; everything after the first `/` is the denominator."""
    numerator, _, denominator = text.replace("*", "·").partition("/")

    def side(part: str) -> Unit:
        part = part.strip().removeprefix("(").removesuffix(")")
        result = Unit(())
        for token in filter(None, (t.strip() for t in part.split("·"))):
            symbol, _, power = token.partition("^")
            symbol = _ALIASES.get(symbol, symbol)
            if symbol == "1":
                continue
            if symbol not in SYMBOLS:
                raise UnknownUnit(text, symbol)
            result = result * Unit(((symbol, int(power or 1)),))
        return result

    return side(numerator) / side(denominator) if denominator else side(numerator)


ONE = Unit(())
_parse_unit = unit  # Quantity's `unit` argument shadows the function inside the class


def _decimal(value: object, where: str) -> Decimal:
    if isinstance(value, float):
        raise FloatRejected(where, value)
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"{where}: expected Decimal, int or str, got {type(value).__name__}")
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{where}: {value!r} is not a number") from None
    if not result.is_finite():
        raise ValueError(f"{where}: {value!r} is not finite")
    return result


def _exact(operation: str, compute: Callable[[], Decimal]) -> Decimal:
    try:
        return compute()
    except Inexact:
        raise InexactArithmetic(operation, "the exact result has no finite decimal form within 120 digits") from None


@dataclass(frozen=True, slots=True)
class Quantity:
    """An exact amount in a unit. Accepts Decimal, int or str values and a Unit or unit text; never a float."""

    value: Decimal
    unit: Unit

    def __init__(self, value: Decimal | int | str, unit: Unit | str = ONE) -> None:
        object.__setattr__(self, "value", _decimal(value, "quantity value"))
        object.__setattr__(self, "unit", _parse_unit(unit) if isinstance(unit, str) else unit)

    def _same_unit(self, other: object, operation: str) -> Quantity:
        if not isinstance(other, Quantity):
            if isinstance(other, float):
                raise FloatRejected(operation, other)
            raise UnitMismatch(operation, str(self.unit), f"bare {type(other).__name__}")
        if other.unit != self.unit:
            raise UnitMismatch(operation, str(self.unit), str(other.unit))
        return other

    def __add__(self, other: Quantity) -> Quantity:
        other = self._same_unit(other, "addition")
        return Quantity(_exact("addition", lambda: EXACT.add(self.value, other.value)), self.unit)

    def __sub__(self, other: Quantity) -> Quantity:
        other = self._same_unit(other, "subtraction")
        return Quantity(_exact("subtraction", lambda: EXACT.subtract(self.value, other.value)), self.unit)

    def __mul__(self, other: Quantity | Decimal | int) -> Quantity:
        if isinstance(other, Quantity):
            return Quantity(_exact("multiplication", lambda: EXACT.multiply(self.value, other.value)), self.unit * other.unit)
        factor = _decimal(other, "multiplication")
        return Quantity(_exact("multiplication", lambda: EXACT.multiply(self.value, factor)), self.unit)

    __rmul__ = __mul__

    def __truediv__(self, other: Quantity | Decimal | int) -> Quantity:
        """Exact division; 1/3 raises InexactArithmetic (use `divided_by` with stated places)."""
        if isinstance(other, Quantity):
            return Quantity(_exact("division", lambda: EXACT.divide(self.value, other.value)), self.unit / other.unit)
        divisor = _decimal(other, "division")
        return Quantity(_exact("division", lambda: EXACT.divide(self.value, divisor)), self.unit)

    def divided_by(self, other: Quantity, places: int, rounding: str = ROUND_HALF_UP) -> Quantity:
        """self / other rounded once, at `places` decimals with `rounding`: for ratios such as payback or intensity."""
        if other.value == 0:
            raise ZeroDivisionError(f"division of {self} by zero {other.unit}")
        return Quantity(round_fraction(self.to_fraction() / other.to_fraction(), places, rounding), self.unit / other.unit)

    def __neg__(self) -> Quantity:
        return Quantity(-self.value, self.unit)

    def __lt__(self, other: Quantity) -> bool:
        return self.value < self._same_unit(other, "comparison").value

    def __le__(self, other: Quantity) -> bool:
        return self.value <= self._same_unit(other, "comparison").value

    def __gt__(self, other: Quantity) -> bool:
        return self.value > self._same_unit(other, "comparison").value

    def __ge__(self, other: Quantity) -> bool:
        return self.value >= self._same_unit(other, "comparison").value

    def quantize(self, places: int, rounding: str = ROUND_HALF_UP) -> Quantity:
        """The value rounded to `places` decimals (negative places round to tens, hundreds…)."""
        if rounding not in ROUNDING_MODES:
            raise ValueError(f"rounding must be one of {ROUNDING_MODES}, got {rounding!r}")
        return Quantity(self.value.quantize(Decimal(1).scaleb(-places), rounding=rounding, context=_ROUNDING), self.unit)

    def to_fraction(self) -> Fraction:
        return Fraction(self.value)

    def is_representable(self, places: int) -> bool:
        return self.value == self.value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN, context=_ROUNDING)

    def __str__(self) -> str:
        return f"{format_decimal(self.value)} {self.unit}" if self.unit != ONE else format_decimal(self.value)

    def __repr__(self) -> str:
        return f"Quantity({format_decimal(self.value, grouping=False)!r}, {str(self.unit)!r})"


def quantity_sum(items: Iterable[Quantity], unit_: Unit | str) -> Quantity:
    """The exact sum of `items`, all in `unit_` (zero of that unit when empty)."""
    total = Quantity(0, unit_)
    for item in items:
        total = total + item
    return total


def percent(value: Decimal | int | str) -> Quantity:
    """A dimensionless rate written as a percentage: percent("1.5") is exactly 0.015."""
    return Quantity(_decimal(value, "percent").scaleb(-2, context=EXACT), ONE)


def round_fraction(value: Fraction, places: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    """An exact rational rounded once to `places` decimals: the only way a non-terminating result becomes Decimal."""
    if isinstance(value, float):
        raise FloatRejected("round_fraction", value)
    scaled = Fraction(value) * Fraction(10) ** places
    whole, remainder = divmod(abs(scaled.numerator), scaled.denominator)
    twice = 2 * remainder
    if rounding == ROUND_HALF_UP:
        whole += twice >= scaled.denominator
    elif rounding == ROUND_HALF_EVEN:
        whole += twice > scaled.denominator or (twice == scaled.denominator and whole % 2 == 1)
    elif rounding != ROUND_DOWN:
        raise ValueError(f"rounding must be one of {ROUNDING_MODES}, got {rounding!r}")
    return Decimal(-whole if scaled < 0 else whole).scaleb(-places, context=EXACT)


def format_decimal(value: Decimal, grouping: bool = True) -> str:
    """Plain notation (never 1E+3), with thousands separators by default, as the seed prints figures."""
    return format(value, ",f" if grouping else "f")


def canonical_decimal(value: Decimal) -> str:
    """One spelling per number (2.60 and 2.6 both give "2.6"), so equal values hash equally."""
    text = format(value.normalize(context=EXACT), "f")
    return "0" if text in ("-0", "0") else text


@dataclass(frozen=True, slots=True)
class Conversion:
    """An exact, named change of one symbol: 1 `source` = `factor` `target`, wherever the symbol appears."""

    name: str
    source: str
    target: str
    factor: Decimal

    def __call__(self, q: Quantity) -> Quantity:
        power = q.unit.exponent(self.source)
        if power == 0:
            raise UnitMismatch(self.name, str(q.unit), f"a unit containing {self.source}")
        scale = _exact(self.name, lambda: EXACT.power(self.factor, power))
        swapped = q.unit / Unit(((self.source, power),)) * Unit(((self.target, power),))
        return Quantity(_exact(self.name, lambda: EXACT.multiply(q.value, scale)), swapped)


kwh_to_mwh = Conversion("kwh_to_mwh", "kWh", "MWh", Decimal("0.001"))
mwh_to_kwh = Conversion("mwh_to_kwh", "MWh", "kWh", Decimal(1000))
wh_to_kwh = Conversion("wh_to_kwh", "Wh", "kWh", Decimal("0.001"))
kg_to_t = Conversion("kg_to_t", "kg", "t", Decimal("0.001"))
t_to_kg = Conversion("t_to_kg", "t", "kg", Decimal(1000))
litres_to_m3 = Conversion("litres_to_m3", "L", "m3", Decimal("0.001"))
gco2e_to_kgco2e = Conversion("gco2e_to_kgco2e", "gCO2e", "kgCO2e", Decimal("0.001"))
kgco2e_to_gco2e = Conversion("kgco2e_to_gco2e", "kgCO2e", "gCO2e", Decimal(1000))
kgco2e_to_tco2e = Conversion("kgco2e_to_tco2e", "kgCO2e", "tCO2e", Decimal("0.001"))
tco2e_to_kgco2e = Conversion("tco2e_to_kgco2e", "tCO2e", "kgCO2e", Decimal(1000))

CONVERSIONS: dict[str, Conversion] = {c.name: c for c in (
    kwh_to_mwh, mwh_to_kwh, wh_to_kwh, kg_to_t, t_to_kg, litres_to_m3,
    gco2e_to_kgco2e, kgco2e_to_gco2e, kgco2e_to_tco2e, tco2e_to_kgco2e,
)}


def conversion(name: str) -> Conversion:
    try:
        return CONVERSIONS[name]
    except KeyError:
        raise UnknownConversion(name, tuple(sorted(CONVERSIONS))) from None


_READING_SYMBOLS = {ReadingUnit.WH: "Wh", ReadingUnit.KWH: "kWh", ReadingUnit.M3: "m3",
                    ReadingUnit.LITRE: "L", ReadingUnit.GJ: "GJ"}


def reading_quantity(reading: Reading) -> Quantity:
    """A signed reading's value as a Quantity; instantaneous units (kW, A, m³/h) are not activity data."""
    symbol = _READING_SYMBOLS.get(reading.unit)
    if symbol is None:
        raise UnitMismatch("reading to activity", reading.unit.name, "an energy or volume unit")
    return Quantity(reading.decimal_value, symbol)

