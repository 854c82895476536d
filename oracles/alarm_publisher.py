"""Alarms on MQTT, for dashboards and building-management systems that subscribe.

Topic scheme (beside the readings' `zcl/v1/<institution>/<collector>/<device>/reading`):

    zcl/v1/<institution id>/alarms/<kind>        e.g. zcl/v1/4/alarms/water_leak

The payload is the alarm as JSON (`Alarm.to_json`, with `institution_id`), sent at QoS 1 whenever
the alarm changes (raised, joined by more readings, acknowledged, resolved); `version` orders the
messages of one alarm, so a subscriber keeps the highest. An alarm is marked published only after
the broker acknowledged it: while the broker is away alarms wait in the spool and go out when it is
back, each at least once.
"""

from __future__ import annotations

import json
import logging
import threading

import paho.mqtt.client as mqtt

from oracles.alarms import Alarm, AlarmStore

TOPIC_ROOT = "zcl/v1"
QOS = 1
log = logging.getLogger(__name__)


def alarm_topic(institution_id: int, alarm: Alarm) -> str:
    return f"{TOPIC_ROOT}/{institution_id}/alarms/{alarm.kind.value}"


class AlarmPublisher:
    """Publishes unpublished alarm versions to the broker at `host:port`; connects lazily, retries later."""

    def __init__(self, host: str, port: int, institution_id: int, client_id: str | None = None,
                 timeout: float = 5.0) -> None:
        self.host, self.port = host, port
        self.institution_id = institution_id
        self.timeout = timeout
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or f"zcl-alarms-{institution_id}",
                                   protocol=mqtt.MQTTv5)
        self._connected = threading.Event()
        self._client.on_connect = lambda c, u, f, rc, p=None: self._connected.set() if not rc.is_failure else None
        self._client.on_disconnect = lambda c, u, f, rc, p=None: self._connected.clear()
        self._started = False

    def publish_pending(self, store: AlarmStore, limit: int = 100) -> int:
        """Send every alarm whose latest version the broker has not acknowledged; how many were sent.

        Never raises for a broker problem: it logs, and the alarms wait for the next call.
        """
        pending = store.unpublished(limit)
        if not pending or not self._ensure_connected():
            return 0
        sent = 0
        for alarm in pending:
            body = json.dumps(alarm.to_json(self.institution_id), ensure_ascii=False)
            info = self._client.publish(alarm_topic(self.institution_id, alarm), body, qos=QOS)
            try:
                info.wait_for_publish(self.timeout)
            except (RuntimeError, ValueError) as exc:  # paho: not connected / queue full
                log.warning("alarm %s not published: %s", alarm.id, exc)
                break
            if not info.is_published():
                log.warning("alarm %s not acknowledged by %s:%s within %s s", alarm.id, self.host, self.port, self.timeout)
                break
            store.mark_published(alarm.id, alarm.version)
            sent += 1
        return sent

    def close(self) -> None:
        if self._started:
            self._client.loop_stop()
            self._client.disconnect()
            self._started = False

    def _ensure_connected(self) -> bool:
        if self._connected.is_set():
            return True
        try:
            if not self._started:
                self._client.connect(self.host, self.port, keepalive=30)
                self._client.loop_start()  # paho reconnects by itself from here on
                self._started = True
        except OSError as exc:
            log.warning("MQTT broker %s:%s unreachable, alarms wait in the spool: %s", self.host, self.port, exc)
            return False
        return self._connected.wait(self.timeout)
