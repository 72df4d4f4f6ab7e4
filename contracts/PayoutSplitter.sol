// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ICharter} from "./interfaces/ICharter.sol";
import {IPayoutSplitter} from "./interfaces/IPayoutSplitter.sol";
import {Decay} from "./libraries/Decay.sol";

/// @title Revenue in, pay out by points: a dividend accumulator over decaying points.
/// @dev Per token and era, `_acc[era][token]` is the revenue per credited point, scaled by
///      ACC_PRECISION. A member's position remembers the accumulator it last settled at; what it
///      earned since is `credited * (acc - snapshot) / ACC_PRECISION`, rounded down. Every rounding
///      goes against the payee, so the contract stays solvent; the remainder is dust it keeps.
///      Nothing here loops over members; the only loop is over the handful of revenue tokens.
contract PayoutSplitter is IPayoutSplitter, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc IPayoutSplitter
    uint256 public constant ERA_HALVINGS = Decay.ERA_HALVINGS;
    /// @inheritdoc IPayoutSplitter
    uint256 public constant ACC_PRECISION = 1 << 128;
    uint256 private constant _BPS = 10_000;
    address private constant _ETH = address(0);

    /// @dev Credited points as of `era`.
    struct Account {
        uint192 credited;
        uint64 era;
    }

    /// @dev Wei settled but not yet claimed, and the era of the accumulator snapshot.
    struct Position {
        uint192 owed;
        uint64 era;
    }

    /// @dev What the contract accounts for in one token: every unit it holds (`tracked`) and the
    ///      treasury's share of it.
    struct Book {
        uint128 tracked;
        uint128 treasury;
    }

    /// @dev All credited points (at least the sum of every account brought to the current era).
    struct Totals {
        uint192 credited;
        uint64 era;
    }

    ICharter private immutable _charter;
    address private immutable _registry;

    Totals private _totals;
    mapping(address member => Account account) private _accounts;
    mapping(address member => mapping(address token => Position position)) private _positions;
    mapping(address member => mapping(address token => uint256 acc)) private _snapshots;
    mapping(uint256 era => mapping(address token => uint256 acc)) private _acc;
    mapping(address token => Book book) private _books;
    mapping(address token => uint256 amount) private _undistributed;

    /// @param founders receive `genesisPoints` (18 decimals) each, visible as `PointsAwarded(.., 0, ..)`.
    constructor(ICharter charter_, address registry_, address[] memory founders, uint256[] memory genesisPoints) {
        if (founders.length != genesisPoints.length) revert SplitterGenesisMismatch(founders.length, genesisPoints.length);
        _charter = charter_;
        _registry = registry_;
        (uint256 era_, uint256 offset) = Decay.split(charter_.currentHalvings());
        _totals.era = uint64(era_);
        for (uint256 i; i < founders.length; ++i) {
            _credit(founders[i], 0, genesisPoints[i], era_, offset);
        }
    }

    // ----------------------------------------------------------------- revenue

    /// @notice ETH revenue.
    receive() external payable {
        _receive(_ETH, msg.sender, msg.value);
    }

    /// @inheritdoc IPayoutSplitter
    function pay(address token, uint256 amount) external nonReentrant {
        if (token == _ETH || !_charter.isRevenueToken(token)) revert SplitterTokenNotAllowed(token);
        if (amount == 0) revert SplitterInvalidAmount(amount);
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        _receive(token, msg.sender, IERC20(token).balanceOf(address(this)) - before);
    }

    /// @inheritdoc IPayoutSplitter
    function sync(address token) external nonReentrant returns (uint256 amount) {
        if (!_charter.isRevenueToken(token)) revert SplitterTokenNotAllowed(token);
        uint256 balance = token == _ETH ? address(this).balance : IERC20(token).balanceOf(address(this));
        uint256 tracked_ = _books[token].tracked;
        if (balance > tracked_) {
            amount = balance - tracked_;
            _receive(token, msg.sender, amount);
        }
    }

    // ----------------------------------------------------------------- pay out

    /// @inheritdoc IPayoutSplitter
    /// @dev Settles at the stored era: later eras cannot hold revenue yet, because every receipt
    ///      moves the era forward first. So a claim needs no clock.
    function claim(address member, address token) external nonReentrant returns (uint256 amount) {
        uint256 era_ = _totals.era;
        uint256 accNow;
        (amount, accNow) = _settled(member, token, era_);
        // Nothing owed: change nothing. Moving the snapshot here would re-round the member's share
        // without an event, and the books would no longer follow from the event log alone.
        if (amount == 0) return 0;
        _positions[member][token] = Position(0, uint64(era_));
        _snapshots[member][token] = accNow;
        _books[token].tracked -= uint128(amount);
        emit Claimed(member, token, amount, msg.sender);
        _transfer(token, member, amount);
    }

    /// @inheritdoc IPayoutSplitter
    function spend(address token, address to, uint256 amount) external nonReentrant {
        if (msg.sender != _charter.governance()) revert SplitterUnauthorized(msg.sender);
        Book memory b = _books[token];
        if (amount == 0) revert SplitterInvalidAmount(amount);
        if (amount > b.treasury) revert SplitterInsufficientTreasury(token, amount, b.treasury);
        // Cannot underflow: the treasury is part of what is tracked.
        _books[token] = Book(b.tracked - uint128(amount), b.treasury - uint128(amount));
        emit TreasurySpent(token, to, amount);
        _transfer(token, to, amount);
    }

    // ----------------------------------------------------------------- points

    /// @inheritdoc IPayoutSplitter
    function award(address member, uint256 contributionId, uint256 points) external {
        if (msg.sender != _registry) revert SplitterOnlyRegistry(msg.sender);
        (uint256 era_, uint256 offset) = _advance();
        _settleAll(member, era_);
        _credit(member, contributionId, points, era_, offset);
    }

    /// @inheritdoc IPayoutSplitter
    function slash(address member, uint256 bps) external {
        if (msg.sender != _charter.governance()) revert SplitterUnauthorized(msg.sender);
        if (bps == 0 || bps > _BPS) revert SplitterInvalidAmount(bps);
        (uint256 era_, uint256 offset) = _advance();
        _settleAll(member, era_);
        Account memory a = _accounts[member];
        uint256 credited = Decay.shift(a.credited, era_ - a.era);
        uint256 cut = (credited * bps) / _BPS;
        _accounts[member] = Account(uint192(credited - cut), uint64(era_));
        // Cannot underflow: the totals are at least every account's credited points.
        _totals.credited -= uint192(cut);
        emit Slashed(member, bps, cut >> offset);
    }

    // ----------------------------------------------------------------- views

    /// @inheritdoc IPayoutSplitter
    function pointsOf(address member) external view returns (uint256) {
        (uint256 era_, uint256 offset) = Decay.split(_charter.currentHalvings());
        Account memory a = _accounts[member];
        return Decay.shift(a.credited, era_ - a.era) >> offset;
    }

    /// @inheritdoc IPayoutSplitter
    function totalPoints() external view returns (uint256) {
        (uint256 era_, uint256 offset) = Decay.split(_charter.currentHalvings());
        Totals memory t = _totals;
        return Decay.shift(t.credited, era_ - t.era) >> offset;
    }

    /// @notice `member`'s credited points and the era they are expressed in (raw accounting state).
    function account(address member) external view returns (uint256 credited, uint256 era_) {
        Account memory a = _accounts[member];
        return (a.credited, a.era);
    }

    /// @notice All credited points and the era they are expressed in (raw accounting state).
    function totals() external view returns (uint256 credited, uint256 era_) {
        Totals memory t = _totals;
        return (t.credited, t.era);
    }

    /// @notice The accumulator of `token` in `era_` (revenue per credited point * ACC_PRECISION).
    function accumulator(uint256 era_, address token) external view returns (uint256) {
        return _acc[era_][token];
    }

    /// @inheritdoc IPayoutSplitter
    function claimable(address member, address token) external view returns (uint256 amount) {
        (amount,) = _settled(member, token, _totals.era);
    }

    /// @inheritdoc IPayoutSplitter
    function treasury(address token) external view returns (uint256) {
        return _books[token].treasury;
    }

    /// @inheritdoc IPayoutSplitter
    function undistributed(address token) external view returns (uint256) {
        return _undistributed[token];
    }

    /// @inheritdoc IPayoutSplitter
    function tracked(address token) external view returns (uint256) {
        return _books[token].tracked;
    }

    /// @inheritdoc IPayoutSplitter
    function era() external view returns (uint256) {
        return _totals.era;
    }

    /// @notice The contracts this splitter works with.
    function wiring() external view returns (ICharter charter, address registry) {
        return (_charter, _registry);
    }

    // ----------------------------------------------------------------- internal

    function _receive(address token, address from, uint256 amount) private {
        if (amount == 0) return;
        (uint256 era_,) = _advance();
        uint256 reserve = (amount * _charter.parameter(ICharter.Parameter.ReserveBps)) / _BPS;
        Book memory b = _books[token];
        // uint128 holds 3.4e38 units of a token: more than any token's supply; the checked casts
        // refuse a receipt that would pass it rather than wrap.
        _books[token] = Book(_toUint128(b.tracked + amount), _toUint128(b.treasury + reserve));
        _distribute(token, amount - reserve, era_);
        emit RevenueReceived(token, from, amount, reserve);
    }

    function _distribute(address token, uint256 amount, uint256 era_) private {
        uint256 credited = _totals.credited;
        if (credited == 0) {
            _undistributed[token] += amount;
            return;
        }
        uint256 waiting = _undistributed[token];
        if (waiting != 0) {
            amount += waiting;
            _undistributed[token] = 0;
        }
        _acc[era_][token] += Math.mulDiv(amount, ACC_PRECISION, credited);
    }

    /// @dev Moves the totals to the current era; returns the era and the offset within it.
    function _advance() private returns (uint256 era_, uint256 offset) {
        (era_, offset) = Decay.split(_charter.currentHalvings());
        Totals memory t = _totals;
        if (era_ > t.era) {
            _totals = Totals(uint192(Decay.shift(t.credited, era_ - t.era)), uint64(era_));
            emit EraAdvanced(t.era, era_);
        }
    }

    function _credit(address member, uint256 contributionId, uint256 points, uint256 era_, uint256 offset) private {
        Account memory a = _accounts[member];
        uint256 added = points << offset;
        uint256 credited = Decay.shift(a.credited, era_ - a.era) + added;
        _accounts[member] = Account(_toUint192(credited), uint64(era_));
        _totals.credited = _toUint192(_totals.credited + added);
        emit PointsAwarded(member, contributionId, points);
    }

    /// @dev Settles ETH and every token ever listed, so that a change of points starts clean.
    function _settleAll(address member, uint256 era_) private {
        _settle(member, _ETH, era_);
        address[] memory tokens = _charter.revenueTokens();
        for (uint256 i; i < tokens.length; ++i) {
            _settle(member, tokens[i], era_);
        }
    }

    function _settle(address member, address token, uint256 era_) private {
        (uint256 owed, uint256 accNow) = _settled(member, token, era_);
        _positions[member][token] = Position(_toUint192(owed), uint64(era_));
        _snapshots[member][token] = accNow;
    }

    /// @dev What `member` is owed in `token` when brought to `era_`, and the accumulator there.
    function _settled(address member, address token, uint256 era_) private view returns (uint256 owed, uint256 accNow) {
        Account memory a = _accounts[member];
        Position memory p = _positions[member][token];
        owed = p.owed;
        accNow = _acc[era_][token];
        if (a.credited == 0) return (owed, accNow);
        // A position older than the account was never settled while these points existed
        // (its token was listed after the last award), so it starts from zero in the account's era.
        uint256 e = p.era < a.era ? a.era : p.era;
        uint256 snapshot = p.era < a.era ? 0 : _snapshots[member][token];
        uint256 credited = Decay.shift(a.credited, e - a.era);
        // At most ERAS_TO_ZERO passes: after that many eras the credited points are zero.
        while (credited != 0 && e < era_) {
            owed += Math.mulDiv(credited, _acc[e][token] - snapshot, ACC_PRECISION);
            snapshot = 0;
            ++e;
            credited = Decay.shift(credited, 1);
        }
        if (credited != 0) owed += Math.mulDiv(credited, accNow - snapshot, ACC_PRECISION);
    }

    function _transfer(address token, address to, uint256 amount) private {
        if (token == _ETH) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert SplitterEthTransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    function _toUint128(uint256 x) private pure returns (uint128) {
        if (x > type(uint128).max) revert SplitterInvalidAmount(x);
        return uint128(x);
    }

    function _toUint192(uint256 x) private pure returns (uint192) {
        if (x > type(uint192).max) revert SplitterInvalidAmount(x);
        return uint192(x);
    }
}
