// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title The organisation tree: regions (province → city → district …), institutions, and the
///        scenes inside an institution (park → building → floor → room) that bound accounting.
/// @notice An admin of a node acts on that node's whole subtree. Nodes are never deleted; a
///         move re-parents a subtree and can never create a cycle.
interface IOrganizationRegistry {
    /// @dev Allowed parent → child kinds: Region → Region | Institution; Institution → Park |
    ///      Building | Floor | Room; a scene → a scene of a strictly later kind
    ///      (Park → Building → Floor → Room). Roots are Regions or Institutions.
    enum NodeKind {
        Region,
        Institution,
        Park,
        Building,
        Floor,
        Room
    }

    struct Node {
        uint64 parentId; // 0 for a root
        NodeKind kind;
        uint32 depth; // 0 for a root
        string name;
    }

    event NodeCreated(uint64 indexed nodeId, uint64 indexed parentId, NodeKind kind, string name);
    event NodeMoved(uint64 indexed nodeId, uint64 indexed oldParentId, uint64 indexed newParentId);
    event NodeAdminAdded(uint64 indexed nodeId, address indexed account, address indexed by);
    event NodeAdminRemoved(uint64 indexed nodeId, address indexed account, address indexed by);

    error UnknownNode(uint64 nodeId);
    error NotNodeAdmin(uint64 nodeId, address account);
    error InvalidChildKind(NodeKind parentKind, NodeKind childKind);
    error InvalidRootKind(NodeKind kind);
    error WouldCreateCycle(uint64 nodeId, uint64 newParentId);
    error EmptyName();
    error ZeroAddress();
    error AlreadyNodeAdmin(uint64 nodeId, address account);
    error NotDirectNodeAdmin(uint64 nodeId, address account);

    /// @notice Create a top-level node (a province, or a stand-alone institution). Governance only
    ///         (DEFAULT_ADMIN_ROLE). `admin` becomes the node's first admin.
    function createRoot(NodeKind kind, string calldata name, address admin) external returns (uint64 nodeId);

    /// @notice Create a child of `parentId`; the caller must be an admin of the parent or an ancestor.
    function createNode(uint64 parentId, NodeKind kind, string calldata name) external returns (uint64 nodeId);

    /// @notice Re-parent `nodeId` (and its subtree) under `newParentId`. The caller must be an admin of
    ///         the node's current parent (or above) and of the new parent (or above). Reverts with
    ///         WouldCreateCycle when `newParentId` is the node itself or inside its subtree.
    function moveNode(uint64 nodeId, uint64 newParentId) external;

    /// @notice Make `account` an admin of `nodeId`; the caller must be an admin of the node or an ancestor.
    function addNodeAdmin(uint64 nodeId, address account) external;

    /// @notice Remove a direct admin of `nodeId`; the caller must be an admin of the node or an ancestor.
    function removeNodeAdmin(uint64 nodeId, address account) external;

    /// @notice True when `account` is a direct admin of `nodeId` or of any of its ancestors.
    function isAdmin(uint64 nodeId, address account) external view returns (bool);

    /// @notice True when `account` is a direct admin of `nodeId` (not counting ancestors).
    function isDirectAdmin(uint64 nodeId, address account) external view returns (bool);

    /// @notice True when `ancestorId` is `nodeId` or one of its ancestors.
    function isAncestorOrSelf(uint64 ancestorId, uint64 nodeId) external view returns (bool);

    /// @notice The nearest node of kind Institution at or above `nodeId`, or 0 if there is none.
    function institutionOf(uint64 nodeId) external view returns (uint64);

    /// @notice A node's record. Reverts UnknownNode.
    function nodeOf(uint64 nodeId) external view returns (Node memory);

    /// @notice Number of nodes created; ids run from 1 to nodeCount().
    function nodeCount() external view returns (uint64);
}
