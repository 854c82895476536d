// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

import {IRetirementCertificate} from "./interfaces/IRetirementCertificate.sol";

/// @title Soulbound retirement certificates, minted by CarbonCredit when credits are retired.
/// @notice One certificate per retirement (single or batch), owned by the beneficiary forever.
/// @dev CarbonCredit deploys this contract in its constructor, so the minter is fixed at
///      deployment and no role can ever be granted to mint a certificate without a burn. Only a
///      mint passes `_update`: transfers and burns revert CertificateNotTransferable, and so do
///      approvals, which would only ever authorise a transfer that cannot happen. A certificate is
///      one packed slot of metadata, the claim id, the ranges hash and the reason; the claim index
///      (kind, claim id, retiree → certificate) is one more slot. The retiree is in the claim key
///      and the events, not in the record.
contract RetirementCertificate is ERC721, IRetirementCertificate {
    /// @dev ERC-5192 (minimal soulbound NFTs) interface id.
    bytes4 private constant _ERC5192_INTERFACE_ID = 0xb45a3c0e;

    address private immutable _credits;

    uint256 private _certificateCount;
    mapping(uint256 certificateId => Certificate) private _certificates;
    mapping(bytes32 claimKey => uint256 certificateId) private _claims;

    /// @dev The deployer (CarbonCredit) becomes the only minter.
    constructor() ERC721("ZCL Retirement Certificate", "ZCLRC") {
        _credits = msg.sender;
    }

    /// @inheritdoc IRetirementCertificate
    /// @dev Reverts InvalidClaim, InvalidClaimPeriod, ClaimAlreadyBacked, and OpenZeppelin's
    ///      ERC721InvalidReceiver for a zero beneficiary. `_mint`, not `_safeMint`: the beneficiary
    ///      is not called back, so a retirement cannot be blocked or re-entered by its beneficiary.
    function issueCertificate(
        Claim calldata claim,
        address retiree,
        uint64 tonnes,
        uint32 rangeCount,
        bytes32 rangesHash
    ) external returns (uint256 certificateId) {
        if (msg.sender != _credits) revert NotCreditContract(msg.sender);
        if ((claim.kind == ClaimKind.None) != (claim.claimId == bytes32(0))) {
            revert InvalidClaim(claim.kind, claim.claimId);
        }
        if (claim.periodStart >= claim.periodEnd) revert InvalidClaimPeriod(claim.periodStart, claim.periodEnd);

        certificateId = ++_certificateCount;
        if (claim.kind != ClaimKind.None) {
            bytes32 key = _claimKey(claim.kind, claim.claimId, retiree);
            uint256 backing = _claims[key];
            if (backing != 0) revert ClaimAlreadyBacked(claim.kind, claim.claimId, retiree, backing);
            _claims[key] = certificateId;
        }
        _certificates[certificateId] = Certificate({
            claimKind: claim.kind,
            periodStart: claim.periodStart,
            periodEnd: claim.periodEnd,
            retiredAt: uint40(block.timestamp),
            tonnes: tonnes,
            rangeCount: rangeCount,
            claimId: claim.claimId,
            rangesHash: rangesHash,
            reason: claim.reason
        });
        _mint(claim.beneficiary, certificateId);
        emit Locked(certificateId);
        _emitIssued(certificateId, claim, retiree);
    }

    /// @inheritdoc IRetirementCertificate
    function certificateOf(uint256 certificateId) external view returns (Certificate memory) {
        _requireOwned(certificateId);
        return _certificates[certificateId];
    }

    /// @inheritdoc IRetirementCertificate
    function certificateForClaim(ClaimKind claimKind, bytes32 claimId, address retiree)
        external
        view
        returns (uint256)
    {
        return _claims[_claimKey(claimKind, claimId, retiree)];
    }

    /// @inheritdoc IRetirementCertificate
    function rangesMatch(uint256 certificateId, SerialRange[] calldata ranges) external view returns (bool) {
        _requireOwned(certificateId);
        return keccak256(abi.encode(ranges)) == _certificates[certificateId].rangesHash;
    }

    /// @inheritdoc IRetirementCertificate
    function locked(uint256 tokenId) external view returns (bool) {
        _requireOwned(tokenId);
        return true;
    }

    /// @inheritdoc IRetirementCertificate
    function certificateCount() external view returns (uint256) {
        return _certificateCount;
    }

    /// @inheritdoc IRetirementCertificate
    function credits() external view returns (address) {
        return _credits;
    }

    /// @notice Certificates cannot be approved for transfer. Always reverts CertificateNotTransferable.
    function approve(address, uint256 tokenId) public pure override {
        revert CertificateNotTransferable(tokenId);
    }

    /// @notice Certificates cannot be approved for transfer. Always reverts CertificateNotTransferable(0).
    function setApprovalForAll(address, bool) public pure override {
        revert CertificateNotTransferable(0);
    }

    /// @notice ERC-721, ERC-721 metadata, ERC-165 and ERC-5192.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == _ERC5192_INTERFACE_ID || super.supportsInterface(interfaceId);
    }

    /// @dev Every balance change goes through here; only a mint (no previous owner) is allowed.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        if (_ownerOf(tokenId) != address(0)) revert CertificateNotTransferable(tokenId);
        return super._update(to, tokenId, auth);
    }

    /// @dev Split from issueCertificate to keep its stack shallow; the figures are read back from
    ///      the record just written.
    function _emitIssued(uint256 certificateId, Claim calldata claim, address retiree) private {
        Certificate storage certificate = _certificates[certificateId];
        emit CertificateIssued(
            certificateId,
            claim.beneficiary,
            claim.claimId,
            retiree,
            claim.kind,
            claim.periodStart,
            claim.periodEnd,
            certificate.tonnes,
            certificate.rangeCount,
            certificate.rangesHash,
            claim.reason
        );
    }

    /// @dev One claim id space per kind (the same bytes32 may name an application and a meeting),
    ///      and one backing per retiring account.
    function _claimKey(ClaimKind claimKind, bytes32 claimId, address retiree) private pure returns (bytes32) {
        return keccak256(abi.encode(claimKind, claimId, retiree));
    }
}
