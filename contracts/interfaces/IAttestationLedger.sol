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
}
