"""`zcl evidence`: put files into the evidence store and read them back by CID.

The CID printed is the one `ipfs add` prints for the same bytes, so anyone can recompute it. The
store is the Kubo node named by ZCL_IPFS_API when set, else the folder ZCL_EVIDENCE_DIR
(default <ZCL_DATA_DIR>/evidence).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from ledger.evidence import (
    EvidenceBackendError,
    EvidenceNotFound,
    EvidenceStore,
    InvalidCid,
    KuboEvidenceStore,
    LocalEvidenceStore,
    StreamingEvidenceStore,
    open_evidence_store,
)
from zcl import context
from zcl.context import EXIT_CODES_HELP, ExitCode

PROGRESS_THRESHOLD = 8 * 1024 * 1024
"""Files larger than this get a progress bar on stderr."""


evidence_app = typer.Typer(
    help="Evidence files, content-addressed with the CIDs `ipfs add` prints. " + EXIT_CODES_HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@evidence_app.command("add")
def add_command(
    path: Annotated[Path, typer.Argument(help="File to add.", show_default=False)],
    cid_version: Annotated[
        int, typer.Option("--cid-version", min=0, max=1, help="0: Qm… (ipfs add); 1: bafy…/bafk… (ipfs add --cid-version 1).")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print the CID only.")] = False,
) -> None:
    """Add a file and print its CID (`added <cid> <name>`, or only the CID with -q)."""
    store = _open_store(cid_version)
    try:
        size = path.stat().st_size
        if path.is_dir():
            _fail(ExitCode.BAD_INPUT, f"{path} is a directory (add files one by one)")
        with _progress_bar(path.name, size) as progress:
            cid = _add_file(store, path, progress)
    except FileNotFoundError:
        _fail(ExitCode.BAD_INPUT, f"no such file: {path}")
    except OSError as exc:
        _fail(ExitCode.BAD_INPUT, f"cannot read {path}: {exc.strerror or exc}")
    except EvidenceBackendError as exc:
        _fail(ExitCode.EVIDENCE_BACKEND, str(exc))
    typer.echo(cid if quiet else f"added {cid} {path.name}")


@evidence_app.command("cat")
def cat_command(cid: Annotated[str, typer.Argument(help="CID printed by `zcl evidence add`.", show_default=False)]) -> None:
    """Write the evidence's bytes, as stored, to stdout."""
    store = _open_store(0)
    out = sys.stdout.buffer
    try:
        for piece in _pieces(store, cid):
            out.write(piece)
        out.flush()
    except InvalidCid as exc:
        _fail(ExitCode.INVALID_CID, str(exc))
    except EvidenceNotFound as exc:
        _fail(ExitCode.EVIDENCE_NOT_FOUND, str(exc))
    except EvidenceBackendError as exc:
        _fail(ExitCode.EVIDENCE_BACKEND, str(exc))


def _open_store(cid_version: int) -> EvidenceStore:
    settings = context.settings()
    try:
        return open_evidence_store(settings.evidence_path, settings.ipfs_api, cid_version)
    except EvidenceBackendError as exc:
        _fail(ExitCode.EVIDENCE_BACKEND, str(exc))


def _add_file(store: EvidenceStore, path: Path, progress: Callable[[int], object] | None) -> str:
    if progress is not None and isinstance(store, (LocalEvidenceStore, KuboEvidenceStore)):
        return store.add_file(path, progress=progress)
    return store.add_file(path)


def _pieces(store: EvidenceStore, cid: str) -> Iterator[bytes]:
    if isinstance(store, StreamingEvidenceStore):
        return store.stream(cid)
    return iter((store.cat(cid),))


@contextmanager
def _progress_bar(name: str, size: int) -> Iterator[Callable[[int], object] | None]:
    """A byte-count progress bar on stderr for large files (drawn only when stderr is a terminal)."""
    if size <= PROGRESS_THRESHOLD:
        yield None
        return
    console = Console(stderr=True)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(name, total=size)
        yield lambda n: bar.advance(task, n)


def _fail(code: ExitCode, message: str) -> NoReturn:
    raise context.fail(message, code)
