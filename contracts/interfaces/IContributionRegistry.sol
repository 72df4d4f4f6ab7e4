// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Contributions and peer reviews (the review attestations).
/// @notice A member submits an artifact (its binary CID) with a claimed effort in minutes; other
///         members rate it 0-5 stars inside the review window; after the window anyone finalizes it.
///         With at least `quorum` reviews the author earns `effort * median / 3` points (18 decimals),
///         computed here from the reviews themselves.
interface IContributionRegistry {
    /// @notice Where a contribution stands.
    enum Status {
        None,
        Pending,
        Accepted,
        Rejected
    }

    /// @notice A contribution as stored: author, claimed effort and the end of its review window.
    struct Contribution {
        address author;
        uint32 effort;
        uint64 reviewDeadline;
    }

    /// @notice Thrown when the acting account is not an active (joined, unsuspended) member.
    error RegistryNotActiveMember(address account);
    /// @notice Thrown when the effort is 0 or above the charter's `maxEffort`.
    error RegistryInvalidEffort(uint256 effort, uint256 maxEffort);
    /// @notice Thrown when a member's effort within one epoch would pass `maxEffortPerEpoch`.
    error RegistryEpochEffortExceeded(address author, uint256 epoch, uint256 total, uint256 cap);
    /// @notice Thrown when the CID is empty or longer than 128 bytes.
    error RegistryInvalidCid(uint256 length);
    /// @notice Thrown when an artifact was already submitted.
    error RegistryArtifactAlreadyClaimed(bytes32 cidHash);
    /// @notice Thrown when no contribution has this id.
    error RegistryUnknownContribution(uint256 id);
    /// @notice Thrown when stars are above 5.
    error RegistryInvalidStars(uint8 stars);
    /// @notice Thrown when the author reviews their own contribution.
    error RegistrySelfReview(address reviewer, uint256 id);
    /// @notice Thrown when a reviewer reviews the same contribution twice.
    error RegistryAlreadyReviewed(address reviewer, uint256 id);
    /// @notice Thrown when a reviewer's points are below `minReviewerStanding`.
    error RegistryInsufficientStanding(address reviewer, uint256 standing, uint256 required);
    /// @notice Thrown when reviewing after the window closed.
    error RegistryReviewWindowClosed(uint256 id, uint256 deadline);
    /// @notice Thrown when finalizing before the window closed.
    error RegistryReviewWindowOpen(uint256 id, uint256 deadline);
    /// @notice Thrown when finalizing a contribution that is already accepted or rejected.
    error RegistryAlreadyFinalized(uint256 id);

    /// @notice Emitted when `author` submits artifact `cid` claiming `effort` minutes in `epoch`.
    event Submitted(
        uint256 indexed id, address indexed author, bytes cid, uint256 effort, uint256 epoch, uint256 reviewDeadline
    );
    /// @notice Emitted when `reviewer` rates contribution `id`; `commentCid` may be empty.
    event Reviewed(uint256 indexed id, address indexed reviewer, uint8 stars, bytes commentCid);
    /// @notice Emitted when contribution `id` is judged: accepted with `points`, or rejected for lack of quorum.
    /// @param medianTimesTwo twice the median star rating (so a median of 3.5 reads 7)
    event Finalized(uint256 indexed id, bool accepted, uint256 reviews, uint256 medianTimesTwo, uint256 points);

    /// @notice Submits an artifact. The caller must be an active member.
    function submit(bytes calldata cid, uint32 effort) external returns (uint256 id);
    /// @notice Submits for `author`, who signed
    ///         `Submit(address author,bytes cid,uint32 effort,uint256 nonce,uint256 deadline)`.
    function submitBySig(
        address author,
        bytes calldata cid,
        uint32 effort,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256 id);
    /// @notice Rates contribution `id` with 0-5 stars.
    function review(uint256 id, uint8 stars, bytes calldata commentCid) external;
    /// @notice Reviews for `reviewer`, who signed
    ///         `Review(address reviewer,uint256 contribution,uint8 stars,bytes commentCid,uint256 nonce,uint256 deadline)`.
    function reviewBySig(
        address reviewer,
        uint256 id,
        uint8 stars,
        bytes calldata commentCid,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;
    /// @notice Judges contribution `id` once its window has closed. Anyone may call it.
    function finalize(uint256 id) external returns (bool accepted, uint256 points);

    /// @notice A stored contribution.
    function contribution(uint256 id) external view returns (Contribution memory);
    /// @notice How many contributions were submitted (ids run from 1).
    function contributionCount() external view returns (uint256);
    /// @notice A contribution's status.
    function status(uint256 id) external view returns (Status);
    /// @notice The star histogram: `counts[s]` reviews gave `s` stars.
    function tally(uint256 id) external view returns (uint256[6] memory counts);
    /// @notice Whether `reviewer` reviewed contribution `id`.
    function hasReviewed(uint256 id, address reviewer) external view returns (bool);
    /// @notice Whether an artifact with this binary CID was submitted.
    function isClaimed(bytes calldata cid) external view returns (bool);
    /// @notice Effort `author` submitted within `epoch`.
    function epochEffort(address author, uint256 epoch) external view returns (uint256);
    /// @notice keccak256("Submit(address author,bytes cid,uint32 effort,uint256 nonce,uint256 deadline)")
    function SUBMIT_TYPEHASH() external view returns (bytes32);
    /// @notice keccak256("Review(address reviewer,uint256 contribution,uint8 stars,bytes commentCid,uint256 nonce,uint256 deadline)")
    function REVIEW_TYPEHASH() external view returns (bytes32);
}
