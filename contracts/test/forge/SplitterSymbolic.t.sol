// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PayoutSplitter} from "../../PayoutSplitter.sol";
import {Charter} from "../../Charter.sol";
import {TestToken} from "../TestToken.sol";
import {Base} from "./utils/Base.sol";
import {Dao} from "./utils/Dao.sol";
import {Fixtures} from "./utils/Fixtures.sol";

/// @title Symbolic proofs (halmos) of the splitter's money promises over bounded operation sequences.
/// @dev Two members (the founders, 100 and 300 points), ETH and one listed token; this contract is
///      the registry and the governance. Each `check_` runs a sequence whose every step is any of
///      the operations below (a symbolic selector), with symbolic amounts, members and points, and
///      asserts the promise after it, for every path.
contract SplitterSymbolic is Base {
    address internal constant ETH = address(0);
    address internal constant M0 = address(0xA11CE);
    address internal constant M1 = address(0xB0B);
    address internal constant SINK = address(0x5151);
    uint256 internal constant OPS = 14;

    PayoutSplitter internal splitter;
    Charter internal charter;
    TestToken internal token;
    TestToken internal stray;
    uint256 internal _nextId = 1;

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new TestToken("Revenue", "REV");
        stray = new TestToken("Stray", "STRAY");
        address[] memory tokens = new address[](1);
        tokens[0] = address(token);
        address[] memory founders = new address[](2);
        uint256[] memory points = new uint256[](2);
        (founders[0], founders[1]) = (M0, M1);
        (points[0], points[1]) = (100e18, 300e18);
        Dao dao = new Dao(address(this), address(this), Fixtures.params(30, 1000), Fixtures.document(), tokens, founders, points);
        (splitter, charter) = (dao.splitter(), dao.charter());
        // genesis earns nothing: the founders also hold earning points (their first accepted work)
        splitter.award(M0, _nextId++, 100e18, block.timestamp);
        splitter.award(M1, _nextId++, 300e18, block.timestamp);
    }

    /// @dev One operation: pay / send (plainly) / sync ETH or the token, award or slash a member,
    ///      claim or claimTo either, spend the treasury, rescue a stray token, or let 1000 days pass
    ///      (more than an era). The amount is one of three (1 wei, 1e18 + 7, 2^96 - 1): halmos cannot
    ///      follow a fully symbolic amount through the splitter's 512-bit mulDiv (a single symbolic
    ///      payment and the conservation check did not finish in 300 s with z3 or yices), so the
    ///      operation, its member or token and the amount's class are symbolic, the amount concrete
    ///      on each path.
    function _op(uint256 op, uint256 size, bool first) internal {
        vm.assume(op < OPS && size < 3);
        // an operation that takes no amount (or no member or token) runs on one path, not three (two)
        bool sized = op <= 3 || op == 5 || op == 6 || op == 10 || op == 11;
        bool chooses = (op >= 4 && op <= 10);
        if (!sized) vm.assume(size == 0);
        if (!chooses) vm.assume(first);
        uint256 amount = size == 0 ? 1 : size == 1 ? 1e18 + 7 : 2 ** 96 - 1;
        address m = first ? M0 : M1;
        if (op == 0) {
            vm.deal(address(this), amount);
            splitter.pay{value: amount}(ETH, amount);
        } else if (op == 1) {
            vm.deal(address(this), amount);
            (bool ok,) = address(splitter).call{value: amount}("");
            assert(ok);
        } else if (op == 2) {
            token.mint(address(this), amount);
            token.approve(address(splitter), amount);
            splitter.pay(address(token), amount);
        } else if (op == 3) {
            token.mint(address(splitter), amount);
        } else if (op == 4) {
            splitter.sync(first ? ETH : address(token));
        } else if (op == 5) {
            splitter.award(m, _nextId++, amount, block.timestamp);
        } else if (op == 6) {
            splitter.slash(m, size == 0 ? 1 : size == 1 ? 5000 : 10_000);
        } else if (op == 7) {
            splitter.claim(m, ETH);
        } else if (op == 8) {
            splitter.claim(m, address(token));
        } else if (op == 9) {
            vm.prank(m);
            splitter.claimTo(first ? ETH : address(token), SINK);
        } else if (op == 10) {
            address t = first ? ETH : address(token);
            uint256 treasury = splitter.treasury(t);
            if (treasury != 0) splitter.spend(t, SINK, amount < treasury ? amount : treasury);
        } else if (op == 11) {
            stray.mint(address(splitter), amount);
            splitter.rescue(address(stray), SINK, amount);
        } else if (op == 12) {
            vm.warp(block.timestamp + 1000 days);
        } else {
            charter.setRevenueToken(address(token), !charter.isRevenueToken(address(token)));
        }
    }

    function _conserved(address t) internal view {
        uint256 balance = t == ETH ? address(splitter).balance : token.balanceOf(address(splitter));
        uint256 tracked = splitter.tracked(t);
        uint256 owed = splitter.claimable(M0, t) + splitter.claimable(M1, t);
        assert(owed + splitter.treasury(t) + splitter.undistributed(t) <= tracked);
        assert(tracked <= balance);
    }

    /// @dev Σ claimable + treasury + undistributed <= tracked <= balance, for ETH and the token,
    ///      after any one operation.
    function check_conservation1(uint256 op1, uint256 s1, bool f1) public {
        _op(op1, s1, f1);
        _conserved(ETH);
        _conserved(address(token));
    }

    /// @dev ... after any two operations (3,193 paths, minutes: run with HALMOS_DEEP=1).
    function check_deep_conservation2(uint256 op1, uint256 s1, bool f1, uint256 op2, uint256 s2, bool f2) public {
        _op(op1, s1, f1);
        _op(op2, s2, f2);
        _conserved(ETH);
        _conserved(address(token));
    }

    /// @dev A claim pays exactly what `claimable` said (to the member), the member's books are then
    ///      empty, and a second claim pays nothing, after any one operation, for either member and
    ///      token.
    function check_claimPaysWhatIsOwed1(uint256 op1, uint256 s1, bool f1, bool m0, bool eth) public {
        _op(op1, s1, f1);
        _claimPaysWhatIsOwed(m0, eth);
    }

    /// @dev ... after any two operations (minutes: run with HALMOS_DEEP=1).
    function check_deep_claimPaysWhatIsOwed2(uint256 op1, uint256 s1, bool f1, uint256 op2, uint256 s2, bool f2, bool m0, bool eth)
        public
    {
        _op(op1, s1, f1);
        _op(op2, s2, f2);
        _claimPaysWhatIsOwed(m0, eth);
    }

    function _claimPaysWhatIsOwed(bool m0, bool eth) internal {
        address m = m0 ? M0 : M1;
        address t = eth ? ETH : address(token);
        if (!eth && !charter.isRevenueToken(t)) return;
        if (eth) splitter.sync(ETH); // an ETH claim accounts waiting ETH first; the view does not
        uint256 owed = splitter.claimable(m, t);
        uint256 before = eth ? m.balance : token.balanceOf(m);
        uint256 paid = splitter.claim(m, t);
        assert(paid == owed);
        assert((eth ? m.balance : token.balanceOf(m)) - before == paid);
        assert(splitter.claimable(m, t) == 0);
        assert(splitter.claim(m, t) == 0);
        if (eth) {
            vm.prank(m);
            assert(splitter.claimEth() == 0); // the short entry point: the same books
        }
    }

    /// @dev With a fully symbolic amount (any up to 2^96) paid in: a claim pays exactly what
    ///      `claimable` said, to the member, and a second claim pays nothing.
    function check_claimPaysWhatIsOwedAnyAmount(uint256 amount, bool m0) public {
        vm.assume(amount != 0 && amount < 2 ** 96);
        token.mint(address(this), amount);
        token.approve(address(splitter), amount);
        splitter.pay(address(token), amount);
        address m = m0 ? M0 : M1;
        uint256 owed = splitter.claimable(m, address(token));
        uint256 paid = splitter.claim(m, address(token));
        assert(paid == owed);
        assert(token.balanceOf(m) == paid);
        assert(splitter.claim(m, address(token)) == 0);
    }

    // ------------------------------------------------------------- reachability guards
    // Each must be refuted (halmos finds a counterexample): the paths the proofs above cover do reach
    // their assertions with money moved. `bash scripts/forge.sh` fails if one passes.

    function check_reachable_afterOneOp(uint256 op1, uint256 s1, bool f1) public {
        _op(op1, s1, f1);
        assert(splitter.claimable(M1, address(token)) == 0 && splitter.claimable(M0, ETH) == 0);
    }

    function check_reachable_deep_afterTwoOps(uint256 op1, uint256 s1, bool f1, uint256 op2, uint256 s2, bool f2) public {
        _op(op1, s1, f1);
        _op(op2, s2, f2);
        assert(splitter.claimable(M1, address(token)) == 0 || splitter.claimable(M0, ETH) == 0);
    }
}
