// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title A market for CarbonCredit units, paid in an ERC-20 settlement token, with escrow.
/// @notice A seller lists units of one token id at a fixed price per unit (per tonne, in the
///         settlement token's smallest unit); listing moves the units into the market's escrow.
///         Buyers take any part of what is left (partial fills); the seller can cancel and get the
///         rest back. The market holds exactly the units of open listings: it refuses ERC-1155
///         transfers it did not start itself.
interface ICreditMarket {
    /// @notice A listing; `remaining` is 0 once it is filled or cancelled. Token ids of
    ///         CarbonCredit fit 192 bits, so a listing is two slots.
    struct Listing {
        uint192 tokenId;
        uint64 remaining;
        address seller;
        uint96 pricePerUnit;
    }

    event Listed(
        uint256 indexed listingId, address indexed seller, uint256 indexed tokenId, uint64 amount, uint96 pricePerUnit
    );
    event Purchased(
        uint256 indexed listingId,
        address indexed buyer,
        address indexed seller,
        uint256 tokenId,
        uint64 amount,
        uint256 cost,
        uint64 remaining
    );
    event ListingCancelled(uint256 indexed listingId, address indexed seller, uint64 returned);

    error UnknownListing(uint256 listingId);
    error ListingNotOpen(uint256 listingId);
    error NotSeller(uint256 listingId, address account);
    error ExceedsListing(uint256 listingId, uint64 available, uint64 requested);
    error ZeroAmount();
    error ZeroPrice();
    error ZeroAddress();
    /// @dev An ERC-1155 transfer into the market that the market did not start (`token` is the
    ///      contract that called back, `operator` the account that moved the units).
    error UnsolicitedTransfer(address token, address operator);

    /// @notice Escrow `amount` units of `tokenId` from the caller and offer them at `pricePerUnit`.
    ///         The caller must have approved the market (ERC-1155 setApprovalForAll).
    function list(uint256 tokenId, uint64 amount, uint96 pricePerUnit) external returns (uint256 listingId);

    /// @notice Buy `amount` units of listing `listingId`, paying amount × pricePerUnit to the seller
    ///         in the settlement token (the caller must have approved the market for that sum).
    function buy(uint256 listingId, uint64 amount) external returns (uint256 cost);

    /// @notice Close listing `listingId` and return its remaining units to the seller. Seller only.
    function cancel(uint256 listingId) external;

    /// @notice Reverts UnknownListing.
    function listingOf(uint256 listingId) external view returns (Listing memory);

    /// @notice Number of listings ever made; ids run from 1 to listingCount().
    function listingCount() external view returns (uint256);

    /// @notice The CarbonCredit (ERC-1155) contract traded here.
    function credits() external view returns (address);

    /// @notice The ERC-20 token prices are paid in.
    function settlementToken() external view returns (address);
}
