"""An M&V savings report: verified savings of an institution from its anchored readings, and their on-chain form.

The institution states its observation periods (e.g. the months of a baseline year and of a reporting
year) and their drivers (degree-days, occupancy: data the meters do not measure); the consumption of
each period comes from anchored readings only, through the same metering rule as every result
(ledger/accounting/metered.py). `ledger.accounting.mv.verify_savings` — the one M&V formula — turns
them into avoided energy and avoided emissions. The report is canonical JSON stored as evidence; the
AccountingLedger keeps it as a Savings result: the avoided gCO2e in the scope of the energy's emission
line, the root of every batch both periods were read from, and the report's CID.

`rederive_savings` is what `zcl audit` runs on such a report: re-read every period's consumption from
exactly the listed batches, re-run verify_savings, and return the figures to compare.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from ledger.accounting.engine import to_chain_integer
from ledger.accounting.errors import AccountingError, InsufficientData
from ledger.accounting.factors import FactorSet, Period, canonical_json
from ledger.accounting.metered import collect_points, interval_activity, period_bounds
from ledger.accounting.methodology import Methodology, Scope
from ledger.accounting.mv import AcceptanceCriteria, Observation, VerifiedSavings, verify_savings
from ledger.accounting.published import factor_set, methodology
from ledger.accounting.quantities import Quantity, canonical_decimal
from ledger.accounting.report import boundary_devices, label_bytes32
from ledger.chain.clients import LedgerContracts, ResultInput
from ledger.evidence import EvidenceStore
from ledger.merkle import input_set_root

SAVINGS_REPORT_KIND = "zcl.savings-report/1"


@dataclass(frozen=True)
class ObservationPeriod:
    """One metering interval of the baseline or the reporting period, with its drivers."""

    period: Period
    drivers: Mapping[str, Quantity]


@dataclass(frozen=True)
class SavingsReport:
    institution_id: int
    boundary_id: int
    activity: str
    methodology: Methodology
    factors: FactorSet
    drivers: tuple[str, ...]
    baseline: tuple[Observation, ...]
    reporting: tuple[Observation, ...]
    baseline_periods: tuple[Period, ...]
    reporting_periods: tuple[Period, ...]
    batch_roots: tuple[bytes, ...]  # sorted; every batch both periods were read from
    savings: VerifiedSavings
    description: str = ""  # what the retrofit was, in words (e.g. that it is simulated); kept in the report

    @property
    def period(self) -> Period:
        """The reporting period: the Savings result's period on chain."""
        return Period(self.reporting_periods[0].start, self.reporting_periods[-1].end)

    @property
    def scope(self) -> Scope:
        return self.savings.emissions.scope

    @property
    def avoided_grams(self) -> int:
        return to_chain_integer(self.savings.emissions.rounded)

    def to_json(self) -> dict[str, object]:
        start, end = period_bounds(self.period)
        s = self.savings
        return {
            "kind": SAVINGS_REPORT_KIND,
            **({"description": self.description} if self.description else {}),
            "institution": self.institution_id,
            "boundary": self.boundary_id,
            "activity": self.activity,
            "methodology": self.methodology.label,
            "factor_set": self.factors.label,
            "drivers": list(self.drivers),
            "criteria": {"max_cv_rmse": str(s.criteria.max_cv_rmse), "min_r_squared": str(s.criteria.min_r_squared)},
            "baseline": [_observation_json(p, o) for p, o in zip(self.baseline_periods, self.baseline)],
            "reporting": [_observation_json(p, o) for p, o in zip(self.reporting_periods, self.reporting)],
            "period": {"first_day": self.period.start.isoformat(), "last_day": self.period.end.isoformat(),
                       "start_unix": start, "end_unix": end, "timezone": "+08:00"},
            "input_batches": ["0x" + r.hex() for r in self.batch_roots],
            "input_root": "0x" + input_set_root(self.batch_roots).hex(),
            "savings": {
                "adjusted_baseline": canonical_decimal(s.adjusted_baseline.value),
                "reporting_consumption": canonical_decimal(s.reporting_consumption.value),
                "avoided_energy": canonical_decimal(s.avoided_energy.value),
                "unit": str(s.avoided_energy.unit),
                "savings_fraction": canonical_decimal(s.savings_fraction.value),
                "avoided_kgco2e": canonical_decimal(s.emissions.rounded.value),
                "scope": int(self.scope),
                "avoided_gco2e": self.avoided_grams,
            },
        }

    def encode(self) -> bytes:
        return canonical_json(self.to_json())

    def result_input(self, report_cid: str) -> ResultInput:
        """The Savings result to submit; AccountingError when there is nothing to claim."""
        if self.avoided_grams <= 0:
            raise AccountingError(f"no savings to claim: avoided emissions are {self.savings.emissions.rounded}")
        start, end = period_bounds(self.period)
        scopes = {scope: self.avoided_grams if scope == self.scope else 0 for scope in Scope}
        return ResultInput(
            period_start=start, period_end=end,
            methodology_id=label_bytes32(self.methodology.label),
            methodology_hash=bytes.fromhex(self.methodology.content_hash),
            factor_set_hash=bytes.fromhex(self.factors.content_hash),
            scope1=scopes[Scope.SCOPE_1], scope2=scopes[Scope.SCOPE_2], scope3=scopes[Scope.SCOPE_3],
            input_root=input_set_root(self.batch_roots), input_batch_count=len(self.batch_roots),
            report_cid=report_cid,
        )


def _observation_json(period: Period, observation: Observation) -> dict[str, object]:
    return {
        "first_day": period.start.isoformat(), "last_day": period.end.isoformat(),
        "consumption": canonical_decimal(observation.consumption.value), "unit": str(observation.consumption.unit),
        "drivers": {name: {"value": canonical_decimal(q.value), "unit": str(q.unit)}
                    for name, q in sorted(observation.drivers.items())},
    }


def build_savings_report(
    contracts: LedgerContracts,
    evidence: EvidenceStore,
    institution_id: int,
    boundary_id: int,
    baseline: Sequence[ObservationPeriod],
    reporting: Sequence[ObservationPeriod],
    drivers: Sequence[str],
    method: Methodology,
    factors: FactorSet,
    activity: str = "electricity.grid",
    criteria: AcceptanceCriteria | None = None,
    only_batches: frozenset[bytes] | None = None,
    description: str = "",
) -> SavingsReport:
    """Verified savings of a boundary, each period's consumption read from anchored readings (or from
    exactly `only_batches`). ModelNotGoodEnough and the other M&V errors propagate: no report, no claim."""
    if not baseline or not reporting:
        raise InsufficientData("a savings report needs baseline and reporting periods")
    everything = [o.period for o in (*baseline, *reporting)]
    span = Period(min(p.start for p in everything), max(p.end for p in everything))
    devices = boundary_devices(contracts, institution_id, boundary_id)
    series, roots = collect_points(contracts, evidence, institution_id, *period_bounds(span),
                                   only_batches=only_batches, devices=devices)

    def observed(o: ObservationPeriod) -> Observation:
        amounts = [d.amount for d in interval_activity(series, *period_bounds(o.period)) if d.activity == activity]
        if not amounts:
            raise InsufficientData(f"no anchored {activity} readings cover {o.period}")
        total = amounts[0]
        for amount in amounts[1:]:
            total = total + amount
        return Observation(str(o.period), total, dict(o.drivers))

    base, report = tuple(observed(o) for o in baseline), tuple(observed(o) for o in reporting)
    reporting_period = Period(reporting[0].period.start, reporting[-1].period.end)
    savings = verify_savings(base, report, drivers, method, factors, reporting_period, activity, criteria)
    return SavingsReport(institution_id, boundary_id, activity, method, factors, tuple(drivers), base, report,
                         tuple(o.period for o in baseline), tuple(o.period for o in reporting), tuple(sorted(roots)),
                         savings, description)


def parse_savings_report(data: bytes) -> dict:
    """The report's JSON; AccountingError when it is not a savings report."""
    try:
        report = json.loads(data)
    except ValueError as exc:
        raise AccountingError(f"savings report is not JSON: {exc}") from None
    if not isinstance(report, dict) or report.get("kind") != SAVINGS_REPORT_KIND:
        raise AccountingError(f"not a {SAVINGS_REPORT_KIND} document")
    return report


def stated_periods(document: dict, part: str) -> list[ObservationPeriod]:
    """The baseline or reporting periods and drivers a savings report states."""
    try:
        return [ObservationPeriod(
            Period(date.fromisoformat(o["first_day"]), date.fromisoformat(o["last_day"])),
            {name: Quantity(d["value"], d["unit"]) for name, d in o["drivers"].items()},
        ) for o in document[part]]
    except (KeyError, TypeError, ValueError) as exc:
        raise AccountingError(f"savings report's {part} periods are malformed: {exc!r}") from None


def rederive_savings(contracts: LedgerContracts, evidence: EvidenceStore, document: dict) -> SavingsReport:
    """The savings report recomputed from what `document` states (periods, drivers, methodology, factors,
    criteria) and the readings of exactly its listed batches; the caller compares the figures."""
    try:
        method = methodology(*document["methodology"].split("@", 1))
        factors = factor_set(*document["factor_set"].split("@", 1))
        criteria = AcceptanceCriteria(Fraction(document["criteria"]["max_cv_rmse"]),
                                      Fraction(document["criteria"]["min_r_squared"]))
        batches = frozenset(bytes.fromhex(r.removeprefix("0x")) for r in document["input_batches"])
        institution, boundary = int(document["institution"]), int(document["boundary"])
        drivers, activity = list(document["drivers"]), str(document["activity"])
        description = str(document.get("description", ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise AccountingError(f"savings report is malformed: {exc!r}") from None
    return build_savings_report(contracts, evidence, institution, boundary, stated_periods(document, "baseline"),
                                stated_periods(document, "reporting"), drivers, method, factors, activity, criteria,
                                only_batches=batches, description=description)
