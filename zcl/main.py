"""Entry point of the `zcl` command line."""

from __future__ import annotations

from pathlib import Path

import typer

from zcl import context
from zcl.account import account_command
from zcl.accounting import measures_app
from zcl.alarms import alarms_app
from zcl.api import api_app, user_app
from zcl.certify import certify_app
from zcl.credits import credits_app
from zcl.evidence import evidence_app
from zcl.index import index_command
from zcl.market import market_app
from zcl.meeting import meeting_app
from zcl.oracle import oracle_app
from zcl.registry import deploy, device_app, keygen, org_app
from zcl.report import report_command
from zcl.results import audit, result_app
from zcl.retire import retire_command
from zcl.savings import savings_app
from zcl.simulate import simulate_app
from zcl.verify import verify

app = typer.Typer(
    name="zcl",
    help="Zero-carbon ledger: signed meter readings anchored on an EVM chain, re-derivable by anyone.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    rpc_url: str = typer.Option(None, help="JSON-RPC endpoint (env ZCL_RPC_URL)."),
    deployment: Path = typer.Option(None, help="Deployment addresses file (env ZCL_DEPLOYMENT_FILE)."),
    data_dir: Path = typer.Option(None, help="Local state folder (env ZCL_DATA_DIR, default .zcl)."),
    evidence_dir: Path = typer.Option(None, help="Local evidence store (env ZCL_EVIDENCE_DIR)."),
) -> None:
    """Options here apply to every command and override the ZCL_* environment."""
    context.set_overrides(rpc_url=rpc_url, deployment_file=deployment, data_dir=data_dir, evidence_dir=evidence_dir)


app.command("deploy")(deploy)
app.command("verify")(verify)
app.command("keygen")(keygen)
app.command("account")(account_command)
app.command("audit")(audit)
app.command("report")(report_command)
app.add_typer(org_app, name="org")
app.add_typer(device_app, name="device")
app.add_typer(oracle_app, name="oracle")
app.add_typer(evidence_app, name="evidence")
app.add_typer(measures_app, name="measures")
app.add_typer(result_app, name="result")
app.add_typer(simulate_app, name="simulate")
app.add_typer(alarms_app, name="alarms")
app.command("retire")(retire_command)
app.add_typer(credits_app, name="credits")
app.add_typer(savings_app, name="savings")
app.add_typer(market_app, name="market")
app.add_typer(certify_app, name="certify")
app.add_typer(meeting_app, name="meeting")
app.command("index")(index_command)
app.add_typer(api_app, name="api")
app.add_typer(user_app, name="user")
