// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Decay} from "../../libraries/Decay.sol";
import {Tally} from "../../libraries/Tally.sol";
import {Base} from "./utils/Base.sol";

/// @title Symbolic proofs (halmos, `check_` functions) of the two libraries' arithmetic.
/// @dev Every argument is symbolic: halmos explores every path for every value (within the stated
///      bounds) and asks the solver for a counterexample to each `assert`. `bash scripts/forge.sh`
///      runs them; forge itself ignores `check_` functions.
contract LibrariesSymbolic is Base {
    using Tally for uint256[3];

    uint256[3] internal _words;

    // ------------------------------------------------------------- Tally

    /// @dev The median is its definition, for every bucket state (six weights of up to 112 bits,
    ///      not all zero): the highest s such that 2 * sum_{t >= s} w_t >= total.
    function check_medianIsTheDefinition(uint112 w0, uint112 w1, uint112 w2, uint112 w3, uint112 w4, uint112 w5)
        public
        pure
    {
        uint256[6] memory w = [uint256(w0), w1, w2, w3, w4, w5];
        uint256 total = Tally.total(w);
        vm.assume(total != 0);
        uint256 m = Tally.median(w, total);
        assert(m <= 5);
        // the weight at or above each rating, summed independently of the library
        uint256[6] memory atLeast;
        atLeast[5] = w[5];
        for (uint256 s = 5; s != 0; --s) {
            atLeast[s - 1] = atLeast[s] + w[s - 1];
        }
        for (uint256 s; s < 6; ++s) {
            if (s == m) assert(2 * atLeast[s] >= total); // m qualifies
            if (s > m) assert(2 * atLeast[s] < total); // and no higher rating does
        }
    }

    /// @dev The sum is the sum (no overflow at 112-bit weights).
    function check_totalIsTheSum(uint112 w0, uint112 w1, uint112 w2, uint112 w3, uint112 w4, uint112 w5) public pure {
        uint256[6] memory w = [uint256(w0), w1, w2, w3, w4, w5];
        assert(Tally.total(w) == _atLeast(w, 0));
    }

    /// @dev A review adds its weight to its own bucket, one to the count, and changes no other
    ///      bucket, whatever the packed words held (or it reverts on overflow).
    function check_addTouchesOneBucket(uint256 a, uint256 b, uint256 c, uint8 stars, uint112 weight) public {
        vm.assume(stars <= 5);
        _words[0] = a;
        _words[1] = b;
        _words[2] = c;
        (uint256[6] memory before, uint256 reviewsBefore) = _words.buckets();
        // one path per rating (storage slots must be concrete for halmos)
        for (uint256 s; s < 6; ++s) {
            if (stars == s) _words.add(uint8(s), weight);
        }
        (uint256[6] memory afterAdd, uint256 reviewsAfter) = _words.buckets();
        for (uint256 s; s < 6; ++s) {
            if (s == stars) assert(afterAdd[s] == before[s] + weight);
            else assert(afterAdd[s] == before[s]);
        }
        // the count of this bucket went up by one; no other count changed
        assert(reviewsAfter == reviewsBefore + 1);
    }

    function _atLeast(uint256[6] memory w, uint256 s) internal pure returns (uint256 sum) {
        for (uint256 t; t < 6; ++t) {
            if (t >= s) sum += w[t];
        }
    }

    // ------------------------------------------------------------- Decay

    /// @dev shift(x, k) is x >> 32k below 8 eras and 0 from 8 on, for every x and k.
    function check_shiftDefinition(uint256 x, uint256 k) public pure {
        uint256 y = Decay.shift(x, k);
        if (k < 8) assert(y == x >> (32 * k));
        else assert(y == 0);
    }

    /// @dev Shifting across eras is exact: a eras then b eras is a + b eras, for every x, a, b
    ///      (a + b not overflowing).
    function check_shiftComposes(uint256 x, uint256 a, uint256 b) public pure {
        vm.assume(a <= type(uint256).max - b);
        assert(Decay.shift(Decay.shift(x, a), b) == Decay.shift(x, a + b));
    }

    /// @dev Points credited at halving h (`p << (h % 32)` in era h / 32) and read at halving h' >= h
    ///      are p halved h' - h times, rounded down, within an era and across any number of eras,
    ///      for points below 2^96 (8e10 points of 18 decimals), h below 2^20 and h' - h below 2^10.
    function check_decayIsHalving(uint96 p, uint256 h, uint256 d) public pure {
        vm.assume(h < 2 ** 20 && d < 2 ** 10);
        (uint256 era, uint256 offset) = Decay.split(h);
        (uint256 era2, uint256 offset2) = Decay.split(h + d);
        assert(era * 32 + offset == h && offset < 32);
        uint256 read = Decay.shift(uint256(p) << offset, era2 - era) >> offset2;
        assert(read == (d >= 256 ? 0 : uint256(p) >> d));
    }
}
