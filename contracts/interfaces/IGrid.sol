// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title The grid: members who host the community's files, and each epoch's seed.
/// @notice A member with standing registers an endpoint (a trustless-gateway URL and/or a multiaddr).
///         Which files each host holds is computed off-chain by anyone, from the chain alone: the
///         files the community depends on go to the `hostReplicas` eligible hosts ranked highest by
///         `keccak256(cid, host, seed)` (rendezvous hashing), with the seed of the epoch fixed here
///         from a block hash nobody knew when the epoch ended. The contract never iterates hosts or
///         files: registering, leaving and fixing a seed are O(1).
interface IGrid {
    /// @notice Thrown when a host is not an active member (a leaver or a suspended member cannot host).
    error GridNotActiveMember(address host);
    /// @notice Thrown when a host held fewer points than the charter's `hostMinStanding` as the epoch began.
    error GridStandingTooLow(address host, uint256 standing, uint256 required);
    /// @notice Thrown when an endpoint is empty or longer than `MAX_ENDPOINT_BYTES`.
    error GridBadEndpoint(uint256 length);
    /// @notice Thrown when unregistering an address that is not a host.
    error GridNotHost(address host);
    /// @notice Thrown when fixing the seed of an epoch that has not ended.
    error GridEpochNotOver(uint256 epoch, uint256 current);
    /// @notice Thrown when an epoch's seed is already fixed.
    error GridSeedAlreadyFixed(uint256 epoch);
    /// @notice Thrown when the seed's block is not mined yet.
    error GridSeedNotReady(uint256 epoch, uint256 seedBlock);
    /// @notice Thrown when another epoch's seed block is chosen and not used yet: fix that one first.
    error GridSeedPending(uint256 epoch, uint256 seedBlock);

    /// @notice Emitted once, at deployment: the splitter this grid reads (so that the grid is found
    ///         from the splitter's address alone: `starfish verify --splitter`).
    event GridWired(address indexed splitter, address charter, address membership);
    /// @notice Emitted when `host` registers or changes its endpoint.
    event HostRegistered(address indexed host, bytes endpoint);
    /// @notice Emitted when `host` stops hosting (by its own action).
    event HostUnregistered(address indexed host);
    /// @notice Emitted when epoch `epoch`'s seed is to come from block `seedBlock`'s hash (first
    ///         call after the epoch ended, or again when that hash was no longer readable), with
    ///         the number of hosts registered then.
    event SeedScheduled(uint256 indexed epoch, uint256 seedBlock, uint256 hosts);
    /// @notice Emitted when epoch `epoch`'s seed is fixed.
    event SeedFixed(uint256 indexed epoch, uint256 seed, uint256 seedBlock, uint256 hosts);

    /// @notice A host's record: its place in the list plus one (0: not a host), when it last
    ///         registered, and the keccak256 of its endpoint (the bytes are in `HostRegistered`).
    struct Host {
        uint32 slot;
        uint64 since;
        bytes32 endpointHash;
    }

    /// @notice Registers `msg.sender` as a host at `endpoint`, or changes its endpoint.
    function registerHost(bytes calldata endpoint) external;
    /// @notice `registerHost` for `host`, by its EIP-712 signature
    ///         `RegisterHost(address host,bytes endpoint,uint256 nonce,uint256 deadline)` (relayable).
    function registerHostBySig(
        address host,
        bytes calldata endpoint,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;
    /// @notice `msg.sender` stops hosting.
    function unregisterHost() external;
    /// @notice `unregisterHost` for `host`, by its EIP-712 signature
    ///         `UnregisterHost(address host,uint256 nonce,uint256 deadline)` (relayable).
    function unregisterHostBySig(address host, uint256 nonce, uint256 deadline, bytes calldata signature) external;
    /// @notice Fixes epoch `epoch`'s seed in two calls, by anyone, once the epoch has ended: the
    ///         first chooses the next block, the second (once that block is mined, within 256
    ///         blocks) stores `keccak256(blockhash(seedBlock), epoch)`, truncated to 64 bits, never 0.
    ///         Returns the seed (0 after the first call). One epoch waits for its block at a time:
    ///         another is scheduled once that one is fixed, or its block's hash is gone.
    function fixSeed(uint256 epoch) external returns (uint256 seed);

    /// @notice Epoch `epoch`'s seed (0 until fixed), and the hosts registered when its block was
    ///         chosen (the divisor of the committees' seat rule).
    function seedOf(uint256 epoch) external view returns (uint256 seed, uint256 hosts);
    /// @notice The epoch whose seed waits for its block, that block, and the hosts registered then
    ///         (epoch 2^64 - 1: none yet).
    function pendingSeed() external view returns (uint256 epoch, uint256 seedBlock, uint256 hosts);
    /// @notice `host`'s record (a zero record: not a host).
    function hostOf(address host) external view returns (Host memory);
    /// @notice How many hosts are registered.
    function hostCount() external view returns (uint256);
    /// @notice The `index`-th registered host (the list's order changes as hosts leave).
    function hostAt(uint256 index) external view returns (address);
}
