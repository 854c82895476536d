"""Multi-level supervision: every institution under a region, aggregated from the indexer's tables.

Emissions of a year are the institution's final Emissions results inside it (`reported`) and, from the
metered consumption in idx_daily_usage, the accounting engine's emissions (`metered`, summed over the
monthly cache of api.services.supervision_months). The figure ranked is the reported one where there is
one, else the metered one. Intensity is ledger.accounting.boundaries.intensity over the institution's
profile (people, floor area: api.services.supervision_profiles). Nothing here multiplies a factor.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.explorer.dashboard_metrics import METHODOLOGY
from api.models import SupervisionMonth
from api.services.alarms import alarm_store
from api.services.organizations import OrgTree
from api.services.supervision_months import MonthRow, monthly_figures, months_of
from api.services.supervision_profiles import Profile, profiles
from api.services.supervision_scope import among, institutions_under, rows_among
from ledger.accounting.boundaries import intensity
from ledger.accounting.quantities import Quantity, canonical_decimal
from ledger.chain.codes import CertificationStatus, ResultKind, ResultStatus
from ledger.config import Settings
from ledger.indexer.models import AccountingResult
from ledger.indexer.models.credits import CertificationApplication

RANKINGS = ("emissions", "intensity_per_person", "intensity_per_m2", "reduction")


@dataclass
class Figures:
    """A boundary's year: activity, emissions, intensity; kg figures as Decimal (None when not computable)."""

    node_id: int
    name: str
    kind: str
    parent_id: int
    activity: dict[str, tuple[Decimal, str]] = field(default_factory=dict)
    metered_kgco2e: Decimal | None = None
    reported_kgco2e: Decimal | None = None
    reported_results: int = 0
    baseline_kgco2e: Decimal | None = None
    people: int | None = None
    floor_area_m2: Decimal | None = None
    certification: dict | None = None
    open_alarms: int = 0
    institutions: int = 0
    problems: list[str] = field(default_factory=list)
    _intensity: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def emissions_kgco2e(self) -> Decimal | None:
        return self.reported_kgco2e if self.reported_kgco2e is not None else self.metered_kgco2e

    @property
    def emissions_source(self) -> str | None:
        if self.reported_kgco2e is not None:
            return "final_results"
        return "metered" if self.metered_kgco2e is not None else None

    def intensity(self) -> tuple[Decimal | None, Decimal | None]:
        """(kgCO2e per person, per m²), rounded once by the methodology's intensity rule."""
        kg = self.emissions_kgco2e
        if kg is None or not self.people or not self.floor_area_m2:
            return None, None
        inputs = (kg, self.people, self.floor_area_m2)
        if self._intensity is None or self._intensity[0] != inputs:
            figure = intensity(Quantity(kg, "kgCO2e"), Quantity(self.people, "person"),
                               Quantity(self.floor_area_m2, "m2"), METHODOLOGY.rounding.intensity)
            self._intensity = (inputs, (figure.per_person.value, figure.per_area.value))
        return self._intensity[1]

    def reduction(self) -> Decimal | None:
        """(baseline − this year) ÷ baseline, as a fraction to 4 places; None without a baseline figure."""
        kg = self.emissions_kgco2e
        if kg is None or not self.baseline_kgco2e:
            return None
        return ((self.baseline_kgco2e - kg) / self.baseline_kgco2e).quantize(Decimal("0.0001"))

    def to_json(self) -> dict[str, object]:
        per_person, per_m2 = self.intensity()
        reduction = self.reduction()
        return {
            "node_id": self.node_id, "name": self.name, "kind": self.kind, "parent_id": self.parent_id,
            "institutions": self.institutions,
            "activity": {k: {"value": canonical_decimal(v), "unit": u} for k, (v, u) in sorted(self.activity.items())},
            "emissions_kgco2e": _text(self.emissions_kgco2e), "emissions_source": self.emissions_source,
            "metered_kgco2e": _text(self.metered_kgco2e), "reported_kgco2e": _text(self.reported_kgco2e),
            "reported_results": self.reported_results, "baseline_kgco2e": _text(self.baseline_kgco2e),
            "people": self.people, "floor_area_m2": _text(self.floor_area_m2),
            "intensity_kgco2e_per_person": _text(per_person), "intensity_kgco2e_per_m2": _text(per_m2),
            "reduction_vs_baseline": _text(reduction), "certification": self.certification,
            "open_alarms": self.open_alarms, "problems": self.problems,
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else canonical_decimal(value)


# --- the aggregate ----------------------------------------------------------------------------


def institution_figures(engine: Engine, settings: Settings, tree: OrgTree, institution_ids: list[int],
                        year: int) -> dict[int, Figures]:
    """Every listed institution's year, each figure from its one source (see the module docstring)."""
    with Session(engine) as session:
        people = profiles(session, tree, institution_ids)
        reported = _reported(session, institution_ids, year)
        months = monthly_figures(session, tree, [(i, i) for i in institution_ids], year)
        out = {}
        for i in institution_ids:
            node = tree.nodes[i]
            figures = Figures(i, node.name, "institution", node.parent_id, institutions=1)
            _add_months(figures, months[i])
            figures.reported_kgco2e, figures.reported_results = reported.get(i, (None, 0))
            profile = people.get(i)
            if profile is not None:
                figures.people, figures.floor_area_m2 = profile.people, profile.floor_area_m2
            else:
                figures.problems.append(f"people and floor area of {node.name!r} are not recorded")
            out[i] = figures
        _add_baselines(session, tree, out, people, year)
        certifications = _certifications(session, institution_ids)
    for i, figures in out.items():
        figures.certification = certifications.get(i, {"status": "none", "level": None, "valid_until": None})
        figures.open_alarms = open_alarms(settings, i)
    return out


def _add_months(figures: Figures, months: list[MonthRow]) -> None:
    kg: Decimal | None = None
    for month in months:
        for activity, (value, unit) in json.loads(month.activity_json).items():
            total, _ = figures.activity.get(activity, (Decimal(0), unit))
            figures.activity[activity] = (total + Decimal(value), unit)
        if month.kgco2e is not None:
            kg = (kg or Decimal(0)) + Decimal(month.kgco2e)
        if month.problem and month.problem not in figures.problems:
            figures.problems.append(f"{month.month}: {month.problem}")
    figures.metered_kgco2e = kg


def _add_baselines(session: Session, tree: OrgTree, figures: dict[int, Figures], people: dict[int, Profile],
                   year: int) -> None:
    """Each institution's baseline-year emissions, by the same rule as the year's (final results, else metered),
    one batch of queries per baseline year."""
    by_year: dict[int, list[int]] = defaultdict(list)
    for i, profile in people.items():
        if profile.baseline_year:
            by_year[profile.baseline_year].append(i)
    for baseline_year, ids in by_year.items():
        if baseline_year == year:
            for i in ids:
                figures[i].baseline_kgco2e = figures[i].emissions_kgco2e
            continue
        reported = _reported(session, ids, baseline_year)
        metered_ids = [i for i in ids if i not in reported]
        months = monthly_figures(session, tree, [(i, i) for i in metered_ids], baseline_year) if metered_ids else {}
        for i in ids:
            if i in reported:
                figures[i].baseline_kgco2e = reported[i][0]
            else:
                base = Figures(i, "", "institution", 0)
                _add_months(base, months[i])
                figures[i].baseline_kgco2e = base.metered_kgco2e


def _reported(session: Session, institution_ids: list[int], year: int) -> dict[int, tuple[Decimal, int]]:
    """Sum (kgCO2e) and count of final Emissions results whose period lies inside the year."""
    start, end = months_of(year)[0][2], months_of(year)[-1][3]
    wanted, out = set(institution_ids), {}
    rows = session.exec(
        select(AccountingResult.institution_id, func.count(), func.sum(AccountingResult.total))
        .where(*among(AccountingResult.institution_id, institution_ids),
               AccountingResult.kind == int(ResultKind.EMISSIONS), AccountingResult.status == int(ResultStatus.FINAL),
               AccountingResult.period_start >= start, AccountingResult.period_end <= end)
        .group_by(AccountingResult.institution_id)).all()
    for institution, count, grams in rows:
        if institution in wanted:
            out[institution] = (Decimal(int(grams)) / 1000, count)
    return out


def _certifications(session: Session, institution_ids: list[int]) -> dict[int, dict]:
    """The highest level certified and still valid, else the newest application's status."""
    now = int(time.time())
    best: dict[int, CertificationApplication] = {}
    newest: dict[int, CertificationApplication] = {}
    for app in rows_among(session, CertificationApplication, CertificationApplication.institution_id, institution_ids):
        i = app.institution_id
        if app.application_id > getattr(newest.get(i), "application_id", 0):
            newest[i] = app
        valid = app.status == int(CertificationStatus.CERTIFIED) and (app.valid_until is None or app.valid_until >= now)
        if valid and app.level > getattr(best.get(i), "level", -1):
            best[i] = app
    out = {}
    for i, app in newest.items():
        chosen = best.get(i, app)
        expired = chosen.status == int(CertificationStatus.CERTIFIED) and chosen.valid_until is not None \
            and chosen.valid_until < now
        out[i] = {"status": "expired" if expired else chosen.status_name, "level": chosen.level,
                  "valid_until": chosen.valid_until, "application_id": chosen.application_id}
    return out


def open_alarms(settings: Settings, institution_id: int) -> int:
    """Active or acknowledged alarms in the institution's oracle store (0 where no oracle ran)."""
    with alarm_store(settings, institution_id, must_exist=False) as store:
        return 0 if store is None else len(store.list(include_resolved=False, limit=100_000))


def aggregate(name: str, node_id: int, kind: str, parent_id: int, members: Iterable[Figures]) -> Figures:
    """A region: sums of its institutions' figures (intensity is then the sum's, not a mean of ratios)."""
    total = Figures(node_id, name, kind, parent_id)
    members = list(members)
    total.institutions = len(members)

    def add(values: list[Decimal | None]) -> Decimal | None:
        present = [v for v in values if v is not None]
        return sum(present, Decimal(0)) if present else None

    for f in members:
        for activity, (value, unit) in f.activity.items():
            amount, _ = total.activity.get(activity, (Decimal(0), unit))
            total.activity[activity] = (amount + value, unit)
        total.open_alarms += f.open_alarms
        total.reported_results += f.reported_results
    total.metered_kgco2e = add([f.metered_kgco2e for f in members])
    total.reported_kgco2e = add([f.emissions_kgco2e for f in members]) if any(
        f.reported_kgco2e is not None for f in members) else None
    with_profile = [f for f in members if f.people]
    if with_profile and len(with_profile) == len(members):
        total.people = sum(f.people for f in with_profile)
        total.floor_area_m2 = sum((f.floor_area_m2 for f in with_profile), Decimal(0))
    elif members:
        total.problems.append(f"{len(members) - len(with_profile)} of {len(members)} institutions have no profile")
    if all(f.baseline_kgco2e is not None for f in members) and members:
        total.baseline_kgco2e = sum((f.baseline_kgco2e for f in members), Decimal(0))
    certified = sum(1 for f in members if (f.certification or {}).get("status") == "certified")
    total.certification = {"certified": certified, "of": len(members)}
    return total


def rank(figures: list[Figures], by: str, descending: bool) -> list[tuple[int, Figures]]:
    """Ranked 1.. by `by`; institutions without that figure come last, in id order."""
    def value(f: Figures) -> Decimal | None:
        if by == "emissions":
            return f.emissions_kgco2e
        if by == "reduction":
            return f.reduction()
        per_person, per_m2 = f.intensity()
        return per_person if by == "intensity_per_person" else per_m2

    values = {f.node_id: value(f) for f in figures}
    present = sorted((f for f in figures if values[f.node_id] is not None),
                     key=lambda f: (values[f.node_id], -f.node_id if descending else f.node_id), reverse=descending)
    missing = sorted((f for f in figures if values[f.node_id] is None), key=lambda f: f.node_id)
    return list(enumerate(present + missing, 1))


def building_figures(engine: Engine, tree: OrgTree, node_id: int, year: int) -> Figures:
    """A building (or room): the metered figures of the meters in its subtree (results are per institution)."""
    node = tree.get(node_id)
    institution = institutions_under(tree, node_id)[0]
    with Session(engine) as session:
        figures = Figures(node_id, node.name, node.kind.name.lower(), node.parent_id)
        _add_months(figures, monthly_figures(session, tree, [(node_id, institution)], year)[node_id])
    return figures


def institution_dashboard(engine: Engine, settings: Settings, tree: OrgTree, institution_id: int,
                          year: int) -> tuple[Figures, list[dict[str, object]], list[dict[str, object]]]:
    """The institution's year, its months (activity and the engine's emissions) and its days (metered
    activity: dashboard figures, not figures of record), all from the cached months."""
    figures = institution_figures(engine, settings, tree, [institution_id], year)[institution_id]
    with Session(engine) as session:  # the months institution_figures has just brought up to date
        rows = session.exec(select(SupervisionMonth).where(SupervisionMonth.node_id == institution_id,
                                                           SupervisionMonth.month.in_([m[0] for m in months_of(year)]))
                            .order_by(SupervisionMonth.month)).all()
    months = [{"month": r.month, "activity": {k: {"value": v, "unit": u} for k, (v, u) in json.loads(r.activity_json).items()},
               "kgco2e": r.kgco2e, "problem": r.problem} for r in rows]
    days = [{"day": d, **a} for r in rows for d, a in json.loads(r.days_json).items()]
    return figures, months, days
