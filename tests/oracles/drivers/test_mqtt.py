"""MQTT against the real Mosquitto: topic scheme, QoS 1, persistent sessions, reconnects, duplicates."""

from __future__ import annotations

import time

import pytest

from oracles.drivers.mqtt import (
    FRAME_LENGTH,
    MAX_FRAMES_PER_MESSAGE,
    BrokerAddress,
    MqttDriverError,
    ReadingPublisher,
    ReadingSubscriber,
    parse_frame,
    parse_frames,
    reading_topic,
    readings_topic,
)
from oracles.rejects import ReadingRejected, RejectReason
from tests.oracles.conftest import make_node
from tests.oracles.drivers.conftest import SIM_START, register_identities

SESSION = 120  # seconds the broker keeps a test session: long enough for the test, gone soon after


@pytest.fixture
def step(fleet):
    """The 170 signed readings of the compound's first 15-minute slot."""
    return next(fleet.readings(fleet.series(SIM_START + 900, start=SIM_START)))


def _institution(unique: str) -> int:
    return int(unique, 16) % 10**9  # a topic namespace no other test run uses


def _drain(subscriber: ReadingSubscriber, expected: int, timeout: float = 10.0, ack: bool = True) -> list:
    items, deadline = [], time.monotonic() + timeout
    while len(items) < expected and time.monotonic() < deadline:
        delivery = subscriber.receive(expected - len(items), timeout=0.5)
        items += delivery.items
        if ack:
            subscriber.ack(delivery)
    return items


def test_topic_scheme_names_institution_collector_and_device() -> None:
    assert reading_topic(4, "c1", bytes.fromhex("ab" * 32)) == f"zcl/v1/4/c1/{'ab' * 32}/reading"
    for bad in ("", "a/b", "c+", "#"):
        with pytest.raises(ValueError, match="cannot be a topic level"):
            reading_topic(4, bad, bytes(32))


def test_frames_that_do_not_match_their_topic_are_malformed(step) -> None:
    signed = step[0].signed
    topic = reading_topic(4, "c1", signed.payload[1:33])
    assert parse_frame(topic, signed.to_bytes()) == signed
    cases = [
        ("zcl/v1/4/c1/reading", signed.to_bytes(), "is not zcl/v1/<institution>"),
        (topic, signed.to_bytes()[:-1], f"is {FRAME_LENGTH - 1} bytes, expected {FRAME_LENGTH}"),
        (reading_topic(4, "c1", bytes(32)), signed.to_bytes(), "topic names device 0000"),
    ]
    for topic_, frame, message in cases:
        with pytest.raises(ReadingRejected, match=message) as caught:
            parse_frame(topic_, frame)
        assert caught.value.reason == RejectReason.MALFORMED


def test_published_frames_arrive_as_the_same_signed_readings(broker, unique, step) -> None:
    institution = _institution(unique)
    subscriber = ReadingSubscriber(institution, broker, client_id=f"sub-{unique}", session_expiry=SESSION)
    publisher = ReadingPublisher(institution, broker, client_id=f"pub-{unique}", session_expiry=SESSION)
    subscriber.connect(5)
    publisher.connect(5)
    try:
        for r in step:
            publisher.publish(r.collector, r.signed)
        publisher.flush()
        items = _drain(subscriber, len(step))
    finally:
        publisher.close()
        subscriber.close()
    assert {i for _, i in items} == {r.signed for r in step}
    assert {s.split("/")[3] for s, _ in items} == {f"c{k}" for k in range(1, 7)}  # mqtt:zcl/v1/<inst>/<collector>/…


def test_frames_published_while_the_oracle_is_away_wait_in_its_session(broker, unique, step) -> None:
    institution = _institution(unique)
    subscriber = ReadingSubscriber(institution, broker, client_id=f"sub-{unique}", session_expiry=SESSION)
    subscriber.connect(5)
    assert not subscriber.session_present
    subscriber.disconnect()  # the oracle stops; its session stays with the broker
    publisher = ReadingPublisher(institution, broker, client_id=f"pub-{unique}", session_expiry=SESSION)
    publisher.connect(5)
    for r in step:
        publisher.publish(r.collector, r.signed)
    publisher.flush()
    publisher.close()
    subscriber.connect(5)
    try:
        assert subscriber.session_present
        items = _drain(subscriber, len(step))
    finally:
        subscriber.close()
    assert {i for _, i in items} == {r.signed for r in step}


def test_frames_not_acknowledged_before_a_stop_are_delivered_again(broker, unique, step) -> None:
    """The subscriber acknowledges only after the oracle spooled: a crash in between loses nothing."""
    institution = _institution(unique)
    subscriber = ReadingSubscriber(institution, broker, client_id=f"sub-{unique}", session_expiry=SESSION)
    publisher = ReadingPublisher(institution, broker, client_id=f"pub-{unique}", session_expiry=SESSION)
    subscriber.connect(5)
    publisher.connect(5)
    for r in step[:20]:
        publisher.publish(r.collector, r.signed)
    publisher.flush()
    publisher.close()
    first = _drain(subscriber, 20, ack=False)  # received, never acknowledged: as if the oracle died here
    subscriber.disconnect()
    subscriber = ReadingSubscriber(institution, broker, client_id=f"sub-{unique}", session_expiry=SESSION)
    subscriber.connect(5)
    try:
        again = _drain(subscriber, 20)
    finally:
        subscriber.close()
    assert len(first) == 20 and {i for _, i in again} == {i for _, i in first}


def test_a_dropped_connection_reconnects_and_receives_what_was_sent_meanwhile(broker, unique, step, proxy) -> None:
    institution = _institution(unique)
    subscriber = ReadingSubscriber(institution, BrokerAddress("127.0.0.1", proxy.port), client_id=f"sub-{unique}",
                                   session_expiry=SESSION)
    subscriber.connect(5)
    publisher = ReadingPublisher(institution, broker, client_id=f"pub-{unique}", session_expiry=SESSION)
    publisher.connect(5)
    try:
        proxy.cut()  # the network between oracle and broker fails
        deadline = time.monotonic() + 5
        while subscriber.connected.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not subscriber.connected.is_set()
        for r in step[:50]:
            publisher.publish(r.collector, r.signed)
        publisher.flush()
        assert subscriber.connected.wait(10), "paho did not reconnect through the proxy"
        items = _drain(subscriber, 50)
    finally:
        publisher.close()
        subscriber.close()
    assert {i for _, i in items} == {r.signed for r in step[:50]}


def test_duplicate_deliveries_are_harmless(broker, unique, fleet, contracts, tree, tmp_path) -> None:
    identities = [i for i in fleet.identities.values() if i.device.collector == "c6"]
    register_identities(contracts, tree.building, identities)
    readings = [r for step in fleet.readings(fleet.series(SIM_START + 1800, start=SIM_START))
                for r in step if r.collector == "c6"]
    node = make_node(contracts, tree.institution, tmp_path / "oracle")
    subscriber = ReadingSubscriber(tree.institution, broker, client_id=f"sub-{unique}", collectors=[f"c6-{unique}"],
                                   session_expiry=SESSION)
    publisher = ReadingPublisher(tree.institution, broker, client_id=f"pub-{unique}", session_expiry=SESSION)
    subscriber.connect(5)
    publisher.connect(5)
    try:
        for r in readings + readings:  # every frame delivered twice
            publisher.publish(f"c6-{unique}", r.signed)
        publisher.flush()
        accepted, replayed = 0, 0
        while accepted + replayed < 2 * len(readings):
            report = subscriber.ingest_into(node, timeout=5)
            assert report.accepted or report.rejected, "the broker stopped delivering"
            accepted += report.accepted
            replayed += report.rejected_by_reason().get("replayed", 0)
    finally:
        publisher.close()
        subscriber.close()
    assert (accepted, replayed) == (len(readings), len(readings)) == (22, 22)
    anchors = node.flush()
    assert sum(a.reading_count for a in anchors) == 22
    node.spool.close()


def test_garbage_on_a_reading_topic_becomes_a_rejection(broker, unique) -> None:
    institution = _institution(unique)
    subscriber = ReadingSubscriber(institution, broker, client_id=f"sub-{unique}", session_expiry=SESSION)
    publisher = ReadingPublisher(institution, broker, client_id=f"pub-{unique}", session_expiry=SESSION)
    subscriber.connect(5)
    publisher.connect(5)
    try:
        publisher.publish_raw(f"zcl/v1/{institution}/c1/{'00' * 32}/reading", b"not a frame")
        publisher.flush()
        items = _drain(subscriber, 1)
    finally:
        publisher.close()
        subscriber.close()
    [(source, item)] = items
    assert isinstance(item, ReadingRejected) and item.reason == RejectReason.MALFORMED
    assert "is 11 bytes, expected 132" in item.detail and source.startswith(f"mqtt:zcl/v1/{institution}/c1/")


def test_an_unreachable_broker_is_a_clear_error() -> None:
    subscriber = ReadingSubscriber(1, BrokerAddress("127.0.0.1", 9), client_id="nobody")
    with pytest.raises(MqttDriverError, match="cannot reach the MQTT broker at 127.0.0.1:9"):
        subscriber.connect(1)


def test_broker_addresses_parse_host_and_port() -> None:
    assert BrokerAddress.parse("mqtt.example.org:8883") == BrokerAddress("mqtt.example.org", 8883)
    assert BrokerAddress.parse("localhost") == BrokerAddress("localhost", 1883)
    with pytest.raises(ValueError, match="HOST:PORT"):
        BrokerAddress.parse("host:port")


def test_as_a_reading_source_only_spooled_frames_are_acknowledged(broker, unique, step) -> None:
    institution = _institution(unique)
    subscriber = ReadingSubscriber(institution, broker, client_id=f"sub-{unique}", session_expiry=SESSION)
    publisher = ReadingPublisher(institution, broker, client_id=f"pub-{unique}", session_expiry=SESSION)
    subscriber.connect(5)
    publisher.connect(5)
    for r in step[:10]:
        publisher.publish(r.collector, r.signed)
    publisher.flush()
    publisher.close()
    received = []
    for label, item in subscriber:  # as the oracle runner iterates a source
        received.append((label, item))
        if len(received) == 10:
            break
    subscriber.spooled([label for label, _ in received[:6]])  # the oracle committed six, then stopped
    subscriber.disconnect()
    again = ReadingSubscriber(institution, broker, client_id=f"sub-{unique}", session_expiry=SESSION)
    again.connect(5)
    try:
        redelivered = _drain(again, 10, timeout=3)
    finally:
        again.close()
    assert all(label.startswith(f"mqtt:zcl/v1/{institution}/") and "#" in label for label, _ in received)
    assert {i for _, i in redelivered} == {i for _, i in received[6:]}


# --------------------------------------------------------------- a collector's messages of many frames


def test_a_collectors_message_carries_many_frames_back_to_back(step) -> None:
    frames = [r.signed for r in step[:3]]
    topic = readings_topic(4, "c1")
    assert topic == "zcl/v1/4/c1/readings"
    assert parse_frames(topic, b"".join(f.to_bytes() for f in frames)) == frames
    for payload, length in ((b"", 0), (frames[0].to_bytes() + b"x", FRAME_LENGTH + 1),
                            (frames[0].to_bytes() * (MAX_FRAMES_PER_MESSAGE + 1), FRAME_LENGTH * (MAX_FRAMES_PER_MESSAGE + 1))):
        with pytest.raises(ReadingRejected, match=f"is {length} bytes, expected 1 to {MAX_FRAMES_PER_MESSAGE} frames") as caught:
            parse_frames(topic, payload)
        assert caught.value.reason == RejectReason.MALFORMED


def test_many_frame_messages_arrive_as_readings_and_are_acknowledged_only_when_all_are_spooled(
        broker, unique, step) -> None:
    institution = _institution(unique)
    subscriber = ReadingSubscriber(institution, broker, client_id=f"sub-{unique}", session_expiry=SESSION)
    publisher = ReadingPublisher(institution, broker, client_id=f"pub-{unique}", session_expiry=SESSION)
    subscriber.connect(5)
    publisher.connect(5)
    first, second = [r.signed for r in step[:30]], [r.signed for r in step[30:50]]
    publisher.publish_many("c1", first)  # one message of 30 frames
    publisher.publish_many("c2", second)  # one of 20
    publisher.flush()
    publisher.close()
    received = []
    for items in subscriber.batches():
        received += items
        if len(received) == 50:
            break
    assert [i for _, i in received] == first + second
    labels = [label for label, _ in received]
    assert labels[0].startswith(f"mqtt:zcl/v1/{institution}/c1/readings#") and labels[0].endswith("/0")
    subscriber.spooled(labels[:30] + labels[30:49])  # the first message whole, the second but its last frame
    subscriber.disconnect()
    again = ReadingSubscriber(institution, broker, client_id=f"sub-{unique}", session_expiry=SESSION)
    again.connect(5)
    try:
        redelivered = _drain(again, 20, timeout=3)
    finally:
        again.close()
    assert [i for _, i in redelivered] == second  # the whole unfinished message again; none of the first


def test_a_many_frame_message_of_the_wrong_length_is_one_rejection(broker, unique) -> None:
    institution = _institution(unique)
    subscriber = ReadingSubscriber(institution, broker, client_id=f"sub-{unique}", session_expiry=SESSION)
    publisher = ReadingPublisher(institution, broker, client_id=f"pub-{unique}", session_expiry=SESSION)
    subscriber.connect(5)
    publisher.connect(5)
    try:
        publisher.publish_raw(readings_topic(institution, "c3"), bytes(FRAME_LENGTH * 2 + 5))
        publisher.flush()
        [(label, item)] = _drain(subscriber, 1)
    finally:
        publisher.close()
        subscriber.close()
    assert isinstance(item, ReadingRejected) and item.reason == RejectReason.MALFORMED
    assert f"is {FRAME_LENGTH * 2 + 5} bytes" in item.detail and label.startswith(f"mqtt:zcl/v1/{institution}/c3/readings#")
