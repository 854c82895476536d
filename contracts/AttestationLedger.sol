// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IAttestationLedger} from "./interfaces/IAttestationLedger.sol";
import {IDeviceRegistry} from "./interfaces/IDeviceRegistry.sol";
import {ReadingLeaf} from "./libraries/ReadingLeaf.sol";

/// @title Anchors of Merkle roots of signed meter readings, chained per institution.
/// @notice Oracles authorised in the DeviceRegistry anchor batches; anyone can then check that a
///         reading belongs to an anchored batch.
/// @dev Storage per batch is one slot (Batch packs into 248 bits) keyed by its root, plus the
///      institution's latest root. A batch's index is not kept per institution: it is the previous
///      batch's index + 1, read from the previous batch's slot.
contract AttestationLedger is IAttestationLedger {
    IDeviceRegistry private immutable _devices;

    mapping(bytes32 root => Batch) private _batches;
    mapping(uint64 institutionId => bytes32 root) private _latestRoots;

    /// @param devices_ The DeviceRegistry that authorises oracles.
    constructor(address devices_) {
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

        index = previousRoot == bytes32(0) ? 1 : _batches[previousRoot].index + 1;
        _batches[root] = Batch({
            institutionId: institutionId,
            index: index,
            readingCount: readingCount,
            firstTimestamp: firstTimestamp,
            lastTimestamp: lastTimestamp,
            anchoredAt: uint40(block.timestamp)
        });
        _latestRoots[institutionId] = root;
        emit BatchAnchored(
            root, institutionId, msg.sender, previousRoot, index, readingCount, firstTimestamp, lastTimestamp, evidenceCid
        );
    }

    /// @inheritdoc IAttestationLedger
    function batchOf(bytes32 batchId) external view returns (Batch memory) {
        return _anchored(batchId);
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

    /// @dev Institution ids start at 1, so a zero institutionId marks a root never anchored.
    function _anchored(bytes32 batchId) private view returns (Batch storage batch) {
        batch = _batches[batchId];
        if (batch.institutionId == 0) revert UnknownBatch(batchId);
    }
}
