// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {ICreditMarket} from "../interfaces/ICreditMarket.sol";

/// @title Test attacker: a buyer contract whose ERC-1155 receiver hook re-enters the market.
/// @notice `attack` buys from a listing; when the credits arrive, onERC1155Received calls the
///         market again (buy or cancel the same listing, or list the units). With `swallow` false the
///         re-entry's revert propagates and the whole purchase fails; with `swallow` true the
///         attacker catches it, records the revert data and keeps what it legitimately bought.
contract ReentrantBuyer is IERC1155Receiver {
    /// @notice Which market function the hook calls.
    enum Reentry {
        Buy,
        Cancel,
        List
    }

    /// @dev `reenter` is external only so that the hook can try/catch it.
    error NotFromHook(address caller);

    ICreditMarket private immutable _market;

    /// @notice The configured re-entry, target listing, amount and mode of the current attack.
    Reentry public reentry;
    bool public swallow;
    uint256 public targetListing;
    uint64 public reentryAmount;
    /// @notice How many times the hook tried to re-enter.
    uint256 public reentryAttempts;
    /// @notice Revert data of the last swallowed re-entry (ReentrancyGuardReentrantCall's selector).
    bytes public lastReentryError;

    /// @param market The CreditMarket to attack; it is approved for all of `settlementToken`.
    constructor(address market, address settlementToken) {
        _market = ICreditMarket(market);
        IERC20(settlementToken).approve(market, type(uint256).max);
    }

    /// @notice Buy `amount` of `listingId`, re-entering as configured when the units arrive.
    function attack(uint256 listingId, uint64 amount, Reentry reentry_, uint64 reentryAmount_, bool swallow_)
        external
    {
        reentry = reentry_;
        swallow = swallow_;
        targetListing = listingId;
        reentryAmount = reentryAmount_;
        _market.buy(listingId, amount);
    }

    /// @notice The re-entry point: runs when the market delivers credits.
    function onERC1155Received(address, address, uint256 tokenId, uint256, bytes calldata)
        external
        returns (bytes4)
    {
        if (msg.sender != _market.credits()) return this.onERC1155Received.selector;
        ++reentryAttempts;
        if (swallow) {
            try this.reenter(tokenId) {} catch (bytes memory reason) {
                lastReentryError = reason;
            }
        } else {
            this.reenter(tokenId);
        }
        return this.onERC1155Received.selector;
    }

    /// @notice The market call made from inside the hook (external so it can be try/caught).
    function reenter(uint256 tokenId) external {
        if (msg.sender != address(this)) revert NotFromHook(msg.sender);
        if (reentry == Reentry.Buy) {
            _market.buy(targetListing, reentryAmount);
        } else if (reentry == Reentry.Cancel) {
            _market.cancel(targetListing);
        } else {
            _market.list(tokenId, reentryAmount, 1);
        }
    }

    /// @notice Accepts batches without re-entering (the market never sends one).
    function onERC1155BatchReceived(address, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        pure
        returns (bytes4)
    {
        return this.onERC1155BatchReceived.selector;
    }

    /// @notice IERC1155Receiver and ERC-165.
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId || interfaceId == type(IERC165).interfaceId;
    }
}
