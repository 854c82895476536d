"""The auditor's batch check gives the same findings, in the same order, however the signatures are checked:
reading by reading, run by run over bulk-decoded columns, in this process or in worker processes; and the
compact record of counted (device, sequence) pairs answers exactly as a set of every pair would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.batch import decode_batch, encode_batch, evidence_readings
from ledger.chain.clients import AnchoredBatch, KeyEpoch
from ledger.encoding import Quantity, Reading, Unit
from ledger.signature_batches import SignatureBatches, verify_records
from ledger.signing import SignedReading, generate_device_key, public_key_bytes, sign_reading
from ledger.verification import (
    Finding, SeenReadings, VerificationReport, _check_columns, _check_readings, _Keys,
)

INSTITUTION = 4
KEYS = [generate_device_key(bytes([k]) * 32) for k in range(1, 5)]
OURS, OTHERS, ROTATED, UNKNOWN = (bytes([d]) * 32 for d in (1, 2, 3, 9))


def _reading(device: bytes, sequence: int) -> Reading:
    return Reading(device, sequence, 1_700_000_000 + sequence * 900, Quantity.ACTIVE_ENERGY_IMPORT, Unit.KWH, -3,
                   sequence * 1000)


def _batch() -> bytes:
    records = []
    for seq in range(1, 40):  # our meter: reading 7 carries a signature over other bytes, 12 appears twice
        signed = sign_reading(_reading(OURS, seq), KEYS[0])
        if seq == 7:
            signed = SignedReading(signed.payload, sign_reading(_reading(OURS, 8), KEYS[0]).signature)
        records.append(signed)
    records.append(sign_reading(_reading(OURS, 12), KEYS[0]))
    records += [sign_reading(_reading(OTHERS, seq), KEYS[1]) for seq in range(1, 6)]  # another institution's
    for seq in range(5, 26):  # key 2 from sequence 10, key 3 from 20; before 10 no key; 22 signed by the old key
        records.append(sign_reading(_reading(ROTATED, seq), KEYS[1] if seq < 10 or seq == 22 else
                                    KEYS[2] if seq < 20 else KEYS[3]))
    records += [sign_reading(_reading(UNKNOWN, seq), KEYS[0]) for seq in range(1, 4)]
    return encode_batch(INSTITUTION, sorted(records, key=lambda r: r.payload[1:41]))


def _keys() -> _Keys:
    keys = _Keys(contracts=None)  # type: ignore[arg-type]  # every device is in the cache: no chain needed
    keys.cache = {
        OURS: (INSTITUTION, (KeyEpoch(public_key_bytes(KEYS[0]), 0),)),
        OTHERS: (5, (KeyEpoch(public_key_bytes(KEYS[1]), 0),)),
        ROTATED: (INSTITUTION, (KeyEpoch(public_key_bytes(KEYS[2]), 10), KeyEpoch(public_key_bytes(KEYS[3]), 20))),
        UNKNOWN: None,
    }
    return keys


def _findings(check, signatures: SignatureBatches) -> tuple[list[Finding], VerificationReport]:
    data = _batch()
    parsed, report = decode_batch(data), VerificationReport()
    batch = AnchoredBatch.__new__(AnchoredBatch)
    object.__setattr__(batch, "root", b"\xaa" * 32)
    object.__setattr__(batch, "institution_id", INSTITUTION)
    seen = SeenReadings()
    seen.add(OURS, 3, 3, b"\xbb" * 32)  # sequence 3 was in an earlier batch

    def find(problem, detail, **where):
        report.findings.append(Finding(problem, batch.root, detail, **where))

    if check is _check_columns:
        finish = check(data, evidence_readings(data)[1], batch, _keys(), seen, report, find, signatures)
    else:
        finish = check(parsed, batch, _keys(), seen, report, find, signatures)
    finish()  # the verdicts are in: the findings are stated
    return report.findings, report


def test_every_way_of_checking_finds_the_same_things_in_the_same_order() -> None:
    expected, report = _findings(_check_readings, SignatureBatches(0))
    problems = [f.problem.name for f in expected]
    assert problems.count("BAD_SIGNATURE") == 2 and problems.count("DUPLICATE_READING") == 2
    assert problems.count("NO_KEY") == 5 and problems.count("UNKNOWN_DEVICE") == 3
    assert problems.count("DEVICE_OF_OTHER_INSTITUTION") == 5
    assert (report.readings, report.signatures_checked) == (69, 61)
    with SignatureBatches(2, chunk=8) as pool:
        for check, signatures in ((_check_columns, SignatureBatches(0)), (_check_columns, pool), (_check_readings, pool)):
            found, again = _findings(check, signatures)
            assert [f.describe() for f in found] == [f.describe() for f in expected]
            assert (again.readings, again.signatures_checked) == (report.readings, report.signatures_checked)


def test_a_record_job_of_the_wrong_length_is_refused() -> None:
    try:
        verify_records(bytes(100))
    except ValueError as exc:
        assert "not a whole number" in str(exc)
    else:
        raise AssertionError("accepted a partial record")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([OURS, OTHERS]), st.integers(0, 60), st.integers(0, 6),
                          st.sampled_from([b"\x01" * 32, b"\x02" * 32])), max_size=40))
def test_seen_readings_answer_as_a_dict_of_every_pair_would(runs) -> None:
    seen, reference = SeenReadings(), {}
    for device, first, length, root in runs:
        last = first + length
        assert seen.none_of(device, first, last) == all((device, s) not in reference for s in range(first, last + 1))
        if seen.none_of(device, first, last):
            seen.add(device, first, last, root)
            reference.update({(device, s): root for s in range(first, last + 1)})
        else:
            for s in range(first, last + 1):
                if (device, s) not in reference:
                    seen.add(device, s, s, root)
                    reference[(device, s)] = root
        for (d, s) in [(d, s) for d in (OURS, OTHERS) for s in range(-1, 70)]:
            assert seen.first_batch(d, s) == reference.get((d, s))
