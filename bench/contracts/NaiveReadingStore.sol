// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title The naive design `make bench` compares the ledger against: one reading per transaction.
/// @notice Every signed reading is written to contract storage, keyed by (device, sequence), and
///         emitted in an event. No batching and no Merkle root.
/// @dev Benchmark only; never deployed by the ledger. It is the careful version of the naive
///      design, so the comparison does not flatter the ledger: the reading's fields are packed
///      into one slot and the signature is kept as its hash in a second slot (the signature bytes
///      are in the event, so the reading stays checkable). It checks neither the sender nor the
///      signature; a real naive deployment would pay for an oracle check on top.
contract NaiveReadingStore {
    /// @dev Slot 1: timestamp, quantity, unit, scale, value (216 bits). Slot 2: signature hash.
    struct StoredReading {
        uint64 timestamp;
        uint8 quantity;
        uint8 unit;
        int8 scale;
        int128 value;
        bytes32 signatureHash;
    }

    mapping(bytes32 deviceId => mapping(uint64 sequence => StoredReading)) private _readings;

    event ReadingStored(
        bytes32 indexed deviceId,
        uint64 indexed sequence,
        uint64 timestamp,
        uint8 quantity,
        uint8 unit,
        int8 scale,
        int128 value,
        bytes signature
    );

    error ReadingAlreadyStored(bytes32 deviceId, uint64 sequence);
    error InvalidSignatureLength(uint256 length);

    /// @notice Store one signed reading (the fields of ledger/encoding.py's layout v1).
    ///         Reverts ReadingAlreadyStored when (deviceId, sequence) is already there.
    function storeReading(
        bytes32 deviceId,
        uint64 sequence,
        uint64 timestamp,
        uint8 quantity,
        uint8 unit,
        int8 scale,
        int128 value,
        bytes calldata signature
    ) external {
        if (signature.length != 64) revert InvalidSignatureLength(signature.length);
        StoredReading storage stored = _readings[deviceId][sequence];
        // keccak256 of 64 bytes is never zero, so a zero hash marks an empty entry
        if (stored.signatureHash != bytes32(0)) revert ReadingAlreadyStored(deviceId, sequence);
        _readings[deviceId][sequence] = StoredReading({
            timestamp: timestamp,
            quantity: quantity,
            unit: unit,
            scale: scale,
            value: value,
            signatureHash: keccak256(signature)
        });
        emit ReadingStored(deviceId, sequence, timestamp, quantity, unit, scale, value, signature);
    }

    /// @notice The stored reading; all zero when (deviceId, sequence) was never stored.
    function readingOf(bytes32 deviceId, uint64 sequence) external view returns (StoredReading memory) {
        return _readings[deviceId][sequence];
    }
}
