// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICharter} from "./interfaces/ICharter.sol";

/// @title The charter: parameters with on-chain bounds, the charter document, revenue tokens.
/// @dev The epoch and halving counters follow a clock that gains an entry whenever the epoch length
///      or the half-life changes. A change keeps the current epoch's start and the progress toward
///      the next halving, so both counters only grow, writing a value that is already set changes
///      nothing, and the history answers "how many halvings at time t" for any past t.
contract Charter is ICharter {
    /// @dev At most this many revenue tokens besides ETH may be listed at once: the splitter settles
    ///      every listed token when it awards points, so the list must stay a handful. Delisting frees
    ///      the slot.
    uint256 public constant MAX_REVENUE_TOKENS = 8;
    uint256 private constant _MAX_DOCUMENT_LENGTH = 128;
    /// @notice The shortest half-life, in seconds (`halfLife * epochLength`), when points decay at all.
    ///         Reviews weigh standing, so a community whose standing had all decayed could no longer
    ///         judge work: with at least 30 days per halving that takes years without accepted work.
    uint256 public constant MIN_HALF_LIFE_SECONDS = 30 days;

    address private _governance;
    Params private _params;
    Clock[] private _clocks;
    /// @dev the newest entry of `_clocks`, in a word of its own: reading the clock in force now (every
    ///      epoch and halving count, and most lookups of a past time) costs one storage read
    Clock private _clock;
    bytes private _document;
    /// @dev the listed revenue tokens, in no particular order
    address[] private _tokens;
    /// @dev position in `_tokens` plus one (0 = not listed)
    mapping(address token => uint256 slot) private _slots;
    /// @dev how many times a token was listed: each listing is a new incarnation with its own books
    mapping(address token => uint64 incarnation) private _incarnations;
    /// @dev every delisting, in order: the token and the incarnation that retired
    RevenueToken[] private _retired;
    /// @dev (token, incarnation) => its place in `_retired` plus one
    mapping(bytes32 key => uint256 index) private _retiredIndex;

    modifier onlyGovernance() {
        if (msg.sender != _governance) revert CharterUnauthorized(msg.sender);
        _;
    }

    constructor(address governance_, Params memory initial, bytes memory document, address[] memory tokens) {
        if (governance_ == address(0)) revert CharterInvalidGovernance(governance_);
        _governance = governance_;
        emit GovernanceTransferred(address(0), governance_);
        for (uint256 p; p <= uint256(type(Parameter).max); ++p) {
            _set(Parameter(p), _valueOf(initial, Parameter(p)), true);
        }
        _checkDecay();
        _pushClock(
            Clock(uint40(block.timestamp), uint40(block.timestamp), 0, 0, 0, initial.epochLength, initial.halfLife)
        );
        _setDocument(document);
        for (uint256 i; i < tokens.length; ++i) {
            _setRevenueToken(tokens[i], true);
        }
    }

    // ----------------------------------------------------------------- views

    /// @inheritdoc ICharter
    function governance() external view returns (address) {
        return _governance;
    }

    /// @inheritdoc ICharter
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc ICharter
    function parameter(Parameter which) external view returns (uint256) {
        return _valueOf(_params, which);
    }

    /// @inheritdoc ICharter
    function minReviewerStanding() external view returns (uint256) {
        return _params.minReviewerStanding;
    }

    /// @inheritdoc ICharter
    function bounds(Parameter which) public pure returns (uint256 min, uint256 max) {
        if (which == Parameter.EpochLength) return (1 hours, 365 days);
        // at least a day: a superseding reveal (see the registry) must land inside the window
        if (which == Parameter.ReviewWindow) return (1 days, 90 days);
        if (which == Parameter.MinReviewers) return (1, 100);
        if (which == Parameter.HalfLife) return (0, 1000); // 0 = no decay
        if (which == Parameter.ReserveBps) return (0, 5000);
        if (which == Parameter.MaxEffort) return (1, 10_080); // one week of minutes
        if (which == Parameter.MaxEffortPerEpoch) return (1, 1_000_000);
        if (which == Parameter.MinReviewerStanding) return (0, 1e30); // up to 1e12 points
        if (which == Parameter.QuorumBps) return (100, 5000); // 1 % to half of all standing
        if (which == Parameter.ReviewBudgetBps) return (100, 100_000); // 1 % to 10x a reviewer's standing per epoch
        if (which == Parameter.PanelSize) return (1, 100);
        if (which == Parameter.ReviewerBps) return (0, 2000); // up to a fifth of every receipt
        if (which == Parameter.HostReplicas) return (1, 7);
        if (which == Parameter.TtfbCeilingMs) return (100, 60_000); // a tenth of a second to a minute
        if (which == Parameter.HostingBps) return (0, 1000); // up to a tenth of every receipt
        return (0, 1e30); // HostMinStanding: up to 1e12 points
    }

    /// @inheritdoc ICharter
    function documentCid() external view returns (bytes memory) {
        return _document;
    }

    /// @inheritdoc ICharter
    function revenueTokens() external view returns (address[] memory) {
        return _tokens;
    }

    /// @inheritdoc ICharter
    function isRevenueToken(address token) external view returns (bool) {
        return token == address(0) || _slots[token] != 0;
    }

    /// @inheritdoc ICharter
    function incarnation(address token) external view returns (uint256) {
        return _incarnations[token];
    }

    /// @inheritdoc ICharter
    function tokenState(address token) external view returns (bool listed, uint256 incarnation_, uint256 retired) {
        incarnation_ = _incarnations[token];
        return (token == address(0) || _slots[token] != 0, incarnation_, _retiredIndex[_key(token, incarnation_)]);
    }

    /// @inheritdoc ICharter
    function retiredAt(address token, uint256 incarnation_) external view returns (uint256) {
        return _retiredIndex[_key(token, incarnation_)];
    }

    /// @inheritdoc ICharter
    function retiredTokens() external view returns (RevenueToken[] memory) {
        return _retired;
    }

    /// @inheritdoc ICharter
    function settleList(uint256 retiredSeen)
        external
        view
        returns (RevenueToken[] memory tokens, uint256 retiredCount)
    {
        retiredCount = _retired.length;
        uint256 listed = _tokens.length;
        uint256 since = retiredCount > retiredSeen ? retiredCount - retiredSeen : 0;
        tokens = new RevenueToken[](listed + since);
        for (uint256 i; i < listed; ++i) {
            tokens[i] = RevenueToken(_tokens[i], _incarnations[_tokens[i]]);
        }
        for (uint256 i; i < since; ++i) {
            tokens[listed + i] = _retired[retiredSeen + i];
        }
    }

    /// @inheritdoc ICharter
    function retiredRange(uint256 from, uint256 count) external view returns (RevenueToken[] memory tokens) {
        uint256 total = _retired.length;
        uint256 end = from >= total ? from : (count > total - from ? total : from + count);
        tokens = new RevenueToken[](end - from);
        for (uint256 i = from; i < end; ++i) {
            tokens[i - from] = _retired[i];
        }
    }

    /// @inheritdoc ICharter
    function currentEpoch() public view returns (uint256) {
        return _epoch(_clock, block.timestamp);
    }

    /// @inheritdoc ICharter
    function currentEpochStart() external view returns (uint256) {
        Clock memory c = _clock;
        return c.epochStart + (_epoch(c, block.timestamp) - c.epochBase) * c.epochLength;
    }

    /// @inheritdoc ICharter
    function epochAt(uint256 time) external view returns (uint256) {
        return _epoch(_clockAt(time), time);
    }

    /// @inheritdoc ICharter
    /// @dev The last clock whose first epoch is at most `epoch` (the newest first: O(changes of the clock)).
    function epochStart(uint256 epoch) external view returns (uint256) {
        Clock memory c = _clock;
        uint256 i = _clocks.length - 1;
        while (c.epochBase > epoch && i != 0) c = _clocks[--i];
        if (epoch < c.epochBase) return c.epochStart; // before the first clock: the charter's first second
        return c.epochStart + (epoch - c.epochBase) * c.epochLength;
    }

    /// @inheritdoc ICharter
    function receiptShares() external view returns (uint256 reserveBps, uint256 reviewerBps, uint256 hostingBps) {
        Params storage p = _params;
        return (p.reserveBps, p.reviewerBps, p.hostingBps);
    }

    /// @inheritdoc ICharter
    function currentHalvings() external view returns (uint256) {
        return _halvings(_clock, block.timestamp);
    }

    /// @inheritdoc ICharter
    function reviewRules() external view returns (uint256 epoch, uint256 minReviewerStanding_, uint256 budgetBps) {
        return (currentEpoch(), _params.minReviewerStanding, _params.reviewBudgetBps);
    }

    /// @inheritdoc ICharter
    function halvingsAt(uint256 time) external view returns (uint256) {
        return _halvings(_clockAt(time), time);
    }

    /// @inheritdoc ICharter
    function halvingsNowAndAt(uint256 time) external view returns (uint256 current, uint256 then) {
        return (_halvings(_clock, block.timestamp), _halvings(_clockAt(time), time));
    }

    /// @inheritdoc ICharter
    function currentClock() external view returns (Clock memory) {
        return _clock;
    }

    /// @inheritdoc ICharter
    function clockHistory() external view returns (Clock[] memory) {
        return _clocks;
    }

    // ----------------------------------------------------------------- governance

    /// @inheritdoc ICharter
    function setParameter(Parameter which, uint256 value) external onlyGovernance {
        _set(which, value, false);
    }

    /// @inheritdoc ICharter
    function setDocument(bytes calldata cid) external onlyGovernance {
        _setDocument(cid);
    }

    /// @inheritdoc ICharter
    function setRevenueToken(address token, bool allowed) external onlyGovernance {
        _setRevenueToken(token, allowed);
    }

    /// @inheritdoc ICharter
    function transferGovernance(address newGovernance) external onlyGovernance {
        if (newGovernance == address(0)) revert CharterInvalidGovernance(newGovernance);
        emit GovernanceTransferred(_governance, newGovernance);
        _governance = newGovernance;
    }

    // ----------------------------------------------------------------- internal

    function _set(Parameter which, uint256 value, bool initial) private {
        (uint256 min, uint256 max) = bounds(which);
        if (value < min || value > max) revert CharterValueOutOfBounds(which, value, min, max);
        uint256 old = initial ? 0 : _valueOf(_params, which);
        if (which == Parameter.EpochLength) _params.epochLength = uint32(value);
        else if (which == Parameter.ReviewWindow) _params.reviewWindow = uint32(value);
        else if (which == Parameter.MinReviewers) _params.minReviewers = uint16(value);
        else if (which == Parameter.HalfLife) _params.halfLife = uint16(value);
        else if (which == Parameter.ReserveBps) _params.reserveBps = uint16(value);
        else if (which == Parameter.MaxEffort) _params.maxEffort = uint32(value);
        else if (which == Parameter.MaxEffortPerEpoch) _params.maxEffortPerEpoch = uint32(value);
        else if (which == Parameter.MinReviewerStanding) _params.minReviewerStanding = uint128(value);
        else if (which == Parameter.QuorumBps) _params.quorumBps = uint16(value);
        else if (which == Parameter.ReviewBudgetBps) _params.reviewBudgetBps = uint32(value);
        else if (which == Parameter.PanelSize) _params.panelSize = uint16(value);
        else if (which == Parameter.ReviewerBps) _params.reviewerBps = uint16(value);
        else if (which == Parameter.HostReplicas) _params.hostReplicas = uint8(value);
        else if (which == Parameter.TtfbCeilingMs) _params.ttfbCeilingMs = uint24(value);
        else if (which == Parameter.HostMinStanding) _params.hostMinStanding = uint128(value);
        else _params.hostingBps = uint16(value);
        if (!initial && value != old && (which == Parameter.EpochLength || which == Parameter.HalfLife)) {
            _checkDecay();
            _rebaseClock();
        }
        emit ParameterChanged(which, old, value);
    }

    function _checkDecay() private view {
        uint256 halfLifeSeconds = uint256(_params.halfLife) * _params.epochLength;
        if (halfLifeSeconds != 0 && halfLifeSeconds < MIN_HALF_LIFE_SECONDS) {
            revert CharterDecayTooFast(halfLifeSeconds, MIN_HALF_LIFE_SECONDS);
        }
    }

    /// @dev A new clock entry from now on, with the new epoch length and half-life. The current epoch
    ///      keeps its start and number; the current halving period keeps its first epoch, so the
    ///      time already served toward the next halving counts.
    function _rebaseClock() private {
        Clock memory c = _clock;
        uint256 epoch = _epoch(c, block.timestamp);
        uint256 halvings = _halvings(c, block.timestamp);
        uint256 start = c.epochStart + (epoch - c.epochBase) * c.epochLength;
        uint256 halvingStart = c.halfLife == 0 ? epoch : c.halvingStartEpoch + (halvings - c.halvingBase) * c.halfLife;
        // Casts are safe: times fit 40 bits until year 36812; epochs are at least an hour and
        // halvings at most one per epoch, so both counters stay far below 2^40.
        _pushClock(
            Clock(
                uint40(block.timestamp),
                uint40(start),
                uint40(epoch),
                uint40(halvingStart),
                uint40(halvings),
                _params.epochLength,
                _params.halfLife
            )
        );
    }

    /// @dev The clock entry in force at `time`: the last one that started at or before it (the first
    ///      for earlier times). Clock changes are governance decisions, so the history is short;
    ///      search from the newest.
    function _clockAt(uint256 time) private view returns (Clock memory c) {
        c = _clock;
        if (c.since <= time) return c;
        uint256 i = _clocks.length - 1; // the newest is `_clock`, just read
        while (i != 0) {
            c = _clocks[--i];
            if (c.since <= time) return c;
        }
    }

    function _pushClock(Clock memory c) private {
        _clocks.push(c);
        _clock = c;
    }

    /// @dev Times before the charter existed count as its first second (epoch 0, no halvings).
    function _epoch(Clock memory c, uint256 time) private pure returns (uint256) {
        if (time < c.epochStart) return c.epochBase;
        return c.epochBase + (time - c.epochStart) / c.epochLength;
    }

    function _halvings(Clock memory c, uint256 time) private pure returns (uint256) {
        if (c.halfLife == 0) return c.halvingBase;
        return c.halvingBase + (_epoch(c, time) - c.halvingStartEpoch) / c.halfLife;
    }

    function _setDocument(bytes memory cid) private {
        if (cid.length == 0 || cid.length > _MAX_DOCUMENT_LENGTH) revert CharterInvalidDocument(cid.length);
        _document = cid;
        emit DocumentChanged(cid);
    }

    /// @dev Listing starts a new incarnation of the token, with fresh books in the splitter; delisting
    ///      retires the current one (what members earned in it stays claimable) and frees its slot.
    function _setRevenueToken(address token, bool allowed) private {
        if (token == address(0)) revert CharterInvalidRevenueToken(token);
        uint256 slot = _slots[token];
        if (allowed && slot == 0) {
            if (_tokens.length == MAX_REVENUE_TOKENS) revert CharterInvalidRevenueToken(token);
            _tokens.push(token);
            _slots[token] = _tokens.length;
            ++_incarnations[token];
        } else if (!allowed && slot != 0) {
            address last = _tokens[_tokens.length - 1];
            _tokens[slot - 1] = last;
            _slots[last] = slot;
            _tokens.pop();
            delete _slots[token];
            uint64 current = _incarnations[token];
            _retired.push(RevenueToken(token, current));
            _retiredIndex[_key(token, current)] = _retired.length;
        }
        emit RevenueTokenSet(token, allowed, _incarnations[token]);
    }

    function _key(address token, uint256 incarnation_) private pure returns (bytes32) {
        return bytes32(uint256(uint160(token)) | (incarnation_ << 160));
    }

    function _valueOf(Params memory p, Parameter which) private pure returns (uint256) {
        if (which == Parameter.EpochLength) return p.epochLength;
        if (which == Parameter.ReviewWindow) return p.reviewWindow;
        if (which == Parameter.MinReviewers) return p.minReviewers;
        if (which == Parameter.HalfLife) return p.halfLife;
        if (which == Parameter.ReserveBps) return p.reserveBps;
        if (which == Parameter.MaxEffort) return p.maxEffort;
        if (which == Parameter.MaxEffortPerEpoch) return p.maxEffortPerEpoch;
        if (which == Parameter.MinReviewerStanding) return p.minReviewerStanding;
        if (which == Parameter.QuorumBps) return p.quorumBps;
        if (which == Parameter.ReviewBudgetBps) return p.reviewBudgetBps;
        if (which == Parameter.PanelSize) return p.panelSize;
        if (which == Parameter.ReviewerBps) return p.reviewerBps;
        if (which == Parameter.HostReplicas) return p.hostReplicas;
        if (which == Parameter.TtfbCeilingMs) return p.ttfbCeilingMs;
        if (which == Parameter.HostMinStanding) return p.hostMinStanding;
        return p.hostingBps;
    }
}
