// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICharter} from "./interfaces/ICharter.sol";

/// @title The charter: parameters with on-chain bounds, the charter document, revenue tokens.
/// @dev Epochs and halvings are counted from a base that moves whenever their length changes, so
///      both counters only ever grow and a change never rewrites the past.
contract Charter is ICharter {
    /// @dev At most this many revenue tokens besides ETH may ever be listed: the splitter settles
    ///      every listed token when it awards points, so the list must stay a handful.
    uint256 public constant MAX_REVENUE_TOKENS = 8;
    uint256 private constant _MAX_DOCUMENT_LENGTH = 128;

    /// @dev Where the epoch and halving counters were last rebased.
    struct Clock {
        uint64 epochBaseTime;
        uint64 epochBase;
        uint64 halvingBaseEpoch;
        uint64 halvingBase;
    }

    address private _governance;
    Params private _params;
    Clock private _clock;
    bytes private _document;
    address[] private _tokens;
    mapping(address token => bool allowed) private _allowed;

    modifier onlyGovernance() {
        if (msg.sender != _governance) revert CharterUnauthorized(msg.sender);
        _;
    }

    constructor(address governance_, Params memory initial, bytes memory document, address[] memory tokens) {
        if (governance_ == address(0)) revert CharterInvalidGovernance(governance_);
        _governance = governance_;
        emit GovernanceTransferred(address(0), governance_);
        _clock = Clock(uint64(block.timestamp), 0, 0, 0);
        for (uint256 p; p <= uint256(Parameter.MinReviewerStanding); ++p) {
            _set(Parameter(p), _valueOf(initial, Parameter(p)), true);
        }
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
        if (which == Parameter.ReviewWindow) return (1 hours, 90 days);
        if (which == Parameter.Quorum) return (1, 1000);
        if (which == Parameter.HalfLife) return (0, 1000); // 0 = no decay
        if (which == Parameter.ReserveBps) return (0, 5000);
        if (which == Parameter.MaxEffort) return (1, 10_080); // one week of minutes
        if (which == Parameter.MaxEffortPerEpoch) return (1, 1_000_000);
        return (0, 1e30); // MinReviewerStanding: up to 1e12 points
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
        return token == address(0) || _allowed[token];
    }

    /// @inheritdoc ICharter
    function currentEpoch() public view returns (uint256) {
        Clock memory c = _clock;
        return c.epochBase + (block.timestamp - c.epochBaseTime) / _params.epochLength;
    }

    /// @inheritdoc ICharter
    function currentHalvings() external view returns (uint256) {
        Clock memory c = _clock;
        uint256 halfLife = _params.halfLife;
        if (halfLife == 0) return c.halvingBase;
        return c.halvingBase + (currentEpoch() - c.halvingBaseEpoch) / halfLife;
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
        if (!initial && (which == Parameter.EpochLength || which == Parameter.HalfLife)) _rebaseClock();
        if (which == Parameter.EpochLength) _params.epochLength = uint32(value);
        else if (which == Parameter.ReviewWindow) _params.reviewWindow = uint32(value);
        else if (which == Parameter.Quorum) _params.quorum = uint16(value);
        else if (which == Parameter.HalfLife) _params.halfLife = uint16(value);
        else if (which == Parameter.ReserveBps) _params.reserveBps = uint16(value);
        else if (which == Parameter.MaxEffort) _params.maxEffort = uint32(value);
        else if (which == Parameter.MaxEffortPerEpoch) _params.maxEffortPerEpoch = uint32(value);
        else _params.minReviewerStanding = uint128(value);
        emit ParameterChanged(which, old, value);
    }

    /// @dev Freezes the counters at their current values; the current epoch restarts now.
    function _rebaseClock() private {
        Clock memory c = _clock;
        uint256 epoch = currentEpoch();
        uint256 halfLife = _params.halfLife;
        uint256 halvings = halfLife == 0 ? c.halvingBase : c.halvingBase + (epoch - c.halvingBaseEpoch) / halfLife;
        // Casts are safe: epochs are at least an hour and halvings at most one per epoch, so both
        // counters stay below 2^64 for far longer than the chain will exist.
        _clock = Clock(uint64(block.timestamp), uint64(epoch), uint64(epoch), uint64(halvings));
    }

    function _setDocument(bytes memory cid) private {
        if (cid.length == 0 || cid.length > _MAX_DOCUMENT_LENGTH) revert CharterInvalidDocument(cid.length);
        _document = cid;
        emit DocumentChanged(cid);
    }

    function _setRevenueToken(address token, bool allowed) private {
        if (token == address(0)) revert CharterInvalidRevenueToken(token);
        if (allowed && !_listed(token)) {
            if (_tokens.length == MAX_REVENUE_TOKENS) revert CharterInvalidRevenueToken(token);
            _tokens.push(token);
        }
        _allowed[token] = allowed;
        emit RevenueTokenSet(token, allowed);
    }

    function _listed(address token) private view returns (bool) {
        for (uint256 i; i < _tokens.length; ++i) {
            if (_tokens[i] == token) return true;
        }
        return false;
    }

    function _valueOf(Params memory p, Parameter which) private pure returns (uint256) {
        if (which == Parameter.EpochLength) return p.epochLength;
        if (which == Parameter.ReviewWindow) return p.reviewWindow;
        if (which == Parameter.Quorum) return p.quorum;
        if (which == Parameter.HalfLife) return p.halfLife;
        if (which == Parameter.ReserveBps) return p.reserveBps;
        if (which == Parameter.MaxEffort) return p.maxEffort;
        if (which == Parameter.MaxEffortPerEpoch) return p.maxEffortPerEpoch;
        return p.minReviewerStanding;
    }
}
