"""Carbon accounting: exact, versioned and recomputable by anyone.

- quantities.py: Decimal quantities with explicit units; named conversions only; floats refused.
- factors.py: versioned, content-hashed emission-factor sets with sources and validity periods.
- methodology.py: versioned, content-hashed methodologies (rules, scopes, rounding) and `emission_line`,
  the one place activity × factor happens.
- engine.py: `account`, the period engine whose result (with methodology and factor-set hashes and
  gCO2e integers) is what the chain records.
- published.py: the factor sets and methodologies this project ships, looked up by (id, version).
- boundaries.py: institution → park → building → floor → room, exact meter allocation, intensity.
- measures.py and economics.py: reduction-measure calculators and the seed's Xihuamen table.
- mv.py: measurement and verification of retrofits (IPMVP option C, exact least squares).
"""

from ledger.accounting.engine import AccountingResult, account, to_chain_integer
from ledger.accounting.errors import AccountingError
from ledger.accounting.factors import EmissionFactor, FactorSet, Period
from ledger.accounting.methodology import IsoCategory, Methodology, Scope
from ledger.accounting.published import factor_set, methodology
from ledger.accounting.quantities import Quantity, percent, unit

__all__ = [
    "AccountingError",
    "AccountingResult",
    "EmissionFactor",
    "FactorSet",
    "IsoCategory",
    "Methodology",
    "Period",
    "Quantity",
    "Scope",
    "account",
    "factor_set",
    "methodology",
    "percent",
    "to_chain_integer",
    "unit",
]
