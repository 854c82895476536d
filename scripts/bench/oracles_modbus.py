"""One Modbus poll cycle over the Xihuamen compound's 150 metering points behind its 6 collectors.

The collectors are the driver's own CollectorServer (pymodbus TCP servers on loopback, one unit id
per meter), run in a child process, as they are separate devices; the oracle's side is the driver's
CollectorPoller per collector, gathered by poll_collectors, in this process. Each meter shows a
signed reading; every cycle reads all 150 blocks of 72 registers and decodes them.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import statistics
import time
from collections.abc import Callable

Advance = Callable[[int], object]


def _plan(seed: str = "bench") -> list[tuple[str, list[tuple[int, bytes]]]]:
    from oracles.simulation import xihuamen
    from oracles.simulation.fleet import identity_for

    now = int(time.time())
    plan: dict[str, list[tuple[int, bytes]]] = {}
    for device in xihuamen().metering_points:
        signed = identity_for(seed, device).sign(1, now, 1_000)
        plan.setdefault(device.collector, []).append((device.unit_id, signed.to_bytes()))
    return sorted(plan.items())


def _serve(plan: list[tuple[str, list[tuple[int, bytes]]]], out, stop) -> None:
    """Child process: start the collectors, report their ports, serve until `stop`."""
    from ledger.signing import SignedReading
    from oracles.drivers.modbus import CollectorServer

    async def main() -> None:
        servers = []
        for name, units in plan:
            server = CollectorServer(name, [u for u, _ in units])
            for unit, frame in units:
                server.show(unit, SignedReading.from_bytes(frame))
            await server.start()
            servers.append(server)
        out.put([(s.name, s.port, s.unit_ids) for s in servers])
        while not stop.is_set():
            await asyncio.sleep(0.1)
        for s in servers:
            await s.stop()

    asyncio.run(main())


def measure_modbus(cycles: int, advance: Advance | None = None) -> dict[str, object]:
    from oracles.drivers.modbus import CollectorPoller, poll_collectors

    plan = _plan()
    points = sum(len(units) for _, units in plan)
    ctx = mp.get_context("spawn")
    out, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_serve, args=(plan, out, stop), daemon=True)
    server.start()
    try:
        collectors = out.get(timeout=60)
        loop = asyncio.new_event_loop()

        async def make_pollers() -> list[CollectorPoller]:  # pymodbus clients need a running loop
            return [CollectorPoller(name, "127.0.0.1", port, units, timeout=1.0) for name, port, units in collectors]

        pollers = loop.run_until_complete(make_pollers())
        try:
            first = loop.run_until_complete(poll_collectors(pollers))  # connects; readings all new
            if first.errors or len(first.items) != points:
                raise RuntimeError(f"first Modbus cycle: {len(first.items)} readings of {points}, "
                                   f"errors: {[str(e) for e in first.errors[:3]]}")
            seconds, errors = [], 0
            for _ in range(cycles):
                cycle = loop.run_until_complete(poll_collectors(pollers))
                errors += len(cycle.errors)
                if len(cycle.items) + cycle.unchanged != points:
                    raise RuntimeError(f"a Modbus cycle read {len(cycle.items) + cycle.unchanged} of {points} points")
                seconds.append(cycle.seconds)
                if advance is not None:
                    advance(1)
        finally:
            for p in pollers:
                loop.run_until_complete(p.close())
            loop.close()
    finally:
        stop.set()
        server.join(10)
        if server.is_alive():
            server.terminate()
    ordered = sorted(seconds)
    return {
        "points": points,
        "collectors": len(collectors),
        "cycles": cycles,
        "first_cycle_seconds_with_connect": first.seconds,
        "median_seconds": statistics.median(seconds),
        "p95_seconds": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "max_seconds": ordered[-1],
        "cycle_seconds": seconds,
        "poll_errors": errors,
    }
