"""Fixtures for the credit contracts: CarbonCredit (+ its RetirementCertificate), CreditMarket and
the settlement token, on top of conftest's organisation tree.

Import the fixtures with `from credit_fixtures import *` in a test module, helpers by name. Two
of conftest's fixtures are overridden for those modules only (conftest's `reverts_with` already
knows every contract's custom errors):

- `deployment` also builds the credit contracts, so conftest's `isolation` snapshots after them
  (see its docstring: a module fixture first built after that snapshot would be wiped);
- `expect_event` compares struct and array fields too (serial ranges, batch ids), through `plain`.

The catalogue every module starts from (ids in creation order):

    class 1  ZCL-VERIFIED-SAVINGS / ZCL-MV-OPTION-C-v1   internal
    class 2  VCS / VM0038                                external
    project 1  class 1, the institution's own reductions (tree.institution)
    project 2  class 2, an external VCS project (no institution)
    AccountingLedger result 1 (SAVINGS_RESULT)  the institution's 2024 savings, 1,000,000.4 t, Final
        (verified by conftest's district_verifier, designated on the district); verifications of
        project 1 cite it. Its period is the year 2024 in China Standard Time, [START_2024, START_2025),
        the calendar the ledger cuts periods and CarbonCredit reads vintages in: verifications of
        vintage 2024 only may cite it (any other: VintageOutsideSavingsPeriod)

Not in the catalogue (result ids are the module's to number): `file_savings_result` files a further
Final Savings result, and the function-scoped `savings_2025` the institution's 2025 savings with it,
for the tests that verify a second vintage of project 1.
"""

from __future__ import annotations

import pytest
from brownie import (
    CarbonCredit,
    CreditMarket,
    RetirementCertificate,
    SettlementToken,
    accounts,
)
from eth_utils import keccak

from ledger.accounting.factors import Period
from ledger.accounting.metered import period_bounds
from ledger.chain.codes import ClaimKind, token_id  # noqa: F401  (re-exported to the credit test modules)

# What `from credit_fixtures import *` brings in: the fixtures (pytest finds them in the test
# module's namespace). Helpers and constants are imported by name.
__all__ = [
    "deployment",
    "expect_event",
    "verifier",
    "issuer",
    "holder",
    "buyer",
    "trader",
    "outsider",
    "credits",
    "certificates",
    "settlement",
    "market",
    "catalog",
    "savings_result",
    "savings_2025",
    "verified",
    "issued",
    "external_issued",
]

URI = "https://ledger.example/credits/{id}.json"
CID = "QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"
VINTAGE = 2024
PRICE = 130_000_000  # 130 settlement tokens (6 decimals) per tonne, the seed's offset price in yuan
SAVINGS_RESULT = 1
SAVINGS_GRAMS = 1_000_000_400_000  # 1,000,000.4 t avoided: 1,000,000 whole tonnes may be verified
# 1 January 00:00 China Standard Time (UTC+8), as ledger.accounting.metered cuts result periods
START_2024, START_2025 = period_bounds(Period.year(2024))
START_2026 = period_bounds(Period.year(2025))[1]
SAVINGS_2025_GRAMS = 500_000_000_000  # 500 t


class Catalog:
    savings_class = 1
    vcs_class = 2
    own_project = 1
    vcs_project = 2


def plain(value):
    """A contract return value (or an expectation) as plain Python: tuples, ints, bools, bytes, str.

    Brownie 1.22.2's compiled ReturnValue and Wei cannot be compared with tuples of plain ints.
    """
    if isinstance(value, (list, tuple)):
        return tuple(plain(item) for item in value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if hasattr(value, "address"):  # Account, Contract
        return str(value.address)
    return str(value)


def verification_id(label: str) -> bytes:
    return keccak(text=f"verification:{label}")


def savings_input(grams: int = SAVINGS_GRAMS, start: int = START_2024, end: int = START_2025, label: str = "") -> tuple:
    """IAccountingLedger.ResultInput of an M&V savings result: `grams` avoided, split 10/80/10 over scopes."""
    s1, s2 = grams // 10, grams * 8 // 10
    return (start, end, keccak(text="zcl.mv-option-c@1"), keccak(text="methodology"), keccak(text="factors" + label),
            s1, s2, grams - s1 - s2, keccak(text="inputs" + label), 2, CID)


# --- accounts -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def verifier():
    return accounts[8]


@pytest.fixture(scope="module")
def issuer():
    return accounts[9]


@pytest.fixture(scope="module")
def holder():
    """The institution's admin: receives the institution's own credits."""
    return accounts[4]


@pytest.fixture(scope="module")
def buyer():
    return accounts[7]


@pytest.fixture(scope="module")
def trader():
    return accounts[5]


@pytest.fixture(scope="module")
def outsider():
    """Holds no role, has approved nothing and owns no settlement tokens."""
    return accounts[6]


# --- contracts ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def credits(accounting, governance, verifier, issuer):
    contract = CarbonCredit.deploy(governance, accounting, URI, {"from": governance})
    contract.grantRole(contract.VERIFIER_ROLE(), verifier, {"from": governance})
    contract.grantRole(contract.ISSUER_ROLE(), issuer, {"from": governance})
    return contract


@pytest.fixture(scope="module")
def certificates(credits):
    return RetirementCertificate.at(credits.certificates())


@pytest.fixture(scope="module")
def settlement(governance, holder, buyer, trader):
    token = SettlementToken.deploy(governance, {"from": governance})
    for account in (holder, buyer, trader):
        token.mint(account, 1_000_000 * 10**6, {"from": governance})
    return token


@pytest.fixture(scope="module")
def market(credits, settlement, holder, buyer, trader):
    contract = CreditMarket.deploy(credits, settlement, {"from": holder})
    for account in (holder, buyer, trader):
        credits.setApprovalForAll(contract, True, {"from": account})
        settlement.approve(contract, 2**256 - 1, {"from": account})
    return contract


@pytest.fixture(scope="module")
def catalog(credits, tree, governance, issuer) -> Catalog:
    credits.createCreditClass("ZCL-VERIFIED-SAVINGS", "ZCL-MV-OPTION-C-v1", False, {"from": governance})
    credits.createCreditClass("VCS", "VM0038", True, {"from": governance})
    credits.registerProject(Catalog.savings_class, tree.institution, "Institution retrofit savings", {"from": issuer})
    credits.registerProject(Catalog.vcs_class, 0, "VCS 4321 EV charging", {"from": issuer})
    return Catalog()


@pytest.fixture(scope="module")
def savings_result(accounting, tree, district_admin, district_verifier, institution_admin) -> int:
    """The institution's 2024 savings, submitted by its admin and made Final by the district's verifier."""
    accounting.addVerifier(tree.district, district_verifier, {"from": district_admin})
    tx = accounting.submitSavingsResult(
        tree.institution, tree.institution, savings_input(), {"from": institution_admin}
    )
    accounting.verifyResult(tx.return_value, True, CID, {"from": district_verifier})
    assert tx.return_value == SAVINGS_RESULT
    return SAVINGS_RESULT


def file_savings_result(accounting, tree, institution_admin, district_verifier, inputs: tuple) -> int:
    """Submit the institution-wide Savings result `inputs` (savings_input) and make it Final; its id.
    The district verifier must be designated already (the `savings_result` fixture does it)."""
    result_id = accounting.submitSavingsResult(
        tree.institution, tree.institution, inputs, {"from": institution_admin}
    ).return_value
    accounting.verifyResult(result_id, True, CID, {"from": district_verifier})
    return result_id


@pytest.fixture
def savings_2025(accounting, tree, institution_admin, district_verifier, savings_result) -> int:
    """The institution's 2025 savings (China Standard Time year), 500 t, Final: what a vintage-2025
    verification of project 1 cites. Its id follows the module's results."""
    inputs = savings_input(SAVINGS_2025_GRAMS, START_2025, START_2026, label="2025")
    return file_savings_result(accounting, tree, institution_admin, district_verifier, inputs)


@pytest.fixture(scope="module")
def deployment(org, tree, accounting, credits, certificates, settlement, market, catalog, savings_result):
    """Overrides conftest's: everything module-scoped, built right after module_isolation's reset."""
    return org, tree, accounting, credits, certificates, settlement, market, catalog, savings_result


# --- function-scoped states -----------------------------------------------------------------


@pytest.fixture
def verified(credits, catalog, verifier, savings_result) -> bytes:
    """100 t of the institution's 2024 savings verified against its savings result (verification id returned)."""
    vid = verification_id("own-2024")
    credits.approveVerification(vid, catalog.own_project, VINTAGE, 100, savings_result, CID, {"from": verifier})
    return vid


@pytest.fixture
def issued(credits, catalog, verified, issuer, holder) -> int:
    """60 t of the savings credits (serials 1..60) issued to `holder`; returns the token id."""
    credits.issue(verified, holder, 60, {"from": issuer})
    return token_id(catalog.savings_class, catalog.own_project, VINTAGE)


@pytest.fixture
def external_issued(credits, catalog, verifier, issuer, holder) -> int:
    """50 t of VCS credits (serials 1..50) imported to `holder`; returns the token id."""
    vid = verification_id("vcs-2024")
    credits.approveVerification(vid, catalog.vcs_project, VINTAGE, 50, 0, CID, {"from": verifier})
    credits.importExternalCredits(vid, holder, 50, "VCS-4321-2024-000001-000050", {"from": issuer})
    return token_id(catalog.vcs_class, catalog.vcs_project, VINTAGE)


# --- reverts --------------------------------------------------------------------------------

def _assert_event(tx, name: str, /, **fields) -> None:
    """Exactly one `name` event in `tx`, with exactly these fields (compared as plain values)."""
    events = tx.events[name] if name in tx.events else []
    assert len(events) == 1, f"expected one {name} event, got {len(events)}"
    event = events[0]
    assert set(event.keys()) == set(fields), f"{name} fields {sorted(event.keys())} != {sorted(fields)}"
    for key, value in fields.items():
        actual, expected = plain(event[key]), plain(value)
        if isinstance(actual, str) and isinstance(expected, bytes):
            expected = "0x" + expected.hex()  # brownie gives bytesN event fields as 0x-strings
        assert actual == expected, f"{name}.{key} = {actual!r}, expected {expected!r}"


@pytest.fixture(scope="session")
def expect_event():
    """Overrides conftest's: `expect_event(tx, "CreditsRetired", ranges=[(tid, 1, 10)], ...)`."""
    return _assert_event
