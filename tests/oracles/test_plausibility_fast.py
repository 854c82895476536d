"""The integer fast test of a counter step agrees with the Decimal rule it short-cuts (oracles/plausibility.py)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ledger.encoding import Quantity, Reading, Unit
from oracles.plausibility import _judge_step, _plainly_plausible, _step
from oracles.profiles import DeviceProfile
from oracles.rejects import ReadingRejected

DEVICE = b"\x11" * 32
VALUES = st.one_of(st.integers(-10**6, 10**9), st.integers(-2**127, 2**127 - 1))
SCALES = st.integers(-6, 3)
RATINGS = st.one_of(st.none(), st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**6), places=3))


def _reading(sequence: int, timestamp: int, scale: int, value: int) -> Reading:
    return Reading(DEVICE, sequence, timestamp, Quantity.ACTIVE_ENERGY_IMPORT, Unit.KWH, scale, value)


def _outcome(judge, before: Reading, after: Reading, profile: DeviceProfile | None):
    try:
        return judge(before, after, profile, after)
    except ReadingRejected as rejected:
        return (rejected.reason, rejected.detail)


@settings(max_examples=400, deadline=None)
@given(old=VALUES, growth=st.integers(-10**6, 10**9), old_scale=SCALES, same_scale=st.booleans(), new_scale=SCALES,
       elapsed=st.integers(-100, 10**6), rating=RATINGS,
       counter_max=st.one_of(st.none(), st.decimals(min_value=Decimal(1), max_value=Decimal(10**9), places=1)))
@example(old=1000, growth=2, old_scale=-1, same_scale=True, new_scale=0, elapsed=0, rating=Decimal("0.001"), counter_max=None)
@example(old=0, growth=11, old_scale=-1, same_scale=True, new_scale=0, elapsed=3600, rating=Decimal("1"), counter_max=None)
@example(old=0, growth=12, old_scale=-1, same_scale=True, new_scale=0, elapsed=3600, rating=Decimal("1"), counter_max=None)
def test_the_fast_test_and_the_decimal_rule_give_the_same_verdict(old, growth, old_scale, same_scale, new_scale, elapsed,
                                                                  rating, counter_max) -> None:
    new = max(-2**127, min(2**127 - 1, old + growth))
    before = _reading(1, 1_700_000_000, old_scale, old)
    after = _reading(2, 1_700_000_000 + elapsed, old_scale if same_scale else new_scale, new)
    profile = None if rating is None and counter_max is None else DeviceProfile(DEVICE, rating, counter_max)
    reference = _outcome(_judge_step, before, after, profile)
    assert _outcome(_step, before, after, profile) == reference
    if _plainly_plausible(before, after, profile):
        assert reference is None  # the fast test never accepts what the rule would flag or refuse


def test_a_step_exactly_at_the_allowance_is_left_to_the_decimal_rule() -> None:
    """1 kWh/h for an hour with 10 % margin allows 1.1 + 0.1 (one unit of the last digit) = 1.2 kWh."""
    profile = DeviceProfile(DEVICE, Decimal(1))
    before = _reading(1, 0, -1, 0)
    assert _plainly_plausible(before, _reading(2, 3600, -1, 11), profile)
    assert not _plainly_plausible(before, _reading(2, 3600, -1, 12), profile)  # the exact boundary: Decimal decides
    assert _step(before, _reading(2, 3600, -1, 12), profile, before) is None
    assert _outcome(_step, before, _reading(2, 3600, -1, 13), profile)[0].value == "implausible_jump"
