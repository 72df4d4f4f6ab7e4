// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Charter} from "../../Charter.sol";
import {ICharter} from "../../interfaces/ICharter.sol";
import {Base} from "./utils/Base.sol";
import {Fixtures} from "./utils/Fixtures.sol";

/// @title Governance changing the charter at random (often out of bounds), as time passes.
contract CharterHandler is Base {
    uint256 public constant NUM_TOKENS = 10;
    uint256 public constant NUM_PARAMETERS = uint256(type(ICharter.Parameter).max) + 1; // every parameter

    Charter public immutable charter;
    address[] internal _tokens;
    mapping(address token => uint256) public lastIncarnation;
    uint256 public lastHalvings;
    uint256 public lastEpoch;
    /// @dev the halving count seen at the end of each second something happened in
    uint256[] public times;
    mapping(uint256 time => uint256 halvings) public halvingsSeen;
    uint256 public violations;
    string public lastViolation;

    constructor() {
        charter = new Charter(address(this), Fixtures.params(30, 1000), Fixtures.document(), new address[](0));
        for (uint256 i; i < NUM_TOKENS; ++i) {
            _tokens.push(address(uint160(0xC0000 + i)));
        }
        _record();
    }

    function timesLength() external view returns (uint256) {
        return times.length;
    }

    function tokens() external view returns (address[] memory) {
        return _tokens;
    }

    /// @dev a value inside the parameter's bounds three times in four, anything otherwise
    function setParameter(uint256 which, uint256 value, uint8 mode) external {
        ICharter.Parameter p = ICharter.Parameter(which % NUM_PARAMETERS);
        (uint256 lo, uint256 hi) = charter.bounds(p);
        if (mode % 4 != 0) value = bound(value, lo, hi);
        try charter.setParameter(p, value) {
            _check(value >= lo && value <= hi, "an out-of-bounds value was accepted");
        } catch {}
        _afterEach();
    }

    function setRevenueToken(uint256 tokenSeed, bool allowed) external {
        try charter.setRevenueToken(_tokens[tokenSeed % NUM_TOKENS], allowed) {} catch {}
        _afterEach();
    }

    function warp(uint256 secondsAhead) external {
        vm.warp(block.timestamp + bound(secondsAhead, 1, 400 days));
        _afterEach();
    }

    function _afterEach() internal {
        uint256 h = charter.currentHalvings();
        uint256 e = charter.currentEpoch();
        _check(h >= lastHalvings, "the halving count went back");
        _check(e >= lastEpoch, "the epoch went back");
        (lastHalvings, lastEpoch) = (h, e);
        for (uint256 i; i < NUM_TOKENS; ++i) {
            uint256 inc = charter.incarnation(_tokens[i]);
            _check(inc >= lastIncarnation[_tokens[i]], "an incarnation went back");
            lastIncarnation[_tokens[i]] = inc;
        }
        _record();
    }

    function _record() internal {
        if (times.length == 0 || times[times.length - 1] != block.timestamp) times.push(block.timestamp);
        halvingsSeen[block.timestamp] = charter.currentHalvings();
    }

    function _check(bool ok, string memory what) internal {
        if (!ok) {
            violations++;
            lastViolation = what;
        }
    }
}

contract CharterInvariantsTest is Base {
    CharterHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        handler = new CharterHandler();
        targetContract(address(handler));
    }

    function invariant_noViolationInCalls() public view {
        vm.assertEq(handler.violations(), 0, handler.lastViolation());
    }

    /// @dev every parameter within bounds(p), and the decay never faster than MIN_HALF_LIFE_SECONDS
    function invariant_parametersWithinBounds() public view {
        Charter charter = handler.charter();
        for (uint256 i; i < handler.NUM_PARAMETERS(); ++i) {
            ICharter.Parameter p = ICharter.Parameter(i);
            (uint256 lo, uint256 hi) = charter.bounds(p);
            uint256 v = charter.parameter(p);
            vm.assertGe(v, lo, "parameter below its bound");
            vm.assertLe(v, hi, "parameter above its bound");
        }
        ICharter.Params memory ps = charter.params();
        uint256 halfLifeSeconds = uint256(ps.halfLife) * ps.epochLength;
        vm.assertTrue(halfLifeSeconds == 0 || halfLifeSeconds >= charter.MIN_HALF_LIFE_SECONDS(), "decay too fast");
    }

    /// @dev the listed tokens are a set of at most 8, consistent with isRevenueToken and tokenState;
    ///      a listed token has had at least one incarnation
    function invariant_revenueTokens() public view {
        Charter charter = handler.charter();
        address[] memory listed = charter.revenueTokens();
        vm.assertLe(listed.length, charter.MAX_REVENUE_TOKENS(), "too many tokens");
        address[] memory all = handler.tokens();
        uint256 count;
        for (uint256 i; i < all.length; ++i) {
            (bool isListed, uint256 inc, uint256 retired) = charter.tokenState(all[i]);
            vm.assertTrue(isListed == charter.isRevenueToken(all[i]), "tokenState vs isRevenueToken");
            if (isListed) {
                count++;
                vm.assertGe(inc, 1, "listed without an incarnation");
                vm.assertEq(retired, 0, "listed and retired");
            } else if (inc != 0) {
                vm.assertGe(retired, 1, "delisted incarnation not retired");
            }
        }
        vm.assertEq(count, listed.length, "revenueTokens() vs isRevenueToken");
    }

    /// @dev the past does not change: how many halvings there were at any past second is what it was
    ///      then, whatever the clock changes since
    function invariant_historyIsFixed() public view {
        Charter charter = handler.charter();
        uint256 n = handler.timesLength();
        for (uint256 i; i < n; ++i) {
            uint256 t = handler.times(i);
            if (t >= block.timestamp) continue;
            vm.assertEq(charter.halvingsAt(t), handler.halvingsSeen(t), "halvingsAt(t) changed after t");
        }
    }
}
