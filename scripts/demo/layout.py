"""Where the demo keeps everything, which ports it uses and which development accounts act."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ledger.chain.devchain import DEV_PRIVATE_KEYS
from ledger.config import Settings

GOVERNANCE_KEY, ORACLE_KEY, VERIFIER_KEY = DEV_PRIVATE_KEYS[0], DEV_PRIVATE_KEYS[1], DEV_PRIVATE_KEYS[2]
SEED = "xihuamen"  # devices, keys and noise of the simulated compound derive from it (zcl simulate's default)


@dataclass(frozen=True)
class DemoLayout:
    data_dir: Path
    chain_port: int
    api_port: int
    mqtt_broker: str

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.chain_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def anvil_state(self) -> Path:
        return self.data_dir / "anvil" / "state.json"

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"

    @property
    def marker(self) -> Path:
        """Written when the year replay and its workflows are complete: a second run skips them."""
        return self.data_dir / "demo" / "replayed.json"

    @property
    def passwords(self) -> Path:
        return self.data_dir / "demo" / "logins.json"

    def settings(self, private_key: str = GOVERNANCE_KEY) -> Settings:
        return Settings(rpc_url=self.rpc_url, data_dir=self.data_dir, private_key=private_key)

    def child_env(self, private_key: str) -> dict[str, str]:
        """The ZCL_* environment of a child process acting with `private_key`."""
        return {"ZCL_RPC_URL": self.rpc_url, "ZCL_DATA_DIR": str(self.data_dir), "ZCL_PRIVATE_KEY": private_key,
                "ZCL_MQTT_BROKER": self.mqtt_broker}
