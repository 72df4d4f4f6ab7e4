// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title The DAO's timelock: the only address that governs the charter, membership and splitter.
/// @notice OpenZeppelin's TimelockController with the governor as its only proposer and canceller,
///         anyone as executor, and no admin but itself: after deployment nobody holds a key to it.
///         Every passed proposal waits `getMinDelay()` here before it can run, so members who
///         disagree can claim their pay (or leave) before it takes effect.
contract StarfishTimelock is TimelockController {
    /// @notice The shortest and longest delay the timelock accepts, at deployment and at every
    ///         `updateDelay` (the same bounds as the governor's settings in the toolkit): a delay of 0
    ///         would remove the members' exit window, and a huge one would make every `queue`
    ///         overflow and freeze governance for ever.
    uint256 public constant MIN_DELAY_FLOOR = 1 hours;
    uint256 public constant MIN_DELAY_CEILING = 30 days;

    /// @notice Thrown when the delay lies outside [MIN_DELAY_FLOOR, MIN_DELAY_CEILING].
    error TimelockDelayOutOfBounds(uint256 delay, uint256 min, uint256 max);

    /// @param governor the only proposer and canceller; executors: anyone; admin: none but itself
    constructor(uint256 minDelay, address governor)
        TimelockController(minDelay, _one(governor), _one(address(0)), address(0))
    {
        if (minDelay < MIN_DELAY_FLOOR || minDelay > MIN_DELAY_CEILING) {
            revert TimelockDelayOutOfBounds(minDelay, MIN_DELAY_FLOOR, MIN_DELAY_CEILING);
        }
    }

    /// @dev Only the timelock itself (a passed proposal) may call it, as in OpenZeppelin; the new
    ///      delay must lie within the same bounds as at deployment.
    function updateDelay(uint256 newDelay) public override {
        if (newDelay < MIN_DELAY_FLOOR || newDelay > MIN_DELAY_CEILING) {
            revert TimelockDelayOutOfBounds(newDelay, MIN_DELAY_FLOOR, MIN_DELAY_CEILING);
        }
        super.updateDelay(newDelay);
    }

    function _one(address account) private pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = account;
    }
}
