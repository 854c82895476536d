"""Every way accounting refuses an input, each an exception carrying the offending values.

All derive from AccountingError (a ValueError), so the CLI and API map the whole family once
(`zcl.context.reports_errors` turns a ValueError into `error: …` and exit code 2).
"""

from __future__ import annotations

from datetime import date


class AccountingError(ValueError):
    """Base of every accounting refusal."""


class UnitMismatch(AccountingError):
    """Two quantities met in an operation that needs equal units; nothing is ever converted silently."""

    def __init__(self, operation: str, left: str, right: str) -> None:
        super().__init__(f"unit mismatch in {operation}: {left} vs {right}")
        self.operation = operation
        self.left = left
        self.right = right


class UnknownUnit(AccountingError):
    def __init__(self, text: str, symbol: str) -> None:
        super().__init__(f"unknown unit symbol {symbol!r} in {text!r}")
        self.text = text
        self.symbol = symbol


class UnknownConversion(AccountingError):
    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(f"unknown unit conversion {name!r} (known: {', '.join(known)})")
        self.name = name


class FloatRejected(AccountingError, TypeError):
    """A float reached a carbon or money figure: binary fractions cannot hold 0.103 exactly."""

    def __init__(self, where: str, value: object) -> None:
        super().__init__(f"{where}: floats are not accepted ({value!r}); pass a Decimal, int or str")
        self.where = where
        self.value = value


class InexactArithmetic(AccountingError):
    """An operation would have rounded; rounding happens only where a methodology says so."""

    def __init__(self, operation: str, detail: str) -> None:
        super().__init__(f"{operation} is not exact: {detail}; round explicitly")
        self.operation = operation


class InvalidParameter(AccountingError):
    """A parameter in the right unit but outside what it can mean (a saving rate above 100 %)."""

    def __init__(self, name: str, value: str, reason: str) -> None:
        super().__init__(f"{name} {value}: {reason}")
        self.name = name
        self.value = value
        self.reason = reason


class UnknownFactorSet(AccountingError):
    def __init__(self, set_id: str, version: str, known: tuple[str, ...]) -> None:
        hint = f"known versions: {', '.join(known)}" if known else "no such factor set"
        super().__init__(f"unknown factor set {set_id}@{version} ({hint})")
        self.set_id = set_id
        self.version = version
        self.known = known


class UnknownFactor(AccountingError):
    def __init__(self, set_id: str, version: str, key: str) -> None:
        super().__init__(f"factor set {set_id}@{version} has no factor {key!r}")
        self.set_id = set_id
        self.version = version
        self.key = key


class FactorOutsideValidity(AccountingError):
    """A factor was asked for a period it does not cover (e.g. the 2022 grid average for 2019 data)."""

    def __init__(self, key: str, valid_from: date, valid_until: date | None, start: date, end: date) -> None:
        until = valid_until.isoformat() if valid_until else "open"
        super().__init__(f"factor {key!r} is valid {valid_from.isoformat()}..{until}, "
                         f"not for {start.isoformat()}..{end.isoformat()}")
        self.key = key
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.start = start
        self.end = end


class DuplicateFactor(AccountingError):
    def __init__(self, key: str) -> None:
        super().__init__(f"factor {key!r} defined twice")
        self.key = key


class UnknownMethodology(AccountingError):
    def __init__(self, methodology_id: str, version: str, known: tuple[str, ...]) -> None:
        hint = f"known versions: {', '.join(known)}" if known else "no such methodology"
        super().__init__(f"unknown methodology {methodology_id}@{version} ({hint})")
        self.methodology_id = methodology_id
        self.version = version
        self.known = known


class InvalidMethodology(AccountingError):
    def __init__(self, methodology_id: str, reason: str) -> None:
        super().__init__(f"methodology {methodology_id}: {reason}")
        self.methodology_id = methodology_id
        self.reason = reason


class UnmappedActivity(AccountingError):
    """Activity data the methodology does not cover: dropping it silently would under-report."""

    def __init__(self, activity: str, methodology_id: str) -> None:
        super().__init__(f"activity {activity!r} is not covered by methodology {methodology_id}")
        self.activity = activity
        self.methodology_id = methodology_id


class NoActivityData(AccountingError):
    def __init__(self, what: str) -> None:
        super().__init__(f"no activity data for {what}")
        self.what = what


class NegativeActivity(AccountingError):
    def __init__(self, activity: str, amount: str) -> None:
        super().__init__(f"activity {activity!r} total is negative ({amount}); meter totals cannot be")
        self.activity = activity
        self.amount = amount


class InvalidBoundary(AccountingError):
    def __init__(self, node_id: str, reason: str) -> None:
        super().__init__(f"boundary {node_id!r}: {reason}")
        self.node_id = node_id
        self.reason = reason


class OverlappingBoundaries(AccountingError):
    """One meter counted in two boundaries: the roll-up would count its energy twice."""

    def __init__(self, meter_id: str, first: tuple[str, ...], second: tuple[str, ...]) -> None:
        super().__init__(f"meter {meter_id!r} is counted in {', '.join(first)} and again in {', '.join(second)}")
        self.meter_id = meter_id
        self.first = first
        self.second = second


class UnassignedMeter(AccountingError):
    def __init__(self, meter_id: str) -> None:
        super().__init__(f"meter {meter_id!r} has a total but belongs to no boundary")
        self.meter_id = meter_id


class AllocationError(AccountingError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"cannot allocate: {reason}")
        self.reason = reason


class InsufficientData(AccountingError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"not enough data: {reason}")
        self.reason = reason


class SingularModel(AccountingError):
    """The drivers are constant or collinear, so no unique least-squares fit exists."""

    def __init__(self, drivers: tuple[str, ...]) -> None:
        super().__init__(f"drivers {', '.join(drivers) or '(none)'} do not determine a unique fit (constant or collinear)")
        self.drivers = drivers


class ModelNotGoodEnough(AccountingError):
    """The baseline model fails the acceptance criteria, so no savings may be claimed from it."""

    def __init__(self, reasons: tuple[str, ...]) -> None:
        super().__init__("baseline model refused: " + "; ".join(reasons))
        self.reasons = reasons
