// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Era arithmetic for decaying points.
/// @dev Points earned at halving count `h` are credited as `points << (h % ERA_HALVINGS)` in era
///      `h / ERA_HALVINGS`. Moving a credited amount `k` eras forward shifts it right by
///      `k * ERA_HALVINGS` bits, rounding down; after 256 bits everything is zero.
library Decay {
    uint256 internal constant ERA_HALVINGS = 32;
    /// @dev Eras after which any uint256 has shifted to zero.
    uint256 internal constant ERAS_TO_ZERO = 256 / ERA_HALVINGS;

    function shift(uint256 scaled, uint256 eras) internal pure returns (uint256) {
        return eras >= ERAS_TO_ZERO ? 0 : scaled >> (eras * ERA_HALVINGS);
    }

    function split(uint256 halvings) internal pure returns (uint256 era, uint256 offset) {
        return (halvings / ERA_HALVINGS, halvings % ERA_HALVINGS);
    }
}
