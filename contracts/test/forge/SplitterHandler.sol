// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Charter} from "../../Charter.sol";
import {Membership} from "../../Membership.sol";
import {PayoutSplitter} from "../../PayoutSplitter.sol";
import {ICharter} from "../../interfaces/ICharter.sol";
import {Decay} from "../../libraries/Decay.sol";
import {TestToken} from "../TestToken.sol";
import {Base} from "./utils/Base.sol";
import {Dao} from "./utils/Dao.sol";
import {Fixtures} from "./utils/Fixtures.sol";

/// @title The fuzzer's hands on the splitter, and an independent ledger of what it owes.
/// @dev The handler is the splitter's registry (it awards) and the charter's governance (it slashes,
///      spends, rescues, sets the reserve and the half-life, lists and delists the token), as in a
///      real deployment where those are the registry and the timelock. Every receipt the splitter
///      accounts is replayed here first, from the state before it, by the rule the splitter
///      promises: the member pool `amount - reserve` (plus anything waiting undistributed) is shared
///      by the era groups' weights, and within a group by credited points. The ledger rounds every
///      share *up*, so the splitter, which rounds down, must never pay more than it; and the ledger
///      counts how many roundings happened, which bounds the dust.
contract SplitterHandler is Base {
    address internal constant ETH = address(0);
    address public constant SINK = address(0x5111C);
    uint256 internal constant LIVE_GROUPS = 6;
    uint256 internal constant NUM_ACTORS = 4;

    Charter public immutable charter;
    Membership public immutable membership;
    PayoutSplitter public immutable splitter;
    TestToken public immutable token;
    /// @dev never listed: what `rescue` is for
    TestToken public immutable stray;

    address[] internal _actors;
    uint256 internal _nextContribution = 1;

    // ------------------------------------------------------------- the ledger
    /// @dev per actor and books key (`token | incarnation << 160`, ETH = 0): owed rounded up, claimed,
    ///      and the number of roundings (each worth less than one unit) between the two
    mapping(address actor => mapping(uint256 key => uint256)) public ghostOwed;
    mapping(address actor => mapping(uint256 key => uint256)) public ghostClaimed;
    mapping(address actor => mapping(uint256 key => uint256)) public ghostSlack;
    mapping(address token => uint256) public ghostTreasury;
    mapping(address token => uint256) public ghostUndistributed;
    /// @dev everything accounted in (receipts) and paid out (claims, spends), per token
    mapping(address token => uint256) public ghostIn;
    mapping(address token => uint256) public ghostOut;
    /// @dev an upper bound on the units the books keep that belong to nobody (rounding dust)
    mapping(address token => uint256) public dustBound;

    /// @dev checks made inside a call (a revert there is ignored by the fuzzer, a count is not)
    uint256 public violations;
    string public lastViolation;
    /// @dev issue 21 finding 3: an award or slash changed the points while `token` revenue that had
    ///      arrived before it was still unaccounted after it (so it would be shared by the new points)
    uint256 public pointsChangedOverUnsettledRevenue;
    mapping(bytes32 action => uint256 count) public calls;

    constructor() {
        token = new TestToken("Revenue", "REV");
        stray = new TestToken("Stray", "STRAY");
        for (uint256 i; i < NUM_ACTORS; ++i) {
            _actors.push(address(uint160(0xA0000 + i)));
        }
        address[] memory tokens = new address[](1);
        tokens[0] = address(token);
        address[] memory founders = new address[](2);
        uint256[] memory points = new uint256[](2);
        (founders[0], founders[1]) = (_actors[0], _actors[1]);
        (points[0], points[1]) = (100e18, 300e18);
        // this handler is the governance and the registry
        Dao dao = new Dao(address(this), address(this), Fixtures.params(30, 1000), Fixtures.document(), tokens, founders, points);
        (charter, membership, splitter) = (dao.charter(), dao.membership(), dao.splitter());
        require(dao.wired(), "the DAO is not wired");
        // genesis is standing that earns nothing: the founders also hold earning points, as if
        // their first work had been accepted (100 and 300), so that revenue is shared from the start
        splitter.award(founders[0], _nextContribution++, 100e18, block.timestamp);
        splitter.award(founders[1], _nextContribution++, 300e18, block.timestamp);
    }

    // ------------------------------------------------------------- views for the invariants

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    /// @dev the books keys of `t`: ETH's one, or one per incarnation of the token so far
    function keys(address t) public view returns (uint256[] memory out) {
        if (t == ETH) {
            out = new uint256[](1);
            return out;
        }
        uint256 n = charter.incarnation(t);
        out = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            out[i] = _key(t, i + 1);
        }
    }

    function claimableKey(address actor, address t, uint256 key) public view returns (uint256) {
        return t == ETH ? splitter.claimable(actor, ETH) : splitter.claimableIncarnation(actor, t, key >> 160);
    }

    function balanceOf(address t) public view returns (uint256) {
        return t == ETH ? address(splitter).balance : token.balanceOf(address(splitter));
    }

    // ------------------------------------------------------------- revenue

    function payEth(uint256 amount) external {
        amount = bound(amount, 1, 1000 ether);
        vm.deal(address(this), amount);
        _ledgerReceive(ETH, _pending(ETH) + amount);
        splitter.pay{value: amount}(ETH, amount);
        calls["payEth"]++;
    }

    /// @dev ETH sent plainly: accepted, accounted by the next sync, pay, ETH claim, award or slash
    function sendEth(uint256 amount) external {
        amount = bound(amount, 1, 1000 ether);
        vm.deal(address(this), amount);
        (bool ok,) = address(splitter).call{value: amount}("");
        _check(ok, "plain ETH refused");
        calls["sendEth"]++;
    }

    function payToken(uint256 amount) external {
        if (!charter.isRevenueToken(address(token))) return;
        amount = bound(amount, 1, 1e30);
        token.mint(address(this), amount);
        token.approve(address(splitter), amount);
        _ledgerReceive(address(token), amount); // pay counts its own transfer only
        splitter.pay(address(token), amount);
        calls["payToken"]++;
    }

    /// @dev tokens sent by plain transfer: accounted by the next `sync(token)` (or rescuable if delisted)
    function sendToken(uint256 amount) external {
        amount = bound(amount, 1, 1e30);
        token.mint(address(splitter), amount);
        calls["sendToken"]++;
    }

    function sync(bool eth) external {
        address t = eth ? ETH : address(token);
        if (!charter.isRevenueToken(t)) return;
        uint256 pending = _pending(t);
        _ledgerReceive(t, pending);
        uint256 amount = splitter.sync(t);
        _check(amount == pending, "sync accounted another amount than arrived");
        calls[eth ? bytes32("syncEth") : bytes32("syncToken")]++;
    }

    // ------------------------------------------------------------- points (as the registry and governance)

    function award(uint256 actorSeed, uint256 points) external {
        _award(_actor(actorSeed), bound(points, 1, 1e24));
        calls["award"]++;
    }

    function slash(uint256 actorSeed, uint256 bps) external {
        address actor = _actor(actorSeed);
        bps = bound(bps, 1, 10_000);
        bool unsettled = _settleWaiting();
        _touched(actor);
        splitter.slash(actor, bps);
        _checkSettled(unsettled);
        calls["slash"]++;
    }

    /// @dev Points decay at most `IDLE_HALVINGS` halvings past the last award, so eras (32 halvings)
    ///      only pass in a community that keeps working: `rounds` times, a half-life passes and a
    ///      small award lands.
    function passEras(uint256 actorSeed, uint256 rounds) external {
        rounds = bound(rounds, 1, 100);
        for (uint256 i; i < rounds; ++i) {
            vm.warp(block.timestamp + 30 days);
            _award(_actor(actorSeed % NUM_ACTORS + i), 1e15);
        }
        calls["passEras"]++;
    }

    /// @dev anyone may catch an account up on delistings it has not seen, in pieces
    function settleRetired(uint256 actorSeed, uint256 max) external {
        address actor = _actor(actorSeed);
        _touched(actor);
        splitter.settleRetired(actor, bound(max, 0, 3));
        calls["settleRetired"]++;
    }

    function _award(address actor, uint256 points) internal {
        bool unsettled = _settleWaiting();
        _touched(actor);
        splitter.award(actor, _nextContribution++, points, block.timestamp);
        _checkSettled(unsettled);
    }

    /// @dev An award or slash first accounts whatever arrived plainly, in ETH and in every listed
    ///      token, as revenue of the points that existed when it arrived: the ledger does so here.
    ///      Returns whether listed token revenue was waiting.
    function _settleWaiting() internal returns (bool tokenWaiting) {
        _ledgerReceive(ETH, _pending(ETH));
        if (charter.isRevenueToken(address(token))) {
            uint256 pending = _pending(address(token));
            _ledgerReceive(address(token), pending);
            tokenWaiting = pending != 0;
        }
    }

    function _checkSettled(bool tokenWaiting) internal {
        if (tokenWaiting && _pending(address(token)) != 0) pointsChangedOverUnsettledRevenue++;
    }

    // ------------------------------------------------------------- pay out

    function claim(uint256 actorSeed, bool eth) external {
        address actor = _actor(actorSeed);
        address t = eth ? ETH : address(token);
        uint256 key = eth ? 0 : _key(t, charter.incarnation(t));
        if (!eth && key >> 160 == 0) return; // never listed
        if (eth) _ledgerReceive(ETH, _pending(ETH)); // an ETH claim settles waiting ETH first
        uint256 expected = eth ? 0 : claimableKey(actor, t, key);
        uint256 paid = splitter.claim(actor, t);
        if (!eth) _check(paid == expected, "claim paid other than claimable");
        _paid(actor, t, key, paid);
        calls["claim"]++;
    }

    /// @dev the member's own ETH, through the short entry point (its own lean path and event)
    function claimEth(uint256 actorSeed) external {
        address actor = _actor(actorSeed);
        _ledgerReceive(ETH, _pending(ETH)); // an ETH claim settles waiting ETH first
        uint256 before = actor.balance;
        vm.prank(actor);
        uint256 paid = splitter.claimEth();
        _check(actor.balance - before == paid, "claimEth: the member got another amount");
        _paid(actor, ETH, 0, paid);
        calls["claimEth"]++;
    }

    function claimTo(uint256 actorSeed, uint256 toSeed, bool eth) external {
        address actor = _actor(actorSeed);
        address to = toSeed % 2 == 0 ? SINK : _actor(toSeed >> 1);
        address t = eth ? ETH : address(token);
        uint256 key = eth ? 0 : _key(t, charter.incarnation(t));
        if (!eth && key >> 160 == 0) return;
        if (eth) _ledgerReceive(ETH, _pending(ETH));
        uint256 expected = eth ? 0 : claimableKey(actor, t, key);
        uint256 before = t == ETH ? to.balance : token.balanceOf(to);
        vm.prank(actor);
        uint256 paid = splitter.claimTo(t, to);
        uint256 received = (t == ETH ? to.balance : token.balanceOf(to)) - before;
        if (!eth) _check(paid == expected, "claimTo paid other than claimable");
        _check(received == paid, "claimTo: the recipient got another amount");
        _paid(actor, t, key, paid);
        calls["claimTo"]++;
    }

    /// @dev pay earned in an earlier (or the current) incarnation of the token, to the member or,
    ///      sent by the member, to another address
    function claimIncarnation(uint256 actorSeed, uint256 incarnationSeed, uint256 toSeed) external {
        uint256 n = charter.incarnation(address(token));
        if (n == 0) return;
        address actor = _actor(actorSeed);
        uint256 inc = bound(incarnationSeed, 1, n);
        uint256 key = _key(address(token), inc);
        uint256 expected = splitter.claimableIncarnation(actor, address(token), inc);
        uint256 paid;
        if (toSeed % 3 == 0) {
            paid = splitter.claimIncarnation(actor, address(token), inc);
        } else {
            address to = toSeed % 3 == 1 ? SINK : _actor(toSeed);
            uint256 before = token.balanceOf(to);
            vm.prank(actor);
            paid = splitter.claimIncarnationTo(address(token), inc, to);
            _check(token.balanceOf(to) - before == paid, "claimIncarnationTo: the recipient got another amount");
        }
        _check(paid == expected, "claimIncarnation paid other than claimable");
        _paid(actor, address(token), key, paid);
        calls["claimIncarnation"]++;
    }

    // ------------------------------------------------------------- governance

    function spend(bool eth, uint256 amount) external {
        address t = eth ? ETH : address(token);
        uint256 available = splitter.treasury(t);
        if (available == 0) return;
        amount = bound(amount, 1, available);
        splitter.spend(t, SINK, amount);
        ghostTreasury[t] -= amount;
        ghostOut[t] += amount;
        calls["spend"]++;
    }

    /// @dev a stray token is rescued, up to what the books do not account for; the revenue token
    ///      never while listed, and when delisted only above what is tracked
    function rescue(uint256 amount, bool revenueToken) external {
        if (!revenueToken) {
            stray.mint(address(splitter), bound(amount, 1, 1e24));
            uint256 all = stray.balanceOf(address(splitter));
            splitter.rescue(address(stray), SINK, all);
            _check(stray.balanceOf(address(splitter)) == 0, "rescue left stray tokens");
            calls["rescueStray"]++;
            return;
        }
        uint256 balance = token.balanceOf(address(splitter));
        uint256 tracked = splitter.tracked(address(token));
        uint256 untracked = balance > tracked ? balance - tracked : 0;
        bool listed = charter.isRevenueToken(address(token));
        // one unit more than may leave must be refused
        try splitter.rescue(address(token), SINK, untracked + 1) {
            _violation("rescue took tracked revenue");
        } catch {}
        if (!listed && untracked != 0) {
            splitter.rescue(address(token), SINK, bound(amount, 1, untracked));
            calls["rescueDelisted"]++;
        }
    }

    function setReserve(uint256 bps) external {
        charter.setParameter(ICharter.Parameter.ReserveBps, bound(bps, 0, 5000));
        calls["setReserve"]++;
    }

    /// @dev 0 (no decay) or 30..1000 day-long epochs per halving; the halving count never goes back
    ///      (it may step forward at once: the epochs already served toward the next halving count
    ///      under the new half-life, so a shorter one can complete it)
    function setHalfLife(uint256 epochs) external {
        epochs = bound(epochs, 29, 1000);
        uint256 before = charter.currentHalvings();
        charter.setParameter(ICharter.Parameter.HalfLife, epochs == 29 ? 0 : epochs);
        _check(charter.currentHalvings() >= before, "a half-life change moved the halving count back");
        calls["setHalfLife"]++;
    }

    /// @dev delisting retires the token's incarnation; listing again starts the next one
    function toggleToken() external {
        bool listed = charter.isRevenueToken(address(token));
        charter.setRevenueToken(address(token), !listed);
        calls[listed ? bytes32("delist") : bytes32("relist")]++;
    }

    // ------------------------------------------------------------- time

    /// @dev up to a thousand days at once: an era is 32 halvings of 30 days (960 days), so a run
    ///      crosses eras and lets whole groups shift to nothing
    function warp(uint256 secondsAhead) external {
        uint256 halvings = charter.currentHalvings();
        vm.warp(block.timestamp + bound(secondsAhead, 1, 1000 days));
        _check(charter.currentHalvings() >= halvings, "halvings went back");
        calls["warp"]++;
    }

    // ------------------------------------------------------------- the ledger's rules

    /// @dev Replays a receipt of `amount` of `t` on the ledger, from the state before the splitter
    ///      accounts it.
    function _ledgerReceive(address t, uint256 amount) internal {
        if (amount == 0) return;
        uint256 reserve = (amount * charter.parameter(ICharter.Parameter.ReserveBps)) / 10_000;
        ghostIn[t] += amount;
        ghostTreasury[t] += reserve;
        uint256 pool = amount - reserve;
        (uint256 era, uint256 offset) = Decay.split(charter.currentHalvings());
        uint256 firstEra = splitter.firstEra();
        uint256 first = era >= firstEra + (LIVE_GROUPS - 1) ? era - (LIVE_GROUPS - 1) : firstEra;
        uint256 weight;
        for (uint256 e = first; e <= era; ++e) {
            weight += Decay.shift(splitter.groupTotal(e), era - e);
        }
        if (weight >> offset == 0) {
            ghostUndistributed[t] += pool;
            return;
        }
        pool += ghostUndistributed[t];
        ghostUndistributed[t] = 0;
        uint256 key = t == ETH ? 0 : _key(t, charter.incarnation(t));
        dustBound[t] += LIVE_GROUPS + 2 * NUM_ACTORS;
        for (uint256 i; i < NUM_ACTORS; ++i) {
            address a = _actors[i];
            (uint256 credited, uint256 group) = splitter.account(a);
            if (credited == 0 || group < first) continue;
            uint256 total = splitter.groupTotal(group);
            uint256 w = Decay.shift(total, era - group);
            if (w == 0) continue;
            uint256 groupShare = Math.mulDiv(pool, w, weight);
            ghostOwed[a][key] += Math.mulDiv(groupShare, credited, total, Math.Rounding.Ceil);
            ghostSlack[a][key] += 2;
        }
    }

    /// @dev an account settled (award, slash): one more rounding in every book it holds
    function _touched(address actor) internal {
        ghostSlack[actor][0] += 1;
        dustBound[ETH] += 1;
        uint256 n = charter.incarnation(address(token));
        for (uint256 i = 1; i <= n; ++i) {
            ghostSlack[actor][_key(address(token), i)] += 1;
        }
        dustBound[address(token)] += 1;
    }

    function _paid(address actor, address t, uint256 key, uint256 amount) internal {
        if (amount == 0) return;
        ghostClaimed[actor][key] += amount;
        ghostOut[t] += amount;
        ghostSlack[actor][key] += 1;
        dustBound[t] += 1;
        if (ghostClaimed[actor][key] > ghostOwed[actor][key]) _violation("a claim paid more than was owed");
    }

    function _pending(address t) internal view returns (uint256) {
        uint256 balance = balanceOf(t);
        uint256 tracked = splitter.tracked(t);
        return balance > tracked ? balance - tracked : 0;
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % NUM_ACTORS];
    }

    function _key(address t, uint256 incarnation) internal pure returns (uint256) {
        return uint256(uint160(t)) | (incarnation << 160);
    }

    function _check(bool ok, string memory what) internal {
        if (!ok) _violation(what);
    }

    function _violation(string memory what) internal {
        violations++;
        lastViolation = what;
    }
}
