// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccountingLedger} from "./IAccountingLedger.sol";

/// @title Certification of institutions as low-, near-zero- or zero-carbon, approved level by
///        level up the region tree.
/// @notice An institution applies for a level for the period of one of its Final, institution-wide
///         accounting results, citing a baseline result when the criteria ask for a reduction. The
///         retirements it claims are those the applicant itself made for the application's claim id
///         (`claimIdOf`): its one RetirementCertificate for that claim. The criteria
///         are published and versioned; `evaluate` and `evaluateApplication` are the one
///         implementation of them that the applicant, every regulator and `zcl audit` run.
///
///         Approvals go from the nearest region up (district → city → province): the approval
///         chain is the Region ancestors of the institution, nearest first, minus those whose level
///         is waived (`setLevelRequired`); it is fixed when the application is filed. Each stage is
///         decided by a direct admin of that stage's region, with a reason and a document CID; the
///         criteria are re-checked at every approval, so a result superseded meanwhile stops the
///         application. The last approval certifies the institution for the criteria's validity
///         period; a regulator of the chain may then suspend, reinstate or revoke it.
/// @dev Units as in IAccountingLedger: emissions in gCO2e, periods half-open [start, end) in unix
///      seconds. One retired credit is one tonne = 1,000,000 g.
interface ICertificationRegistry {
    enum Level {
        None,
        LowCarbon,
        NearZeroCarbon,
        ZeroCarbon
    }

    /// @dev `Expired` is never stored: statusOf returns it for a Certified or Suspended application
    ///      whose validity has ended.
    enum Status {
        None,
        Pending,
        Rejected,
        Certified,
        Suspended,
        Revoked,
        Expired
    }

    /// @notice A published version of a level's criteria. An application meets them when its net
    ///         emissions (the result's scope 1 + 2 + 3 minus the retirements backing its claim) are
    ///         at most `maxNetEmissions`, and, when `minReductionBps` > 0, its emission intensity
    ///         (gross emissions / activity) is at least `minReductionBps` basis points below the
    ///         baseline's.
    struct Criteria {
        int128 maxNetEmissions; // gCO2e; 0 for zero-carbon
        uint16 minReductionBps; // 0..10000
        uint40 validity; // seconds a certification stays valid
        bytes32 rulesHash; // keccak256 of the published rules document
        string rulesCid;
    }

    /// @notice What an institution admin files.
    struct ApplicationInput {
        uint64 institutionId;
        Level level;
        uint64 resultId; // Final, institution-wide AccountingLedger result; its period is the claim's
        uint64 baselineResultId; // Final, institution-wide, earlier result; 0 when no reduction is required
        uint64 activity; // intensity denominator in the period (e.g. floor area in m², or staff)
        uint64 baselineActivity; // the same measure in the baseline period
        string documentCid; // the application dossier
    }

    /// @notice An application as stored (four slots).
    struct Application {
        uint64 institutionId;
        Level level;
        Status status;
        uint8 approvals; // stages approved so far
        uint8 stages; // length of the approval chain
        uint32 criteriaVersion;
        uint40 periodStart;
        uint40 periodEnd;
        uint64 resultId;
        uint64 baselineResultId;
        uint64 activity;
        uint64 baselineActivity;
        address applicant;
        uint40 validFrom; // 0 until certified
        uint40 validUntil; // exclusive
        bytes32 claimId;
    }

    /// @notice The inputs and outcome of evaluating an application against its criteria.
    struct Evaluation {
        uint256 emissions; // gCO2e, scope 1 + 2 + 3 of the result
        uint256 retired; // gCO2e the applicant retired for the claim
        uint256 certificateId; // the applicant's retirement certificate for the claim, or 0
        int256 netEmissions; // emissions - retired
        int256 reductionBps; // intensity reduction against the baseline; 0 without a baseline
        bool meetsCriteria;
    }

    event CriteriaPublished(
        Level indexed level,
        uint32 indexed version,
        int128 maxNetEmissions,
        uint16 minReductionBps,
        uint40 validity,
        bytes32 rulesHash,
        string rulesCid
    );
    event LevelRequirementSet(uint64 indexed regionId, bool required, address indexed by);
    event ApplicationFiled(
        uint64 indexed applicationId,
        uint64 indexed institutionId,
        bytes32 indexed claimId,
        Level level,
        uint32 criteriaVersion,
        uint64 resultId,
        uint64 baselineResultId,
        uint256 certificateId,
        string documentCid
    );
    event ApplicationDecided(
        uint64 indexed applicationId,
        uint64 indexed regionId,
        address indexed regulator,
        uint8 stage,
        bool approved,
        string reason,
        string documentCid
    );
    event CertificationGranted(
        uint64 indexed applicationId, uint64 indexed institutionId, Level level, uint40 validFrom, uint40 validUntil
    );
    event CertificationStatusChanged(
        uint64 indexed applicationId, Status from, Status to, address indexed by, string reason
    );

    error ZeroAddress();
    error OrganizationsMismatch(address organizations, address accountingOrganizations);
    error InvalidLevel(Level level);
    error InvalidThreshold(uint16 minReductionBps);
    error ZeroValidity();
    error EmptyRulesCid();
    error NoCriteria(Level level);
    error NotRegion(uint64 nodeId);
    /// @dev Only an admin strictly above a region (or a direct admin of a root region) sets its level.
    error NotLevelAuthority(uint64 regionId, address account);
    error NotInstitution(uint64 nodeId);
    error NotInstitutionAdmin(uint64 institutionId, address account);
    error EmptyDocumentCid();
    error EmptyReason();
    error ResultNotFinal(uint64 resultId, IAccountingLedger.ResultStatus status);
    /// @dev The result is of another institution, or of a scene rather than the whole institution.
    error ResultNotInstitutionWide(uint64 resultId, uint64 institutionId);
    /// @dev The cited result is a Savings result: applications cite emissions.
    error NotEmissionsResult(uint64 resultId);
    error BaselineRequired(Level level, uint32 criteriaVersion);
    error BaselineNotEarlier(uint64 baselineResultId, uint64 resultId);
    error ZeroActivity();
    error ZeroBaselineEmissions(uint64 baselineResultId);
    error CertificatePeriodMismatch(uint256 certificateId, uint40 periodStart, uint40 periodEnd);
    error CriteriaNotMet(Level level, uint32 criteriaVersion, int256 netEmissions, int256 reductionBps);
    /// @dev The claim has a Pending, Certified, Suspended or Revoked application; only a rejection frees it.
    error ApplicationExists(bytes32 claimId, uint64 applicationId);
    error NoApprovalLevels(uint64 institutionId);
    error TooManyApprovalLevels(uint64 institutionId);
    error UnknownApplication(uint64 applicationId);
    error ApplicationNotPending(uint64 applicationId, Status status);
    /// @dev The caller regulates a later stage of the chain; `regionId` must decide first.
    error ApprovalOutOfOrder(uint64 applicationId, uint64 regionId, address account);
    /// @dev The caller is a direct admin of no region in the application's approval chain.
    error NotRegulator(uint64 applicationId, address account);
    error SelfApproval(uint64 applicationId, address account);
    error CertificationTransitionNotAllowed(uint64 applicationId, Status from, Status to);

    /// @notice Publish a new version of `level`'s criteria. DEFAULT_ADMIN_ROLE. Applications filed
    ///         from now on are judged by it; earlier ones keep the version they were filed under.
    function publishCriteria(
        Level level,
        int128 maxNetEmissions,
        uint16 minReductionBps,
        uint40 validity,
        bytes32 rulesHash,
        string calldata rulesCid
    ) external returns (uint32 version);

    /// @notice Require (default) or waive `regionId`'s stage in the approval chains below it. The
    ///         caller must be an admin of a node strictly above the region, or a direct admin of
    ///         the region when it is a root. Applications already filed keep their chains.
    function setLevelRequired(uint64 regionId, bool required) external;

    /// @notice File an application. The caller must be an admin of the institution (or above) and
    ///         is the applicant: its retirement certificate for the claim is the one counted.
    ///         Reverts CriteriaNotMet when `evaluate(input, caller)` says the criteria are not met.
    function applyFor(ApplicationInput calldata input) external returns (uint64 applicationId);

    /// @notice Approve or reject the application's current stage. The caller must be a direct
    ///         admin of that stage's region and not the applicant. An approval re-evaluates the
    ///         application (its result must still be Final); the last approval certifies.
    function decide(uint64 applicationId, bool approve, string calldata reason, string calldata documentCid)
        external;

    /// @notice Certified → Suspended. A direct admin of any region of the approval chain.
    function suspend(uint64 applicationId, string calldata reason) external;

    /// @notice Suspended → Certified (the validity period is unchanged). Same callers as suspend.
    function reinstate(uint64 applicationId, string calldata reason) external;

    /// @notice Certified | Suspended → Revoked (final). Same callers as suspend.
    function revoke(uint64 applicationId, string calldata reason) external;

    /// @notice Evaluate `input` filed by `applicant` against the level's latest criteria, as
    ///         `applyFor` would.
    function evaluate(ApplicationInput calldata input, address applicant) external view returns (Evaluation memory);

    /// @notice Evaluate a filed application against the criteria version it was filed under, as an
    ///         approval would now. Reverts UnknownApplication, ResultNotFinal, ….
    function evaluateApplication(uint64 applicationId) external view returns (Evaluation memory);

    /// @notice The claim id under which credits are retired for (institution, level, period).
    function claimIdOf(uint64 institutionId, Level level, uint40 periodStart, uint40 periodEnd)
        external
        view
        returns (bytes32);

    /// @notice The application's status now (Expired when its validity has ended).
    function statusOf(uint64 applicationId) external view returns (Status);

    /// @notice True when the application is Certified and `timestamp` is in its validity period.
    function isCertifiedAt(uint64 applicationId, uint40 timestamp) external view returns (bool);

    /// @notice Reverts UnknownApplication.
    function applicationOf(uint64 applicationId) external view returns (Application memory);

    /// @notice The regions that decide the application, in order. Reverts UnknownApplication.
    function approvalChainOf(uint64 applicationId) external view returns (uint64[] memory);

    /// @notice The approval chain an application of `institutionId` filed now would get.
    function approvalChainFor(uint64 institutionId) external view returns (uint64[] memory);

    /// @notice The application currently holding a claim (not Rejected), or 0.
    function applicationForClaim(bytes32 claimId) external view returns (uint64);

    /// @notice Reverts NoCriteria when the version does not exist.
    function criteriaOf(Level level, uint32 version) external view returns (Criteria memory);

    /// @notice The latest criteria version of `level` (0 when none is published).
    function latestCriteriaVersion(Level level) external view returns (uint32);

    function isLevelRequired(uint64 regionId) external view returns (bool);

    function applicationCount() external view returns (uint64);

    function organizations() external view returns (address);

    function accounting() external view returns (address);

    function retirementCertificates() external view returns (address);
}
