"""Which of a device's keys signs which sequence numbers: the rule DeviceRegistry.keyForSequence applies.

Key i of a device's history is valid for sequences from its `valid_from_sequence` up to, not
including, key i+1's. The oracle and the auditor both use this function with the history read
from the chain, so neither trusts a key the registry does not vouch for.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from ledger.chain.clients import KeyEpoch


def key_index_for_sequence(history: Sequence[KeyEpoch], sequence: int) -> int | None:
    """Index of the key valid for `sequence`, or None when the sequence precedes every key."""
    position = bisect_right(history, sequence, key=lambda epoch: epoch.valid_from_sequence) - 1
    return position if position >= 0 else None


def key_for_sequence(history: Sequence[KeyEpoch], sequence: int) -> bytes | None:
    index = key_index_for_sequence(history, sequence)
    return None if index is None else history[index].public_key
