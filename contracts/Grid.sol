// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ICharter} from "./interfaces/ICharter.sol";
import {IGrid} from "./interfaces/IGrid.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {IPayoutSplitter} from "./interfaces/IPayoutSplitter.sol";
import {SignedActions} from "./SignedActions.sol";

/// @title The grid: the community's hosts and each epoch's seed (see IGrid).
/// @dev A contract of its own: the splitter and the registry are within 2 KB of EIP-170. Who may
///      host is checked when a host registers (an active member whose settled standing, its points
///      as the epoch began, reaches `hostMinStanding`: a fresh address has none); whether a host
///      counts in a later epoch (still a member, not suspended, still with the standing) is read
///      from the chain's history by whoever computes the assignment, so nothing here has to notice a
///      member leaving.
///      Checks: each host is checked for an epoch by the other hosts the epoch's seed seats on its
///      committee. They seal their results during the next epoch, reveal them in the one after, a
///      host may contest a false fail then and in the third, and the result of a strict majority is
///      attested in the fourth: its units (`held * passes`, none below `PASS_MIN` of `CHALLENGES`)
///      share that epoch's hosting pot, claimable from the fifth.
///      Units are pay only: they carry no vote and no standing, and expire with their epoch.
contract Grid is SignedActions, IGrid, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The longest endpoint accepted, in bytes.
    uint256 public constant MAX_ENDPOINT_BYTES = 256;
    /// @notice The longest evidence CID accepted, in bytes.
    uint256 public constant MAX_EVIDENCE_BYTES = 128;
    /// @notice Challenges per host and epoch (each a walk from a file's root to a leaf).
    uint256 public constant CHALLENGES = 10;
    /// @notice The passes a host needs to be paid: nine of ten (a pass rate of 90 %).
    uint256 public constant PASS_MIN = 9;
    /// @notice Expected checkers per host: each other host sits with chance COMMITTEE / hosts.
    uint256 public constant COMMITTEE = 3;

    address private constant _ETH = address(0);
    bytes32 private constant _SEAL_TYPEHASH = keccak256(
        "SealCheck(address checker,uint256 epoch,address host,bytes32 sealed,uint256 nonce,uint256 deadline)"
    );

    bytes32 private constant _REGISTER_TYPEHASH =
        keccak256("RegisterHost(address host,bytes endpoint,uint256 nonce,uint256 deadline)");
    bytes32 private constant _UNREGISTER_TYPEHASH =
        keccak256("UnregisterHost(address host,uint256 nonce,uint256 deadline)");

    ICharter private immutable _charter;
    IMembership private immutable _membership;
    IPayoutSplitter private immutable _splitter;

    mapping(address host => Host) private _hosts;
    address[] private _list;

    /// @dev The seed block chosen and not yet used: one word for every epoch (a second epoch
    ///      scheduled before the first was fixed takes it over; the first is scheduled again).
    ///      Never zero after deployment, so that choosing a block rewrites a warm word (5,000 gas)
    ///      rather than filling a fresh one (22,100): each of the two calls stays under 50,000.
    struct Pending {
        uint64 epoch;
        uint48 seedBlock;
        uint32 hosts;
    }

    /// @dev An epoch's seed and the hosts registered when its block was chosen (the committees'
    ///      divisor: a checker sits with probability COMMITTEE / hosts, checkable in O(1)).
    struct Seed {
        uint64 seed;
        uint32 hosts;
    }

    Pending private _pending;
    mapping(uint256 epoch => Seed) private _seeds;

    mapping(uint256 epoch => mapping(address host => mapping(address checker => bytes32 sealed_))) private _seals;
    /// @dev checkers who revealed each result: keccak256(epoch, host, held, passes) -> count
    mapping(bytes32 result => uint256 votes) private _votes;
    mapping(uint256 epoch => mapping(address host => Tally tally)) private _tallies;
    /// @dev the epoch's attested units plus one, written by its first seal: an attestation then
    ///      rewrites a warm word (under 60,000 gas in all) instead of filling a fresh one
    mapping(uint256 epoch => uint256 units) private _units;
    /// @dev an epoch's pot plus one once fixed (0: not fixed)
    mapping(uint256 epoch => mapping(address token => uint256 pot)) private _pots;
    mapping(uint256 epoch => mapping(address host => mapping(address token => bool))) private _claimed;

    constructor(ICharter charter_, IMembership membership_, IPayoutSplitter splitter_)
        SignedActions("Starfish Grid", "1")
    {
        _charter = charter_;
        _membership = membership_;
        _splitter = splitter_;
        _pending = Pending(type(uint64).max, 0, 0);
        emit GridWired(address(splitter_), address(charter_), address(membership_));
    }

    /// @notice ETH arrives only as hosting pay released by the splitter.
    receive() external payable {
        if (msg.sender != address(_splitter)) revert GridUnexpectedEth(msg.sender);
    }

    // ----------------------------------------------------------------- hosts

    /// @inheritdoc IGrid
    function registerHost(bytes calldata endpoint) external {
        _register(msg.sender, endpoint);
    }

    /// @inheritdoc IGrid
    function registerHostBySig(
        address host,
        bytes calldata endpoint,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _verifySigned(
            host, keccak256(abi.encode(_REGISTER_TYPEHASH, host, keccak256(endpoint), nonce, deadline)), nonce, deadline,
            signature
        );
        _register(host, endpoint);
    }

    /// @inheritdoc IGrid
    function unregisterHost() external {
        _unregister(msg.sender);
    }

    /// @inheritdoc IGrid
    function unregisterHostBySig(address host, uint256 nonce, uint256 deadline, bytes calldata signature) external {
        _verifySigned(host, keccak256(abi.encode(_UNREGISTER_TYPEHASH, host, nonce, deadline)), nonce, deadline, signature);
        _unregister(host);
    }

    // ----------------------------------------------------------------- seeds

    /// @inheritdoc IGrid
    function fixSeed(uint256 epoch) external returns (uint256 seed) {
        if (_seeds[epoch].seed != 0) revert GridSeedAlreadyFixed(epoch);
        Pending memory p = _pending;
        if (p.epoch != epoch || block.number > uint256(p.seedBlock) + 256) {
            // the first call (only once the epoch is over), or the chosen block's hash is gone
            // (nobody fixed it in time): the next block's hash, unknown now, will seed the epoch
            uint256 current = _charter.currentEpoch();
            if (epoch >= current) revert GridEpochNotOver(epoch, current);
            // another epoch's block, still readable and not used: it is fixed first. Else whoever
            // disliked the seed that block's hash gives could replace it by scheduling any other
            // epoch, then choose a new block for this one: a free retry of the draw.
            if (p.seedBlock != 0 && p.epoch != epoch && block.number <= uint256(p.seedBlock) + 256 && _seeds[p.epoch].seed == 0)
            {
                revert GridSeedPending(p.epoch, p.seedBlock);
            }
            _pending = Pending(uint64(epoch), uint48(block.number + 1), uint32(_list.length));
            emit SeedScheduled(epoch, block.number + 1, _list.length);
            return 0;
        }
        // scheduled after the epoch ended (checked then): only the block's hash is waited for
        if (block.number <= p.seedBlock) revert GridSeedNotReady(epoch, p.seedBlock);
        seed = uint64(uint256(keccak256(abi.encode(blockhash(p.seedBlock), epoch)))) | 1;
        _seeds[epoch] = Seed(uint64(seed), p.hosts);
        emit SeedFixed(epoch, seed, p.seedBlock, p.hosts);
    }

    // ----------------------------------------------------------------- checks and pay

    /// @inheritdoc IGrid
    function sealCheck(uint256 epoch, address host, bytes32 sealed_) external {
        _seal(msg.sender, epoch, host, sealed_);
    }

    /// @inheritdoc IGrid
    function sealCheckBySig(
        address checker,
        uint256 epoch,
        address host,
        bytes32 sealed_,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _verifySigned(
            checker, keccak256(abi.encode(_SEAL_TYPEHASH, checker, epoch, host, sealed_, nonce, deadline)), nonce,
            deadline, signature
        );
        _seal(checker, epoch, host, sealed_);
    }

    /// @inheritdoc IGrid
    function revealCheck(uint256 epoch, address host, address checker, Result calldata result, bytes32 salt) external {
        _window(epoch, 2);
        uint256 passes = result.passes;
        if (passes > CHALLENGES || result.evidence.length > MAX_EVIDENCE_BYTES) {
            revert GridBadResult(passes, result.evidence.length);
        }
        if (_seals[epoch][host][checker] != _checkSeal(checker, epoch, host, result, salt)) {
            revert GridSealMismatch(epoch, host, checker);
        }
        // the seal's word now holds what a contest must name: never a seal again (nor opened twice)
        _seals[epoch][host][checker] = _revealedWord(result.held, passes, keccak256(abi.encode(result.failed)));
        Tally memory t = _tallies[epoch][host];
        t.revealed += 1;
        _vote(epoch, host, t, result.held, uint8(passes));
        emit CheckRevealed(epoch, host, checker, result.held, passes, result.evidence, result.failed);
    }

    /// @inheritdoc IGrid
    function contest(
        uint256 epoch,
        address host,
        address checker,
        uint64 held,
        uint8 passes,
        bytes32[] calldata failed,
        bytes[] calldata blocks
    ) external {
        Tally memory t = _tallies[epoch][host];
        _contestable(epoch, t.attested);
        if (_seals[epoch][host][checker] != _revealedWord(held, passes, keccak256(abi.encode(failed)))) {
            revert GridSealMismatch(epoch, host, checker);
        }
        uint8 proven = _prove(passes, failed, blocks);
        _seals[epoch][host][checker] = _revealedWord(held, proven, keccak256(abi.encode(new bytes32[](0))));
        // the checker's vote moves from what it revealed to what the blocks prove
        uint256 left = --_votes[keccak256(abi.encode(epoch, host, held, passes))];
        if (t.held == held && t.passes == passes) t.votes = uint32(left);
        _vote(epoch, host, t, held, proven);
        emit CheckContested(epoch, host, checker, proven);
    }

    /// @inheritdoc IGrid
    function attest(uint256 epoch, address host) external returns (uint256 units) {
        _window(epoch, 4);
        Tally memory t = _tallies[epoch][host];
        // with one or two hosts a host has at most one possible checker; else two must agree
        uint256 needed = _seeds[epoch].hosts > 2 ? 2 : 1;
        if (t.attested || t.votes < needed || uint256(t.votes) * 2 <= t.revealed) {
            revert GridNoAttestation(epoch, host, t.votes, t.revealed);
        }
        _tallies[epoch][host].attested = true;
        if (t.passes >= PASS_MIN) {
            units = uint256(t.held) * t.passes;
            _units[epoch] += units; // written (to 1) by the first seal of the epoch
        }
        emit HostAttested(epoch, host, t.held, t.passes, units);
    }

    /// @inheritdoc IGrid
    function claimHostingPay(address host, uint256 epoch, address token)
        external
        nonReentrant
        returns (uint256 amount)
    {
        if (_charter.currentEpoch() < epoch + 5) revert GridHostingPayOpen(epoch);
        Tally memory t = _tallies[epoch][host];
        if (!t.attested || t.passes < PASS_MIN || t.held == 0 || _claimed[epoch][host][token]) {
            revert GridNoHostingPay(host, epoch, token);
        }
        uint256 pot = _pots[epoch][token];
        if (pot == 0) {
            pot = _release(token); // what arrived from the splitter: every hosts' share kept since the last pot
            _pots[epoch][token] = pot + 1;
            emit HostingPotFixed(epoch, token, pot);
        } else {
            pot -= 1;
        }
        // the epoch's units include this host's, so the share is at most the pot; rounded down
        amount = Math.mulDiv(pot, uint256(t.held) * t.passes, _units[epoch] - 1);
        if (amount == 0) revert GridNoHostingPay(host, epoch, token);
        _claimed[epoch][host][token] = true;
        emit HostingPayClaimed(host, epoch, token, amount);
        if (token == _ETH) {
            (bool ok,) = host.call{value: amount}("");
            if (!ok) revert GridEthTransferFailed(host, amount);
        } else {
            IERC20(token).safeTransfer(host, amount);
        }
    }

    // ----------------------------------------------------------------- views

    /// @inheritdoc IGrid
    function checkSeal(address checker, uint256 epoch, address host, Result calldata result, bytes32 salt)
        external
        pure
        returns (bytes32)
    {
        return _checkSeal(checker, epoch, host, result, salt);
    }

    /// @inheritdoc IGrid
    function sealOf(uint256 epoch, address host, address checker) external view returns (bytes32) {
        return _seals[epoch][host][checker];
    }

    /// @inheritdoc IGrid
    function tallyOf(uint256 epoch, address host) external view returns (Tally memory) {
        return _tallies[epoch][host];
    }

    /// @inheritdoc IGrid
    function epochUnits(uint256 epoch) external view returns (uint256) {
        uint256 stored = _units[epoch];
        return stored == 0 ? 0 : stored - 1;
    }

    /// @inheritdoc IGrid
    function hostingPot(uint256 epoch, address token) external view returns (uint256 pot, bool fixed_) {
        uint256 stored = _pots[epoch][token];
        return stored == 0 ? (0, false) : (stored - 1, true);
    }

    /// @inheritdoc IGrid
    function hostingPayClaimed(uint256 epoch, address host, address token) external view returns (bool) {
        return _claimed[epoch][host][token];
    }

    /// @inheritdoc IGrid
    function seedOf(uint256 epoch) external view returns (uint256 seed, uint256 hosts) {
        Seed memory s = _seeds[epoch];
        return (s.seed, s.hosts);
    }

    /// @inheritdoc IGrid
    function pendingSeed() external view returns (uint256 epoch, uint256 seedBlock, uint256 hosts) {
        Pending memory p = _pending;
        return (p.epoch, p.seedBlock, p.hosts);
    }

    /// @inheritdoc IGrid
    function hostOf(address host) external view returns (Host memory) {
        return _hosts[host];
    }

    /// @inheritdoc IGrid
    function hostCount() external view returns (uint256) {
        return _list.length;
    }

    /// @inheritdoc IGrid
    function hostAt(uint256 index) external view returns (address) {
        return _list[index];
    }

    /// @notice The charter, membership and splitter this grid reads.
    function wiring() external view returns (ICharter, IMembership, IPayoutSplitter) {
        return (_charter, _membership, _splitter);
    }

    // ----------------------------------------------------------------- internal

    function _register(address host, bytes calldata endpoint) private {
        if (endpoint.length == 0 || endpoint.length > MAX_ENDPOINT_BYTES) revert GridBadEndpoint(endpoint.length);
        if (!_membership.isActive(host)) revert GridNotActiveMember(host);
        // points settled before this epoch began: what was awarded since cannot buy a slot now
        uint256 start = _charter.currentEpochStart();
        if (start >= block.timestamp) start = block.timestamp - 1;
        uint256 standing = _splitter.pointsAt(host, start);
        uint256 required = _charter.parameter(ICharter.Parameter.HostMinStanding);
        if (standing < required || standing == 0) revert GridStandingTooLow(host, standing, required);
        Host memory h = _hosts[host];
        if (h.slot == 0) {
            _list.push(host);
            h.slot = uint32(_list.length);
            h.since = uint64(block.timestamp);
        }
        // a new endpoint keeps `since`: the host has hosted without a break since then
        _hosts[host] = Host(h.slot, h.since, keccak256(endpoint));
        emit HostRegistered(host, endpoint);
    }

    function _unregister(address host) private {
        uint256 slot = _hosts[host].slot;
        if (slot == 0) revert GridNotHost(host);
        address last = _list[_list.length - 1];
        if (last != host) {
            _list[slot - 1] = last;
            _hosts[last].slot = uint32(slot);
        }
        _list.pop();
        delete _hosts[host];
        emit HostUnregistered(host);
    }

    function _seal(address checker, uint256 epoch, address host, bytes32 sealed_) private {
        _window(epoch, 1);
        Seed memory s = _seeds[epoch];
        if (s.seed == 0) revert GridSeedNotFixed(epoch);
        // the seat rule of `domain/grid.py`: keccak256(seed ‖ host ‖ checker) mod hosts < COMMITTEE
        uint256 draw = uint256(keccak256(abi.encodePacked(s.seed, host, checker)));
        if (checker == host || draw % (s.hosts == 0 ? 1 : s.hosts) >= COMMITTEE) {
            revert GridNotOnCommittee(epoch, host, checker);
        }
        uint256 start = _charter.epochStart(epoch);
        Host memory h = _hosts[host];
        if (h.slot == 0 || h.since >= start) revert GridNotCounted(epoch, host);
        h = _hosts[checker];
        if (h.slot == 0 || h.since >= start) revert GridNotCounted(epoch, checker);
        if (!_membership.isActive(checker)) revert GridNotActiveMember(checker);
        uint256 standing = _splitter.pointsAt(checker, start);
        uint256 required = _charter.parameter(ICharter.Parameter.HostMinStanding);
        if (standing < required || standing == 0) revert GridStandingTooLow(checker, standing, required);
        if (sealed_ == bytes32(0)) revert GridBadSeal(epoch, host, checker);
        _seals[epoch][host][checker] = sealed_;
        if (_units[epoch] == 0) _units[epoch] = 1;
        emit CheckSealed(epoch, host, checker, sealed_);
    }

    /// @dev Refuses unless the current epoch is `epoch + step` (1: sealing, 2: revealing, 4: attesting).
    function _window(uint256 epoch, uint256 step) private view {
        uint256 current = _charter.currentEpoch();
        if (current != epoch + step) revert GridCheckClosed(epoch, current);
    }

    function _checkSeal(address checker, uint256 epoch, address host, Result calldata r, bytes32 salt)
        private
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(checker, epoch, host, r.held, r.passes, keccak256(r.evidence), keccak256(abi.encode(r.failed)), salt)
        );
    }

    /// @dev A contest is heard during `epoch + 2` and `epoch + 3`: a whole epoch after the last reveal,
    ///      before anyone may attest (`epoch + 4`), so a late false fail still leaves time to answer it.
    function _contestable(uint256 epoch, bool attested) private view {
        uint256 current = _charter.currentEpoch();
        if ((current != epoch + 2 && current != epoch + 3) || attested) revert GridCheckClosed(epoch, current);
    }

    /// @dev Each block must hash (sha-256) to the digest the checker named for it; returns the passes
    ///      with one more per block proven, at most `CHALLENGES`.
    function _prove(uint8 passes, bytes32[] calldata failed, bytes[] calldata blocks) private pure returns (uint8) {
        if (failed.length == 0 || blocks.length != failed.length) revert GridBadContest(blocks.length);
        for (uint256 i; i < failed.length; ++i) {
            if (sha256(blocks[i]) != failed[i]) revert GridBadContest(i);
        }
        uint256 proven = uint256(passes) + failed.length;
        return uint8(proven > CHALLENGES ? CHALLENGES : proven);
    }

    function _revealedWord(uint64 held, uint256 passes, bytes32 failedHash) private pure returns (bytes32) {
        return keccak256(abi.encode(held, passes, failedHash));
    }

    /// @dev One more vote for (held, passes); the tally keeps the result with the most votes so far
    ///      (the first to reach a count keeps it): a strict majority, if there is one, is always it.
    ///      A contest first takes a vote away from what was revealed: a result that held a strict
    ///      majority before and still does is still the one kept, so the attestation stays right.
    function _vote(uint256 epoch, address host, Tally memory t, uint64 held, uint8 passes) private {
        uint256 votes = ++_votes[keccak256(abi.encode(epoch, host, held, passes))];
        if (votes > t.votes) (t.votes, t.held, t.passes) = (uint32(votes), held, passes);
        _tallies[epoch][host] = t;
    }

    /// @dev Takes the hosts' share the splitter kept since its last release; returns what arrived
    ///      (a token that charges for transfers delivers less than it was sent).
    function _release(address token) private returns (uint256) {
        uint256 before = token == _ETH ? address(this).balance : IERC20(token).balanceOf(address(this));
        _splitter.releaseHostingPay(token);
        uint256 balance = token == _ETH ? address(this).balance : IERC20(token).balanceOf(address(this));
        return balance - before;
    }
}
