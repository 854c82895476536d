"""What every command needs: settings with CLI overrides, the chain, the contracts, the evidence store,
and one mapping from the project's errors to a one-line message and an exit code."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.text import Text

from ledger.chain.clients import LedgerContracts
from ledger.chain.connection import Chain, ChainError, connect
from ledger.chain.deployment import Deployment
from ledger.config import Settings, load_settings
from ledger.evidence import (
    EvidenceBackendError,
    EvidenceError,
    EvidenceNotFound,
    EvidenceStore,
    InvalidCid,
    open_evidence_store,
)

console = Console()
errors = Console(stderr=True)

class ExitCode(IntEnum):
    """Exit status of every `zcl` command."""

    OK = 0
    FINDINGS = 1  # verification found problems, or readings were refused
    BAD_INPUT = 2  # bad arguments, or a file the command cannot use
    CHAIN = 3  # the chain refused the transaction or could not be reached
    EVIDENCE_NOT_FOUND = 4
    INVALID_CID = 5
    EVIDENCE_BACKEND = 6  # the evidence store failed (e.g. Kubo unreachable)


EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 findings or refused readings; 2 bad input; 3 chain error; "
    "4 no evidence with that CID; 5 not a valid CID; 6 evidence store failed."
)
EXIT_FINDINGS = ExitCode.FINDINGS
EXIT_USAGE = ExitCode.BAD_INPUT
EXIT_CHAIN = ExitCode.CHAIN

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


def fail(message: str, code: int = ExitCode.BAD_INPUT) -> typer.Exit:
    errors.print(Text.assemble(("error:", "red"), " ", message), soft_wrap=True)  # one line, never markup
    return typer.Exit(int(code))


def reports_errors(func: F) -> F:
    """Turn the project's exceptions into `error: …` on stderr and a documented exit code."""

    @functools.wraps(func)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return func(*args, **kwargs)
        except ChainError as exc:
            raise fail(str(exc), EXIT_CHAIN) from None
        except EvidenceNotFound as exc:
            raise fail(str(exc), ExitCode.EVIDENCE_NOT_FOUND) from None
        except InvalidCid as exc:
            raise fail(str(exc), ExitCode.INVALID_CID) from None
        except EvidenceBackendError as exc:
            raise fail(str(exc), ExitCode.EVIDENCE_BACKEND) from None
        except EvidenceError as exc:
            raise fail(str(exc), ExitCode.BAD_INPUT) from None
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
