"""Fixtures for the protocol drivers: the real Mosquitto broker, a TCP proxy that can cut connections,
and the simulated compound's devices registered on the test chain."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterable, Iterator
from datetime import date

import pytest

from ledger.chain.clients import LedgerContracts
from oracles.drivers.mqtt import BrokerAddress
from oracles.simulation import CompoundFleet, DeviceIdentity, xihuamen
from oracles.simulation.workdays import local_midnight

SIM_START = local_midnight(date(2026, 3, 2))  # a Monday, well in the past of the oracle's clock


@pytest.fixture(scope="session")
def broker() -> BrokerAddress:
    address = BrokerAddress.parse(os.environ.get("ZCL_MQTT_BROKER", "127.0.0.1:1883"))
    try:
        socket.create_connection((address.host, address.port), timeout=1).close()
    except OSError as exc:
        pytest.skip(f"needs an MQTT broker at {address} (Mosquitto; set ZCL_MQTT_BROKER): {exc}")
    return address


@pytest.fixture
def unique() -> str:
    """A fresh suffix for MQTT client ids, so no test meets another's persistent session."""
    return uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def fleet() -> CompoundFleet:
    return CompoundFleet(xihuamen(), "driver-tests", interval=900)


def register_identities(contracts: LedgerContracts, scene: int, identities: Iterable[DeviceIdentity]) -> None:
    for i in identities:
        contracts.devices.register_device(i.device_id, scene, int(i.device.kind), int(i.device.unit), i.public_key)


class TcpProxy:
    """Forwards a local port to a target; `cut()` drops every open connection, as a network failure does."""

    def __init__(self, target: BrokerAddress) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((self.target.host, self.target.port))
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        with self._lock:
            for s in self._sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self._sockets.clear()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._listener.close()


@pytest.fixture
def proxy(broker: BrokerAddress) -> Iterator[TcpProxy]:
    p = TcpProxy(broker)
    yield p
    p.close()
