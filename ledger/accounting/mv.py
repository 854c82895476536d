"""Measurement and verification of a retrofit from metered data, IPMVP option C (whole facility).

A baseline model — ordinary least squares of consumption on degree-days and/or occupancy — is fitted to
the baseline period exactly (rational arithmetic, no floats, no numpy), checked against acceptance
criteria, and driven with the reporting period's conditions to give the adjusted baseline: what the
facility would have used without the retrofit. Avoided energy = adjusted baseline − metered reporting use;
verified savings in kgCO2e go through the methodology's `emission_line` like every other figure.

Acceptance (ASHRAE Guideline 14-2002 §5.2.2.4, whole-building approach, energy use): CV(RMSE) of the
baseline model at most 20 % when fewer than 12 months of reporting data are used, 25 % for 12–60 months,
30 % beyond. R² ≥ 0.75 is added as a commonly used floor (not a Guideline 14 requirement); both are
configurable. The decision compares exact squares (CV² ≤ limit²); the square roots are only for display.
A model that fails is refused: no savings, and so no credits, may be claimed from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

from ledger.accounting.errors import InsufficientData, ModelNotGoodEnough, SingularModel, UnitMismatch
from ledger.accounting.factors import FactorSet, Period
from ledger.accounting.methodology import EmissionLine, Methodology, emission_line
from ledger.accounting.quantities import ONE, Quantity, Unit, round_fraction

FRACTION_PLACES = 4  # savings fraction and R² are shown as 0.1234 (12.34 %)


@dataclass(frozen=True, slots=True)
class Observation:
    """One metering interval (e.g. a month): consumption and the conditions that drive it."""

    label: str
    consumption: Quantity  # kWh, the same unit for every observation
    drivers: Mapping[str, Quantity]  # e.g. {"hdd": Quantity(312, "K·d"), "occupancy": Quantity(3835, "person")}


@dataclass(frozen=True, slots=True)
class AcceptanceCriteria:
    max_cv_rmse: Fraction
    min_r_squared: Fraction = Fraction(3, 4)

    @classmethod
    def guideline_14(cls, reporting_months: int) -> AcceptanceCriteria:
        """Guideline 14's CV(RMSE) limit for energy use, by the length of the reporting period."""
        limit = Fraction(1, 5) if reporting_months < 12 else Fraction(1, 4) if reporting_months <= 60 else Fraction(3, 10)
        return cls(max_cv_rmse=limit)


@dataclass(frozen=True)
class BaselineModel:
    """consumption = intercept + Σ slope_i × driver_i, with the fit statistics of the baseline period."""

    drivers: tuple[str, ...]
    driver_units: tuple[Unit, ...]
    consumption_unit: Unit
    intercept: Fraction
    slopes: tuple[Fraction, ...]
    observations: int
    r_squared: Fraction
    cv_rmse_squared: Fraction  # exact; CV(RMSE) itself is irrational in general
    nmbe: Fraction  # zero by construction for least squares with an intercept; reported for completeness

    @property
    def parameters(self) -> int:
        return 1 + len(self.drivers)

    def predict(self, drivers: Mapping[str, Quantity]) -> Fraction:
        row = _row(self.drivers, self.driver_units, drivers)
        return self.intercept + sum((s * x for s, x in zip(self.slopes, row)), Fraction(0))

    def cv_rmse(self, places: int = FRACTION_PLACES) -> Decimal:
        """CV(RMSE) as a fraction (0.1234 = 12.34 %), for display."""
        with localcontext() as ctx:
            ctx.prec = 50
            root = (Decimal(self.cv_rmse_squared.numerator) / Decimal(self.cv_rmse_squared.denominator)).sqrt()
        return round_fraction(Fraction(root), places)

    def check(self, criteria: AcceptanceCriteria) -> None:
        """Raise ModelNotGoodEnough, naming each failed criterion, unless the model meets `criteria`."""
        reasons = []
        if self.r_squared < criteria.min_r_squared:
            reasons.append(f"R² {round_fraction(self.r_squared, FRACTION_PLACES)} below "
                           f"{round_fraction(criteria.min_r_squared, FRACTION_PLACES)}")
        if self.cv_rmse_squared > criteria.max_cv_rmse ** 2:
            reasons.append(f"CV(RMSE) {self.cv_rmse()} above {round_fraction(criteria.max_cv_rmse, FRACTION_PLACES)}")
        if reasons:
            raise ModelNotGoodEnough(tuple(reasons))


def _row(names: tuple[str, ...], units: tuple[Unit, ...], drivers: Mapping[str, Quantity]) -> list[Fraction]:
    row = []
    for name, expected in zip(names, units):
        value = drivers.get(name)
        if value is None:
            raise InsufficientData(f"driver {name!r} missing")
        if value.unit != expected:
            raise UnitMismatch(f"driver {name!r}", str(value.unit), str(expected))
        row.append(value.to_fraction())
    return row


def _solve(matrix: list[list[Fraction]], vector: list[Fraction], drivers: tuple[str, ...]) -> list[Fraction]:
    """Gauss–Jordan elimination in exact rationals; a zero pivot means no unique solution."""
    size = len(vector)
    rows = [matrix[i][:] + [vector[i]] for i in range(size)]
    for col in range(size):
        pivot = next((r for r in range(col, size) if rows[r][col] != 0), None)
        if pivot is None:
            raise SingularModel(drivers)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        lead = rows[col][col]
        rows[col] = [v / lead for v in rows[col]]
        for r in range(size):
            if r != col and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col])]
    return [rows[i][size] for i in range(size)]


def fit_baseline(observations: Sequence[Observation], drivers: Sequence[str]) -> BaselineModel:
    """The exact least-squares baseline model of consumption on `drivers` over `observations`."""
    if not observations:
        raise InsufficientData("no baseline observations")
    names = tuple(drivers)
    consumption_unit = observations[0].consumption.unit
    units = tuple(observations[0].drivers[n].unit if n in observations[0].drivers else ONE for n in names)
    n, p = len(observations), 1 + len(names)
    if n <= p:
        raise InsufficientData(f"{n} observations cannot fit {p} parameters with residual degrees of freedom")
    xs, ys = [], []
    for obs in observations:
        if obs.consumption.unit != consumption_unit:
            raise UnitMismatch(f"consumption of {obs.label}", str(obs.consumption.unit), str(consumption_unit))
        xs.append([Fraction(1), *_row(names, units, obs.drivers)])
        ys.append(obs.consumption.to_fraction())
    xtx = [[sum((x[i] * x[j] for x in xs), Fraction(0)) for j in range(p)] for i in range(p)]
    xty = [sum((x[i] * y for x, y in zip(xs, ys)), Fraction(0)) for i in range(p)]
    beta = _solve(xtx, xty, names)
    fitted = [sum((b * v for b, v in zip(beta, x)), Fraction(0)) for x in xs]
    mean = sum(ys, Fraction(0)) / n
    ss_res = sum(((y - f) ** 2 for y, f in zip(ys, fitted)), Fraction(0))
    ss_tot = sum(((y - mean) ** 2 for y in ys), Fraction(0))
    if ss_tot == 0 or mean <= 0:
        raise InsufficientData("baseline consumption does not vary (or is not positive): R² and CV(RMSE) are undefined")
    return BaselineModel(
        names, units, consumption_unit, beta[0], tuple(beta[1:]), n,
        r_squared=1 - ss_res / ss_tot,
        cv_rmse_squared=ss_res / (n - p) / mean ** 2,
        nmbe=sum((y - f for y, f in zip(ys, fitted)), Fraction(0)) / ((n - p) * mean),
    )


@dataclass(frozen=True)
class VerifiedSavings:
    model: BaselineModel
    criteria: AcceptanceCriteria
    adjusted_baseline: Quantity  # what the reporting period would have used without the retrofit
    reporting_consumption: Quantity
    avoided_energy: Quantity  # rounded by the methodology's energy rule
    savings_fraction: Quantity  # avoided ÷ adjusted baseline, dimensionless
    emissions: EmissionLine  # avoided kgCO2e, the figure credits may be issued against
    methodology_hash: str
    factor_set_hash: str


def verify_savings(baseline: Sequence[Observation], reporting: Sequence[Observation], drivers: Sequence[str],
                   methodology: Methodology, factors: FactorSet, period: Period, activity: str = "electricity.grid",
                   criteria: AcceptanceCriteria | None = None) -> VerifiedSavings:
    """Verified savings of a retrofit over the reporting period `period`; refuses a model that fails `criteria`.

    The default criteria are Guideline 14's for a reporting period of len(reporting) monthly observations.
    Avoided energy is rounded by the methodology's energy rule before the factor applies, so the kgCO2e
    line is exactly (rounded kWh) × factor, rounded once more by the emissions rule.
    """
    if not reporting:
        raise InsufficientData("no reporting-period observations")
    model = fit_baseline(baseline, drivers)
    criteria = criteria or AcceptanceCriteria.guideline_14(len(reporting))
    model.check(criteria)
    rule = methodology.rounding.energy
    adjusted = sum((model.predict(obs.drivers) for obs in reporting), Fraction(0))
    metered = Fraction(0)
    for obs in reporting:
        if obs.consumption.unit != model.consumption_unit:
            raise UnitMismatch(f"consumption of {obs.label}", str(obs.consumption.unit), str(model.consumption_unit))
        metered += obs.consumption.to_fraction()
    if adjusted <= 0:
        raise InsufficientData("the adjusted baseline is not positive: the model does not describe the reporting period")
    avoided = Quantity(round_fraction(adjusted - metered, rule.places, rule.mode), model.consumption_unit)
    return VerifiedSavings(
        model=model, criteria=criteria,
        adjusted_baseline=Quantity(round_fraction(adjusted, rule.places, rule.mode), model.consumption_unit),
        reporting_consumption=Quantity(round_fraction(metered, rule.places, rule.mode), model.consumption_unit),
        avoided_energy=avoided,
        savings_fraction=Quantity(round_fraction((adjusted - metered) / adjusted, FRACTION_PLACES), ONE),
        emissions=emission_line(methodology, activity, avoided, factors, period),
        methodology_hash=methodology.content_hash, factor_set_hash=factors.content_hash,
    )
