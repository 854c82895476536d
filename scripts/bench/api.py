"""API benchmark: the institution dashboard and the regulator aggregate, served from the index under load.

    .venv/bin/python -m scripts.bench.api [--institutions 1000] [--meters 150] [--requests 50]

For each database (a SQLite file; a fresh PostgreSQL database on 127.0.0.1:5432, dropped afterwards, skipped
and said so where unreachable) the index tables are filled by bulk inserts of synthetic but well-formed rows
(not by the indexer: a year of 150 meters is 5 M signed readings, see scripts/bench/indexer.py for catch-up):
one province → 10 cities → 100 districts → `--institutions` institutions, each with a building; one simulated
year (2022) of idx_daily_usage: the dashboard institution has `--meters` cumulative meters, the others an
electricity and a water meter; idx_batches: hourly for the dashboard institution, daily for the others; a
final Emissions result for every other institution, a certification for every third; a profile for each.
The cursor names the anvil's chain, so the API serves from the index.

A real uvicorn (`python -m api`) serves the app; a second process on loopback hammers `/organizations` with
httpx while this one times, sequentially:
- `GET /supervision/<institution>/dashboard?year=2022` (figures, 12 months, 365 days) — target p95 < 100 ms;
- `GET /supervision/<province>/institutions?year=2022` (all institutions aggregated and ranked) — target < 1 s.
The first request of each (which computes and caches every institution-month with the accounting engine) is
reported separately as "cold". Prints a table, writes bench/results/api-<UTC timestamp>.json. Never asserts
on timings.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from api.db import migrate as migrate_api
from api.models import InstitutionProfile, Role
from api.services.users import create_user
from ledger.accounting.metered import CHINA_STANDARD_TIME
from ledger.chain.codes import CertificationStatus, NodeKind, ResultStatus
from ledger.chain.devchain import free_port, port_is_open
from ledger.encoding import Quantity as Measured, Unit
from ledger.indexer import migrate as migrate_index, open_engine
from ledger.indexer.models import AccountingResult, Batch, Cursor, DailyUsage, IndexedBlock, OrgNode
from ledger.indexer.models.credits import CertificationApplication
from scripts.bench.machine import load_average, machine_info
from scripts.bench.report import write_results
from scripts.bench.testbed import start_testbed

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
YEAR = 2022
PASSWORD = "bench password"
TARGET_DASHBOARD_P95 = 0.100
TARGET_AGGREGATE = 1.0
CHUNK = 20_000
BLOCKS = 3_000


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.api", description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=1_000, help="institutions under the province")
    parser.add_argument("--meters", type=int, default=150, help="meters of the dashboard institution")
    parser.add_argument("--requests", type=int, default=50, help="timed dashboard requests (aggregate: a third)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--load", nargs=2, metavar=("URL", "TOKEN"), help=argparse.SUPPRESS)  # the load process
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.load:
        return _hammer(*args.load)
    console = Console() if Console().is_terminal else Console(width=120)
    started = datetime.now(timezone.utc)
    runs: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="zcl-bench-api-") as tmp:
        testbed = start_testbed(Path(tmp))
        try:
            deployment_file = Path(tmp) / "deployment.json"
            testbed.deployment.save(deployment_file)
            w3 = testbed.admin.organizations.chain.w3
            for _ in range(BLOCKS // 500):  # a chain long enough to spread a year of batches over
                w3.provider.make_request("anvil_mine", [hex(500)])
            head = w3.eth.get_block("latest")
            head = (head["number"], "0x" + bytes(head["hash"]).hex())
            for kind in args.databases.split(","):
                with _database(kind, Path(tmp)) as url:
                    if url is None:
                        runs.append({"database": kind, "skipped": "PostgreSQL at 127.0.0.1:5432 is not reachable"})
                        continue
                    console.print(f"[bold]{kind}[/bold]: filling the index …")
                    runs.append(_run(kind, url, args, testbed.deployment.chain_id, head, testbed.anvil.rpc_url,
                                     deployment_file, Path(tmp) / kind))
        finally:
            testbed.stop()
    document = {"name": "api", "started": started.isoformat(), "machine": machine_info(), "load_average": load_average(),
                "setup": {"institutions": args.institutions, "dashboard_meters": args.meters, "year": YEAR,
                          "fill": "bulk inserts of synthetic, well-formed index rows (not the indexer)"},
                "runs": runs}
    path = write_results(document, started)
    _render(console, document, path)
    return 0


@contextmanager
def _database(kind: str, folder: Path) -> Iterator[str | None]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bench.sqlite'}"
        return
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # nothing listening, or no such role
        yield None
        return
    name = f"zcl_api_bench_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _run(kind: str, url: str, args: argparse.Namespace, chain_id: int, head: tuple[int, str], rpc_url: str,
         deployment_file: Path, data_dir: Path) -> dict[str, object]:
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = open_engine(url)
    t = time.monotonic()
    migrate_index(engine)
    migrate_api(engine)
    tree = _fill(engine, args.institutions, args.meters, chain_id, head)
    create_user(engine, "regulator", PASSWORD, Role.REGULATOR, tree["province"])
    create_user(engine, "admin", PASSWORD, Role.INSTITUTION_ADMIN, tree["dashboard"])
    create_user(engine, "auditor", PASSWORD, Role.AUDITOR, None)
    fill_seconds = time.monotonic() - t
    engine.dispose()
    port = free_port()
    env = {**os.environ, "ZCL_DATABASE_URL": url, "ZCL_RPC_URL": rpc_url, "ZCL_DATA_DIR": str(data_dir),
           "ZCL_DEPLOYMENT_FILE": str(deployment_file), "ZCL_JWT_SECRET": secrets.token_hex(32)}
    env.pop("ZCL_PRIVATE_KEY", None)
    server = subprocess.Popen([sys.executable, "-m", "api", "--port", str(port)], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load = None
    try:
        _wait_for(port, server)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=600) as client:
            tokens = {name: _login(client, name) for name in ("regulator", "admin", "auditor")}
            dashboard = f"/supervision/{tree['dashboard']}/dashboard?year={YEAR}"
            aggregate = f"/supervision/{tree['province']}/institutions?year={YEAR}"
            cold = {"dashboard": _timed(client, dashboard, tokens["admin"]),
                    "aggregate": _timed(client, aggregate, tokens["regulator"])}
            load = subprocess.Popen([sys.executable, "-m", "scripts.bench.api", "--load", base, tokens["auditor"]],
                                    cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
            if load.stdout.readline().strip() != "ready":  # its first request has been answered
                raise RuntimeError("the load process did not start")
            warm_dashboard = [_timed(client, dashboard, tokens["admin"]) for _ in range(args.requests)]
            warm_aggregate = [_timed(client, aggregate, tokens["regulator"]) for _ in range(max(5, args.requests // 3))]
            body = client.get(aggregate, headers=_auth(tokens["regulator"])).json()
            days = len(client.get(dashboard, headers=_auth(tokens["admin"])).json()["days"])
        load.terminate()
        ok, failed = (int(n) for n in load.communicate(timeout=30)[0].split())
        load = None
    finally:
        if load is not None:
            load.kill()
        server.terminate()
        server.wait(timeout=30)
    d50, d95 = _percentiles(warm_dashboard)
    a50, a95 = _percentiles(warm_aggregate)
    return {
        "database": kind, "fill_seconds": round(fill_seconds, 1), "rows": tree["rows"],
        "cold_seconds": cold, "load_requests_during_measurement": {"ok": ok, "failed": failed},
        "dashboard": {"requests": len(warm_dashboard), "p50": d50, "p95": d95, "days": days},
        "aggregate": {"requests": len(warm_aggregate), "p50": a50, "p95": a95, "institutions": body["total"],
                      "province_kgco2e": body["node"]["emissions_kgco2e"]},
        "targets": {"dashboard_p95_seconds": {"target": TARGET_DASHBOARD_P95, "measured": d95, "met": d95 < TARGET_DASHBOARD_P95},
                    "aggregate_p95_seconds": {"target": TARGET_AGGREGATE, "measured": a95, "met": a95 < TARGET_AGGREGATE}},
    }


def _fill(engine: Engine, institutions: int, meters: int, chain_id: int, head: tuple[int, str]) -> dict[str, object]:
    """Bulk-insert the synthetic index up to the chain's `head` (number, hash); returns the node ids the requests
    use and the row counts."""
    nodes: list[dict] = []

    def node(node_id: int, parent: int, kind: NodeKind, name: str, path: str, institution: int | None) -> None:
        nodes.append({"node_id": node_id, "parent_id": parent, "kind": int(kind), "kind_name": kind.name.lower(),
                      "name": name, "depth": path.count("/") - 2, "path": path, "institution_id": institution,
                      "block_number": 1, "transaction_hash": "0x" + "00" * 32})

    node(1, 0, NodeKind.REGION, "Bench province", "/1/", None)
    institution_ids, next_id = [], 2
    cities = [next_id + c for c in range(10)]
    for c in cities:
        node(c, 1, NodeKind.REGION, f"City {c}", f"/1/{c}/", None)
    next_id += 10
    districts = []
    for d in range(100):
        city = cities[d % 10]
        node(next_id, city, NodeKind.REGION, f"District {next_id}", f"/1/{city}/{next_id}/", None)
        districts.append((next_id, f"/1/{city}/{next_id}/"))
        next_id += 1
    buildings = {}
    for i in range(institutions):
        district, path = districts[i % 100]
        inst, building = next_id, next_id + 1
        next_id += 2
        node(inst, district, NodeKind.INSTITUTION, f"Institution {inst}", f"{path}{inst}/", inst)
        node(building, inst, NodeKind.BUILDING, f"Building of {inst}", f"{path}{inst}/{building}/", inst)
        institution_ids.append(inst)
        buildings[inst] = building
    dashboard = institution_ids[0]
    counts = {"org_nodes": len(nodes)}
    with engine.begin() as connection:
        connection.execute(Cursor.__table__.insert(), [{"id": 1, "chain_id": chain_id, "block_number": head[0],
                                                        "block_hash": head[1]}])
        connection.execute(IndexedBlock.__table__.insert(), [{"number": head[0], "hash": head[1]}])
        connection.execute(OrgNode.__table__.insert(), nodes)
        counts["daily_usage"] = _insert(connection, DailyUsage, _usage(institution_ids, buildings, dashboard, meters))
        counts["batches"] = _insert(connection, Batch, _batches(institution_ids, dashboard, head[0] - 1))
        counts["results"] = _insert(connection, AccountingResult, _results(institution_ids[1::2]))
        counts["certifications"] = _insert(connection, CertificationApplication, _certifications(institution_ids[::3]))
        counts["profiles"] = _insert(connection, InstitutionProfile, (
            {"institution_id": i, "people": 200 + i % 900, "floor_area_m2": f"{5000 + i % 7000}.5", "baseline_year": None,
             "updated_by": None, "updated_at": 0} for i in institution_ids))
    return {"province": 1, "dashboard": dashboard, "rows": counts}


def _insert(connection, model, rows) -> int:  # noqa: ANN001
    total, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            connection.execute(model.__table__.insert(), chunk)
            total, chunk = total + len(chunk), []
    if chunk:
        connection.execute(model.__table__.insert(), chunk)
        total += len(chunk)
    return total


def _days() -> list[date]:
    first = date(YEAR, 1, 1)
    return [first + timedelta(days=n) for n in range((date(YEAR + 1, 1, 1) - first).days)]


def _usage(institutions: list[int], buildings: dict[int, int], dashboard: int, meters: int) -> Iterator[dict]:
    days = _days()
    for inst in institutions:
        fleet = [(q, u) for q, u in ((Measured.ACTIVE_ENERGY_IMPORT, Unit.KWH), (Measured.WATER_VOLUME, Unit.M3))] \
            if inst != dashboard else [(Measured.ACTIVE_ENERGY_IMPORT, Unit.KWH) if m % 5 else (Measured.WATER_VOLUME, Unit.M3)
                                       for m in range(meters)]
        for m, (quantity, unit) in enumerate(fleet):
            device = "0x" + f"{inst:032x}{m:032x}"
            value = Decimal(0)
            for n, day in enumerate(days):
                first = value
                value += Decimal((inst * 7 + m * 13 + n) % 97 + 3) / 4
                yield {"device_id": device, "day": day, "quantity": int(quantity), "institution_id": inst,
                       "scene_id": buildings[inst] if m % 2 else inst, "unit": int(unit), "reading_count": 96,
                       "first_timestamp": _epoch(day), "first_value": first, "last_timestamp": _epoch(day) + 85_500,
                       "last_value": value, "min_value": first, "max_value": value, "total": (first + value) * 48}


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=CHINA_STANDARD_TIME).timestamp())


def _batches(institutions: list[int], dashboard: int, last_block: int) -> Iterator[dict]:
    """Hourly (dashboard) or daily batches over the year, their blocks spread over 1..last_block in time order."""
    start = _epoch(date(YEAR, 1, 1))
    year_seconds = 365 * 86_400
    for inst in institutions:
        step = 3600 if inst == dashboard else 86_400
        previous = "0x" + "00" * 32
        for index in range(365 * 86_400 // step):
            root = "0x" + f"{inst:032x}{index:032x}"
            yield {"root": root, "institution_id": inst, "oracle": "0x" + "11" * 20, "previous_root": previous,
                   "batch_index": index, "reading_count": 96, "first_timestamp": start + index * step,
                   "last_timestamp": start + (index + 1) * step - 1, "evidence_cid": "bafybench",
                   "block_number": 1 + (index * step * (last_block - 1)) // year_seconds,
                   "block_hash": "0x" + "22" * 32, "transaction_hash": "0x" + "33" * 32, "log_index": 0,
                   "evidence_status": "loaded", "evidence_detail": ""}
            previous = root


def _results(institutions: list[int]) -> Iterator[dict]:
    for n, inst in enumerate(institutions):
        grams = 1_000_000 + inst * 1_000
        yield {"result_id": n + 1, "institution_id": inst, "boundary_id": inst, "kind": 0, "kind_name": "emissions",
               "submitter": "0x" + "44" * 20, "period_start": _epoch(date(YEAR, 1, 1)),
               "period_end": _epoch(date(YEAR + 1, 1, 1)) - 1, "methodology_id": "0x" + "55" * 32,
               "methodology_hash": "0x" + "55" * 32, "factor_set_hash": "0x" + "66" * 32, "scope1": 0, "scope2": grams,
               "scope3": 0, "total": grams, "input_root": "0x" + "77" * 32, "input_batch_count": 365,
               "report_cid": "bafybench", "status": int(ResultStatus.FINAL), "status_name": "final", "supersedes": 0,
               "superseded_by": 0, "restatement_reason": "", "verifier": None, "statement": "", "block_number": 3,
               "transaction_hash": "0x" + "88" * 32}


def _certifications(institutions: list[int]) -> Iterator[dict]:
    for n, inst in enumerate(institutions):
        yield {"application_id": n + 1, "institution_id": inst, "claim_id": "0x" + f"{inst:064x}", "level": 1 + n % 3,
               "criteria_version": 1, "result_id": 1, "baseline_result_id": 0, "certificate_id": n + 1,
               "document_cid": "bafybench", "status": int(CertificationStatus.CERTIFIED), "status_name": "certified",
               "approvals": 2, "valid_from": 1, "valid_until": 4_000_000_000, "block_number": 4,
               "transaction_hash": "0x" + "99" * 32}


def _wait_for(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not port_is_open(port):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError("uvicorn (python -m api) did not open its port within 120 s")
        time.sleep(0.1)


def _login(client: httpx.Client, name: str) -> str:
    response = client.post("/auth/token", data={"username": name, "password": PASSWORD})
    response.raise_for_status()
    return response.json()["access_token"]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _timed(client: httpx.Client, path: str, token: str) -> float:
    t = time.perf_counter()
    response = client.get(path, headers=_auth(token))
    elapsed = time.perf_counter() - t
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
    return elapsed


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return round(statistics.median(ordered), 4), round(p95, 4)


def _hammer(base: str, token: str) -> int:
    """The load process: GET /organizations as fast as it can until terminated; prints "ready" after its first
    answer, then at the end the counts of 200 and other answers."""
    import signal

    ok = failed = 0
    running = True

    def stop(*_: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    with httpx.Client(base_url=base, timeout=60, headers=_auth(token)) as client:
        while running:
            try:
                status = client.get("/organizations?limit=100").status_code
            except httpx.HTTPError:
                status = 0
            ok, failed = ok + (status == 200), failed + (status != 200)
            if ok + failed == 1:
                print("ready", flush=True)
    print(ok, failed, flush=True)
    return 0


def _render(console: Console, doc: dict, path: Path) -> None:
    table = Table(title=f"API from the index: {doc['setup']['institutions']} institutions, "
                        f"{doc['setup']['dashboard_meters']} meters, year {doc['setup']['year']}")
    for column in ("database", "query", "cold s", "p50 ms", "p95 ms", "target", "met", "load req"):
        table.add_column(column, justify="left" if column in ("database", "query") else "right")
    for run in doc["runs"]:
        if "skipped" in run:
            table.add_row(run["database"], run["skipped"], *[""] * 6)
            continue
        for query, target_key, target in (("dashboard", "dashboard_p95_seconds", "p95 < 100 ms"),
                                          ("aggregate", "aggregate_p95_seconds", "< 1 s")):
            figures = run[query]
            met = run["targets"][target_key]["met"]
            table.add_row(run["database"], f"{query} ({figures['requests']} req)", f"{run['cold_seconds'][query]:.2f}",
                          f"{figures['p50'] * 1000:.1f}", f"{figures['p95'] * 1000:.1f}", target,
                          "[green]yes[/green]" if met else "[red]no[/red]", str(run["load_requests_during_measurement"]["ok"]))
    console.print(table)
    for run in doc["runs"]:
        if "rows" in run:
            console.print(f"{run['database']}: filled in {run['fill_seconds']} s: {run['rows']}")
    console.print(f"written to {path}")


if __name__ == "__main__":
    sys.exit(main())
