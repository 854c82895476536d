"""The accounting engine: activity totals for a period + methodology + factor set → a result to anchor.

`account` is the function the API, the CLI and `zcl audit` call; nothing else computes period emissions.
Its result names the methodology (id, version, hash) and the factor set (id, version, hash) it used and
carries per-scope and per-ISO-category totals both as Decimal kgCO2e and as integers in gCO2e — the
fixed-point form the AccountingLedger contract stores (scale: 1 unit = 1 gCO2e = 10⁻³ kgCO2e).

Activity records may arrive in any order and split into any number of parts: they are summed exactly
per activity before anything is multiplied, so the result depends only on the totals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from ledger.accounting.errors import InexactArithmetic, InvalidMethodology, NegativeActivity, NoActivityData
from ledger.accounting.factors import FactorSet, Period, canonical_json
from ledger.accounting.methodology import CHAIN_PLACES, EmissionLine, IsoCategory, Methodology, Scope, emission_line
from ledger.accounting.quantities import Quantity, canonical_decimal, quantity_sum, unit

KG_CO2E = unit("kgCO2e")


def to_chain_integer(emissions: Quantity) -> int:
    """kgCO2e as an integer number of gCO2e; refuses a value that would need rounding."""
    if emissions.unit != KG_CO2E:
        raise InvalidMethodology("chain encoding", f"expects kgCO2e, got {emissions.unit}")
    if not emissions.is_representable(CHAIN_PLACES):
        raise InexactArithmetic("chain encoding", f"{emissions} has more than {CHAIN_PLACES} decimal places")
    return int(emissions.value.scaleb(CHAIN_PLACES))


@dataclass(frozen=True)
class AccountingResult:
    methodology_id: str
    methodology_version: str
    methodology_hash: str
    factor_set_id: str
    factor_set_version: str
    factor_set_hash: str
    period: Period
    lines: tuple[EmissionLine, ...]  # sorted by activity
    scope_totals: Mapping[Scope, Quantity]  # every scope present, zero where nothing was emitted
    iso_totals: Mapping[IsoCategory, Quantity]
    total: Quantity

    def scope_totals_chain(self) -> dict[Scope, int]:
        """Per-scope totals in gCO2e integers, as submitted to the AccountingLedger contract."""
        return {scope: to_chain_integer(q) for scope, q in self.scope_totals.items()}

    def to_json(self) -> dict[str, object]:
        return {
            "kind": "zcl.accounting-result/1",
            "methodology": {"id": self.methodology_id, "version": self.methodology_version, "hash": self.methodology_hash},
            "factor_set": {"id": self.factor_set_id, "version": self.factor_set_version, "hash": self.factor_set_hash},
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "lines": [{
                "activity": line.activity, "amount": canonical_decimal(line.amount.value), "unit": str(line.amount.unit),
                "factor": line.factor_key, "factor_value": canonical_decimal(line.factor.value),
                "factor_unit": str(line.factor.unit), "scope": int(line.scope), "iso_category": int(line.iso_category),
                "kgco2e_exact": canonical_decimal(line.exact.value), "kgco2e": canonical_decimal(line.rounded.value),
            } for line in self.lines],
            "scope_totals_kgco2e": {str(int(s)): canonical_decimal(q.value) for s, q in self.scope_totals.items()},
            "scope_totals_gco2e": {str(int(s)): v for s, v in self.scope_totals_chain().items()},
            "iso_totals_kgco2e": {str(int(c)): canonical_decimal(q.value) for c, q in self.iso_totals.items()},
            "total_kgco2e": canonical_decimal(self.total.value),
            "total_gco2e": to_chain_integer(self.total),
        }

    @cached_property
    def content_hash(self) -> str:
        """sha256 of the canonical JSON of `to_json()`: equal inputs give equal hashes, whatever their order."""
        return hashlib.sha256(canonical_json(self.to_json())).hexdigest()


def account(
    activities: Mapping[str, Quantity] | Iterable[tuple[str, Quantity]],
    methodology: Methodology,
    factors: FactorSet,
    period: Period,
) -> AccountingResult:
    """Emissions of `activities` over `period`: per line, per scope, per ISO category and in total.

    Raises NoActivityData for an empty input, UnmappedActivity for an activity the methodology does not
    cover, UnitMismatch for an activity in the wrong unit, NegativeActivity for a negative total, and the
    factor set's errors for a factor that is missing or not valid for the period.
    """
    if methodology.result_unit != "kgCO2e":
        raise InvalidMethodology(methodology.id, "a period inventory needs result unit kgCO2e")
    items = activities.items() if isinstance(activities, Mapping) else activities
    totals: dict[str, Quantity] = {}
    for activity, amount in items:
        totals[activity] = totals[activity] + amount if activity in totals else amount
    if not totals:
        raise NoActivityData(f"period {period}")
    for activity, amount in totals.items():
        methodology.rule(activity)  # unmapped activity is an error before any factor is looked up
        if amount.value < 0:
            raise NegativeActivity(activity, str(amount))
    lines = tuple(emission_line(methodology, activity, totals[activity], factors, period) for activity in sorted(totals))
    scope_totals = {s: quantity_sum((l.rounded for l in lines if l.scope == s), KG_CO2E) for s in Scope}
    iso_totals = {c: quantity_sum((l.rounded for l in lines if l.iso_category == c), KG_CO2E) for c in IsoCategory}
    return AccountingResult(
        methodology_id=methodology.id, methodology_version=methodology.version, methodology_hash=methodology.content_hash,
        factor_set_id=factors.id, factor_set_version=factors.version, factor_set_hash=factors.content_hash,
        period=period, lines=lines, scope_totals=scope_totals, iso_totals=iso_totals,
        total=quantity_sum(scope_totals.values(), KG_CO2E),
    )
