// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICharter} from "../../../interfaces/ICharter.sol";

/// @title The charter parameters the suites deploy with, in one place.
/// @dev Fields are set by name, so a parameter added to `ICharter.Params` later only needs a line here.
library Fixtures {
    uint256 internal constant DAY = 1 days;

    /// @dev Day-long epochs; `halfLife` epochs per halving (0 = no decay, or at least 30).
    function params(uint256 halfLife, uint256 reserveBps) internal pure returns (ICharter.Params memory p) {
        p.epochLength = uint32(DAY);
        p.reviewWindow = uint32(DAY);
        p.minReviewers = 1;
        p.halfLife = uint16(halfLife);
        p.reserveBps = uint16(reserveBps);
        p.maxEffort = 600;
        p.maxEffortPerEpoch = 100_000;
        p.minReviewerStanding = 0;
        p.quorumBps = 100;
        p.reviewBudgetBps = 100_000;
        p.panelSize = 100; // every member with standing sits on every panel (the suites' few actors)
        p.hostReplicas = 3;
        p.ttfbCeilingMs = 2000;
        p.hostMinStanding = 0;
    }

    /// @dev A charter document CID (any non-empty bytes up to 128 pass the charter's check).
    function document() internal pure returns (bytes memory) {
        return hex"01551220";
    }
}
