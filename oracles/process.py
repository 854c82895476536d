"""The oracle as an operating-system process: starting while the chain is down, stopping on signals.

Kept apart from the runner's loop (oracles/runner.py), which knows nothing of processes, so tests
drive the loop step by step in-process and `zcl oracle run` wraps it here.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable

from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

from ledger.chain.connection import Chain, ChainError, connect, load_account
from ledger.config import Settings
from oracles.node import OracleNode
from oracles.runner import Backoff, OracleRunner

log = logging.getLogger(__name__)


def connect_for_oracle(settings: Settings, stop: threading.Event, backoff: Backoff) -> Chain | None:
    """The oracle's chain connection, even while the chain is down: with a configured chain id the
    oracle starts at once (readings spool, anchors wait); without one it waits for the chain to
    answer, retrying with `backoff`. None when a stop was requested meanwhile.

    Transactions are not held for confirmations (Chain's own wait blocks); the runner tracks depth.
    """
    settings = settings.model_copy(update={"confirmations": 1})
    while not stop.is_set():
        try:
            return connect(settings)
        except ChainError as exc:
            if settings.chain_id is not None:
                w3 = Web3(Web3.HTTPProvider(settings.rpc_url, request_kwargs={"timeout": 60}))
                # unknown whether this is a Clique/QBFT chain: the middleware is harmless on others
                w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
                log.warning("%s; starting anyway for chain %s, anchors wait", exc, settings.chain_id)
                return Chain(w3=w3, account=load_account(settings), chain_id=settings.chain_id, confirmations=1)
            delay = backoff.failed(exc)
            log.warning("%s; retrying in %.1f s (set ZCL_CHAIN_ID to start without it)", exc, delay)
            stop.wait(delay)
    return None


def stop_on_signals(runner: OracleRunner) -> Callable[[], None]:
    """Make SIGTERM and SIGINT (Ctrl-C) request a clean stop; returns a function restoring the old handlers."""
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    for s in previous:
        signal.signal(s, lambda signum, frame: runner.request_stop())

    def restore() -> None:
        for s, handler in previous.items():
            signal.signal(s, handler)

    return restore


def slow_steps_for_tests(node: OracleNode) -> None:
    """Test hook: with ZCL_TEST_STEP_DELAY=<seconds>, pause at each crash-sensitive point of a batch,
    so a test can kill the process there. Production never sets it."""
    delay = os.environ.get("ZCL_TEST_STEP_DELAY")
    if delay:
        node.step_hook = lambda stage, batch: time.sleep(float(delay))
