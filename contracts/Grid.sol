// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

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
contract Grid is SignedActions, IGrid {
    /// @notice The longest endpoint accepted, in bytes.
    uint256 public constant MAX_ENDPOINT_BYTES = 256;

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

    constructor(ICharter charter_, IMembership membership_, IPayoutSplitter splitter_)
        SignedActions("Starfish Grid", "1")
    {
        _charter = charter_;
        _membership = membership_;
        _splitter = splitter_;
        _pending = Pending(type(uint64).max, 0, 0);
        emit GridWired(address(splitter_), address(charter_), address(membership_));
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

    // ----------------------------------------------------------------- views

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
        }
        _hosts[host] = Host(h.slot, uint64(block.timestamp), keccak256(endpoint));
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
}
