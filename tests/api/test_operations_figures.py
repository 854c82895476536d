"""The operations figures' arithmetic (api/services/operations.py), as properties that must always hold."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from api.models import WorkOrder
from api.services.operations import OperationsFigures, cohort

durations = st.lists(st.tuples(st.integers(1, 10**6), st.integers(0, 10**6)), min_size=1, max_size=30)


def _orders(pairs: list[tuple[int, int]], raised: int) -> list[WorkOrder]:
    return [WorkOrder(institution_id=4, title="x", source="manual", state="completed", raised_by=1, raised_at=raised,
                      responded_at=raised + r, completed_at=raised + r + c) for r, c in pairs]


@given(durations, durations)
def test_reduction_is_the_exact_ratio_of_means_rounded_once(before: list, after: list) -> None:
    figures = OperationsFigures(cohort(_orders(before, 0)), cohort(_orders(after, 10**7)))
    mean_before = Fraction(sum(r for r, _ in before), len(before))
    mean_after = Fraction(sum(r for r, _ in after), len(after))
    exact = (mean_before - mean_after) * 100 / mean_before
    assert abs(Fraction(figures.response_reduction_pct) - exact) <= Fraction(1, 20)  # one rounding to 0.1
    assert figures.before.mean_response_seconds == (Decimal(mean_before.numerator) / mean_before.denominator
                                                    ).quantize(Decimal("0.1"), "ROUND_HALF_UP")


@given(durations)
def test_completion_is_never_shorter_than_response(pairs: list) -> None:
    c = cohort(_orders(pairs, 1_000))
    assert c.completion_seconds_total >= c.response_seconds_total
    assert c.mean_completion_seconds >= c.mean_response_seconds
