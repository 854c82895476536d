"""`zcl api serve` and `zcl user add`: run the API, and create its users."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer

from api.models import Role
from zcl import context as ctx
from zcl.context import console, reports_errors

api_app = typer.Typer(help="The HTTP API (FastAPI): serve it.", no_args_is_help=True)
user_app = typer.Typer(help="API users: a role, an organisation scope, a signing key.", no_args_is_help=True)


@api_app.command("serve")
@reports_errors
def serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000, min=1, max=65535)) -> None:
    """Serve the API with uvicorn (database: ZCL_DATABASE_URL or SQLite in the data folder)."""
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(ctx.settings()), host=host, port=port, log_level="info")


def _secret(path: Path | None, prompt: str) -> str:
    if path is not None:
        return path.read_text().rstrip("\n")
    return getpass.getpass(prompt)


@user_app.command("add")
@reports_errors
def add_user(
    username: str = typer.Argument(..., help="Login name (letters, digits, _ . @ -)."),
    role: Role = typer.Option(..., help="institution_admin, operator, regulator, verifier, credit_buyer or auditor."),
    org: int = typer.Option(None, help="Organisation node the user's scope starts at (all roles but auditor/buyer)."),
    password_file: Path = typer.Option(None, help="File holding the login password (prompted otherwise)."),
    address: str = typer.Option(None, help="The user's wallet address (client-side signing)."),
    key_file: Path = typer.Option(None, help="Hex private key to keep server-side, encrypted."),
    new_key: bool = typer.Option(False, "--new-key", help="Generate a key and keep it server-side, encrypted."),
    keystore_password_file: Path = typer.Option(None, help="File holding the keystore password (prompted otherwise)."),
) -> None:
    """Create an API user; with --key-file or --new-key its key is kept as an encrypted keystore."""
    from eth_account import Account

    from api.db import make_engine, migrate
    from api.services.users import UserError, create_user

    if key_file is not None and new_key:
        raise ctx.fail("give --key-file or --new-key, not both")
    private_key = key_file.read_text().strip() if key_file else (Account.create().key.hex() if new_key else None)
    password = _secret(password_file, "login password: ")
    keystore_password = _secret(keystore_password_file, "keystore password: ") if private_key else None
    engine = make_engine(ctx.settings())
    migrate(engine)
    try:
        user = create_user(engine, username, password, role, org, address, private_key, keystore_password)
    except UserError as exc:
        raise ctx.fail(str(exc)) from None
    console.print(f"user {user.id} {user.username}: {user.role}, scope node {user.org_id or '-'}, "
                  f"address {user.address or '-'}{' (server-side key)' if user.keystore_json else ''}", highlight=False)
