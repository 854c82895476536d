// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IWorkflowLog} from "./interfaces/IWorkflowLog.sol";

/// @title Anchors of retrofit-project workflow steps, each checked against its actor's signature.
/// @notice Recorders (RECORDER_ROLE, e.g. the API's service account) anchor step hashes; they cannot
///         attribute a step to anyone but its signer. One packed slot per anchored step.
contract WorkflowLog is AccessControl, IWorkflowLog {
    bytes32 public constant RECORDER_ROLE = keccak256("RECORDER_ROLE");

    mapping(bytes32 stepHash => Record) private _records;

    /// @param admin Governance: holds DEFAULT_ADMIN_ROLE (grants recorders) and is the first recorder.
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(RECORDER_ROLE, admin);
    }

    /// @inheritdoc IWorkflowLog
    function recordStep(uint64 projectId, bytes32 step, bytes32 stepHash, address actor, bytes calldata signature)
        external
        onlyRole(RECORDER_ROLE)
    {
        if (stepHash == bytes32(0)) revert EmptyStepHash();
        if (_records[stepHash].recordedAt != 0) revert StepAlreadyRecorded(stepHash);
        (address signer, ECDSA.RecoverError failure,) = ECDSA.tryRecoverCalldata(stepHash, signature);
        if (failure != ECDSA.RecoverError.NoError || signer != actor) revert SignatureNotByActor(stepHash, actor);
        _records[stepHash] = Record(actor, uint64(block.timestamp));
        emit StepRecorded(projectId, step, stepHash, actor);
    }

    /// @inheritdoc IWorkflowLog
    function recordOf(bytes32 stepHash) external view returns (Record memory) {
        return _records[stepHash];
    }
}
