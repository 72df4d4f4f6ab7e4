// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title The charter of a Starfish DAO: its parameters, its document and its revenue tokens.
/// @notice Only the governance address changes anything here, and every value is checked against
///         bounds that are themselves readable on-chain (`bounds`).
interface ICharter {
    /// @notice The parameters that governance may change, each with on-chain bounds.
    enum Parameter {
        EpochLength, // seconds in an epoch
        ReviewWindow, // seconds a contribution stays open to review
        MinReviewers, // distinct reviewers a contribution needs to be judged
        HalfLife, // epochs after which points count half; 0 = no decay
        ReserveBps, // share of every receipt kept by the treasury, in basis points
        MaxEffort, // largest effort (minutes) one contribution may claim
        MaxEffortPerEpoch, // largest effort (minutes) one member may submit within one epoch
        MinReviewerStanding, // points (18 decimals) a reviewer must have held when the work was submitted
        QuorumBps, // share of the community's standing that must review a contribution, in basis points
        ReviewBudgetBps, // points a reviewer may approve per epoch, as basis points of their own standing
        PanelSize, // reviewers drawn for a contribution, by standing (the panel's expected size)
        ReviewerBps, // share of every receipt kept for the reviewers, paid by accuracy, in basis points
        HostReplicas, // member hosts each file the community depends on is assigned to (the grid's k)
        TtfbCeilingMs, // milliseconds a host may take to the first byte of a challenged block
        HostMinStanding, // points (18 decimals) a member must have held as the epoch began to host
        HostingBps // share of every receipt kept for the hosts, paid by attested hosting, in basis points
    }

    /// @notice The charter parameters, packed in three storage words (a receipt reads the first two).
    struct Params {
        uint32 epochLength;
        uint32 reviewWindow;
        uint16 minReviewers;
        uint16 halfLife;
        uint16 reserveBps;
        uint32 maxEffort;
        uint32 maxEffortPerEpoch;
        uint128 minReviewerStanding;
        uint16 quorumBps;
        uint32 reviewBudgetBps;
        uint16 panelSize;
        uint16 reviewerBps;
        uint8 hostReplicas;
        uint24 ttfbCeilingMs;
        uint128 hostMinStanding;
        uint16 hostingBps;
    }

    /// @notice The epoch and halving clock from `since` on (until the next entry): epoch `k` starts at
    ///         `epochStart + (k - epochBase) * epochLength`; halvings count from `halvingBase` at epoch
    ///         `halvingStartEpoch`, one per `halfLife` epochs (none when it is 0).
    struct Clock {
        uint40 since;
        uint40 epochStart;
        uint40 epochBase;
        uint40 halvingStartEpoch;
        uint40 halvingBase;
        uint32 epochLength;
        uint16 halfLife;
    }

    /// @notice A revenue token's incarnation: each listing starts a new one, with its own books.
    struct RevenueToken {
        address token;
        uint64 incarnation;
    }

    /// @notice Thrown when someone other than the governance address tries to change the charter.
    error CharterUnauthorized(address caller);
    /// @notice Thrown when a parameter value lies outside its bounds.
    error CharterValueOutOfBounds(Parameter parameter, uint256 value, uint256 min, uint256 max);
    /// @notice Thrown when the half-life (`halfLife * epochLength` seconds) would be shorter than
    ///         `MIN_HALF_LIFE_SECONDS`.
    error CharterDecayTooFast(uint256 halfLifeSeconds, uint256 minimum);
    /// @notice Thrown when the charter document CID is empty or longer than 128 bytes.
    error CharterInvalidDocument(uint256 length);
    /// @notice Thrown when a revenue token is the zero address or eight are listed already.
    error CharterInvalidRevenueToken(address token);
    /// @notice Thrown when the new governance address is the zero address.
    error CharterInvalidGovernance(address governance);

    /// @notice Emitted when a parameter changes.
    event ParameterChanged(Parameter indexed parameter, uint256 oldValue, uint256 newValue);
    /// @notice Emitted when the charter document (mission, norms) changes; `cid` is a binary CID.
    event DocumentChanged(bytes cid);
    /// @notice Emitted when a token is listed (a new `incarnation`) or delisted (that incarnation retires).
    event RevenueTokenSet(address indexed token, bool allowed, uint256 incarnation);
    /// @notice Emitted when governance passes to a new address (for example a timelock).
    event GovernanceTransferred(address indexed previousGovernance, address indexed newGovernance);

    /// @notice The address allowed to change the charter, suspend, slash and spend the treasury.
    function governance() external view returns (address);
    /// @notice All parameters at once.
    function params() external view returns (Params memory);
    /// @notice One parameter's current value.
    function parameter(Parameter parameter) external view returns (uint256);
    /// @notice The smallest standing (points, 18 decimals) that lets a member review.
    function minReviewerStanding() external view returns (uint256);
    /// @notice The inclusive bounds a parameter must stay within.
    function bounds(Parameter parameter) external pure returns (uint256 min, uint256 max);
    /// @notice The binary CID of the charter document.
    function documentCid() external view returns (bytes memory);
    /// @notice The tokens listed as revenue now (at most 8); ETH is implicit.
    function revenueTokens() external view returns (address[] memory);
    /// @notice Whether `token` is currently accepted as revenue (`address(0)`, ETH, always is).
    function isRevenueToken(address token) external view returns (bool);
    /// @notice How many times `token` was listed (its current or last incarnation).
    function incarnation(address token) external view returns (uint256);
    /// @notice Whether `token` is listed, its latest incarnation, and where that incarnation retired
    ///         (its place among all delistings plus one; 0 while listed).
    function tokenState(address token) external view returns (bool listed, uint256 incarnation, uint256 retiredAt);
    /// @notice Where an incarnation of `token` retired (its place among all delistings plus one), or 0.
    function retiredAt(address token, uint256 incarnation) external view returns (uint256);
    /// @notice Every delisting so far, in order.
    function retiredTokens() external view returns (RevenueToken[] memory);
    /// @notice What the splitter settles when it touches an account that has seen `retiredSeen`
    ///         delistings: every listed token, then every incarnation retired since; and the count.
    function settleList(uint256 retiredSeen) external view returns (RevenueToken[] memory tokens, uint256 retiredCount);
    /// @notice `count` delistings from the `from`-th (0-based), fewer at the end of the list.
    function retiredRange(uint256 from, uint256 count) external view returns (RevenueToken[] memory tokens);
    /// @notice The epoch `block.timestamp` falls in.
    function currentEpoch() external view returns (uint256);
    /// @notice When the current epoch began (the first second of it).
    function currentEpochStart() external view returns (uint256);
    /// @notice The epoch that time `time` fell in (by the clock of that time).
    function epochAt(uint256 time) external view returns (uint256);
    /// @notice When epoch `epoch` began (or begins), by the clock in force for it.
    function epochStart(uint256 epoch) external view returns (uint256);
    /// @notice What a receipt keeps from the members' split, in basis points: the treasury's and the reviewers'.
    function receiptShares() external view returns (uint256 reserveBps, uint256 reviewerBps, uint256 hostingBps);
    /// @notice How many times points have halved since deployment (monotonic).
    function currentHalvings() external view returns (uint256);
    /// @notice What a review needs from the charter, in one call: the current epoch, the smallest
    ///         standing that may review and the review budget in basis points of standing.
    function reviewRules() external view returns (uint256 epoch, uint256 minReviewerStanding, uint256 reviewBudgetBps);
    /// @notice How many times points had halved at time `time` (0 before deployment).
    function halvingsAt(uint256 time) external view returns (uint256);
    /// @notice `currentHalvings()` and `halvingsAt(time)` in one call (an award needs both).
    function halvingsNowAndAt(uint256 time) external view returns (uint256 current, uint256 then);
    /// @notice The clock in force now.
    function currentClock() external view returns (Clock memory);
    /// @notice Every clock the charter has had, oldest first (one entry per change of epoch length or half-life).
    function clockHistory() external view returns (Clock[] memory);

    /// @notice Changes one parameter, within its bounds. Governance only.
    function setParameter(Parameter parameter, uint256 value) external;
    /// @notice Replaces the charter document CID. Governance only.
    function setDocument(bytes calldata cid) external;
    /// @notice Allows or disallows a revenue token. Governance only.
    function setRevenueToken(address token, bool allowed) external;
    /// @notice Hands governance to a new address. Governance only.
    function transferGovernance(address newGovernance) external;
}
