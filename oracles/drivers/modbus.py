"""Modbus TCP: a data collector serving its meters' registers, and the oracle's poller (pymodbus).

A collector (data concentrator) is one Modbus TCP server; each meter behind it answers on its own
unit id, as RS-485 meters behind a gateway do. Every meter exposes one block of holding registers
(function 03), big-endian, high word first. Fields sit on register boundaries, as in vendors' maps:

    address  registers  field
    0        1          map id 0x5A43 ("ZC")
    1        1          map version 1 (= reading encoding v1)
    2        16         device id, 32 bytes
    18       4          sequence, uint64
    22       4          timestamp, uint64 unix seconds (the meter's clock)
    26       1          quantity code (high byte), unit code (low byte)
    27       1          scale, int8 sign-extended to 16 bits (−3: the value is in thousandths)
    28       8          value, int128 two's complement: the signed mantissa
    36       2          value as IEEE-754 float32 in the unit (kWh, m³, A): for SCADA, lossy, unsigned
    38       2          value × 100 as uint32 (0.01 units, wraps at 2³²): for SCADA, unsigned
    40       32         Ed25519 signature, 64 bytes: the "signature registers"
    72                  end of block: one read of 72 registers fetches a whole reading

The poller rebuilds the 68-byte canonical payload from registers 1–35 (version byte, then the fields
in encoding order) and pairs it with the signature registers, so the oracle verifies exactly the
bytes the meter signed; the float and scaled registers are never trusted. A meter shows only its
latest reading: a reading replaced before it was polled is lost, visible as a sequence gap.

Transport trouble (no answer, truncated or garbage frames, exception responses, a collector down)
becomes a PollError value; registers that arrive but do not form a reading become a ReadingRejected.
Neither stops a cycle. `ModbusSource` wraps the pollers as a reading source for a running oracle
(oracles/sources.py; `zcl oracle run --modbus`, addresses parsed by `CollectorAddress.parse`): polling
has nothing to acknowledge, so it has no `spooled`; a unit that starts failing becomes one `malformed`
rejection, so the rejects log shows it.
"""

from __future__ import annotations

import asyncio
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.constants import ExcCodes
from pymodbus.exceptions import ModbusException
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from ledger.encoding import ENCODING_VERSION, SIGNATURE_LENGTH
from ledger.signing import SignedReading
from oracles.rejects import ReadingRejected, RejectReason

MAP_ID = 0x5A43
MAP_VERSION = ENCODING_VERSION
BLOCK_REGISTERS = 72
FLOAT_REGISTER = 36
SCALED_REGISTER = 38
SIGNATURE_REGISTER = 40

FrameFault = Callable[[bytes], bytes]


class RegisterMapError(ValueError):
    """Registers that arrived intact but do not hold a reading in this map."""


def encode_registers(signed: SignedReading) -> list[int]:
    """The meter side: the 72 holding registers that show `signed`."""
    p = signed.payload
    scale = (b"\xff" if p[51] >= 0x80 else b"\x00") + p[51:52]  # int8 sign-extended to a register
    canonical = p[1:49] + p[49:51] + scale + p[52:68]  # device id, seq, ts | quantity, unit | scale | value
    real = int.from_bytes(p[52:68], "big", signed=True) * 10.0 ** struct.unpack(">b", p[51:52])[0]
    try:
        tail = struct.pack(">fI", real, round(real * 100) % 2**32)
    except (OverflowError, struct.error):  # beyond float32: SCADA sees infinity, the signed value is intact
        tail = struct.pack(">fI", float("inf"), 0)
    tail += signed.signature
    return [MAP_ID, MAP_VERSION, *_words(canonical), *_words(tail)]


def decode_registers(registers: Sequence[int]) -> SignedReading | None:
    """The oracle side: the signed reading the registers show, None when the meter has none yet."""
    if len(registers) != BLOCK_REGISTERS:
        raise RegisterMapError(f"expected {BLOCK_REGISTERS} registers, got {len(registers)}")
    if registers[0] != MAP_ID:
        raise RegisterMapError(f"register 0 is 0x{registers[0]:04x}, not the map id 0x{MAP_ID:04x}")
    if registers[1] != MAP_VERSION:
        raise RegisterMapError(f"register map version {registers[1]} is not supported (expected {MAP_VERSION})")
    raw = b"".join(r.to_bytes(2, "big") for r in registers)
    canonical = raw[4:72]
    device_seq_ts, quantity_unit, scale, value = canonical[:48], canonical[48:50], canonical[50:52], canonical[52:]
    if scale[0] != (0xFF if scale[1] >= 0x80 else 0x00):
        raise RegisterMapError(f"scale register 0x{scale.hex()} is not a sign-extended int8")
    if int.from_bytes(device_seq_ts[32:40], "big") == 0 and device_seq_ts[:32] == bytes(32):
        return None  # a meter that has not taken a reading yet
    payload = bytes([ENCODING_VERSION]) + device_seq_ts + quantity_unit + scale[1:] + value
    signature = raw[2 * SIGNATURE_REGISTER:2 * SIGNATURE_REGISTER + SIGNATURE_LENGTH]
    return SignedReading(payload, signature)


def scada_values(registers: Sequence[int]) -> tuple[float, int]:
    """What a SCADA system reads: (float32 value, value × 100 as uint32). Unsigned and lossy."""
    raw = b"".join(r.to_bytes(2, "big") for r in registers[FLOAT_REGISTER:FLOAT_REGISTER + 4])
    return struct.unpack(">fI", raw)


class CollectorServer:
    """A data collector: a pymodbus TCP server with one unit id per meter, showing each meter's latest reading.

    `frame_fault`, when given, rewrites every response frame before it is sent (tests of bad frames).
    """

    def __init__(self, name: str, unit_ids: Iterable[int], host: str = "127.0.0.1", port: int = 0,
                 frame_fault: FrameFault | None = None) -> None:
        self.name = name
        self.host = host
        self._port = port
        self.unit_ids = tuple(unit_ids)
        self.frame_fault = frame_fault
        self._images: dict[int, list[int]] = {u: [MAP_ID, MAP_VERSION] + [0] * (BLOCK_REGISTERS - 2) for u in self.unit_ids}
        self.reads: dict[int, int] = dict.fromkeys(self.unit_ids, 0)  # polls answered per unit (a feeder paces by it)
        self._server: ModbusTcpServer | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            return self._port
        return self._server.transport.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def show(self, unit_id: int, signed: SignedReading) -> None:
        """The meter at `unit_id` took a new reading; polls from now on return it."""
        self._images[unit_id] = encode_registers(signed)

    def set_registers(self, unit_id: int, registers: list[int]) -> None:
        """Show arbitrary register content (tests of malformed register maps); padded or cut to the block."""
        self._images[unit_id] = (list(registers) + [0] * BLOCK_REGISTERS)[:BLOCK_REGISTERS]

    async def start(self) -> None:
        devices = [SimDevice(id=u, simdata=[SimData(0, count=BLOCK_REGISTERS, values=0, datatype=DataType.REGISTERS,
                                                    readonly=True)],
                             action=self._action(u)) for u in self.unit_ids]
        # id 0 answers for every unit id not configured, as a gateway does for an absent downstream meter
        devices.append(SimDevice(id=0, simdata=[SimData(0, count=BLOCK_REGISTERS, values=0, datatype=DataType.REGISTERS)],
                                 action=_no_such_meter))
        trace = None if self.frame_fault is None else self._trace
        self._server = ModbusTcpServer(devices, address=(self.host, self._port), trace_packet=trace)
        await self._server.serve_forever(background=True)

    async def stop(self) -> None:
        if self._server is not None:
            self._port = self.port
            await self._server.shutdown()
            self._server = None

    def _action(self, unit_id: int):
        async def copy_image(function_code, start_address, address, count, registers, values):
            registers[0:BLOCK_REGISTERS] = self._images[unit_id]  # one assignment: a poll never sees half an update
            self.reads[unit_id] += 1
            return None
        return copy_image

    def _trace(self, sending: bool, data: bytes) -> bytes:
        return self.frame_fault(data) if sending and self.frame_fault else data


async def _no_such_meter(function_code, start_address, address, count, registers, values) -> ExcCodes:
    return ExcCodes.GATEWAY_NO_RESPONSE


@dataclass(frozen=True)
class PollError:
    """A unit that could not be read this cycle, and why."""

    collector: str
    unit_id: int
    detail: str

    def __str__(self) -> str:
        return f"collector {self.collector} unit {self.unit_id}: {self.detail}"


@dataclass
class PollCycle:
    items: list[tuple[str, SignedReading | ReadingRejected]] = field(default_factory=list)
    errors: list[PollError] = field(default_factory=list)
    unchanged: int = 0  # units still showing the reading of the previous cycle (or none yet)
    seconds: float = 0.0

    def merge(self, other: "PollCycle") -> None:
        self.items += other.items
        self.errors += other.errors
        self.unchanged += other.unchanged


class CollectorPoller:
    """The oracle's side of one collector: reads every unit's block and yields what is new."""

    def __init__(self, name: str, host: str, port: int, unit_ids: Iterable[int], timeout: float = 1.0) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.unit_ids = tuple(unit_ids)
        self._client = AsyncModbusTcpClient(host, port=port, timeout=timeout, retries=0, reconnect_delay=0)
        self._last: dict[int, SignedReading] = {}

    async def close(self) -> None:
        self._client.close()

    async def poll(self) -> PollCycle:
        cycle = PollCycle()
        started = time.perf_counter()
        for unit in self.unit_ids:
            try:
                if not self._client.connected and not await self._client.connect():
                    cycle.errors += [PollError(self.name, u, f"cannot connect to {self.host}:{self.port}")
                                     for u in self.unit_ids[self.unit_ids.index(unit):]]
                    break
                response = await self._client.read_holding_registers(0, count=BLOCK_REGISTERS, device_id=unit)
            except (ModbusException, OSError, asyncio.TimeoutError) as exc:
                cycle.errors.append(PollError(self.name, unit, f"no valid response ({type(exc).__name__}: {exc})"))
                self._client.close()  # resynchronise framing on a fresh connection
                continue
            if response.isError():
                code = getattr(response, "exception_code", "?")
                cycle.errors.append(PollError(self.name, unit, f"exception response, code {code}"))
                continue
            self._accept(unit, response.registers, cycle)
        cycle.seconds = time.perf_counter() - started
        return cycle

    def _accept(self, unit: int, registers: list[int], cycle: PollCycle) -> None:
        source = f"modbus://{self.host}:{self.port}/{self.name}/unit-{unit}"
        try:
            signed = decode_registers(registers)
        except RegisterMapError as exc:
            cycle.items.append((source, ReadingRejected(RejectReason.MALFORMED, f"{source}: {exc}")))
            return
        if signed is None or self._last.get(unit) == signed:
            cycle.unchanged += 1
            return
        self._last[unit] = signed
        cycle.items.append((source, signed))


async def poll_collectors(pollers: Sequence[CollectorPoller]) -> PollCycle:
    """One cycle over every collector at once (they are separate devices on the network)."""
    started = time.perf_counter()
    total = PollCycle()
    for cycle in await asyncio.gather(*(p.poll() for p in pollers)):
        total.merge(cycle)
    total.seconds = time.perf_counter() - started
    return total


@dataclass(frozen=True)
class CollectorAddress:
    """Where the oracle finds one collector. `parse` reads the command line's two spellings:

        name=c1,host=127.0.0.1,port=5020,units=1-25,30     (any order; name defaults to HOST:PORT)
        127.0.0.1:5020:1-25,30                              (HOST:PORT:UNITS)
    """

    name: str
    host: str
    port: int
    unit_ids: tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> "CollectorAddress":
        """ValueError naming what is wrong, for a person to fix on the command line."""
        if "=" in text:
            fields: dict[str, str] = {}
            key = None
            for piece in text.split(","):
                name, sep, value = piece.partition("=")
                if sep:
                    key = name.strip().lower()
                    if key not in ("name", "host", "port", "units") or key in fields:
                        raise ValueError(f"unknown or repeated field {name.strip()!r} (name, host, port, units)")
                    fields[key] = value.strip()
                elif key == "units":  # units=1-25,30: the comma continues the list
                    fields[key] += "," + piece.strip()
                else:
                    raise ValueError(f"{piece!r} is not FIELD=VALUE")
            missing = [k for k in ("host", "port", "units") if not fields.get(k)]
            if missing:
                raise ValueError(f"missing {', '.join(missing)}")
            host, port, units, name = fields["host"], fields["port"], fields["units"], fields.get("name")
        else:
            parts = text.split(":", 2)
            if len(parts) != 3 or not all(p.strip() for p in parts):
                raise ValueError("expected HOST:PORT:UNITS or name=…,host=…,port=…,units=…")
            host, port, units, name = parts[0].strip(), parts[1].strip(), parts[2], None
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError(f"port must be 1–65535, got {port!r}")
        unit_ids = parse_unit_ids(units)
        return cls(name or f"{host}:{port}", host, int(port), unit_ids)

    def __str__(self) -> str:
        return f"name={self.name},host={self.host},port={self.port},units={format_unit_ids(self.unit_ids)}"


def parse_unit_ids(text: str) -> tuple[int, ...]:
    """'1-25,30' → (1, …, 25, 30): Modbus unit ids 1–247, each once, in the order given."""
    ids: list[int] = []
    for piece in text.split(","):
        first, dash, last = piece.strip().partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise ValueError(f"unit ids must be numbers or ranges like 1-25, got {piece.strip()!r}")
        low, high = int(first), int(last) if dash else int(first)
        if not 1 <= low <= high <= 247:
            raise ValueError(f"unit ids are 1–247 (a range low to high), got {piece.strip()!r}")
        ids.extend(range(low, high + 1))
    if len(set(ids)) != len(ids):
        raise ValueError(f"unit ids repeat in {text!r}")
    return tuple(ids)


def format_unit_ids(ids: Iterable[int]) -> str:
    """The inverse of parse_unit_ids, with runs written as ranges."""
    runs: list[list[int]] = []
    for i in ids:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


class ModbusSource:
    """A reading source (oracles/sources.py): polls every collector each `period` seconds, on the thread
    that iterates it, and yields what is new until `stop` is set. Poll errors are kept in `errors`;
    with `report_errors`, a unit that starts failing (or fails differently) is also yielded once as a
    `malformed` rejection, so the rejects log and `zcl oracle status` show it without a line per cycle."""

    def __init__(self, collectors: Sequence[CollectorAddress], period: float = 60.0, timeout: float = 1.0,
                 stop: threading.Event | None = None, keep_errors: int = 1000, report_errors: bool = True) -> None:
        self.collectors = tuple(collectors)
        self.period = period
        self.timeout = timeout
        self.stop = stop or threading.Event()
        self.report_errors = report_errors
        self.errors: deque[PollError] = deque(maxlen=keep_errors)
        self.last_cycle: PollCycle | None = None
        self._failing: dict[tuple[str, int], str] = {}  # (collector, unit) → kind of failure reported

    def __iter__(self) -> Iterator[tuple[str, SignedReading | ReadingRejected]]:
        for items in self.batches():
            yield from items

    def batches(self) -> Iterator[list[tuple[str, SignedReading | ReadingRejected]]]:
        """One list per poll cycle (the runner takes it whole)."""
        loop = asyncio.new_event_loop()
        pollers = loop.run_until_complete(self._pollers())
        try:
            while not self.stop.is_set():
                cycle = loop.run_until_complete(poll_collectors(pollers))
                self.last_cycle = cycle
                self.errors.extend(cycle.errors)
                items = cycle.items + self._newly_failing(cycle.errors)
                if items:
                    yield items
                self.stop.wait(max(0.0, self.period - cycle.seconds))
        finally:
            for poller in pollers:
                loop.run_until_complete(poller.close())
            loop.close()

    def _newly_failing(self, errors: Sequence[PollError]) -> list[tuple[str, SignedReading | ReadingRejected]]:
        failing = {(e.collector, e.unit_id): e for e in errors}
        where = {c.name: c for c in self.collectors}
        new = []
        for key, error in failing.items():
            kind = error.detail.split(" (")[0]  # "no valid response", "exception response, code 11", …
            if self._failing.get(key) != kind:
                c = where[error.collector]
                label = f"modbus://{c.host}:{c.port}/{c.name}/unit-{error.unit_id}"
                new.append((label, ReadingRejected(RejectReason.MALFORMED, f"poll failed: {error}")))
        self._failing = {key: e.detail.split(" (")[0] for key, e in failing.items()}
        return new if self.report_errors else []

    async def _pollers(self) -> list[CollectorPoller]:
        return [CollectorPoller(c.name, c.host, c.port, c.unit_ids, self.timeout) for c in self.collectors]


def _words(data: bytes) -> list[int]:
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
