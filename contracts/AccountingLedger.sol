// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IAccountingLedger} from "./interfaces/IAccountingLedger.sol";
import {IAttestationLedger} from "./interfaces/IAttestationLedger.sol";
import {IDeviceRegistry} from "./interfaces/IDeviceRegistry.sol";
import {IOrganizationRegistry} from "./interfaces/IOrganizationRegistry.sol";

/// @title Period results of carbon accounting, verified by regulators above the institution.
/// @notice Permissions come from the OrganizationRegistry: institution admins submit and restate,
///         region admins designate verifiers, verifiers act on the institutions below their region.
///         All three follow the tree as it is now, so moving an institution under another region
///         moves it to that region's verifiers.
/// @dev The overlap rule needs the periods held by a (kind, institution, boundary): each keeps the ids of
///      its Submitted and Final results in a short array (four ids a slot) that the checks scan.
///      Its length is the number of such results, so a boundary reported year by year stays cheap;
///      Rejected and Superseded results leave the array (swap and pop) but keep their records.
///      A verifier's designations are a list per account rather than a set per region, so checking a
///      caller costs one isAncestorOrSelf call per designation instead of a walk up the tree; the
///      list is capped because any region admin can add to it.
contract AccountingLedger is IAccountingLedger {
    /// @notice The most regions one account can be a verifier of.
    uint256 public constant MAX_VERIFIER_REGIONS = 8;

    IOrganizationRegistry private immutable _organizations;
    IAttestationLedger private immutable _attestations;

    uint64 private _resultCount;
    mapping(uint64 resultId => Result) private _results;
    mapping(uint64 resultId => uint64 restatementId) private _pendingRestatements;
    mapping(ResultKind kind => mapping(uint64 institutionId => mapping(uint64 boundaryId => uint64[] resultIds)))
        private _activeResults;
    mapping(address account => uint64[] regionIds) private _verifierRegions;

    /// @param organizations_ The OrganizationRegistry; must be the one behind `attestations_`.
    /// @param attestations_ The AttestationLedger whose batches results are computed from.
    constructor(address organizations_, address attestations_) {
        if (organizations_ == address(0) || attestations_ == address(0)) revert ZeroAddress();
        address theirs = IDeviceRegistry(IAttestationLedger(attestations_).devices()).organizations();
        if (theirs != organizations_) revert OrganizationsMismatch(organizations_, theirs);
        _organizations = IOrganizationRegistry(organizations_);
        _attestations = IAttestationLedger(attestations_);
    }

    // --- results ------------------------------------------------------------------------

    /// @inheritdoc IAccountingLedger
    /// @dev Reverts UnknownNode (from the OrganizationRegistry) for ids never created.
    function submitResult(uint64 institutionId, uint64 boundaryId, ResultInput calldata input)
        external
        returns (uint64 resultId)
    {
        if (_organizations.institutionOf(institutionId) != institutionId) revert NotInstitution(institutionId);
        _checkInstitutionAdmin(institutionId);
        resultId = _record(institutionId, boundaryId, input, 0, ResultKind.Emissions);
    }

    /// @inheritdoc IAccountingLedger
    function submitSavingsResult(uint64 institutionId, uint64 boundaryId, ResultInput calldata input)
        external
        returns (uint64 resultId)
    {
        if (_organizations.institutionOf(institutionId) != institutionId) revert NotInstitution(institutionId);
        _checkInstitutionAdmin(institutionId);
        resultId = _record(institutionId, boundaryId, input, 0, ResultKind.Savings);
    }

    /// @inheritdoc IAccountingLedger
    function verifyResult(uint64 resultId, bool approve, string calldata statement) external {
        Result storage result = _existing(resultId);
        uint64 institutionId = result.institutionId;
        if (!_verifiesFor(institutionId, msg.sender)) revert VerifierOutsideTree(resultId, msg.sender);
        if (msg.sender == result.submitter || _organizations.isDirectAdmin(institutionId, msg.sender)) {
            revert SelfVerification(resultId, msg.sender);
        }
        if (result.status != ResultStatus.Submitted) revert ResultNotSubmitted(resultId, result.status);
        if (bytes(statement).length == 0) revert VerificationWithoutStatement(resultId);

        result.verifier = msg.sender;
        result.verifiedAt = uint40(block.timestamp);
        uint64 oldResultId = result.supersedes;
        if (approve) {
            result.status = ResultStatus.Final;
        } else {
            result.status = ResultStatus.Rejected;
            _release(result, resultId);
        }
        emit ResultVerified(resultId, institutionId, msg.sender, approve, statement);

        if (oldResultId != 0) {
            delete _pendingRestatements[oldResultId];
            if (approve) {
                Result storage old = _results[oldResultId];
                old.status = ResultStatus.Superseded;
                old.supersededBy = resultId;
                _release(old, oldResultId);
                emit ResultSuperseded(oldResultId, resultId, institutionId);
            }
        }
    }

    /// @inheritdoc IAccountingLedger
    function restateResult(uint64 oldResultId, ResultInput calldata input, string calldata reason)
        external
        returns (uint64 newResultId)
    {
        Result storage old = _existing(oldResultId);
        uint64 institutionId = old.institutionId;
        _checkInstitutionAdmin(institutionId);
        if (old.status != ResultStatus.Final) revert ResultNotFinal(oldResultId, old.status);
        if (bytes(reason).length == 0) revert RestatementWithoutReason(oldResultId);
        uint64 pending = _pendingRestatements[oldResultId];
        if (pending != 0) revert RestatementPending(oldResultId, pending);

        newResultId = _record(institutionId, old.boundaryId, input, oldResultId, old.kind);
        _results[newResultId].supersedes = oldResultId;
        _pendingRestatements[oldResultId] = newResultId;
        emit ResultRestated(oldResultId, newResultId, institutionId, reason);
    }

    // --- verifiers ----------------------------------------------------------------------

    /// @inheritdoc IAccountingLedger
    /// @dev Reverts UnknownNode (from the OrganizationRegistry) for an id never created.
    function addVerifier(uint64 regionId, address account) external {
        _checkRegionAdmin(regionId);
        if (account == address(0)) revert ZeroAddress();
        uint64[] storage regions = _verifierRegions[account];
        if (_indexOf(regions, regionId) < regions.length) revert AlreadyVerifier(regionId, account);
        if (regions.length == MAX_VERIFIER_REGIONS) revert TooManyVerifierRegions(account, MAX_VERIFIER_REGIONS);
        regions.push(regionId);
        emit VerifierAdded(regionId, account, msg.sender);
    }

    /// @inheritdoc IAccountingLedger
    function removeVerifier(uint64 regionId, address account) external {
        _checkRegionAdmin(regionId);
        uint64[] storage regions = _verifierRegions[account];
        uint256 index = _indexOf(regions, regionId);
        if (index == regions.length) revert NotVerifier(regionId, account);
        _removeAt(regions, index);
        emit VerifierRemoved(regionId, account, msg.sender);
    }

    // --- views --------------------------------------------------------------------------

    /// @inheritdoc IAccountingLedger
    function resultOf(uint64 resultId) external view returns (Result memory) {
        return _existing(resultId);
    }

    /// @inheritdoc IAccountingLedger
    function summaryOf(uint64 resultId) external view returns (ResultSummary memory) {
        Result storage result = _existing(resultId);
        return ResultSummary({
            institutionId: result.institutionId,
            boundaryId: result.boundaryId,
            periodStart: result.periodStart,
            periodEnd: result.periodEnd,
            status: result.status,
            kind: result.kind,
            supersedes: result.supersedes,
            total: uint256(result.scope1) + result.scope2 + result.scope3
        });
    }

    /// @inheritdoc IAccountingLedger
    function resultCount() external view returns (uint64) {
        return _resultCount;
    }

    /// @inheritdoc IAccountingLedger
    function isVerifier(uint64 regionId, address account) external view returns (bool) {
        uint64[] storage regions = _verifierRegions[account];
        return _indexOf(regions, regionId) < regions.length;
    }

    /// @inheritdoc IAccountingLedger
    function verifierRegions(address account) external view returns (uint64[] memory) {
        return _verifierRegions[account];
    }

    /// @inheritdoc IAccountingLedger
    function activeResults(uint64 institutionId, uint64 boundaryId) external view returns (uint64[] memory) {
        return _activeResults[ResultKind.Emissions][institutionId][boundaryId];
    }

    /// @inheritdoc IAccountingLedger
    /// @dev Final results of one boundary never overlap: a restatement may overlap the result it
    ///      restates only while it is Submitted, and that result stops being Final when it is approved.
    function finalResultAt(uint64 institutionId, uint64 boundaryId, uint40 timestamp) external view returns (uint64) {
        uint64[] storage ids = _activeResults[ResultKind.Emissions][institutionId][boundaryId];
        for (uint256 i = 0; i < ids.length; ++i) {
            Result storage result = _results[ids[i]];
            if (
                result.status == ResultStatus.Final && result.periodStart <= timestamp && timestamp < result.periodEnd
            ) return ids[i];
        }
        return 0;
    }

    /// @inheritdoc IAccountingLedger
    function pendingRestatement(uint64 resultId) external view returns (uint64) {
        _existing(resultId);
        return _pendingRestatements[resultId];
    }

    /// @inheritdoc IAccountingLedger
    function isInputBatch(uint64 resultId, bytes32 batchRoot, bytes32[] calldata proof) external view returns (bool) {
        Result storage result = _existing(resultId);
        if (!_attestations.isAnchored(batchRoot)) return false;
        if (_attestations.batchOf(batchRoot).institutionId != result.institutionId) return false;
        return MerkleProof.verifyCalldata(proof, result.inputRoot, _inputBatchLeaf(batchRoot));
    }

    /// @inheritdoc IAccountingLedger
    function inputBatchLeaf(bytes32 batchRoot) external pure returns (bytes32) {
        return _inputBatchLeaf(batchRoot);
    }

    /// @inheritdoc IAccountingLedger
    function organizations() external view returns (address) {
        return address(_organizations);
    }

    /// @inheritdoc IAccountingLedger
    function attestations() external view returns (address) {
        return address(_attestations);
    }

    // --- internals ----------------------------------------------------------------------

    /// @dev Validates `input` for a result of `kind` for `boundaryId` in `institutionId` and stores
    ///      it as Submitted. `restatedId` (0 for a fresh submission) is the one active result of the
    ///      kind the new period may overlap.
    function _record(
        uint64 institutionId,
        uint64 boundaryId,
        ResultInput calldata input,
        uint64 restatedId,
        ResultKind kind
    ) private returns (uint64 resultId) {
        if (_organizations.institutionOf(boundaryId) != institutionId) {
            revert BoundaryOutsideInstitution(institutionId, boundaryId);
        }
        if (input.periodStart >= input.periodEnd) revert InvalidPeriod(input.periodStart, input.periodEnd);
        if (input.methodologyId == bytes32(0) || input.methodologyHash == bytes32(0)) {
            revert MissingMethodology(input.methodologyId, input.methodologyHash);
        }
        if (input.factorSetHash == bytes32(0)) revert MissingFactorSet();
        if (input.inputRoot == bytes32(0) || input.inputBatchCount == 0) {
            revert EmptyInputSet(input.inputRoot, input.inputBatchCount);
        }
        if (bytes(input.reportCid).length == 0) revert EmptyReportCid();

        uint64[] storage active = _activeResults[kind][institutionId][boundaryId];
        for (uint256 i = 0; i < active.length; ++i) {
            uint64 id = active[i];
            Result storage other = _results[id];
            if (id != restatedId && other.periodStart < input.periodEnd && input.periodStart < other.periodEnd) {
                revert OverlappingPeriod(id);
            }
        }

        resultId = ++_resultCount;
        active.push(resultId);
        Result storage result = _results[resultId];
        result.institutionId = institutionId;
        result.boundaryId = boundaryId;
        result.periodStart = input.periodStart;
        result.periodEnd = input.periodEnd;
        result.status = ResultStatus.Submitted;
        result.inputBatchCount = input.inputBatchCount;
        result.kind = kind;
        result.methodologyId = input.methodologyId;
        result.methodologyHash = input.methodologyHash;
        result.factorSetHash = input.factorSetHash;
        result.scope1 = input.scope1;
        result.scope2 = input.scope2;
        result.scope3 = input.scope3;
        result.inputRoot = input.inputRoot;
        result.reportCidHash = keccak256(bytes(input.reportCid));
        result.submitter = msg.sender;
        result.submittedAt = uint40(block.timestamp);
        emit ResultSubmitted(resultId, institutionId, boundaryId, msg.sender, input, kind);
    }

    /// @dev Drops a result that stopped holding its period from its boundary's active list.
    function _release(Result storage result, uint64 resultId) private {
        uint64[] storage active = _activeResults[result.kind][result.institutionId][result.boundaryId];
        _removeAt(active, _indexOf(active, resultId));
    }

    /// @dev True when one of `account`'s regions is an ancestor of `institutionId`. A Region is never
    ///      an Institution, so "ancestor or self" here always means strictly above.
    function _verifiesFor(uint64 institutionId, address account) private view returns (bool) {
        uint64[] storage regions = _verifierRegions[account];
        for (uint256 i = 0; i < regions.length; ++i) {
            if (_organizations.isAncestorOrSelf(regions[i], institutionId)) return true;
        }
        return false;
    }

    function _checkInstitutionAdmin(uint64 institutionId) private view {
        if (!_organizations.isAdmin(institutionId, msg.sender)) revert NotInstitutionAdmin(institutionId, msg.sender);
    }

    /// @dev The kind check comes first: whoever asks learns that a node cannot carry verifiers
    ///      before being told they may not designate them.
    function _checkRegionAdmin(uint64 regionId) private view {
        if (_organizations.nodeOf(regionId).kind != IOrganizationRegistry.NodeKind.Region) revert NotRegion(regionId);
        if (!_organizations.isAdmin(regionId, msg.sender)) revert NotRegionAdmin(regionId, msg.sender);
    }

    /// @dev Result ids start at 1, so a zero institutionId marks an id never used.
    function _existing(uint64 resultId) private view returns (Result storage result) {
        result = _results[resultId];
        if (result.institutionId == 0) revert UnknownResult(resultId);
    }

    function _inputBatchLeaf(bytes32 batchRoot) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(bytes.concat(batchRoot))));
    }

    /// @dev The position of `value` in `list`, or list.length when absent.
    function _indexOf(uint64[] storage list, uint64 value) private view returns (uint256 index) {
        uint256 length = list.length;
        for (index = 0; index < length; ++index) {
            if (list[index] == value) return index;
        }
    }

    /// @dev Order is not kept: the last element takes the removed one's place.
    function _removeAt(uint64[] storage list, uint256 index) private {
        list[index] = list[list.length - 1];
        list.pop();
    }
}
