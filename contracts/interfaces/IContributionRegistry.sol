// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Contributions and peer reviews (the review attestations).
/// @notice A member registers an artifact in two steps that nobody can steal: first a commitment to
///         `keccak256(abi.encode(author, contentHash, salt))`, then the reveal of its CID and content
///         hash (the sha256 of its bytes), with a claimed effort in minutes. Artifacts are unique by
///         content; the earliest commitment wins. Members rate it 0-5 stars inside the review
///         window; each review weighs the reviewer's standing (points) when the work was submitted.
///         After the window anyone finalizes it: with enough reviewers and enough of the community's
///         standing, the author earns `effort * median / 3` points (18 decimals), where the median
///         is standing-weighted, computed here from the reviews themselves.
interface IContributionRegistry {
    /// @notice Where a contribution stands. A superseded one lost its artifact to an earlier commitment.
    enum Status {
        None,
        Pending,
        Accepted,
        Rejected,
        Superseded
    }

    /// @notice A contribution as stored.
    /// @param snapshot the second whose standing counts: reviews weigh the reviewers' points then
    /// @param quorumWeight the reviewing standing needed: `quorumBps` of all standing at `snapshot`, rounded up
    struct Contribution {
        address author;
        uint32 effort;
        uint64 reviewDeadline;
        uint40 snapshot;
        uint40 epochSnapshot;
        uint16 minReviewers;
        uint8 status;
        uint128 quorumWeight;
        uint16 sealedReviews;
    }

    /// @notice A reviewer's epoch (the epoch their ratings were revealed in).
    /// @param spent star-minutes of their approval budget spent
    /// @param revealed ratings revealed; @param settled of them scored (`scoreReview`)
    /// @param last their last revealed rating plus one (0: none yet): the next review's "previous rating"
    /// @param forfeited a rating they sealed was never revealed: no review pay for the epoch
    /// @param total the sum of their reviews' scores
    struct Desk {
        uint64 spent;
        uint32 revealed;
        uint32 settled;
        uint8 last;
        bool forfeited;
        int112 total;
    }

    /// @notice Thrown when the acting account is not an active (joined, unsuspended) member.
    error RegistryNotActiveMember(address account);
    /// @notice Thrown when the effort is 0 or above the charter's `maxEffort`.
    error RegistryInvalidEffort(uint256 effort, uint256 maxEffort);
    /// @notice Thrown when a member's effort within one epoch would pass `maxEffortPerEpoch`.
    error RegistryEpochEffortExceeded(address author, uint256 epoch, uint256 total, uint256 cap);
    /// @notice Thrown when the CID is empty or longer than 128 bytes, or the content hash is zero.
    error RegistryInvalidCid(uint256 length);
    /// @notice Thrown when the content is held by contribution `id`: accepted, or pending under an
    ///         earlier commitment.
    error RegistryArtifactAlreadyClaimed(bytes32 contentHash, uint256 id);
    /// @notice Thrown when a raw CID states a digest that is not the content hash given with it.
    error RegistryContentHashMismatch(bytes32 contentHash, bytes32 digest);
    /// @notice Thrown when an author reveals content their own pending contribution `id` holds: a
    ///         second claim would discard the reviews of the first.
    error RegistrySelfSupersede(address author, uint256 id);
    /// @notice Thrown when a commitment is posted twice.
    error RegistryAlreadyCommitted(bytes32 commitment);
    /// @notice Thrown when a reveal names no posted commitment (wrong author, content hash or salt).
    error RegistryNotCommitted(bytes32 commitment);
    /// @notice Thrown when a reveal comes after its commitment's reveal window.
    error RegistryCommitExpired(bytes32 commitment, uint256 expiredAt);
    /// @notice Thrown when no contribution has this id.
    error RegistryUnknownContribution(uint256 id);
    /// @notice Thrown when stars are above 5.
    error RegistryInvalidStars(uint8 stars);
    /// @notice Thrown when the author reviews their own contribution.
    error RegistrySelfReview(address reviewer, uint256 id);
    /// @notice Thrown when a reviewer reviews the same contribution twice.
    error RegistryAlreadyReviewed(address reviewer, uint256 id);
    /// @notice Thrown when a reviewer's standing at the contribution's snapshot is zero or below
    ///         `minReviewerStanding`.
    error RegistryInsufficientStanding(address reviewer, uint256 standing, uint256 required);
    /// @notice Thrown when a rating would take a reviewer past their approval budget for the epoch
    ///         (amounts in star-minutes: effort times stars; the budget is `reviewBudgetBps` of the
    ///         standing the review weighs).
    error RegistryReviewBudgetExceeded(address reviewer, uint256 epoch, uint256 spent, uint256 budget);
    /// @notice Thrown when reviewing after the window closed.
    error RegistryReviewWindowClosed(uint256 id, uint256 deadline);
    /// @notice Thrown when a sealed rating is zero, or a reveal names a reviewer who sealed none.
    error RegistryNotSealed(uint256 id, address reviewer);
    /// @notice Thrown when a reveal's stars, comment or salt do not open the reviewer's sealed rating.
    error RegistryWrongOpening(uint256 id, address reviewer);
    /// @notice Thrown when revealing after `RATING_REVEAL_WINDOW` past the review deadline.
    error RegistryRevealWindowClosed(uint256 id, uint256 closedAt);
    /// @notice Thrown when finalizing while `count` sealed ratings may still be revealed (until `until`).
    error RegistryRevealsPending(uint256 id, uint256 count, uint256 until);
    /// @notice Thrown when finalizing (or revealing) before the window closed.
    error RegistryReviewWindowOpen(uint256 id, uint256 deadline);
    /// @notice Thrown when reviewing or finalizing a contribution that is no longer pending.
    error RegistryNotPending(uint256 id, Status status);
    /// @notice Thrown when sealing a rating of work whose panel `reviewer` was not drawn onto.
    error RegistryNotOnPanel(uint256 id, address reviewer);
    /// @notice Thrown when the panel of `id` cannot be drawn now: it is drawn from the hash of block
    ///         `drawBlock`, once that block is mined and for 256 blocks after it (then `drawPanel`
    ///         draws again from a later block).
    error RegistryPanelNotDrawn(uint256 id, uint256 drawBlock);
    /// @notice Thrown when drawing a panel that is already drawn.
    error RegistryPanelAlreadyDrawn(uint256 id);
    /// @notice Thrown when a rating to score was not revealed (or was scored already: see the word).
    error RegistryNotRevealed(uint256 id, address reviewer);
    /// @notice Thrown when a rating was scored already.
    error RegistryAlreadyScored(uint256 id, address reviewer);
    /// @notice Thrown when ratings of `id` may still be revealed until `until` (its median is not final;
    ///         an unrevealed seal cannot be forfeited yet).
    error RegistryRevealsOpen(uint256 id, uint256 until);
    /// @notice Thrown when the reviews of `epoch` can no longer be scored or forfeited: its pay is closed.
    error RegistryReviewPayClosed(uint256 epoch);
    /// @notice Thrown when review pay of `epoch` is claimed before it closes (`REVIEW_PAY_DELAY` after
    ///         the epoch's end).
    error RegistryReviewPayOpen(uint256 epoch);
    /// @notice Thrown when `reviewer` has no review pay of `epoch` in `token`: forfeited, a rating not
    ///         yet scored, a total of 0 or less, a share that rounds to 0, or claimed already.
    error RegistryNoReviewPay(address reviewer, uint256 epoch, address token);
    /// @notice Thrown when ETH reaches the registry from anyone but the splitter.
    error RegistryUnexpectedEth(address sender);
    /// @notice Thrown when review pay in ETH cannot be paid to `to` (a contract that refuses it).
    error RegistryEthTransferFailed(address to, uint256 amount);

    /// @notice Emitted when a commitment is posted; `seq` orders commitments (earliest wins).
    event Committed(bytes32 indexed commitment, uint256 seq);
    /// @notice Emitted when `author` reveals artifact `cid` (content `contentHash`) claiming `effort`
    ///         minutes in `epoch`, under the commitment numbered `commitSeq`.
    event Submitted(
        uint256 indexed id,
        address indexed author,
        bytes cid,
        bytes32 indexed contentHash,
        uint256 effort,
        uint256 epoch,
        uint256 reviewDeadline,
        uint256 commitSeq,
        uint256 quorumWeight
    );
    /// @notice Emitted when the panel of contribution `id` is drawn: `seed`, from the hash of block
    ///         `drawBlock`, decides who sits on it (see `onPanel`).
    event PanelDrawn(uint256 indexed id, uint256 seed, uint256 drawBlock);
    /// @notice Emitted when nobody drew the panel of `id` within 256 blocks of its block: it is drawn
    ///         from the hash of block `drawBlock` instead.
    event PanelRescheduled(uint256 indexed id, uint256 drawBlock);
    /// @notice Emitted when contribution `id` loses its artifact to contribution `by`, committed earlier.
    event Superseded(uint256 indexed id, uint256 indexed by);
    /// @notice Emitted when `reviewer` seals a rating of contribution `id` (nothing about it is public yet).
    ///         The seal itself is `sealedRating(id, reviewer)`.
    event ReviewSealed(uint256 indexed id, address indexed reviewer);
    /// @notice Emitted when `reviewer`'s sealed rating of contribution `id` is revealed: `stars`,
    ///         weighing `weight` in the tally (the reviewer's standing, or the panel's divisor if
    ///         that is more: see `panel`); `commentCid` may be empty.
    event Reviewed(uint256 indexed id, address indexed reviewer, uint8 stars, uint256 weight, bytes commentCid);
    /// @notice Emitted when a revealed rating is scored against its contribution's median, for review pay.
    event ReviewScored(uint256 indexed id, address indexed reviewer, uint256 indexed epoch, uint256 median, int256 score);
    /// @notice Emitted when a sealed rating was never revealed: `reviewer` earns no review pay in `epoch`.
    event ReviewForfeited(uint256 indexed id, address indexed reviewer, uint256 indexed epoch);
    /// @notice Emitted when the review pot of `epoch` in `token` is fixed (at its first claim).
    event ReviewPotFixed(uint256 indexed epoch, address indexed token, uint256 pot);
    /// @notice Emitted when `reviewer` is paid `amount` of `token` for reviewing in `epoch`.
    event ReviewPayClaimed(address indexed reviewer, uint256 indexed epoch, address indexed token, uint256 amount);
    /// @notice Emitted when contribution `id` is judged: accepted with `points` at the weighted
    ///         `median`, or rejected for lack of reviewers or reviewing standing.
    event Finalized(
        uint256 indexed id, bool accepted, uint256 reviewers, uint256 weight, uint256 median, uint256 points
    );

    /// @notice Posts a commitment `keccak256(abi.encode(author, contentHash, salt))`. Anyone may post
    ///         one; only its author can reveal it.
    function commit(bytes32 commitment) external;
    /// @notice Reveals the caller's committed artifact and submits it. The caller must be an active member.
    function submit(bytes calldata cid, bytes32 contentHash, uint32 effort, bytes32 salt)
        external
        returns (uint256 id);
    /// @notice Submits for `author`, who signed `Submit(address author,bytes cid,bytes32 contentHash,
    ///         uint32 effort,bytes32 salt,uint256 nonce,uint256 deadline)`.
    function submitBySig(
        address author,
        bytes calldata cid,
        bytes32 contentHash,
        uint32 effort,
        bytes32 salt,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256 id);
    /// @notice Seals a rating of contribution `id` while its window is open:
    ///         `keccak256(abi.encode(reviewer, id, stars, keccak256(commentCid), salt))`, 0-5 stars.
    ///         Nobody learns the rating until it is revealed, after the window closes.
    function sealReview(uint256 id, bytes32 sealed_) external;
    /// @notice Seals for `reviewer`, who signed
    ///         `SealedReview(address reviewer,uint256 contribution,bytes32 sealed,uint256 nonce,uint256 deadline)`.
    function sealReviewBySig(
        address reviewer,
        uint256 id,
        bytes32 sealed_,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;
    /// @notice Opens `reviewer`'s sealed rating of `id` after the window closed and within
    ///         `RATING_REVEAL_WINDOW`; anyone holding the opening may send it. It then counts.
    function revealReview(uint256 id, address reviewer, uint8 stars, bytes calldata commentCid, bytes32 salt)
        external;
    /// @notice Fixes the panel of `id` from the hash of its draw block (anyone may send it, once that
    ///         block is mined; a contribution's first seal does it too). Past 256 blocks, when that hash
    ///         is gone, it moves the draw to the current block instead (send it again after).
    function drawPanel(uint256 id) external;
    /// @notice Judges contribution `id` once its window has closed. Anyone may call it.
    function finalize(uint256 id) external returns (bool accepted, uint256 points);
    /// @notice Scores `reviewer`'s revealed rating s of `id` for review pay, once the median m of
    ///         `id` is final (finalized, or its reveal window over), before the rating's epoch
    ///         closes; anyone may send it. With b the reviewer's previous rating revealed in the
    ///         same epoch: `W[b] * |b - m| - W[s] * |s - m| - 125` (0 for their first of the epoch),
    ///         W the epoch's `distanceWeights`. Order does not matter: b was fixed at the reveal.
    function scoreReview(uint256 id, address reviewer) external returns (int256 score);
    /// @notice Records that `reviewer` sealed a rating of `id` and never revealed it: they earn no review
    ///         pay in the epoch the reveal window ended in. Anyone may send it, before that epoch closes.
    function forfeitUnrevealed(uint256 id, address reviewer) external;
    /// @notice Pays `reviewer` their review pay of a closed `epoch` in `token` (ETH: address 0):
    ///         `floor(pot * total / positive)`, where the pot, fixed at the epoch's first claim in
    ///         that token, is what receipts kept for reviewers and no earlier pot took. Anyone may
    ///         send it; it always pays `reviewer`.
    function claimReviewPay(address reviewer, uint256 epoch, address token) external returns (uint256 amount);

    /// @notice A stored contribution.
    function contribution(uint256 id) external view returns (Contribution memory);
    /// @notice How many contributions were submitted (ids run from 1).
    function contributionCount() external view returns (uint256);
    /// @notice A contribution's status.
    function status(uint256 id) external view returns (Status);
    /// @notice The standing-weighted histogram: `weights[s]` is the standing that gave `s` stars.
    function tally(uint256 id) external view returns (uint256[6] memory weights);
    /// @notice How many members reviewed contribution `id`.
    function reviewCount(uint256 id) external view returns (uint256);
    /// @notice Whether `reviewer` sealed a rating of contribution `id` (opened or not).
    function hasReviewed(uint256 id, address reviewer) external view returns (bool);
    /// @notice The panel of `id`: the block whose hash draws it, the seed (0 until drawn) and the
    ///         divisor D. A member of review weight w sits on it when w >= D, or when
    ///         `uint256(keccak256(abi.encode(seed, id, member))) % D < w`: with probability about
    ///         `panelSize * w / (all standing)`. Their rating weighs max(w, D) in the tally, so that
    ///         each member's expected weight is their standing. D is 1 (everyone with standing sits)
    ///         while the community has at most `panelSize + 1` members.
    function panel(uint256 id) external view returns (uint256 drawBlock, uint256 seed, uint256 divisor);
    /// @notice Whether `member`, weighing `weight`, sits on the drawn panel of `id`.
    function onPanel(uint256 id, address member, uint256 weight) external view returns (bool);
    /// @notice The contribution that last claimed this content (0 if none); it holds the content
    ///         while pending or accepted.
    function contributionOf(bytes32 contentHash) external view returns (uint256);
    /// @notice The contribution that last claimed this CID (a CIDv0 and its CIDv1 dag-pb form are one
    ///         CID), whatever content hash came with it; 0 if none.
    function contributionOfCid(bytes calldata cid) external view returns (uint256);
    /// @notice When a commitment was posted and its sequence number (0, 0 if not posted or revealed).
    function commitment(bytes32 commitment_) external view returns (uint256 time, uint256 seq);
    /// @notice Effort `author` submitted within `epoch`.
    function epochEffort(address author, uint256 epoch) external view returns (uint256);
    /// @notice The stored word of `reviewer`'s rating of `id`: 0 if none; while sealed, the seal's
    ///         top 144 bits above its weight (112 bits); once revealed, a record with the top 144 bits
    ///         0 (bit 111 set; the stars in bits 0-2, the reviewer's previous rating of the epoch plus
    ///         one in bits 3-5, bit 6 once scored, the epoch from bit 8); `1 << 110` once forfeited.
    function sealedRating(uint256 id, address reviewer) external view returns (bytes32);
    /// @notice Seconds after a review deadline within which sealed ratings may be revealed.
    function RATING_REVEAL_WINDOW() external view returns (uint256);
    /// @notice Star-minutes (effort times stars) `reviewer` has rated within `epoch`.
    function budgetSpent(address reviewer, uint256 epoch) external view returns (uint256);
    /// @notice `reviewer`'s reviewing in `epoch` (the epochs their ratings were revealed in).
    function desk(address reviewer, uint256 epoch) external view returns (Desk memory);
    /// @notice Review pay of `epoch`: the sum of the reviewers' positive totals, the medians of the
    ///         reviews scored in it (a histogram), and whether it is closed (scoring over, pay claimable).
    function reviewPayEpoch(uint256 epoch)
        external
        view
        returns (uint256 positive, uint256[6] memory medians, bool closed);
    /// @notice The distance weights W[0..5] that score the reviews of `epoch` (see `scoreReview`).
    function distanceWeights(uint256 epoch) external view returns (uint256[6] memory w);
    /// @notice The review pot of `epoch` in `token`, once fixed by its first claim (else 0, false).
    function reviewPot(uint256 epoch, address token) external view returns (uint256 pot, bool fixed_);
    /// @notice Whether `reviewer` has claimed their review pay of `epoch` in `token`.
    function reviewPayClaimed(uint256 epoch, address reviewer, address token) external view returns (bool);
    /// @notice Seconds after an epoch's end until its reviews can no longer be scored or forfeited;
    ///         then its pay is claimable.
    function REVIEW_PAY_DELAY() external view returns (uint256);
    /// @notice Seconds after a commitment within which it must be revealed.
    function REVEAL_WINDOW() external view returns (uint256);
    /// @notice keccak256("Submit(address author,bytes cid,bytes32 contentHash,uint32 effort,bytes32 salt,uint256 nonce,uint256 deadline)")
    function SUBMIT_TYPEHASH() external view returns (bytes32);
    /// @notice keccak256("SealedReview(address reviewer,uint256 contribution,bytes32 sealed,uint256 nonce,uint256 deadline)")
    function SEALED_REVIEW_TYPEHASH() external view returns (bytes32);
}
