// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {RetirementCertificate} from "./RetirementCertificate.sol";
import {IAccountingLedger} from "./interfaces/IAccountingLedger.sol";
import {ICarbonCredit} from "./interfaces/ICarbonCredit.sol";
import {IOrganizationRegistry} from "./interfaces/IOrganizationRegistry.sol";
import {IRetirementCertificate} from "./interfaces/IRetirementCertificate.sol";

/// @title Carbon credits (ERC-1155, one unit = one tonne CO2e) with serials, issuance against
///        approved verifications, external-registry imports, and retirement into certificates.
/// @notice Roles: DEFAULT_ADMIN_ROLE (governance) creates credit classes and grants roles;
///         VERIFIER_ROLE approves verifications; ISSUER_ROLE registers projects and issues. Anyone
///         holding credits may transfer, list (CreditMarket) or retire them.
/// @dev The serial design is in ICarbonCredit: per token id two counters, `issued` and
///      `retired`, in one slot; issuance appends the range above `issued`, retirement consumes the
///      range above `retired`. Issuance batches are kept per token id (two slots each) so the
///      origin of any serial can be found on chain by binary search. The retired ranges are not
///      stored per range: they follow from the counters and are listed in CreditsRetired, with
///      their hash kept in the certificate, which keeps a 1,000-range batch retirement within a
///      block. Supply is `issued - retired`, so no ERC1155Supply counters are needed.
///      An internal class credits an institution's own savings: each verification cites a Final,
///      institution-wide Savings result of the AccountingLedger, and the tonnes verified against a
///      result's restatement chain (kept under its first result's id, so a restatement cannot
///      re-open savings already credited) never exceed the savings of the result cited, and its
///      vintage is a year the result's reporting period falls in.
contract CarbonCredit is ERC1155, AccessControl, ICarbonCredit {
    /// @notice May approve verifications.
    bytes32 public constant VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    /// @notice May register projects and issue or import credits.
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");

    uint16 private constant _MIN_VINTAGE = 1990;
    uint16 private constant _MAX_VINTAGE = 2999;
    uint256 private constant _GRAMS_PER_TONNE = 1_000_000;
    /// @dev Vintages are years of the ledger's calendar, China Standard Time (UTC+8), in which
    ///      result periods are cut (ledger/accounting/metered.py `period_bounds`).
    uint256 private constant _CALENDAR_UTC_OFFSET = 8 hours;
    /// @dev Leap years in 1..1969 (1969/4 - 1969/100 + 1969/400), which `_newYearOf` subtracts to
    ///      count the leap days since 1970.
    uint256 private constant _LEAP_YEARS_BEFORE_1970 = 477;

    IOrganizationRegistry private immutable _organizations;
    IAccountingLedger private immutable _accounting;
    IRetirementCertificate private immutable _certificates;

    uint32 private _creditClassCount;
    uint64 private _projectCount;
    mapping(uint32 classId => CreditClass) private _creditClasses;
    mapping(bytes32 classKey => uint32 classId) private _classIds;
    mapping(uint64 projectId => Project) private _projects;
    mapping(bytes32 verificationId => Verification) private _verifications;
    mapping(uint256 tokenId => TokenSupply) private _supplies;
    mapping(uint256 tokenId => mapping(uint32 index => IssuanceBatch)) private _batches;
    mapping(bytes32 registryKey => bool) private _importedSerials;
    mapping(uint64 firstResultId => uint64 tonnes) private _savingsVerified;

    /// @param governance Receives DEFAULT_ADMIN_ROLE.
    /// @param accounting_ The AccountingLedger whose Savings results internal credits are issued
    ///        against; its OrganizationRegistry is the one project institution ids refer to.
    /// @param uri_ ERC-1155 metadata URI template (`{id}` is replaced by clients).
    constructor(address governance, address accounting_, string memory uri_) ERC1155(uri_) {
        if (governance == address(0) || accounting_ == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, governance);
        _accounting = IAccountingLedger(accounting_);
        _organizations = IOrganizationRegistry(IAccountingLedger(accounting_).organizations());
        _certificates = new RetirementCertificate();
    }

    // --- classes, projects, verifications -----------------------------------------------------

    /// @inheritdoc ICarbonCredit
    function createCreditClass(string calldata standard, string calldata methodology, bool isExternal)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        returns (uint32 classId)
    {
        if (bytes(standard).length == 0 || bytes(methodology).length == 0) revert EmptyClassField();
        bytes32 key = keccak256(abi.encode(standard, methodology));
        uint32 existing = _classIds[key];
        if (existing != 0) revert CreditClassExists(existing);
        classId = ++_creditClassCount;
        _classIds[key] = classId;
        _creditClasses[classId] = CreditClass({standard: standard, methodology: methodology, isExternal: isExternal});
        emit CreditClassCreated(classId, standard, methodology, isExternal);
    }

    /// @inheritdoc ICarbonCredit
    /// @dev Reverts IOrganizationRegistry.UnknownNode (from the registry) for a node that does not exist.
    function registerProject(uint32 classId, uint64 institutionId, string calldata name)
        external
        onlyRole(ISSUER_ROLE)
        returns (uint64 projectId)
    {
        if (classId == 0 || classId > _creditClassCount) revert UnknownCreditClass(classId);
        if (bytes(name).length == 0) revert EmptyProjectName();
        if (institutionId == 0 && !_creditClasses[classId].isExternal) revert InstitutionRequired(classId);
        if (institutionId != 0 && _organizations.institutionOf(institutionId) != institutionId) {
            revert NotInstitution(institutionId);
        }
        projectId = ++_projectCount;
        _projects[projectId] =
            Project({classId: classId, institutionId: institutionId, verifiedTonnes: 0, issuedTonnes: 0});
        emit ProjectRegistered(projectId, classId, institutionId, name);
    }

    /// @inheritdoc ICarbonCredit
    function approveVerification(
        bytes32 verificationId,
        uint64 projectId,
        uint16 vintage,
        uint64 verifiedTonnes,
        uint64 resultId,
        string calldata evidenceCid
    ) external onlyRole(VERIFIER_ROLE) {
        if (verificationId == bytes32(0)) revert ZeroVerificationId();
        if (_verifications[verificationId].approvedAt != 0) revert VerificationAlreadyApproved(verificationId);
        Project storage project = _knownProject(projectId);
        if (vintage < _MIN_VINTAGE || vintage > _MAX_VINTAGE) revert InvalidVintage(vintage);
        if (verifiedTonnes == 0) revert ZeroAmount();
        if (bytes(evidenceCid).length == 0) revert EmptyEvidenceCid();
        if (_creditClasses[project.classId].isExternal) {
            if (resultId != 0) revert UnexpectedSavingsResult(projectId, resultId);
        } else {
            if (resultId == 0) revert SavingsResultRequired(projectId);
            _bookSavings(resultId, project.institutionId, vintage, verifiedTonnes);
        }

        project.verifiedTonnes += verifiedTonnes;
        _verifications[verificationId] = Verification({
            projectId: projectId,
            vintage: vintage,
            verifiedTonnes: verifiedTonnes,
            issuedTonnes: 0,
            approvedAt: uint40(block.timestamp),
            resultId: resultId
        });
        emit VerificationApproved(
            verificationId, projectId, msg.sender, vintage, verifiedTonnes, resultId, evidenceCid
        );
    }

    // --- issuance -----------------------------------------------------------------------------

    /// @inheritdoc ICarbonCredit
    function issue(bytes32 verificationId, address to, uint64 amount)
        external
        onlyRole(ISSUER_ROLE)
        returns (uint256 tokenId, uint64 firstSerial, uint64 lastSerial)
    {
        (Verification storage verification, uint32 classId) = _issuable(verificationId, amount, false);
        return _mintSerials(verification, classId, verificationId, to, amount);
    }

    /// @inheritdoc ICarbonCredit
    /// @dev The registry key is keccak256(abi.encode(standard, externalSerial)); the standard, not
    ///      the class, names the registry, so a second class of the same standard cannot re-import.
    function importExternalCredits(bytes32 verificationId, address to, uint64 amount, string calldata externalSerial)
        external
        onlyRole(ISSUER_ROLE)
        returns (uint256 tokenId, uint64 firstSerial, uint64 lastSerial)
    {
        (Verification storage verification, uint32 classId) = _issuable(verificationId, amount, true);
        if (bytes(externalSerial).length == 0) revert EmptyExternalSerial();
        string storage standard = _creditClasses[classId].standard;
        bytes32 registryKey = keccak256(abi.encode(standard, externalSerial));
        if (_importedSerials[registryKey]) revert ExternalSerialAlreadyImported(standard, externalSerial);
        _importedSerials[registryKey] = true;

        (tokenId, firstSerial, lastSerial) = _mintSerials(verification, classId, verificationId, to, amount);
        emit ExternalSerialImported(registryKey, tokenId, standard, externalSerial, firstSerial, lastSerial);
    }

    // --- retirement ---------------------------------------------------------------------------

    /// @inheritdoc ICarbonCredit
    function retire(
        uint256 tokenId,
        uint256 amount,
        address beneficiary,
        string calldata reason,
        IRetirementCertificate.ClaimKind claimKind,
        bytes32 claimId,
        uint40 periodStart,
        uint40 periodEnd
    ) external returns (uint256 certificateId) {
        (uint256[] memory tokenIds, uint256[] memory amounts) = _asSingletons(tokenId, amount);
        return _retire(
            tokenIds,
            amounts,
            IRetirementCertificate.Claim({
                beneficiary: beneficiary,
                kind: claimKind,
                claimId: claimId,
                periodStart: periodStart,
                periodEnd: periodEnd,
                reason: reason
            })
        );
    }

    /// @inheritdoc ICarbonCredit
    function retireBatch(
        uint256[] calldata tokenIds,
        uint256[] calldata amounts,
        address beneficiary,
        string calldata reason,
        IRetirementCertificate.ClaimKind claimKind,
        bytes32 claimId,
        uint40 periodStart,
        uint40 periodEnd
    ) external returns (uint256 certificateId) {
        return _retire(
            tokenIds,
            amounts,
            IRetirementCertificate.Claim({
                beneficiary: beneficiary,
                kind: claimKind,
                claimId: claimId,
                periodStart: periodStart,
                periodEnd: periodEnd,
                reason: reason
            })
        );
    }

    // --- views --------------------------------------------------------------------------------

    /// @inheritdoc ICarbonCredit
    function creditClassOf(uint32 classId) external view returns (CreditClass memory) {
        if (classId == 0 || classId > _creditClassCount) revert UnknownCreditClass(classId);
        return _creditClasses[classId];
    }

    /// @inheritdoc ICarbonCredit
    function projectOf(uint64 projectId) external view returns (Project memory) {
        return _knownProject(projectId);
    }

    /// @inheritdoc ICarbonCredit
    function verificationOf(bytes32 verificationId) external view returns (Verification memory) {
        return _knownVerification(verificationId);
    }

    /// @inheritdoc ICarbonCredit
    function savingsOf(uint64 resultId) external view returns (uint256 savingsTonnes, uint64 verifiedTonnes) {
        IAccountingLedger.ResultSummary memory result = _accounting.summaryOf(resultId);
        return (result.total / _GRAMS_PER_TONNE, _savingsVerified[_firstOfChain(resultId, result.supersedes)]);
    }

    /// @inheritdoc ICarbonCredit
    function supplyOf(uint256 tokenId) external view returns (TokenSupply memory) {
        return _supplies[tokenId];
    }

    /// @inheritdoc ICarbonCredit
    function totalSupply(uint256 tokenId) external view returns (uint256) {
        TokenSupply storage supply = _supplies[tokenId];
        return supply.issued - supply.retired;
    }

    /// @inheritdoc ICarbonCredit
    function issuanceBatchOf(uint256 tokenId, uint32 index) external view returns (IssuanceBatch memory) {
        if (index >= _supplies[tokenId].batchCount) revert UnknownIssuanceBatch(tokenId, index);
        return _batches[tokenId][index];
    }

    /// @inheritdoc ICarbonCredit
    function batchOfSerial(uint256 tokenId, uint64 serial) external view returns (IssuanceBatch memory) {
        TokenSupply storage supply = _knownSerial(tokenId, serial);
        mapping(uint32 => IssuanceBatch) storage batches = _batches[tokenId];
        // The last batch whose firstSerial <= serial; batches are in increasing serial order.
        uint32 low = 0;
        uint32 high = supply.batchCount;
        while (low < high) {
            uint32 mid = low + (high - low) / 2;
            if (batches[mid].firstSerial <= serial) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return batches[low - 1];
    }

    /// @inheritdoc ICarbonCredit
    function isRetired(uint256 tokenId, uint64 serial) external view returns (bool) {
        return serial <= _knownSerial(tokenId, serial).retired;
    }

    /// @inheritdoc ICarbonCredit
    function isExternalSerialImported(string calldata standard, string calldata externalSerial)
        external
        view
        returns (bool)
    {
        return _importedSerials[keccak256(abi.encode(standard, externalSerial))];
    }

    /// @inheritdoc ICarbonCredit
    function tokenIdOf(uint32 classId, uint64 projectId, uint16 vintage) external pure returns (uint256) {
        return _tokenIdOf(classId, projectId, vintage);
    }

    /// @inheritdoc ICarbonCredit
    function decodeTokenId(uint256 tokenId) external pure returns (uint32 classId, uint64 projectId, uint16 vintage) {
        classId = uint32(tokenId >> 128);
        projectId = uint64(tokenId >> 64);
        vintage = uint16(tokenId);
        if (_tokenIdOf(classId, projectId, vintage) != tokenId) revert InvalidTokenId(tokenId);
    }

    /// @inheritdoc ICarbonCredit
    function creditClassCount() external view returns (uint32) {
        return _creditClassCount;
    }

    /// @inheritdoc ICarbonCredit
    function projectCount() external view returns (uint64) {
        return _projectCount;
    }

    /// @inheritdoc ICarbonCredit
    function certificates() external view returns (address) {
        return address(_certificates);
    }

    /// @inheritdoc ICarbonCredit
    function organizations() external view returns (address) {
        return address(_organizations);
    }

    /// @inheritdoc ICarbonCredit
    function accounting() external view returns (address) {
        return address(_accounting);
    }

    /// @notice ERC-1155, ERC-1155 metadata URI, AccessControl and ERC-165.
    function supportsInterface(bytes4 interfaceId) public view override(ERC1155, AccessControl) returns (bool) {
        return super.supportsInterface(interfaceId);
    }

    // --- internals ----------------------------------------------------------------------------

    /// @dev The checks shared by both issuance paths, in the order a caller can fix them.
    function _issuable(bytes32 verificationId, uint64 amount, bool external_)
        private
        view
        returns (Verification storage verification, uint32 classId)
    {
        verification = _knownVerification(verificationId);
        classId = _projects[verification.projectId].classId;
        bool isExternal = _creditClasses[classId].isExternal;
        if (isExternal != external_) revert WrongIssuancePath(classId, isExternal);
        if (amount == 0) revert ZeroAmount();
        uint64 remaining = verification.verifiedTonnes - verification.issuedTonnes;
        if (amount > remaining) revert IssuanceExceedsVerifiedSavings(verification.projectId, amount, remaining);
        uint64 resultId = verification.resultId;
        if (resultId != 0) {
            IAccountingLedger.ResultStatus status = _accounting.summaryOf(resultId).status;
            if (status != IAccountingLedger.ResultStatus.Final) revert ResultNotFinal(resultId, status);
        }
    }

    /// @dev Books `tonnes` of `vintage` against Savings result `resultId` for a verification of
    ///      `institutionId`'s project: the result must be Final, institution-wide and the
    ///      institution's, its reporting period must meet the vintage year, and the tonnes verified
    ///      against its restatement chain, these included, at most its savings.
    function _bookSavings(uint64 resultId, uint64 institutionId, uint16 vintage, uint64 tonnes) private {
        IAccountingLedger.ResultSummary memory result = _accounting.summaryOf(resultId);
        if (result.kind != IAccountingLedger.ResultKind.Savings) revert NotSavingsResult(resultId);
        if (result.institutionId != institutionId || result.boundaryId != institutionId) {
            revert ResultNotInstitutionWide(resultId, institutionId);
        }
        if (result.status != IAccountingLedger.ResultStatus.Final) revert ResultNotFinal(resultId, result.status);
        _requireVintageInPeriod(vintage, result.periodStart, result.periodEnd);
        uint64 first = _firstOfChain(resultId, result.supersedes);
        uint64 verified = _savingsVerified[first];
        uint256 savings = result.total / _GRAMS_PER_TONNE;
        uint256 available = savings > verified ? savings - verified : 0;
        if (tonnes > available) revert VerifiedTonnesExceedSavings(resultId, tonnes, available);
        _savingsVerified[first] = verified + tonnes; // <= savings, and tonnes fit in a uint64
    }

    /// @dev Reverts VintageOutsideSavingsPeriod unless a result's half-open period
    ///      [periodStart, periodEnd) and the vintage year [1 January, next 1 January) share a second:
    ///      savings of part of a year may be credited to that year, savings of one year never to
    ///      another. Years are China Standard Time's, like the periods' bounds. The period comes
    ///      with the summary _bookSavings already read (slot 0 of the result), so the check costs
    ///      arithmetic only.
    function _requireVintageInPeriod(uint16 vintage, uint40 periodStart, uint40 periodEnd) private pure {
        if (periodStart >= _newYearOf(uint256(vintage) + 1) || periodEnd <= _newYearOf(vintage)) {
            revert VintageOutsideSavingsPeriod(vintage, periodStart, periodEnd);
        }
    }

    /// @dev Unix seconds of 1 January of `year` (>= 1971), 00:00 China Standard Time: 365 days a
    ///      year since 1970 plus the Gregorian leap days in between. Unchecked: `year` is a vintage
    ///      or the year after one (1990..3000, InvalidVintage), far from any bound.
    function _newYearOf(uint256 year) private pure returns (uint256) {
        unchecked {
            uint256 before = year - 1;
            uint256 leapDays = before / 4 - before / 100 + before / 400 - _LEAP_YEARS_BEFORE_1970;
            return (365 * (year - 1970) + leapDays) * 1 days - _CALENDAR_UTC_OFFSET;
        }
    }

    /// @dev The first result of the restatement chain that ends in `resultId` (which restates
    ///      `supersedes`): the key its verified tonnes are booked under.
    function _firstOfChain(uint64 resultId, uint64 supersedes) private view returns (uint64 first) {
        first = resultId;
        while (supersedes != 0) {
            first = supersedes;
            supersedes = _accounting.summaryOf(first).supersedes;
        }
    }

    /// @dev Books the issuance (verification, project, token supply, batch) before minting: the
    ///      mint's receiver callback is the only external call and sees the final state.
    function _mintSerials(
        Verification storage verification,
        uint32 classId,
        bytes32 verificationId,
        address to,
        uint64 amount
    ) private returns (uint256 tokenId, uint64 firstSerial, uint64 lastSerial) {
        uint64 projectId = verification.projectId;
        verification.issuedTonnes += amount;
        _projects[projectId].issuedTonnes += amount;

        tokenId = _tokenIdOf(classId, projectId, verification.vintage);
        TokenSupply storage supply = _supplies[tokenId];
        firstSerial = supply.issued + 1;
        lastSerial = supply.issued + amount;
        uint32 batchIndex = supply.batchCount;
        supply.issued = lastSerial;
        supply.batchCount = batchIndex + 1;
        _batches[tokenId][batchIndex] = IssuanceBatch({
            firstSerial: firstSerial,
            lastSerial: lastSerial,
            issuedAt: uint40(block.timestamp),
            verificationId: verificationId
        });
        emit CreditsIssued(tokenId, verificationId, to, batchIndex, firstSerial, lastSerial);
        _mint(to, tokenId, amount, "");
    }

    /// @dev Burn first (OpenZeppelin reverts ERC1155InsufficientBalance, and a burn calls no one),
    ///      then advance each token id's `retired` counter: amount <= balance <= issued - retired,
    ///      so the counter never passes `issued` and no serial is consumed twice. The certificate
    ///      contract is ours and calls no one back.
    function _retire(uint256[] memory tokenIds, uint256[] memory amounts, IRetirementCertificate.Claim memory claim)
        private
        returns (uint256 certificateId)
    {
        uint256 count = tokenIds.length;
        if (count == 0) revert EmptyRetirement();
        if (amounts.length != count) revert RetirementLengthMismatch(count, amounts.length);
        for (uint256 i = 0; i < count; ++i) {
            if (amounts[i] == 0) revert ZeroAmount();
        }
        _burnBatch(msg.sender, tokenIds, amounts);

        IRetirementCertificate.SerialRange[] memory ranges = new IRetirementCertificate.SerialRange[](count);
        uint64 tonnes = 0;
        for (uint256 i = 0; i < count; ++i) {
            uint64 amount = uint64(amounts[i]); // <= a burned balance <= issued, a uint64
            TokenSupply storage supply = _supplies[tokenIds[i]];
            uint64 firstSerial = supply.retired + 1;
            uint64 lastSerial = supply.retired + amount;
            supply.retired = lastSerial;
            ranges[i] = IRetirementCertificate.SerialRange({
                tokenId: tokenIds[i],
                firstSerial: firstSerial,
                lastSerial: lastSerial
            });
            tonnes += amount;
        }
        certificateId = _certificates.issueCertificate(
            claim, msg.sender, tonnes, SafeCast.toUint32(count), keccak256(abi.encode(ranges))
        );
        emit CreditsRetired(certificateId, msg.sender, claim.beneficiary, tonnes, ranges);
    }

    function _knownProject(uint64 projectId) private view returns (Project storage project) {
        if (projectId == 0 || projectId > _projectCount) revert UnknownProject(projectId);
        return _projects[projectId];
    }

    /// @dev approvedAt is a block timestamp, never 0, so it marks an approved verification.
    function _knownVerification(bytes32 verificationId) private view returns (Verification storage verification) {
        verification = _verifications[verificationId];
        if (verification.approvedAt == 0) revert UnknownVerification(verificationId);
    }

    function _knownSerial(uint256 tokenId, uint64 serial) private view returns (TokenSupply storage supply) {
        supply = _supplies[tokenId];
        if (serial == 0 || serial > supply.issued) revert UnknownSerial(tokenId, serial);
    }

    function _tokenIdOf(uint32 classId, uint64 projectId, uint16 vintage) private pure returns (uint256) {
        return (uint256(classId) << 128) | (uint256(projectId) << 64) | uint256(vintage);
    }

    function _asSingletons(uint256 a, uint256 b) private pure returns (uint256[] memory as_, uint256[] memory bs) {
        as_ = new uint256[](1);
        bs = new uint256[](1);
        as_[0] = a;
        bs[0] = b;
    }
}
