// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title A standing-weighted star histogram: six buckets packed in three words.
/// @dev Word `s / 2` holds the bucket of `s` stars, in its low half for even `s` and its high half
///      for odd `s`. A bucket is 128 bits: the summed standing of the reviews that gave `s` stars
///      (112 bits) and how many they were (16 bits). A review writes one word; the total, the count,
///      the median and the points are found by walking six buckets: O(1) whatever the reviews.
library Tally {
    uint256 internal constant BUCKET_BITS = 128;
    uint256 internal constant WEIGHT_BITS = 112;
    uint256 internal constant WEIGHT_MASK = (1 << 112) - 1;
    uint256 internal constant COUNT_MASK = (1 << 16) - 1;
    /// @dev 1e18 points per minute of effort rated "worth it" (3 stars).
    uint256 internal constant POINTS_PER_MINUTE = 1e18;

    /// @notice Thrown when a bucket would pass 2^112 of standing (5e15 points: more than any
    ///         community holds) or 65,535 reviews.
    error TallyOverflow(uint256 stars);

    /// @dev Adds one review of `stars` (<= 5) weighing `weight`.
    function add(uint256[3] storage words, uint8 stars, uint256 weight) internal {
        uint256 shift = BUCKET_BITS * (stars & 1);
        uint256 word = words[stars >> 1];
        uint256 bucket = word >> shift;
        uint256 sum = (bucket & WEIGHT_MASK) + weight;
        uint256 count = ((bucket >> WEIGHT_BITS) & COUNT_MASK) + 1;
        if (sum > WEIGHT_MASK || count > COUNT_MASK) revert TallyOverflow(stars);
        uint256 updated = (count << WEIGHT_BITS) | sum;
        words[stars >> 1] = (word & ~(uint256(type(uint128).max) << shift)) | (updated << shift);
    }

    /// @dev The six buckets: the standing behind each rating, and the number of reviews in all.
    function buckets(uint256[3] storage words) internal view returns (uint256[6] memory weights, uint256 reviews) {
        for (uint256 i; i < 3; ++i) {
            uint256 word = words[i];
            weights[2 * i] = word & WEIGHT_MASK;
            weights[2 * i + 1] = (word >> BUCKET_BITS) & WEIGHT_MASK;
            reviews += ((word >> WEIGHT_BITS) & COUNT_MASK) + ((word >> (BUCKET_BITS + WEIGHT_BITS)) & COUNT_MASK);
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
