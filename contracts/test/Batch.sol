// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Many calls to one contract in one transaction, for benchmarks and tests only.
/// @notice `benchmarks/verify_scale.py` seeds a million sealed ratings with it: a node keeps a few
///         kilobytes for every transaction (its receipt, its trace), so a million ratings as a million
///         transactions would not fit in memory. Each call is one anybody may send (a commitment, a
///         member's signed action, a reveal, a finalize): the batch adds no authority of its own.
contract Batch {
    /// @notice Call `index` reverted with `reason`; the whole batch reverts with it.
    error BatchCallFailed(uint256 index, bytes reason);

    function run(address target, bytes[] calldata calls) external {
        for (uint256 i; i < calls.length; ++i) {
            (bool ok, bytes memory reason) = target.call(calls[i]);
            if (!ok) revert BatchCallFailed(i, reason);
        }
    }
}
