"""Methodologies: versioned, content-hashed definitions of how activity data become emissions.

A methodology says, for each activity it accepts, the unit the activity must arrive in, which factor
applies (by key in a factor set), the named unit conversions applied to that factor, and the GHG Protocol
scope and ISO 14064-1:2018 category the emissions belong to; and it states every rounding rule. Its hash
(sha256 of the canonical JSON) is what a result and the chain record, so changing any rule is a new version.

`emission_line` is the one place where activity × factor happens; the period engine (engine.py), the
reduction measures (measures.py) and M&V (mv.py) all go through it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP
from enum import IntEnum
from functools import cached_property

from ledger.accounting.errors import InvalidMethodology, UnitMismatch, UnknownConversion, UnknownUnit, UnmappedActivity
from ledger.accounting.factors import FactorSet, Period, canonical_json
from ledger.accounting.quantities import ROUNDING_MODES, Quantity, conversion, unit

CHAIN_PLACES = 3  # on-chain integers are gCO2e, i.e. kgCO2e × 10³: emission rounding may keep at most 3 places


class Scope(IntEnum):
    """GHG Protocol Corporate Standard scopes."""

    SCOPE_1 = 1  # direct: fuels burnt on site and in owned vehicles
    SCOPE_2 = 2  # purchased electricity, heat, steam
    SCOPE_3 = 3  # other indirect: water supply, waste, paper, travel


class IsoCategory(IntEnum):
    """ISO 14064-1:2018 §5.2.4 categories."""

    DIRECT = 1
    IMPORTED_ENERGY = 2
    TRANSPORTATION = 3
    PRODUCTS_USED = 4  # goods and services the organisation uses, including water and waste disposal
    PRODUCTS_FROM_ORGANISATION = 5
    OTHER = 6


@dataclass(frozen=True, slots=True)
class RoundingRule:
    """Decimal quantize at `places` decimals with `mode` (ROUND_HALF_UP unless stated)."""

    places: int
    mode: str = ROUND_HALF_UP

    def __post_init__(self) -> None:
        if self.mode not in ROUNDING_MODES:
            raise ValueError(f"rounding mode must be one of {ROUNDING_MODES}, got {self.mode!r}")

    def apply(self, q: Quantity) -> Quantity:
        return q.quantize(self.places, self.mode)

    def to_json(self) -> dict[str, object]:
        return {"places": self.places, "mode": self.mode}


@dataclass(frozen=True, slots=True)
class Rounding:
    """Where and how figures are rounded. Totals are always sums of rounded lines, so a total equals the
    sum of the parts as shown; restated tonnes are rounded before they are priced."""

    emissions: RoundingRule  # each emission line, in the methodology's result unit (kgCO2e)
    energy: RoundingRule  # energy figures such as verified savings (kWh), before a factor is applied
    tonnes: RoundingRule  # kgCO2e restated in tCO2e
    money: RoundingRule  # CNY
    years: RoundingRule  # payback periods
    intensity: RoundingRule  # per person, per m²

    def to_json(self) -> dict[str, object]:
        return {name: getattr(self, name).to_json() for name in
                ("emissions", "energy", "tonnes", "money", "years", "intensity")}


@dataclass(frozen=True, slots=True)
class ActivityRule:
    """activity (in `unit`) × factor `factor`, after `conversions` are applied to the factor, in order."""

    activity: str
    unit: str
    factor: str
    scope: Scope
    iso_category: IsoCategory
    conversions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"activity": self.activity, "unit": self.unit, "factor": self.factor, "scope": int(self.scope),
                "iso_category": int(self.iso_category), "conversions": list(self.conversions)}


@dataclass(frozen=True)
class Methodology:
    id: str
    version: str
    title: str
    result_unit: str  # "kgCO2e" for a period inventory, "kgCO2e/yr" for annual reduction estimates
    rounding: Rounding
    rules: tuple[ActivityRule, ...]

    def __post_init__(self) -> None:
        activities = [r.activity for r in self.rules]
        if len(set(activities)) != len(activities):
            raise InvalidMethodology(self.id, "an activity has two rules")
        if self.rounding.emissions.places > CHAIN_PLACES:
            raise InvalidMethodology(self.id, f"emission rounding keeps more than {CHAIN_PLACES} places (gCO2e on chain)")
        try:
            result = unit(self.result_unit)
            for rule in self.rules:
                unit(rule.unit)
                for name in rule.conversions:
                    conversion(name)
        except (UnknownUnit, UnknownConversion) as exc:
            raise InvalidMethodology(self.id, str(exc)) from None
        if result.exponent("kgCO2e") != 1:
            raise InvalidMethodology(self.id, f"result unit {self.result_unit} is not in kgCO2e")
        object.__setattr__(self, "rules", tuple(sorted(self.rules, key=lambda r: r.activity)))

    @property
    def label(self) -> str:
        return f"{self.id}@{self.version}"

    def rule(self, activity: str) -> ActivityRule:
        for rule in self.rules:
            if rule.activity == activity:
                return rule
        raise UnmappedActivity(activity, self.label)

    def canonical_json(self) -> bytes:
        return canonical_json({
            "kind": "zcl.methodology/1", "id": self.id, "version": self.version, "title": self.title,
            "result_unit": self.result_unit, "rounding": self.rounding.to_json(),
            "rules": [r.to_json() for r in self.rules],
        })

    @cached_property
    def content_hash(self) -> str:
        """sha256 of `canonical_json()`, 64 hex digits."""
        return hashlib.sha256(self.canonical_json()).hexdigest()


@dataclass(frozen=True, slots=True)
class EmissionLine:
    """One activity's emissions: `exact` as computed, `rounded` by the methodology's emissions rule."""

    activity: str
    amount: Quantity
    factor_key: str
    factor: Quantity  # after the rule's conversions, so amount × factor = exact
    conversions: tuple[str, ...]
    scope: Scope
    iso_category: IsoCategory
    exact: Quantity
    rounded: Quantity


def emission_line(methodology: Methodology, activity: str, amount: Quantity, factors: FactorSet,
                  period: Period) -> EmissionLine:
    """amount × the rule's factor (valid for `period`), checked to land in the methodology's result unit."""
    rule = methodology.rule(activity)
    if amount.unit != unit(rule.unit):
        raise UnitMismatch(f"activity {activity!r}", str(amount.unit), rule.unit)
    factor = factors.factor(rule.factor, period).value
    for name in rule.conversions:
        factor = conversion(name)(factor)
    exact = amount * factor
    if exact.unit != unit(methodology.result_unit):
        raise UnitMismatch(f"emissions of {activity!r}", str(exact.unit), methodology.result_unit)
    return EmissionLine(activity, amount, rule.factor, factor, rule.conversions, rule.scope, rule.iso_category,
                        exact, methodology.rounding.emissions.apply(exact))
