"""The benchmark's second half: N serial ranges retired in ONE retireBatch against N single `retire`
transactions, in two layouts.

- distinct token ids: one vintage each of an external project, so every range touches its own balance and
  supply slots;
- one token id: N one-serial ranges of the institution's own credits (as tests/contracts/test_credit_gas.py
  builds them).

Both sides retire ranges of the same shape (the batch the lower serials, the singles the next ones) as
voluntary retirements (ClaimKind.NONE): one retirement backs one claim once, so one-by-one retirements
could not back a single claim.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scripts.bench.credits_world import (
    CID, START_2024, START_2025, VINTAGE, Catalogue, GasLog, Party, issue_vintages, vid,
)


@dataclass(frozen=True)
class RangesRun:
    """One layout's run: the batch's gas and time against each single retirement's."""

    layout: str
    ranges: int
    batch_gas: int
    batch_seconds: float
    single_gas: list[int]
    single_seconds: float
    batch_tx: str

    def as_dict(self) -> dict[str, object]:
        total = sum(self.single_gas)
        return {
            "layout": self.layout,
            "ranges": self.ranges,
            "batch": {"transactions": 1, "gas": self.batch_gas, "gas_per_range": self.batch_gas / self.ranges,
                      "seconds": self.batch_seconds, "tx": self.batch_tx},
            "single": {"transactions": len(self.single_gas), "gas": total, "gas_per_range": total / self.ranges,
                       "gas_min": min(self.single_gas), "gas_max": max(self.single_gas),
                       "gas_first": self.single_gas[0], "seconds": self.single_seconds},
            "single_over_batch_gas": total / self.batch_gas,
            "single_over_batch_seconds": self.single_seconds / self.batch_seconds,
        }


def progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, refresh_per_second=4)


def ranges_distinct(console: Console, log: GasLog, p: dict[str, Party], catalogue: Catalogue,
                    ranges: int) -> RangesRun:
    """`ranges` token ids (vintages of an external project of their own), 3 t each: one for the batch, one
    retired alone, one left, so neither side empties a balance slot (a storage refund would favour that side)."""
    holder, gov_issuer = p["holder"], p["issuer"].credits.credits
    project = gov_issuer.register_project(catalogue.external.class_id, 0, "Vintages").id
    with progress(console) as bar:
        task = bar.add_task(f"issue {ranges:,} token ids (setup)", total=ranges)
        tokens = issue_vintages(p["verifier"].credits.credits, gov_issuer, project, holder.address, "ranges",
                                ranges, 3, lambda: bar.advance(task))
    return batch_against_singles(console, log, holder, "distinct token ids", [(t, 1) for t in tokens])


def ranges_one_token(console: Console, log: GasLog, p: dict[str, Party], catalogue: Catalogue,
                     ranges: int) -> RangesRun:
    """One token id (the Savings result's vintage of a second project of the institution), 2 × `ranges` + 1 t:
    `ranges` one-serial ranges in the batch, then `ranges` single retirements, one tonne left (no side empties
    the balance slot)."""
    holder, issuer, own = p["holder"], p["issuer"].credits.credits, catalogue.own
    project = issuer.register_project(own.class_id, own.institution_id, "One token").id
    verification = vid("one-token")
    p["verifier"].credits.credits.approve_verification(verification, project, VINTAGE, 2 * ranges + 1, CID,
                                                       catalogue.savings)
    tid = issuer.issue(verification, holder.address, 2 * ranges + 1).token_id
    return batch_against_singles(console, log, holder, "one token id", [(tid, 1)] * ranges)


def batch_against_singles(console: Console, log: GasLog, holder: Party, layout: str,
                           items: list[tuple[int, int]]) -> RangesRun:
    credits = holder.credits.credits
    common = dict(beneficiary=holder.address, reason="bench", period_start=START_2024, period_end=START_2025)
    before = len(log.receipts)
    start = time.perf_counter()
    batch = credits.retire_batch(items, **common)
    batch_seconds = time.perf_counter() - start
    if len(batch.ranges) != len(items) or len(log.receipts) != before + 1:
        raise RuntimeError(f"the batch retired {len(batch.ranges)} ranges, expected {len(items)}")
    gas = []
    with progress(console) as bar:
        task = bar.add_task(f"{len(items):,} single retirements ({layout})", total=len(items))
        start = time.perf_counter()
        for token, amount in items:
            gas.append(credits.retire(token, amount, **common).tx.gas_used)
            bar.advance(task)
        single_seconds = time.perf_counter() - start
    return RangesRun(layout, len(items), batch.tx.gas_used, batch_seconds, gas, single_seconds, batch.tx.hash)


def render_ranges(console: Console, doc: dict) -> None:
    """The table of the runs in `doc["ranges"]` (the benchmark's JSON document)."""
    ranges = Table(title=f"Retiring {doc['setup']['ranges']:,} serial ranges: one retireBatch against one by one")
    for column in ("layout", "way", "transactions", "gas", "gas / range", "wall s", "one by one ÷ batch"):
        ranges.add_column(column, justify="left" if column in ("layout", "way") else "right")
    for r in doc["ranges"]:
        b, s = r["batch"], r["single"]
        ranges.add_row(r["layout"], "retireBatch", "1", f"{b['gas']:,}", f"{b['gas_per_range']:,.0f}",
                       f"{b['seconds']:.2f}", "")
        ranges.add_row("", "retire × N", f"{s['transactions']:,}", f"{s['gas']:,}", f"{s['gas_per_range']:,.0f}",
                       f"{s['seconds']:.2f}",
                       f"gas {r['single_over_batch_gas']:.1f}×, time {r['single_over_batch_seconds']:.0f}×")
        ranges.add_section()
    console.print(ranges)
