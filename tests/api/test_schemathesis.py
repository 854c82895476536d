"""schemathesis against the served OpenAPI schema, as a logged-in institution admin: no 5xx, ever.

schemathesis lives in .venv-fuzz (it needs a newer hypothesis than eth-brownie pins in .venv):
scripts/toolchain/fuzz_venv.sh creates it. The API runs under uvicorn on a free port, over a real anvil
and SQLite, in its own process, exactly as `python -m api` serves it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.security import issue_token
from ledger.chain.toolchain import PROJECT_ROOT
from oracles.alarms import AlarmKind, AlarmStore, Severity
from tests.api.conftest import ApiWorld, build_world, database_url

SCHEMATHESIS = PROJECT_ROOT / ".venv-fuzz" / "bin" / "schemathesis"
pytestmark = pytest.mark.skipif(not SCHEMATHESIS.exists(),
                                reason=f"{SCHEMATHESIS} missing: run scripts/toolchain/fuzz_venv.sh")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(world: ApiWorld) -> None:
    """One of each object at id 1 (the ids the schema's examples use), so fuzzed reads reach real rows."""
    inst = world.tree.institution
    world.settings.oracle_spool_path(inst).parent.mkdir(parents=True)
    store = AlarmStore.open(world.settings.oracle_spool_path(inst))
    store.raise_alarm(AlarmKind.WATER_LEAK, Severity.CRITICAL, b"\xab" * 32, "night flow", [(b"\xab" * 32, 1)], 1_700_000_000)
    store.db.close()
    for path, body in ((f"/organizations/{inst}/assets", {"kind": "light", "name": "LED"}),
                       (f"/organizations/{inst}/projects", {"title": "LED", "measure": "lighting", "budget_cny": "1",
                                                            "expected_saving_kgco2e": "1"}),
                       (f"/organizations/{inst}/work-orders", {"title": "check"}),
                       (f"/organizations/{inst}/inspections", {"outcome": "defect", "notes": "loose cover"})):
        assert world.post("operator", path, json=body).status_code == 201


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request, anvil, compiled, tmp_path_factory) -> Iterator[tuple[str, ApiWorld]]:
    folder = tmp_path_factory.mktemp("fuzz")
    with database_url(request, folder) as url:
        world = build_world(anvil.rpc_url, folder / "zcl", url)
        _seed(world)
        port = _free_port()
        env = {**os.environ, "ZCL_RPC_URL": world.settings.rpc_url, "ZCL_DATA_DIR": str(world.settings.data_dir),
               "ZCL_DATABASE_URL": url, "ZCL_JWT_SECRET": world.settings.jwt_secret}
        env.pop("ZCL_PRIVATE_KEY", None)
        with open(folder / "uvicorn.log", "wb") as log:
            server = subprocess.Popen([sys.executable, "-m", "api", "--port", str(port)], cwd=PROJECT_ROOT, env=env,
                                      stdout=log, stderr=subprocess.STDOUT)
            try:
                base = f"http://127.0.0.1:{port}"
                _wait_until_serving(base, server, folder / "uvicorn.log")
                yield base, world
            finally:
                server.terminate()
                server.wait(timeout=30)
                world.app.state.engine.dispose()


def _wait_until_serving(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)


@pytest.mark.timeout(900)
def test_no_server_errors_anywhere_in_the_schema(served: tuple[str, ApiWorld], tmp_path: Path) -> None:
    url, world = served
    token = issue_token(world.settings.jwt_secret, world.users["admin"], "admin", "institution_admin", 3600)
    command = [str(SCHEMATHESIS), "run", f"{url}/openapi.json", "--checks", "not_a_server_error",
               "-H", f"Authorization: Bearer {token}", "--max-examples", "25", "--seed", "7", "--workers", "1",
               "--phases", "examples,coverage,fuzzing", "--no-color", "--generation-database", "none",
               "--report", "junit", "--report-dir", str(tmp_path), "--request-timeout", "60"]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=880)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    assert "not_a_server_error" in output or "passed" in output.lower(), output[-3000:]
