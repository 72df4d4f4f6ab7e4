// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICharter} from "./interfaces/ICharter.sol";
import {IContributionRegistry} from "./interfaces/IContributionRegistry.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {IPayoutSplitter} from "./interfaces/IPayoutSplitter.sol";
import {Tally} from "./libraries/Tally.sol";
import {SignedActions} from "./SignedActions.sol";

/// @title Contributions, peer reviews and the points they earn.
/// @dev Every operation touches a fixed number of storage words: the tally is one packed word, a
///      reviewer's "already reviewed" flags are bits in a per-reviewer bitmap.
contract ContributionRegistry is SignedActions, IContributionRegistry {
    using Tally for uint256;

    // keccak256("Submit(address author,bytes cid,uint32 effort,uint256 nonce,uint256 deadline)")
    bytes32 public constant SUBMIT_TYPEHASH =
        keccak256("Submit(address author,bytes cid,uint32 effort,uint256 nonce,uint256 deadline)");
    // keccak256("Review(address reviewer,uint256 contribution,uint8 stars,bytes commentCid,uint256 nonce,uint256 deadline)")
    bytes32 public constant REVIEW_TYPEHASH = keccak256(
        "Review(address reviewer,uint256 contribution,uint8 stars,bytes commentCid,uint256 nonce,uint256 deadline)"
    );
    uint256 private constant _MAX_CID_LENGTH = 128;

    ICharter private immutable _charter;
    IMembership private immutable _membership;
    IPayoutSplitter private immutable _splitter;

    mapping(uint256 id => Contribution contribution) private _contributions;
    /// @dev histogram and status, see {Tally}
    mapping(uint256 id => uint256 word) private _tallies;
    /// @dev keccak256(cid) => contribution id
    mapping(bytes32 cidHash => uint256 id) private _artifacts;
    /// @dev reviewer => (id >> 8) => bit (id & 255) set once reviewed
    mapping(address reviewer => mapping(uint256 word => uint256 bits)) private _reviewed;
    mapping(address author => mapping(uint256 epoch => uint256 minutes_)) private _epochEffort;
    uint256 private _count;

    constructor(ICharter charter_, IMembership membership_, IPayoutSplitter splitter_)
        SignedActions("Starfish Contributions", "1")
    {
        _charter = charter_;
        _membership = membership_;
        _splitter = splitter_;
    }

    // ----------------------------------------------------------------- actions

    /// @inheritdoc IContributionRegistry
    function submit(bytes calldata cid, uint32 effort) external returns (uint256) {
        return _submit(msg.sender, cid, effort);
    }

    /// @inheritdoc IContributionRegistry
    function submitBySig(
        address author,
        bytes calldata cid,
        uint32 effort,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256) {
        bytes32 structHash = keccak256(abi.encode(SUBMIT_TYPEHASH, author, keccak256(cid), effort, nonce, deadline));
        _verifySigned(author, structHash, nonce, deadline, signature);
        return _submit(author, cid, effort);
    }

    /// @inheritdoc IContributionRegistry
    function review(uint256 id, uint8 stars, bytes calldata commentCid) external {
        _review(msg.sender, id, stars, commentCid);
    }

    /// @inheritdoc IContributionRegistry
    function reviewBySig(
        address reviewer,
        uint256 id,
        uint8 stars,
        bytes calldata commentCid,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes32 structHash =
            keccak256(abi.encode(REVIEW_TYPEHASH, reviewer, id, stars, keccak256(commentCid), nonce, deadline));
        _verifySigned(reviewer, structHash, nonce, deadline, signature);
        _review(reviewer, id, stars, commentCid);
    }

    /// @inheritdoc IContributionRegistry
    function finalize(uint256 id) external returns (bool accepted, uint256 points) {
        Contribution memory c = _contributions[id];
        if (c.author == address(0)) revert RegistryUnknownContribution(id);
        uint256 word = _tallies[id];
        if (word.status() != uint8(Status.Pending)) revert RegistryAlreadyFinalized(id);
        if (block.timestamp <= c.reviewDeadline) revert RegistryReviewWindowOpen(id, c.reviewDeadline);
        uint256 n = word.total();
        uint256 median2;
        accepted = n != 0 && n >= _charter.parameter(ICharter.Parameter.Quorum);
        if (accepted) {
            median2 = word.medianTimesTwo(n);
            points = Tally.points(c.effort, median2);
        }
        _tallies[id] = word.withStatus(uint8(accepted ? Status.Accepted : Status.Rejected));
        emit Finalized(id, accepted, n, median2, points);
        if (points != 0) _splitter.award(c.author, id, points);
    }

    // ----------------------------------------------------------------- views

    /// @inheritdoc IContributionRegistry
    function contribution(uint256 id) external view returns (Contribution memory) {
        return _contributions[id];
    }

    /// @inheritdoc IContributionRegistry
    function contributionCount() external view returns (uint256) {
        return _count;
    }

    /// @inheritdoc IContributionRegistry
    function status(uint256 id) external view returns (Status) {
        return Status(_tallies[id].status());
    }

    /// @inheritdoc IContributionRegistry
    function tally(uint256 id) external view returns (uint256[6] memory counts) {
        uint256 word = _tallies[id];
        for (uint256 s; s < 6; ++s) {
            counts[s] = word.count(s);
        }
    }

    /// @inheritdoc IContributionRegistry
    function hasReviewed(uint256 id, address reviewer) external view returns (bool) {
        return _reviewed[reviewer][id >> 8] & (uint256(1) << (id & 0xff)) != 0;
    }

    /// @inheritdoc IContributionRegistry
    function isClaimed(bytes calldata cid) external view returns (bool) {
        return _artifacts[keccak256(cid)] != 0;
    }

    /// @notice The contribution that claimed artifact `cid`, or 0.
    function contributionOf(bytes calldata cid) external view returns (uint256) {
        return _artifacts[keccak256(cid)];
    }

    /// @inheritdoc IContributionRegistry
    function epochEffort(address author, uint256 epoch) external view returns (uint256) {
        return _epochEffort[author][epoch];
    }

    /// @notice The contracts this registry works with.
    function wiring() external view returns (ICharter charter, IMembership membership, IPayoutSplitter splitter) {
        return (_charter, _membership, _splitter);
    }

    // ----------------------------------------------------------------- internal

    function _submit(address author, bytes calldata cid, uint32 effort) private returns (uint256 id) {
        if (!_membership.isActive(author)) revert RegistryNotActiveMember(author);
        if (cid.length == 0 || cid.length > _MAX_CID_LENGTH) revert RegistryInvalidCid(cid.length);
        ICharter.Params memory p = _charter.params();
        if (effort == 0 || effort > p.maxEffort) revert RegistryInvalidEffort(effort, p.maxEffort);
        bytes32 cidHash = keccak256(cid);
        if (_artifacts[cidHash] != 0) revert RegistryArtifactAlreadyClaimed(cidHash);
        uint256 epoch = _charter.currentEpoch();
        uint256 spent = _epochEffort[author][epoch] + effort;
        if (spent > p.maxEffortPerEpoch) revert RegistryEpochEffortExceeded(author, epoch, spent, p.maxEffortPerEpoch);
        _epochEffort[author][epoch] = spent;
        id = ++_count;
        uint256 deadline = block.timestamp + p.reviewWindow;
        _artifacts[cidHash] = id;
        _contributions[id] = Contribution(author, effort, uint64(deadline));
        _tallies[id] = uint256(0).withStatus(uint8(Status.Pending));
        emit Submitted(id, author, cid, effort, epoch, deadline);
    }

    function _review(address reviewer, uint256 id, uint8 stars, bytes calldata commentCid) private {
        if (stars > 5) revert RegistryInvalidStars(stars);
        if (commentCid.length > _MAX_CID_LENGTH) revert RegistryInvalidCid(commentCid.length);
        Contribution memory c = _contributions[id];
        if (c.author == address(0)) revert RegistryUnknownContribution(id);
        if (block.timestamp > c.reviewDeadline) revert RegistryReviewWindowClosed(id, c.reviewDeadline);
        if (reviewer == c.author) revert RegistrySelfReview(reviewer, id);
        uint256 bit = uint256(1) << (id & 0xff);
        uint256 bits = _reviewed[reviewer][id >> 8];
        if (bits & bit != 0) revert RegistryAlreadyReviewed(reviewer, id);
        if (!_membership.isActive(reviewer)) revert RegistryNotActiveMember(reviewer);
        uint256 required = _charter.minReviewerStanding();
        if (required != 0) {
            uint256 standing = _splitter.pointsOf(reviewer);
            if (standing < required) revert RegistryInsufficientStanding(reviewer, standing, required);
        }
        _reviewed[reviewer][id >> 8] = bits | bit;
        _tallies[id] = _tallies[id].add(stars);
        emit Reviewed(id, reviewer, stars, commentCid);
    }
}
