"""Multi-level supervision: every institution under a region, aggregated from the indexer's tables.

Emissions of a year are the institution's final Emissions results inside it (`reported`) and, from the
metered consumption in idx_daily_usage, the accounting engine's emissions (`metered`, ledger.accounting.account
with the dashboards' methodology and factor set, one call per boundary-month, cached in api_supervision_months
under the batch set it was computed from). The figure ranked is the reported one where there is one, else the
metered one. Intensity is ledger.accounting.boundaries.intensity over the institution's profile (people,
floor area). Nothing here multiplies a factor.

A cached month is trusted while the institution's batch set for it is unchanged; the sets are compared only
for institutions with batches indexed after the block the cache was confirmed at (all of them after a
reorg or a rebuild), so a warm aggregate over 1,000 institutions reads a few tables once and computes nothing.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import case, func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.explorer.dashboard_metrics import FACTORS, METHODOLOGY
from api.models import InstitutionProfile, SupervisionMonth
from api.services.alarms import alarm_store
from api.services.organizations import OrgTree
from ledger.accounting import account
from ledger.accounting.boundaries import XIHUAMEN_FLOOR_AREA, XIHUAMEN_PEOPLE, intensity
from ledger.accounting.errors import AccountingError
from ledger.accounting.factors import Period
from ledger.accounting.meter_series import ACTIVITY_OF, unit_of
from ledger.accounting.metered import CHINA_STANDARD_TIME
from ledger.accounting.quantities import Quantity, canonical_decimal
from ledger.chain.codes import CertificationStatus, NodeKind, ResultKind, ResultStatus
from ledger.config import Settings
from ledger.encoding import Unit as ReadingUnit
from ledger.indexer.models import AccountingResult, Batch, Cursor, DailyUsage, IndexedBlock
from ledger.indexer.models.credits import CertificationApplication

CUMULATIVE = {int(q): activity for q, activity in ACTIVITY_OF.items()}
RANKINGS = ("emissions", "intensity_per_person", "intensity_per_m2", "reduction")


@dataclass(frozen=True)
class Profile:
    people: int
    floor_area_m2: Decimal
    baseline_year: int | None
    source: str  # "institution" (edited by its admin) or "seed"


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


# --- profiles ---------------------------------------------------------------------------------


def seed_profile(name: str) -> Profile | None:
    """The seed's figures for the Xihuamen compound (ledger.accounting.boundaries), until its admin edits them."""
    if name.startswith("Xihuamen"):
        return Profile(int(XIHUAMEN_PEOPLE.value), Decimal(XIHUAMEN_FLOOR_AREA.value), None, "seed")
    return None


def profiles(session: Session, tree: OrgTree, institution_ids: Iterable[int]) -> dict[int, Profile]:
    ids = list(institution_ids)
    stored = {p.institution_id: p for p in _in_chunks(session, InstitutionProfile, InstitutionProfile.institution_id, ids)}
    out = {}
    for i in ids:
        row = stored.get(i)
        if row is not None:
            out[i] = Profile(row.people, Decimal(row.floor_area_m2), row.baseline_year, "institution")
        elif (seed := seed_profile(tree.nodes[i].name)) is not None:
            out[i] = seed
    return out


def save_profile(engine: Engine, institution_id: int, people: int, floor_area_m2: Decimal, baseline_year: int | None,
                 user_id: int) -> Profile:
    with Session(engine) as session:
        row = session.get(InstitutionProfile, institution_id) or InstitutionProfile(
            institution_id=institution_id, people=people, floor_area_m2="0", updated_at=0)
        row.people, row.floor_area_m2, row.baseline_year = people, canonical_decimal(floor_area_m2), baseline_year
        row.updated_by, row.updated_at = user_id, int(time.time())
        session.add(row)
        session.commit()
    return Profile(people, floor_area_m2, baseline_year, "institution")


FEW = 64  # ids up to this many go into an IN list; more are filtered here (a long IN list costs more to
# compile than reading the rows of a node's whole subtree)


def _among(column, ids: list[int]) -> list:  # noqa: ANN001
    """[column IN ids] for a few ids, [] for many: the caller then keeps only rows whose id is wanted."""
    return [column.in_(ids)] if len(ids) <= FEW else []


def _in_chunks(session: Session, model, column, ids: list[int]) -> list:  # noqa: ANN001
    wanted = set(ids)
    return [r for r in session.exec(select(model).where(*_among(column, ids))).all() if getattr(r, column.key) in wanted]


# --- months and their batch sets ---------------------------------------------------------------


def months_of(year: int) -> list[tuple[str, Period, int, int]]:
    """(YYYY-MM, period, start, end) of each month, bounds in Unix seconds of China Standard Time."""
    out = []
    for m in range(1, 13):
        first = date(year, m, 1)
        after = date(year + (m == 12), m % 12 + 1, 1)
        out.append((f"{year}-{m:02d}", Period(first, after - timedelta(days=1)), _epoch(first), _epoch(after)))
    return out


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=CHINA_STANDARD_TIME).timestamp())


def batch_keys(session: Session, institution_ids: list[int], year: int) -> dict[tuple[int, str], str]:
    """Per (institution, month): the anchored batches whose readings touch the month, named by count, newest
    index and newest block (an institution's batches form a hash chain, so count + newest index name the set on
    one chain; the block number changes when a reorg re-anchors them). Two grouped queries per year."""
    months = months_of(year)
    start, end = months[0][2], months[-1][3]
    found: dict[tuple[int, str], list[str]] = defaultdict(list)
    for column in (Batch.first_timestamp, Batch.last_timestamp):
        bucket = case(*[(column < m_end, label) for label, _, _, m_end in months], else_="after").label("bucket")
        wanted = set(institution_ids)
        rows = session.exec(
            select(Batch.institution_id, bucket, func.count(), func.max(Batch.batch_index), func.max(Batch.block_number))
            .where(*_among(Batch.institution_id, institution_ids), column >= start, column < end)
            .group_by(Batch.institution_id, bucket)).all()
        for institution, label, count, newest, block in rows:
            if institution in wanted:
                found[(institution, label)].append(f"{column.key[:1]}{count}.{newest}.{block}")
    return {k: "/".join(v) for k, v in found.items()}


@dataclass(frozen=True)
class MonthRow:
    """A cached month as read for aggregation (without its per-day series)."""

    node_id: int
    month: str
    batch_key: str
    activity_json: str
    kgco2e: str | None
    problem: str | None
    checked_block: int
    checked_hash: str


_MONTH_COLUMNS = (SupervisionMonth.node_id, SupervisionMonth.month, SupervisionMonth.batch_key,
                  SupervisionMonth.activity_json, SupervisionMonth.kgco2e, SupervisionMonth.problem,
                  SupervisionMonth.checked_block, SupervisionMonth.checked_hash)


def monthly_figures(session: Session, tree: OrgTree, boundaries: list[tuple[int, int]],
                    year: int) -> dict[int, list[MonthRow]]:
    """Each (node, institution) boundary's twelve months, recomputed from idx_daily_usage only where the
    institution's batch set for the month changed.

    Batch sets are compared only for institutions with a batch indexed after the block the cache was last
    confirmed at (`checked_block`, whose hash must still be in idx_blocks: otherwise a reorg or a rebuild may
    have happened and every set is compared), so a warm request costs one query on idx_batches' block index.
    """
    months = months_of(year)
    labels = [m[0] for m in months]
    node_ids = [node for node, _ in boundaries]
    cached: dict[int, dict[str, MonthRow]] = defaultdict(dict)
    wanted = set(node_ids)
    for row in session.exec(select(*_MONTH_COLUMNS).where(*_among(SupervisionMonth.node_id, node_ids),
                                                          SupervisionMonth.month.in_(labels))).all():
        if row[0] in wanted:
            cached[row[0]][row[1]] = MonthRow(*row)
    cursor = session.get(Cursor, 1)
    head_block, head_hash = (cursor.block_number, cursor.block_hash or "") if cursor else (0, "")
    institutions = sorted({institution for _, institution in boundaries})
    incomplete = {institution for node, institution in boundaries if len(cached[node]) < len(labels)}
    oldest = min((r for rows in cached.values() for r in rows.values()), key=lambda r: r.checked_block, default=None)
    if oldest is None or not _still_on_chain(session, oldest.checked_block, oldest.checked_hash):
        suspects = set(institutions)
    else:
        suspects = incomplete | _anchored_since(session, institutions, oldest.checked_block)
    keys = batch_keys(session, sorted(suspects), year) if suspects else {}
    now, recomputed = int(time.time()), False
    for node_id, institution_id in boundaries:
        rows = cached[node_id]
        stale = [m for m in months if rows.get(m[0]) is None
                 or (institution_id in suspects and rows[m[0]].batch_key != keys.get((institution_id, m[0]), ""))]
        if not stale:
            continue
        activity = _monthly_activity(session, tree, node_id, institution_id, year)
        for label, period, _, _ in stale:
            amounts, days = activity.get(label, ({}, {}))
            kg, problem = _emissions(amounts, period)
            row = SupervisionMonth(
                node_id=node_id, month=label, batch_key=keys.get((institution_id, label), ""),
                activity_json=json.dumps({k: [canonical_decimal(v), u] for k, (v, u) in sorted(amounts.items())}),
                days_json=json.dumps({d: {k: canonical_decimal(v) for k, v in sorted(a.items())}
                                      for d, a in sorted(days.items())}),
                kgco2e=kg, problem=problem, computed_at=now, checked_block=head_block, checked_hash=head_hash)
            session.merge(row)
            rows[label] = MonthRow(node_id, label, row.batch_key, row.activity_json, kg, problem, head_block, head_hash)
        recomputed = True
    if oldest is None or oldest.checked_block != head_block:
        for i in range(0, len(node_ids), 900):  # rows of other nodes keep their own (older) confirmation
            session.exec(update(SupervisionMonth).where(SupervisionMonth.node_id.in_(node_ids[i:i + 900]),
                                                        SupervisionMonth.month.in_(labels))
                         .values(checked_block=head_block, checked_hash=head_hash))
        recomputed = True
    if recomputed:
        session.commit()
    return {node: [cached[node][label] for label in labels] for node in node_ids}


def _still_on_chain(session: Session, block: int, block_hash: str) -> bool:
    """True when the index still holds `block` with this hash (no reorg past it, no rebuild since)."""
    if block == 0:
        return False
    indexed = session.get(IndexedBlock, block)
    return indexed is not None and indexed.hash == block_hash


def _anchored_since(session: Session, institution_ids: list[int], block: int) -> set[int]:
    anchored = session.exec(select(Batch.institution_id).where(  # no DISTINCT: it steers SQLite off the block index
        Batch.block_number > block)).all()
    return set(anchored) & set(institution_ids)


def _emissions(amounts: dict[str, tuple[Decimal, str]], period: Period) -> tuple[str | None, str | None]:
    """The engine over the month's metered activity; a refusal (e.g. no factor for the period) is the problem."""
    if not amounts:
        return None, None
    try:
        result = account({k: Quantity(v, u) for k, (v, u) in amounts.items()}, METHODOLOGY, FACTORS, period)
    except AccountingError as exc:
        return None, str(exc)[:500]
    return canonical_decimal(result.total.value), None


def _monthly_activity(session: Session, tree: OrgTree, node_id: int, institution_id: int,
                      year: int) -> dict[str, tuple[dict[str, tuple[Decimal, str]], dict[str, dict[str, Decimal]]]]:
    """Month → (activity → (amount, unit), day → activity → amount): each cumulative meter's day is its last
    value minus the previous day's (the first day it reports: last minus first; a counter reset: the day's own
    growth), summed over the boundary's meters."""
    where = [DailyUsage.institution_id == institution_id, DailyUsage.quantity.in_(list(CUMULATIVE)),
             DailyUsage.day >= date(year - 1, 12, 1), DailyUsage.day <= date(year, 12, 31)]
    if node_id != institution_id:
        where.append(DailyUsage.scene_id.in_(subtree_ids(tree, node_id)))
    rows = session.exec(select(DailyUsage.device_id, DailyUsage.quantity, DailyUsage.unit, DailyUsage.day,
                               DailyUsage.first_value, DailyUsage.last_value)
                        .where(*where).order_by(DailyUsage.device_id, DailyUsage.quantity, DailyUsage.day)).all()
    out: dict[str, tuple[dict, dict]] = defaultdict(lambda: ({}, defaultdict(lambda: defaultdict(Decimal))))
    for quantity, unit, day, used in _daily_consumption(rows, year):
        totals, days = out[f"{year}-{day.month:02d}"]
        activity, unit_name = CUMULATIVE[quantity], str(unit_of(ReadingUnit(unit)))
        amount, _ = totals.get(activity, (Decimal(0), unit_name))
        totals[activity] = (amount + used, unit_name)
        days[day.isoformat()][activity] += used
    return out


def _daily_consumption(rows: Iterable[tuple], year: int) -> Iterable[tuple[int, int, date, Decimal]]:
    """(quantity, unit, day, consumption) of each meter-day of `year`, from rows ordered by meter and day."""
    previous: tuple[str, int, Decimal] | None = None
    for device, quantity, unit, day, first, last in rows:
        first, last = Decimal(first), Decimal(last)
        same_meter = previous is not None and previous[:2] == (device, quantity)
        used = last - previous[2] if same_meter and last >= previous[2] else last - first
        previous = (device, quantity, last)
        if day.year == year:
            yield quantity, unit, day, used


# --- the aggregate ----------------------------------------------------------------------------


def subtree_ids(tree: OrgTree, root_id: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for node in tree.nodes.values():
        children[node.parent_id].append(node.node_id)
    out, frontier = [], [root_id]
    while frontier:
        current = frontier.pop()
        out.append(current)
        frontier.extend(children.get(current, ()))
    return out


def institutions_under(tree: OrgTree, node_id: int) -> list[int]:
    """Institutions at or under `node_id`, in id order; for a building or room, the institution above it."""
    node = tree.get(node_id)
    if node.kind in (NodeKind.BUILDING, NodeKind.ROOM):
        return [n.node_id for n in tree.path(node_id) if n.kind == NodeKind.INSTITUTION]
    return sorted(i for i in subtree_ids(tree, node_id) if tree.nodes[i].kind == NodeKind.INSTITUTION)


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
        .where(*_among(AccountingResult.institution_id, institution_ids),
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
    for app in _in_chunks(session, CertificationApplication, CertificationApplication.institution_id, institution_ids):
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
