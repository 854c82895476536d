"""An institution's people, floor area and baseline year: what its intensity and reduction are measured by.

Recorded by the institution's admin (api_institution_profiles); until then the seed document's figures for
the Xihuamen compound stand in (ledger.accounting.boundaries).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.models import InstitutionProfile
from api.services.organizations import OrgTree
from api.services.supervision_scope import rows_among
from ledger.accounting.boundaries import XIHUAMEN_FLOOR_AREA, XIHUAMEN_PEOPLE
from ledger.accounting.quantities import canonical_decimal


@dataclass(frozen=True)
class Profile:
    """What an institution's intensity is divided by, and the year its reduction is measured from."""

    people: int
    floor_area_m2: Decimal
    baseline_year: int | None
    source: str  # "institution" (edited by its admin) or "seed"


def seed_profile(name: str) -> Profile | None:
    """The seed's figures for the Xihuamen compound (ledger.accounting.boundaries), until its admin edits them."""
    if name.startswith("Xihuamen"):
        return Profile(int(XIHUAMEN_PEOPLE.value), Decimal(XIHUAMEN_FLOOR_AREA.value), None, "seed")
    return None


def profiles(session: Session, tree: OrgTree, institution_ids: Iterable[int]) -> dict[int, Profile]:
    """Each listed institution's profile: its admin's record, else the seed's; absent where neither exists."""
    ids = list(institution_ids)
    stored = {p.institution_id: p
              for p in rows_among(session, InstitutionProfile, InstitutionProfile.institution_id, ids)}
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
    """Record (or replace) the institution's profile, naming who recorded it and when."""
    with Session(engine) as session:
        row = session.get(InstitutionProfile, institution_id) or InstitutionProfile(
            institution_id=institution_id, people=people, floor_area_m2="0", updated_at=0)
        row.people, row.floor_area_m2, row.baseline_year = people, canonical_decimal(floor_area_m2), baseline_year
        row.updated_by, row.updated_at = user_id, int(time.time())
        session.add(row)
        session.commit()
    return Profile(people, floor_area_m2, baseline_year, "institution")
