// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Certified carbon-accounting results: one institution, one boundary, one period.
/// @notice An institution's admin submits a period result; a verifier designated on a Region above
///         the institution approves it (Final) or rejects it. A Final result is corrected only by a
///         restatement: a new result that names the old one and a reason, and that supersedes it
///         once it is itself Final. No record is ever overwritten: every result stays readable
///         with its status and its links (`supersedes`, `supersededBy`).
/// @dev Units and conventions shared with ledger/accounting (engine.py `to_chain_integer`):
///      - totals are integers in gCO2e (1 unit = 1 g CO2e = 10⁻³ kgCO2e), never negative;
///      - a Savings result's totals are the emissions its reporting period avoided against the
///        adjusted baseline (IPMVP option C, ledger/accounting/mv.py), per scope; an Emissions
///        result's are the period's emissions;
///      - a period is half-open, [periodStart, periodEnd) in unix seconds: consecutive periods
///        share an end and a start without overlapping;
///      - the input set is an OpenZeppelin-compatible Merkle tree (sorted-pair keccak) whose leaves
///        are `inputBatchLeaf(root)` = keccak256(keccak256(root)) of the AttestationLedger batch
///        roots the result was computed from.
interface IAccountingLedger {
    enum ResultStatus {
        None,
        Submitted, // awaiting a verifier
        Final, // approved; restatable
        Rejected, // refused by a verifier; frees its period
        Superseded // replaced by the Final restatement `supersededBy`
    }

    /// @notice What a result's scope totals measure. The overlap rule and the active lists are per
    ///         kind, so a boundary's emissions and its verified savings of one period coexist.
    enum ResultKind {
        Emissions, // the period's emissions (submitResult)
        Savings // emissions avoided in the reporting period by measured savings (submitSavingsResult)
    }

    /// @notice What a submitter states about a period; the institution and boundary are given
    ///         beside it (a restatement keeps those of the result it restates).
    struct ResultInput {
        uint40 periodStart; // unix seconds, inclusive
        uint40 periodEnd; // unix seconds, exclusive
        bytes32 methodologyId;
        bytes32 methodologyHash;
        bytes32 factorSetHash;
        uint128 scope1; // gCO2e
        uint128 scope2; // gCO2e
        uint128 scope3; // gCO2e
        bytes32 inputRoot; // Merkle root over inputBatchLeaf(batch root) of the batches used
        uint32 inputBatchCount;
        string reportCid; // the report's evidence CID; kept in ResultSubmitted, its keccak256 in storage
    }

    /// @notice A result as stored: ten slots, laid out as commented.
    struct Result {
        // slot 0
        uint64 institutionId;
        uint64 boundaryId; // the institution itself or a scene inside it
        uint40 periodStart;
        uint40 periodEnd;
        ResultStatus status;
        uint32 inputBatchCount;
        ResultKind kind; // fills slot 0; kept by restatements
        // slots 1-3
        bytes32 methodologyId;
        bytes32 methodologyHash;
        bytes32 factorSetHash;
        // slots 4-5
        uint128 scope1;
        uint128 scope2;
        uint128 scope3;
        uint64 supersedes; // the result this one restates, or 0
        uint64 supersededBy; // set once, when a restatement of this result becomes Final
        // slots 6-7
        bytes32 inputRoot;
        bytes32 reportCidHash; // keccak256 of the CID string's UTF-8 bytes
        // slot 8
        address submitter;
        uint40 submittedAt;
        // slot 9
        address verifier; // 0 until verified (approved or rejected)
        uint40 verifiedAt;
    }

    /// @notice What a claim against a result needs of it, read from three of its slots (0, 4 and 5).
    struct ResultSummary {
        uint64 institutionId;
        uint64 boundaryId;
        uint40 periodStart; // unix seconds, inclusive
        uint40 periodEnd; // unix seconds, exclusive
        ResultStatus status;
        ResultKind kind;
        uint64 supersedes;
        uint256 total; // scope1 + scope2 + scope3, gCO2e
    }

    event ResultSubmitted(
        uint64 indexed resultId,
        uint64 indexed institutionId,
        uint64 indexed boundaryId,
        address submitter,
        ResultInput input,
        ResultKind kind
    );
    event ResultVerified(
        uint64 indexed resultId,
        uint64 indexed institutionId,
        address indexed verifier,
        bool approved,
        string statement
    );
    event ResultRestated(
        uint64 indexed oldResultId,
        uint64 indexed newResultId,
        uint64 indexed institutionId,
        string reason
    );
    event ResultSuperseded(uint64 indexed oldResultId, uint64 indexed newResultId, uint64 indexed institutionId);
    event VerifierAdded(uint64 indexed regionId, address indexed account, address indexed by);
    event VerifierRemoved(uint64 indexed regionId, address indexed account, address indexed by);

    error ZeroAddress();
    /// @dev The AttestationLedger's DeviceRegistry takes its institutions from another tree.
    error OrganizationsMismatch(address organizations, address attestationsOrganizations);
    error UnknownResult(uint64 resultId);
    error NotInstitution(uint64 nodeId);
    /// @dev The caller is not an admin of `institutionId` or of a node above it.
    error NotInstitutionAdmin(uint64 institutionId, address account);
    error BoundaryOutsideInstitution(uint64 institutionId, uint64 boundaryId);
    error InvalidPeriod(uint40 periodStart, uint40 periodEnd);
    error MissingMethodology(bytes32 methodologyId, bytes32 methodologyHash);
    error MissingFactorSet();
    error EmptyInputSet(bytes32 inputRoot, uint32 inputBatchCount);
    error EmptyReportCid();
    /// @dev The same institution and boundary already have a Submitted or Final result whose
    ///      period intersects the new one.
    error OverlappingPeriod(uint64 existingResultId);
    error ResultNotSubmitted(uint64 resultId, ResultStatus status);
    error ResultNotFinal(uint64 resultId, ResultStatus status);
    /// @dev The caller is not a verifier of any Region above the result's institution.
    error VerifierOutsideTree(uint64 resultId, address account);
    /// @dev The caller submitted the result, or is a direct admin of its institution.
    error SelfVerification(uint64 resultId, address account);
    error VerificationWithoutStatement(uint64 resultId);
    error RestatementWithoutReason(uint64 resultId);
    error RestatementPending(uint64 resultId, uint64 pendingResultId);
    error NotRegion(uint64 nodeId);
    error NotRegionAdmin(uint64 regionId, address account);
    error AlreadyVerifier(uint64 regionId, address account);
    error NotVerifier(uint64 regionId, address account);
    error TooManyVerifierRegions(address account, uint256 limit);

    /// @notice Submit a result for `boundaryId` (the institution or a scene inside it) of
    ///         `institutionId`. The caller must be an admin of the institution (or above). The period
    ///         must not intersect any Submitted or Final result of the same institution and boundary.
    /// @return resultId The new result's id (sequential from 1), with status Submitted.
    function submitResult(uint64 institutionId, uint64 boundaryId, ResultInput calldata input)
        external
        returns (uint64 resultId);

    /// @notice `submitResult` for a Savings result: `input`'s totals are the emissions avoided in
    ///         its period (the reporting period), its input set covers the baseline and reporting
    ///         periods' batches and its report is the M&V report. Same rights and rules, and the
    ///         overlap rule applies among the boundary's Savings results only.
    function submitSavingsResult(uint64 institutionId, uint64 boundaryId, ResultInput calldata input)
        external
        returns (uint64 resultId);

    /// @notice Approve (→ Final) or reject (→ Rejected) a Submitted result. The caller must be a
    ///         verifier of a Region above the institution, and neither its submitter nor a direct
    ///         admin of the institution. Approving a restatement marks the result it restates
    ///         Superseded. `statement` (the verification statement's CID, or the reason for a
    ///         rejection) must not be empty; it is kept in the ResultVerified event.
    function verifyResult(uint64 resultId, bool approve, string calldata statement) external;

    /// @notice Restate a Final result: a new Submitted result of the same kind, institution and boundary
    ///         that names `oldResultId` and a non-empty reason. Its period may differ but may
    ///         intersect no Submitted or Final result other than the one restated. One restatement
    ///         of a result may be pending at a time; when it becomes Final the old one becomes
    ///         Superseded, and when it is rejected the old one simply stays Final.
    ///         The caller must be an admin of the institution (or above).
    /// @return newResultId The restatement's id.
    function restateResult(uint64 oldResultId, ResultInput calldata input, string calldata reason)
        external
        returns (uint64 newResultId);

    /// @notice Designate `account` as a verifier for Region `regionId`: it may verify results of
    ///         every institution below that region. The caller must be an admin of the region (or
    ///         above). An account may be a verifier of at most MAX_VERIFIER_REGIONS regions.
    function addVerifier(uint64 regionId, address account) external;

    /// @notice Withdraw `account`'s designation for `regionId`; the caller must be an admin of the
    ///         region (or above). Results it verified stay as they are.
    function removeVerifier(uint64 regionId, address account) external;

    /// @notice A result's record. Reverts UnknownResult.
    function resultOf(uint64 resultId) external view returns (Result memory);

    /// @notice A result's institution, boundary, period, status, kind, the result it restates and its
    ///         total over the scopes. Reverts UnknownResult.
    function summaryOf(uint64 resultId) external view returns (ResultSummary memory);

    /// @notice Number of results; ids run from 1 to resultCount().
    function resultCount() external view returns (uint64);

    /// @notice True when `account` is designated on `regionId` itself (designations above it are
    ///         not counted; they also grant the right to verify below `regionId`).
    function isVerifier(uint64 regionId, address account) external view returns (bool);

    /// @notice The regions `account` is designated on, in no particular order.
    function verifierRegions(address account) external view returns (uint64[] memory);

    /// @notice The Emissions results of an institution and boundary that hold their periods
    ///         (Submitted or Final, not Superseded), in no particular order.
    function activeResults(uint64 institutionId, uint64 boundaryId) external view returns (uint64[] memory);

    /// @notice The Final Emissions result of an institution and boundary whose period contains `timestamp`
    ///         (periodStart ≤ timestamp < periodEnd), or 0. At most one can exist.
    function finalResultAt(uint64 institutionId, uint64 boundaryId, uint40 timestamp) external view returns (uint64);

    /// @notice The Submitted restatement of `resultId`, or 0. Reverts UnknownResult.
    function pendingRestatement(uint64 resultId) external view returns (uint64);

    /// @notice True when `batchRoot` is in the result's input set (`proof` as OpenZeppelin
    ///         MerkleProof, leaf inputBatchLeaf(batchRoot)) and is a batch the AttestationLedger
    ///         anchored for the result's institution. Reverts UnknownResult.
    function isInputBatch(uint64 resultId, bytes32 batchRoot, bytes32[] calldata proof) external view returns (bool);

    /// @notice The input-set leaf of a batch: keccak256(keccak256(batchRoot)); the double hash keeps
    ///         a leaf from being read as an inner node (OpenZeppelin's advice).
    function inputBatchLeaf(bytes32 batchRoot) external pure returns (bytes32);

    /// @notice The OrganizationRegistry that grants admin rights and locates institutions.
    function organizations() external view returns (address);

    /// @notice The AttestationLedger whose batches results are computed from.
    function attestations() external view returns (address);
}
