"""`zcl oracle run` (the long-running oracle) and `zcl oracle profile(s)` (device ratings it judges by)."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO

import typer
from rich.logging import RichHandler
from rich.table import Table

from ledger.chain.clients import LedgerContracts
from ledger.chain.deployment import Deployment
from oracles.alarm_publisher import AlarmPublisher
from oracles.alarm_rules import AlarmPolicy
from oracles.approval_log import ApprovalLog
from oracles.approver import Approver
from oracles.drivers.modbus import CollectorAddress, ModbusSource
from oracles.profiles import DeviceProfile, DeviceProfiles
from oracles.process import connect_for_oracle, slow_steps_for_tests, stop_on_signals
from oracles.runner import Backoff, OracleRunner, RunPolicy
from oracles.drivers.mqtt import BrokerAddress, MqttDriverError, ReadingSubscriber
from oracles.sources import JsonlTail, ReadingSource
from oracles.spool import Spool
from zcl import context as ctx
from zcl.context import console, errors, reports_errors
from zcl.oracle_node import open_node, oracle_folder, spool_path

try:
    import fcntl
except ImportError:  # not POSIX: no single-instance guard
    fcntl = None  # type: ignore[assignment]


@reports_errors
def oracle_run(
    institution: int = typer.Option(..., help="Institution node this oracle serves."),
    files: list[Path] = typer.Option([], "--file", exists=True, dir_okay=False,
                                     help="JSON-lines file of signed readings to take in (repeatable)."),
    follow: bool = typer.Option(True, help="Keep reading the files as they grow (like tail -f)."),
    until_idle: bool = typer.Option(False, help="Exit once the files are read and every reading is anchored."),
    batch_size: int = typer.Option(1000, min=1, max=100_000, help="Anchor when this many readings wait…"),
    batch_window: float = typer.Option(60.0, min=0.0, help="…or when the oldest has waited this many seconds."),
    confirmations: int = typer.Option(None, min=1, help="Blocks deep before a batch counts (default ZCL_CONFIRMATIONS)."),
    backoff_max: float = typer.Option(300.0, min=0.01, help="Longest wait between retries while the chain is down."),
    subscribe: str = typer.Option(None, help="HOST:PORT of an MQTT broker to take signed frames from (oracles/drivers/mqtt.py)."),
    modbus: list[str] = typer.Option([], "--modbus", metavar="COLLECTOR",
                                     help="A Modbus TCP collector to poll (repeatable): name=c1,host=10.0.0.5,port=502,"
                                          "units=1-25,30 or HOST:PORT:UNITS (oracles/drivers/modbus.py)."),
    poll_period: float = typer.Option(60.0, min=0.05, max=86400, help="Seconds between Modbus poll cycles."),
    poll_timeout: float = typer.Option(1.0, min=0.01, max=60, help="Seconds to wait for one Modbus unit's answer."),
    approve: bool = typer.Option(False, "--approve",
                                 help="Co-sign (EIP-712) batches of this institution that wait for its k-of-n quorum, "
                                      "after re-deriving each from its evidence (oracles/approver.py)."),
    mqtt_broker: str = typer.Option(None, envvar="ZCL_MQTT_BROKER", help="HOST:PORT to publish alarms on (none: not published)."),
    profiles_file: Path = typer.Option(None, "--profiles", exists=True, dir_okay=False, help="JSON list of device profiles to load first."),
    offline_intervals: int = typer.Option(3, min=1, help="A device is offline after this many intervals without a reading."),
    utc_offset: int = typer.Option(8, min=-12, max=14, help="Local time of the site, hours from UTC (quiet hours for leaks)."),
    verify_workers: int = typer.Option(None, min=0, max=64,
                                       help="Processes verifying signatures (default: one per core when there are "
                                            "several, else 0 = in the oracle's own process)."),
) -> None:
    """Run the oracle until stopped (SIGTERM / Ctrl-C finish the current step first).

    Readings spool as they arrive (from --file, --subscribe and --modbus sources together); batches are
    anchored by size or time window, retried with backoff while the chain or evidence store is down,
    confirmed CONFIRMATIONS deep and re-anchored after a reorg. With --approve, batches waiting for the
    institution's k-of-n approvals are co-signed between anchors (refusals: `zcl oracle status`).
    """
    logging.basicConfig(level=logging.INFO, format="%(message)s", handlers=[RichHandler(console=errors, show_path=False)])
    collectors = _collectors(modbus)
    settings = ctx.settings()
    if approve and not (settings.private_key or settings.keystore):
        raise ctx.fail("--approve signs approvals with this oracle's key: set ZCL_PRIVATE_KEY or ZCL_KEYSTORE")
    lock = _only_instance(oracle_folder(institution), institution)
    policy = RunPolicy(batch_size=batch_size, batch_window_seconds=batch_window,
                       confirmations=confirmations or settings.confirmations, backoff_max_seconds=backoff_max,
                       exit_when_idle=until_idle)
    stop = threading.Event()
    chain = connect_for_oracle(settings, stop, Backoff(policy.backoff_initial_seconds, backoff_max, time.monotonic))
    if chain is None:
        return
    contracts = LedgerContracts.attach(chain, Deployment.load(settings.deployment_path(chain.chain_id)))
    workers = verify_workers if verify_workers is not None else _default_verify_workers()
    node = open_node(institution, batch_size, contracts, AlarmPolicy(utc_offset_hours=utc_offset,
                                                                      offline_intervals=offline_intervals), workers)
    if profiles_file is not None:
        console.print(f"loaded {node.profiles.load_file(profiles_file)} device profile(s) from {profiles_file}")
    slow_steps_for_tests(node)
    checkpoints = oracle_folder(institution) / "sources"
    sources: list[ReadingSource] = [
        JsonlTail(f, follow=follow and not until_idle, checkpoint=checkpoints / f"{f.name}.json", stop=stop) for f in files]
    if subscribe:
        subscriber = ReadingSubscriber(institution, BrokerAddress.parse(subscribe), stop=stop)
        try:
            subscriber.connect(timeout=10)
        except MqttDriverError as exc:
            node.close()
            raise ctx.fail(str(exc)) from None
        sources.append(subscriber)
    if collectors:
        sources.append(ModbusSource(collectors, period=poll_period, timeout=poll_timeout, stop=stop))
        console.print(f"polling {len(collectors)} Modbus collector(s) every {poll_period:g} s:")
        for collector in collectors:
            console.print(f"  {collector}", soft_wrap=True)
    approvals = ApprovalLog(oracle_folder(institution) / "approvals.sqlite") if approve else None
    approver = None if approvals is None else Approver(contracts.attestations, node.evidence, chain.account,
                                                       institution, approvals, policy.confirmations)
    if approver is not None:
        console.print(f"co-signing batches of institution {institution} that wait for approvals, as {chain.account.address}")
    publisher = _publisher(mqtt_broker, institution)
    runner = OracleRunner(node, sources, policy, publisher, stop=stop, approver=approver)
    restore = stop_on_signals(runner)
    try:
        runner.run()
    finally:
        restore()
        for source in sources:
            if isinstance(source, ReadingSubscriber):
                source.close()
        node.close()
        if approvals is not None:
            approvals.close()
        lock.close()
    console.print("oracle stopped; the spool is consistent (`zcl oracle status` shows what waits)")


def _collectors(specs: list[str]) -> list[CollectorAddress]:
    """--modbus values, checked before anything starts: a clear message and exit 2 for a bad one."""
    collectors: list[CollectorAddress] = []
    for spec in specs:
        try:
            collectors.append(CollectorAddress.parse(spec))
        except ValueError as exc:
            raise ctx.fail(f"--modbus {spec!r}: {exc}") from None
    names = [c.name for c in collectors]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ctx.fail(f"--modbus: collector name(s) given twice: {', '.join(repeated)} (name=… tells them apart)")
    return collectors


def _default_verify_workers() -> int:
    """One signature worker per core on a machine with several: verifying is most of a reading's cost."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if cores > 1 else 0


def _only_instance(folder: Path, institution: int) -> IO[str]:
    """Hold an exclusive lock on the institution's oracle folder for as long as this process lives.

    Two oracles on one spool would prepare competing batches; the kernel drops the lock when the
    process dies, however it dies, so a kill -9 never leaves it stale.
    """
    folder.mkdir(parents=True, exist_ok=True)
    handle = (folder / "run.lock").open("a+")
    if fcntl is not None:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ctx.fail(f"another oracle is already running for institution {institution} "
                           f"(it holds {folder / 'run.lock'})") from None
    return handle


def _publisher(broker: str | None, institution: int) -> AlarmPublisher | None:
    if not broker:
        return None
    host, _, port = broker.rpartition(":")
    if not host or not port.isdigit():
        raise ctx.fail(f"--mqtt-broker must be HOST:PORT, got {broker!r}")
    return AlarmPublisher(host, int(port), institution)


@reports_errors
def oracle_profile(
    device: str = typer.Argument(..., help="Device id (0x + 64 hex digits)."),
    institution: int = typer.Option(..., help="Institution whose oracle judges this device."),
    rating: str = typer.Option(None, help="Most the device counts per hour (kW, m³/h), or a circuit's rated A."),
    counter_max: str = typer.Option(None, help="Largest value its register holds before wrapping to zero."),
    interval: int = typer.Option(None, min=1, help="Seconds between its readings (offline detection)."),
    label: str = typer.Option(None, help="A name people recognise."),
) -> None:
    """Show a device's profile, or change the given fields of it."""
    device_id = ctx.parse_bytes32(device, "device id")
    spool = Spool(spool_path(institution))
    try:
        profiles = DeviceProfiles(spool.db)
        current = profiles.get(device_id) or DeviceProfile(device_id)
        if any(v is not None for v in (rating, counter_max, interval, label)):
            current = DeviceProfile(device_id, _decimal(rating, "rating", current.rating),
                                    _decimal(counter_max, "counter-max", current.counter_max),
                                    interval if interval is not None else current.interval_seconds,
                                    label if label is not None else current.label)
            profiles.set(current)
    finally:
        spool.close()
    console.print_json(json.dumps(current.to_json()))


@reports_errors
def oracle_profiles(
    institution: int = typer.Option(..., help="Institution whose oracle's profiles to list."),
    load: Path = typer.Option(None, exists=True, dir_okay=False, help="First set every profile in this JSON list."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List device profiles (ratings, register sizes, intervals), optionally loading a file first."""
    spool = Spool(spool_path(institution, must_exist=load is None))
    try:
        profiles = DeviceProfiles(spool.db)
        if load is not None:
            profiles.load_file(load)
        listed = profiles.all()
    finally:
        spool.close()
    if as_json:
        print(json.dumps([p.to_json() for p in listed], indent=2))
        return
    table = Table(title=f"Device profiles, institution {institution}")
    for column in ("device", "label", "rating /h", "counter max", "interval s"):
        table.add_column(column)
    for p in listed:
        table.add_row("0x" + p.device_id.hex()[:16] + "…", p.label, str(p.rating or "-"), str(p.counter_max or "-"),
                      str(p.interval_seconds or "-"))
    console.print(table)


def _decimal(text: str | None, name: str, current: Decimal | None) -> Decimal | None:
    if text is None:
        return current
    if text in ("", "none"):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ctx.fail(f"--{name} must be a decimal number, got {text!r}") from None
