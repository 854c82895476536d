// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDeviceRegistry} from "./interfaces/IDeviceRegistry.sol";
import {IOrganizationRegistry} from "./interfaces/IOrganizationRegistry.sol";

/// @title Devices, their signing-key histories, and the oracles allowed to anchor for an institution.
/// @notice Permissions come from the OrganizationRegistry: an admin of a device's institution, or of
///         any node above it, manages the device and the institution's oracles.
/// @dev A device is one packed slot. Its keys live in a per-device map indexed 0..keyCount-1 (the
///      count sits in the device slot, so no separate array length is stored). `isOracle` is a
///      single mapping read because AttestationLedger calls it on every anchor.
contract DeviceRegistry is IDeviceRegistry {
    IOrganizationRegistry private immutable _organizations;

    mapping(bytes32 deviceId => Device) private _devices;
    mapping(bytes32 deviceId => mapping(uint32 keyIndex => KeyEpoch)) private _keys;
    mapping(bytes32 deviceId => mapping(bytes32 publicKey => bool)) private _usedKeys;
    mapping(uint64 institutionId => mapping(address account => bool)) private _oracles;

    /// @param organizations The OrganizationRegistry that decides who administers what.
    constructor(address organizations) {
        if (organizations == address(0)) revert ZeroAddress();
        _organizations = IOrganizationRegistry(organizations);
    }

    /// @inheritdoc IDeviceRegistry
    /// @dev Reverts NotInsideInstitution when the scene has no Institution at or above it, and
    ///      IOrganizationRegistry.UnknownNode (from the registry) when the scene does not exist.
    function registerDevice(bytes32 deviceId, uint64 sceneId, uint8 kind, uint8 unit, bytes32 publicKey) external {
        if (deviceId == bytes32(0)) revert ZeroDeviceId();
        if (kind == 0) revert InvalidDeviceKind(kind);
        if (unit == 0) revert InvalidUnit(unit);
        if (publicKey == bytes32(0)) revert InvalidPublicKey();
        if (_devices[deviceId].status != DeviceStatus.None) revert DeviceAlreadyRegistered(deviceId);
        uint64 institutionId = _organizations.institutionOf(sceneId);
        if (institutionId == 0) revert NotInsideInstitution(sceneId);
        _checkInstitutionAdmin(institutionId);

        _devices[deviceId] = Device({
            institutionId: institutionId,
            sceneId: sceneId,
            kind: kind,
            unit: unit,
            status: DeviceStatus.Active,
            keyCount: 1
        });
        _keys[deviceId][0] = KeyEpoch({publicKey: publicKey, validFromSequence: 0});
        _usedKeys[deviceId][publicKey] = true;
        emit DeviceRegistered(deviceId, institutionId, sceneId, kind, unit, publicKey);
    }

    /// @inheritdoc IDeviceRegistry
    /// @dev Allowed on a suspended device: replacing a compromised key is a reason to suspend.
    function rotateKey(bytes32 deviceId, bytes32 newPublicKey, uint64 validFromSequence) external {
        Device storage device = _managedDevice(deviceId);
        if (device.status == DeviceStatus.Retired) revert DeviceRetired(deviceId);
        if (newPublicKey == bytes32(0)) revert InvalidPublicKey();
        if (_usedKeys[deviceId][newPublicKey]) revert KeyAlreadyUsed(deviceId, newPublicKey);
        uint32 keyIndex = device.keyCount;
        uint64 currentValidFrom = _keys[deviceId][keyIndex - 1].validFromSequence;
        if (validFromSequence <= currentValidFrom) {
            revert KeySequenceNotIncreasing(deviceId, currentValidFrom, validFromSequence);
        }

        device.keyCount = keyIndex + 1;
        _keys[deviceId][keyIndex] = KeyEpoch({publicKey: newPublicKey, validFromSequence: validFromSequence});
        _usedKeys[deviceId][newPublicKey] = true;
        emit DeviceKeyRotated(deviceId, keyIndex, newPublicKey, validFromSequence);
    }

    /// @inheritdoc IDeviceRegistry
    function suspendDevice(bytes32 deviceId, string calldata reason) external {
        _transition(deviceId, DeviceStatus.Suspended, reason);
    }

    /// @inheritdoc IDeviceRegistry
    function reactivateDevice(bytes32 deviceId, string calldata reason) external {
        _transition(deviceId, DeviceStatus.Active, reason);
    }

    /// @inheritdoc IDeviceRegistry
    function retireDevice(bytes32 deviceId, string calldata reason) external {
        _transition(deviceId, DeviceStatus.Retired, reason);
    }

    /// @inheritdoc IDeviceRegistry
    /// @dev Reverts NotInstitution unless `institutionId` is itself an Institution node.
    function authorizeOracle(uint64 institutionId, address oracle) external {
        _checkInstitution(institutionId);
        _checkInstitutionAdmin(institutionId);
        if (oracle == address(0)) revert ZeroAddress();
        if (_oracles[institutionId][oracle]) revert OracleAlreadyAuthorized(institutionId, oracle);
        _oracles[institutionId][oracle] = true;
        emit OracleAuthorized(institutionId, oracle, msg.sender);
    }

    /// @notice Withdraw `oracle`'s right to anchor batches for `institutionId`; batches it already
    ///         anchored stay valid. The caller must be an admin of the institution (or above).
    /// @dev Reverts NotInstitution unless `institutionId` is itself an Institution node, and
    ///      OracleNotAuthorized when `oracle` is not currently authorised.
    function revokeOracle(uint64 institutionId, address oracle) external {
        _checkInstitution(institutionId);
        _checkInstitutionAdmin(institutionId);
        if (!_oracles[institutionId][oracle]) revert OracleNotAuthorized(institutionId, oracle);
        _oracles[institutionId][oracle] = false;
        emit OracleRevoked(institutionId, oracle, msg.sender);
    }

    /// @notice True when `account` may anchor batches for `institutionId`.
    function isOracle(uint64 institutionId, address account) external view returns (bool) {
        return _oracles[institutionId][account];
    }

    /// @inheritdoc IDeviceRegistry
    function deviceOf(bytes32 deviceId) external view returns (Device memory) {
        return _knownDevice(deviceId);
    }

    /// @inheritdoc IDeviceRegistry
    function keyForSequence(bytes32 deviceId, uint64 sequence)
        external
        view
        returns (bytes32 publicKey, uint32 keyIndex)
    {
        uint32 keyCount = _knownDevice(deviceId).keyCount;
        mapping(uint32 => KeyEpoch) storage keys = _keys[deviceId];
        // Binary search for the last epoch with validFromSequence <= sequence; epochs are sorted
        // because rotateKey only accepts strictly increasing starts.
        uint32 low = 0;
        uint32 high = keyCount;
        while (low < high) {
            uint32 mid = low + (high - low) / 2;
            if (keys[mid].validFromSequence <= sequence) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        if (low == 0) revert NoKeyForSequence(deviceId, sequence);
        keyIndex = low - 1;
        publicKey = keys[keyIndex].publicKey;
    }

    /// @inheritdoc IDeviceRegistry
    function keyHistory(bytes32 deviceId) external view returns (KeyEpoch[] memory history) {
        uint32 keyCount = _knownDevice(deviceId).keyCount;
        history = new KeyEpoch[](keyCount);
        for (uint32 i = 0; i < keyCount; ++i) {
            history[i] = _keys[deviceId][i];
        }
    }

    /// @inheritdoc IDeviceRegistry
    function organizations() external view returns (address) {
        return address(_organizations);
    }

    /// @dev The only transitions: Active → Suspended, Suspended → Active, Active | Suspended → Retired.
    function _transition(bytes32 deviceId, DeviceStatus to, string calldata reason) private {
        Device storage device = _managedDevice(deviceId);
        DeviceStatus from = device.status;
        bool allowed = (from == DeviceStatus.Active && to == DeviceStatus.Suspended)
            || (from == DeviceStatus.Suspended && to == DeviceStatus.Active)
            || (from != DeviceStatus.Retired && to == DeviceStatus.Retired);
        if (!allowed) revert InvalidStatusTransition(deviceId, from, to);
        device.status = to;
        emit DeviceStatusChanged(deviceId, from, to, reason);
    }

    /// @dev A registered device whose institution the caller administers.
    function _managedDevice(bytes32 deviceId) private view returns (Device storage device) {
        device = _knownDevice(deviceId);
        _checkInstitutionAdmin(device.institutionId);
    }

    function _knownDevice(bytes32 deviceId) private view returns (Device storage device) {
        device = _devices[deviceId];
        if (device.status == DeviceStatus.None) revert UnknownDevice(deviceId);
    }

    function _checkInstitution(uint64 nodeId) private view {
        // institutionOf(x) == x exactly when x is an Institution node; it reverts UnknownNode.
        if (_organizations.institutionOf(nodeId) != nodeId) revert NotInstitution(nodeId);
    }

    function _checkInstitutionAdmin(uint64 institutionId) private view {
        if (!_organizations.isAdmin(institutionId, msg.sender)) {
            revert NotInstitutionAdmin(institutionId, msg.sender);
        }
    }
}
