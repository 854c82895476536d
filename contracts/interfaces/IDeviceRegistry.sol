// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Meters and other devices whose Ed25519-signed readings the ledger accepts.
/// @notice A device belongs to an institution and a scene inside it. Its signing keys form a
///         history: key i is valid for sequence numbers from `validFromSequence` up to (not
///         including) the next key's. Only the institution's admins (or admins above it) manage
///         devices and authorise the oracles that may anchor the institution's batches.
///         `kind` and `unit` use the code tables of ledger/encoding.py (DeviceKind, Unit).
interface IDeviceRegistry {
    enum DeviceStatus {
        None,
        Active,
        Suspended,
        Retired
    }

    struct Device {
        uint64 institutionId;
        uint64 sceneId;
        uint8 kind;
        uint8 unit;
        DeviceStatus status;
        uint32 keyCount;
    }

    struct KeyEpoch {
        bytes32 publicKey; // Ed25519, 32 bytes
        uint64 validFromSequence;
    }

    event DeviceRegistered(
        bytes32 indexed deviceId,
        uint64 indexed institutionId,
        uint64 indexed sceneId,
        uint8 kind,
        uint8 unit,
        bytes32 publicKey
    );
    event DeviceKeyRotated(bytes32 indexed deviceId, uint32 keyIndex, bytes32 publicKey, uint64 validFromSequence);
    event DeviceStatusChanged(bytes32 indexed deviceId, DeviceStatus oldStatus, DeviceStatus newStatus, string reason);
    event OracleAuthorized(uint64 indexed institutionId, address indexed oracle, address indexed by);
    event OracleRevoked(uint64 indexed institutionId, address indexed oracle, address indexed by);

    error UnknownDevice(bytes32 deviceId);
    error DeviceAlreadyRegistered(bytes32 deviceId);
    error ZeroDeviceId();
    error InvalidPublicKey();
    error InvalidDeviceKind(uint8 kind);
    error InvalidUnit(uint8 unit);
    error NotInsideInstitution(uint64 sceneId);
    error NotInstitution(uint64 nodeId);
    error KeySequenceNotIncreasing(bytes32 deviceId, uint64 currentValidFrom, uint64 requestedValidFrom);
    error KeyAlreadyUsed(bytes32 deviceId, bytes32 publicKey);
    error NoKeyForSequence(bytes32 deviceId, uint64 sequence);
    error InvalidStatusTransition(bytes32 deviceId, DeviceStatus from, DeviceStatus to);
    error OracleAlreadyAuthorized(uint64 institutionId, address oracle);
    error OracleNotAuthorized(uint64 institutionId, address oracle);
    error ZeroAddress();
    /// @dev The caller is not an admin of `institutionId` or of a node above it.
    error NotInstitutionAdmin(uint64 institutionId, address account);
    /// @dev Retirement is final: a retired device takes no new keys.
    error DeviceRetired(bytes32 deviceId);

    /// @notice Register a device in scene `sceneId` (an Institution node or a scene below one). The
    ///         caller must be an admin of the institution (or above). The first key is valid from
    ///         sequence 0. `kind` and `unit` must be non-zero codes.
    function registerDevice(bytes32 deviceId, uint64 sceneId, uint8 kind, uint8 unit, bytes32 publicKey) external;

    /// @notice Add a new signing key valid from `validFromSequence`, which must be greater than the
    ///         current key's. Earlier keys stay valid for their earlier sequence ranges. A key may not
    ///         be reused for the same device. Not allowed on a retired device.
    function rotateKey(bytes32 deviceId, bytes32 newPublicKey, uint64 validFromSequence) external;

    /// @notice Active → Suspended.
    function suspendDevice(bytes32 deviceId, string calldata reason) external;

    /// @notice Suspended → Active.
    function reactivateDevice(bytes32 deviceId, string calldata reason) external;

    /// @notice Active | Suspended → Retired (final).
    function retireDevice(bytes32 deviceId, string calldata reason) external;

    /// @notice Allow `oracle` to anchor batches for `institutionId` (an Institution node).
    function authorizeOracle(uint64 institutionId, address oracle) external;

    function revokeOracle(uint64 institutionId, address oracle) external;

    function isOracle(uint64 institutionId, address account) external view returns (bool);

    /// @notice Reverts UnknownDevice.
    function deviceOf(bytes32 deviceId) external view returns (Device memory);

    /// @notice The key valid for `sequence`, and its index in the device's key history.
    ///         Reverts UnknownDevice, or NoKeyForSequence when no key covers it.
    function keyForSequence(bytes32 deviceId, uint64 sequence) external view returns (bytes32 publicKey, uint32 keyIndex);

    /// @notice The whole key history, oldest first. Reverts UnknownDevice.
    function keyHistory(bytes32 deviceId) external view returns (KeyEpoch[] memory);

    /// @notice The OrganizationRegistry this registry takes permissions from.
    function organizations() external view returns (address);
}
