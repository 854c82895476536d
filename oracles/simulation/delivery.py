"""Deliver a simulation's readings to an oracle over a real protocol, step by step.

Each step is one grid slot: every device takes its reading, the protocol carries them, the oracle
ingests what arrives. Modbus runs real pymodbus servers (one per collector) on loopback and polls
them; MQTT publishes to a real broker and reads back through the oracle's persistent session;
"direct" hands the signed readings straight over (no transport, for speed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum

from oracles.drivers.modbus import CollectorPoller, CollectorServer, poll_collectors
from oracles.drivers.mqtt import (
    DEFAULT_SESSION_EXPIRY,
    BrokerAddress,
    MqttDriverError,
    ReadingPublisher,
    ReadingSubscriber,
)
from oracles.node import IngestReport, OracleNode
from oracles.simulation.compound import Compound
from oracles.simulation.fleet import TimedReading

Step = list[TimedReading]
OnStep = Callable[[int], None]  # called with the number of readings a step carried


class Protocol(str, Enum):
    DIRECT = "direct"
    MODBUS = "modbus"
    MQTT = "mqtt"


@dataclass
class DeliveryStats:
    protocol: Protocol
    steps: int = 0
    sent: int = 0
    report: IngestReport = field(default_factory=IngestReport)
    deferred: int = 0  # readings the oracle keeps to check later (the registry was unreachable)
    errors: list[str] = field(default_factory=list)  # transport trouble, e.g. Modbus poll errors
    cycle_seconds: list[float] = field(default_factory=list)  # Modbus: one entry per poll cycle

    def add(self, report: IngestReport) -> None:
        self.report.accepted += report.accepted
        self.report.rejected += report.rejected
        self.deferred += _deferred(report)


def deliver_direct(steps: Iterable[Step], node: OracleNode, on_step: OnStep | None = None) -> DeliveryStats:
    stats = DeliveryStats(Protocol.DIRECT)
    for step in steps:
        stats.add(node.ingest((f"sim:{r.identity.device.name}", r.signed) for r in step))
        _count(stats, step, on_step)
    return stats


def deliver_modbus(steps: Iterable[Step], node: OracleNode, compound: Compound, on_step: OnStep | None = None,
                   host: str = "127.0.0.1") -> DeliveryStats:
    return asyncio.run(_deliver_modbus(steps, node, compound, on_step, host))


async def _deliver_modbus(steps: Iterable[Step], node: OracleNode, compound: Compound, on_step: OnStep | None,
                          host: str) -> DeliveryStats:
    stats = DeliveryStats(Protocol.MODBUS)
    servers = {name: CollectorServer(name, [d.unit_id for d in devices], host=host)
               for name, devices in compound.collectors.items()}
    pollers: list[CollectorPoller] = []
    try:
        for server in servers.values():
            await server.start()
        pollers = [CollectorPoller(name, host, s.port, s.unit_ids) for name, s in servers.items()]
        for step in steps:
            for r in step:
                servers[r.collector].show(r.identity.device.unit_id, r.signed)
            cycle = await poll_collectors(pollers)
            stats.cycle_seconds.append(cycle.seconds)
            stats.errors += [str(e) for e in cycle.errors]
            stats.add(node.ingest(cycle.items))
            _count(stats, step, on_step)
    finally:
        for poller in pollers:
            await poller.close()
        for server in servers.values():
            await server.stop()
    return stats


def deliver_mqtt(steps: Iterable[Step], node: OracleNode, institution: int, broker: BrokerAddress,
                 on_step: OnStep | None = None, client_id: str | None = None, wait: float = 10.0,
                 session_expiry: int = DEFAULT_SESSION_EXPIRY) -> DeliveryStats:
    """Publish each step, then ingest from the oracle's subscription until the step has arrived."""
    stats = DeliveryStats(Protocol.MQTT)
    client_id = client_id or f"zcl-oracle-{institution}"
    subscriber = ReadingSubscriber(institution, broker, client_id=client_id, session_expiry=session_expiry)
    publisher = ReadingPublisher(institution, broker, client_id=f"{client_id}-simulator", session_expiry=session_expiry)
    subscriber.connect(wait)
    try:
        publisher.connect(wait)
        try:
            for step in steps:
                for r in step:
                    publisher.publish(r.collector, r.signed)
                publisher.flush(wait)
                arrived = 0
                while arrived < len(step):
                    report = subscriber.ingest_into(node, max_items=len(step) - arrived, timeout=wait)
                    received = report.accepted + len(report.rejected) + _deferred(report)
                    if not received:
                        raise MqttDriverError(f"the broker delivered {arrived} of {len(step)} frames within {wait} s")
                    arrived += received
                    stats.add(report)
                _count(stats, step, on_step)
        finally:
            publisher.close()
    finally:
        subscriber.close()
    return stats


def _deferred(report: IngestReport) -> int:
    return getattr(report, "deferred", 0)  # OracleNode defers readings it cannot check yet (issue 4, part 3)


def _count(stats: DeliveryStats, step: Step, on_step: OnStep | None) -> None:
    stats.steps += 1
    stats.sent += len(step)
    if on_step is not None:
        on_step(len(step))
