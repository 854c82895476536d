// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAccountingLedger} from "./interfaces/IAccountingLedger.sol";
import {ICertificationRegistry} from "./interfaces/ICertificationRegistry.sol";
import {IOrganizationRegistry} from "./interfaces/IOrganizationRegistry.sol";
import {IRetirementCertificate} from "./interfaces/IRetirementCertificate.sol";

/// @title Low-, near-zero- and zero-carbon certification of institutions, with staged regional
///        approvals and published, versioned criteria.
/// @notice Governance (DEFAULT_ADMIN_ROLE) publishes criteria; everything else takes its rights
///         from the OrganizationRegistry: institution admins apply, region admins decide.
/// @dev Facts come from their own contracts and are read, never copied by a caller: the period and
///      emissions from a Final AccountingLedger result, the retired tonnes from the one retirement
///      certificate backing the application's claim id. The approval chain is snapshotted per
///      application (one slot per stage) so that a later waiver cannot change who must decide.
///      Regulators are direct admins of a stage's region: an admin of a higher region is an
///      admin of the lower one too (subtree rule), and counting that would let a province decide
///      the district's stage.
contract CertificationRegistry is AccessControl, ICertificationRegistry {
    uint256 private constant _MAX_STAGES = 8;
    uint256 private constant _GRAMS_PER_TONNE = 1_000_000;
    uint256 private constant _BPS = 10_000;

    IOrganizationRegistry private immutable _organizations;
    IAccountingLedger private immutable _accounting;
    IRetirementCertificate private immutable _certificates;

    uint64 private _applicationCount;
    mapping(Level level => uint32 version) private _latestVersions;
    mapping(Level level => mapping(uint32 version => Criteria)) private _criteria;
    mapping(uint64 regionId => bool) private _waived;
    mapping(uint64 applicationId => Application) private _applications;
    mapping(uint64 applicationId => mapping(uint256 stage => uint64 regionId)) private _chains;
    mapping(bytes32 claimId => uint64 applicationId) private _claims;

    /// @param governance Receives DEFAULT_ADMIN_ROLE (publishes criteria).
    /// @param organizations_ The OrganizationRegistry of institutions and regions.
    /// @param accounting_ The AccountingLedger whose Final results applications cite; it must use
    ///        the same OrganizationRegistry.
    /// @param certificates_ The RetirementCertificate contract (CarbonCredit.certificates()).
    constructor(address governance, address organizations_, address accounting_, address certificates_) {
        if (
            governance == address(0) || organizations_ == address(0) || accounting_ == address(0)
                || certificates_ == address(0)
        ) revert ZeroAddress();
        address accountingOrganizations = IAccountingLedger(accounting_).organizations();
        if (accountingOrganizations != organizations_) {
            revert OrganizationsMismatch(organizations_, accountingOrganizations);
        }
        _organizations = IOrganizationRegistry(organizations_);
        _accounting = IAccountingLedger(accounting_);
        _certificates = IRetirementCertificate(certificates_);
        _grantRole(DEFAULT_ADMIN_ROLE, governance);
    }

    // --- criteria and levels ------------------------------------------------------------------

    /// @inheritdoc ICertificationRegistry
    function publishCriteria(
        Level level,
        int128 maxNetEmissions,
        uint16 minReductionBps,
        uint40 validity,
        bytes32 rulesHash,
        string calldata rulesCid
    ) external onlyRole(DEFAULT_ADMIN_ROLE) returns (uint32 version) {
        if (level == Level.None) revert InvalidLevel(level);
        if (minReductionBps > _BPS) revert InvalidThreshold(minReductionBps);
        if (validity == 0) revert ZeroValidity();
        if (bytes(rulesCid).length == 0) revert EmptyRulesCid();
        version = ++_latestVersions[level];
        _criteria[level][version] = Criteria({
            maxNetEmissions: maxNetEmissions,
            minReductionBps: minReductionBps,
            validity: validity,
            rulesHash: rulesHash,
            rulesCid: rulesCid
        });
        emit CriteriaPublished(level, version, maxNetEmissions, minReductionBps, validity, rulesHash, rulesCid);
    }

    /// @inheritdoc ICertificationRegistry
    /// @dev Reverts IOrganizationRegistry.UnknownNode for a node that does not exist.
    function setLevelRequired(uint64 regionId, bool required) external {
        IOrganizationRegistry.Node memory node = _organizations.nodeOf(regionId);
        if (node.kind != IOrganizationRegistry.NodeKind.Region) revert NotRegion(regionId);
        bool allowed = node.parentId == 0
            ? _organizations.isDirectAdmin(regionId, msg.sender)
            : _organizations.isAdmin(node.parentId, msg.sender);
        if (!allowed) revert NotLevelAuthority(regionId, msg.sender);
        _waived[regionId] = !required;
        emit LevelRequirementSet(regionId, required, msg.sender);
    }

    // --- applications -------------------------------------------------------------------------

    /// @inheritdoc ICertificationRegistry
    function applyFor(ApplicationInput calldata input) external returns (uint64 applicationId) {
        uint64 institutionId = input.institutionId;
        if (_organizations.institutionOf(institutionId) != institutionId) revert NotInstitution(institutionId);
        if (!_organizations.isAdmin(institutionId, msg.sender)) revert NotInstitutionAdmin(institutionId, msg.sender);
        if (bytes(input.documentCid).length == 0) revert EmptyDocumentCid();
        Application memory application;
        application.criteriaVersion = _latestVersion(input.level);
        Evaluation memory evaluation;
        (evaluation, application.periodStart, application.periodEnd, application.claimId) =
            _evaluate(input, msg.sender, application.criteriaVersion);
        _checkMeets(input.level, application.criteriaVersion, evaluation);
        uint64 holder = _claims[application.claimId];
        if (holder != 0) revert ApplicationExists(application.claimId, holder);

        applicationId = ++_applicationCount;
        uint64[] memory chain = _chainFor(institutionId);
        for (uint256 stage = 0; stage < chain.length; ++stage) {
            _chains[applicationId][stage] = chain[stage];
        }
        _claims[application.claimId] = applicationId;
        application.institutionId = institutionId;
        application.level = input.level;
        application.status = Status.Pending;
        application.stages = uint8(chain.length);
        application.resultId = input.resultId;
        application.baselineResultId = input.baselineResultId;
        application.activity = input.activity;
        application.baselineActivity = input.baselineActivity;
        application.applicant = msg.sender;
        _applications[applicationId] = application;
        emit ApplicationFiled(
            applicationId,
            institutionId,
            application.claimId,
            input.level,
            application.criteriaVersion,
            input.resultId,
            input.baselineResultId,
            evaluation.certificateId,
            input.documentCid
        );
    }

    /// @inheritdoc ICertificationRegistry
    function decide(uint64 applicationId, bool approve, string calldata reason, string calldata documentCid)
        external
    {
        Application storage application = _known(applicationId);
        if (application.status != Status.Pending) revert ApplicationNotPending(applicationId, application.status);
        uint8 stage = application.approvals;
        uint64 regionId = _chains[applicationId][stage];
        if (!_organizations.isDirectAdmin(regionId, msg.sender)) {
            if (_regulates(applicationId, application.stages, msg.sender)) {
                revert ApprovalOutOfOrder(applicationId, regionId, msg.sender);
            }
            revert NotRegulator(applicationId, msg.sender);
        }
        if (msg.sender == application.applicant) revert SelfApproval(applicationId, msg.sender);
        if (bytes(reason).length == 0) revert EmptyReason();
        if (bytes(documentCid).length == 0) revert EmptyDocumentCid();

        if (!approve) {
            application.status = Status.Rejected;
            delete _claims[application.claimId];
            emit ApplicationDecided(applicationId, regionId, msg.sender, stage, false, reason, documentCid);
            return;
        }
        (Evaluation memory evaluation,,,) =
            _evaluate(_inputOf(application), application.applicant, application.criteriaVersion);
        _checkMeets(application.level, application.criteriaVersion, evaluation);
        application.approvals = stage + 1;
        emit ApplicationDecided(applicationId, regionId, msg.sender, stage, true, reason, documentCid);
        if (stage + 1 == application.stages) {
            uint40 validFrom = uint40(block.timestamp);
            uint40 validUntil = validFrom + _criteria[application.level][application.criteriaVersion].validity;
            application.status = Status.Certified;
            application.validFrom = validFrom;
            application.validUntil = validUntil;
            emit CertificationGranted(
                applicationId, application.institutionId, application.level, validFrom, validUntil
            );
        }
    }

    /// @inheritdoc ICertificationRegistry
    function suspend(uint64 applicationId, string calldata reason) external {
        _transition(applicationId, Status.Suspended, reason);
    }

    /// @inheritdoc ICertificationRegistry
    function reinstate(uint64 applicationId, string calldata reason) external {
        _transition(applicationId, Status.Certified, reason);
    }

    /// @inheritdoc ICertificationRegistry
    function revoke(uint64 applicationId, string calldata reason) external {
        _transition(applicationId, Status.Revoked, reason);
    }

    // --- views --------------------------------------------------------------------------------

    /// @inheritdoc ICertificationRegistry
    function evaluate(ApplicationInput calldata input, address applicant)
        external
        view
        returns (Evaluation memory evaluation)
    {
        (evaluation,,,) = _evaluate(input, applicant, _latestVersion(input.level));
    }

    /// @inheritdoc ICertificationRegistry
    function evaluateApplication(uint64 applicationId) external view returns (Evaluation memory evaluation) {
        Application storage application = _known(applicationId);
        (evaluation,,,) = _evaluate(_inputOf(application), application.applicant, application.criteriaVersion);
    }

    /// @inheritdoc ICertificationRegistry
    function claimIdOf(uint64 institutionId, Level level, uint40 periodStart, uint40 periodEnd)
        external
        view
        returns (bytes32)
    {
        return _claimIdOf(institutionId, level, periodStart, periodEnd);
    }

    /// @inheritdoc ICertificationRegistry
    function statusOf(uint64 applicationId) public view returns (Status) {
        Application storage application = _known(applicationId);
        Status status = application.status;
        if ((status == Status.Certified || status == Status.Suspended) && block.timestamp >= application.validUntil) {
            return Status.Expired;
        }
        return status;
    }

    /// @inheritdoc ICertificationRegistry
    function isCertifiedAt(uint64 applicationId, uint40 timestamp) external view returns (bool) {
        Application storage application = _known(applicationId);
        return application.status == Status.Certified && application.validFrom <= timestamp
            && timestamp < application.validUntil;
    }

    /// @inheritdoc ICertificationRegistry
    function applicationOf(uint64 applicationId) external view returns (Application memory) {
        return _known(applicationId);
    }

    /// @inheritdoc ICertificationRegistry
    function approvalChainOf(uint64 applicationId) external view returns (uint64[] memory chain) {
        uint8 stages = _known(applicationId).stages;
        chain = new uint64[](stages);
        for (uint256 stage = 0; stage < stages; ++stage) {
            chain[stage] = _chains[applicationId][stage];
        }
    }

    /// @inheritdoc ICertificationRegistry
    /// @dev Reverts NotInstitution, NoApprovalLevels, TooManyApprovalLevels as applyFor would.
    function approvalChainFor(uint64 institutionId) external view returns (uint64[] memory) {
        if (_organizations.institutionOf(institutionId) != institutionId) revert NotInstitution(institutionId);
        return _chainFor(institutionId);
    }

    /// @inheritdoc ICertificationRegistry
    function applicationForClaim(bytes32 claimId) external view returns (uint64) {
        return _claims[claimId];
    }

    /// @inheritdoc ICertificationRegistry
    function criteriaOf(Level level, uint32 version) external view returns (Criteria memory) {
        if (version == 0 || version > _latestVersions[level]) revert NoCriteria(level);
        return _criteria[level][version];
    }

    /// @inheritdoc ICertificationRegistry
    function latestCriteriaVersion(Level level) external view returns (uint32) {
        return _latestVersions[level];
    }

    /// @inheritdoc ICertificationRegistry
    function isLevelRequired(uint64 regionId) external view returns (bool) {
        return !_waived[regionId];
    }

    /// @inheritdoc ICertificationRegistry
    function applicationCount() external view returns (uint64) {
        return _applicationCount;
    }

    /// @inheritdoc ICertificationRegistry
    function organizations() external view returns (address) {
        return address(_organizations);
    }

    /// @inheritdoc ICertificationRegistry
    function accounting() external view returns (address) {
        return address(_accounting);
    }

    /// @inheritdoc ICertificationRegistry
    function retirementCertificates() external view returns (address) {
        return address(_certificates);
    }

    // --- internals ----------------------------------------------------------------------------

    /// @dev The one implementation of the criteria. Reverts on inputs that cannot be judged (a
    ///      result that is not Final or not the institution's, a missing or later baseline, zero
    ///      activity, a certificate for another period); returns whether the criteria are met.
    ///      The retirements counted are the applicant's certificate for the claim. The intensity
    ///      ratio is rounded up, so the reduction is never overstated.
    function _evaluate(ApplicationInput memory input, address applicant, uint32 version)
        private
        view
        returns (Evaluation memory evaluation, uint40 periodStart, uint40 periodEnd, bytes32 claimId)
    {
        IAccountingLedger.Result memory result = _finalResult(input.resultId, input.institutionId);
        periodStart = result.periodStart;
        periodEnd = result.periodEnd;
        evaluation.emissions = _total(result);
        claimId = _claimIdOf(input.institutionId, input.level, periodStart, periodEnd);
        evaluation.certificateId = _certificates.certificateForClaim(
            IRetirementCertificate.ClaimKind.CertificationApplication, claimId, applicant
        );
        if (evaluation.certificateId != 0) {
            IRetirementCertificate.Certificate memory certificate =
                _certificates.certificateOf(evaluation.certificateId);
            if (certificate.periodStart != periodStart || certificate.periodEnd != periodEnd) {
                revert CertificatePeriodMismatch(
                    evaluation.certificateId, certificate.periodStart, certificate.periodEnd
                );
            }
            evaluation.retired = uint256(certificate.tonnes) * _GRAMS_PER_TONNE;
        }
        evaluation.netEmissions = int256(evaluation.emissions) - int256(evaluation.retired);

        Criteria storage criteria = _criteria[input.level][version];
        uint16 minReductionBps = criteria.minReductionBps;
        if (minReductionBps != 0 && input.baselineResultId == 0) revert BaselineRequired(input.level, version);
        if (input.baselineResultId != 0) {
            IAccountingLedger.Result memory baseline = _finalResult(input.baselineResultId, input.institutionId);
            if (baseline.periodEnd > periodStart) revert BaselineNotEarlier(input.baselineResultId, input.resultId);
            if (input.activity == 0 || input.baselineActivity == 0) revert ZeroActivity();
            uint256 baselineEmissions = _total(baseline);
            if (baselineEmissions == 0) revert ZeroBaselineEmissions(input.baselineResultId);
            // (E / A) / (Eb / Ab) = E·Ab / (Eb·A), in basis points
            uint256 ratioBps = Math.mulDiv(
                evaluation.emissions * input.baselineActivity,
                _BPS,
                baselineEmissions * input.activity,
                Math.Rounding.Ceil
            );
            evaluation.reductionBps = int256(_BPS) - int256(ratioBps);
        }
        evaluation.meetsCriteria = evaluation.netEmissions <= criteria.maxNetEmissions
            && evaluation.reductionBps >= int256(uint256(minReductionBps));
    }

    function _checkMeets(Level level, uint32 version, Evaluation memory evaluation) private pure {
        if (!evaluation.meetsCriteria) {
            revert CriteriaNotMet(level, version, evaluation.netEmissions, evaluation.reductionBps);
        }
    }

    /// @dev A Final Emissions result covering the whole institution (its boundary is the institution node).
    ///      Reverts IAccountingLedger.UnknownResult (from the ledger) for an unknown id.
    function _finalResult(uint64 resultId, uint64 institutionId)
        private
        view
        returns (IAccountingLedger.Result memory result)
    {
        result = _accounting.resultOf(resultId);
        if (result.institutionId != institutionId || result.boundaryId != institutionId) {
            revert ResultNotInstitutionWide(resultId, institutionId);
        }
        if (result.kind != IAccountingLedger.ResultKind.Emissions) revert NotEmissionsResult(resultId);
        if (result.status != IAccountingLedger.ResultStatus.Final) revert ResultNotFinal(resultId, result.status);
    }

    /// @dev The Region ancestors of an institution that are not waived, nearest first.
    function _chainFor(uint64 institutionId) private view returns (uint64[] memory chain) {
        chain = new uint64[](_MAX_STAGES);
        uint256 stages = 0;
        for (uint64 id = _organizations.nodeOf(institutionId).parentId; id != 0;) {
            IOrganizationRegistry.Node memory node = _organizations.nodeOf(id);
            if (node.kind == IOrganizationRegistry.NodeKind.Region && !_waived[id]) {
                if (stages == _MAX_STAGES) revert TooManyApprovalLevels(institutionId);
                chain[stages++] = id;
            }
            id = node.parentId;
        }
        if (stages == 0) revert NoApprovalLevels(institutionId);
        assembly ("memory-safe") {
            mstore(chain, stages) // shrink the array to the stages found
        }
    }

    /// @dev True when `account` is a direct admin of any region of the application's chain.
    function _regulates(uint64 applicationId, uint8 stages, address account) private view returns (bool) {
        for (uint256 stage = 0; stage < stages; ++stage) {
            if (_organizations.isDirectAdmin(_chains[applicationId][stage], account)) return true;
        }
        return false;
    }

    /// @dev Certified → Suspended, Suspended → Certified, Certified | Suspended → Revoked.
    function _transition(uint64 applicationId, Status to, string calldata reason) private {
        Application storage application = _known(applicationId);
        if (!_regulates(applicationId, application.stages, msg.sender)) revert NotRegulator(applicationId, msg.sender);
        if (bytes(reason).length == 0) revert EmptyReason();
        Status from = application.status;
        bool allowed = (from == Status.Certified && to == Status.Suspended)
            || (from == Status.Suspended && to == Status.Certified)
            || ((from == Status.Certified || from == Status.Suspended) && to == Status.Revoked);
        if (!allowed) revert CertificationTransitionNotAllowed(applicationId, from, to);
        application.status = to;
        emit CertificationStatusChanged(applicationId, from, to, msg.sender, reason);
    }

    function _latestVersion(Level level) private view returns (uint32 version) {
        if (level == Level.None) revert InvalidLevel(level);
        version = _latestVersions[level];
        if (version == 0) revert NoCriteria(level);
    }

    function _inputOf(Application storage application) private view returns (ApplicationInput memory) {
        return ApplicationInput({
            institutionId: application.institutionId,
            level: application.level,
            resultId: application.resultId,
            baselineResultId: application.baselineResultId,
            activity: application.activity,
            baselineActivity: application.baselineActivity,
            documentCid: ""
        });
    }

    function _known(uint64 applicationId) private view returns (Application storage application) {
        if (applicationId == 0 || applicationId > _applicationCount) revert UnknownApplication(applicationId);
        return _applications[applicationId];
    }

    /// @dev Bound to this chain and registry, so a claim id can back nothing anywhere else.
    function _claimIdOf(uint64 institutionId, Level level, uint40 periodStart, uint40 periodEnd)
        private
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(block.chainid, address(this), institutionId, level, periodStart, periodEnd));
    }

    function _total(IAccountingLedger.Result memory result) private pure returns (uint256) {
        return uint256(result.scope1) + result.scope2 + result.scope3;
    }
}
