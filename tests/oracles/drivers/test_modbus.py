"""Modbus TCP against real pymodbus servers on loopback: the register map, poll cycles, bad frames."""

from __future__ import annotations

import asyncio
import os
import random
import struct
import threading

import pytest

from ledger.encoding import Quantity, Reading, Unit
from ledger.signing import generate_device_key, sign_reading
from oracles.drivers.modbus import (
    BLOCK_REGISTERS,
    MAP_ID,
    CollectorAddress,
    CollectorPoller,
    CollectorServer,
    ModbusSource,
    RegisterMapError,
    decode_registers,
    encode_registers,
    poll_collectors,
    scada_values,
)
from oracles.rejects import ReadingRejected, RejectReason
from tests.oracles.conftest import make_node
from tests.oracles.drivers.conftest import SIM_START, register_identities

KEY = generate_device_key(bytes(range(32)))


def _signed(value: int = 1_234_567, scale: int = -3, sequence: int = 7, unit: Unit = Unit.KWH):
    reading = Reading(bytes.fromhex("ab" * 32), sequence, 1_767_225_600, Quantity.ACTIVE_ENERGY_IMPORT, unit, scale, value)
    return sign_reading(reading, KEY)


def test_registers_carry_exactly_the_bytes_the_meter_signed() -> None:
    for signed in (_signed(), _signed(value=-5, scale=-3), _signed(value=2**100, scale=2), _signed(sequence=2**64 - 1)):
        registers = encode_registers(signed)
        assert len(registers) == BLOCK_REGISTERS and all(0 <= r < 2**16 for r in registers)
        assert decode_registers(registers) == signed


def test_fields_sit_at_the_documented_addresses() -> None:
    signed = _signed()
    r = encode_registers(signed)
    raw = b"".join(x.to_bytes(2, "big") for x in r)
    assert r[0] == MAP_ID and r[1] == 1
    assert raw[4:36] == signed.payload[1:33]  # device id, registers 2–17
    assert int.from_bytes(raw[36:44], "big") == 7  # sequence, registers 18–21
    assert int.from_bytes(raw[44:52], "big") == 1_767_225_600  # timestamp, 22–25
    assert r[26] == (Quantity.ACTIVE_ENERGY_IMPORT << 8 | Unit.KWH) and r[27] == 0xFFFD  # scale −3
    assert int.from_bytes(raw[56:72], "big", signed=True) == 1_234_567  # value, 28–35
    assert raw[80:144] == signed.signature  # the signature registers, 40–71


def test_scada_registers_show_the_value_as_float32_and_scaled_uint32() -> None:
    as_float, scaled = scada_values(encode_registers(_signed(value=1_234_567)))
    assert as_float == pytest.approx(1234.567, rel=1e-6)
    assert scaled == 123_457  # 0.01 kWh


def test_a_meter_that_has_not_read_yet_shows_nothing() -> None:
    assert decode_registers([MAP_ID, 1] + [0] * (BLOCK_REGISTERS - 2)) is None


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r[:40], "expected 72 registers, got 40"),
    (lambda r: [0x1234, *r[1:]], "not the map id"),
    (lambda r: [r[0], 2, *r[2:]], "map version 2 is not supported"),
    (lambda r: r[:27] + [0x00FD] + r[28:], "not a sign-extended int8"),
])
def test_registers_that_are_not_a_reading_are_refused_with_the_reason(change, message) -> None:
    with pytest.raises(RegisterMapError, match=message):
        decode_registers(change(encode_registers(_signed())))


def _servers_for(fleet, points_only: bool = False) -> dict[str, CollectorServer]:
    return {name: CollectorServer(name, [d.unit_id for d in devices if d.cumulative or not points_only])
            for name, devices in fleet.compound.collectors.items()}


def test_one_poll_cycle_reads_all_150_points_behind_the_6_collectors(fleet) -> None:
    series = fleet.series(SIM_START + 900, start=SIM_START)
    step = next(fleet.readings(series))

    async def run() -> tuple[float, float, set, set]:
        servers = _servers_for(fleet)
        for s in servers.values():
            await s.start()
        for r in step:
            servers[r.collector].show(r.identity.device.unit_id, r.signed)
        points = {name: [d.unit_id for d in devices if d.cumulative] for name, devices in fleet.compound.collectors.items()}
        point_pollers = [CollectorPoller(n, "127.0.0.1", s.port, points[n]) for n, s in servers.items()]
        all_pollers = [CollectorPoller(n, "127.0.0.1", s.port, s.unit_ids) for n, s in servers.items()]
        await poll_collectors(point_pollers)  # connect once, as a running oracle is
        for p in point_pollers:
            p._last.clear()
        cycle = await poll_collectors(point_pollers)
        everything = await poll_collectors(all_pollers)
        for p in point_pollers + all_pollers:
            await p.close()
        for s in servers.values():
            await s.stop()
        assert not cycle.errors and not everything.errors
        return cycle.seconds, everything.seconds, {i for _, i in cycle.items}, {i for _, i in everything.items}

    points_seconds, all_seconds, points, everything = asyncio.run(run())
    print(f"\nModbus poll cycle: 150 metering points in {points_seconds * 1000:.1f} ms; "
          f"with the 20 lighting controllers, 170 devices in {all_seconds * 1000:.1f} ms")
    assert len(points) == 150 and everything == {r.signed for r in step}


def test_a_reading_already_polled_is_not_yielded_again(fleet) -> None:
    steps = list(fleet.readings(fleet.series(SIM_START + 1800, start=SIM_START)))
    device = steps[0][0].identity.device

    async def run():
        server = CollectorServer("c", [device.unit_id])
        await server.start()
        poller = CollectorPoller("c", "127.0.0.1", server.port, [device.unit_id])
        before = await poller.poll()
        server.show(device.unit_id, steps[0][0].signed)
        first, again = await poller.poll(), await poller.poll()
        server.show(device.unit_id, steps[1][0].signed)
        second = await poller.poll()
        await poller.close()
        await server.stop()
        return before, first, again, second

    before, first, again, second = asyncio.run(run())
    assert (len(before.items), before.unchanged) == (0, 1)
    assert [i for _, i in first.items] == [steps[0][0].signed]
    assert (len(again.items), again.unchanged) == (0, 1)
    assert [i for _, i in second.items] == [steps[1][0].signed]


def _fewer_registers(frame: bytes) -> bytes:
    """A well-formed response carrying 10 registers instead of 72."""
    pdu = frame[7:8] + bytes([20]) + frame[9:29]  # function code, byte count 20, ten registers
    return frame[:4] + struct.pack(">H", 1 + len(pdu)) + frame[6:7] + pdu  # the MBAP length counts the unit id


FRAME_FAULTS = {
    "truncated": lambda frame: frame[: len(frame) // 2],
    "garbage": lambda frame: os.urandom(len(frame)),
    "wrong length header": lambda frame: frame[:4] + struct.pack(">H", 400) + frame[6:],
    "empty": lambda frame: b"",
}


@pytest.mark.parametrize("fault", FRAME_FAULTS, ids=list(FRAME_FAULTS))
def test_bad_response_frames_become_poll_errors_never_a_crash(fault: str) -> None:
    async def run():
        server = CollectorServer("bad", [1, 2], frame_fault=FRAME_FAULTS[fault])
        await server.start()
        server.show(1, _signed())
        poller = CollectorPoller("bad", "127.0.0.1", server.port, [1, 2], timeout=0.3)
        cycle = await poller.poll()
        server.frame_fault = None  # the collector recovers: the same poller reads it again
        recovered = await poller.poll()
        await poller.close()
        await server.stop()
        return cycle, recovered

    cycle, recovered = asyncio.run(run())
    assert not cycle.items and [e.unit_id for e in cycle.errors] == [1, 2]
    assert all("no valid response" in e.detail for e in cycle.errors), [str(e) for e in cycle.errors]
    assert [i for _, i in recovered.items] == [_signed()] and not recovered.errors


def test_a_well_formed_frame_with_the_wrong_registers_is_a_rejected_reading() -> None:
    async def run():
        server = CollectorServer("short", [1], frame_fault=_fewer_registers)
        await server.start()
        server.show(1, _signed())
        poller = CollectorPoller("short", "127.0.0.1", server.port, [1], timeout=0.3)
        cycle = await poller.poll()
        await poller.close()
        await server.stop()
        return cycle

    cycle = asyncio.run(run())
    assert not cycle.errors and len(cycle.items) == 1
    source, item = cycle.items[0]
    assert isinstance(item, ReadingRejected) and item.reason == RejectReason.MALFORMED
    assert "expected 72 registers, got 10" in item.detail and source.endswith("/short/unit-1")


def test_an_absent_unit_answers_gateway_no_response_and_a_dead_collector_is_named() -> None:
    async def run():
        server = CollectorServer("c", [1])
        await server.start()
        server.show(1, _signed())
        poller = CollectorPoller("c", "127.0.0.1", server.port, [1, 9])
        cycle = await poller.poll()
        await poller.close()
        port = server.port
        await server.stop()
        dead = CollectorPoller("c", "127.0.0.1", port, [1, 2], timeout=0.3)
        down = await dead.poll()
        await dead.close()
        return cycle, down, port

    cycle, down, port = asyncio.run(run())
    assert len(cycle.items) == 1 and [str(e) for e in cycle.errors] == ["collector c unit 9: exception response, code 11"]
    assert [str(e) for e in down.errors] == [f"collector c unit {u}: cannot connect to 127.0.0.1:{port}" for u in (1, 2)]


def test_polled_readings_are_accepted_and_anchored_by_the_oracle(contracts, tree, tmp_path, fleet) -> None:
    collector = "c6"
    identities = [i for i in fleet.identities.values() if i.device.collector == collector]
    register_identities(contracts, tree.building, identities)
    steps = [[r for r in step if r.collector == collector]
             for step in fleet.readings(fleet.series(SIM_START + 3600, start=SIM_START))]
    node = make_node(contracts, tree.institution, tmp_path / "oracle", batch_size=20)

    async def run():
        server = CollectorServer(collector, [i.device.unit_id for i in identities])
        await server.start()
        poller = CollectorPoller(collector, "127.0.0.1", server.port, server.unit_ids)
        reports = []
        for step in steps:
            for r in step:
                server.show(r.identity.device.unit_id, r.signed)
            reports.append(node.ingest((await poller.poll()).items))
        await poller.close()
        await server.stop()
        return reports

    reports = asyncio.run(run())
    assert [r.accepted for r in reports] == [11] * 4 and not any(r.rejected for r in reports)
    anchors = node.flush()
    assert sum(a.reading_count for a in anchors) == 44 and all(contracts.attestations.is_anchored(a.root) for a in anchors)
    node.spool.close()


def test_a_tampered_value_register_fails_the_signature_check(contracts, tree, tmp_path, fleet) -> None:
    identity = fleet.identities["E-A-office_plug-01"]
    register_identities(contracts, tree.building, [identity])
    reading = next(fleet.readings(fleet.series(SIM_START + 900, start=SIM_START)))
    signed = next(r.signed for r in reading if r.identity is identity)
    registers = encode_registers(signed)
    registers[35] ^= 0x0001  # one Wh more in the value registers, signature registers unchanged
    node = make_node(contracts, tree.institution, tmp_path / "oracle")

    async def run():
        server = CollectorServer("c1", [identity.device.unit_id])
        await server.start()
        server.set_registers(identity.device.unit_id, registers)
        poller = CollectorPoller("c1", "127.0.0.1", server.port, [identity.device.unit_id])
        cycle = await poller.poll()
        await poller.close()
        await server.stop()
        return cycle

    report = node.ingest(asyncio.run(run()).items)
    assert report.accepted == 0 and [r.reason for r in report.rejected] == [RejectReason.BAD_SIGNATURE]
    node.spool.close()


def test_random_response_frames_never_escape_a_poll_as_exceptions() -> None:
    rng = random.Random(4)

    def fuzz(frame: bytes) -> bytes:
        pdu = rng.choice([b"\x03" + bytes([rng.randrange(256)]), b"\x83", b""]) + rng.randbytes(rng.randrange(0, 160))
        header = frame[:4] + struct.pack(">H", 1 + len(pdu)) + frame[6:7]
        return rng.choice([header + pdu, rng.randbytes(rng.randrange(1, 200)), frame[: rng.randrange(len(frame))]])

    async def run():
        server = CollectorServer("fuzz", [1], frame_fault=fuzz)
        await server.start()
        server.show(1, _signed())
        poller = CollectorPoller("fuzz", "127.0.0.1", server.port, [1], timeout=0.05)
        cycles = [await poller.poll() for _ in range(40)]
        await poller.close()
        await server.stop()
        return cycles

    cycles = asyncio.run(run())  # no exception escaped
    assert all(len(c.items) + len(c.errors) + c.unchanged == 1 for c in cycles)  # one outcome per unit and cycle
    assert sum(len(c.errors) for c in cycles) > 30


def test_the_modbus_source_polls_on_its_own_thread_until_stopped(fleet) -> None:
    """As a running oracle uses it: an iterable of (label, reading), one poll cycle per period."""
    steps = list(fleet.readings(fleet.series(SIM_START + 1800, start=SIM_START)))
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    servers = _servers_for(fleet)
    for s in servers.values():
        asyncio.run_coroutine_threadsafe(s.start(), loop).result(5)
    for r in steps[0]:
        servers[r.collector].show(r.identity.device.unit_id, r.signed)
    source = ModbusSource([CollectorAddress(n, "127.0.0.1", s.port, s.unit_ids) for n, s in servers.items()], period=0.05)
    seen = []
    for _, item in source:
        seen.append(item)
        if len(seen) == 170:  # the first cycle is in: the meters take their next reading
            for r in steps[1]:
                servers[r.collector].show(r.identity.device.unit_id, r.signed)
        if len(seen) == 340:
            source.stop.set()
    for s in servers.values():
        asyncio.run_coroutine_threadsafe(s.stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    assert len(seen) == 340 and set(seen) == {r.signed for step in steps for r in step}
    assert not source.errors and source.last_cycle is not None
