// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

import {IOrganizationRegistry} from "./interfaces/IOrganizationRegistry.sol";

/// @title The organisation tree (regions, institutions, scenes) and its per-node admins.
/// @notice Governance (DEFAULT_ADMIN_ROLE) creates roots; from there on every node is managed by
///         the admins of the node or of any of its ancestors.
/// @dev Storage keeps each node's parent only. Depth, the nearest institution and admin rights are
///      computed by walking towards the root, so a move rewrites one slot and can never leave a
///      stale depth behind in the moved subtree. Node admins live in a plain mapping rather than in
///      per-node AccessControl roles: AccessControl's public grantRole/renounceRole would be a
///      second door to the same rights, bypassing the subtree rule and the NodeAdmin* events.
contract OrganizationRegistry is AccessControl, IOrganizationRegistry {
    struct NodeRecord {
        uint64 parentId;
        NodeKind kind;
        string name;
    }

    uint64 private _nodeCount;
    mapping(uint64 nodeId => NodeRecord) private _nodes;
    mapping(uint64 nodeId => mapping(address account => bool)) private _directAdmins;

    /// @param governance The account that may create roots (DEFAULT_ADMIN_ROLE).
    constructor(address governance) {
        if (governance == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, governance);
    }

    /// @inheritdoc IOrganizationRegistry
    function createRoot(NodeKind kind, string calldata name, address admin)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        returns (uint64 nodeId)
    {
        if (kind != NodeKind.Region && kind != NodeKind.Institution) revert InvalidRootKind(kind);
        if (admin == address(0)) revert ZeroAddress();
        nodeId = _create(0, kind, name);
        _addAdmin(nodeId, admin);
    }

    /// @inheritdoc IOrganizationRegistry
    function createNode(uint64 parentId, NodeKind kind, string calldata name) external returns (uint64 nodeId) {
        _checkAdmin(parentId, msg.sender);
        _checkChildKind(_nodes[parentId].kind, kind);
        nodeId = _create(parentId, kind, name);
    }

    /// @inheritdoc IOrganizationRegistry
    /// @dev A root has no parent to be admin of, so moving a root needs governance (DEFAULT_ADMIN_ROLE).
    function moveNode(uint64 nodeId, uint64 newParentId) external {
        _checkKnown(nodeId);
        _checkKnown(newParentId);
        uint64 oldParentId = _nodes[nodeId].parentId;
        if (oldParentId == 0) {
            _checkRole(DEFAULT_ADMIN_ROLE);
        } else {
            _checkAdmin(oldParentId, msg.sender);
        }
        _checkAdmin(newParentId, msg.sender);
        if (_isAncestorOrSelf(nodeId, newParentId)) revert WouldCreateCycle(nodeId, newParentId);
        _checkChildKind(_nodes[newParentId].kind, _nodes[nodeId].kind);
        _nodes[nodeId].parentId = newParentId;
        emit NodeMoved(nodeId, oldParentId, newParentId);
    }

    /// @inheritdoc IOrganizationRegistry
    function addNodeAdmin(uint64 nodeId, address account) external {
        _checkAdmin(nodeId, msg.sender);
        if (account == address(0)) revert ZeroAddress();
        if (_directAdmins[nodeId][account]) revert AlreadyNodeAdmin(nodeId, account);
        _addAdmin(nodeId, account);
    }

    /// @inheritdoc IOrganizationRegistry
    function removeNodeAdmin(uint64 nodeId, address account) external {
        _checkAdmin(nodeId, msg.sender);
        if (!_directAdmins[nodeId][account]) revert NotDirectNodeAdmin(nodeId, account);
        _directAdmins[nodeId][account] = false;
        emit NodeAdminRemoved(nodeId, account, msg.sender);
    }

    /// @inheritdoc IOrganizationRegistry
    /// @dev Reverts UnknownNode for an id that was never created.
    function isAdmin(uint64 nodeId, address account) external view returns (bool) {
        _checkKnown(nodeId);
        return _isAdmin(nodeId, account);
    }

    /// @inheritdoc IOrganizationRegistry
    /// @dev Reverts UnknownNode for an id that was never created.
    function isDirectAdmin(uint64 nodeId, address account) external view returns (bool) {
        _checkKnown(nodeId);
        return _directAdmins[nodeId][account];
    }

    /// @inheritdoc IOrganizationRegistry
    /// @dev Reverts UnknownNode when either id was never created.
    function isAncestorOrSelf(uint64 ancestorId, uint64 nodeId) external view returns (bool) {
        _checkKnown(ancestorId);
        _checkKnown(nodeId);
        return _isAncestorOrSelf(ancestorId, nodeId);
    }

    /// @inheritdoc IOrganizationRegistry
    /// @dev Reverts UnknownNode for an id that was never created.
    function institutionOf(uint64 nodeId) external view returns (uint64) {
        _checkKnown(nodeId);
        for (uint64 id = nodeId; id != 0; id = _nodes[id].parentId) {
            if (_nodes[id].kind == NodeKind.Institution) return id;
        }
        return 0;
    }

    /// @inheritdoc IOrganizationRegistry
    function nodeOf(uint64 nodeId) external view returns (Node memory) {
        _checkKnown(nodeId);
        NodeRecord storage record = _nodes[nodeId];
        uint32 depth = 0;
        for (uint64 id = record.parentId; id != 0; id = _nodes[id].parentId) {
            ++depth;
        }
        return Node({parentId: record.parentId, kind: record.kind, depth: depth, name: record.name});
    }

    /// @inheritdoc IOrganizationRegistry
    function nodeCount() external view returns (uint64) {
        return _nodeCount;
    }

    function _create(uint64 parentId, NodeKind kind, string calldata name) private returns (uint64 nodeId) {
        if (bytes(name).length == 0) revert EmptyName();
        nodeId = ++_nodeCount;
        _nodes[nodeId] = NodeRecord({parentId: parentId, kind: kind, name: name});
        emit NodeCreated(nodeId, parentId, kind, name);
    }

    function _addAdmin(uint64 nodeId, address account) private {
        _directAdmins[nodeId][account] = true;
        emit NodeAdminAdded(nodeId, account, msg.sender);
    }

    /// @dev Reverts UnknownNode first, so callers learn that a node is missing before being told
    ///      they are not its admin.
    function _checkAdmin(uint64 nodeId, address account) private view {
        _checkKnown(nodeId);
        if (!_isAdmin(nodeId, account)) revert NotNodeAdmin(nodeId, account);
    }

    function _checkKnown(uint64 nodeId) private view {
        if (nodeId == 0 || nodeId > _nodeCount) revert UnknownNode(nodeId);
    }

    /// @dev The kind table of IOrganizationRegistry.NodeKind: Region → Region | Institution;
    ///      Institution → any scene; a scene → a strictly later scene. Enum order encodes the
    ///      scene ranking (Park < Building < Floor < Room).
    function _checkChildKind(NodeKind parentKind, NodeKind childKind) private pure {
        bool allowed;
        if (parentKind == NodeKind.Region) {
            allowed = childKind == NodeKind.Region || childKind == NodeKind.Institution;
        } else if (parentKind == NodeKind.Institution) {
            allowed = childKind >= NodeKind.Park;
        } else {
            allowed = childKind > parentKind;
        }
        if (!allowed) revert InvalidChildKind(parentKind, childKind);
    }

    function _isAdmin(uint64 nodeId, address account) private view returns (bool) {
        for (uint64 id = nodeId; id != 0; id = _nodes[id].parentId) {
            if (_directAdmins[id][account]) return true;
        }
        return false;
    }

    function _isAncestorOrSelf(uint64 ancestorId, uint64 nodeId) private view returns (bool) {
        for (uint64 id = nodeId; id != 0; id = _nodes[id].parentId) {
            if (id == ancestorId) return true;
        }
        return false;
    }
}
