// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Dividend} from "../../libraries/Dividend.sol";
import {Base} from "./utils/Base.sol";

/// @dev External, so that a revert inside the library is caught by the test's try/catch.
contract DividendHarness {
    function earned(uint256 credited, uint256 growth) external pure returns (uint256) {
        return Dividend.earned(credited, growth);
    }

    function mulDiv(uint256 credited, uint256 growth) external pure returns (uint256) {
        return Math.mulDiv(credited, growth, 1 << Dividend.PRECISION_BITS);
    }
}

/// @title `Dividend.earned` against OpenZeppelin's `Math.mulDiv` (the code it replaced in the splitter).
/// @dev Differential fuzzing (forge): for every input both give the same quotient, or both revert.
///      Not a halmos proof: the 512-bit product is beyond the solver at full width (see docs/security.md).
contract DividendTest is Base {
    DividendHarness internal h = new DividendHarness();

    function _same(uint256 x, uint256 y) internal view {
        bool okA;
        bool okB;
        uint256 a;
        uint256 b;
        try h.earned(x, y) returns (uint256 r) {
            (okA, a) = (true, r);
        } catch {}
        try h.mulDiv(x, y) returns (uint256 r) {
            (okB, b) = (true, r);
        } catch {}
        require(okA == okB, "one reverted, the other did not");
        require(a == b, "different quotients");
    }

    /// @dev any two words
    function testFuzz_earnedIsMulDiv(uint256 x, uint256 y) public view {
        _same(x, y);
    }

    /// @dev the splitter's ranges: credited points below 2^192, growth of any size
    function testFuzz_earnedIsMulDivCredited(uint192 x, uint256 y) public view {
        _same(x, y);
    }

    /// @dev products near the edges: 2^256 and 2^384 (where the quotient stops fitting 256 bits)
    function testFuzz_earnedAtTheEdges(uint8 i, uint8 j, uint64 noise) public view {
        uint256 x;
        uint256 y;
        unchecked {
            x = (uint256(1) << i) + noise; // wraps near 2^256: any word will do
            y = (uint256(1) << j) - (noise % 3);
        }
        _same(x, y);
        _same(type(uint256).max - noise, y);
    }
}
