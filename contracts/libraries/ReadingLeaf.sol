// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title The Merkle leaf of a signed meter reading, mirrored by ledger/merkle.py `reading_leaf`.
/// @notice leaf = keccak256(keccak256(payload ‖ signature)), where payload is the 68-byte canonical
///         reading v1 (docs in ledger/encoding.py) and signature its 64-byte Ed25519 signature. The
///         double hash keeps a leaf from ever being read as an inner node (OpenZeppelin's advice).
library ReadingLeaf {
    uint256 internal constant PAYLOAD_LENGTH = 68;
    uint256 internal constant SIGNATURE_LENGTH = 64;

    error InvalidReadingLength(uint256 payloadLength, uint256 signatureLength);

    function leafHash(bytes calldata payload, bytes calldata signature) internal pure returns (bytes32) {
        if (payload.length != PAYLOAD_LENGTH || signature.length != SIGNATURE_LENGTH) {
            revert InvalidReadingLength(payload.length, signature.length);
        }
        return keccak256(bytes.concat(keccak256(bytes.concat(payload, signature))));
    }
}
