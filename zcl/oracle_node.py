"""The oracle of one institution as the commands open it: its folder, spool, profiles and alarms."""

from __future__ import annotations

from pathlib import Path

from ledger.chain.clients import LedgerContracts
from oracles.alarm_rules import AlarmMonitor, AlarmPolicy
from oracles.alarms import AlarmStore
from oracles.node import OracleNode
from oracles.profiles import DeviceProfiles
from oracles.rejects import RejectsLog
from oracles.spool import Spool
from zcl import context as ctx


def oracle_folder(institution: int) -> Path:
    """Where the oracle of `institution` keeps its spool, rejects log and source checkpoints."""
    return ctx.settings().oracle_folder(institution)


def spool_path(institution: int, must_exist: bool = False) -> Path:
    """The institution's spool; with `must_exist`, a clear error when no oracle has run here yet."""
    path = oracle_folder(institution) / "spool.sqlite"
    if must_exist and not path.exists():
        raise ctx.fail(f"no oracle has run for institution {institution} here (no spool at {path}); "
                       "check --data-dir / ZCL_DATA_DIR")
    return path


def open_node(institution: int, batch_size: int, contracts: LedgerContracts | None = None,
              policy: AlarmPolicy | None = None, verify_workers: int = 0) -> OracleNode:
    """The institution's oracle over its spool, with device profiles and alarms; `verify_workers`
    processes check signatures (0: in this process)."""
    settings = ctx.settings()
    spool = Spool(spool_path(institution))
    profiles = DeviceProfiles(spool.db)
    return OracleNode(
        institution_id=institution,
        contracts=contracts or ctx.contracts(),
        evidence=ctx.evidence_store(),
        spool=spool,
        rejects=RejectsLog(oracle_folder(institution) / "rejects.jsonl"),
        batch_size=batch_size,
        max_future_skew_seconds=settings.max_future_skew_seconds,
        profiles=profiles,
        alarms=AlarmMonitor(AlarmStore(spool.db), profiles, policy),
        verify_workers=verify_workers,
    )
