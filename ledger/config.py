"""The one place configuration is read: environment variables `ZCL_*`, then defaults.

Defaults are the embedded ones (anvil on localhost, a local evidence folder, SQLite). A
production deployment changes only these values: any EVM JSON-RPC endpoint, a Kubo node, a
PostgreSQL URL.

pydantic-settings is not used because eth-brownie pins python-dotenv 0.16, which every
pydantic-settings release excludes; this class reads the environment itself, with the same
pydantic validation.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

ENV_PREFIX = "ZCL_"


class Settings(BaseModel):
    """Runtime configuration. Every field maps to `ZCL_<FIELD NAME IN CAPITALS>`."""

    data_dir: Path = Field(Path(".zcl"), description="Where local state lives (evidence, spool, deployments).")
    rpc_url: str = Field("http://127.0.0.1:8545", description="Any EVM JSON-RPC endpoint.")
    chain_id: int | None = Field(None, description="Expected chain id; checked against eth_chainId when set.")
    private_key: str | None = Field(None, description="Hex key of the account that sends transactions.")
    keystore: Path | None = Field(None, description="Encrypted keystore file (web3 account encryption).")
    keystore_password_file: Path | None = Field(None, description="File holding the keystore password.")
    deployment_file: Path | None = Field(None, description="Deployed addresses; default data_dir/deployments/<chain id>.json.")
    evidence_dir: Path | None = Field(None, description="Local evidence store; default data_dir/evidence.")
    ipfs_api: str | None = Field(None, description="Kubo RPC address (multiaddr, e.g. /ip4/127.0.0.1/tcp/5001); local store when unset.")
    mqtt_broker: str | None = Field(None, description="MQTT broker host:port for meter frames and alarms (e.g. 127.0.0.1:1883).")
    confirmations: int = Field(1, ge=0, description="Blocks to wait after a transaction before trusting it.")
    max_future_skew_seconds: int = Field(300, ge=0, description="How far ahead of the oracle's clock a reading may be.")
    database_url: str | None = Field(None, description="SQLAlchemy URL (e.g. postgresql+psycopg://…; env ZCL_DATABASE_URL, else DATABASE_URL); default SQLite in data_dir.")
    jwt_secret: str | None = Field(None, description="HS256 key of API tokens; default a random key kept in data_dir/api-jwt-secret.")
    token_lifetime_seconds: int = Field(3600, ge=60, description="How long an API access token is valid.")
    index_wait_seconds: float = Field(4.0, ge=0, description="How long a dashboard waits for an index a few blocks behind the chain (about one indexer poll after an anchor) before reading the chain instead; default twice `zcl index --follow`'s poll.")

    @property
    def sql_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'ledger.sqlite').as_posix()}"

    def oracle_folder(self, institution_id: int) -> Path:
        """Where the oracle serving `institution_id` keeps its spool, rejects log and source checkpoints."""
        return oracle_folder(self.data_dir, institution_id)

    def oracle_spool_path(self, institution_id: int) -> Path:
        """The spool (readings and alarms) of the oracle node serving `institution_id`."""
        return self.oracle_folder(institution_id) / "spool.sqlite"

    @property
    def evidence_path(self) -> Path:
        return self.evidence_dir or self.data_dir / "evidence"

    def deployment_path(self, chain_id: int) -> Path:
        return self.deployment_file or self.data_dir / "deployments" / f"{chain_id}.json"


def oracle_folder(data_dir: Path, institution_id: int) -> Path:
    """The one layout of an oracle's local state under a data folder (the CLI, the API and the demo read it)."""
    return Path(data_dir) / "oracle" / f"institution-{institution_id}"


def load_settings(**overrides: object) -> Settings:
    """Settings from `ZCL_*` environment variables, with explicit overrides (e.g. CLI flags) on top."""
    values: dict[str, object] = {}
    for name in Settings.model_fields:
        raw = os.environ.get(ENV_PREFIX + name.upper())
        if raw not in (None, ""):
            values[name] = raw
    if "database_url" not in values and os.environ.get("DATABASE_URL"):  # the name hosting platforms set
        values["database_url"] = os.environ["DATABASE_URL"]
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings.model_validate(values)
