// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title A fee-on-transfer ERC-20 (1 % of every transfer is burned), for tests only.
/// @notice The recipient of `transfer(to, x)` gets `x - x / 100`; the sender loses `x`. Revenue paid in
///         it must be counted by balance delta, and payouts in it must not break the splitter's books.
contract FeeToken is ERC20 {
    uint256 public constant FEE_DIVISOR = 100;

    constructor() ERC20("Fee On Transfer", "FOT") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) return super._update(from, to, value);
        uint256 fee = value / FEE_DIVISOR;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
