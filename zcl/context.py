"""What every command needs: settings with CLI overrides, the chain, the contracts, the evidence store,
and one mapping from the project's errors to a one-line message and an exit code."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console

from ledger.chain.clients import LedgerContracts
from ledger.chain.connection import Chain, ChainError, connect
from ledger.chain.deployment import Deployment
from ledger.config import Settings, load_settings
from ledger.evidence import EvidenceError, EvidenceStore, open_evidence_store

console = Console()
errors = Console(stderr=True)

EXIT_FINDINGS = 1  # verification found problems, or readings were rejected
EXIT_USAGE = 2  # bad arguments or input the command cannot use
EXIT_CHAIN = 3  # the chain refused or could not be reached

F = TypeVar("F", bound=Callable[..., object])


@dataclass
class Overrides:
    rpc_url: str | None = None
    deployment_file: Path | None = None
    data_dir: Path | None = None
    evidence_dir: Path | None = None


_overrides = Overrides()


def set_overrides(**values: object) -> None:
    for name, value in values.items():
        setattr(_overrides, name, value)


def settings() -> Settings:
    return load_settings(**vars(_overrides))


def chain() -> Chain:
    return connect(settings())


def contracts(chain_: Chain | None = None) -> LedgerContracts:
    chain_ = chain_ or chain()
    return LedgerContracts.attach(chain_, Deployment.load(settings().deployment_path(chain_.chain_id)))


def evidence_store() -> EvidenceStore:
    s = settings()
    return open_evidence_store(s.evidence_path, s.ipfs_api)


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def reports_errors(func: F) -> F:
    """Turn the project's exceptions into `error: …` on stderr and a documented exit code."""

    @functools.wraps(func)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return func(*args, **kwargs)
        except ChainError as exc:
            raise fail(str(exc), EXIT_CHAIN) from None
        except EvidenceError as exc:
            raise fail(str(exc), EXIT_USAGE) from None
        except (ValueError, OSError) as exc:
            raise fail(str(exc), EXIT_USAGE) from None

    return wrapper  # type: ignore[return-value]


def parse_bytes32(value: str, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raise fail(f"{what} must be hex, got {value!r}") from None
    if len(raw) != 32:
        raise fail(f"{what} must be 32 bytes (64 hex digits), got {len(raw)}")
    return raw


def is_tty() -> bool:
    return sys.stderr.isatty()
