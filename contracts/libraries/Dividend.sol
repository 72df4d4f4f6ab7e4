// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Panic} from "@openzeppelin/contracts/utils/Panic.sol";

/// @title Dividend arithmetic: what credited points earned while an accumulator grew.
/// @dev An accumulator holds revenue per credited point, scaled by 2^PRECISION_BITS. What `credited`
///      points earned while it grew by `growth` is `floor(credited * growth / 2^128)`: computed over
///      the full 512-bit product (as OpenZeppelin's `Math.mulShr`, with the shift fixed), so it is
///      exact, and it reverts rather than wrap when the quotient does not fit 256 bits.
library Dividend {
    uint256 internal constant PRECISION_BITS = 128;

    function earned(uint256 credited, uint256 growth) internal pure returns (uint256 result) {
        uint256 high;
        uint256 low;
        assembly ("memory-safe") {
            let mm := mulmod(credited, growth, not(0))
            low := mul(credited, growth)
            high := sub(sub(mm, low), lt(mm, low))
        }
        if (high >> PRECISION_BITS != 0) Panic.panic(Panic.UNDER_OVERFLOW);
        unchecked {
            result = (high << (256 - PRECISION_BITS)) | (low >> PRECISION_BITS);
        }
    }
}
