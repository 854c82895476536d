"""`zcl user add`: users with a role, a scope and (optionally) a server-side key; refusals say why."""

from __future__ import annotations

import json
from pathlib import Path

from eth_account import Account
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.db import make_engine
from api.models import User
from ledger.config import Settings
from zcl.main import app

runner = CliRunner()


def _add(data_dir: Path, *args: str):  # noqa: ANN202
    return runner.invoke(app, ["--data-dir", str(data_dir), "user", "add", *args])


def test_user_add_stores_role_scope_and_an_encrypted_key(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("a long login password\n")
    (tmp_path / "ks").write_text("keystore password\n")
    key = Account.create()
    (tmp_path / "key").write_text(key.key.hex())
    result = _add(tmp_path / "zcl", "xihuamen-admin", "--role", "institution_admin", "--org", "4",
                  "--password-file", str(tmp_path / "pw"), "--key-file", str(tmp_path / "key"),
                  "--keystore-password-file", str(tmp_path / "ks"))
    assert result.exit_code == 0, result.output
    assert f"address {key.address} (server-side key)" in result.output
    with Session(make_engine(Settings(data_dir=tmp_path / "zcl"))) as session:
        user = session.exec(select(User).where(User.username == "xihuamen-admin")).one()
    assert (user.role, user.org_id, user.address) == ("institution_admin", 4, key.address)
    assert Account.decrypt(json.loads(user.keystore_json), "keystore password") == key.key
    assert "a long login password" not in user.password_hash


def test_user_add_refuses_duplicates_and_unscoped_roles(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("a long login password")
    base = ["--password-file", str(tmp_path / "pw")]
    assert _add(tmp_path / "zcl", "auditor-1", "--role", "auditor", *base).exit_code == 0
    again = _add(tmp_path / "zcl", "auditor-1", "--role", "auditor", *base)
    assert again.exit_code == 2 and "user 'auditor-1' exists" in again.output
    unscoped = _add(tmp_path / "zcl", "op", "--role", "operator", *base)
    assert unscoped.exit_code == 2 and "role operator needs an organisation node (--org)" in unscoped.output
    spaced = _add(tmp_path / "zcl", "two words", "--role", "auditor", *base)
    assert spaced.exit_code == 2 and "must be 1-64 letters" in spaced.output
    (tmp_path / "short").write_text("short")
    weak = _add(tmp_path / "zcl", "x", "--role", "auditor", "--password-file", str(tmp_path / "short"))
    assert weak.exit_code == 2 and "at least 8 characters" in weak.output
