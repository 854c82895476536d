"""Make py-solc-x able to compile and give brownie its anvil networks.

Run by `make` after the virtualenv and `npm ci`. Idempotent: it only writes what is missing
or stale, so a second run costs a fraction of a second.

Compiler choice, in order: a native `solc-v<version>` already in the py-solc-x folder; a
native download through `solcx.install_solc` (works on a connected machine); otherwise the
npm `solc` package behind `solc-standard-json.js`, installed under the name py-solc-x expects.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ledger.chain.toolchain import (  # noqa: E402
    BROWNIE_NETWORKS,
    SOLC_VERSION,
    solcx_install_folder,
)

ADAPTER = ROOT / "scripts" / "toolchain" / "solc-standard-json.js"


def _adapter_script() -> str:
    node = shutil.which("node") or "node"
    return f'#!/bin/sh\n# npm solc behind a py-solc-x compatible CLI (see {ADAPTER.name})\nexec "{node}" "{ADAPTER}" "$@"\n'


def ensure_solc() -> str:
    folder = solcx_install_folder()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"solc-v{SOLC_VERSION}"
    if target.exists() and not target.read_text(errors="ignore").startswith("#!/bin/sh\n# npm solc"):
        return f"native solc {SOLC_VERSION} already present"
    if not target.exists() and os.environ.get("ZCL_SOLC_NO_DOWNLOAD") != "1":
        try:
            import solcx

            solcx.install_solc(SOLC_VERSION, show_progress=False, solcx_binary_path=folder)
            return f"native solc {SOLC_VERSION} downloaded"
        except Exception as exc:  # no internet: fall back to the npm compiler
            reason = type(exc).__name__
    else:
        reason = "adapter already installed"
    script = _adapter_script()
    if not target.exists() or target.read_text() != script:
        target.write_text(script)
        target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    version = subprocess.run([str(target), "--version"], capture_output=True, text=True, check=True).stdout
    if SOLC_VERSION not in version:
        raise SystemExit(f"solc adapter reports {version!r}, expected {SOLC_VERSION}")
    return f"npm solc {SOLC_VERSION} through the adapter ({reason})"


def ensure_brownie_networks() -> str:
    brownie = Path(sys.executable).with_name("brownie")
    listed = subprocess.run([str(brownie), "networks", "list"], capture_output=True, text=True, cwd=ROOT).stdout
    added = []
    for name, settings in BROWNIE_NETWORKS.items():
        if f" {name}:" in listed or f"─{name}:" in listed or f"{name}:" in listed:
            continue
        args = [f"{k}={v}" for k, v in settings.items()]
        subprocess.run([str(brownie), "networks", "add", "Development", name, *args],
                       check=True, capture_output=True, cwd=ROOT)
        added.append(name)
    return "brownie networks added: " + ", ".join(added) if added else "brownie networks present"


if __name__ == "__main__":
    print("toolchain:", ensure_solc())
    print("toolchain:", ensure_brownie_networks())
