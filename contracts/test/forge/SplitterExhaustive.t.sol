// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SplitterChecks} from "./SplitterInvariants.t.sol";

/// @title Every sequence of three moves, from a fixed menu, with every check after every move.
/// @dev Bounded model checking by enumeration: where halmos cannot follow symbolic amounts through
///      the splitter's 512-bit mulDiv at depth 2 (see docs), this runs each of the MOVES^3 orders
///      (5,832) of the menu below, whose amounts are the extremes and a middle (1 wei, ~1e18, 2^96 - 1),
///      against the same ledger and checks as the fuzzer: so no ordering of three of these operations
///      breaks conservation, the ledger bound, the dust bound or the books.
contract SplitterExhaustiveTest is SplitterChecks {
    uint256 internal constant MOVES = 18;
    uint256 internal constant BIG = 2 ** 96 - 1;

    function setUp() public {
        _deploy();
    }

    function test_everySequenceOfThreeMoves() public {
        for (uint256 i; i < MOVES; ++i) {
            uint256 s0 = vm.snapshotState();
            _move(i);
            _checkAll();
            for (uint256 j; j < MOVES; ++j) {
                uint256 s1 = vm.snapshotState();
                _move(j);
                _checkAll();
                for (uint256 k; k < MOVES; ++k) {
                    uint256 s2 = vm.snapshotState();
                    _move(k);
                    _checkAll();
                    vm.revertToStateAndDelete(s2);
                }
                vm.revertToStateAndDelete(s1);
            }
            vm.revertToStateAndDelete(s0);
        }
    }

    /// @dev the menu: actors 0 and 1 are the founders (100 and 300 points), 2 and 3 newcomers
    function _move(uint256 m) internal {
        if (m == 0) handler.payEth(1);
        else if (m == 1) handler.payEth(1000 ether);
        else if (m == 2) handler.sendEth(1e18 + 7);
        else if (m == 3) handler.payToken(1);
        else if (m == 4) handler.payToken(BIG);
        else if (m == 5) handler.sendToken(1e18 + 7);
        else if (m == 6) handler.sync(false);
        else if (m == 7) handler.award(2, 1e18);
        else if (m == 8) handler.award(0, 7);
        else if (m == 9) handler.slash(1, 5000);
        else if (m == 10) handler.claim(0, true);
        else if (m == 11) handler.claim(1, false);
        else if (m == 12) handler.claimTo(2, 0, false); // newcomer 2's token pay to the sink
        else if (m == 13) handler.spend(true, type(uint256).max); // the whole ETH treasury
        else if (m == 14) handler.rescue(5, true); // the revenue token: only what is untracked
        else if (m == 15) handler.toggleToken(); // delist, or list again (a new incarnation)
        else if (m == 16) handler.warp(1000 days); // past an era (32 halvings of 30 days)
        else handler.claimIncarnation(3, 1, 0); // newcomer 3, the token's first incarnation
    }
}
