"""The embedded development chain: anvil with its state kept on disk.

The only module that knows about anvil. Everything else talks to whatever RPC URL Settings
names, so production points at a Besu/QBFT network or an L2 without code changes.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ledger.chain.toolchain import NODE_BIN

# anvil's well-known development mnemonic ("test test … junk"), account 0 and 1. Never for real use.
DEV_PRIVATE_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
)
DEV_CHAIN_ID = 31337
DEV_MNEMONIC = "test test test test test test test test test test test junk"  # anvil's; never for real use


def dev_key(index: int) -> str:
    """anvil's funded development account `index` (0x-hex private key; BIP-44 path of its mnemonic)."""
    if index < len(DEV_PRIVATE_KEYS):
        return DEV_PRIVATE_KEYS[index]
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return "0x" + Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.hex().removeprefix("0x")


@dataclass
class DevChain:
    process: subprocess.Popen
    rpc_url: str
    port: int

    def stop(self) -> None:
        """Stop anvil gracefully (SIGTERM) so it writes its state file."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def anvil_binary() -> str:
    """The native anvil npm installed for this platform, not its node wrapper: stopping the wrapper would
    orphan the real process (and its temporary state folders)."""
    native = sorted(NODE_BIN.parent.glob("@foundry-rs/anvil-*/bin/anvil"))
    local = NODE_BIN / "anvil"
    found = str(native[0]) if native else str(local) if local.exists() else shutil.which("anvil")
    if not found:
        raise RuntimeError("anvil not found: run `make setup` (npm ci installs @foundry-rs/anvil)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start_anvil(port: int | None = None, state_file: Path | None = None, log_file: Path | None = None) -> DevChain:
    """Start anvil on `port` (a free one by default); with `state_file` the chain survives restarts."""
    port = port or free_port()
    args = [anvil_binary(), "--port", str(port), "--chain-id", str(DEV_CHAIN_ID), "--accounts", "10",
            "--gas-limit", "60000000", "--max-persisted-states", "0"]  # no old states piling up in ~/.foundry
    if state_file is not None:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        args += ["--state", str(state_file), "--state-interval", "5"]
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL
    # Its own process group: a Ctrl-C meant for a supervisor doesn't stop the chain before the processes using it.
    process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while not port_is_open(port):
        if process.poll() is not None:
            raise RuntimeError(f"anvil exited with status {process.returncode} (args: {' '.join(args)})")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("anvil did not open its port within 30 s")
        time.sleep(0.05)
    return DevChain(process, f"http://127.0.0.1:{port}", port)
