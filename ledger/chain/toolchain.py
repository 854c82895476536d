"""Where the project's compiler and dev-chain tools live.

Only the dev launcher and the compiler set-up use this module; nothing that talks to a chain
depends on anvil.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SOLC_VERSION = "0.8.37"
NODE_BIN = PROJECT_ROOT / "node_modules" / ".bin"

# Brownie launches anvil itself for these networks. `cmd` must be the bare word `anvil`
# (brownie picks its anvil backend by that name); base fee and gas price 0 avoid
# "max fee per gas less than block base fee" from brownie's legacy transactions.
BROWNIE_NETWORKS: dict[str, dict[str, str]] = {
    "zcl-anvil-test": {
        "cmd": "anvil",
        "host": "http://127.0.0.1",
        "port": "18545",
        "accounts": "10",
        "chain_id": "31337",
        "base_fee": "0",
        "gas_price": "0",
        "gas_limit": "30000000",
    },
}
# More identical networks on other ports, so several contract suites can run side by side
# (brownie silently attaches to whatever already listens on a network's port).
BROWNIE_NETWORKS["zcl-anvil-test-2"] = {**BROWNIE_NETWORKS["zcl-anvil-test"], "port": "18546"}
BROWNIE_NETWORKS["zcl-anvil-test-3"] = {**BROWNIE_NETWORKS["zcl-anvil-test"], "port": "18547"}


def solcx_install_folder() -> Path:
    """The folder py-solc-x searches for `solc-v<version>`; project-local unless overridden."""
    configured = os.environ.get("SOLCX_BINARY_PATH")
    return Path(configured) if configured else PROJECT_ROOT / ".solcx"


def activate_toolchain() -> None:
    """Point py-solc-x at the project's compiler folder and put node tools on PATH."""
    os.environ.setdefault("SOLCX_BINARY_PATH", str(PROJECT_ROOT / ".solcx"))
    if str(NODE_BIN) not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = f"{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
