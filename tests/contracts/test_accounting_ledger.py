"""AccountingLedger: period results, regional verifiers, overlap rule, restatements, input sets, gas.

Verifiers (conftest): district_verifier on the district, city_verifier on the city and
other_verifier on the other district, designated once for the module (see `designations`).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, replace

import pytest
from brownie import AccountingLedger, AttestationLedger, DeviceRegistry, OrganizationRegistry, ZERO_ADDRESS, web3
from brownie.test import given
from eth_utils import keccak
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from conftest import NodeKind, ResultStatus
from ledger.merkle import MerkleTree

DAY = 86_400
START_2023 = 1_672_531_200  # 2023-01-01T00:00:00Z
START_2024 = 1_704_067_200
START_2025 = 1_735_689_600
REPORT_CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
STATEMENT = "QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"  # the verification statement's CID
REASON = "grid factor for 2023 republished: 0.5703 → 0.5366 tCO2/MWh"
ZERO = b"\x00" * 32
EMISSIONS, SAVINGS = 0, 1  # IAccountingLedger.ResultKind
MAX_VERIFIER_REGIONS = 8
EIP170_CODE_LIMIT = 24_576
SUBMIT_GAS_LIMIT = 360_000  # whole transaction; measured ≈ 317k for a boundary's first result
VERIFY_GAS_LIMIT = 130_000  # measured ≈ 100k when approving a restatement (the dearest case)


@dataclass(frozen=True)
class Inputs:
    """IAccountingLedger.ResultInput, field for field. Defaults: calendar year 2023."""

    period_start: int = START_2023
    period_end: int = START_2024
    methodology_id: bytes = keccak(b"zcl.ghg-inventory@1")
    methodology_hash: bytes = keccak(b"methodology canonical json")
    factor_set_hash: bytes = keccak(b"factor set canonical json")
    scope1: int = 1_234_567_890  # gCO2e
    scope2: int = 4_321_098_765_432
    scope3: int = 2**128 - 1
    input_root: bytes = keccak(b"input set root")
    input_batch_count: int = 3
    report_cid: str = REPORT_CID

    def encode(self) -> tuple:
        return astuple(self)


def _stored(inputs: Inputs, **fields) -> dict:
    """The resultOf record a submission of `inputs` should leave, with `fields` on top."""
    record = {
        "periodStart": inputs.period_start,
        "periodEnd": inputs.period_end,
        "status": ResultStatus.SUBMITTED,
        "inputBatchCount": inputs.input_batch_count,
        "kind": EMISSIONS,
        "methodologyId": inputs.methodology_id,
        "methodologyHash": inputs.methodology_hash,
        "factorSetHash": inputs.factor_set_hash,
        "scope1": inputs.scope1,
        "scope2": inputs.scope2,
        "scope3": inputs.scope3,
        "supersedes": 0,
        "supersededBy": 0,
        "inputRoot": inputs.input_root,
        "reportCidHash": keccak(inputs.report_cid.encode()),
        "verifier": ZERO_ADDRESS,
        "verifiedAt": 0,
    }
    record.update(fields)
    return {k: "0x" + v.hex() if isinstance(v, bytes) else v for k, v in record.items()}


def _record(accounting, result_id: int) -> dict:
    return {k: str(v) if hasattr(v, "address") else v for k, v in accounting.resultOf(result_id).dict().items()}


@pytest.fixture(scope="module")
def designations(accounting, tree, district_admin, city_admin, other_admin, district_verifier, city_verifier, other_verifier):
    accounting.addVerifier(tree.district, district_verifier, {"from": district_admin})
    accounting.addVerifier(tree.city, city_verifier, {"from": city_admin})
    accounting.addVerifier(tree.other_district, other_verifier, {"from": other_admin})


@pytest.fixture(scope="module")
def deployment(deployment, accounting, designations):
    """conftest's deployment plus the AccountingLedger and its verifiers, so `isolation` keeps them."""
    return (*deployment, accounting)


@pytest.fixture
def submit(accounting, tree, institution_admin):
    def _submit(inputs: Inputs = Inputs(), *, boundary: int | None = None, sender=None, institution: int | None = None):
        institution = tree.institution if institution is None else institution
        boundary = institution if boundary is None else boundary
        return accounting.submitResult(institution, boundary, inputs.encode(), {"from": sender or institution_admin})

    return _submit


@pytest.fixture
def verify(accounting, district_verifier):
    def _verify(result_id: int, approve: bool = True, *, sender=None, statement: str = STATEMENT):
        return accounting.verifyResult(result_id, approve, statement, {"from": sender or district_verifier})

    return _verify


@pytest.fixture
def restate(accounting, institution_admin):
    def _restate(old_id: int, inputs: Inputs = Inputs(), reason: str = REASON, *, sender=None):
        return accounting.restateResult(old_id, inputs.encode(), reason, {"from": sender or institution_admin})

    return _restate


@pytest.fixture
def final_result(submit, verify) -> int:
    """Result 1: the institution's 2023, approved by the district verifier."""
    result_id = submit().return_value
    verify(result_id)
    return result_id


@pytest.fixture
def second_institution(org, tree, other_admin) -> int:
    """A hospital under the other district, with a building."""
    hospital = org.createNode(tree.other_district, NodeKind.INSTITUTION, "Hospital", {"from": other_admin}).return_value
    org.createNode(hospital, NodeKind.BUILDING, "Ward", {"from": other_admin})
    return hospital


# --- deployment -------------------------------------------------------------------------


def test_ledger_reports_its_registries(accounting, org, ledger):
    assert accounting.organizations() == org
    assert accounting.attestations() == ledger
    assert accounting.resultCount() == 0
    assert accounting.MAX_VERIFIER_REGIONS() == MAX_VERIFIER_REGIONS


def test_zero_addresses_are_rejected(org, ledger, governance, reverts_with):
    for organizations, attestations in ((ZERO_ADDRESS, ledger), (org, ZERO_ADDRESS)):
        with reverts_with("ZeroAddress"):
            AccountingLedger.deploy(organizations, attestations, {"from": governance})


def test_attestations_over_another_tree_are_rejected(org, governance, reverts_with):
    other_org = OrganizationRegistry.deploy(governance, {"from": governance})
    other_ledger = AttestationLedger.deploy(DeviceRegistry.deploy(other_org, {"from": governance}), {"from": governance})
    with reverts_with("OrganizationsMismatch", org, other_org):
        AccountingLedger.deploy(org, other_ledger, {"from": governance})


def test_contract_fits_the_code_size_limit(accounting):
    size = len(web3.eth.get_code(accounting.address))
    print(f"\nAccountingLedger: deploy gas {accounting.tx.gas_used}, runtime {size} bytes")
    assert size <= EIP170_CODE_LIMIT


# --- verifiers --------------------------------------------------------------------------


def test_region_admin_designates_a_verifier(accounting, tree, district_admin, stranger, expect_event):
    assert not accounting.isVerifier(tree.district, stranger)
    tx = accounting.addVerifier(tree.district, stranger, {"from": district_admin})
    expect_event(tx, "VerifierAdded", regionId=tree.district, account=stranger, by=district_admin)
    assert accounting.isVerifier(tree.district, stranger)
    assert not accounting.isVerifier(tree.city, stranger)
    assert list(accounting.verifierRegions(stranger)) == [tree.district]


def test_admin_above_a_region_designates_its_verifiers(accounting, tree, province_admin, stranger, expect_event):
    tx = accounting.addVerifier(tree.other_district, stranger, {"from": province_admin})
    expect_event(tx, "VerifierAdded", regionId=tree.other_district, account=stranger, by=province_admin)
    assert accounting.isVerifier(tree.other_district, stranger)


def test_only_admins_of_a_region_or_above_designate(
    accounting, tree, district_admin, institution_admin, other_admin, stranger, reverts_with
):
    for region, caller in (
        (tree.district, stranger),
        (tree.district, institution_admin),  # admin below the region
        (tree.district, other_admin),  # admin of a sibling region
        (tree.city, district_admin),  # admin below the region
    ):
        with reverts_with("NotRegionAdmin", region, caller):
            accounting.addVerifier(region, stranger, {"from": caller})
        with reverts_with("NotRegionAdmin", region, caller):
            accounting.removeVerifier(region, stranger, {"from": caller})


def test_verifiers_sit_on_regions_only(accounting, tree, province_admin, stranger, reverts_with):
    for node in (tree.institution, tree.building, tree.room):
        with reverts_with("NotRegion", node):
            accounting.addVerifier(node, stranger, {"from": province_admin})
        with reverts_with("NotRegion", node):
            accounting.removeVerifier(node, stranger, {"from": province_admin})
    for node in (0, 99):
        with reverts_with("UnknownNode", node):
            accounting.addVerifier(node, stranger, {"from": province_admin})


def test_zero_or_repeated_verifier_is_rejected(accounting, tree, district_admin, city_admin, district_verifier, reverts_with):
    with reverts_with("ZeroAddress"):
        accounting.addVerifier(tree.district, ZERO_ADDRESS, {"from": district_admin})
    with reverts_with("AlreadyVerifier", tree.district, district_verifier):
        accounting.addVerifier(tree.district, district_verifier, {"from": city_admin})


def test_removed_verifier_loses_the_right_to_verify(
    accounting, tree, submit, district_admin, district_verifier, city_verifier, expect_event, reverts_with
):
    result_id = submit().return_value
    tx = accounting.removeVerifier(tree.district, district_verifier, {"from": district_admin})
    expect_event(tx, "VerifierRemoved", regionId=tree.district, account=district_verifier, by=district_admin)
    assert not accounting.isVerifier(tree.district, district_verifier)
    assert list(accounting.verifierRegions(district_verifier)) == []
    with reverts_with("NotVerifier", tree.district, district_verifier):
        accounting.removeVerifier(tree.district, district_verifier, {"from": district_admin})
    with reverts_with("NotVerifier", tree.district, city_verifier):  # designated on the city, not here
        accounting.removeVerifier(tree.district, city_verifier, {"from": district_admin})
    with reverts_with("VerifierOutsideTree", result_id, district_verifier):
        accounting.verifyResult(result_id, True, STATEMENT, {"from": district_verifier})


def test_an_account_verifies_for_at_most_eight_regions(accounting, org, tree, province_admin, stranger, reverts_with):
    regions = [tree.province, tree.city, tree.district, tree.other_district]
    for name in ("North", "South", "East", "West", "Centre"):
        regions.append(org.createNode(tree.province, NodeKind.REGION, name, {"from": province_admin}).return_value)
    for region in regions[:MAX_VERIFIER_REGIONS]:
        accounting.addVerifier(region, stranger, {"from": province_admin})
    with reverts_with("TooManyVerifierRegions", stranger, MAX_VERIFIER_REGIONS):
        accounting.addVerifier(regions[-1], stranger, {"from": province_admin})
    accounting.removeVerifier(tree.city, stranger, {"from": province_admin})  # the last takes its place
    accounting.addVerifier(regions[-1], stranger, {"from": province_admin})
    expected = regions[:MAX_VERIFIER_REGIONS]
    expected[1] = expected.pop()
    assert list(accounting.verifierRegions(stranger)) == expected + [regions[-1]]


# --- submission -------------------------------------------------------------------------


def test_institution_admin_submits_a_result(accounting, tree, submit, institution_admin, expect_event):
    inputs = Inputs()
    tx = submit(inputs)
    assert tx.return_value == 1
    expect_event(
        tx,
        "ResultSubmitted",
        resultId=1,
        institutionId=tree.institution,
        boundaryId=tree.institution,
        submitter=institution_admin,
        input=inputs.encode(),
        kind=EMISSIONS,
    )
    assert accounting.resultCount() == 1
    assert _record(accounting, 1) == _stored(
        inputs,
        institutionId=tree.institution,
        boundaryId=tree.institution,
        submitter=str(institution_admin),
        submittedAt=tx.timestamp,
    )
    assert list(accounting.activeResults(tree.institution, tree.institution)) == [1]
    assert accounting.finalResultAt(tree.institution, tree.institution, START_2023) == 0  # not yet verified
    assert accounting.pendingRestatement(1) == 0


def test_result_ids_count_up_from_one_across_boundaries(accounting, tree, submit):
    for expected, boundary in enumerate((tree.institution, tree.building, tree.room, tree.institution), start=1):
        inputs = Inputs(period_start=START_2023 + expected * DAY, period_end=START_2023 + (expected + 1) * DAY)
        assert submit(inputs, boundary=boundary).return_value == expected
    assert accounting.resultCount() == 4
    assert accounting.resultOf(2)["boundaryId"] == tree.building


def test_admin_above_the_institution_may_submit(accounting, tree, submit, district_admin):
    submit(sender=district_admin)
    assert accounting.resultOf(1)["submitter"] == district_admin


def test_submit_by_a_non_admin_is_rejected(tree, submit, stranger, other_admin, district_verifier, reverts_with):
    for caller in (stranger, other_admin, district_verifier):
        with reverts_with("NotInstitutionAdmin", tree.institution, caller):
            submit(sender=caller)


def test_results_belong_to_institutions_only(tree, submit, province_admin, reverts_with):
    for node in (tree.district, tree.building, tree.room):
        with reverts_with("NotInstitution", node):
            submit(institution=node, boundary=tree.institution, sender=province_admin)
    with reverts_with("UnknownNode", 99):
        submit(institution=99, sender=province_admin)


def test_boundary_must_lie_inside_the_institution(tree, submit, second_institution, province_admin, reverts_with):
    ward = second_institution + 1
    for boundary in (tree.district, tree.city, tree.other_district, second_institution, ward):
        with reverts_with("BoundaryOutsideInstitution", tree.institution, boundary):
            submit(boundary=boundary, sender=province_admin)
    with reverts_with("UnknownNode", 99):
        submit(boundary=99)


@pytest.mark.parametrize(
    "change,error,args",
    [
        ({"period_end": START_2023}, "InvalidPeriod", (START_2023, START_2023)),
        ({"period_start": START_2024, "period_end": START_2023}, "InvalidPeriod", (START_2024, START_2023)),
        ({"methodology_id": ZERO}, "MissingMethodology", (ZERO, Inputs.methodology_hash)),
        ({"methodology_hash": ZERO}, "MissingMethodology", (Inputs.methodology_id, ZERO)),
        ({"factor_set_hash": ZERO}, "MissingFactorSet", ()),
        ({"input_root": ZERO}, "EmptyInputSet", (ZERO, 3)),
        ({"input_batch_count": 0}, "EmptyInputSet", (Inputs.input_root, 0)),
        ({"report_cid": ""}, "EmptyReportCid", ()),
    ],
)
def test_incomplete_result_is_rejected(submit, change, error, args, reverts_with):
    with reverts_with(error, *args):
        submit(replace(Inputs(), **change))


def test_zero_totals_are_a_valid_result(accounting, submit):
    submit(Inputs(scope1=0, scope2=0, scope3=0))
    assert tuple(accounting.resultOf(1))[10:13] == (0, 0, 0)


def test_result_occupies_ten_slots_packed_as_documented(accounting, tree, submit, verify, district_verifier):
    inputs = Inputs()
    submitted = submit(inputs)
    verified = verify(1)
    base = int.from_bytes(keccak((1).to_bytes(32, "big") + (1).to_bytes(32, "big")), "big")  # _results is slot 1

    def word(offset: int) -> int:
        return int.from_bytes(web3.eth.get_storage_at(accounting.address, base + offset), "big")

    def packed(*fields: tuple[int, int]) -> int:
        value, shift = 0, 0
        for field, bits in fields:
            value |= field << shift
            shift += bits
        return value

    def num(data: bytes | str) -> int:
        return int.from_bytes(data, "big") if isinstance(data, bytes) else int(data, 16)

    final = int(ResultStatus.FINAL)
    assert word(0) == packed(
        (tree.institution, 64), (tree.institution, 64), (START_2023, 40), (START_2024, 40), (final, 8), (3, 32)
    )
    assert [word(i) for i in (1, 2, 3)] == [num(inputs.methodology_id), num(inputs.methodology_hash), num(inputs.factor_set_hash)]
    assert word(4) == packed((inputs.scope1, 128), (inputs.scope2, 128))
    assert word(5) == packed((inputs.scope3, 128), (0, 64), (0, 64))
    assert [word(6), word(7)] == [num(inputs.input_root), num(keccak(REPORT_CID.encode()))]
    assert word(8) == packed((num(str(submitted.sender)), 160), (submitted.timestamp, 40))
    assert word(9) == packed((num(str(district_verifier)), 160), (verified.timestamp, 40))
    assert word(10) == 0


# --- overlapping periods ----------------------------------------------------------------

EXISTING = (START_2023 + 10 * DAY, START_2023 + 20 * DAY)


@pytest.mark.parametrize(
    "start_day,end_day,overlaps",
    [
        (0, 10, False),  # ends where the existing one starts
        (20, 30, False),  # starts where it ends
        (30, 40, False),
        (10, 20, True),  # the same period
        (12, 15, True),  # inside
        (5, 25, True),  # around
        (5, 11, True),  # across its start
        (19, 21, True),  # across its end
        (19.99999, 30, True),  # one second of overlap
    ],
)
def test_overlap_table(submit, start_day, end_day, overlaps, reverts_with):
    submit(Inputs(period_start=EXISTING[0], period_end=EXISTING[1]))
    candidate = Inputs(period_start=START_2023 + round(start_day * DAY), period_end=START_2023 + end_day * DAY)
    if overlaps:
        with reverts_with("OverlappingPeriod", 1):
            submit(candidate)
    else:
        assert submit(candidate).return_value == 2


def test_overlap_is_checked_per_institution_and_boundary(tree, submit, second_institution, other_admin):
    submit()
    assert submit(boundary=tree.building).return_value == 2
    assert submit(boundary=tree.room).return_value == 3
    assert submit(institution=second_institution, sender=other_admin).return_value == 4


def test_final_result_still_holds_its_period(submit, final_result, reverts_with):
    with reverts_with("OverlappingPeriod", final_result):
        submit(Inputs(period_start=START_2023 + 100 * DAY, period_end=START_2025))


def test_rejected_result_frees_its_period(accounting, tree, submit, verify, district_verifier, expect_event):
    submit()
    tx = verify(1, approve=False, statement="scope 2 omits the data centre")
    expect_event(
        tx,
        "ResultVerified",
        resultId=1,
        institutionId=tree.institution,
        verifier=district_verifier,
        approved=False,
        statement="scope 2 omits the data centre",
    )
    assert accounting.resultOf(1)["status"] == ResultStatus.REJECTED
    assert list(accounting.activeResults(tree.institution, tree.institution)) == []
    assert submit().return_value == 2
    assert accounting.resultOf(1)["status"] == ResultStatus.REJECTED  # the rejected record stays


MONTH = 30 * DAY
# ("submit", first month, months, boundary index) and ("verify", which pending result, approve)
submit_step = st.tuples(st.just("submit"), st.integers(0, 8), st.integers(1, 4), st.integers(0, 1))
verify_step = st.tuples(st.just("verify"), st.integers(0, 7), st.booleans())


@given(steps=st.lists(st.one_of(submit_step, verify_step), min_size=6, max_size=14))
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_submissions_are_refused_exactly_when_they_overlap_a_held_period(
    accounting, tree, submit, verify, reverts_with, steps
):
    """Random submissions over two boundaries, and verifications of random pending results, against a
    model of the contract's active lists: a submit reverts with the first held result it overlaps (in
    the contract's list order) or gets the next id; a rejection releases the period (swap and pop);
    finalResultAt agrees with the model at every month start. brownie's `given` rolls the chain back
    between examples."""
    boundaries = (tree.institution, tree.building)
    active: dict[int, list[int]] = {b: [] for b in boundaries}
    period: dict[int, tuple[int, int, int]] = {}  # id -> (boundary, start, end)
    pending: list[int] = []
    final: set[int] = set()
    for step in steps:
        if step[0] == "submit":
            _, first_month, months, boundary_index = step
            boundary = boundaries[boundary_index]
            start, end = START_2023 + first_month * MONTH, START_2023 + (first_month + months) * MONTH
            clash = next((i for i in active[boundary] if period[i][1] < end and start < period[i][2]), None)
            inputs = Inputs(period_start=start, period_end=end)
            if clash is not None:
                with reverts_with("OverlappingPeriod", clash):
                    submit(inputs, boundary=boundary)
                continue
            result_id = len(period) + 1
            assert submit(inputs, boundary=boundary).return_value == result_id
            period[result_id] = (boundary, start, end)
            active[boundary].append(result_id)
            pending.append(result_id)
        elif pending:
            _, pick, approve = step
            result_id = pending.pop(pick % len(pending))
            verify(result_id, approve=approve)
            if approve:
                final.add(result_id)
            else:
                held = active[period[result_id][0]]
                index = held.index(result_id)
                held[index] = held[-1]
                held.pop()
    for boundary in boundaries:
        assert list(accounting.activeResults(tree.institution, boundary)) == active[boundary]
        for month in range(16):
            t = START_2023 + month * MONTH
            expected = next((i for i in final if period[i][0] == boundary and period[i][1] <= t < period[i][2]), 0)
            assert accounting.finalResultAt(tree.institution, boundary, t) == expected


# --- verification -----------------------------------------------------------------------


def test_district_verifier_finalises_a_result(accounting, tree, submit, verify, district_verifier, expect_event):
    submit()
    tx = verify(1)
    expect_event(
        tx,
        "ResultVerified",
        resultId=1,
        institutionId=tree.institution,
        verifier=district_verifier,
        approved=True,
        statement=STATEMENT,
    )
    record = accounting.resultOf(1)
    assert record["status"] == ResultStatus.FINAL
    assert record["verifier"] == district_verifier
    assert record["verifiedAt"] == tx.timestamp
    assert list(accounting.activeResults(tree.institution, tree.institution)) == [1]
    assert accounting.finalResultAt(tree.institution, tree.institution, START_2023) == 1
    assert accounting.finalResultAt(tree.institution, tree.institution, START_2024 - 1) == 1
    assert accounting.finalResultAt(tree.institution, tree.institution, START_2024) == 0  # the end is exclusive
    assert accounting.finalResultAt(tree.institution, tree.institution, START_2023 - 1) == 0
    assert accounting.finalResultAt(tree.institution, tree.building, START_2023) == 0


def test_city_verifier_verifies_below_every_district_of_the_city(accounting, tree, submit, verify, city_verifier):
    submit(boundary=tree.room)
    verify(1, sender=city_verifier)
    assert accounting.resultOf(1)["status"] == ResultStatus.FINAL


def test_verifier_of_another_district_cannot_verify(accounting, submit, verify, other_verifier, reverts_with):
    submit()
    with reverts_with("VerifierOutsideTree", 1, other_verifier):
        verify(1, sender=other_verifier)
    assert accounting.resultOf(1)["status"] == ResultStatus.SUBMITTED


def test_admins_without_a_designation_cannot_verify(
    submit, verify, institution_admin, district_admin, province_admin, stranger, reverts_with
):
    submit()
    for caller in (institution_admin, district_admin, province_admin, stranger):
        with reverts_with("VerifierOutsideTree", 1, caller):
            verify(1, sender=caller)


def test_verifier_acts_only_on_institutions_below_its_region(
    submit, verify, district_verifier, second_institution, other_admin, reverts_with
):
    submit(institution=second_institution, sender=other_admin)
    with reverts_with("VerifierOutsideTree", 1, district_verifier):
        verify(1)


def test_verifiers_follow_the_institution_when_it_moves(
    accounting, org, tree, submit, verify, city_admin, district_verifier, other_verifier, reverts_with
):
    submit()
    org.moveNode(tree.institution, tree.other_district, {"from": city_admin})
    with reverts_with("VerifierOutsideTree", 1, district_verifier):
        verify(1)
    verify(1, sender=other_verifier)
    assert accounting.resultOf(1)["verifier"] == other_verifier


def test_submitter_cannot_verify_its_own_result(accounting, tree, submit, verify, district_admin, reverts_with):
    accounting.addVerifier(tree.district, district_admin, {"from": district_admin})
    submit(sender=district_admin)
    with reverts_with("SelfVerification", 1, district_admin):
        verify(1, sender=district_admin)


def test_institution_admin_cannot_verify_even_when_designated(
    accounting, tree, submit, verify, district_admin, institution_admin, reverts_with
):
    accounting.addVerifier(tree.district, institution_admin, {"from": district_admin})
    submit(sender=district_admin)  # someone else submits; the institution's own admin still may not verify
    with reverts_with("SelfVerification", 1, institution_admin):
        verify(1, sender=institution_admin)


def test_only_submitted_results_are_verified(accounting, submit, verify, final_result, reverts_with):
    with reverts_with("ResultNotSubmitted", final_result, ResultStatus.FINAL):
        verify(final_result)
    rejected = submit(Inputs(period_start=START_2024, period_end=START_2025)).return_value
    verify(rejected, approve=False)
    with reverts_with("ResultNotSubmitted", rejected, ResultStatus.REJECTED):
        verify(rejected, approve=False)


def test_verification_needs_a_statement(accounting, submit, verify, reverts_with):
    submit()
    for approve in (True, False):
        with reverts_with("VerificationWithoutStatement", 1):
            verify(1, approve=approve, statement="")


def test_unknown_result_is_reported(accounting, verify, restate, reverts_with):
    for result_id in (0, 1, 99):
        with reverts_with("UnknownResult", result_id):
            accounting.resultOf(result_id)
        with reverts_with("UnknownResult", result_id):
            verify(result_id)
        with reverts_with("UnknownResult", result_id):
            restate(result_id)
        with reverts_with("UnknownResult", result_id):
            accounting.pendingRestatement(result_id)
        with reverts_with("UnknownResult", result_id):
            accounting.isInputBatch(result_id, ZERO, [])


# --- restatement ------------------------------------------------------------------------


def test_restatement_chain_supersedes_and_never_overwrites(
    accounting, tree, restate, verify, final_result, institution_admin, district_verifier, city_verifier, expect_event
):
    a = final_result
    a_before = _record(accounting, a)
    b_inputs = Inputs(scope2=4_100_000_000_000, factor_set_hash=keccak(b"factor set, corrected"))
    restated = tx = restate(a, b_inputs)
    b = tx.return_value
    assert b == 2
    expect_event(tx, "ResultRestated", oldResultId=a, newResultId=b, institutionId=tree.institution, reason=REASON)
    expect_event(
        tx,
        "ResultSubmitted",
        resultId=b,
        institutionId=tree.institution,
        boundaryId=tree.institution,
        submitter=institution_admin,
        input=b_inputs.encode(),
        kind=EMISSIONS,
    )
    assert accounting.pendingRestatement(a) == b
    assert _record(accounting, a) == a_before  # still Final while B awaits its verifier
    assert accounting.finalResultAt(tree.institution, tree.institution, START_2023) == a
    assert sorted(accounting.activeResults(tree.institution, tree.institution)) == [a, b]

    tx = verify(b)
    expect_event(tx, "ResultSuperseded", oldResultId=a, newResultId=b, institutionId=tree.institution)
    assert _record(accounting, a) == {**a_before, "status": ResultStatus.SUPERSEDED, "supersededBy": b}
    assert _record(accounting, b) == _stored(
        b_inputs,
        institutionId=tree.institution,
        boundaryId=tree.institution,
        status=ResultStatus.FINAL,
        supersedes=a,
        submitter=str(institution_admin),
        submittedAt=restated.timestamp,
        verifier=str(district_verifier),
        verifiedAt=tx.timestamp,
    )
    assert accounting.pendingRestatement(a) == 0
    assert accounting.finalResultAt(tree.institution, tree.institution, START_2023) == b
    assert list(accounting.activeResults(tree.institution, tree.institution)) == [b]

    b_before = _record(accounting, b)
    c = restate(b, replace(b_inputs, scope3=7), "supplier data for scope 3 arrived").return_value
    verify(c, sender=city_verifier)
    assert _record(accounting, b) == {**b_before, "status": ResultStatus.SUPERSEDED, "supersededBy": c}
    assert accounting.resultOf(c)["supersedes"] == b
    assert accounting.resultOf(c)["status"] == ResultStatus.FINAL
    assert _record(accounting, a)["supersededBy"] == b  # the chain a → b → c stays walkable
    assert accounting.finalResultAt(tree.institution, tree.institution, START_2023) == c
    assert accounting.resultCount() == 3


def test_only_final_results_are_restated(accounting, submit, verify, restate, final_result, reverts_with):
    later = Inputs(period_start=START_2024, period_end=START_2025)
    submitted = submit(later).return_value
    with reverts_with("ResultNotFinal", submitted, ResultStatus.SUBMITTED):
        restate(submitted, later)
    verify(submitted, approve=False)
    with reverts_with("ResultNotFinal", submitted, ResultStatus.REJECTED):
        restate(submitted, later)
    replacement = restate(final_result).return_value
    verify(replacement)
    with reverts_with("ResultNotFinal", final_result, ResultStatus.SUPERSEDED):
        restate(final_result)


def test_restatement_without_a_reason_is_rejected(restate, final_result, reverts_with):
    with reverts_with("RestatementWithoutReason", final_result):
        restate(final_result, Inputs(), "")


def test_restatement_by_a_non_admin_is_rejected(restate, tree, final_result, district_verifier, other_admin, reverts_with):
    for caller in (district_verifier, other_admin):
        with reverts_with("NotInstitutionAdmin", tree.institution, caller):
            restate(final_result, sender=caller)


def test_one_restatement_at_a_time(restate, final_result, reverts_with):
    first = restate(final_result).return_value
    with reverts_with("RestatementPending", final_result, first):
        restate(final_result, Inputs(period_start=START_2023, period_end=START_2023 + DAY))


def test_rejected_restatement_leaves_the_original_final(accounting, tree, restate, verify, final_result):
    rejected = restate(final_result).return_value
    verify(rejected, approve=False)
    assert accounting.resultOf(final_result)["status"] == ResultStatus.FINAL
    assert accounting.resultOf(final_result)["supersededBy"] == 0
    assert accounting.pendingRestatement(final_result) == 0
    assert accounting.resultOf(rejected)["supersedes"] == final_result  # the failed attempt stays on record
    assert list(accounting.activeResults(tree.institution, tree.institution)) == [final_result]
    retry = restate(final_result).return_value
    assert accounting.pendingRestatement(final_result) == retry


def test_restatement_may_move_its_period_but_not_onto_another_result(
    accounting, tree, submit, restate, verify, final_result, reverts_with
):
    following = submit(Inputs(period_start=START_2024, period_end=START_2025)).return_value
    verify(following)
    with reverts_with("OverlappingPeriod", following):
        restate(final_result, Inputs(period_start=START_2023, period_end=START_2024 + DAY))
    shorter = restate(final_result, Inputs(period_start=START_2023, period_end=START_2024 - 31 * DAY)).return_value
    verify(shorter)
    assert accounting.finalResultAt(tree.institution, tree.institution, START_2024 - DAY) == 0
    assert submit(Inputs(period_start=START_2024 - 31 * DAY, period_end=START_2024)).return_value == shorter + 1


def test_restatement_is_validated_like_a_submission(restate, final_result, reverts_with):
    with reverts_with("InvalidPeriod", START_2024, START_2023):
        restate(final_result, Inputs(period_start=START_2024, period_end=START_2023))
    with reverts_with("EmptyReportCid"):
        restate(final_result, Inputs(report_cid=""))


def test_restatement_keeps_the_boundary_inside_the_institution(
    org, tree, restate, submit, verify, province_admin, second_institution, reverts_with
):
    building_result = submit(boundary=tree.building).return_value
    verify(building_result)
    org.moveNode(tree.building, second_institution, {"from": province_admin})
    with reverts_with("BoundaryOutsideInstitution", tree.institution, tree.building):
        restate(building_result, sender=province_admin)


# --- input sets -------------------------------------------------------------------------


def test_input_batch_leaf_matches_the_fixed_vector(accounting):
    """inputBatchLeaf = keccak256(keccak256(batchRoot)), pinned by a fixed vector."""
    root = bytes(range(32))
    leaf = "0x4bdf1d78fe264becbf519d25a451145aad6d551d4b9e24b1a34dca34a75a43e9"
    assert "0x" + keccak(keccak(root)).hex() == leaf
    assert accounting.inputBatchLeaf(root) == leaf


def test_input_batches_prove_membership_of_anchored_batches(
    accounting, ledger, devices, tree, submit, authorized_oracle, second_institution, other_admin, accounts
):
    ours = [keccak(b"batch %d" % i) for i in range(3)]
    for root in ours + [keccak(b"anchored, not used")]:
        previous = ledger.latestRoot(tree.institution)
        ledger.anchorBatch(tree.institution, root, previous, 96, START_2023, START_2023 + DAY, STATEMENT, {"from": authorized_oracle})
    theirs = keccak(b"hospital batch")
    devices.authorizeOracle(second_institution, accounts[8], {"from": other_admin})
    ledger.anchorBatch(second_institution, theirs, ZERO, 96, START_2023, START_2023 + DAY, STATEMENT, {"from": accounts[8]})
    never_anchored = keccak(b"never anchored")

    listed = ours + [theirs, never_anchored]
    set_tree = MerkleTree([keccak(keccak(root)) for root in listed])
    submit(Inputs(input_root=set_tree.root, input_batch_count=len(listed)))

    for index, root in enumerate(ours):
        assert accounting.isInputBatch(1, root, set_tree.proof(index))
    assert not accounting.isInputBatch(1, ours[0], set_tree.proof(1))  # wrong proof
    assert not accounting.isInputBatch(1, theirs, set_tree.proof(3))  # another institution's batch
    assert not accounting.isInputBatch(1, never_anchored, set_tree.proof(4))
    assert not accounting.isInputBatch(1, keccak(b"anchored, not used"), set_tree.proof(0))


# --- gas ----------------------------------------------------------------------------------


def test_submit_and_verify_gas_stay_bounded(accounting, tree, submit, verify, restate):
    first = submit()
    second = submit(Inputs(period_start=START_2024, period_end=START_2025))
    approve = verify(1)
    reject = verify(2, approve=False)
    for month in range(12):  # a boundary reported month by month: each submit scans the held periods
        inputs = Inputs(period_start=START_2024 + month * MONTH, period_end=START_2024 + (month + 1) * MONTH)
        twelfth = submit(inputs, boundary=tree.building)
    restatement = restate(1)
    supersede = verify(restatement.return_value)
    print(
        f"\nsubmitResult gas: first of a boundary {first.gas_used}, next {second.gas_used}, "
        f"12th of a boundary {twelfth.gas_used}; restateResult {restatement.gas_used}"
        f"\nverifyResult gas: approve {approve.gas_used}, reject {reject.gas_used}, "
        f"approve a restatement {supersede.gas_used} (46-char statement CID)"
    )
    assert max(first.gas_used, second.gas_used, twelfth.gas_used, restatement.gas_used) <= SUBMIT_GAS_LIMIT
    assert max(approve.gas_used, reject.gas_used, supersede.gas_used) <= VERIFY_GAS_LIMIT


# --- savings results ----------------------------------------------------------------------


def _submit_savings(accounting, tree, sender, inputs: Inputs = Inputs(), boundary: int | None = None):
    boundary = tree.institution if boundary is None else boundary
    return accounting.submitSavingsResult(tree.institution, boundary, inputs.encode(), {"from": sender})


def test_savings_result_is_submitted_with_its_kind(accounting, tree, institution_admin, expect_event):
    inputs = Inputs(scope1=0, scope2=4_739_193_000, scope3=0)  # 8,310 kWh avoided × 0.5703 kg/kWh, in grams
    tx = _submit_savings(accounting, tree, institution_admin, inputs)
    expect_event(
        tx,
        "ResultSubmitted",
        resultId=1,
        institutionId=tree.institution,
        boundaryId=tree.institution,
        submitter=institution_admin,
        input=inputs.encode(),
        kind=SAVINGS,
    )
    assert _record(accounting, 1) == _stored(
        inputs,
        institutionId=tree.institution,
        boundaryId=tree.institution,
        submitter=str(institution_admin),
        submittedAt=tx.timestamp,
        kind=SAVINGS,
    )
    assert tuple(accounting.summaryOf(1)) == (
        tree.institution, tree.institution, START_2023, START_2024, ResultStatus.SUBMITTED, SAVINGS, 0, 4_739_193_000
    )


def test_summary_sums_the_scopes_without_overflow(accounting, tree, submit):
    submit()
    assert accounting.summaryOf(1)["total"] == Inputs.scope1 + Inputs.scope2 + Inputs.scope3  # scope3 is 2**128 - 1
    assert accounting.summaryOf(1)["kind"] == EMISSIONS


def test_summary_carries_the_period_of_a_restatement(accounting, tree, submit, verify, restate):
    """A restatement may move its period; the summary gives the restatement's own (CarbonCredit's vintage check
    reads it there)."""
    submit()
    verify(1)
    restate(1, Inputs(period_start=START_2023 + 86_400, period_end=START_2024 - 86_400))
    summary = accounting.summaryOf(2)
    assert (summary["periodStart"], summary["periodEnd"]) == (START_2023 + 86_400, START_2024 - 86_400)
    assert (summary["periodStart"], summary["periodEnd"]) == tuple(accounting.resultOf(2))[2:4]


def test_summary_of_an_unknown_result_is_refused(accounting, reverts_with):
    with reverts_with("UnknownResult", 1):
        accounting.summaryOf(1)


def test_emissions_and_savings_of_one_period_coexist(accounting, tree, submit, verify, institution_admin):
    """The overlap rule is per kind: a boundary reports its emissions and its verified savings of 2023."""
    submit()
    _submit_savings(accounting, tree, institution_admin)
    verify(1)
    verify(2)
    assert list(accounting.activeResults(tree.institution, tree.institution)) == [1]
    assert accounting.finalResultAt(tree.institution, tree.institution, START_2023) == 1  # never the savings


def test_savings_results_of_a_boundary_cannot_overlap(accounting, tree, institution_admin, reverts_with):
    _submit_savings(accounting, tree, institution_admin)
    half = Inputs(period_start=START_2023 + 180 * DAY, period_end=START_2024 + 180 * DAY)
    with reverts_with("OverlappingPeriod", 1):
        _submit_savings(accounting, tree, institution_admin, half)
    _submit_savings(accounting, tree, institution_admin, Inputs(period_start=START_2024, period_end=START_2025))


def test_rejected_savings_result_frees_its_period(accounting, tree, verify, institution_admin):
    _submit_savings(accounting, tree, institution_admin)
    verify(1, approve=False)
    assert _submit_savings(accounting, tree, institution_admin).return_value == 2


def test_savings_restatement_keeps_its_kind_and_supersedes(
    accounting, tree, verify, restate, institution_admin, expect_event
):
    _submit_savings(accounting, tree, institution_admin)
    verify(1)
    corrected = Inputs(scope2=4_000_000_000_000)
    tx = restate(1, corrected)
    expect_event(
        tx,
        "ResultSubmitted",
        resultId=2,
        institutionId=tree.institution,
        boundaryId=tree.institution,
        submitter=institution_admin,
        input=corrected.encode(),
        kind=SAVINGS,
    )
    verify(2)
    assert tuple(accounting.summaryOf(1))[4:7] == (ResultStatus.SUPERSEDED, SAVINGS, 0)
    assert tuple(accounting.summaryOf(2))[4:7] == (ResultStatus.FINAL, SAVINGS, 1)


def test_savings_are_submitted_by_institution_admins_only(accounting, tree, district_verifier, reverts_with):
    with reverts_with("NotInstitutionAdmin", tree.institution, district_verifier):
        _submit_savings(accounting, tree, district_verifier)


def test_savings_are_submitted_for_institutions_only(accounting, tree, institution_admin, reverts_with):
    with reverts_with("NotInstitution", tree.building):
        accounting.submitSavingsResult(tree.building, tree.building, Inputs().encode(), {"from": institution_admin})


def test_savings_submission_is_validated_like_any_result(accounting, tree, institution_admin, reverts_with):
    with reverts_with("InvalidPeriod", START_2024, START_2023):
        _submit_savings(accounting, tree, institution_admin, Inputs(period_start=START_2024, period_end=START_2023))
    with reverts_with("BoundaryOutsideInstitution", tree.institution, tree.other_district):
        _submit_savings(accounting, tree, institution_admin, boundary=tree.other_district)
