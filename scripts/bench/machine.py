"""What the figures were measured on, and which cores each process was allowed to use.

Every results file carries this, so two runs can be compared only when their machines match.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import NamedTuple

from rich.console import Console

from ledger.chain.devchain import anvil_binary
from ledger.chain.toolchain import PROJECT_ROOT, SOLC_VERSION

class BenchStart(NamedTuple):
    """What every benchmark notes before it measures: a console wide enough for its tables when piped,
    the start (wall and monotonic), the machine, and the load it found."""

    console: Console
    started: datetime
    clock_start: float
    machine: dict[str, object]
    load_at_start: list[float] | None


def start_bench() -> BenchStart:
    console = Console()
    if not console.is_terminal:  # logs and pipes: wide enough for the tables, not rich's 80 columns
        console = Console(width=120)
    return BenchStart(console, datetime.now(timezone.utc), time.monotonic(), machine_info(), load_average())


_PACKAGES = ("pynacl", "web3", "eth-hash", "pycryptodome", "py-solc-x", "rich")


def machine_info() -> dict[str, object]:
    """CPU, cores, Python, platform, git commit, anvil version, package versions, UTC date."""
    return {
        "date_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu_model": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "cores_available": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "python_executable": sys.executable,
        "platform": platform.platform(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain")),
        "anvil": _anvil_version(),
        "solc": SOLC_VERSION,
        "packages": {name: _package_version(name) for name in _PACKAGES},
    }


def load_average() -> list[float] | None:
    """1, 5 and 15-minute load averages: other work on the machine shows here, and in the figures."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def pin_process(pid: int, cores: set[int]) -> bool:
    """Restrict every thread of `pid` to `cores`; False where the OS offers no affinity."""
    if not hasattr(os, "sched_setaffinity"):
        return False
    tasks = Path(f"/proc/{pid}/task")
    thread_ids = [int(t.name) for t in tasks.iterdir()] if tasks.is_dir() else [pid]
    for tid in thread_ids:
        try:
            os.sched_setaffinity(tid, cores)
        except ProcessLookupError:  # a thread that ended meanwhile
            continue
    return True


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def _anvil_version() -> str | None:
    """'1.7.1 (commit 4072e487…)' from `anvil --version`."""
    try:
        out = subprocess.run([anvil_binary(), "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, RuntimeError, subprocess.CalledProcessError):
        return None
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    release = fields.get("anvil Version", "").strip() or out.strip().splitlines()[0]
    commit = fields.get("Commit SHA", "").strip()
    return f"{release} (commit {commit})" if commit else release


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None
