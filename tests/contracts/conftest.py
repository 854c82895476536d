"""Fixtures for the contract tests: the three contracts over a small organisation tree.

The tree (ids in creation order):

    1 province (Region)       admin: province_admin
    └── 2 city (Region)       admin: city_admin
        ├── 3 district (Region)         admin: district_admin
        │   └── 4 institution (Institution)  admin: institution_admin
        │       └── 5 building (Building)
        │           └── 6 room (Room)
        └── 7 other district (Region)   admin: other_admin

Contracts are deployed once per module; `fn_isolation` rolls the chain back after every test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum

import brownie
import pytest
from brownie import (
    AccountingLedger,
    AttestationLedger,
    CarbonCredit,
    CertificationRegistry,
    CreditMarket,
    DeviceRegistry,
    OrganizationRegistry,
    ReentrantBuyer,
    RetirementCertificate,
    SettlementToken,
    accounts,
)
from brownie.exceptions import VirtualMachineError, decode_typed_error, parse_errors_from_abi
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector

from ledger.chain.codes import DeviceStatus, NodeKind, ResultStatus


@dataclass(frozen=True)
class Tree:
    province: int = 1
    city: int = 2
    district: int = 3
    institution: int = 4
    building: int = 5
    room: int = 6
    other_district: int = 7


def pytest_configure(config):
    # brownie 1.22's own fixtures call rpc.snapshot/revert and warn about it on every test
    config.addinivalue_line("filterwarnings", "ignore:rpc.(snapshot|revert) should not be called:FutureWarning")


@pytest.fixture(scope="module")
def deployment(org, tree, devices, ledger):
    """Everything module-scoped, built once per module right after module_isolation's reset."""
    return org, tree, devices, ledger


@pytest.fixture(autouse=True)
def isolation(fn_isolation, deployment):
    """Every test starts from the module's deployment and leaves no trace.

    brownie 1.22 under pytest 9 moves fn_isolation ahead of every other fixture, so its snapshot
    is taken before the module-scoped deployment exists on the first test of a module, and its
    revert would then wipe the contracts pytest keeps cached. Taking the snapshot again here,
    after `deployment`, makes fn_isolation's teardown revert to the deployed state.
    """
    brownie.chain.snapshot()



def _pending_nonce_trusting_the_chain(self) -> int:
    """brownie 1.22's `_pending_nonce` waits forever when its history still holds a transaction that an
    evm_revert took back (seen under heavy load: a receipt processed after fn_isolation's revert). The chain's
    nonce is the truth; give a just-mined transaction 5 s to show in it, then believe the chain."""
    sent = sorted(brownie.network.history.from_sender(self.address), key=lambda tx: tx.nonce)
    if not sent:
        return self.nonce
    last = sent[-1]
    if last.status == -1:
        return last.nonce + 1
    deadline = time.monotonic() + 5
    nonce = self.nonce
    while nonce == last.nonce and time.monotonic() < deadline:
        time.sleep(0.1)
        nonce = self.nonce
    return nonce


brownie.network.account._PrivateKeyAccount._pending_nonce = _pending_nonce_trusting_the_chain

@pytest.fixture(scope="module")
def governance():
    return accounts[0]


@pytest.fixture(scope="module")
def province_admin():
    return accounts[1]


@pytest.fixture(scope="module")
def city_admin():
    return accounts[2]


@pytest.fixture(scope="module")
def district_admin():
    return accounts[3]


@pytest.fixture(scope="module")
def institution_admin():
    return accounts[4]


@pytest.fixture(scope="module")
def other_admin():
    """Admin of the other district: a peer of district_admin with no rights over the institution."""
    return accounts[5]


@pytest.fixture(scope="module")
def oracle():
    return accounts[6]


@pytest.fixture(scope="module")
def stranger():
    return accounts[7]


@pytest.fixture(scope="module")
def org(module_isolation, governance):
    # The first deployment of every module; module_isolation resets the chain before it.
    return OrganizationRegistry.deploy(governance, {"from": governance})


@pytest.fixture(scope="module")
def tree(org, governance, province_admin, city_admin, district_admin, institution_admin, other_admin) -> Tree:
    org.createRoot(NodeKind.REGION, "Province", province_admin, {"from": governance})
    org.createNode(1, NodeKind.REGION, "City", {"from": province_admin})
    org.addNodeAdmin(2, city_admin, {"from": province_admin})
    org.createNode(2, NodeKind.REGION, "District", {"from": city_admin})
    org.addNodeAdmin(3, district_admin, {"from": city_admin})
    org.createNode(3, NodeKind.INSTITUTION, "Institution", {"from": district_admin})
    org.addNodeAdmin(4, institution_admin, {"from": district_admin})
    org.createNode(4, NodeKind.BUILDING, "Building", {"from": institution_admin})
    org.createNode(5, NodeKind.ROOM, "Room", {"from": institution_admin})
    org.createNode(2, NodeKind.REGION, "Other district", {"from": city_admin})
    org.addNodeAdmin(7, other_admin, {"from": city_admin})
    return Tree()


@pytest.fixture(scope="module")
def devices(org, tree, governance):
    return DeviceRegistry.deploy(org, {"from": governance})


@pytest.fixture(scope="module")
def ledger(devices, governance):
    return AttestationLedger.deploy(devices, {"from": governance})


@pytest.fixture(scope="module")
def accounting(org, tree, ledger, governance):
    """An AccountingLedger over the fixture tree. Not part of `deployment`: a module that uses it
    adds it there (see test_accounting_ledger.py), so that `isolation` snapshots after it."""
    return AccountingLedger.deploy(org, ledger, {"from": governance})


def _verifier(index: int):
    """A fixed account beyond anvil's ten, so no verifier shares a key with another role; it needs no
    ether because gas is free on the test chain."""
    return accounts.add((0xACC0 + index).to_bytes(32, "big"))


@pytest.fixture(scope="module")
def district_verifier():
    """Meant for the district (test_accounting_ledger.py designates all three for its module)."""
    return _verifier(1)


@pytest.fixture(scope="module")
def city_verifier():
    return _verifier(2)


@pytest.fixture(scope="module")
def other_verifier():
    """A verifier meant for the other district: no rights over the fixture institution."""
    return _verifier(3)


@pytest.fixture
def authorized_oracle(devices, tree, institution_admin, oracle):
    devices.authorizeOracle(tree.institution, oracle, {"from": institution_admin})
    return oracle


_ERRORS: dict[str, dict] = {}


def _error_abis() -> dict[str, dict]:
    """Every custom error the contracts (foundation, accounting, credits) can revert with, by name.

    One signature per name is asserted: two contracts declaring the same error differently would make
    a name ambiguous.
    """
    if not _ERRORS:
        for container in (OrganizationRegistry, DeviceRegistry, AttestationLedger, AccountingLedger, CarbonCredit,
                          CertificationRegistry, RetirementCertificate, CreditMarket, SettlementToken, ReentrantBuyer):
            parse_errors_from_abi(container.abi)  # brownie decodes only selectors it has seen
            for item in container.abi:
                if item["type"] != "error":
                    continue
                known = _ERRORS.setdefault(item["name"], item)
                types = [[i["type"] for i in error["inputs"]] for error in (known, item)]
                assert types[0] == types[1], f"two signatures for error {item['name']}"
    return _ERRORS


def encode_error(name: str, *args) -> str:
    """Revert data of custom error `name(args)`: selector ‖ abi-encoded arguments, as 0x-hex."""
    abi = _error_abis()[name]
    types = [item["type"] for item in abi["inputs"]]
    if len(types) != len(args):
        raise TypeError(f"{name} takes {len(types)} arguments, got {len(args)}")
    selector = function_signature_to_4byte_selector(f"{name}({','.join(types)})")
    return "0x" + (selector + encode(types, [_abi_value(t, a) for t, a in zip(types, args)])).hex()


def _abi_value(abi_type: str, value):
    if abi_type == "address":
        return str(value)
    if abi_type.startswith("bytes") and isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return int(value) if isinstance(value, IntEnum) else value


@contextmanager
def _reverts_with(name: str, *args) -> Iterator[None]:
    """Assert that the block reverts with custom error `name` and exactly these arguments.

    Brownie turns revert data into "Name: arg, arg" with its own table of selectors; decoding the
    data we expect with that same table makes the comparison exact in both name and arguments.
    """
    expected = decode_typed_error(encode_error(name, *args))
    assert not expected.startswith("Unknown typed error"), expected
    try:
        yield
    except VirtualMachineError as exc:
        assert exc.revert_msg == expected, f"reverted with {exc.revert_msg!r}, expected {expected!r}"
    else:
        raise AssertionError(f"did not revert; expected {expected!r}")


@pytest.fixture(scope="session")
def reverts_with():
    """`with reverts_with("DuplicateRoot", root): ...` — the custom error by name and arguments."""
    return _reverts_with


def _assert_event(tx, event_name: str, /, **fields) -> None:
    """Exactly one `event_name` event in `tx`, with exactly these fields."""
    name = event_name
    events = tx.events[name] if name in tx.events else []
    assert len(events) == 1, f"expected one {name} event, got {len(events)}"
    event = events[0]
    assert set(event.keys()) == set(fields), f"{name} fields {sorted(event.keys())} != {sorted(fields)}"
    for key, value in fields.items():
        actual = event[key]
        if isinstance(value, bytes):
            value = "0x" + value.hex()
        elif isinstance(value, IntEnum):
            value = int(value)
        elif isinstance(value, tuple):
            # a struct: brownie's ReturnValue raises when compared with a plain tuple
            actual = tuple(actual)
            value = tuple("0x" + item.hex() if isinstance(item, bytes) else item for item in value)
        assert actual == value, f"{name}.{key} = {actual!r}, expected {value!r}"


@pytest.fixture(scope="session")
def expect_event():
    """`expect_event(tx, "NodeCreated", nodeId=1, ...)` — one event with exactly these arguments."""
    return _assert_event
