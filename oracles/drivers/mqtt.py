"""MQTT: meters (or their collectors) publish signed frames; the oracle subscribes (paho-mqtt, MQTT v5).

Topic scheme, two forms (an oracle subscribes to both):

    zcl/v1/<institution id>/<collector>/<device id, 64 hex digits>/reading    one frame (a meter)
    zcl/v1/<institution id>/<collector>/readings                              1 or more frames (a collector)

A frame is the 132-byte signed reading, binary: the 68-byte canonical reading (ledger/encoding.py)
followed by the device's 64-byte Ed25519 signature (ledger/signing.py), the same bytes the oracle
spools and anchors. On `…/readings` the payload is frames back to back (a multiple of 132 bytes, any
devices behind that collector): a collector sends hundreds of readings in one message, so broker and
client work per reading, and Mosquitto's per-session queue counted in messages, shrink by that factor.
The topic is routing only: the subscriber refuses a single frame whose device id differs from the
topic's, and trusts nothing else the broker says. A broker can drop, delay or repeat frames; it
cannot alter one without breaking its signature.

Delivery: QoS 1 both ways. The subscriber keeps a persistent session (fixed client id, clean start off,
session expiry interval), so the broker queues frames while the oracle is away, and it acknowledges a
frame (manual PUBACK) only after the oracle has spooled it: a crash between delivery and spooling
makes the broker deliver again. Repeats are harmless, since the oracle accepts a (device, sequence)
once. Mosquitto keeps at most `max_queued_messages` frames (1000 by default) per session beyond the
RECEIVE_MAXIMUM in flight, whether the oracle is away or merely slow, and silently drops the rest
(measured here: 3,000 published to an absent session, 1,000 delivered). The drops show as sequence
gaps, never as false readings; a deployment sizes that setting for the longest outage it must survive.
"""

from __future__ import annotations

import queue
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ledger.encoding import PAYLOAD_LENGTH, SIGNATURE_LENGTH
from ledger.signing import SignedReading
from oracles.node import IngestReport, OracleNode
from oracles.rejects import ReadingRejected, RejectReason

TOPIC_ROOT = "zcl/v1"
FRAME_LENGTH = PAYLOAD_LENGTH + SIGNATURE_LENGTH
QOS = 1
DEFAULT_SESSION_EXPIRY = 7 * 86400  # seconds the broker keeps an absent subscriber's session
RECEIVE_MAXIMUM = 1000  # unacknowledged messages the broker may have in flight to the subscriber
MAX_FRAMES_PER_MESSAGE = 1000  # a collector's message on …/readings carries at most this many frames


class MqttDriverError(RuntimeError):
    """The broker cannot be reached or refused the connection."""


@dataclass(frozen=True)
class BrokerAddress:
    host: str = "127.0.0.1"
    port: int = 1883

    @classmethod
    def parse(cls, text: str) -> "BrokerAddress":
        host, _, port = text.rpartition(":") if ":" in text else (text, "", "1883")
        if not host or not port.isdigit():
            raise ValueError(f"broker address must be HOST:PORT, got {text!r}")
        return cls(host, int(port))

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    def check_reachable(self, timeout: float = 2.0) -> None:
        """Fail early, before any work, when nothing listens at the address."""
        try:
            socket.create_connection((self.host, self.port), timeout=timeout).close()
        except OSError as exc:
            raise MqttDriverError(f"cannot reach the MQTT broker at {self}: {exc}") from None


def reading_topic(institution: int, collector: str, device_id: bytes) -> str:
    if not collector or any(c in collector for c in "/+#"):
        raise ValueError(f"collector name {collector!r} cannot be a topic level")
    return f"{TOPIC_ROOT}/{institution}/{collector}/{device_id.hex()}/reading"


def readings_topic(institution: int, collector: str) -> str:
    """The collector's topic for messages of many frames."""
    if not collector or any(c in collector for c in "/+#"):
        raise ValueError(f"collector name {collector!r} cannot be a topic level")
    return f"{TOPIC_ROOT}/{institution}/{collector}/readings"


def is_readings_topic(topic: str) -> bool:
    levels = topic.split("/")
    return len(levels) == 5 and "/".join(levels[:2]) == TOPIC_ROOT and levels[4] == "readings"


def parse_frames(topic: str, payload: bytes) -> list[SignedReading]:
    """The signed readings of a collector's message on `…/readings`, in order; ReadingRejected(MALFORMED)
    for the whole message when its length is not a whole number of frames (no frame boundary is trusted)."""
    count, rest = divmod(len(payload), FRAME_LENGTH)
    if rest or not count or count > MAX_FRAMES_PER_MESSAGE:
        raise ReadingRejected(RejectReason.MALFORMED,
                              f"message on {topic} is {len(payload)} bytes, expected 1 to {MAX_FRAMES_PER_MESSAGE} "
                              f"frames of {FRAME_LENGTH}")
    fields = _frames_layout(count).unpack(payload)  # payload, signature, payload, … in one C call
    return list(map(SignedReading, fields[0::2], fields[1::2]))


@lru_cache(maxsize=16)
def _frames_layout(count: int) -> struct.Struct:
    return struct.Struct(f"{PAYLOAD_LENGTH}s{SIGNATURE_LENGTH}s" * count)


def parse_frame(topic: str, frame: bytes) -> SignedReading:
    """The signed reading carried on `topic`; ReadingRejected(MALFORMED) naming the problem otherwise."""
    levels = topic.split("/")
    if len(levels) != 6 or "/".join(levels[:2]) != TOPIC_ROOT or levels[5] != "reading":
        raise ReadingRejected(RejectReason.MALFORMED, f"topic {topic!r} is not {TOPIC_ROOT}/<institution>/<collector>/<device>/reading"
                              f" nor {TOPIC_ROOT}/<institution>/<collector>/readings")
    if len(frame) != FRAME_LENGTH:
        raise ReadingRejected(RejectReason.MALFORMED, f"frame on {topic} is {len(frame)} bytes, expected {FRAME_LENGTH}")
    signed = SignedReading.from_bytes(frame)
    carried = signed.payload[1:33]
    if levels[4] != carried.hex():
        raise ReadingRejected(RejectReason.MALFORMED, f"topic names device {levels[4][:16]}…, the frame carries 0x{carried.hex()}",
                              carried, int.from_bytes(signed.payload[33:41], "big"))
    return signed


class _Connection:
    """A paho client on its own network thread, with a blocking connect."""

    def __init__(self, broker: BrokerAddress, client_id: str, session_expiry: int, manual_ack: bool) -> None:
        self.broker = broker
        self.client_id = client_id
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5,
                                  manual_ack=manual_ack)
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)
        self.connected = threading.Event()
        self._gone = threading.Event()  # set when the connection closes
        self.session_present = False
        self._properties = Properties(PacketTypes.CONNECT)
        self._properties.SessionExpiryInterval = session_expiry
        self._properties.ReceiveMaximum = RECEIVE_MAXIMUM
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect

    def connect(self, timeout: float) -> None:
        try:
            self.client.connect(self.broker.host, self.broker.port, keepalive=30, clean_start=False,
                                properties=self._properties)
        except OSError as exc:
            raise MqttDriverError(f"cannot reach the MQTT broker at {self.broker}: {exc}") from None
        self.client.loop_start()
        if not self.connected.wait(timeout):
            self.client.loop_stop()
            raise MqttDriverError(f"the MQTT broker at {self.broker} did not accept the connection within {timeout} s")

    def disconnect(self, timeout: float = 5.0) -> None:
        """A clean DISCONNECT: the broker keeps the session (and queues for it) until it expires.

        First a round trip (UNSUBSCRIBE of a filter never subscribed, answered by UNSUBACK): the broker
        handles a client's packets in order, so once it answers, it has processed every PUBACK sent
        before. Closing straight after the PUBACKs can lose them with the connection (seen here), and
        the broker would deliver those frames again."""
        if self.connected.is_set():
            self._barrier(timeout)
            self.client.disconnect()
            self._gone.wait(timeout)
        self.client.loop_stop()
        self.connected.clear()

    def _barrier(self, timeout: float) -> None:
        answered = threading.Event()
        self.client.on_unsubscribe = lambda *args: answered.set()
        result, _ = self.client.unsubscribe(f"{TOPIC_ROOT}/barrier/{self.client_id}")
        if result == mqtt.MQTT_ERR_SUCCESS:
            answered.wait(timeout)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            return
        self.session_present = bool(flags.session_present)
        self.on_connected()
        self._gone.clear()
        self.connected.set()

    def on_connected(self) -> None:
        pass

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        self._gone.set()


class ReadingPublisher(_Connection):
    """Publishes signed frames at QoS 1 (a meter, a collector, or the simulator)."""

    def __init__(self, institution: int, broker: BrokerAddress = BrokerAddress(), client_id: str = "zcl-publisher",
                 session_expiry: int = DEFAULT_SESSION_EXPIRY) -> None:
        super().__init__(broker, client_id, session_expiry, manual_ack=False)
        self.institution = institution
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)  # keep everything until the broker has acknowledged it
        self._pending: list[mqtt.MQTTMessageInfo] = []

    def publish(self, collector: str, signed: SignedReading) -> None:
        topic = reading_topic(self.institution, collector, signed.payload[1:33])
        self._pending.append(self.client.publish(topic, signed.to_bytes(), qos=QOS))

    def publish_many(self, collector: str, readings: Sequence[SignedReading]) -> None:
        """Publish readings as messages of up to MAX_FRAMES_PER_MESSAGE frames on the collector's `…/readings`."""
        topic = readings_topic(self.institution, collector)
        for start in range(0, len(readings), MAX_FRAMES_PER_MESSAGE):
            payload = b"".join(r.payload + r.signature for r in readings[start:start + MAX_FRAMES_PER_MESSAGE])
            self._pending.append(self.client.publish(topic, payload, qos=QOS))

    def publish_raw(self, topic: str, payload: bytes) -> None:
        """Publish arbitrary bytes (tests of malformed frames)."""
        self._pending.append(self.client.publish(topic, payload, qos=QOS))

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until the broker has acknowledged (PUBACK) everything published so far."""
        deadline = time.monotonic() + timeout
        for info in self._pending:
            info.wait_for_publish(max(0.0, deadline - time.monotonic()))
            if not info.is_published():
                raise MqttDriverError(f"the broker at {self.broker} did not acknowledge frames within {timeout} s")
        self._pending.clear()

    def close(self) -> None:
        self.disconnect()


@dataclass
class Delivery:
    """Frames received together; acknowledge them (ack) once the oracle has spooled them."""

    items: list[tuple[str, SignedReading | ReadingRejected]] = field(default_factory=list)
    _mids: list[int] = field(default_factory=list, repr=False)

    def __len__(self) -> int:
        return len(self.items)


class ReadingSubscriber(_Connection):
    """The oracle's subscription: a persistent QoS 1 session over one institution's reading topics.

    Two ways to consume it: `receive` / `ack` (or `ingest_into`) in batches; or as a reading source
    (oracles/sources.py): iterate it for (label, reading) pairs, and call `spooled(labels)` once the
    oracle has committed them, which sends a message's PUBACK once all its frames are. Labels are
    `mqtt:<topic>#<packet id>`, with `/<index>` for each frame of a collector's message.
    """

    def __init__(self, institution: int, broker: BrokerAddress = BrokerAddress(), client_id: str | None = None,
                 collectors: Iterable[str] = ("+",), session_expiry: int = DEFAULT_SESSION_EXPIRY,
                 stop: threading.Event | None = None) -> None:
        super().__init__(broker, client_id or f"zcl-oracle-{institution}", session_expiry, manual_ack=True)
        self.institution = institution
        self.filters = [f for c in collectors
                        for f in (f"{TOPIC_ROOT}/{institution}/{c}/+/reading", f"{TOPIC_ROOT}/{institution}/{c}/readings")]
        self.stop = stop or threading.Event()
        self._inbox: queue.Queue[tuple[str, bytes, int]] = queue.Queue()
        self._unacked: dict[str, int] = {}  # label → packet id, for `spooled`
        self._parts: dict[int, int] = {}  # packet id → readings of its message not yet spooled
        self.subscribed = threading.Event()
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self.subscribed.set()

    def connect(self, timeout: float) -> None:
        """Connect and wait for the SUBACK: frames published before the broker has the subscription
        would not be routed to this session (a race seen under load)."""
        super().connect(timeout)
        if not self.subscribed.wait(timeout):
            raise MqttDriverError(f"the MQTT broker at {self.broker} did not confirm the subscription within {timeout} s")

    def on_connected(self) -> None:
        self.subscribed.clear()
        self.client.subscribe([(f, QOS) for f in self.filters])  # idempotent when the session kept them

    def _on_message(self, client, userdata, message) -> None:
        self._inbox.put((message.topic, bytes(message.payload), message.mid))

    def receive(self, max_items: int = 1000, timeout: float = 1.0) -> Delivery:
        """Whole messages until `max_items` frames (a collector's message may take it over); waits up to
        `timeout` for the first, then takes what has arrived."""
        delivery = Delivery()
        try:
            first = self._inbox.get(timeout=timeout)
        except queue.Empty:
            return delivery
        self._add(delivery, first)
        while len(delivery) < max_items:
            try:
                self._add(delivery, self._inbox.get_nowait())
            except queue.Empty:
                break
        return delivery

    def ack(self, delivery: Delivery) -> None:
        for mid in delivery._mids:
            self.client.ack(mid, QOS)
        delivery._mids.clear()

    def ingest_into(self, node: OracleNode, max_items: int = 1000, timeout: float = 1.0) -> IngestReport:
        """Receive a delivery, spool it through the oracle, then acknowledge it to the broker."""
        delivery = self.receive(max_items, timeout)
        report = node.ingest(delivery.items) if delivery.items else IngestReport()
        self.ack(delivery)
        return report

    def __iter__(self) -> Iterator[tuple[str, SignedReading | ReadingRejected]]:
        """Frames as they arrive, until `stop` is set; acknowledge them with `spooled`."""
        for items in self.batches():
            yield from items

    def batches(self, max_messages: int = 100) -> Iterator[list[tuple[str, SignedReading | ReadingRejected]]]:
        """The frames of up to `max_messages` messages at a time, as they arrive, until `stop` is set.

        The runner takes a source's batches when it has them: one hand-over per batch, not per reading."""
        while not self.stop.is_set():
            try:
                message = self._inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            items = self._track(message)
            for _ in range(max_messages - 1):
                try:
                    items += self._track(self._inbox.get_nowait())
                except queue.Empty:
                    break
            yield items

    def spooled(self, labels: Sequence[str]) -> None:
        """The oracle committed these frames: once every frame of a message is, send its PUBACK so the
        broker forgets it."""
        unacked, parts = self._unacked, self._parts
        pop = unacked.pop
        for mid, spooled in Counter([pop(label, None) for label in labels]).items():  # frames spooled per message
            if mid is None:
                continue
            left = parts.pop(mid) - spooled
            if left:
                parts[mid] = left
            else:
                self.client.ack(mid, QOS)

    def _track(self, message: tuple[str, bytes, int]) -> list[tuple[str, SignedReading | ReadingRejected]]:
        items = _items(*message)
        mid = message[2]
        self._unacked.update(dict.fromkeys([label for label, _ in items], mid))
        self._parts[mid] = len(items)
        return items

    def close(self) -> None:
        self.stop.set()
        self.disconnect()

    @staticmethod
    def _add(delivery: Delivery, message: tuple[str, bytes, int]) -> None:
        delivery.items.extend(_items(*message))
        delivery._mids.append(message[2])


_FRAME_SUFFIXES = tuple(f"/{i}" for i in range(MAX_FRAMES_PER_MESSAGE))


def _items(topic: str, payload: bytes, mid: int) -> list[tuple[str, SignedReading | ReadingRejected]]:
    """A message's readings with their labels: `mqtt:<topic>#<packet id>`, and `/<index>` for each frame
    of a collector's message."""
    label = f"mqtt:{topic}#{mid}"
    try:
        if is_readings_topic(topic):
            frames = parse_frames(topic, payload)
            return list(zip([label + suffix for suffix in _FRAME_SUFFIXES[:len(frames)]], frames))
        return [(label, parse_frame(topic, payload))]
    except ReadingRejected as rejected:
        return [(label, rejected)]
