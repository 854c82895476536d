"""Time to first render of the institution's big screen with one simulated year, in headless Chromium.

    .venv/bin/python -m scripts.bench.dashboard [--scale 1.0] [--rounds 5]

One institution-year of signed readings (scripts/bench/accounting_data.py: 150 meters × 35,040
readings, cached under bench/.cache/) is anchored on a fresh anvil; a real uvicorn serves the app
(`api.explorer.mount:standalone_app`); Debian's chromium opens /dashboard/institution/<id> `rounds`
times, each in a fresh browser context. Time to first render = from navigation start to the moment
the page has drawn every chart with the API's figures (`window.zclRenderedAt`, set after the last
`setOption`). The server computes an institution's figures once per head of its batch chain, so the
first request ("cold") is timed separately from the page loads ("warm", what a viewer sees).

The year is also indexed (`ledger.indexer`, into a SQLite file, or `--database-url`), and two servers are
started on the same chain: one given the index (its first request reads the year from the index's tables,
api/explorer/dashboard_index.py) and one without (its first request collects the year from chain + evidence).
Both cold first requests are timed in the same run, their ratio reported, and the two bodies compared field by
field (they must be equal but for `source`/`index_block`/`source_note`). The pages are rendered from the
index-backed server.

Prints a table and writes bench/results/dashboard-<UTC timestamp>.json. Asserts nothing about
timings; exits non-zero with a one-line reason when a step cannot run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from ledger.chain.devchain import free_port, port_is_open
from scripts.bench.accounting_data import FULL_METERS, YearSpec, build_year, year_meters
from scripts.bench.machine import load_average, machine_info
from scripts.bench.report import write_results
from scripts.bench.testbed import register_fleet, start_testbed

CHROMIUM = Path("/usr/bin/chromium")
TARGET_SECONDS = 1.5
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of the compound's 150 meters (default 1.0)")
    parser.add_argument("--rounds", type=int, default=5, help="page loads timed (median reported)")
    parser.add_argument("--workers", type=int, default=None, help="signing processes when the year is not cached")
    parser.add_argument("--database-url", default=None,
                        help="index database (default: a fresh SQLite file in the run's temporary directory)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    console = Console()
    if not CHROMIUM.exists():
        console.print(f"[red]no chromium at {CHROMIUM}: install Debian's chromium (make setup as root)[/red]")
        return 2
    started = datetime.now(timezone.utc)
    spec = YearSpec(meters=max(1, round(FULL_METERS * args.scale)))
    phases: dict[str, float] = {}
    t = time.monotonic()
    store, batches, build = build_year(spec, args.workers)
    phases["build_or_load_evidence"] = time.monotonic() - t
    with tempfile.TemporaryDirectory(prefix="zcl-bench-dash-") as tmp:
        t = time.monotonic()
        testbed = start_testbed(Path(tmp))
        servers: list[Server] = []
        try:
            register_fleet(testbed, year_meters(spec))
            previous = bytes(32)
            for b in batches:
                testbed.oracle.attestations.anchor_batch(testbed.institution_id, b.root, previous, b.reading_count,
                                                         b.first_timestamp, b.last_timestamp, b.cid)
                previous = b.root
            phases["deploy_register_anchor"] = time.monotonic() - t
            deployment_file = Path(tmp) / "deployment.json"
            testbed.deployment.save(deployment_file)
            database_url = args.database_url or f"sqlite:///{Path(tmp) / 'index.sqlite'}"
            t = time.monotonic()
            indexed = _index(testbed, store, database_url)
            phases["index_year"] = time.monotonic() - t
            path = f"/api/dashboard/institution/{testbed.institution_id}"
            for name, url in (("with-index", database_url), ("chain-only", None)):
                servers.append(_start_server(free_port(), testbed.anvil.rpc_url, Path(tmp) / name, store.root,
                                             deployment_file, url))
            (index_base, index_body, phases["first_api_request_index"]), \
                (_, chain_body, phases["first_api_request_chain"]) = [_cold(s, path) for s in servers]
            t = time.monotonic()
            httpx.get(f"{index_base}{path}", timeout=60).raise_for_status()
            phases["api_request_warm"] = time.monotonic() - t
            comparison = _compare(index_body, chain_body)
            renders = _render_rounds(f"{index_base}/dashboard/institution/{testbed.institution_id}", args.rounds)
        finally:
            for server in servers:
                server.process.terminate()
                server.process.wait(timeout=20)
            testbed.stop()
    median = statistics.median(r["first_render_seconds"] for r in renders)
    ratio = phases["first_api_request_chain"] / phases["first_api_request_index"]
    document = {
        "name": "dashboard", "started": started.isoformat(), "machine": machine_info(), "load_average": load_average(),
        "setup": {"meters": spec.meters, "readings": spec.readings, "batches": len(batches), **build,
                  "index": {"database": database_url.split(":", 1)[0], **indexed}},
        "phases_seconds": phases, "rounds": renders,
        "first_request": {"index_seconds": phases["first_api_request_index"],
                          "chain_seconds": phases["first_api_request_chain"], "chain_over_index": ratio, **comparison},
        "targets": {"first_render_seconds": {"target": TARGET_SECONDS, "measured": median, "met": median < TARGET_SECONDS}},
    }
    path = write_results(document, started)
    _render(console, document, path)
    return 0


@dataclass
class Server:
    base: str
    process: subprocess.Popen


def _index(testbed, store, database_url: str) -> dict[str, object]:  # noqa: ANN001
    """Index the anchored year into `database_url` (what `zcl index` does), as the index-backed server will read it."""
    from ledger.evidence import LocalEvidenceStore
    from ledger.indexer import Indexer
    from ledger.indexer.db import open_engine

    engine = open_engine(database_url)
    try:
        report = Indexer(testbed.admin.organizations.chain, testbed.deployment, engine,
                         LocalEvidenceStore(store.root)).sync()
    finally:
        engine.dispose()
    return {"events": report.events, "readings": report.readings}


def _start_server(port: int, rpc_url: str, data_dir: Path, evidence_dir: Path, deployment: Path,
                  database_url: str | None) -> Server:
    """A uvicorn of the standalone app; with `database_url` it has an index, without it (and with a data dir of its
    own, so no ledger.sqlite is found) it reads chain + evidence."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("ZCL_DATABASE_URL", "DATABASE_URL")}
    env.update({"ZCL_RPC_URL": rpc_url, "ZCL_DATA_DIR": str(data_dir), "ZCL_EVIDENCE_DIR": str(evidence_dir),
                "ZCL_DEPLOYMENT_FILE": str(deployment)})
    if database_url is not None:
        env["ZCL_DATABASE_URL"] = database_url
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "api.explorer.mount:standalone_app",
                                "--port", str(port), "--log-level", "warning"], cwd=PROJECT_ROOT, env=env)
    deadline = time.monotonic() + 60
    while not port_is_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("uvicorn did not open its port within 60 s")
        time.sleep(0.1)
    return Server(f"http://127.0.0.1:{port}", process)


def _cold(server: Server, path: str) -> tuple[str, dict, float]:
    """The server's first request for the institution (nothing computed yet): its body and seconds."""
    t = time.monotonic()
    response = httpx.get(f"{server.base}{path}", timeout=1800)
    response.raise_for_status()
    return server.base, response.json(), time.monotonic() - t


def _compare(from_index: dict, from_chain: dict) -> dict[str, object]:
    """Which source each body names, and the fields (top level) where the figures differ: none is the expectation."""
    sources = {"index_body_source": from_index.get("source"), "chain_body_source": from_chain.get("source"),
               "index_block": from_index.get("index_block"), "index_source_note": from_index.get("source_note")}
    strip = ("source", "index_block", "source_note")
    a = {k: v for k, v in from_index.items() if k not in strip}
    b = {k: v for k, v in from_chain.items() if k not in strip}
    differing = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return {**sources, "identical": not differing, "differing_fields": differing}


def _render_rounds(url: str, rounds: int) -> list[dict[str, object]]:
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            for _ in range(rounds):
                context = browser.new_context(viewport={"width": 1920, "height": 1080})
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(url)
                page.wait_for_selector("body[data-rendered]", timeout=120_000)
                if page.get_attribute("body", "data-rendered") != "1":
                    raise RuntimeError(f"the page did not render: {page.inner_text('#error')}")
                points = page.evaluate("Object.fromEntries(Object.entries(window.zclCharts)"
                                       ".map(([k, c]) => [k, c.getOption().series[0].data.length]))")
                out.append({"first_render_seconds": page.evaluate("window.zclRenderedAt") / 1000,
                            "chart_points": points, "page_errors": errors})
                context.close()
        finally:
            browser.close()
    return out


def _render(console: Console, doc: dict, path: Path) -> None:
    table = Table(title=f"Big screen, one simulated year ({doc['setup']['readings']:,} readings, "
                        f"{doc['setup']['meters']} meters, {doc['setup']['batches']} batches)")
    table.add_column("figure")
    table.add_column("measured", justify="right")
    table.add_column("target", justify="right")
    target = doc["targets"]["first_render_seconds"]
    rounds = ", ".join(f"{r['first_render_seconds']:.3f}" for r in doc["rounds"])
    table.add_row("time to first render, warm server (median s)", f"{target['measured']:.3f}",
                  f"< {TARGET_SECONDS} {'✔' if target['met'] else '✘'}")
    table.add_row("  rounds (s)", rounds, "")
    first = doc["first_request"]
    table.add_row("first API request from the index (s)", f"{first['index_seconds']:.2f}", "")
    table.add_row("first API request from chain + evidence (s)", f"{first['chain_seconds']:.1f}", "")
    table.add_row("  chain ÷ index", f"{first['chain_over_index']:.1f}×", "")
    table.add_row("  same figures both ways", "yes" if first["identical"] else f"NO: {first['differing_fields']}", "")
    table.add_row("indexing the year (s)", f"{doc['phases_seconds']['index_year']:.1f}", "")
    table.add_row("API request, warm (s)", f"{doc['phases_seconds']['api_request_warm']:.3f}", "")
    table.add_row("chart points (last round)", str(doc["rounds"][-1]["chart_points"]), "")
    console.print(table)
    console.print(f"results: {path}")


if __name__ == "__main__":
    sys.exit(main())
