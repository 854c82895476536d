"""Which strings are evidence CIDs, and the one spelling each content is stored under."""

from __future__ import annotations

import pytest

from ledger.evidence import InvalidCid, parse_cid

HELLO_V0 = "QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"
HELLO_V1_DAG_PB = "bafybeicr5q6xipzlckxxmtvzvgraseianfblgivpoiyewfmzdwixc64dn4"  # same block, CIDv1 name
HELLO_WORLD_RAW = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"


@pytest.mark.parametrize(
    ("value", "reason_part"),
    [
        ("", "empty"),
        ("nope", "multibase"),
        ("Qm123", ""),  # too short for a multihash
        (HELLO_V0 + "\n", "whitespace"),
        (" " + HELLO_V0, "whitespace"),
        (HELLO_V0[:-1] + "0", ""),  # '0' is not in the base58btc alphabet
        ("bafyreicr5q6xipzlckxxmtvzvgraseianfblgivpoiyewfmzdwixc64dn4", "codec dag-cbor"),
        ("bafkqaa3bmjrq", "identity"),  # identity multihash: content inlined, not hashed
        (  # sha2-512 raw leaf (Kubo add_test.go shortStringCidV1Sha512)
            "bafkrgqbqt3gerhas23vuzrapkdeqf4vu2dwxp3srdj6hvg6nhsug2tgyn6mj3u23yx7utftq3i2ckw2fwdh5qmhid5qf3t35yvkc5e5ottlw6",
            "sha2-512",
        ),
    ],
)
def test_invalid_cid_is_rejected_with_value_and_reason(value: str, reason_part: str) -> None:
    with pytest.raises(InvalidCid) as caught:
        parse_cid(value)
    assert caught.value.value == value
    assert caught.value.reason
    assert reason_part in caught.value.reason


def test_non_string_is_rejected() -> None:
    with pytest.raises(InvalidCid):
        parse_cid(b"Qm")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        (HELLO_V0, HELLO_V0),
        (HELLO_WORLD_RAW, HELLO_WORLD_RAW),
        ("k2cwued9o1pvrt3q271rrqbo49x30tbxwpoeaq75z14e5ui2rzygpbe1", HELLO_WORLD_RAW),  # base36
        ("zb2rhj7crUKTQYRGCRATFaQ6YFLTde2YzdqbbhAASkL9uRDXn", HELLO_WORLD_RAW),  # base58btc CIDv1
        (HELLO_WORLD_RAW.upper(), HELLO_WORLD_RAW),  # base32upper
    ],
)
def test_cidv1_in_any_multibase_is_keyed_in_base32(spelling: str, canonical: str) -> None:
    assert parse_cid(spelling).text == canonical


def test_dag_pb_cid_has_a_name_in_the_other_version_and_raw_has_none() -> None:
    v0 = parse_cid(HELLO_V0)
    assert v0.as_version(1) is not None and v0.as_version(1).text == HELLO_V1_DAG_PB  # type: ignore[union-attr]
    assert parse_cid(HELLO_V1_DAG_PB).as_version(0).text == HELLO_V0  # type: ignore[union-attr]
    assert parse_cid(HELLO_WORLD_RAW).as_version(0) is None
