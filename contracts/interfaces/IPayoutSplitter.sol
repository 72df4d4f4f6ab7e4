// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC5805} from "@openzeppelin/contracts/interfaces/IERC5805.sol";

/// @title The payout splitter: revenue in, pay out by points, in O(1) whatever the membership.
/// @notice A dividend accumulator per token over decaying points. `address(0)` stands for ETH.
///         Points earned now are credited as `points << offset`, where `offset` counts halvings
///         within the current era. An account stays in the *group* of the era it was last touched
///         in; each group has its own total and its own accumulator, and a receipt is shared among
///         the groups by their exact weight now. So the total that revenue is divided by is exactly
///         the sum of what members can claim, after any number of eras (no point that belongs to
///         nobody ever takes a share).
///
///         It is also the votes of the DAO's governor (IERC5805, timestamp clock): a member's votes are
///         their points, decay included, and whatever points others delegated to them. Points cannot
///         be transferred; undelegated points vote for their holder without any action.
interface IPayoutSplitter is IERC5805 {
    /// @notice Thrown when a caller other than the contribution registry awards points.
    error SplitterOnlyRegistry(address caller);
    /// @notice Thrown when someone other than the grid asks for the hosts' share.
    error SplitterOnlyGrid(address caller);
    /// @notice Thrown when a caller other than governance slashes, spends or rescues.
    error SplitterUnauthorized(address caller);
    /// @notice Thrown when a token is not an allowed revenue token.
    error SplitterTokenNotAllowed(address token);
    /// @notice Thrown when a payment or slash amount is zero or out of range.
    error SplitterInvalidAmount(uint256 amount);
    /// @notice Thrown when governance spends more than the treasury holds.
    error SplitterInsufficientTreasury(address token, uint256 requested, uint256 available);
    /// @notice Thrown when governance rescues more of a token than the splitter does not account for.
    error SplitterInsufficientUntracked(address token, uint256 requested, uint256 available);
    /// @notice Thrown when sending ETH fails.
    error SplitterEthTransferFailed(address to, uint256 amount);
    /// @notice Thrown when the founders and their points differ in length.
    error SplitterGenesisMismatch(uint256 founders, uint256 points);
    /// @notice Thrown when pay is directed to the zero address.
    error SplitterInvalidRecipient(address to);
    /// @notice Thrown when asking for points at a time that is not yet past.
    error SplitterFutureLookup(uint256 time, uint256 now_);
    /// @notice Thrown when asking for votes at a timepoint that is not yet past (as OpenZeppelin's Votes).
    error ERC5805FutureLookup(uint256 timepoint, uint48 clock);
    /// @notice Thrown when delegating to an address that is not an active member.
    error SplitterInvalidDelegate(address delegatee);
    /// @notice Thrown when someone other than the membership reports a suspension.
    error SplitterOnlyMembership(address caller);
    /// @notice Thrown when a suspended member delegates: their points vote for nobody until reinstated.
    error SplitterSuspendedHolder(address holder);

    /// @notice Emitted when `member` is awarded `points` (18 decimals); `contribution` is 0 for genesis.
    event PointsAwarded(address indexed member, uint256 indexed contribution, uint256 points);
    /// @notice Emitted when governance cuts `bps` of `member`'s points (future pay only).
    event Slashed(address indexed member, uint256 bps, uint256 pointsCut);
    /// @notice Emitted for every receipt: `reserve` went to the treasury, the charter's `reviewerBps`
    ///         of it (rounded down) is kept for reviewers until the registry releases it, the rest to point holders (or to
    ///         `undistributed` while nobody holds points).
    event RevenueReceived(address indexed token, address indexed from, uint256 amount, uint256 reserve);
    /// @notice Emitted when `member` is paid `amount` of `token` (from the books of its `incarnation`) at
    ///         `to`; `caller` sent the claim. A claim of ETH paid to the member's own address emits the
    ///         shorter `EthClaimed` instead.
    event Claimed(
        address indexed member, address indexed token, uint256 amount, uint256 incarnation, address to, address caller
    );
    /// @notice Emitted when `member` is paid `amount` of ETH at their own address: the common claim,
    ///         in the fewest bytes. It says what `Claimed(member, 0, amount, 0, member, caller)` would,
    ///         but for the caller (whoever sent the claim: the member, anyone, or a relay).
    event EthClaimed(address indexed member, uint256 amount);
    /// @notice Emitted when ETH arrives plainly; it is accounted (as `RevenueReceived`) by the next
    ///         sync, pay, claim of ETH, award or slash.
    event EthAccepted(address indexed from, uint256 amount);
    /// @notice Emitted when governance spends from the treasury.
    event TreasurySpent(address indexed token, address indexed to, uint256 amount);
    /// @notice Emitted when governance moves out a token the splitter does not account for.
    event Rescued(address indexed token, address indexed to, uint256 amount);
    /// @notice Emitted when delistings `member`'s books had not seen were settled without an award.
    event RetiredSettled(address indexed member, uint256 retiredSeen);

    /// @notice Pays `amount` of an allowed ERC-20 (pulled with transferFrom; the balance delta counts),
    ///         or of ETH (`token` 0, sent along as `msg.value`), accounted at once.
    function pay(address token, uint256 amount) external payable;
    /// @notice Accounts tokens (or ETH) that arrived without `pay`/`receive`, as revenue.
    function sync(address token) external returns (uint256 amount);
    /// @notice Pays `member` everything they can claim in `token`. Anyone may call it; the pay always
    ///         goes to `member`.
    function claim(address member, address token) external returns (uint256 amount);
    /// @notice Pays the caller everything they can claim in ETH, at their own address: `claim(msg.sender,
    ///         0)` in the fewest bytes of calldata.
    function claimEth() external returns (uint256 amount);
    /// @notice Pays `member` what they earned in an earlier incarnation of `token` (one listed before a
    ///         delisting). `claim` pays the latest.
    function claimIncarnation(address member, address token, uint256 incarnation) external returns (uint256 amount);
    /// @notice Pays the caller's claim in `token` to `to` (a wallet that cannot receive is not stuck).
    function claimTo(address token, address to) external returns (uint256 amount);
    /// @notice Pays `member`'s claim in `token` to `to`; `member` signed
    ///         `ClaimTo(address member,address token,address to,uint256 nonce,uint256 deadline)`.
    function claimToBySig(
        address member,
        address token,
        address to,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256 amount);
    /// @notice Pays the caller's claim in an earlier incarnation of `token` to `to`.
    function claimIncarnationTo(address token, uint256 incarnation, address to) external returns (uint256 amount);
    /// @notice Pays `member`'s claim in an incarnation of `token` to `to`; `member` signed
    ///         `ClaimIncarnationTo(address member,address token,uint256 incarnation,address to,uint256 nonce,uint256 deadline)`.
    function claimIncarnationToBySig(
        address member,
        address token,
        uint256 incarnation,
        address to,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256 amount);
    /// @notice Settles up to `max` of the delistings `member`'s books have not seen (anyone may call
    ///         it): an account untouched through many delistings is caught up in pieces, so that its
    ///         next award or slash stays within a block. Returns how many were settled.
    function settleRetired(address member, uint256 max) external returns (uint256 settled);
    /// @notice The membership reports that `holder` was suspended or reinstated: a suspended
    ///         member's points vote for nobody (not for them, not for their delegate). Membership only.
    function suspensionChanged(address holder, bool suspended) external;
    /// @notice Awards `points` as of time `asOf` (the contribution's review deadline): they are
    ///         credited decayed by the halvings since then, so nothing is gained by finalizing late
    ///         or by choosing the second. Only the contribution registry.
    function award(address member, uint256 contributionId, uint256 points, uint256 asOf) external;
    /// @notice Sends the registry every unit of `token` that receipts have kept for reviewers since
    ///         the last release (the charter's `reviewerBps` of each, rounded down); returns how much.
    ///         The registry pays review pay out of it. Only the contribution registry.
    function releaseReviewerPay(address token) external returns (uint256 amount);
    /// @notice Sends the grid the hosts' share of `token` kept since the last release (grid only).
    function releaseHostingPay(address token) external returns (uint256 amount);
    /// @notice What is kept and not yet released of `token`: for the reviewers and for the hosts.
    function kept(address token) external view returns (uint256 reviewers, uint256 hosts);
    /// @notice Cuts `bps` basis points of `member`'s points. Governance only.
    function slash(address member, uint256 bps) external;
    /// @notice Spends from the treasury. Governance only.
    function spend(address token, address to, uint256 amount) external;
    /// @notice Moves out `amount` of a token that is not a revenue token, up to what the splitter
    ///         does not account for. Governance only.
    function rescue(address token, address to, uint256 amount) external;

    /// @notice `member`'s points now (decayed), 18 decimals: those awarded for reviewed work, which
    ///         share the revenue. A founder's genesis standing is not among them: it is their
    ///         `standing` less these.
    function pointsOf(address member) external view returns (uint256);
    /// @notice All points now (decayed), 18 decimals; at least the sum of every member's `pointsOf`.
    ///         Revenue is shared by these; while they are 0 it waits as `undistributed`.
    function totalPoints() external view returns (uint256);
    /// @notice `member`'s standing at the end of second `time` (which must be past): their points
    ///         plus their genesis standing, what a review and a vote weigh.
    function pointsAt(address member, uint256 time) external view returns (uint256);
    /// @notice All standing (points plus genesis) at the end of second `time` (which must be past), to
    ///         within one unit per era group: the base of quorums.
    function totalPointsAt(uint256 time) external view returns (uint256);
    /// @notice What a review by `member` weighs: the lesser of their points at `epochSnapshot` (the
    ///         second before the contribution's epoch began) and at `snapshot` (the second before it
    ///         was submitted), `epochSnapshot <= snapshot`.
    function reviewStanding(address member, uint256 epochSnapshot, uint256 snapshot) external view returns (uint256);
    /// @notice `member`'s standing (points plus genesis) at the end of second `time` and now, in one call.
    function standing(address member, uint256 time) external view returns (uint256 then, uint256 current);
    /// @notice What `member` can claim in `token` now (its latest incarnation).
    function claimable(address member, address token) external view returns (uint256);
    /// @notice What `member` can claim from an incarnation of `token`.
    function claimableIncarnation(address member, address token, uint256 incarnation) external view returns (uint256);
    /// @notice The treasury's share of `token`.
    function treasury(address token) external view returns (uint256);
    /// @notice Revenue of `token` received while nobody held points, waiting for the first holders.
    function undistributed(address token) external view returns (uint256);
    /// @notice The amount of `token` this contract has accounted for (its obligations plus dust).
    function tracked(address token) external view returns (uint256);
    /// @notice The era of the current halving count.
    function era() external view returns (uint256);
    /// @notice Halvings per era.
    function ERA_HALVINGS() external view returns (uint256);
    /// @notice Fixed-point scale of the accumulator.
    function ACC_PRECISION() external view returns (uint256);
    /// @notice keccak256("ClaimTo(address member,address token,address to,uint256 nonce,uint256 deadline)")
    function CLAIM_TO_TYPEHASH() external view returns (bytes32);
    /// @notice keccak256("Delegation(address delegatee,uint256 nonce,uint256 expiry)")
    function DELEGATION_TYPEHASH() external view returns (bytes32);
}
