// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Anchors of batches of signed meter readings.
/// @notice A batch is identified by its Merkle root (duplicates revert, so the root is a unique
///         id and one packed storage slot serves both lookup and the duplicate check). Each
///         institution's batches form a hash chain: every anchor names the root of the
///         institution's previous batch. The evidence CID and the chain link are in the event;
///         storage keeps what a contract needs to check a proof.
interface IAttestationLedger {
    struct Batch {
        uint64 institutionId;
        uint32 index; // 1-based position in the institution's chain
        uint32 readingCount;
        uint40 firstTimestamp; // unix seconds, earliest reading
        uint40 lastTimestamp; // unix seconds, latest reading
        uint40 anchoredAt; // block timestamp
    }

    event BatchAnchored(
        bytes32 indexed root,
        uint64 indexed institutionId,
        address indexed oracle,
        bytes32 previousRoot,
        uint32 index,
        uint32 readingCount,
        uint40 firstTimestamp,
        uint40 lastTimestamp,
        string evidenceCid
    );

    /// @notice An institution's k-of-n rule: a batch anchored while it is in force counts only once
    ///         `threshold` distinct oracles of `oracles` (each still authorised) have approved its root.
    event QuorumSet(uint64 indexed institutionId, uint8 threshold, address[] oracles, address indexed admin);
    /// @notice A batch anchored under a quorum: it does not count until `required` approvals.
    event BatchAwaitingApprovals(bytes32 indexed root, uint64 indexed institutionId, uint8 required);
    event BatchApproved(bytes32 indexed root, uint64 indexed institutionId, address indexed oracle, uint8 approvals);
    /// @notice The batch reached its required approvals and counts from now on.
    event BatchCounted(bytes32 indexed root, uint64 indexed institutionId, uint8 approvals);

    error InvalidQuorum(uint8 threshold, uint256 oracleCount);
    error DuplicateQuorumOracle(address oracle);
    error NoQuorumForBatch(bytes32 root);
    error NotQuorumOracle(uint64 institutionId, address account);
    error AlreadyApproved(bytes32 root, address oracle);
    error InvalidApprovalSignature(bytes32 root, address oracle);
    error ApprovalLengthMismatch(uint256 oracles, uint256 signatures);

    error ZeroRoot();
    error DuplicateRoot(bytes32 root);
    error UnknownBatch(bytes32 batchId);
    error NotAuthorizedOracle(uint64 institutionId, address account);
    error BatchChainBroken(uint64 institutionId, bytes32 expectedPrevious, bytes32 givenPrevious);
    error EmptyBatch();
    error InvalidTimeRange(uint40 firstTimestamp, uint40 lastTimestamp);
    error EmptyEvidenceCid();

    /// @notice Anchor a batch. The caller must be an oracle authorised for `institutionId` in the
    ///         DeviceRegistry; `previousRoot` must equal latestRoot(institutionId) (0 for the first).
    function anchorBatch(
        uint64 institutionId,
        bytes32 root,
        bytes32 previousRoot,
        uint32 readingCount,
        uint40 firstTimestamp,
        uint40 lastTimestamp,
        string calldata evidenceCid
    ) external returns (uint32 index);

    /// @notice Reverts UnknownBatch.
    function batchOf(bytes32 batchId) external view returns (Batch memory);

    function isAnchored(bytes32 batchId) external view returns (bool);

    /// @notice The root of the institution's most recent batch, or 0.
    function latestRoot(uint64 institutionId) external view returns (bytes32);

    /// @notice True when `leaf` is in anchored batch `batchId` (OpenZeppelin MerkleProof,
    ///         sorted-pair keccak). Reverts UnknownBatch.
    function verifyReading(bytes32 batchId, bytes32 leaf, bytes32[] calldata proof) external view returns (bool);

    /// @notice Same, from the reading's raw bytes: the leaf is ReadingLeaf.leafHash(payload, signature).
    function verifyReadingBytes(
        bytes32 batchId,
        bytes calldata payload,
        bytes calldata signature,
        bytes32[] calldata proof
    ) external view returns (bool);

    /// @notice The DeviceRegistry that authorises oracles.
    function devices() external view returns (address);

    /// @notice Require `threshold` of `oracles` to approve each batch the institution anchors from now on
    ///         (threshold 0 with no oracles: no quorum, a batch counts once anchored). Only an admin of
    ///         the institution (OrganizationRegistry.isAdmin); every oracle must be authorised for it.
    ///         Batches already anchored keep the rule they were anchored under.
    function setQuorum(uint64 institutionId, uint8 threshold, address[] calldata oracles) external;

    /// @notice Add EIP-712 `BatchApproval(bytes32 root,uint64 institutionId)` signatures of quorum
    ///         oracles to an anchored batch; anyone may submit them, all at once or over several calls.
    ///         Each signer must be in the institution's current quorum, still authorised, and new to
    ///         this batch; EOAs and ERC-1271 contracts both sign (OpenZeppelin SignatureChecker).
    function approveBatch(bytes32 root, address[] calldata oracles, bytes[] calldata signatures) external;

    /// @notice The quorum in force for the institution's next batch (threshold 0: none).
    function quorumOf(uint64 institutionId) external view returns (uint8 threshold, address[] memory oracles);

    /// @notice Approvals a batch needs (0 when anchored without a quorum) and has. Reverts UnknownBatch.
    function approvalsOf(bytes32 batchId) external view returns (uint8 required, uint8 approvals);

    /// @notice True when the batch is anchored and has the approvals its quorum requires.
    function counts(bytes32 batchId) external view returns (bool);

    /// @notice The EIP-712 digest an oracle signs to approve `root` of `institutionId`.
    function approvalDigest(bytes32 root, uint64 institutionId) external view returns (bytes32);
}
