// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Retirement certificates: soulbound ERC-721 tokens, one per retirement, each backing at
///        most one claim.
/// @notice A certificate is minted to the beneficiary when CarbonCredit burns credits. It records
///         the claim the retirement backs (a certification application or a meeting), the period
///         claimed, the tonnes retired and a commitment to the exact serial ranges burned. It can
///         never be transferred, approved or burned (ERC-5192 `locked` is always true).
///
///         No double counting: a certificate names its one claim for ever, and each retiring
///         account can back a claim once (ClaimAlreadyBacked), so whoever judges a claim reads one
///         certificate: `certificateForClaim(kind, claimId, retiree)` with the retiree it trusts
///         (CertificationRegistry: the applicant). Keying by retiree means a stranger who retires a
///         tonne under someone else's claim id wastes it and blocks nobody.
interface IRetirementCertificate {
    /// @dev What a retirement is claimed against. `None` is a voluntary retirement that backs no
    ///      claim (its claimId must be 0); any other kind needs a non-zero claimId and can be backed
    ///      once. Mirrored by ClaimKind in the Python clients.
    enum ClaimKind {
        None,
        CertificationApplication,
        Meeting
    }

    /// @notice The serials `firstSerial..lastSerial` (inclusive) of credit token `tokenId`.
    struct SerialRange {
        uint256 tokenId;
        uint64 firstSerial;
        uint64 lastSerial;
    }

    /// @notice What a retirement is for, as given to CarbonCredit.retire / retireBatch.
    struct Claim {
        address beneficiary;
        ClaimKind kind;
        bytes32 claimId;
        uint40 periodStart; // unix seconds, inclusive
        uint40 periodEnd; // unix seconds, exclusive: [start, end) as in IAccountingLedger
        string reason;
    }

    /// @notice A certificate as stored. The beneficiary is the token's owner; the retiring account
    ///         and the ranges themselves are in CarbonCredit's CreditsRetired event, and
    ///         `rangesHash` = keccak256(abi.encode(ranges)) pins them on chain.
    struct Certificate {
        ClaimKind claimKind;
        uint40 periodStart;
        uint40 periodEnd;
        uint40 retiredAt; // block timestamp
        uint64 tonnes;
        uint32 rangeCount;
        bytes32 claimId;
        bytes32 rangesHash;
        string reason;
    }

    event CertificateIssued(
        uint256 indexed certificateId,
        address indexed beneficiary,
        bytes32 indexed claimId,
        address retiree,
        ClaimKind claimKind,
        uint40 periodStart,
        uint40 periodEnd,
        uint64 tonnes,
        uint32 rangeCount,
        bytes32 rangesHash,
        string reason
    );

    /// @dev ERC-5192: emitted once per certificate, at mint; certificates never unlock.
    event Locked(uint256 tokenId);

    /// @dev Transfers, burns and approvals of certificates all revert with this.
    error CertificateNotTransferable(uint256 certificateId);
    /// @dev `retiree` already backed this claim with certificate `certificateId`.
    error ClaimAlreadyBacked(ClaimKind claimKind, bytes32 claimId, address retiree, uint256 certificateId);
    /// @dev ClaimKind.None with a non-zero claimId, or a claim kind with a zero claimId.
    error InvalidClaim(ClaimKind claimKind, bytes32 claimId);
    /// @dev The claimed period [periodStart, periodEnd) is empty or reversed.
    error InvalidClaimPeriod(uint40 periodStart, uint40 periodEnd);
    error NotCreditContract(address account);

    /// @notice Mint the certificate of a retirement by `retiree` to `claim.beneficiary`. Only the
    ///         CarbonCredit contract that deployed this one may call it, after it has burned the credits.
    /// @return certificateId 1, 2, 3, … in mint order.
    function issueCertificate(
        Claim calldata claim,
        address retiree,
        uint64 tonnes,
        uint32 rangeCount,
        bytes32 rangesHash
    ) external returns (uint256 certificateId);

    /// @notice A certificate's record. Reverts ERC721NonexistentToken.
    function certificateOf(uint256 certificateId) external view returns (Certificate memory);

    /// @notice The certificate with which `retiree` backed claim (`claimKind`, `claimId`), or 0.
    function certificateForClaim(ClaimKind claimKind, bytes32 claimId, address retiree)
        external
        view
        returns (uint256);

    /// @notice True when `ranges` are exactly the serial ranges certificate `certificateId` retired.
    ///         Reverts ERC721NonexistentToken.
    function rangesMatch(uint256 certificateId, SerialRange[] calldata ranges) external view returns (bool);

    /// @notice ERC-5192: always true for an existing certificate. Reverts ERC721NonexistentToken.
    function locked(uint256 tokenId) external view returns (bool);

    /// @notice Number of certificates minted; ids run from 1 to certificateCount().
    function certificateCount() external view returns (uint256);

    /// @notice The CarbonCredit contract, the only account that can mint certificates.
    function credits() external view returns (address);
}
