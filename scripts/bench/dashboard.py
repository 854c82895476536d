"""Time to first render of the institution's big screen with one simulated year, in headless Chromium.

    .venv/bin/python -m scripts.bench.dashboard [--scale 1.0] [--rounds 5]

One institution-year of signed readings (scripts/bench/accounting_data.py: 150 meters × 35,040
readings, cached under bench/.cache/) is anchored on a fresh anvil; a real uvicorn serves the app
(`api.explorer.mount:standalone_app`); Debian's chromium opens /dashboard/institution/<id> `rounds`
times, each in a fresh browser context. Time to first render = from navigation start to the moment
the page has drawn every chart with the API's figures (`window.zclRenderedAt`, set after the last
`setOption`). The server computes an institution's figures once per head of its batch chain, so the
first request ("cold") is timed separately from the page loads ("warm", what a viewer sees).

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
        server = None
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
            port = free_port()
            server = _start_server(port, testbed.anvil.rpc_url, Path(tmp), store.root, deployment_file)
            base = f"http://127.0.0.1:{port}"
            t = time.monotonic()
            cold = httpx.get(f"{base}/api/dashboard/institution/{testbed.institution_id}", timeout=1800)
            cold.raise_for_status()
            phases["first_api_request_cold"] = time.monotonic() - t
            t = time.monotonic()
            httpx.get(f"{base}/api/dashboard/institution/{testbed.institution_id}", timeout=60).raise_for_status()
            phases["api_request_warm"] = time.monotonic() - t
            renders = _render_rounds(f"{base}/dashboard/institution/{testbed.institution_id}", args.rounds)
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=20)
            testbed.stop()
    median = statistics.median(r["first_render_seconds"] for r in renders)
    document = {
        "name": "dashboard", "started": started.isoformat(), "machine": machine_info(), "load_average": load_average(),
        "setup": {"meters": spec.meters, "readings": spec.readings, "batches": len(batches), **build},
        "phases_seconds": phases, "rounds": renders,
        "targets": {"first_render_seconds": {"target": TARGET_SECONDS, "measured": median, "met": median < TARGET_SECONDS}},
    }
    path = write_results(document, started)
    _render(console, document, path)
    return 0


def _start_server(port: int, rpc_url: str, data_dir: Path, evidence_dir: Path, deployment: Path) -> subprocess.Popen:
    env = {**os.environ, "ZCL_RPC_URL": rpc_url, "ZCL_DATA_DIR": str(data_dir), "ZCL_EVIDENCE_DIR": str(evidence_dir),
           "ZCL_DEPLOYMENT_FILE": str(deployment)}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "api.explorer.mount:standalone_app",
                                "--port", str(port), "--log-level", "warning"], cwd=PROJECT_ROOT, env=env)
    deadline = time.monotonic() + 60
    while not port_is_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("uvicorn did not open its port within 60 s")
        time.sleep(0.1)
    return process


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
    table.add_row("first API request, cold (s): collect + verify a year", f"{doc['phases_seconds']['first_api_request_cold']:.1f}", "")
    table.add_row("API request, warm (s)", f"{doc['phases_seconds']['api_request_warm']:.3f}", "")
    table.add_row("chart points (last round)", str(doc["rounds"][-1]["chart_points"]), "")
    console.print(table)
    console.print(f"results: {path}")


if __name__ == "__main__":
    sys.exit(main())
