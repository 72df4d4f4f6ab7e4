// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorProposalGuardian} from "@openzeppelin/contracts/governance/extensions/GovernorProposalGuardian.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorTimelockControl} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from
    "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {IMembership} from "../interfaces/IMembership.sol";

/// @title Members govern by standing: OpenZeppelin 5's Governor on the splitter's votes.
/// @notice Votes are points (decay included) at the proposal's snapshot, lent by delegation;
///         suspended members cannot cast votes. Passed proposals run through the timelock, which is
///         the only address that can change the charter, suspend, slash, spend the treasury or list
///         tokens. Every setting has on-chain bounds. An optional guardian may cancel proposals (and
///         nothing else) until an expiry fixed at deployment, after which nobody can.
contract StarfishGovernor is
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl,
    GovernorProposalGuardian
{
    /// @notice Bounds of the voting delay (seconds between proposing and the snapshot).
    uint256 public constant VOTING_DELAY_MIN = 1 hours;
    uint256 public constant VOTING_DELAY_MAX = 14 days;
    /// @notice Bounds of the voting period (seconds).
    uint256 public constant VOTING_PERIOD_MIN = 1 days;
    uint256 public constant VOTING_PERIOD_MAX = 30 days;
    /// @notice Bounds of the points (18 decimals) needed to propose.
    uint256 public constant PROPOSAL_THRESHOLD_MIN = 1e18;
    uint256 public constant PROPOSAL_THRESHOLD_MAX = 1e30;
    /// @notice Bounds of the quorum, in percent of all points at the snapshot.
    uint256 public constant QUORUM_MIN = 5;
    uint256 public constant QUORUM_MAX = 80;
    /// @notice The share of all standing (basis points) that is always enough to propose, whatever
    ///         the setting: a community whose points have decayed for years below the setting can
    ///         still propose. Never below one unit, so an address without standing never proposes.
    uint256 public constant PROPOSAL_THRESHOLD_SHARE_BPS = 100;
    /// @notice The longest a guardian may be given at deployment.
    uint256 public constant GUARDIAN_MAX_TERM = 365 days;

    IMembership private immutable _membership;
    /// @notice Until when the guardian may cancel proposals (0: no guardian).
    uint256 public immutable guardianExpiry;

    /// @notice Thrown when a setting lies outside its bounds.
    error GovernorSettingOutOfBounds(string setting, uint256 value, uint256 min, uint256 max);
    /// @notice Thrown when a suspended member casts a vote.
    error GovernorSuspendedVoter(address voter);
    /// @notice Thrown when a suspended member proposes.
    error GovernorSuspendedProposer(address proposer);
    /// @notice Thrown when the guardian's term is longer than GUARDIAN_MAX_TERM.
    error GovernorGuardianTermTooLong(uint256 expiry);
    /// @notice Thrown on any attempt to appoint a guardian after deployment.
    error GovernorGuardianIsFixed();

    struct Settings {
        uint48 votingDelay;
        uint32 votingPeriod;
        uint256 proposalThreshold;
        uint256 quorumPercent;
    }

    constructor(
        IVotes votes,
        TimelockController timelock,
        IMembership membership_,
        Settings memory settings,
        address guardian,
        uint256 guardianExpiry_
    )
        Governor("Starfish Governor")
        GovernorSettings(settings.votingDelay, settings.votingPeriod, settings.proposalThreshold)
        GovernorVotes(votes)
        GovernorVotesQuorumFraction(settings.quorumPercent)
        GovernorTimelockControl(timelock)
    {
        _membership = membership_;
        if (guardian != address(0)) {
            if (guardianExpiry_ > block.timestamp + GUARDIAN_MAX_TERM) revert GovernorGuardianTermTooLong(guardianExpiry_);
            _setProposalGuardian(guardian);
            guardianExpiry = guardianExpiry_;
        }
    }

    /// @notice The membership whose suspended members cannot vote.
    function membership() external view returns (IMembership) {
        return _membership;
    }

    // ----------------------------------------------------------------- bounds

    function _setVotingDelay(uint48 newVotingDelay) internal override {
        _bound("votingDelay", newVotingDelay, VOTING_DELAY_MIN, VOTING_DELAY_MAX);
        super._setVotingDelay(newVotingDelay);
    }

    function _setVotingPeriod(uint32 newVotingPeriod) internal override {
        _bound("votingPeriod", newVotingPeriod, VOTING_PERIOD_MIN, VOTING_PERIOD_MAX);
        super._setVotingPeriod(newVotingPeriod);
    }

    function _setProposalThreshold(uint256 newProposalThreshold) internal override {
        _bound("proposalThreshold", newProposalThreshold, PROPOSAL_THRESHOLD_MIN, PROPOSAL_THRESHOLD_MAX);
        super._setProposalThreshold(newProposalThreshold);
    }

    function _updateQuorumNumerator(uint256 newQuorumNumerator) internal override {
        _bound("quorumNumerator", newQuorumNumerator, QUORUM_MIN, QUORUM_MAX);
        super._updateQuorumNumerator(newQuorumNumerator);
    }

    function _bound(string memory setting, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert GovernorSettingOutOfBounds(setting, value, min, max);
    }

    // ----------------------------------------------------------------- rules

    /// @dev Suspended members do not vote. Their points do not vote through anyone either: the
    ///      splitter takes them out of their delegate's votes at the suspension, and a suspended
    ///      member cannot delegate.
    function _castVote(uint256 proposalId, address account, uint8 support, string memory reason, bytes memory params)
        internal
        override
        returns (uint256)
    {
        if (_membership.isSuspended(account)) revert GovernorSuspendedVoter(account);
        return super._castVote(proposalId, account, support, reason, params);
    }

    /// @dev Suspended members do not propose.
    function propose(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory description
    ) public override returns (uint256) {
        if (_membership.isSuspended(_msgSender())) revert GovernorSuspendedProposer(_msgSender());
        return super.propose(targets, values, calldatas, description);
    }

    /// @dev The guardian cancels any proposal, at any stage, until its expiry; a proposer cancels
    ///      their own proposal while it is pending (OpenZeppelin's rule).
    function _validateCancel(uint256 proposalId, address caller)
        internal
        view
        override(Governor, GovernorProposalGuardian)
        returns (bool)
    {
        if (caller == proposalGuardian() && caller != address(0) && block.timestamp <= guardianExpiry) return true;
        return Governor._validateCancel(proposalId, caller);
    }

    /// @dev Nobody, not even governance, can appoint a guardian after deployment.
    function setProposalGuardian(address) public pure override {
        revert GovernorGuardianIsFixed();
    }

    // ----------------------------------------------------------------- the overrides Solidity asks for

    function votingDelay() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingDelay();
    }

    function votingPeriod() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingPeriod();
    }

    /// @notice The votes needed to propose: the setting, or PROPOSAL_THRESHOLD_SHARE_BPS of all
    ///         standing a second ago if that is less (at least one unit).
    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        uint256 setting = super.proposalThreshold();
        uint256 share = (token().getPastTotalSupply(clock() - 1) * PROPOSAL_THRESHOLD_SHARE_BPS) / 10_000;
        if (share == 0) share = 1;
        return share < setting ? share : setting;
    }

    /// @notice The threshold as the members set it (`proposalThreshold()` may be lower).
    function proposalThresholdSetting() external view returns (uint256) {
        return super.proposalThreshold();
    }

    function quorum(uint256 timepoint) public view override(Governor, GovernorVotesQuorumFraction) returns (uint256) {
        return super.quorum(timepoint);
    }

    function state(uint256 proposalId) public view override(Governor, GovernorTimelockControl) returns (ProposalState) {
        return super.state(proposalId);
    }

    function proposalNeedsQueuing(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (bool)
    {
        return super.proposalNeedsQueuing(proposalId);
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
