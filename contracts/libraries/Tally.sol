// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title A star histogram and a status, packed in one storage word.
/// @dev Bits [32*s, 32*s+32) count the reviews that gave `s` stars (s = 0..5); bits [192, 200) hold
///      the status. The median of any number of reviews is found by walking six buckets: O(1).
library Tally {
    uint256 internal constant BUCKET_BITS = 32;
    uint256 internal constant BUCKET_MASK = 0xffffffff;
    uint256 internal constant STATUS_SHIFT = 192;
    /// @dev 1e18 points per minute of effort rated "worth it" (3 stars); 6 = 2 (median doubled) * 3.
    uint256 internal constant POINTS_PER_MINUTE = 1e18;

    /// @dev Adds one review of `stars` (<= 5). A bucket cannot overflow: 2^32 reviews of one
    ///      contribution would cost more gas than any chain has.
    function add(uint256 word, uint8 stars) internal pure returns (uint256) {
        unchecked {
            return word + (uint256(1) << (BUCKET_BITS * stars));
        }
    }

    function count(uint256 word, uint256 stars) internal pure returns (uint256) {
        return (word >> (BUCKET_BITS * stars)) & BUCKET_MASK;
    }

    function total(uint256 word) internal pure returns (uint256 n) {
        for (uint256 s; s < 6; ++s) {
            n += count(word, s);
        }
    }

    function status(uint256 word) internal pure returns (uint8) {
        return uint8(word >> STATUS_SHIFT);
    }

    function withStatus(uint256 word, uint8 newStatus) internal pure returns (uint256) {
        return (word & ~(uint256(0xff) << STATUS_SHIFT)) | (uint256(newStatus) << STATUS_SHIFT);
    }

    /// @dev Twice the median of `n` > 0 reviews: the sum of the lower and upper middle values of the
    ///      sorted ratings (equal when `n` is odd).
    function medianTimesTwo(uint256 word, uint256 n) internal pure returns (uint256) {
        uint256 lowRank = (n - 1) / 2; // 0-based ranks in ascending order
        uint256 highRank = n / 2;
        uint256 low = 6;
        uint256 high = 6;
        uint256 seen;
        for (uint256 s; s < 6; ++s) {
            seen += count(word, s);
            if (low == 6 && seen > lowRank) low = s;
            if (seen > highRank) {
                high = s;
                break;
            }
        }
        return low + high;
    }

    /// @dev Points for `effort` minutes judged at `median2` (twice the median): effort * median / 3,
    ///      in 18 decimals, rounded down.
    function points(uint256 effort, uint256 median2) internal pure returns (uint256) {
        return (effort * POINTS_PER_MINUTE * median2) / 6;
    }
}
