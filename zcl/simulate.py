"""`zcl simulate …`: simulated sites whose meters sign readings and speak real protocols."""

from __future__ import annotations

import json
import logging
import time
from datetime import date
from decimal import Decimal, InvalidOperation

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from oracles.drivers.mqtt import BrokerAddress, MqttDriverError
from oracles.node import OracleNode
from oracles.profiles import profile_from_json
from oracles.simulation import FAULT_KINDS, CompoundFleet, MeterState, parse_fault, xihuamen
from oracles.simulation.delivery import DeliveryStats, Protocol, deliver_direct, deliver_modbus, deliver_mqtt
from oracles.simulation.profiles import LED_LIGHTING_SHARE, Retrofit, led_lighting_retrofit
from zcl import context as ctx
from zcl.context import EXIT_FINDINGS, console, errors, reports_errors
from zcl.oracle import open_node, print_outcome

simulate_app = typer.Typer(help="Simulated sites: every meter signs its readings; they reach the oracle over a real protocol.",
                           no_args_is_help=True)


@simulate_app.command("xihuamen")
@reports_errors
def simulate_xihuamen(
    institution: int = typer.Option(..., help="Institution node the compound's devices belong to."),
    days: float = typer.Option(1.0, min=0.01, max=3660, help="Simulated days, ending now."),
    protocol: Protocol = typer.Option(Protocol.DIRECT, help="How readings reach the oracle."),
    faults: list[str] = typer.Option([], "--faults", "--fault",
                                     help="KIND:DEVICE@HOUR[+HOURS][,key=value], hours from the start; KIND is "
                                          f"{', '.join(FAULT_KINDS)}. Repeatable."),
    scene: int = typer.Option(None, help="Node to register new devices in (default: the institution)."),
    seed: str = typer.Option("xihuamen", help="Devices, keys and noise are derived from this seed."),
    interval: int = typer.Option(900, help="Seconds between readings (must divide an hour)."),
    broker: str = typer.Option(None, help="MQTT broker HOST:PORT (default ZCL_MQTT_BROKER, else 127.0.0.1:1883)."),
    mqtt_client_id: str = typer.Option(None, help="The oracle's MQTT session (default zcl-oracle-<institution>)."),
    batch_size: int = typer.Option(1000, min=1),
    json_output: bool = typer.Option(False, "--json", help="Print a JSON summary instead of tables."),
    led_retrofit: str = typer.Option(None, "--led-retrofit", metavar="DATE[:SHARE]",
                                     help="SIMULATED retrofit: from local midnight of DATE (YYYY-MM-DD) every lighting "
                                          f"load draws SHARE less (default {LED_LIGHTING_SHARE}, the seed's smart LED "
                                          "figure). Off by default; the savings exist only in the simulation."),
) -> None:
    """Run the seed's Xihuamen compound (150 metering points, 20 lighting controllers) for DAYS up to now.

    New devices are registered on chain with their public keys; known ones resume from the oracle's spool.

    Exit 1 when the oracle refused readings (faults are meant to cause some).
    """
    retrofits = [_led_retrofit(led_retrofit)] if led_retrofit else []
    fleet = CompoundFleet(xihuamen(seed.encode(), retrofits), seed, interval)
    if retrofits:
        errors.print(f"SIMULATED retrofit: lighting draws {retrofits[0].share * 100:g} % less from "
                     f"{retrofits[0].effective} (local time)", highlight=False)
    end = fleet.align(int(time.time()))
    since = fleet.align(end - round(days * 86400))
    injected = [parse_fault(f, since) for f in faults]  # bad input fails before anything is written on chain
    unknown = [f.device for f in injected if f.device not in fleet.identities]
    if unknown:
        raise ctx.fail(f"no device named {unknown[0]!r} in the compound (names look like E-A-office_plug-01, "
                       "W-C-canteen_water-01, L-A-lighting-01)")
    broker_address = BrokerAddress.parse(broker or ctx.settings().mqtt_broker or "127.0.0.1:1883")
    node = open_node(institution, batch_size)
    try:
        if protocol == Protocol.MQTT:
            broker_address.check_reachable()
        registered = _register(node, fleet, institution, scene)
        series = fleet.series(end, start=since, states=_states(node, fleet), faults=injected)
        total = sum(sum(1 for slot in s.slots if slot > since) for s in series.values())
        stats = _deliver(node, fleet, series, since, total, protocol, institution, broker_address, mqtt_client_id)
        anchors = node.flush()
    except MqttDriverError as exc:
        raise ctx.fail(str(exc)) from None
    finally:
        node.spool.close()
    if json_output:
        print(json.dumps(_summary(stats, registered, anchors)))
    else:
        _print_summary(stats, registered)
        print_outcome(node, stats.report, anchors)
    if stats.report.rejected:
        raise typer.Exit(EXIT_FINDINGS)


def _led_retrofit(value: str) -> Retrofit:
    """--led-retrofit DATE[:SHARE]; a one-line message and exit 2 for anything else."""
    day, _, share = value.partition(":")
    try:
        return led_lighting_retrofit(date.fromisoformat(day), Decimal(share) if share else LED_LIGHTING_SHARE)
    except (ValueError, InvalidOperation) as exc:
        raise ctx.fail(f"--led-retrofit must be DATE[:SHARE] with a YYYY-MM-DD date and 0 < SHARE < 1, "
                       f"got {value!r} ({exc})") from None


def _register(node: OracleNode, fleet: CompoundFleet, institution: int, scene: int | None) -> int:
    """Register new devices on chain; give the oracle every device's rating and interval (its profile)."""
    for entry in fleet.device_profiles():
        node.profiles.set(profile_from_json(entry))
    devices = node.contracts.devices
    known = set(devices.registered_devices(institution_id=institution))
    new = [i for i in fleet.identities.values() if i.device_id not in known]
    with _progress() as progress:
        task = progress.add_task("registering devices", total=len(new))
        for identity in new:
            d = identity.device
            devices.register_device(identity.device_id, scene or institution, int(d.kind), int(d.unit), identity.public_key)
            progress.advance(task)
    return len(new)


def _states(node: OracleNode, fleet: CompoundFleet) -> dict[str, MeterState]:
    """Where each device stopped in an earlier run, from the oracle's spool."""
    states = {}
    for name, identity in fleet.identities.items():
        last = node.spool.latest_record(identity.device_id)
        if last is not None:
            r = last.reading
            slot = round(r.timestamp / fleet.interval) * fleet.interval  # undo any clock drift
            states[name] = MeterState(r.sequence, slot, r.value)
    return states


def _deliver(node: OracleNode, fleet: CompoundFleet, series, since: int, total: int, protocol: Protocol,
             institution: int, broker: BrokerAddress, mqtt_client_id: str | None) -> DeliveryStats:
    steps = fleet.readings(series, since=since)
    with _progress() as progress:
        task = progress.add_task(f"readings over {protocol.value}", total=total)

        def advance(count: int) -> None:
            progress.advance(task, count)

        if protocol == Protocol.MODBUS:
            logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # poll errors are reported below
            return deliver_modbus(steps, node, fleet.compound, advance)
        if protocol == Protocol.MQTT:
            return deliver_mqtt(steps, node, institution, broker, advance, client_id=mqtt_client_id)
        return deliver_direct(steps, node, advance)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=errors, transient=True, disable=not ctx.is_tty())


def _summary(stats: DeliveryStats, registered: int, anchors: list) -> dict:
    cycles = stats.cycle_seconds
    return {
        "protocol": stats.protocol.value,
        "registered": registered,
        "steps": stats.steps,
        "sent": stats.sent,
        "accepted": stats.report.accepted,
        "rejected": stats.report.rejected_by_reason(),
        "deferred": stats.deferred,
        "transport_errors": len(stats.errors),
        "poll_cycle_seconds": {"mean": sum(cycles) / len(cycles), "max": max(cycles)} if cycles else None,
        "anchored_batches": [{"root": "0x" + a.root.hex(), "readings": a.reading_count, "evidence_cid": a.evidence_cid,
                              "transaction": a.transaction_hash} for a in anchors],
    }


def _print_summary(stats: DeliveryStats, registered: int) -> None:
    table = Table(title=f"Xihuamen compound over {stats.protocol.value}")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("devices registered now", str(registered))
    table.add_row("reading slots", str(stats.steps))
    table.add_row("readings sent", str(stats.sent))
    table.add_row("transport errors", str(len(stats.errors)))
    if stats.deferred:
        table.add_row("deferred (registry unreachable)", str(stats.deferred))
    if stats.cycle_seconds:
        cycles = stats.cycle_seconds
        table.add_row("Modbus poll cycle, mean / max", f"{sum(cycles) / len(cycles) * 1000:.0f} / {max(cycles) * 1000:.0f} ms")
    console.print(table)
    if not stats.steps:
        console.print("meters are up to date: nothing new since their last readings")
    for line in stats.errors[:10]:
        errors.print(f"transport: {line}", soft_wrap=True, markup=False)
