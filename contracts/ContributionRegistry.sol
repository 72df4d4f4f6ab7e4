// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICharter} from "./interfaces/ICharter.sol";
import {IContributionRegistry} from "./interfaces/IContributionRegistry.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {IPayoutSplitter} from "./interfaces/IPayoutSplitter.sol";
import {Tally} from "./libraries/Tally.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SignedActions} from "./SignedActions.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title Contributions, peer reviews and the points they earn.
/// @dev Every operation touches a fixed number of storage words: the weighted tally is three packed
///      words, a reviewer's "already reviewed" flags are bits in a per-reviewer bitmap, their
///      approval budget one word per epoch.
///
///      Who can mint points, and how much: a review weighs the reviewer's standing at the
///      contribution's snapshot (the second before it was submitted), so a fresh address has no
///      voice and standing earned later does not count. Every rating above 0 spends `effort * stars`
///      star-minutes of the reviewer's budget for the epoch, `reviewBudgetBps` of that standing
///      (one point buys three star-minutes). An accepted contribution earns
///      `effort * median / 3` points, and at least one reviewer rated it at or above the median, so
///      the points accepted through the reviews of any set of members in one epoch are at most
///      `reviewBudgetBps / 10000` times their standing: splitting that standing over fresh addresses
///      adds nothing.
///
///      Review pay: the splitter keeps the charter's `reviewerBps` of every receipt for reviewers and
///      releases it here. Each revealed rating is scored once its contribution's median is final
///      (`scoreReview`), the scores are summed per reviewer and epoch, and a closed epoch's pot is
///      paid pro rata to the positive totals (`claimReviewPay`). Review pay is money: no points, no
///      standing, no vote.
contract ContributionRegistry is SignedActions, IContributionRegistry, ReentrancyGuardTransient {
    using Tally for uint256[3];
    using Tally for uint256[6];
    using SafeERC20 for IERC20;

    // keccak256("Submit(address author,bytes cid,bytes32 contentHash,uint32 effort,bytes32 salt,uint256 nonce,uint256 deadline)")
    bytes32 public constant SUBMIT_TYPEHASH = keccak256(
        "Submit(address author,bytes cid,bytes32 contentHash,uint32 effort,bytes32 salt,uint256 nonce,uint256 deadline)"
    );
    // keccak256("SealedReview(address reviewer,uint256 contribution,bytes32 sealed,uint256 nonce,uint256 deadline)")
    bytes32 public constant SEALED_REVIEW_TYPEHASH = keccak256(
        "SealedReview(address reviewer,uint256 contribution,bytes32 sealed,uint256 nonce,uint256 deadline)"
    );
    /// @inheritdoc IContributionRegistry
    /// @dev Long enough for a member who is away for a weekend to open the page or the CLI once.
    uint256 public constant RATING_REVEAL_WINDOW = 3 days;
    /// @inheritdoc IContributionRegistry
    /// @dev Not longer than the shortest review window, so that a contribution superseded by an
    ///      earlier commitment is always still pending when the earlier commitment is revealed.
    uint256 public constant REVEAL_WINDOW = 1 days;
    /// @inheritdoc IContributionRegistry
    /// @dev A rating revealed in an epoch has its median final at most `RATING_REVEAL_WINDOW` after
    ///      the epoch ends; the rest is time for anyone (the relay's keeper, the CLI) to score it.
    uint256 public constant REVIEW_PAY_DELAY = 7 days;
    uint256 private constant _MAX_CID_LENGTH = 128;
    uint256 private constant _BPS = 10_000;
    uint256 private constant _POINT = 1e18;
    uint256 private constant _WEIGHT_BITS = 112;
    uint256 private constant _WEIGHT_MASK = (uint256(1) << _WEIGHT_BITS) - 1;
    /// @dev the stored word of a revealed rating (top 144 bits 0): see `sealedRating`
    uint256 private constant _REVEALED = 1 << 111;
    uint256 private constant _FORFEITED = 1 << 110;
    uint256 private constant _SCORED = 1 << 6;
    /// @dev a distance of one typical distance scores this much; each scored review pays a fee of
    ///      an eighth of it, so that a constant rating totals below 0
    int256 private constant _SCALE = 1000;
    int256 private constant _FEE = 125;
    uint256 private constant _COUNTER_BITS = 40;
    uint256 private constant _LOW64 = (uint256(1) << 64) - 1;
    uint256 private constant _COUNTER_MASK = (uint256(1) << _COUNTER_BITS) - 1;
    address private constant _ETH = address(0);

    /// @dev When a commitment was posted and its place in the order of all commitments.
    struct Commit {
        uint64 time;
        uint64 seq;
    }

    /// @dev The contribution that last claimed a content hash, and the sequence of its commitment.
    struct Artifact {
        uint64 id;
        uint64 seq;
    }

    /// @dev A contribution's panel: drawn from the hash of block `drawBlock` (the block of the
    ///      submission, unknown to the author when they sent it), `seed` 0 until drawn.
    struct Panel {
        uint48 drawBlock;
        uint64 seed;
    }

    /// @dev A contribution as stored, in two words: what `contribution` returns, but for the quorum
    ///      weight, derived (with the panel's divisor) from the standing `total` it is a share of, so
    ///      that a reveal finds both in the words it reads anyway.
    struct Record {
        address author;
        uint32 effort;
        uint48 reviewDeadline;
        uint16 quorumBps;
        uint40 snapshot;
        uint40 epochSnapshot;
        uint16 minReviewers;
        uint8 status;
        uint8 panelSize; // 0: everyone with standing sits (divisor 1)
        uint128 total;
        uint16 sealedReviews;
    }

    ICharter private immutable _charter;
    IMembership private immutable _membership;
    IPayoutSplitter private immutable _splitter;

    mapping(uint256 id => Record record) private _contributions;
    /// @dev weighted histogram, see {Tally}
    mapping(uint256 id => uint256[3] words) private _tallies;
    mapping(bytes32 commitment => Commit commit) private _commits;
    mapping(bytes32 contentHash => Artifact artifact) private _artifacts;
    mapping(uint256 id => Panel panel) private _panels;
    mapping(address author => mapping(uint256 epoch => uint256 minutes_)) private _epochEffort;
    /// @dev a `Desk` packed by hand in one word (the reveal reads and writes it once): spent in bits
    ///      0-63, revealed 64-95, settled 96-127, last 128-135, forfeited 136, total (int112) 144-255
    mapping(address reviewer => mapping(uint256 epoch => uint256 word)) private _desks;
    /// @dev per epoch: how many scored reviews had each median 0-5 (six 40-bit counters)
    mapping(uint256 epoch => uint256 counters) private _medians;
    /// @dev per epoch: the sum of the positive totals of the reviewers who did not forfeit
    mapping(uint256 epoch => uint256 positive) private _positive;
    /// @dev per epoch and token: the pot plus one, once fixed (0: not yet)
    mapping(uint256 epoch => mapping(address token => uint256 potPlusOne)) private _pots;
    mapping(uint256 epoch => mapping(address reviewer => mapping(address token => bool))) private _claimed;
    /// @dev a sealed rating, one word: the top 144 bits of
    ///      keccak256(abi.encode(reviewer, id, stars, keccak256(commentCid), salt)), and in the low 112
    ///      bits the review's weight, fixed when it was sealed (a reveal needs no second look at the
    ///      reviewer's standing). Opening it with other stars needs a 144-bit collision (2^72 hashes).
    mapping(uint256 id => mapping(address reviewer => uint256 word)) private _sealed;
    uint256 private _count;
    uint64 private _commitCount;

    constructor(ICharter charter_, IMembership membership_, IPayoutSplitter splitter_)
        SignedActions("Starfish Contributions", "1")
    {
        _charter = charter_;
        _membership = membership_;
        _splitter = splitter_;
    }

    /// @notice ETH arrives only as review pay released by the splitter.
    receive() external payable {
        if (msg.sender != address(_splitter)) revert RegistryUnexpectedEth(msg.sender);
    }

    // ----------------------------------------------------------------- actions

    /// @inheritdoc IContributionRegistry
    function commit(bytes32 commitment_) external {
        if (_commits[commitment_].seq != 0) revert RegistryAlreadyCommitted(commitment_);
        uint64 seq = ++_commitCount;
        _commits[commitment_] = Commit(uint64(block.timestamp), seq);
        emit Committed(commitment_, seq);
    }

    /// @inheritdoc IContributionRegistry
    function submit(bytes calldata cid, bytes32 contentHash, uint32 effort, bytes32 salt) external returns (uint256) {
        return _submit(msg.sender, cid, contentHash, effort, salt);
    }

    /// @inheritdoc IContributionRegistry
    function submitBySig(
        address author,
        bytes calldata cid,
        bytes32 contentHash,
        uint32 effort,
        bytes32 salt,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256) {
        bytes32 structHash =
            keccak256(abi.encode(SUBMIT_TYPEHASH, author, keccak256(cid), contentHash, effort, salt, nonce, deadline));
        _verifySigned(author, structHash, nonce, deadline, signature);
        return _submit(author, cid, contentHash, effort, salt);
    }

    /// @inheritdoc IContributionRegistry
    function sealReview(uint256 id, bytes32 sealed_) external {
        _seal(msg.sender, id, sealed_);
    }

    /// @inheritdoc IContributionRegistry
    function sealReviewBySig(
        address reviewer,
        uint256 id,
        bytes32 sealed_,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes32 structHash = keccak256(abi.encode(SEALED_REVIEW_TYPEHASH, reviewer, id, sealed_, nonce, deadline));
        _verifySigned(reviewer, structHash, nonce, deadline, signature);
        _seal(reviewer, id, sealed_);
    }

    /// @inheritdoc IContributionRegistry
    function revealReview(uint256 id, address reviewer, uint8 stars, bytes calldata commentCid, bytes32 salt)
        external
    {
        _reveal(reviewer, id, stars, commentCid, salt);
    }

    /// @inheritdoc IContributionRegistry
    function drawPanel(uint256 id) external {
        Record storage c = _contributions[id];
        if (c.author == address(0)) revert RegistryUnknownContribution(id);
        if (c.status != uint8(Status.Pending)) revert RegistryNotPending(id, Status(c.status));
        Panel memory pn = _panels[id];
        if (pn.seed != 0) revert RegistryPanelAlreadyDrawn(id);
        if (block.number > uint256(pn.drawBlock) + 256) {
            // its block's hash is gone (nobody drew it in time): draw from this block's hash instead
            _panels[id].drawBlock = uint48(block.number);
            emit PanelRescheduled(id, block.number);
            return;
        }
        _drawSeed(id, pn);
    }

    /// @inheritdoc IContributionRegistry
    function finalize(uint256 id) external returns (bool accepted, uint256 points) {
        Record storage c = _contributions[id];
        if (c.author == address(0)) revert RegistryUnknownContribution(id);
        if (c.status != uint8(Status.Pending)) revert RegistryNotPending(id, Status(c.status));
        if (block.timestamp <= c.reviewDeadline) revert RegistryReviewWindowOpen(id, c.reviewDeadline);
        (uint256[6] memory weights, uint256 reviewers) = _tallies[id].buckets();
        // every sealed rating revealed, or the reveal window over (an unrevealed one counts as none)
        if (reviewers < c.sealedReviews && block.timestamp <= c.reviewDeadline + RATING_REVEAL_WINDOW) {
            revert RegistryRevealsPending(id, c.sealedReviews - reviewers, c.reviewDeadline + RATING_REVEAL_WINDOW);
        }
        uint256 weight = weights.total();
        accepted = weight != 0 && reviewers >= c.minReviewers && weight >= _quorum(c);
        uint256 median = 0; // a rejected contribution reports median 0
        if (accepted) {
            median = weights.median(weight);
            points = Tally.points(c.effort, median);
        }
        c.status = uint8(accepted ? Status.Accepted : Status.Rejected);
        emit Finalized(id, accepted, reviewers, weight, median, points);
        // credited as of the review deadline: waiting to finalize, or picking the second, gains nothing
        if (points != 0) _splitter.award(c.author, id, points, c.reviewDeadline);
    }

    /// @inheritdoc IContributionRegistry
    function scoreReview(uint256 id, address reviewer) external returns (int256 score) {
        uint256 word = _sealed[id][reviewer];
        if (word >> _WEIGHT_BITS != 0 || word & _REVEALED == 0) revert RegistryNotRevealed(id, reviewer);
        if (word & _SCORED != 0) revert RegistryAlreadyScored(id, reviewer);
        Record storage c = _contributions[id];
        uint256 until = c.reviewDeadline + RATING_REVEAL_WINDOW;
        // the median is final once the contribution is finalized or no rating can be revealed any more
        if (c.status == uint8(Status.Pending) && block.timestamp <= until) revert RegistryRevealsOpen(id, until);
        uint256 epoch = uint64(word >> 8);
        if (_closed(epoch)) revert RegistryReviewPayClosed(epoch);
        (uint256[6] memory weights,) = _tallies[id].buckets();
        uint256 median = weights.median(weights.total());
        uint256 stars = word & 7;
        uint256 last = (word >> 3) & 7;
        if (last != 0) {
            uint256[6] memory w = distanceWeights(epoch);
            // the first review of an epoch only sets the "previous rating": it scores 0
            score = int256(w[last - 1] * _distance(last - 1, median)) - int256(w[stars] * _distance(stars, median)) - _FEE;
        }
        _sealed[id][reviewer] = word | _SCORED;
        _medians[epoch] += uint256(1) << (_COUNTER_BITS * median);
        Desk memory d = _desk(reviewer, epoch);
        int256 total = int256(d.total) + score;
        if (!d.forfeited) _positive[epoch] = _positive[epoch] + _positivePart(total) - _positivePart(d.total);
        d.total = int112(total);
        d.settled += 1;
        _storeDesk(reviewer, epoch, d);
        emit ReviewScored(id, reviewer, epoch, median, score);
    }

    /// @inheritdoc IContributionRegistry
    function forfeitUnrevealed(uint256 id, address reviewer) external {
        uint256 word = _sealed[id][reviewer];
        if (word >> _WEIGHT_BITS == 0) revert RegistryNotSealed(id, reviewer);
        Record storage c = _contributions[id];
        // a superseded contribution's ratings could never be revealed: nobody forfeits for them
        if (c.status == uint8(Status.Superseded)) revert RegistryNotPending(id, Status.Superseded);
        uint256 until = c.reviewDeadline + RATING_REVEAL_WINDOW;
        if (block.timestamp <= until) revert RegistryRevealsOpen(id, until);
        uint256 epoch = _charter.epochAt(until);
        if (_closed(epoch)) revert RegistryReviewPayClosed(epoch);
        _sealed[id][reviewer] = _FORFEITED;
        Desk memory d = _desk(reviewer, epoch);
        if (!d.forfeited) {
            d.forfeited = true;
            _positive[epoch] -= _positivePart(d.total);
            _storeDesk(reviewer, epoch, d);
        }
        emit ReviewForfeited(id, reviewer, epoch);
    }

    /// @inheritdoc IContributionRegistry
    function claimReviewPay(address reviewer, uint256 epoch, address token)
        external
        nonReentrant
        returns (uint256 amount)
    {
        if (!_closed(epoch)) revert RegistryReviewPayOpen(epoch);
        Desk memory d = _desk(reviewer, epoch);
        if (d.forfeited || d.settled != d.revealed || d.total <= 0 || _claimed[epoch][reviewer][token]) {
            revert RegistryNoReviewPay(reviewer, epoch, token);
        }
        uint256 pot = _pots[epoch][token];
        if (pot == 0) {
            pot = _release(token); // what arrived from the splitter: every share kept since the last pot
            _pots[epoch][token] = pot + 1;
            emit ReviewPotFixed(epoch, token, pot);
        } else {
            pot -= 1;
        }
        // the positive totals include this one, so the share is at most the pot; rounded down
        amount = Math.mulDiv(pot, uint256(int256(d.total)), _positive[epoch]);
        if (amount == 0) revert RegistryNoReviewPay(reviewer, epoch, token);
        _claimed[epoch][reviewer][token] = true;
        emit ReviewPayClaimed(reviewer, epoch, token, amount);
        if (token == _ETH) {
            (bool ok,) = reviewer.call{value: amount}("");
            if (!ok) revert RegistryEthTransferFailed(reviewer, amount);
        } else {
            IERC20(token).safeTransfer(reviewer, amount);
        }
    }

    // ----------------------------------------------------------------- views

    /// @inheritdoc IContributionRegistry
    function contribution(uint256 id) external view returns (Contribution memory) {
        Record storage c = _contributions[id];
        return Contribution(
            c.author,
            c.effort,
            c.reviewDeadline,
            c.snapshot,
            c.epochSnapshot,
            c.minReviewers,
            c.status,
            uint128(_quorum(c)),
            c.sealedReviews
        );
    }

    /// @inheritdoc IContributionRegistry
    function contributionCount() external view returns (uint256) {
        return _count;
    }

    /// @inheritdoc IContributionRegistry
    function status(uint256 id) external view returns (Status) {
        return Status(_contributions[id].status);
    }

    /// @inheritdoc IContributionRegistry
    function tally(uint256 id) external view returns (uint256[6] memory weights) {
        uint256 reviews;
        (weights, reviews) = _tallies[id].buckets();
    }

    /// @inheritdoc IContributionRegistry
    function reviewCount(uint256 id) external view returns (uint256 reviews) {
        uint256[6] memory weights;
        (weights, reviews) = _tallies[id].buckets();
    }

    /// @inheritdoc IContributionRegistry
    function hasReviewed(uint256 id, address reviewer) external view returns (bool) {
        return _sealed[id][reviewer] != 0;
    }

    /// @inheritdoc IContributionRegistry
    function panel(uint256 id) external view returns (uint256 drawBlock, uint256 seed, uint256 divisor) {
        Panel memory pn = _panels[id];
        return (pn.drawBlock, pn.seed, _divisor(_contributions[id]));
    }

    /// @inheritdoc IContributionRegistry
    function onPanel(uint256 id, address member, uint256 weight) external view returns (bool) {
        Panel memory pn = _panels[id];
        return pn.seed != 0 && _seated(pn.seed, id, member, weight, _divisor(_contributions[id]));
    }

    /// @inheritdoc IContributionRegistry
    function contributionOf(bytes32 contentHash) external view returns (uint256) {
        return _artifacts[contentHash].id;
    }

    /// @inheritdoc IContributionRegistry
    function contributionOfCid(bytes calldata cid) external view returns (uint256) {
        return _artifacts[_cidKey(cid)].id;
    }

    /// @inheritdoc IContributionRegistry
    function commitment(bytes32 commitment_) external view returns (uint256 time, uint256 seq) {
        Commit memory c = _commits[commitment_];
        return (c.time, c.seq);
    }

    /// @inheritdoc IContributionRegistry
    function epochEffort(address author, uint256 epoch) external view returns (uint256) {
        return _epochEffort[author][epoch];
    }

    /// @inheritdoc IContributionRegistry
    function sealedRating(uint256 id, address reviewer) external view returns (bytes32) {
        return bytes32(_sealed[id][reviewer]);
    }

    /// @inheritdoc IContributionRegistry
    function budgetSpent(address reviewer, uint256 epoch) external view returns (uint256) {
        return uint64(_desks[reviewer][epoch]);
    }

    /// @inheritdoc IContributionRegistry
    function desk(address reviewer, uint256 epoch) external view returns (Desk memory) {
        return _desk(reviewer, epoch);
    }

    /// @inheritdoc IContributionRegistry
    function reviewPayEpoch(uint256 epoch)
        external
        view
        returns (uint256 positive, uint256[6] memory medians, bool closed)
    {
        uint256 counters = _medians[epoch];
        for (uint256 m; m < 6; ++m) {
            medians[m] = (counters >> (_COUNTER_BITS * m)) & _COUNTER_MASK;
        }
        return (_positive[epoch], medians, _closed(epoch));
    }

    /// @inheritdoc IContributionRegistry
    /// @dev W[x] = floor(1000 * N / sum over the N medians m of |x - m|), from the medians of the
    ///      reviews scored in epoch `epoch - 2` (final when `epoch` begins), each counter plus one:
    ///      an error of one typical distance from rating x scores about 1000 whatever x is.
    function distanceWeights(uint256 epoch) public view returns (uint256[6] memory w) {
        uint256 counters = epoch >= 2 ? _medians[epoch - 2] : 0;
        uint256[6] memory count;
        uint256 n = 0;
        for (uint256 m; m < 6; ++m) {
            count[m] = ((counters >> (_COUNTER_BITS * m)) & _COUNTER_MASK) + 1;
            n += count[m];
        }
        for (uint256 x; x < 6; ++x) {
            uint256 sum = 0;
            for (uint256 m; m < 6; ++m) {
                sum += count[m] * _distance(x, m);
            }
            w[x] = (uint256(_SCALE) * n) / sum;
        }
    }

    /// @inheritdoc IContributionRegistry
    function reviewPot(uint256 epoch, address token) external view returns (uint256 pot, bool fixed_) {
        uint256 stored = _pots[epoch][token];
        return stored == 0 ? (0, false) : (stored - 1, true);
    }

    /// @inheritdoc IContributionRegistry
    function reviewPayClaimed(uint256 epoch, address reviewer, address token) external view returns (bool) {
        return _claimed[epoch][reviewer][token];
    }

    /// @notice The contracts this registry works with.
    function wiring() external view returns (ICharter charter, IMembership membership, IPayoutSplitter splitter) {
        return (_charter, _membership, _splitter);
    }

    // ----------------------------------------------------------------- internal

    function _submit(address author, bytes calldata cid, bytes32 contentHash, uint32 effort, bytes32 salt)
        private
        returns (uint256 id)
    {
        if (!_membership.isActive(author)) revert RegistryNotActiveMember(author);
        if (cid.length == 0 || cid.length > _MAX_CID_LENGTH || contentHash == 0) revert RegistryInvalidCid(cid.length);
        ICharter.Params memory p = _charter.params();
        if (effort == 0 || effort > p.maxEffort) revert RegistryInvalidEffort(effort, p.maxEffort);
        _checkDigest(cid, contentHash);
        uint64 seq = _reveal(keccak256(abi.encode(author, contentHash, salt)));
        id = _count + 1;
        _claimArtifact(contentHash, seq, id, author);
        _claimArtifact(_cidKey(cid), seq, id, author);
        uint256 epoch = _charter.currentEpoch();
        uint256 spent = _epochEffort[author][epoch] + effort;
        if (spent > p.maxEffortPerEpoch) revert RegistryEpochEffortExceeded(author, epoch, spent, p.maxEffortPerEpoch);
        _epochEffort[author][epoch] = spent;
        _count = id;
        (uint256 deadline, uint256 quorumWeight) = _open(id, author, effort, p);
        emit Submitted(id, author, cid, contentHash, effort, epoch, deadline, seq, quorumWeight);
    }

    /// @dev Consumes a posted commitment that is still inside its reveal window; returns its sequence.
    function _reveal(bytes32 commitment_) private returns (uint64 seq) {
        Commit memory cm = _commits[commitment_];
        if (cm.seq == 0) revert RegistryNotCommitted(commitment_);
        if (block.timestamp > cm.time + REVEAL_WINDOW) revert RegistryCommitExpired(commitment_, cm.time + REVEAL_WINDOW);
        delete _commits[commitment_];
        return cm.seq;
    }

    /// @dev Stores a new pending contribution with the rules in force now.
    function _open(uint256 id, address author, uint32 effort, ICharter.Params memory p)
        private
        returns (uint256 deadline, uint256 quorumWeight)
    {
        deadline = block.timestamp + p.reviewWindow;
        // Standing counts as the lesser of what it was the second before (so nothing done in the
        // submission's own block, and no slash before it, is ignored) and what it was when the epoch
        // began (so points awarded in this epoch weigh from the next one: approvals cannot compound
        // within an epoch).
        uint256 snapshot = block.timestamp - 1;
        uint256 epochSnapshot = _charter.currentEpochStart() - 1;
        uint256 total = Math.min(_splitter.totalPointsAt(snapshot), _splitter.totalPointsAt(epochSnapshot));
        // no community holds 2^128 / 1e18 (3e20) points; clamp rather than wrap if one ever did
        if (total > type(uint128).max) total = type(uint128).max;
        // the panel: everyone with standing while the community is small, else about `panelSize`
        // members drawn by standing (a member holding total / panelSize or more always sits)
        uint256 panelSize = _membership.memberCount() > uint256(p.panelSize) + 1 && total > p.panelSize ? p.panelSize : 0;
        _panels[id] = Panel(uint48(block.number), 0);
        Record memory c = Record(
            author,
            effort,
            uint48(deadline),
            p.quorumBps,
            uint40(snapshot),
            uint40(epochSnapshot),
            p.minReviewers,
            uint8(Status.Pending),
            uint8(panelSize),
            uint128(total),
            0
        );
        _contributions[id] = c;
        quorumWeight = (total * p.quorumBps + _BPS - 1) / _BPS;
    }

    /// @dev The reviewing standing a contribution needs: `quorumBps` of the standing at its
    ///      submission, rounded up.
    function _quorum(Record storage c) private view returns (uint256) {
        return (uint256(c.total) * c.quorumBps + _BPS - 1) / _BPS;
    }

    /// @dev The divisor D of a contribution's panel (see `panel`): ceil(standing / panelSize), or 1.
    function _divisor(Record storage c) private view returns (uint256) {
        uint256 size = c.panelSize;
        return size == 0 ? 1 : Math.ceilDiv(c.total, size);
    }

    /// @dev Content is unique: it is free when never claimed, or when its last claim was rejected or
    ///      superseded. A pending claim under a later commitment is superseded (the earliest
    ///      commitment wins, so whoever copied the content from a mempool, a relay or an IPFS
    ///      announcement loses it); an accepted claim, or a pending one committed earlier, keeps it.
    ///      An author never supersedes their own pending claim: that would discard its reviews.
    ///      `key` is the content hash or, for the CID itself, `_cidKey(cid)`.
    function _claimArtifact(bytes32 key, uint64 seq, uint256 id, address author) private {
        Artifact memory art = _artifacts[key];
        if (art.id != 0) {
            Record storage holder = _contributions[art.id];
            uint8 st = holder.status;
            if (st == uint8(Status.Accepted) || (st == uint8(Status.Pending) && art.seq < seq)) {
                revert RegistryArtifactAlreadyClaimed(key, art.id);
            }
            if (st == uint8(Status.Pending) && holder.author == author) revert RegistrySelfSupersede(author, art.id);
            if (st == uint8(Status.Pending)) {
                holder.status = uint8(Status.Superseded);
                emit Superseded(art.id, id);
            }
        }
        _artifacts[key] = Artifact(uint64(id), seq);
    }

    /// @dev Where the CID states the digest of the bytes themselves (a CIDv1 of raw bytes hashed with
    ///      sha2-256: 0x01 0x55 0x12 0x20 and the digest), the content hash must be that digest. Other
    ///      CIDs (UnixFS dag-pb) hash a DAG node, not the file: there the clients check the bytes.
    function _checkDigest(bytes calldata cid, bytes32 contentHash) private pure {
        if (cid.length == 36 && bytes4(cid[0:4]) == 0x01551220) {
            bytes32 digest = bytes32(cid[4:36]);
            if (digest != contentHash) revert RegistryContentHashMismatch(contentHash, digest);
        }
    }

    /// @dev The CID's own claim key: a CIDv0 (0x12 0x20 and the digest) counts as the CIDv1 dag-pb
    ///      it stands for, so one DAG is one claim however its CID is written. Prefixed so that it can
    ///      never equal a content hash.
    function _cidKey(bytes calldata cid) private pure returns (bytes32) {
        if (cid.length == 34 && cid[0] == 0x12 && cid[1] == 0x20) {
            return keccak256(abi.encodePacked("starfish.cid", bytes2(0x0170), cid));
        }
        return keccak256(abi.encodePacked("starfish.cid", cid));
    }

    /// @dev A sealed rating: while the window is open, from a member with standing who is not the
    ///      author, once per contribution. Nothing about the rating is public until it is revealed.
    function _seal(address reviewer, uint256 id, bytes32 sealed_) private {
        Record storage c = _contributions[id];
        address author = c.author;
        if (author == address(0)) revert RegistryUnknownContribution(id);
        if (c.status != uint8(Status.Pending)) revert RegistryNotPending(id, Status(c.status));
        if (block.timestamp > c.reviewDeadline) revert RegistryReviewWindowClosed(id, c.reviewDeadline);
        if (reviewer == author) revert RegistrySelfReview(reviewer, id);
        if (sealed_ == 0) revert RegistryNotSealed(id, reviewer);
        // one seal per reviewer: a seal is opened only after the window, when no seal can come
        if (_sealed[id][reviewer] != 0) revert RegistryAlreadyReviewed(reviewer, id);
        if (!_membership.isActive(reviewer)) revert RegistryNotActiveMember(reviewer);
        // a panel of everyone (divisor 1: a small community) needs no draw
        Panel memory pn = _panels[id];
        uint256 divisor = _divisor(c);
        uint256 seed = divisor == 1 || pn.seed != 0 ? pn.seed : _drawSeed(id, pn);
        // the weight is fixed now; whether it reaches the charter's minimum, and the budget, at the reveal
        uint256 weight = _splitter.reviewStanding(reviewer, c.epochSnapshot, c.snapshot);
        if (weight == 0) revert RegistryInsufficientStanding(reviewer, 0, 1);
        if (!_seated(seed, id, reviewer, weight, divisor)) revert RegistryNotOnPanel(id, reviewer);
        // no community holds 2^112 / 1e18 (5e15) points; clamp rather than wrap if one ever did
        if (weight > _WEIGHT_MASK) weight = _WEIGHT_MASK;
        _sealed[id][reviewer] = (uint256(sealed_) >> _WEIGHT_BITS) << _WEIGHT_BITS | weight;
        c.sealedReviews += 1;
        emit ReviewSealed(id, reviewer);
    }

    /// @dev Opens a sealed rating once the window has closed, within `RATING_REVEAL_WINDOW`: anyone
    ///      holding the opening may send it (the reviewer's CLI, page or relay). The rating then
    ///      counts as a review did: its weight, its budget, the tally.
    function _reveal(address reviewer, uint256 id, uint8 stars, bytes calldata commentCid, bytes32 salt) private {
        Record storage c = _contributions[id];
        if (c.author == address(0)) revert RegistryUnknownContribution(id);
        if (c.status != uint8(Status.Pending)) revert RegistryNotPending(id, Status(c.status));
        uint256 deadline = c.reviewDeadline;
        if (block.timestamp <= deadline) revert RegistryReviewWindowOpen(id, deadline);
        if (block.timestamp > deadline + RATING_REVEAL_WINDOW) {
            revert RegistryRevealWindowClosed(id, deadline + RATING_REVEAL_WINDOW);
        }
        if (stars > 5) revert RegistryInvalidStars(stars);
        if (commentCid.length > _MAX_CID_LENGTH) revert RegistryInvalidCid(commentCid.length);
        uint256 word = _sealed[id][reviewer];
        // never sealed, or opened already (a revealed record has its top bits 0)
        if (word >> _WEIGHT_BITS == 0) revert RegistryNotSealed(id, reviewer);
        bytes32 opened = keccak256(abi.encode(reviewer, id, stars, keccak256(commentCid), salt));
        if (word >> _WEIGHT_BITS != uint256(opened) >> _WEIGHT_BITS) revert RegistryWrongOpening(id, reviewer);
        // a rating sealed by a member counts though they left or were suspended since: it was made
        // while they stood, and weighs what they held before the work was submitted
        uint256 weight = word & _WEIGHT_MASK;
        _judge(reviewer, id, c, weight, stars);
        // a panel member drawn by chance weighs the divisor: each member's expected weight is their standing
        uint256 divisor = _divisor(c);
        if (weight < divisor) weight = divisor;
        _tallies[id].add(stars, weight);
        emit Reviewed(id, reviewer, stars, weight, commentCid);
    }

    /// @dev Fixes the seed of a panel from its draw block's hash, once mined and while the chain
    ///      still answers it (256 blocks); returns the seed (never 0).
    function _drawSeed(uint256 id, Panel memory pn) private returns (uint256 seed) {
        uint256 drawBlock = pn.drawBlock;
        if (block.number <= drawBlock || block.number > drawBlock + 256) revert RegistryPanelNotDrawn(id, drawBlock);
        seed = uint64(uint256(blockhash(drawBlock))) | 1;
        _panels[id].seed = uint64(seed);
        emit PanelDrawn(id, seed, drawBlock);
    }

    /// @dev Whether a member of review weight `weight` sits on the panel drawn from `seed`.
    function _seated(uint256 seed, uint256 id, address member, uint256 weight, uint256 divisor)
        private
        pure
        returns (bool)
    {
        return weight >= divisor || uint256(keccak256(abi.encode(seed, id, member))) % divisor < weight;
    }

    /// @dev At a reveal: the weight fixed at the seal must reach `minReviewerStanding`, or the
    ///      contribution's quorum weight if that is less (a community whose points have decayed for
    ///      years below the setting can still judge work), and `starMinutes` come out of the budget.
    ///      A reviewer rates at most `standing * budgetBps / 10000` points' worth of work per epoch,
    ///      counted in star-minutes (3 per point), where the standing is what this review weighs: the
    ///      cap on what their approvals can mint. Keeps the rating's record for review pay, and makes
    ///      `stars` the previous rating of the reviewer's next review in the epoch.
    function _judge(address reviewer, uint256 id, Record storage c, uint256 weight, uint256 stars) private {
        (uint256 epoch, uint256 minStanding, uint256 budgetBps) = _charter.reviewRules();
        uint256 quorumWeight = _quorum(c);
        if (quorumWeight < minStanding) minStanding = quorumWeight;
        if (weight < minStanding) revert RegistryInsufficientStanding(reviewer, weight, minStanding);
        uint256 word = _desks[reviewer][epoch];
        uint256 spent = uint64(word) + uint256(c.effort) * stars;
        // spent * 1e18 * 1e4 <= standing * bps * 3, without rounding; no overflow: standing < 2^112
        if (spent * _POINT * _BPS > weight * budgetBps * 3) {
            revert RegistryReviewBudgetExceeded(reviewer, epoch, spent, (weight * budgetBps * 3) / (_POINT * _BPS));
        }
        // kept for review pay: the rating, the reviewer's previous one this epoch, the epoch
        _sealed[id][reviewer] = _REVEALED | (epoch << 8) | (uint8(word >> 128) << 3) | stars;
        // spent fits 64 bits: it is at most 2^112 * 3e4 / 1e22; revealed counts one more (2^32
        // reveals in an epoch are beyond any gas limit)
        word = (word & ~(_LOW64 | (uint256(0xff) << 128))) | spent | ((stars + 1) << 128);
        _desks[reviewer][epoch] = word + (uint256(1) << 64);
    }

    function _desk(address reviewer, uint256 epoch) private view returns (Desk memory) {
        uint256 w = _desks[reviewer][epoch];
        return Desk(uint64(w), uint32(w >> 64), uint32(w >> 96), uint8(w >> 128), uint8(w >> 136) != 0, int112(int256(w) >> 144));
    }

    function _storeDesk(address reviewer, uint256 epoch, Desk memory d) private {
        _desks[reviewer][epoch] = uint256(d.spent) | (uint256(d.revealed) << 64) | (uint256(d.settled) << 96)
            | (uint256(d.last) << 128) | (d.forfeited ? uint256(1) << 136 : 0) | (uint256(uint112(d.total)) << 144);
    }

    /// @dev Whether the reviews of `epoch` can no longer be scored or forfeited (and its pay is claimable).
    function _closed(uint256 epoch) private view returns (bool) {
        return block.timestamp > REVIEW_PAY_DELAY && _charter.epochAt(block.timestamp - REVIEW_PAY_DELAY) > epoch;
    }

    /// @dev Takes the review pay the splitter kept since its last release; returns what arrived
    ///      (a token that charges for transfers delivers less than it was sent).
    function _release(address token) private returns (uint256) {
        uint256 before = token == _ETH ? address(this).balance : IERC20(token).balanceOf(address(this));
        _splitter.releaseReviewerPay(token);
        uint256 balance = token == _ETH ? address(this).balance : IERC20(token).balanceOf(address(this));
        return balance - before;
    }

    function _distance(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a - b : b - a;
    }

    function _positivePart(int256 x) private pure returns (uint256) {
        return x > 0 ? uint256(x) : 0;
    }
}
