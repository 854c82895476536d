"""Retrofit economics: payback and the value of avoided emissions as carbon credits.

The rounding follows the methodology: avoided emissions are restated in tonnes and rounded *before* they
are priced (the seed prices 233.3 t, not 233.2976 t: 233.3 × 15 × 130 = 454,935 CNY only that way), and
payback is investment ÷ annual savings rounded once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger.accounting.errors import UnitMismatch
from ledger.accounting.methodology import Rounding
from ledger.accounting.quantities import Quantity, canonical_decimal, kgco2e_to_tco2e, quantity_sum, unit


@dataclass(frozen=True, slots=True)
class Economics:
    investment: Quantity  # CNY
    annual_savings: Quantity  # CNY/yr
    payback: Quantity  # yr
    credit_price: Quantity  # CNY/tCO2e
    avoided: Quantity  # tCO2e/yr, rounded
    credit_value: Quantity  # CNY/yr
    horizon: Quantity  # yr
    horizon_avoided: Quantity  # tCO2e
    horizon_credit_value: Quantity  # CNY
    horizon_savings: Quantity  # CNY

    def to_json(self) -> dict[str, dict[str, str]]:
        return {name: {"value": canonical_decimal(q.value), "unit": str(q.unit)} for name, q in (
            ("investment", self.investment), ("annual_savings", self.annual_savings), ("payback", self.payback),
            ("credit_price", self.credit_price), ("avoided", self.avoided), ("credit_value", self.credit_value),
            ("horizon", self.horizon), ("horizon_avoided", self.horizon_avoided),
            ("horizon_credit_value", self.horizon_credit_value), ("horizon_savings", self.horizon_savings))}


def retrofit_economics(avoided_per_year: Quantity, investments: Sequence[Quantity], annual_savings: Quantity,
                       credit_price: Quantity, horizon: Quantity, rounding: Rounding) -> Economics:
    """Payback, and avoided tonnes priced per year and over `horizon`, under `rounding`."""
    for value, expected, what in ((avoided_per_year, "kgCO2e/yr", "avoided emissions"),
                                  (annual_savings, "CNY/yr", "annual savings"),
                                  (credit_price, "CNY/tCO2e", "credit price"), (horizon, "yr", "horizon")):
        if value.unit != unit(expected):
            raise UnitMismatch(what, str(value.unit), expected)
    investment = quantity_sum(investments, "CNY")
    avoided = rounding.tonnes.apply(kgco2e_to_tco2e(avoided_per_year))
    horizon_avoided = rounding.tonnes.apply(avoided * horizon)
    return Economics(
        investment=investment,
        annual_savings=annual_savings,
        payback=investment.divided_by(annual_savings, rounding.years.places, rounding.years.mode),
        credit_price=credit_price,
        avoided=avoided,
        credit_value=rounding.money.apply(avoided * credit_price),
        horizon=horizon,
        horizon_avoided=horizon_avoided,
        horizon_credit_value=rounding.money.apply(horizon_avoided * credit_price),
        horizon_savings=rounding.money.apply(annual_savings * horizon),
    )
