// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TestToken} from "./TestToken.sol";

/// @title A mintable ERC-20 with 6 decimals (as USDC has), for tests only: amounts must be scaled by
///        the token's own `decimals()`, never by 10^18.
contract DollarToken is TestToken {
    constructor() TestToken("Test Dollar", "TUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
