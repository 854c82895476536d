// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Anchors of retrofit-project workflow steps (proposal → … → verified).
/// @notice Each step is EIP-712 typed data signed by the acting user off chain (api/services/projects.py);
///         its digest is the step hash. A recorder anchors the hash with the actor's signature, which the
///         contract checks, so an anchor always names the account that really signed the step.
interface IWorkflowLog {
    struct Record {
        address actor; // who signed the step
        uint64 recordedAt; // block timestamp of the anchor
    }

    /// @notice A step's hash was anchored; `step` is the step's name as bytes32 ("approval", …).
    event StepRecorded(uint64 indexed projectId, bytes32 indexed step, bytes32 stepHash, address indexed actor);

    error ZeroAddress();
    error EmptyStepHash();
    error StepAlreadyRecorded(bytes32 stepHash);
    error SignatureNotByActor(bytes32 stepHash, address actor);

    /// @notice Anchor `stepHash` of `projectId`'s `step`, signed by `actor` (RECORDER_ROLE only).
    /// @dev Reverts SignatureNotByActor unless `signature` over `stepHash` recovers to `actor`, and
    ///      StepAlreadyRecorded for a hash anchored before.
    function recordStep(uint64 projectId, bytes32 step, bytes32 stepHash, address actor, bytes calldata signature)
        external;

    /// @notice The anchor of `stepHash`; `recordedAt` is 0 when it was never anchored.
    function recordOf(bytes32 stepHash) external view returns (Record memory);
}
