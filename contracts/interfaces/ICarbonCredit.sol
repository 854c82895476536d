// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccountingLedger} from "./IAccountingLedger.sol";
import {IRetirementCertificate} from "./IRetirementCertificate.sol";

/// @title Carbon credits as ERC-1155 tokens with serial numbers, issued against approved
///        verifications and retired into soulbound certificates.
/// @notice One unit is one tonne of CO2e. A token id is one (credit class, project, vintage):
///         `tokenId = classId << 128 | projectId << 64 | vintage`, each field in its own 64-bit
///         lane (classId < 2^32, projectId < 2^64, vintage a year < 2^16), so ids read in hex.
///
///         Serials. Within a token id, units are fungible while they circulate, but every unit
///         ever issued has exactly one serial: issuance batch k of a token id covers the next
///         contiguous serials `[issued + 1, issued + amount]`. Retirement always burns the lowest
///         serials of the token id that are not yet retired, so the retired serials of a token id
///         are exactly `1..retired` and each retirement consumes the contiguous range
///         `[retired + 1, retired + amount]`. A serial is therefore retired at most once by
///         construction, whoever holds the units, and `totalSupply(id) + retired(id) == issued(id)`.
///
///         Issuance. A VERIFIER_ROLE account approves a verification (id, project, vintage,
///         verified tonnes, evidence CID); an ISSUER_ROLE account then issues against it, never
///         more than its verified tonnes in total. An internal class credits an institution's own
///         reductions: its verification must cite a Final, institution-wide Savings result of
///         the AccountingLedger (the institution's M&V savings, submitted by it and made Final by
///         a regulator's verifier), and all verifications citing a result (or a result it
///         restates) together never exceed its savings in whole tonnes. Credits of an external registry (CCER, VCS, GS …)
///         are brought in with `importExternalCredits`, naming the registry serial; the same
///         (registry, serial) can be imported once.
interface ICarbonCredit {
    /// @notice A credit class: one standard and methodology, e.g. ("ZCL-VERIFIED-SAVINGS",
    ///         "ZCL-MV-C-v1") or ("VCS", "VM0038"). External classes are imported with registry
    ///         serials; internal classes are issued from verified savings.
    struct CreditClass {
        string standard;
        string methodology;
        bool isExternal;
    }

    /// @notice A project: its class, the institution (organisation node) whose reductions it
    ///         credits (0 for a project outside the tree), and its verified and issued tonnes
    ///         summed over all verifications and vintages.
    struct Project {
        uint32 classId;
        uint64 institutionId;
        uint64 verifiedTonnes;
        uint64 issuedTonnes;
    }

    /// @notice An approved verification: it allows issuing up to `verifiedTonnes` of the
    ///         project's `vintage`; `resultId` is the AccountingLedger Savings result it cites
    ///         (0 for an external class).
    struct Verification {
        uint64 projectId;
        uint16 vintage;
        uint64 verifiedTonnes;
        uint64 issuedTonnes;
        uint40 approvedAt;
        uint64 resultId; // a second slot, written for internal classes only
    }

    /// @notice Per token id: serials 1..issued exist, serials 1..retired are retired.
    struct TokenSupply {
        uint64 issued;
        uint64 retired;
        uint32 batchCount;
    }

    /// @notice One issuance: serials firstSerial..lastSerial of a token id, from one verification.
    struct IssuanceBatch {
        uint64 firstSerial;
        uint64 lastSerial;
        uint40 issuedAt;
        bytes32 verificationId;
    }

    event CreditClassCreated(uint32 indexed classId, string standard, string methodology, bool isExternal);
    event ProjectRegistered(
        uint64 indexed projectId, uint32 indexed classId, uint64 indexed institutionId, string name
    );
    event VerificationApproved(
        bytes32 indexed verificationId,
        uint64 indexed projectId,
        address indexed verifier,
        uint16 vintage,
        uint64 verifiedTonnes,
        uint64 resultId,
        string evidenceCid
    );
    event CreditsIssued(
        uint256 indexed tokenId,
        bytes32 indexed verificationId,
        address indexed to,
        uint32 batchIndex,
        uint64 firstSerial,
        uint64 lastSerial
    );
    event ExternalSerialImported(
        bytes32 indexed registryKey,
        uint256 indexed tokenId,
        string standard,
        string externalSerial,
        uint64 firstSerial,
        uint64 lastSerial
    );
    event CreditsRetired(
        uint256 indexed certificateId,
        address indexed retiree,
        address indexed beneficiary,
        uint64 tonnes,
        IRetirementCertificate.SerialRange[] ranges
    );

    error UnknownCreditClass(uint32 classId);
    error CreditClassExists(uint32 classId);
    error EmptyClassField();
    error UnknownProject(uint64 projectId);
    error EmptyProjectName();
    error NotInstitution(uint64 nodeId);
    /// @dev An internal class credits an institution's own savings: its projects name one.
    error InstitutionRequired(uint32 classId);
    error ZeroVerificationId();
    error VerificationAlreadyApproved(bytes32 verificationId);
    error UnknownVerification(bytes32 verificationId);
    /// @dev Vintages are years from 1990 (the Kyoto base year) to 2999.
    error InvalidVintage(uint16 vintage);
    error EmptyEvidenceCid();
    error ZeroAmount();
    error IssuanceExceedsVerifiedSavings(uint64 projectId, uint64 requested, uint64 remaining);
    /// @dev A verification of an internal class's project cites no Savings result.
    error SavingsResultRequired(uint64 projectId);
    /// @dev A verification of an external class's project cites an AccountingLedger result.
    error UnexpectedSavingsResult(uint64 projectId, uint64 resultId);
    /// @dev The cited result is an Emissions result.
    error NotSavingsResult(uint64 resultId);
    /// @dev The cited result is not of the project's institution, or not of its whole boundary.
    error ResultNotInstitutionWide(uint64 resultId, uint64 institutionId);
    /// @dev The cited result is not (or, at issuance, no longer) Final.
    error ResultNotFinal(uint64 resultId, IAccountingLedger.ResultStatus status);
    /// @dev The tonnes verified against the result's restatement chain would exceed its savings;
    ///      `available` is its savings in whole tonnes less the tonnes already verified.
    error VerifiedTonnesExceedSavings(uint64 resultId, uint64 requested, uint256 available);
    /// @dev The vintage year, a calendar year in China Standard Time (UTC+8, the ledger's calendar),
    ///      shares no second with the cited result's reporting period [periodStart, periodEnd).
    error VintageOutsideSavingsPeriod(uint16 vintage, uint40 periodStart, uint40 periodEnd);
    /// @dev `issue` on an external class, or `importExternalCredits` on an internal one.
    error WrongIssuancePath(uint32 classId, bool isExternal);
    error EmptyExternalSerial();
    error ExternalSerialAlreadyImported(string standard, string externalSerial);
    error EmptyRetirement();
    error RetirementLengthMismatch(uint256 tokenIdsLength, uint256 amountsLength);
    error UnknownSerial(uint256 tokenId, uint64 serial);
    error UnknownIssuanceBatch(uint256 tokenId, uint32 index);
    /// @dev A token id with bits outside the class, project and vintage lanes.
    error InvalidTokenId(uint256 tokenId);
    error ZeroAddress();

    /// @notice Create a credit class. DEFAULT_ADMIN_ROLE. A (standard, methodology) pair exists once.
    function createCreditClass(string calldata standard, string calldata methodology, bool isExternal)
        external
        returns (uint32 classId);

    /// @notice Register a project of class `classId`. ISSUER_ROLE. `institutionId` is 0 or an
    ///         Institution node of the OrganizationRegistry.
    function registerProject(uint32 classId, uint64 institutionId, string calldata name)
        external
        returns (uint64 projectId);

    /// @notice Approve (and anchor on chain) a verification of `verifiedTonnes` of reductions of
    ///         `projectId` in `vintage`, documented at `evidenceCid`. VERIFIER_ROLE. The id is
    ///         chosen by the verifier (e.g. the hash of its report) and can be approved once.
    ///         For an internal class `resultId` is the Savings result verified (see above; reverts
    ///         SavingsResultRequired, NotSavingsResult, ResultNotInstitutionWide, ResultNotFinal,
    ///         VintageOutsideSavingsPeriod, VerifiedTonnesExceedSavings), and `vintage` must be a
    ///         year its reporting period falls in, at least in part (years of China Standard Time,
    ///         the calendar result periods are cut in); for an external class it is 0.
    function approveVerification(
        bytes32 verificationId,
        uint64 projectId,
        uint16 vintage,
        uint64 verifiedTonnes,
        uint64 resultId,
        string calldata evidenceCid
    ) external;

    /// @notice Mint `amount` tonnes of an internal class to `to` against `verificationId`, as the
    ///         next serial range of token (class, project, vintage). ISSUER_ROLE. Reverts
    ///         IssuanceExceedsVerifiedSavings when the verification has less than `amount` left,
    ///         ResultNotFinal when the Savings result it cites has been superseded since (its
    ///         unissued tonnes stay booked: a restatement never frees savings for re-crediting).
    function issue(bytes32 verificationId, address to, uint64 amount)
        external
        returns (uint256 tokenId, uint64 firstSerial, uint64 lastSerial);

    /// @notice Like `issue`, for an external class, recording the external registry's serial
    ///         (e.g. a Verra serial block). ISSUER_ROLE. Reverts ExternalSerialAlreadyImported when
    ///         (the class's standard, `externalSerial`) was imported before, into any class.
    function importExternalCredits(bytes32 verificationId, address to, uint64 amount, string calldata externalSerial)
        external
        returns (uint256 tokenId, uint64 firstSerial, uint64 lastSerial);

    /// @notice Burn `amount` units of `tokenId` held by the caller (the lowest unretired serials)
    ///         and mint a retirement certificate to `beneficiary` backing the claim (`claimKind`,
    ///         `claimId`) for the period [periodStart, periodEnd) in unix seconds. Reverts
    ///         ERC1155InsufficientBalance when the caller holds less, ClaimAlreadyBacked when the
    ///         caller already backed that claim.
    function retire(
        uint256 tokenId,
        uint256 amount,
        address beneficiary,
        string calldata reason,
        IRetirementCertificate.ClaimKind claimKind,
        bytes32 claimId,
        uint40 periodStart,
        uint40 periodEnd
    ) external returns (uint256 certificateId);

    /// @notice `retire` for several token ids (repeats allowed) in one transaction and one
    ///         certificate, with one serial range per entry.
    function retireBatch(
        uint256[] calldata tokenIds,
        uint256[] calldata amounts,
        address beneficiary,
        string calldata reason,
        IRetirementCertificate.ClaimKind claimKind,
        bytes32 claimId,
        uint40 periodStart,
        uint40 periodEnd
    ) external returns (uint256 certificateId);

    /// @notice Reverts UnknownCreditClass.
    function creditClassOf(uint32 classId) external view returns (CreditClass memory);

    /// @notice Reverts UnknownProject.
    function projectOf(uint64 projectId) external view returns (Project memory);

    /// @notice Reverts UnknownVerification.
    function verificationOf(bytes32 verificationId) external view returns (Verification memory);

    /// @notice The savings of AccountingLedger result `resultId` in whole tonnes (its total over
    ///         the scopes, rounded down) and the tonnes verified so far against its restatement
    ///         chain. Reverts IAccountingLedger.UnknownResult.
    function savingsOf(uint64 resultId) external view returns (uint256 savingsTonnes, uint64 verifiedTonnes);

    /// @notice Issued and retired serial counts and the number of issuance batches of `tokenId`.
    function supplyOf(uint256 tokenId) external view returns (TokenSupply memory);

    /// @notice Units of `tokenId` in circulation: issued minus retired.
    function totalSupply(uint256 tokenId) external view returns (uint256);

    /// @notice Issuance batch `index` (0-based) of `tokenId`. Reverts UnknownIssuanceBatch.
    function issuanceBatchOf(uint256 tokenId, uint32 index) external view returns (IssuanceBatch memory);

    /// @notice The issuance batch that created serial `serial` of `tokenId`. Reverts UnknownSerial.
    function batchOfSerial(uint256 tokenId, uint64 serial) external view returns (IssuanceBatch memory);

    /// @notice True when serial `serial` of `tokenId` has been retired. Reverts UnknownSerial.
    function isRetired(uint256 tokenId, uint64 serial) external view returns (bool);

    /// @notice True when the external registry serial has been imported under `standard`.
    function isExternalSerialImported(string calldata standard, string calldata externalSerial)
        external
        view
        returns (bool);

    /// @notice The token id of (class, project, vintage); see the layout above.
    function tokenIdOf(uint32 classId, uint64 projectId, uint16 vintage) external pure returns (uint256);

    /// @notice The (class, project, vintage) of a token id. Reverts InvalidTokenId when `tokenId`
    ///         is not tokenIdOf(...) of any triple.
    function decodeTokenId(uint256 tokenId) external pure returns (uint32 classId, uint64 projectId, uint16 vintage);

    function creditClassCount() external view returns (uint32);

    function projectCount() external view returns (uint64);

    /// @notice The RetirementCertificate contract this contract deployed and alone mints to.
    function certificates() external view returns (address);

    /// @notice The OrganizationRegistry that institution ids refer to (the AccountingLedger's).
    function organizations() external view returns (address);

    /// @notice The AccountingLedger whose Savings results internal credits are issued against.
    function accounting() external view returns (address);
}
