// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IAttestationLedger} from "./interfaces/IAttestationLedger.sol";
import {IDeviceRegistry} from "./interfaces/IDeviceRegistry.sol";
import {IOrganizationRegistry} from "./interfaces/IOrganizationRegistry.sol";
import {ReadingLeaf} from "./libraries/ReadingLeaf.sol";

/// @title Anchors of Merkle roots of signed meter readings, chained per institution.
/// @notice Oracles authorised in the DeviceRegistry anchor batches; anyone can then check that a
///         reading belongs to an anchored batch. An institution may require k of n oracles to approve
///         each batch (EIP-712 signatures) before it counts.
/// @dev Storage per batch is one slot keyed by its root (StoredBatch packs into 256 bits), plus the
///      institution's latest root. A batch's index is not kept per institution: it is the previous
///      batch's index + 1, read from the previous batch's slot. The quorum threshold for the next
///      batch rides in that same slot (`quorumAhead`, kept current on the latest batch by setQuorum),
///      so an anchor without a quorum reads and writes exactly what it did before quorums existed.
contract AttestationLedger is IAttestationLedger, EIP712 {
    /// @notice EIP-712 type an oracle signs to approve a batch.
    bytes32 public constant BATCH_APPROVAL_TYPEHASH = keccak256("BatchApproval(bytes32 root,uint64 institutionId)");
    /// @notice Most oracles a quorum may name.
    uint8 public constant MAX_QUORUM_ORACLES = 32;

    /// @dev Batch plus the quorum threshold in force for the institution's next batch.
    struct StoredBatch {
        uint64 institutionId;
        uint32 index;
        uint32 readingCount;
        uint40 firstTimestamp;
        uint40 lastTimestamp;
        uint40 anchoredAt;
        uint8 quorumAhead;
    }

    struct Quorum {
        uint8 threshold;
        uint32 version; // members are the addresses whose _quorumMembers entry equals it
        address[] oracles;
    }

    struct Approvals {
        uint8 required;
        uint8 count;
    }

    IDeviceRegistry private immutable _devices;

    mapping(bytes32 root => StoredBatch) private _batches;
    mapping(uint64 institutionId => bytes32 root) private _latestRoots;
    mapping(uint64 institutionId => Quorum) private _quorums;
    mapping(uint64 institutionId => mapping(address oracle => uint32 version)) private _quorumMembers;
    mapping(bytes32 root => Approvals) private _approvals;
    mapping(bytes32 root => mapping(address oracle => bool)) private _approvedBy;

    /// @param devices_ The DeviceRegistry that authorises oracles.
    constructor(address devices_) EIP712("ZCL AttestationLedger", "1") {
        if (devices_ == address(0)) revert IDeviceRegistry.ZeroAddress();
        _devices = IDeviceRegistry(devices_);
    }

    /// @inheritdoc IAttestationLedger
    function anchorBatch(
        uint64 institutionId,
        bytes32 root,
        bytes32 previousRoot,
        uint32 readingCount,
        uint40 firstTimestamp,
        uint40 lastTimestamp,
        string calldata evidenceCid
    ) external returns (uint32 index) {
        if (!_devices.isOracle(institutionId, msg.sender)) revert NotAuthorizedOracle(institutionId, msg.sender);
        if (root == bytes32(0)) revert ZeroRoot();
        if (_batches[root].institutionId != 0) revert DuplicateRoot(root);
        if (readingCount == 0) revert EmptyBatch();
        if (firstTimestamp > lastTimestamp) revert InvalidTimeRange(firstTimestamp, lastTimestamp);
        if (bytes(evidenceCid).length == 0) revert EmptyEvidenceCid();
        bytes32 expectedPrevious = _latestRoots[institutionId];
        if (previousRoot != expectedPrevious) revert BatchChainBroken(institutionId, expectedPrevious, previousRoot);

        // The whole packed StoredBatch is written with one SSTORE (field order and widths as declared, pinned
        // by the storage-layout tests): the compiler's field-by-field writes cost ~500 gas more per anchor.
        // Its top byte, the quorum for the next batch, is carried over from the previous batch's slot.
        uint256 word;
        if (previousRoot == bytes32(0)) {
            index = 1;
            word = uint256(_quorums[institutionId].threshold) << 248;
        } else {
            uint256 previous = _slotOf(_batches[previousRoot]);
            index = uint32(previous >> 64) + 1;
            word = previous & (uint256(0xff) << 248);
        }
        word |= uint256(institutionId) | (uint256(index) << 64) | (uint256(readingCount) << 96);
        word |= (uint256(firstTimestamp) << 128) | (uint256(lastTimestamp) << 168);
        word |= uint256(uint40(block.timestamp)) << 208;
        _store(root, word);
        _latestRoots[institutionId] = root;
        emit BatchAnchored(
            root, institutionId, msg.sender, previousRoot, index, readingCount, firstTimestamp, lastTimestamp, evidenceCid
        );
        uint8 quorum = uint8(word >> 248);
        if (quorum != 0) {
            _approvals[root].required = quorum;
            emit BatchAwaitingApprovals(root, institutionId, quorum);
        }
    }

    /// @inheritdoc IAttestationLedger
    function setQuorum(uint64 institutionId, uint8 threshold, address[] calldata oracles) external {
        IOrganizationRegistry organizations = IOrganizationRegistry(_devices.organizations());
        if (!organizations.isAdmin(institutionId, msg.sender)) {
            revert IDeviceRegistry.NotInstitutionAdmin(institutionId, msg.sender);
        }
        bool cleared = threshold == 0 && oracles.length == 0;
        if (!cleared && (threshold == 0 || threshold > oracles.length || oracles.length > MAX_QUORUM_ORACLES)) {
            revert InvalidQuorum(threshold, oracles.length);
        }
        Quorum storage quorum = _quorums[institutionId];
        uint32 version = quorum.version + 1;
        mapping(address => uint32) storage members = _quorumMembers[institutionId];
        for (uint256 i = 0; i < oracles.length; ++i) {
            address oracle = oracles[i];
            if (!_devices.isOracle(institutionId, oracle)) revert NotAuthorizedOracle(institutionId, oracle);
            if (members[oracle] == version) revert DuplicateQuorumOracle(oracle);
            members[oracle] = version;
        }
        quorum.threshold = threshold;
        quorum.version = version;
        quorum.oracles = oracles;
        bytes32 latest = _latestRoots[institutionId];
        if (latest != bytes32(0)) _batches[latest].quorumAhead = threshold;
        emit QuorumSet(institutionId, threshold, oracles, msg.sender);
    }

    /// @inheritdoc IAttestationLedger
    function approveBatch(bytes32 root, address[] calldata oracles, bytes[] calldata signatures) external {
        uint64 institutionId = _anchored(root).institutionId;
        Approvals storage approvals = _approvals[root];
        uint8 required = approvals.required;
        if (required == 0) revert NoQuorumForBatch(root);
        if (oracles.length != signatures.length) revert ApprovalLengthMismatch(oracles.length, signatures.length);
        bytes32 digest = _approvalDigest(root, institutionId);
        uint32 version = _quorums[institutionId].version;
        mapping(address => bool) storage approvedBy = _approvedBy[root];
        uint8 count = approvals.count;
        for (uint256 i = 0; i < oracles.length; ++i) {
            address oracle = oracles[i];
            if (_quorumMembers[institutionId][oracle] != version) revert NotQuorumOracle(institutionId, oracle);
            if (!_devices.isOracle(institutionId, oracle)) revert NotAuthorizedOracle(institutionId, oracle);
            if (approvedBy[oracle]) revert AlreadyApproved(root, oracle);
            if (!SignatureChecker.isValidSignatureNow(oracle, digest, signatures[i])) {
                revert InvalidApprovalSignature(root, oracle);
            }
            approvedBy[oracle] = true;
            ++count;
            emit BatchApproved(root, institutionId, oracle, count);
            if (count == required) emit BatchCounted(root, institutionId, count);
        }
        approvals.count = count;
    }

    /// @inheritdoc IAttestationLedger
    function quorumOf(uint64 institutionId) external view returns (uint8 threshold, address[] memory oracles) {
        Quorum storage quorum = _quorums[institutionId];
        return (quorum.threshold, quorum.oracles);
    }

    /// @inheritdoc IAttestationLedger
    function approvalsOf(bytes32 batchId) external view returns (uint8 required, uint8 approvals) {
        _anchored(batchId);
        Approvals storage a = _approvals[batchId];
        return (a.required, a.count);
    }

    /// @inheritdoc IAttestationLedger
    function counts(bytes32 batchId) external view returns (bool) {
        if (_batches[batchId].institutionId == 0) return false;
        Approvals storage a = _approvals[batchId];
        return a.count >= a.required;
    }

    /// @inheritdoc IAttestationLedger
    function approvalDigest(bytes32 root, uint64 institutionId) external view returns (bytes32) {
        return _approvalDigest(root, institutionId);
    }

    /// @inheritdoc IAttestationLedger
    function batchOf(bytes32 batchId) external view returns (Batch memory) {
        StoredBatch storage b = _anchored(batchId);
        return Batch(b.institutionId, b.index, b.readingCount, b.firstTimestamp, b.lastTimestamp, b.anchoredAt);
    }

    /// @notice True when `batchId` (a Merkle root) has been anchored.
    function isAnchored(bytes32 batchId) external view returns (bool) {
        return _batches[batchId].institutionId != 0;
    }

    /// @inheritdoc IAttestationLedger
    function latestRoot(uint64 institutionId) external view returns (bytes32) {
        return _latestRoots[institutionId];
    }

    /// @inheritdoc IAttestationLedger
    function verifyReading(bytes32 batchId, bytes32 leaf, bytes32[] calldata proof) external view returns (bool) {
        _anchored(batchId);
        return MerkleProof.verifyCalldata(proof, batchId, leaf);
    }

    /// @inheritdoc IAttestationLedger
    /// @dev Reverts ReadingLeaf.InvalidReadingLength unless the payload is 68 bytes and the
    ///      signature 64.
    function verifyReadingBytes(
        bytes32 batchId,
        bytes calldata payload,
        bytes calldata signature,
        bytes32[] calldata proof
    ) external view returns (bool) {
        _anchored(batchId);
        return MerkleProof.verifyCalldata(proof, batchId, ReadingLeaf.leafHash(payload, signature));
    }

    /// @inheritdoc IAttestationLedger
    function devices() external view returns (address) {
        return address(_devices);
    }

    function _store(bytes32 root, uint256 word) private {
        StoredBatch storage batch = _batches[root];
        assembly ("memory-safe") {
            sstore(batch.slot, word)
        }
    }

    function _slotOf(StoredBatch storage batch) private view returns (uint256 word) {
        assembly ("memory-safe") {
            word := sload(batch.slot)
        }
    }

    function _approvalDigest(bytes32 root, uint64 institutionId) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(BATCH_APPROVAL_TYPEHASH, root, institutionId)));
    }

    /// @dev Institution ids start at 1, so a zero institutionId marks a root never anchored.
    function _anchored(bytes32 batchId) private view returns (StoredBatch storage batch) {
        batch = _batches[batchId];
        if (batch.institutionId == 0) revert UnknownBatch(batchId);
    }
}
