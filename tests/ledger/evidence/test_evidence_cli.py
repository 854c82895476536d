"""`zcl evidence add|cat`, run through a local typer app that mounts `evidence_app` as zcl will."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ledger.evidence import compute_cid
from zcl.context import ExitCode
from zcl.evidence import PROGRESS_THRESHOLD, evidence_app

HELLO = b"hello carbon ledger\n"
HELLO_CID = "QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"

app = typer.Typer()
app.add_typer(evidence_app, name="evidence")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in list(os.environ):
        if name.startswith("ZCL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ZCL_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def _file(tmp_path: Path, data: bytes, name: str = "reading.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_add_prints_added_cid_and_name_like_ipfs_add(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["evidence", "add", str(_file(tmp_path, HELLO))])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"added {HELLO_CID} reading.csv\n"
    assert (tmp_path / "data" / "evidence" / HELLO_CID[-3:-1] / HELLO_CID).read_bytes() == HELLO


def test_add_quiet_prints_only_the_cid_and_honours_cid_version(runner: CliRunner, tmp_path: Path) -> None:
    path = _file(tmp_path, HELLO)
    assert runner.invoke(app, ["evidence", "add", "-q", str(path)]).stdout == HELLO_CID + "\n"
    v1 = runner.invoke(app, ["evidence", "add", "-q", "--cid-version", "1", str(path)])
    assert v1.stdout == compute_cid(HELLO, 1) + "\n"
    assert v1.stdout.startswith("bafkrei")


def test_cat_writes_the_raw_bytes_to_stdout(runner: CliRunner, tmp_path: Path) -> None:
    data = bytes(range(256)) * 5000  # not text, > one chunk
    cid = runner.invoke(app, ["evidence", "add", "-q", str(_file(tmp_path, data))]).stdout.strip()
    result = runner.invoke(app, ["evidence", "cat", cid])
    assert result.exit_code == 0
    assert result.stdout_bytes == data


def test_evidence_dir_setting_is_where_content_goes(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZCL_EVIDENCE_DIR", str(tmp_path / "elsewhere"))
    runner.invoke(app, ["evidence", "add", str(_file(tmp_path, HELLO))])
    assert (tmp_path / "elsewhere" / HELLO_CID[-3:-1] / HELLO_CID).exists()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["add", "{tmp}/missing.csv"], ExitCode.BAD_INPUT, "no such file"),
        (["add", "{tmp}"], ExitCode.BAD_INPUT, "is a directory"),
        (["cat", "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"], ExitCode.EVIDENCE_NOT_FOUND, "not found"),
        (["cat", "not-a-cid"], ExitCode.INVALID_CID, "invalid CID"),
    ],
)
def test_errors_are_one_line_on_stderr_with_distinct_exit_codes(
    runner: CliRunner, tmp_path: Path, args: list[str], code: ExitCode, message: str
) -> None:
    result = runner.invoke(app, ["evidence", *[a.format(tmp=tmp_path) for a in args]])
    assert result.exit_code == code
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert message in result.stderr


def test_cid_version_other_than_0_or_1_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["evidence", "add", "--cid-version", "2", str(_file(tmp_path, HELLO))])
    assert result.exit_code == 2


def test_unreachable_kubo_is_a_backend_error(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ZCL_IPFS_API", f"/ip4/127.0.0.1/tcp/{port}")
    result = runner.invoke(app, ["evidence", "add", str(_file(tmp_path, HELLO))])
    assert result.exit_code == ExitCode.EVIDENCE_BACKEND
    assert result.stderr.startswith("error: kubo: cannot reach") and result.stderr.count("\n") == 1


def test_large_file_shows_a_progress_bar_on_stderr_only(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich: treat the captured stderr as a terminal
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    data = os.urandom(PROGRESS_THRESHOLD + 1)
    result = runner.invoke(app, ["evidence", "add", "-q", str(_file(tmp_path, data, "big.bin"))])
    assert result.exit_code == 0
    assert result.stdout == compute_cid(data) + "\n"
    assert "big.bin" in result.stderr  # the bar's label; stdout stays a clean CID


def test_help_documents_the_exit_codes(runner: CliRunner) -> None:
    result = runner.invoke(app, ["evidence", "--help"], env={"COLUMNS": "200"})
    for code in ExitCode:
        if code is not ExitCode.OK:
            assert f"{int(code)} " in result.stdout
