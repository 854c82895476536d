"""M&V (IPMVP option C): exact least squares, Guideline 14 acceptance, verified savings in kWh and kgCO2e."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.accounting.errors import InsufficientData, ModelNotGoodEnough, SingularModel, UnitMismatch
from ledger.accounting.factors import Period
from ledger.accounting.mv import AcceptanceCriteria, Observation, fit_baseline, verify_savings
from ledger.accounting.published import CN_PUBLIC_INSTITUTION_2022, PUBLIC_INSTITUTION_INVENTORY
from ledger.accounting.quantities import Quantity

HDD = [420, 360, 250, 120, 40, 0, 0, 0, 30, 150, 290, 400]
CDD = [0, 0, 10, 40, 120, 210, 280, 260, 150, 30, 0, 0]
H1_2022 = Period(date(2022, 1, 1), date(2022, 6, 30))


def month(label: str, kwh: Decimal | int | str, hdd: int, cdd: int) -> Observation:
    return Observation(label, Quantity(kwh, "kWh"), {"hdd": Quantity(hdd, "K·d"), "cdd": Quantity(cdd, "K·d")})


def model_kwh(hdd: int, cdd: int) -> int:
    return 5000 + 30 * hdd + 45 * cdd  # the synthetic building's true response


BASELINE = [month(f"2021-{i + 1:02}", model_kwh(h, c), h, c) for i, (h, c) in enumerate(zip(HDD, CDD))]


def test_a_known_model_is_recovered_exactly() -> None:
    model = fit_baseline(BASELINE, ["hdd", "cdd"])
    assert (model.intercept, model.slopes) == (Fraction(5000), (Fraction(30), Fraction(45)))
    assert model.r_squared == 1 and model.cv_rmse_squared == 0 and model.nmbe == 0
    model.check(AcceptanceCriteria.guideline_14(6))


def test_verified_savings_are_exact_in_kwh_and_kgco2e() -> None:
    weather = [(400, 0), (300, 0), (200, 20), (100, 60), (50, 150), (0, 250)]
    # the retrofit saves exactly 10 % of what the building would otherwise have used
    reporting = [month(f"2022-{i + 1:02}", Decimal(model_kwh(h, c)) * Decimal("0.9"), h, c) for i, (h, c) in enumerate(weather)]
    savings = verify_savings(BASELINE, reporting, ["hdd", "cdd"], PUBLIC_INSTITUTION_INVENTORY, CN_PUBLIC_INSTITUTION_2022,
                             H1_2022)
    assert savings.adjusted_baseline == Quantity(83100, "kWh")  # 6 × 5,000 + 30 × 1,050 + 45 × 480
    assert savings.reporting_consumption == Quantity(74790, "kWh")
    assert savings.avoided_energy == Quantity(8310, "kWh")
    assert savings.savings_fraction == Quantity("0.1")
    assert savings.emissions.rounded == Quantity("4739.193", "kgCO2e")  # 8,310 × 0.5703, national grid 2022
    assert savings.methodology_hash == PUBLIC_INSTITUTION_INVENTORY.content_hash
    assert savings.factor_set_hash == CN_PUBLIC_INSTITUTION_2022.content_hash


def test_occupancy_can_drive_the_model() -> None:
    people = [3600, 3700, 3835, 3835, 3500, 3200, 3835, 3750]
    obs = [Observation(str(i), Quantity(100 + 2 * p, "kWh"), {"occupancy": Quantity(p, "person")}) for i, p in enumerate(people)]
    model = fit_baseline(obs, ["occupancy"])
    assert (model.intercept, model.slopes) == (Fraction(100), (Fraction(2),))
    assert model.predict({"occupancy": Quantity(4000, "person")}) == 8100


def test_noisy_single_driver_fit_matches_the_closed_form() -> None:
    xs = list(range(12))
    noise = [37, -52, 18, -9, 61, -40, -23, 45, -70, 12, 29, -8]
    obs = [Observation(str(x), Quantity(2000 + 150 * x + e, "kWh"), {"hdd": Quantity(x, "K·d")}) for x, e in zip(xs, noise)]
    model = fit_baseline(obs, ["hdd"])
    ys = [Fraction(2000 + 150 * x + e) for x, e in zip(xs, noise)]
    mx, my = Fraction(sum(xs), 12), sum(ys) / 12
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    assert model.slopes == (slope,) and model.intercept == my - slope * mx
    residuals = [y - model.predict({"hdd": Quantity(x, "K·d")}) for x, y in zip(xs, ys)]
    ss_res, ss_tot = sum(r * r for r in residuals), sum((y - my) ** 2 for y in ys)
    assert model.r_squared == 1 - ss_res / ss_tot
    assert model.cv_rmse_squared == ss_res / (12 - 2) / my ** 2  # Guideline 14: n − p degrees of freedom
    model.check(AcceptanceCriteria.guideline_14(12))
    assert Decimal("0.01") < model.cv_rmse() < Decimal("0.02")


def test_a_model_that_explains_nothing_is_refused() -> None:
    obs = [Observation(str(x), Quantity(1000 if x % 2 else 3000, "kWh"), {"hdd": Quantity(x, "K·d")}) for x in range(12)]
    reporting = obs[:3]
    with pytest.raises(ModelNotGoodEnough) as caught:
        verify_savings(obs, reporting, ["hdd"], PUBLIC_INSTITUTION_INVENTORY, CN_PUBLIC_INSTITUTION_2022, H1_2022)
    assert any(r.startswith("R²") for r in caught.value.reasons)
    assert any(r.startswith("CV(RMSE)") for r in caught.value.reasons)


def test_a_well_correlated_but_noisy_model_fails_on_cv_rmse_alone() -> None:
    noise = [150, -150] * 6
    obs = [Observation(str(x), Quantity(100 * x + 200 + e, "kWh"), {"hdd": Quantity(x, "K·d")}) for x, e in zip(range(12), noise)]
    model = fit_baseline(obs, ["hdd"])
    with pytest.raises(ModelNotGoodEnough) as caught:
        model.check(AcceptanceCriteria.guideline_14(6))
    assert model.r_squared >= Fraction(3, 4)
    assert len(caught.value.reasons) == 1 and caught.value.reasons[0].startswith("CV(RMSE)")
    model.check(AcceptanceCriteria(max_cv_rmse=Fraction(1, 2)))  # a looser, explicitly chosen limit accepts it


@pytest.mark.parametrize("months, limit", [(1, Fraction(1, 5)), (11, Fraction(1, 5)), (12, Fraction(1, 4)),
                                           (60, Fraction(1, 4)), (61, Fraction(3, 10))])
def test_guideline_14_limits_depend_on_the_reporting_period(months: int, limit: Fraction) -> None:
    assert AcceptanceCriteria.guideline_14(months).max_cv_rmse == limit


def test_degenerate_data_is_refused() -> None:
    constant_driver = [month(str(i), 1000 + i, 100, 0) for i in range(6)]
    with pytest.raises(SingularModel):
        fit_baseline(constant_driver, ["hdd"])
    with pytest.raises(InsufficientData):
        fit_baseline(BASELINE[:3], ["hdd", "cdd"])  # 3 observations, 3 parameters: no residual freedom
    with pytest.raises(InsufficientData):
        fit_baseline([month(str(i), 1000, h, 0) for i, h in enumerate(HDD)], ["hdd"])  # flat consumption
    with pytest.raises(InsufficientData):
        verify_savings(BASELINE, [], ["hdd", "cdd"], PUBLIC_INSTITUTION_INVENTORY, CN_PUBLIC_INSTITUTION_2022, H1_2022)


def test_units_of_drivers_and_consumption_must_agree() -> None:
    wrong_driver = BASELINE[:-1] + [Observation("x", Quantity(5000, "kWh"), {"hdd": Quantity(1, "d"), "cdd": Quantity(0, "K·d")})]
    with pytest.raises(UnitMismatch):
        fit_baseline(wrong_driver, ["hdd", "cdd"])
    wrong_energy = BASELINE[:-1] + [Observation("x", Quantity(5, "MWh"), BASELINE[0].drivers)]
    with pytest.raises(UnitMismatch):
        fit_baseline(wrong_energy, ["hdd", "cdd"])
    with pytest.raises(InsufficientData):
        fit_baseline(BASELINE, ["hdd", "occupancy"])


_obs = st.lists(st.tuples(st.integers(0, 500), st.integers(0, 300), st.integers(1, 10**6)), min_size=4, max_size=15)


@settings(max_examples=60, deadline=None)
@given(_obs)
def test_least_squares_residuals_are_exactly_orthogonal_to_every_regressor(rows) -> None:
    obs = [month(str(i), y, h, c) for i, (h, c, y) in enumerate(rows)]
    try:
        model = fit_baseline(obs, ["hdd", "cdd"])
    except (SingularModel, InsufficientData):
        assume(False)
    residuals = [Fraction(y) - model.predict(o.drivers) for o, (_, _, y) in zip(obs, rows)]
    assert sum(residuals) == 0
    assert sum(r * h for r, (h, _, _) in zip(residuals, rows)) == 0
    assert sum(r * c for r, (_, c, _) in zip(residuals, rows)) == 0
    assert model.nmbe == 0 and 0 <= model.r_squared <= 1
