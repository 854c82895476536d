"""Work orders (from alarms, inspections or by hand) and the seed's operations figures.

The seed (§三.(二).3) claims that managed IoT operations cut the service response time by 60 % or
more and work-order completion time by 50 % or more. The figures here are computed from the work
orders themselves: response time = responded − raised, completion time = completed − raised, means
over the orders before and after a cut-over time, and the reduction (before − after) / before.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import Session, select

from api.errors import ApiError, conflict, forbidden
from api.models import Role, User, WorkOrder

SEED_RESPONSE_REDUCTION_PCT = Decimal("60")
SEED_COMPLETION_REDUCTION_PCT = Decimal("50")
CLOCK_SKEW = 300  # seconds a stated time may lie ahead of the server's clock
OPEN, ASSIGNED, IN_PROGRESS, COMPLETED = "open", "assigned", "in_progress", "completed"
_SECONDS = Decimal("0.1")
_PERCENT = Decimal("0.1")


def stated_time(at: int | None, not_before: int, what: str, now: int | None = None) -> int:
    """`at` (default now), which must not precede `not_before` nor lie in the future."""
    now = int(time.time()) if now is None else now
    value = now if at is None else at
    if value > now + CLOCK_SKEW:
        raise ApiError(422, "invalid_input", f"{what} time {value} is in the future (server clock {now})")
    if value < not_before:
        raise ApiError(422, "invalid_input", f"{what} time {value} is before {not_before}, when the order reached "
                       "its previous state")
    return value


def assign(session: Session, order: WorkOrder, assignee: User, at: int | None) -> WorkOrder:
    if order.state == COMPLETED:
        raise conflict(f"work order {order.id} is completed")
    if order.state == IN_PROGRESS:
        raise conflict(f"work order {order.id} is in progress with user {order.assignee_id}; it cannot be reassigned")
    if Role(assignee.role) not in (Role.OPERATOR, Role.INSTITUTION_ADMIN):
        raise ApiError(422, "invalid_input", f"user {assignee.id} is a {assignee.role}; work goes to operators or admins")
    order.assigned_at = stated_time(at, order.raised_at, "assignment")
    order.assignee_id, order.state = assignee.id, ASSIGNED
    return _save(session, order)


def respond(session: Session, order: WorkOrder, user: User, at: int | None) -> WorkOrder:
    _check_assignee(order, user)
    if order.state != ASSIGNED:
        raise conflict(f"work order {order.id} is {order.state}; only an assigned order can be responded to")
    order.responded_at = stated_time(at, order.assigned_at or order.raised_at, "response")
    order.state = IN_PROGRESS
    return _save(session, order)


def complete(session: Session, order: WorkOrder, user: User, resolution: str, at: int | None) -> WorkOrder:
    _check_assignee(order, user)
    if order.state != IN_PROGRESS:
        raise conflict(f"work order {order.id} is {order.state}; respond before completing it")
    order.completed_at = stated_time(at, order.responded_at or order.raised_at, "completion")
    order.state, order.resolution = COMPLETED, resolution
    return _save(session, order)


def _check_assignee(order: WorkOrder, user: User) -> None:
    if order.assignee_id != user.id:
        raise forbidden(f"work order {order.id} is assigned to user {order.assignee_id}, not to you")


def _save(session: Session, order: WorkOrder) -> WorkOrder:
    session.add(order)
    session.commit()
    session.refresh(order)
    return order


@dataclass(frozen=True)
class CohortFigures:
    """Mean times of one cohort of work orders, with the sums they come from."""

    orders: int
    responded: int
    completed: int
    response_seconds_total: int
    completion_seconds_total: int

    @property
    def mean_response_seconds(self) -> Decimal | None:
        return _mean(self.response_seconds_total, self.responded)

    @property
    def mean_completion_seconds(self) -> Decimal | None:
        return _mean(self.completion_seconds_total, self.completed)


@dataclass(frozen=True)
class OperationsFigures:
    before: CohortFigures
    after: CohortFigures

    @property
    def response_reduction_pct(self) -> Decimal | None:
        return _reduction(self.before.response_seconds_total, self.before.responded,
                          self.after.response_seconds_total, self.after.responded)

    @property
    def completion_reduction_pct(self) -> Decimal | None:
        return _reduction(self.before.completion_seconds_total, self.before.completed,
                          self.after.completion_seconds_total, self.after.completed)


def cohort(orders: list[WorkOrder]) -> CohortFigures:
    responded = [o for o in orders if o.responded_at is not None]
    completed = [o for o in orders if o.completed_at is not None]
    return CohortFigures(len(orders), len(responded), len(completed),
                         sum(o.responded_at - o.raised_at for o in responded),
                         sum(o.completed_at - o.raised_at for o in completed))


def operations_figures(session: Session, institution_ids: list[int], cutover: int) -> OperationsFigures:
    """Orders raised before `cutover` against those raised at or after it."""
    orders = list(session.exec(select(WorkOrder).where(WorkOrder.institution_id.in_(institution_ids))))
    return OperationsFigures(cohort([o for o in orders if o.raised_at < cutover]),
                             cohort([o for o in orders if o.raised_at >= cutover]))


def _mean(total: int, count: int) -> Decimal | None:
    return None if count == 0 else (Decimal(total) / Decimal(count)).quantize(_SECONDS, ROUND_HALF_UP)


def _reduction(before_total: int, before_n: int, after_total: int, after_n: int) -> Decimal | None:
    """(mean before − mean after) / mean before × 100, from exact sums (no rounded means in between)."""
    if before_n == 0 or after_n == 0 or before_total == 0:
        return None
    before = Decimal(before_total) / before_n
    after = Decimal(after_total) / after_n
    return ((before - after) * 100 / before).quantize(_PERCENT, ROUND_HALF_UP)
