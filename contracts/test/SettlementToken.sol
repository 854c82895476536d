// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title The demo chain's stand-in for a settlement currency (a yuan stablecoin, say).
/// @notice A plain OpenZeppelin ERC-20 with 6 decimals whose owner can mint. Not for production:
///         a real deployment points CreditMarket at an existing token.
contract SettlementToken is ERC20, Ownable {
    /// @param owner_ The account that may mint.
    constructor(address owner_) ERC20("ZCL Settlement Token", "ZSET") Ownable(owner_) {}

    /// @notice Mint `amount` (smallest units) to `to`. Owner only (OwnableUnauthorizedAccount).
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }

    /// @notice 6, like common fiat stablecoins: 1 token = 1,000,000 smallest units.
    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
