// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title A standing-weighted star histogram: six 128-bit weight buckets packed in three words.
/// @dev Word `s / 2` holds the weight of the reviews that gave `s` stars, in its low half for even
///      `s` and its high half for odd `s`. A review writes one word; the total, the median and the
///      points are found by walking six buckets: O(1) whatever the number of reviews.
library Tally {
    uint256 internal constant BUCKET_BITS = 128;
    uint256 internal constant BUCKET_MASK = type(uint128).max;
    /// @dev 1e18 points per minute of effort rated "worth it" (3 stars).
    uint256 internal constant POINTS_PER_MINUTE = 1e18;

    /// @notice Thrown when a bucket would pass 2^128 (more standing than any community holds).
    error TallyOverflow(uint256 stars);

    /// @dev Adds `weight` to the bucket of `stars` (<= 5).
    function add(uint256[3] storage words, uint8 stars, uint256 weight) internal {
        uint256 shift = BUCKET_BITS * (stars & 1);
        uint256 word = words[stars >> 1];
        uint256 bucket = ((word >> shift) & BUCKET_MASK) + weight;
        if (bucket > BUCKET_MASK) revert TallyOverflow(stars);
        words[stars >> 1] = (word & ~(BUCKET_MASK << shift)) | (bucket << shift);
    }

    /// @dev The six buckets.
    function buckets(uint256[3] storage words) internal view returns (uint256[6] memory weights) {
        for (uint256 i; i < 3; ++i) {
            uint256 word = words[i];
            weights[2 * i] = word & BUCKET_MASK;
            weights[2 * i + 1] = word >> BUCKET_BITS;
        }
    }

    function total(uint256[6] memory weights) internal pure returns (uint256 sum) {
        for (uint256 s; s < 6; ++s) {
            sum += weights[s];
        }
    }

    /// @dev The upper standing-weighted median of `weights` (whose sum `sum` is not 0): the highest
    ///      rating that at least half of the weight gave or exceeded. Lowering an award takes a strict
    ///      majority of the reviewing standing; a tie keeps the higher rating.
    function median(uint256[6] memory weights, uint256 sum) internal pure returns (uint256) {
        uint256 atLeast = 0;
        for (uint256 s = 5; s != 0; --s) {
            atLeast += weights[s];
            if (2 * atLeast >= sum) return s;
        }
        return 0;
    }

    /// @dev Points for `effort` minutes judged at `stars`: effort * stars / 3, in 18 decimals,
    ///      rounded down.
    function points(uint256 effort, uint256 stars) internal pure returns (uint256) {
        return (effort * POINTS_PER_MINUTE * stars) / 3;
    }
}
