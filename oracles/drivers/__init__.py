"""How readings reach the oracle: one module per protocol, so a new meter type is one new module.

    modbus.py     Modbus TCP collectors and the oracle's poller (signature registers); ModbusSource
    mqtt.py       signed 132-byte frames on MQTT, QoS 1, persistent sessions; the subscriber is a source
    http_push.py  POST /v1/readings for gateways (FastAPI router)
    bills.py      utility bills from CSV / Excel: unsigned, lower quality, never a SignedReading

Every driver hands the oracle (source label, SignedReading | ReadingRejected) pairs, the input of
OracleNode.ingest and of a running oracle's sources (oracles/sources.py); bills are a different type
on purpose. See docs/trust-model.md.
"""
