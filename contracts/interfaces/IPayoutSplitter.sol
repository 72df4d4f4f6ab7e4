// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title The payout splitter: revenue in, pay out by points, in O(1) whatever the membership.
/// @notice A dividend accumulator per token over decaying points. `address(0)` stands for ETH.
///         Points earned now are credited as `points << offset`, where `offset` counts halvings
///         within the current era; every `ERA_HALVINGS` halvings all credited points shift right
///         together (lazily), which keeps the numbers exact and bounded for ever.
interface IPayoutSplitter {
    /// @notice Thrown when a caller other than the contribution registry awards points.
    error SplitterOnlyRegistry(address caller);
    /// @notice Thrown when a caller other than governance slashes or spends.
    error SplitterUnauthorized(address caller);
    /// @notice Thrown when a token is not an allowed revenue token.
    error SplitterTokenNotAllowed(address token);
    /// @notice Thrown when a payment or slash amount is zero or out of range.
    error SplitterInvalidAmount(uint256 amount);
    /// @notice Thrown when governance spends more than the treasury holds.
    error SplitterInsufficientTreasury(address token, uint256 requested, uint256 available);
    /// @notice Thrown when sending ETH fails.
    error SplitterEthTransferFailed(address to, uint256 amount);
    /// @notice Thrown when the founders and their points differ in length.
    error SplitterGenesisMismatch(uint256 founders, uint256 points);

    /// @notice Emitted when `member` is awarded `points` (18 decimals); `contribution` is 0 for genesis.
    event PointsAwarded(address indexed member, uint256 indexed contribution, uint256 points);
    /// @notice Emitted when governance cuts `bps` of `member`'s points (future pay only).
    event Slashed(address indexed member, uint256 bps, uint256 pointsCut);
    /// @notice Emitted for every receipt: `reserve` went to the treasury, the rest to point holders
    ///         (or to `undistributed` while nobody holds points).
    event RevenueReceived(address indexed token, address indexed from, uint256 amount, uint256 reserve);
    /// @notice Emitted when `member` is paid `amount` of `token`; `caller` sent the claim.
    event Claimed(address indexed member, address indexed token, uint256 amount, address caller);
    /// @notice Emitted when governance spends from the treasury.
    event TreasurySpent(address indexed token, address indexed to, uint256 amount);
    /// @notice Emitted when all points shift right by `ERA_HALVINGS` bits per era passed.
    event EraAdvanced(uint256 fromEra, uint256 toEra);

    /// @notice Pays `amount` of an allowed ERC-20 (pulled with transferFrom; the balance delta counts).
    function pay(address token, uint256 amount) external;
    /// @notice Accounts tokens (or ETH) that arrived without `pay`/`receive`, as revenue.
    function sync(address token) external returns (uint256 amount);
    /// @notice Pays `member` everything they can claim in `token`. Anyone may call it.
    function claim(address member, address token) external returns (uint256 amount);
    /// @notice Awards points. Only the contribution registry.
    function award(address member, uint256 contributionId, uint256 points) external;
    /// @notice Cuts `bps` basis points of `member`'s points. Governance only.
    function slash(address member, uint256 bps) external;
    /// @notice Spends from the treasury. Governance only.
    function spend(address token, address to, uint256 amount) external;

    /// @notice `member`'s points now (decayed), 18 decimals.
    function pointsOf(address member) external view returns (uint256);
    /// @notice All points now (decayed), 18 decimals; at least the sum of every member's `pointsOf`.
    function totalPoints() external view returns (uint256);
    /// @notice What `member` can claim in `token` now.
    function claimable(address member, address token) external view returns (uint256);
    /// @notice The treasury's share of `token`.
    function treasury(address token) external view returns (uint256);
    /// @notice Revenue of `token` received while nobody held points, waiting for the first holders.
    function undistributed(address token) external view returns (uint256);
    /// @notice The amount of `token` this contract has accounted for (its obligations plus dust).
    function tracked(address token) external view returns (uint256);
    /// @notice The current era.
    function era() external view returns (uint256);
    /// @notice Halvings per era.
    function ERA_HALVINGS() external view returns (uint256);
    /// @notice Fixed-point scale of the accumulator.
    function ACC_PRECISION() external view returns (uint256);
}
