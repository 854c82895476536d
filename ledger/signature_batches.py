"""Ed25519 verdicts for many signed readings at once, spread over worker processes (`zcl audit`).

Re-verifying an institution-year is 5 M signatures, ~60 µs of C each: one core needs minutes, so the
auditor's verification hands them to `workers` processes. Jobs and answers are raw bytes, never pickled
objects: a job is a run of records, each the 32-byte public key the registry vouches for followed by the
132 bytes of the evidence record (payload ‖ signature); the answer is one byte per record, 1 when the
signature verifies. The rule is ledger/signing.py's `verify_signature` (Ed25519 over SIGNING_DOMAIN ‖
payload), applied with PyNaCl's binding directly so no VerifyKey is built per record.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
from collections.abc import Sequence

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError, CryptoError

from ledger.encoding import PAYLOAD_LENGTH, SIGNATURE_LENGTH
from ledger.signing import SIGNING_DOMAIN, SignedReading

KEY_LENGTH = 32
JOB_RECORD_LENGTH = KEY_LENGTH + PAYLOAD_LENGTH + SIGNATURE_LENGTH
DEFAULT_CHUNK = 2_000  # records per job: ~0.1 s of work, so a job's transfer is noise


def verify_records(records: bytes) -> bytes:
    """One verdict byte per JOB_RECORD_LENGTH-byte record (key ‖ payload ‖ signature): 1 good, 0 bad."""
    count, rest = divmod(len(records), JOB_RECORD_LENGTH)
    if rest:
        raise ValueError(f"{len(records)} bytes is not a whole number of {JOB_RECORD_LENGTH}-byte records")
    verdicts = bytearray(count)
    payload_at, signature_at = KEY_LENGTH, KEY_LENGTH + PAYLOAD_LENGTH
    for i in range(count):
        o = i * JOB_RECORD_LENGTH
        try:
            crypto_sign_open(records[o + signature_at:o + JOB_RECORD_LENGTH] + SIGNING_DOMAIN
                             + records[o + payload_at:o + signature_at], records[o:o + KEY_LENGTH])
            verdicts[i] = 1
        except (BadSignatureError, CryptoError, ValueError, TypeError):
            pass
    return bytes(verdicts)


class PendingVerdicts:
    """Verdict bytes of submitted records (one byte each, 1 good), ready now or once the workers answer."""

    def __init__(self, answer: bytes | multiprocessing.pool.AsyncResult) -> None:
        self._answer = answer

    def verdicts(self) -> bytes:
        if not isinstance(self._answer, bytes):
            self._answer = b"".join(self._answer.get())
        return self._answer


class SignatureBatches:
    """`verify` gives the verdict of each (signed reading, key) pair, computed by `workers` processes
    (in this process when `workers` is 0); use as a context manager so the workers end with it."""

    def __init__(self, workers: int, chunk: int = DEFAULT_CHUNK) -> None:
        if workers < 0:
            raise ValueError(f"workers must be 0 or more, got {workers}")
        self.workers, self.chunk = workers, chunk
        self._pool: multiprocessing.pool.Pool | None = None  # started by the first call worth a round trip

    def verify(self, pairs: Sequence[tuple[SignedReading, bytes]]) -> list[bool]:
        records = b"".join(key + signed.payload + signed.signature for signed, key in pairs)
        return [v == 1 for v in self.submit(records).verdicts()]

    def submit(self, records: bytes) -> PendingVerdicts:
        """Start checking JOB_RECORD_LENGTH-byte records (key ‖ payload ‖ signature) without waiting: the caller
        prepares the next batch while the workers verify this one (in this process, at once, without workers
        or for fewer records than a chunk)."""
        count = len(records) // JOB_RECORD_LENGTH
        if self.workers == 0 or count < self.chunk:
            return PendingVerdicts(verify_records(records))
        if self._pool is None:
            self._pool = multiprocessing.get_context("spawn").Pool(self.workers)
        rounds = -(-count // (self.workers * self.chunk))  # equal jobs, a whole number per worker
        size = -(-count // (self.workers * rounds)) * JOB_RECORD_LENGTH
        jobs = [records[o:o + size] for o in range(0, len(records), size)]
        return PendingVerdicts(self._pool.map_async(verify_records, jobs))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> SignatureBatches:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
