"""The figures of the big screen and the regulator's screen, computed by the ledger's own code.

Activity comes from `ledger.accounting.metered` (anchored batches only, evidence re-derived against the
anchor, cumulative meters differenced, boundaries interpolated); emissions from `ledger.accounting.account`
with the published methodology and factor set; intensity from `ledger.accounting.boundaries.intensity`;
measures from `ledger.accounting.measures`. Nothing here multiplies a factor. The one computation of its
own is `load_curve`'s average power (an interval's metered energy ÷ its length).

"Now" is the last anchored reading (`as_of`), not the wall clock: a replayed year shows its own today.
An institution's readings are collected once per head of its batch chain and kept in memory: from the
indexer's tables when an index is given and current for the institution (api/explorer/dashboard_index.py,
same figures to the last digit; a first request for a year in 5.7 s instead of 40 s), else from the chain and
the evidence. The JSON's `source` says which ("index" with `index_block`, or "chain" with `source_note` saying
why not the index).
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType

from sqlalchemy.engine import Engine

from ledger.accounting import account
from ledger.accounting.boundaries import XIHUAMEN_FLOOR_AREA, XIHUAMEN_PEOPLE, intensity
from ledger.accounting.errors import AccountingError
from ledger.accounting.factors import FactorSet, Period
from ledger.accounting.measures import xihuamen_measures
from ledger.accounting.metered import (CHINA_STANDARD_TIME, MeteredActivity, MeterSeries, collect_points,
                                       interval_activity, metered_activity, period_bounds, split_period)
from ledger.accounting.methodology import Methodology
from ledger.accounting.published import CN_PUBLIC_INSTITUTION_2022, PUBLIC_INSTITUTION_INVENTORY
from ledger.accounting.quantities import Quantity, canonical_decimal, quantity_sum
from ledger.chain.clients import LedgerContracts, NodeKind
from ledger.encoding import Quantity as Measured
from ledger.evidence import EvidenceStore

from api.explorer.chain_view import NotFound
from api.explorer.dashboard_index import IndexUnusable, current_block, indexed_year
from api.explorer.device_categories import EndUse, end_uses

METHODOLOGY: Methodology = PUBLIC_INSTITUTION_INVENTORY
FACTORS: FactorSet = CN_PUBLIC_INSTITUTION_2022
LOAD_HOURS = 24
LOAD_STEP = 900
METHODOLOGY_ACTIVITIES = frozenset(rule.activity for rule in METHODOLOGY.rules)
CHAIN_SOURCE = MappingProxyType({"source": "chain", "index_block": None, "source_note": "no index configured"})


def _chain_source() -> Mapping[str, object]:
    return CHAIN_SOURCE


@dataclass(frozen=True)
class InstitutionReadings:
    """An institution's attested readings of the year up to `as_of`, by device, in time order."""

    institution_id: int
    name: str
    head: bytes
    as_of: int
    series: dict[bytes, MeterSeries]
    roots: tuple[bytes, ...]
    source: Mapping[str, object] = field(default_factory=_chain_source)

    def window(self, start: int, end: int, margin: int = 86_400) -> dict[bytes, MeterSeries]:
        """The readings in [start - margin, end + margin]: enough for the metered rules to interpolate."""
        out = {}
        for device, meter in self.series.items():
            part = _slice(meter, start - margin, end + margin)
            if len(part):
                out[device] = part
        return out


def _slice(meter: MeterSeries, start: int, end: int) -> MeterSeries:
    if meter.points is not None:
        return replace(meter, points=[p for p in meter.points if start <= p.timestamp <= end])
    lo, hi = bisect_left(meter.timestamps, start), bisect_right(meter.timestamps, end)
    return replace(meter, sequences=meter.sequences[lo:hi], timestamps=meter.timestamps[lo:hi],
                   values=meter.values[lo:hi])


def _time_ordered(meter: MeterSeries) -> MeterSeries:
    """The series sorted by (timestamp, sequence), so windows can be cut by bisection."""
    if meter.points is not None:
        return replace(meter, points=sorted(meter.points, key=lambda p: (p.timestamp, p.sequence)))
    keys = list(zip(meter.timestamps, meter.sequences))
    if all(a <= b for a, b in zip(keys, keys[1:])):
        return meter
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return replace(meter, sequences=type(meter.sequences)(meter.sequences.typecode, (meter.sequences[i] for i in order)),
                   timestamps=type(meter.timestamps)(meter.timestamps.typecode, (meter.timestamps[i] for i in order)),
                   values=_reordered(meter.values, order))


def _reordered(values, order: list[int]):
    return type(values)(values.typecode, (values[i] for i in order)) if hasattr(values, "typecode") \
        else [values[i] for i in order]


class ReadingsCache:
    """Per institution: the collected readings and the figures computed from them, both kept until its
    batch chain has a new head (a new anchor is the only thing that changes them)."""

    def __init__(self) -> None:
        self._items: dict[int, tuple[InstitutionReadings, dict[str, object] | None]] = {}
        self._lock = threading.Lock()

    def get(self, contracts: LedgerContracts, evidence: EvidenceStore, institution_id: int,
            index: Engine | None = None) -> InstitutionReadings:
        return self._entry(contracts, evidence, institution_id, index)[0]

    def figures(self, contracts: LedgerContracts, evidence: EvidenceStore, institution_id: int,
                index: Engine | None = None) -> dict[str, object]:
        """The big screen's figures; from the index `index` when it is current for the institution (module doc)."""
        readings, figures = self._entry(contracts, evidence, institution_id, index)
        if figures is None:
            figures = institution_figures(readings)
            with self._lock:
                if self._items.get(institution_id, (None,))[0] is readings:
                    self._items[institution_id] = (readings, figures)
        return figures

    def _entry(self, contracts: LedgerContracts, evidence: EvidenceStore, institution_id: int,
               index: Engine | None) -> tuple[InstitutionReadings, dict[str, object] | None]:
        head = contracts.attestations.latest_root(institution_id)
        with self._lock:
            cached = self._items.get(institution_id)
            if cached is None or cached[0].head != head:
                cached = (collect_readings(contracts, evidence, institution_id, head, index), None)
                self._items[institution_id] = cached
            return cached


def collect_readings(contracts: LedgerContracts, evidence: EvidenceStore, institution_id: int, head: bytes,
                     index: Engine | None = None) -> InstitutionReadings:
    """The institution's readings of the year: from the index when given and current, else from chain + evidence."""
    node = contracts.organizations.node(institution_id)
    if node.kind != NodeKind.INSTITUTION:
        raise NotFound(f"node {institution_id} is a {node.kind.name.lower()}, not an institution")
    if index is None:
        return _collect(contracts, evidence, institution_id, node.name, head, CHAIN_SOURCE)
    try:
        block = current_block(index, contracts.organizations.chain, institution_id, head)
        year = indexed_year(index, institution_id, block)
    except IndexUnusable as exc:
        return _collect(contracts, evidence, institution_id, node.name, head,
                        {"source": "chain", "index_block": None, "source_note": str(exc)})
    return InstitutionReadings(institution_id, node.name, head, year.as_of, year.series, year.roots,
                               {"source": "index", "index_block": year.block, "source_note": None})


def _collect(contracts: LedgerContracts, evidence: EvidenceStore, institution_id: int, name: str, head: bytes,
             source: Mapping[str, object]) -> InstitutionReadings:
    batches = contracts.attestations.anchored_batches(institution_id=institution_id)
    if not batches:
        raise NotFound(f"institution {institution_id} ({name}) has no anchored readings yet")
    as_of = max(b.last_timestamp for b in batches)
    year_start, _ = period_bounds(Period.year(_local_day(as_of).year))
    series, roots = collect_points(contracts, evidence, institution_id, year_start, as_of + 1)
    ordered = {device: _time_ordered(meter) for device, meter in series.items()}
    return InstitutionReadings(institution_id, name, head, as_of, ordered, roots, source)


def _local_day(timestamp: int) -> date:
    return datetime.fromtimestamp(timestamp, CHINA_STANDARD_TIME).date()


@dataclass(frozen=True)
class PeriodFigures:
    period: Period
    activity: dict[str, Quantity]
    emissions: Quantity | None
    scopes: dict[int, Quantity]
    activity_by_device: Mapping[bytes, tuple[str, Quantity]]  # device → (activity, amount)
    problem: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "first_day": self.period.start.isoformat(), "last_day": self.period.end.isoformat(),
            "activity": {k: {"value": canonical_decimal(q.value), "unit": str(q.unit)} for k, q in sorted(self.activity.items())},
            "kgco2e": None if self.emissions is None else canonical_decimal(self.emissions.value),
            "scopes_kgco2e": {str(s): canonical_decimal(q.value) for s, q in self.scopes.items()},
            "problem": self.problem,
        }


def period_figures(readings: InstitutionReadings, period: Period) -> PeriodFigures:
    """Activity and emissions of `period` from the collected readings; a missing factor is a `problem`, not a crash."""
    start, end = period_bounds(period)
    try:
        metered: MeteredActivity = metered_activity(readings.institution_id, period, readings.window(start, end),
                                                    readings.roots)
    except AccountingError as exc:
        return PeriodFigures(period, {}, None, {}, {}, str(exc))
    by_device = {d.device_id: (d.activity, d.amount) for d in metered.devices}
    try:
        result = account(metered.emission_activities, METHODOLOGY, FACTORS, period)
    except AccountingError as exc:
        return PeriodFigures(period, metered.totals, None, {}, by_device, str(exc))
    return PeriodFigures(period, metered.totals, result.total, {int(s): q for s, q in result.scope_totals.items()},
                         by_device, None)


def load_curve(readings: InstitutionReadings, hours: int = LOAD_HOURS, step: int = LOAD_STEP) -> list[dict[str, object]]:
    """Average grid power of each `step` seconds over the last `hours` before as_of: the metered grid
    electricity of the interval (ledger's interval_activity) divided by its length."""
    end = readings.as_of - readings.as_of % step
    start = end - hours * 3600
    window = {d: m for d, m in readings.window(start, end, margin=3 * step).items()
              if m.quantity == Measured.ACTIVE_ENERGY_IMPORT}
    curve = []
    hours_per_step = Quantity(Decimal(step) / 3600, "h")
    for t in range(start, end, step):
        amounts = [d.amount for d in interval_activity(window, t, t + step)]
        if amounts:
            kw = quantity_sum(amounts, amounts[0].unit).divided_by(hours_per_step, 3)
            curve.append({"t": t + step, "kw": canonical_decimal(kw.value)})
    return curve


def institution_figures(readings: InstitutionReadings) -> dict[str, object]:
    """The chain-derived part of the big screen, as JSON (decimals as canonical strings)."""
    institution_id = readings.institution_id
    today = _local_day(readings.as_of)
    year = Period(date(today.year, 1, 1), today)
    month = Period(today.replace(day=1), today)
    figures = {"today": period_figures(readings, Period(today, today)), "month": period_figures(readings, month),
               "year": period_figures(readings, year)}
    last_hour = period_figures_hour(readings)
    return {
        "kind": "zcl.dashboard.institution/1",
        "institution": {"id": institution_id, "name": readings.name},
        "as_of": readings.as_of,
        "methodology": METHODOLOGY.label, "factor_set": FACTORS.label,
        "periods": {k: v.to_json() for k, v in figures.items()},
        "load": load_curve(readings),
        "last_hour": last_hour,
        "daily": [_series_point(readings, p) for p in split_period(month, "day")],
        "monthly": [_series_point(readings, p) for p in split_period(year, "month")],
        "intensity": _intensity(readings, figures["year"]),
        "breakdown": _breakdown(figures["year"]),
        "measures": _measures(),
        "batches": len(readings.roots),
        **readings.source,
    }


def period_figures_hour(readings: InstitutionReadings) -> dict[str, object]:
    """Real-time carbon: the engine applied to the last hour's metered grid electricity."""
    end = readings.as_of
    window = {d: m for d, m in readings.window(end - 3600, end, margin=3600).items()
              if m.quantity == Measured.ACTIVE_ENERGY_IMPORT}
    amounts = [d.amount for d in interval_activity(window, end - 3600, end)]
    kwh = quantity_sum(amounts, amounts[0].unit) if amounts else Quantity(0, "kWh")
    day = _local_day(end)
    try:
        result = account({"electricity.grid": kwh}, METHODOLOGY, FACTORS, Period(day, day))
        return {"kwh": canonical_decimal(kwh.value), "kgco2e": canonical_decimal(result.total.value), "problem": None}
    except AccountingError as exc:
        return {"kwh": canonical_decimal(kwh.value), "kgco2e": None, "problem": str(exc)}


def _series_point(readings: InstitutionReadings, period: Period) -> dict[str, object]:
    f = period_figures(readings, period)
    kwh = f.activity.get("electricity.grid")
    water = f.activity.get("water.supply")
    return {"first_day": period.start.isoformat(), "kwh": None if kwh is None else canonical_decimal(kwh.value),
            "m3": None if water is None else canonical_decimal(water.value),
            "kgco2e": None if f.emissions is None else canonical_decimal(f.emissions.value)}


def _intensity(readings: InstitutionReadings, year: PeriodFigures) -> dict[str, object]:
    if not readings.name.startswith("Xihuamen"):
        return {"problem": f"people and floor area of {readings.name!r} are not recorded"}
    if year.emissions is None:
        return {"problem": year.problem, "people": 3835, "area_m2": canonical_decimal(XIHUAMEN_FLOOR_AREA.value)}
    figure = intensity(year.emissions, XIHUAMEN_PEOPLE, XIHUAMEN_FLOOR_AREA, METHODOLOGY.rounding.intensity)
    return {"people": int(XIHUAMEN_PEOPLE.value), "area_m2": canonical_decimal(XIHUAMEN_FLOOR_AREA.value),
            "kgco2e": canonical_decimal(figure.emissions.value),
            "per_person": canonical_decimal(figure.per_person.value), "per_person_unit": str(figure.per_person.unit),
            "per_m2": canonical_decimal(figure.per_area.value), "per_m2_unit": str(figure.per_area.unit),
            "problem": None}


def _breakdown(year: PeriodFigures) -> list[dict[str, object]]:
    """Year activity and emissions per end use; each end use's emissions are the engine's over its own meters."""
    uses = end_uses()
    groups: dict[EndUse, dict[str, Quantity]] = {}
    for device, (activity, amount) in year.activity_by_device.items():
        use = uses.get(device, EndUse.OTHER)
        if use == EndUse.GENERATION or activity not in METHODOLOGY_ACTIVITIES:
            continue
        bucket = groups.setdefault(use, {})
        bucket[activity] = bucket[activity] + amount if activity in bucket else amount
    out = []
    for use in EndUse:
        if use not in groups:
            continue
        activity = groups[use]
        try:
            kg = canonical_decimal(account(activity, METHODOLOGY, FACTORS, year.period).total.value)
        except AccountingError:
            kg = None
        out.append({"end_use": use.value, "kgco2e": kg,
                    "activity": {k: {"value": canonical_decimal(q.value), "unit": str(q.unit)} for k, q in activity.items()}})
    return out


def _measures() -> dict[str, object]:
    table = xihuamen_measures().to_json()
    return {"lines": [{"measure": l["measure"], "title": l["title"], "group": l["group"], "kgco2e_per_year": l["rounded"]}
                      for l in table["lines"]],
            "total_kgco2e_per_year": table["total"], "methodology": f"{table['methodology']['id']}@{table['methodology']['version']}",
            "verified": None,
            "verified_note": "estimates from the seed's inputs; verified savings need an M&V reporting period (ledger/accounting/mv.py)"}
