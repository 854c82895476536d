"""`python -m scripts.demo`: set the platform up once, then run it live until Ctrl-C (or --check)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from ledger.accounting.errors import AccountingError
from ledger.chain.clients import LedgerContracts
from ledger.chain.connection import connect
from ledger.chain.deployment import Deployment
from ledger.chain.devchain import DevChain, port_is_open
from ledger.evidence import open_evidence_store
from oracles.simulation import CompoundFleet
from zcl import context as zcl_context
from zcl.oracle_node import open_node

from scripts.demo.chain import StaleState, ensure_deployment, start_chain
from scripts.demo.compound import RETROFIT, CompoundNodes, demo_fleet, register_compound, register_devices, unregistered
from scripts.demo.credits import CreditsFlow, run_credits, summary
from scripts.demo.console import console, platform_panel, progress, readiness_table, say
from scripts.demo.layout import GOVERNANCE_KEY, ORACLE_KEY, VERIFIER_KEY, DemoLayout
from scripts.demo.live import LIVE_INTERVAL, LivePlatform
from scripts.demo.readiness import Readiness, check_once
from scripts.demo.replay import REPLAY_STEP_HOURS, ReplayReport, replay_year, verify_workers
from scripts.demo.users import DemoLogin, ensure_users
from scripts.demo.workflows import certify_low_carbon, result_period, submit_and_verify


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.demo", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("ZCL_DATA_DIR") or ".zcl"))
    parser.add_argument("--chain-port", type=int, default=8545)
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--mqtt-broker", default=os.environ.get("ZCL_MQTT_BROKER") or "127.0.0.1:1883",
                        help="HOST:PORT; when nothing answers, the collectors serve Modbus TCP and the oracle polls them")
    parser.add_argument("--fast", "--replay-year", dest="replay", action=argparse.BooleanOptionalAction, default=True,
                        help="on first run, replay 2022 up to today's date so the charts are full (default: on)")
    parser.add_argument("--check", action="store_true",
                        help="run until the platform is usable, print when each part became ready, stop, exit 0")
    parser.add_argument("--check-timeout", type=float, default=600.0, help="with --check: give up after this many s")
    return parser.parse_args(argv)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    layout = DemoLayout(args.data_dir.resolve(), args.chain_port, args.api_port, args.mqtt_broker)
    # Ctrl-C and SIGTERM stop the demo alike; set explicitly, since a shell's background job starts with SIGINT
    # ignored, and children would inherit that (exec keeps an ignored signal, not a handler).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _raise_interrupt)
    sys.stdout.reconfigure(line_buffering=True)  # progress lines reach a log as they happen
    anvil: DevChain | None = None
    live: LivePlatform | None = None
    if port_is_open(layout.api_port):
        console.print(f"[red]port {layout.api_port} is taken[/red] (another demo or API?): stop it or pass --api-port")
        return 2
    try:
        anvil = start_chain(layout)
        say(f"anvil on {layout.rpc_url}, state kept in {layout.anvil_state}" if anvil
            else f"a chain already listens on port {layout.chain_port}; using it")
        deployment, nodes, replay_head, marker = setup(layout, args.replay)
        credits = (marker or {}).get("credits")
        for line in _credits_lines(marker):
            say(line)
        logins = ensure_users(layout, nodes)
        live = LivePlatform(layout, nodes.institution)
        live.start()
        say(f"live: meters every {LIVE_INTERVAL} s by {live.transport}; oracle, indexer and API started "
            f"(logs in {layout.logs})")
        if args.check:
            contracts = LedgerContracts.attach(connect(layout.settings()), deployment)
            return check(layout, live, contracts, nodes, logins[0], replay_head, started, args.check_timeout,
                         credits if isinstance(credits, dict) else None)
        console.print(platform_panel(layout, nodes, logins, live.transport))
        say(f"set up in {time.monotonic() - started:.1f} s; the API is starting (first dashboard load computes the year)")
        return supervise(live)
    except StaleState as exc:
        console.print(f"[red]stale state[/red]: {exc}")
        return 2
    except RuntimeError as exc:  # ChainError (a reverted transaction, the chain gone), anvil missing, …
        console.print(f"[red]the demo stopped[/red]: {exc}")
        return 1
    except KeyboardInterrupt:
        say("stopping…")
        return 0
    finally:
        if live is not None:
            live.stop()
            say("meters, oracle, indexer and API stopped")
        if anvil is not None:
            anvil.stop()
            say("anvil stopped; its state is saved for the next run")


def setup(layout: DemoLayout, replay: bool) -> tuple[Deployment, CompoundNodes, bytes, dict | None]:
    """Deploy (once), register the compound, replay the year (once), submit and verify a result, certify and
    issue credits from the simulated retrofit's savings (once); the marker file's record of it all."""
    deployment, deployed = ensure_deployment(layout)
    say(f"deployed {len(deployment.addresses)} contracts on chain {deployment.chain_id}" if deployed
        else f"contracts already deployed (from block {deployment.start_block}); reusing them")
    admin = LedgerContracts.attach(connect(layout.settings(GOVERNANCE_KEY)), deployment)
    oracle_chain = connect(layout.settings(ORACLE_KEY))
    nodes = register_compound(admin, oracle_chain.account.address)
    fleet = demo_fleet(3600)
    new = unregistered(admin, nodes, fleet)
    with progress() as bar:
        task = bar.add_task("registering devices", total=len(new))
        register_devices(admin, nodes, new, lambda: bar.advance(task))
    say(f"Sichuan → Chengdu → Qingyang → Xihuamen (node {nodes.institution}), {len(nodes.buildings)} buildings, "
        f"{len(fleet.identities)} devices with their own Ed25519 keys ({len(new)} registered now)")
    marker = json.loads(layout.marker.read_text()) if layout.marker.exists() else None
    if replay or marker:
        report = _replay(layout, nodes, fleet, first=marker is None)
        if marker is None:
            marker = {"replayed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                      "readings": report.readings, "seconds": round(report.seconds, 1),
                      "readings_per_second": round(report.per_second), "until": report.last}
            marker.update(_workflows(layout, admin, deployment, nodes, report.last))
            layout.marker.parent.mkdir(parents=True, exist_ok=True)
            layout.marker.write_text(json.dumps(marker, indent=2) + "\n")
    return deployment, nodes, admin.attestations.latest_root(nodes.institution), marker


def _replay(layout: DemoLayout, nodes: CompoundNodes, fleet: CompoundFleet, first: bool) -> ReplayReport:
    """The first run replays the year; later runs only top up whole steps missed while the demo was off."""
    zcl_context.set_overrides(rpc_url=layout.rpc_url, data_dir=layout.data_dir, private_key=ORACLE_KEY)
    node = open_node(nodes.institution, 5_000, verify_workers=verify_workers())
    try:
        with progress() as bar:
            task = bar.add_task("replaying 2022 through the oracle" if first else "topping up", total=None)
            report = replay_year(node, fleet, LIVE_INTERVAL, lambda n: bar.advance(task, n))
    finally:
        node.close()
    if first:
        say(f"replayed 1 Jan 2022 → {_day(report.last)} for all {report.devices} meters at {REPLAY_STEP_HOURS}-hour resolution: "
            f"{report.readings:,} signed readings verified and anchored in {report.batches} batches, "
            f"{report.seconds:.1f} s ({report.per_second:,.0f} readings/s)")
    else:
        say(f"the year was replayed on an earlier run (kept state); topped up {report.readings:,} readings "
            f"up to {_day(report.last)}")
    return report


def _workflows(layout: DemoLayout, admin: LedgerContracts, deployment: Deployment, nodes: CompoundNodes, until: int) -> dict:
    verifier = LedgerContracts.attach(connect(layout.settings(VERIFIER_KEY)), deployment)
    evidence = open_evidence_store(layout.settings().evidence_path, None)
    result = submit_and_verify(admin, verifier, evidence, nodes, result_period(until))
    say(f"accounting result {result.result_id} for {result.period.start} → {result.period.end}: {result.total}, "
        f"report {result.report_cid}; verified by the district's verifier (Final)")

    def connect_as(key: str) -> LedgerContracts:
        return LedgerContracts.attach(connect(layout.settings(key)), deployment)

    certified = certify_low_carbon(admin, connect_as, evidence, nodes, result.result_id)
    say(f"certification application {certified.application_id} (low-carbon, demo criteria) approved by regions "
        f"{' → '.join(map(str, certified.regions))}: certified until {_day(certified.valid_until or 0)}")
    try:
        flow = run_credits(admin, verifier, connect_as, evidence, nodes, result.period.end)
    except AccountingError as exc:  # no whole month after the retrofit yet, or a baseline model that fails
        credits: dict | str = str(exc)
    else:
        credits = flow.as_json()
    return {"result_id": result.result_id, "certification_application": certified.application_id,
            "retrofit": {"name": RETROFIT.name, "effective": RETROFIT.effective.isoformat(),
                         "share": str(RETROFIT.share), "simulated": True},
            "credits": credits}


def _credits_lines(marker: dict | None) -> list[str]:
    """The console's summary of the credit flow (every run: the figures are kept in the marker file)."""
    credits = (marker or {}).get("credits")
    if isinstance(credits, dict):
        return summary(CreditsFlow(**credits))
    if isinstance(credits, str):
        return [f"credits: none issued: {credits}"]
    if marker:
        return ["credits: none issued (the kept state predates them; `make clean` starts afresh)"]
    return ["credits: none issued (no year was replayed)"]


def _day(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def supervise(live: LivePlatform) -> int:
    """Wait for Ctrl-C / SIGTERM; a child that stops on its own stops the demo (exit 1, naming its log)."""
    while True:
        exited = live.exited()
        if exited:
            for child in exited:
                console.print(f"[red]{child.name} stopped unexpectedly[/red] (status {child.process.returncode}); "
                              f"see {child.log}")
            return 1
        time.sleep(1)


def check(layout: DemoLayout, live: LivePlatform, contracts: LedgerContracts, nodes: CompoundNodes, login: DemoLogin,
          replay_head: bytes, started: float, timeout: float, credits: dict | None) -> int:
    """Poll until every readiness check passes (exit 0) or `timeout` passes or a child dies (exit 1).
    The credits check is expected only when the demo issued credits (`credits`, from the marker file)."""
    state = Readiness.expecting(credits)
    while time.monotonic() - started < timeout:
        exited = live.exited()
        if exited:
            console.print(readiness_table(state))
            console.print(f"[red]not ready[/red]: {exited[0].name} stopped (status {exited[0].process.returncode}); "
                          f"see {exited[0].log}")
            return 1
        check_once(state, time.monotonic() - started, layout.api_url, contracts, nodes.institution, login, replay_head,
                   credits)
        if state.ready:
            console.print(readiness_table(state))
            say(f"ready: the platform was usable {max(state.passed.values()):.1f} s after start; stopping (--check)")
            return 0
        time.sleep(1)
    console.print(readiness_table(state))
    console.print(f"[red]not ready after {timeout:.0f} s[/red]: " + "; ".join(state.missing()))
    return 1


if __name__ == "__main__":
    sys.exit(main())
