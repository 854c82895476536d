"""Versioned, content-hashed emission-factor sets.

A factor set is identified by (id, version) and fingerprinted by the sha256 of its canonical JSON, so an
on-chain result can name exactly the numbers it used and an auditor can refuse any other. Every factor
carries its unit pair (kgCO2e/kWh, gCO2e/passenger-km…), the gases it covers, its source citation and the
period it is valid for; a lookup for a period the factor does not cover is an error, never a fallback.
The sets this project ships live in ledger/accounting/published.py.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property

from ledger.accounting.errors import AccountingError, DuplicateFactor, FactorOutsideValidity, UnknownFactor
from ledger.accounting.quantities import Quantity, canonical_decimal


@dataclass(frozen=True, slots=True)
class Period:
    """A span of whole days, both ends included (a calendar year is Period.year(2022))."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise AccountingError(f"period ends ({self.end}) before it starts ({self.start})")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


@dataclass(frozen=True, slots=True)
class EmissionFactor:
    """One factor: `value` is a Quantity whose unit is the pair (e.g. 0.103 kgCO2e/kWh).

    `valid_from`/`valid_until` default to the enclosing set's period; `valid_until=None` means the source
    states no expiry (e.g. IPCC 2006 defaults) — a new set version is how such a factor is superseded.
    """

    key: str
    value: Quantity
    gases: str
    source: str
    note: str = ""
    valid_from: date | None = None
    valid_until: date | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key, "value": canonical_decimal(self.value.value), "unit": str(self.value.unit),
            "gases": self.gases, "source": self.source, "note": self.note,
            "valid_from": _iso(self.valid_from), "valid_until": _iso(self.valid_until),
        }


@dataclass(frozen=True)
class FactorSet:
    """A versioned collection of factors; `content_hash` is what results and the chain record."""

    id: str
    version: str
    title: str
    source: str
    valid_from: date
    valid_until: date | None
    factors: tuple[EmissionFactor, ...]
    components: tuple[str, ...] = field(default=())  # id@version#hash of sets this one was combined from

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for factor in self.factors:
            if factor.key in seen:
                raise DuplicateFactor(factor.key)
            seen.add(factor.key)
        object.__setattr__(self, "factors", tuple(sorted(self.factors, key=lambda f: f.key)))

    @property
    def label(self) -> str:
        return f"{self.id}@{self.version}"

    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.factors)

    def validity(self, factor: EmissionFactor) -> tuple[date, date | None]:
        """The factor's own period where it states one, else the set's."""
        if factor.valid_from is None:
            return self.valid_from, self.valid_until
        return factor.valid_from, factor.valid_until

    def factor(self, key: str, period: Period) -> EmissionFactor:
        """The factor `key`, provided it is valid for the whole of `period`."""
        found = next((f for f in self.factors if f.key == key), None)
        if found is None:
            raise UnknownFactor(self.id, self.version, key)
        valid_from, valid_until = self.validity(found)
        if period.start < valid_from or (valid_until is not None and period.end > valid_until):
            raise FactorOutsideValidity(key, valid_from, valid_until, period.start, period.end)
        return found

    def canonical_json(self) -> bytes:
        """Sorted keys, no whitespace, Decimals as canonical strings, UTF-8: the bytes `content_hash` covers."""
        document = {
            "kind": "zcl.emission-factor-set/1", "id": self.id, "version": self.version, "title": self.title,
            "source": self.source, "valid_from": _iso(self.valid_from), "valid_until": _iso(self.valid_until),
            "components": list(self.components), "factors": [f.to_json() for f in self.factors],
        }
        return canonical_json(document)

    @cached_property
    def content_hash(self) -> str:
        """sha256 of `canonical_json()`, 64 hex digits (a bytes32 on chain)."""
        return hashlib.sha256(self.canonical_json()).hexdigest()


def canonical_json(document: object) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def combine_factor_sets(set_id: str, version: str, title: str, sets: Iterable[FactorSet]) -> FactorSet:
    """One set from several published ones, each factor keeping its own source and validity.

    The combined set is valid where all its parts are (the intersection of their periods); a key defined
    in two parts is refused rather than letting one silently win.
    """
    parts = tuple(sets)
    if not parts:
        raise AccountingError("combine_factor_sets needs at least one set")
    factors = tuple(replace(f, valid_from=s.validity(f)[0], valid_until=s.validity(f)[1]) for s in parts for f in s.factors)
    start = max(s.valid_from for s in parts)
    ends = [s.valid_until for s in parts if s.valid_until is not None]
    end = min(ends) if ends else None
    if end is not None and end < start:
        raise AccountingError(f"sets {', '.join(s.label for s in parts)} have no common validity period")
    return FactorSet(
        id=set_id, version=version, title=title, source="; ".join(s.source for s in parts),
        valid_from=start, valid_until=end, factors=factors,
        components=tuple(f"{s.label}#{s.content_hash}" for s in parts),
    )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
