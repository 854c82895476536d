// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ERC165, IERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ICreditMarket} from "./interfaces/ICreditMarket.sol";

/// @title Fixed-price listings of carbon credits with escrow and partial fills.
/// @notice No owner and no fees: the market only ever moves a listing's own units and the
///         buyer's payment for them.
/// @dev Escrow safety: every entry point is nonReentrant (OpenZeppelin's transient-storage guard;
///      the chain runs Cancun, and OpenZeppelin deprecates the storage-slot guard for v6) and
///      follows checks-effects-interactions: the listing is updated and the event emitted before
///      the payment pull and the ERC-1155 transfer, whose receiver callback is the only point where
///      a buyer or seller contract runs code. Unsolicited ERC-1155 deposits are refused, so the
///      market's balance of every token id equals the sum of its open listings.
contract CreditMarket is ERC165, IERC1155Receiver, ReentrancyGuardTransient, ICreditMarket {
    using SafeERC20 for IERC20;

    IERC1155 private immutable _credits;
    IERC20 private immutable _settlementToken;

    uint256 private _listingCount;
    mapping(uint256 listingId => Listing) private _listings;

    /// @param credits_ The CarbonCredit contract.
    /// @param settlementToken_ The ERC-20 buyers pay with.
    constructor(address credits_, address settlementToken_) {
        if (credits_ == address(0) || settlementToken_ == address(0)) revert ZeroAddress();
        _credits = IERC1155(credits_);
        _settlementToken = IERC20(settlementToken_);
    }

    /// @inheritdoc ICreditMarket
    /// @dev Reverts SafeCastOverflowedUintDowncast for a token id above 192 bits, and OpenZeppelin's
    ///      ERC1155MissingApprovalForAll / ERC1155InsufficientBalance from the pull.
    function list(uint256 tokenId, uint64 amount, uint96 pricePerUnit)
        external
        nonReentrant
        returns (uint256 listingId)
    {
        if (amount == 0) revert ZeroAmount();
        if (pricePerUnit == 0) revert ZeroPrice();
        listingId = ++_listingCount;
        _listings[listingId] = Listing({
            tokenId: SafeCast.toUint192(tokenId),
            remaining: amount,
            seller: msg.sender,
            pricePerUnit: pricePerUnit
        });
        emit Listed(listingId, msg.sender, tokenId, amount, pricePerUnit);
        _credits.safeTransferFrom(msg.sender, address(this), tokenId, amount, "");
    }

    /// @inheritdoc ICreditMarket
    /// @dev Reverts SafeERC20FailedOperation / ERC20InsufficientAllowance / ERC20InsufficientBalance
    ///      from the payment. The units go to the caller last; a contract buyer that re-enters any
    ///      market function from its onERC1155Received reverts ReentrancyGuardReentrantCall.
    function buy(uint256 listingId, uint64 amount) external nonReentrant returns (uint256 cost) {
        Listing storage listing = _openListing(listingId);
        if (amount == 0) revert ZeroAmount();
        uint64 remaining = listing.remaining;
        if (amount > remaining) revert ExceedsListing(listingId, remaining, amount);
        unchecked {
            remaining -= amount;
        }
        listing.remaining = remaining;
        address seller = listing.seller;
        uint256 tokenId = listing.tokenId;
        cost = uint256(amount) * listing.pricePerUnit;
        emit Purchased(listingId, msg.sender, seller, tokenId, amount, cost, remaining);
        _settlementToken.safeTransferFrom(msg.sender, seller, cost);
        _credits.safeTransferFrom(address(this), msg.sender, tokenId, amount, "");
    }

    /// @inheritdoc ICreditMarket
    function cancel(uint256 listingId) external nonReentrant {
        Listing storage listing = _openListing(listingId);
        address seller = listing.seller;
        if (msg.sender != seller) revert NotSeller(listingId, msg.sender);
        uint64 returned = listing.remaining;
        listing.remaining = 0;
        emit ListingCancelled(listingId, seller, returned);
        _credits.safeTransferFrom(address(this), seller, listing.tokenId, returned, "");
    }

    /// @notice Accepts only the transfers `list` starts (the market as operator, CarbonCredit as
    ///         token); anything else reverts UnsolicitedTransfer, so nothing lands in escrow
    ///         without a listing.
    function onERC1155Received(address operator, address, uint256, uint256, bytes calldata)
        external
        view
        returns (bytes4)
    {
        _checkSolicited(operator);
        return this.onERC1155Received.selector;
    }

    /// @notice The market never starts a batch transfer: always reverts UnsolicitedTransfer.
    function onERC1155BatchReceived(address operator, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        view
        returns (bytes4)
    {
        revert UnsolicitedTransfer(msg.sender, operator);
    }

    /// @inheritdoc ICreditMarket
    function listingOf(uint256 listingId) external view returns (Listing memory) {
        return _knownListing(listingId);
    }

    /// @inheritdoc ICreditMarket
    function listingCount() external view returns (uint256) {
        return _listingCount;
    }

    /// @inheritdoc ICreditMarket
    function credits() external view returns (address) {
        return address(_credits);
    }

    /// @inheritdoc ICreditMarket
    function settlementToken() external view returns (address) {
        return address(_settlementToken);
    }

    /// @notice ERC-165 and IERC1155Receiver.
    function supportsInterface(bytes4 interfaceId) public view override(ERC165, IERC165) returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId || super.supportsInterface(interfaceId);
    }

    function _checkSolicited(address operator) private view {
        if (msg.sender != address(_credits) || operator != address(this)) {
            revert UnsolicitedTransfer(msg.sender, operator);
        }
    }

    function _openListing(uint256 listingId) private view returns (Listing storage listing) {
        listing = _knownListing(listingId);
        if (listing.remaining == 0) revert ListingNotOpen(listingId);
    }

    function _knownListing(uint256 listingId) private view returns (Listing storage listing) {
        if (listingId == 0 || listingId > _listingCount) revert UnknownListing(listingId);
        return _listings[listingId];
    }
}
