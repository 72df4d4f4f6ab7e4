// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title The grid: members who host the community's files, each epoch's seed, the checks of every
///        host by a committee of the others, and the hosts' pay.
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
    /// @notice Thrown when a check is sealed, revealed or attested outside its epoch: sealed during
    ///         `epoch + 1`, revealed during `epoch + 2`, contested then or during `epoch + 3`, attested
    ///         during `epoch + 4`.
    error GridCheckClosed(uint256 epoch, uint256 current);
    /// @notice Thrown when checking an epoch whose seed is not fixed.
    error GridSeedNotFixed(uint256 epoch);
    /// @notice Thrown when `checker` does not sit on `host`'s committee for `epoch` (by the seat rule).
    error GridNotOnCommittee(uint256 epoch, address host, address checker);
    /// @notice Thrown when `who` was not a registered host before `epoch` began (a host checked, or a checker).
    error GridNotCounted(uint256 epoch, address who);
    /// @notice Thrown when a contest proves nothing: no failed block named, a block missing, or a
    ///         block that does not hash to the digest the checker named.
    error GridBadContest(uint256 index);
    /// @notice Thrown when a seal is empty, or already revealed.
    error GridBadSeal(uint256 epoch, address host, address checker);
    /// @notice Thrown when a reveal does not match its seal (or nothing was sealed).
    error GridSealMismatch(uint256 epoch, address host, address checker);
    /// @notice Thrown when a result claims more passes than there are challenges, or its evidence CID is too long.
    error GridBadResult(uint256 passes, uint256 evidenceLength);
    /// @notice Thrown when no result was revealed by a majority of `host`'s revealing checkers (and at
    ///         least two of them when more than two hosts were registered), or it is attested already.
    error GridNoAttestation(uint256 epoch, address host, uint256 votes, uint256 revealed);
    /// @notice Thrown when claiming hosting pay before `epoch + 5` began.
    error GridHostingPayOpen(uint256 epoch);
    /// @notice Thrown when `host` has no (more) hosting pay for `epoch` in `token`.
    error GridNoHostingPay(address host, uint256 epoch, address token);
    /// @notice Thrown when ETH arrives from anyone but the splitter.
    error GridUnexpectedEth(address from);
    /// @notice Thrown when paying ETH to a host fails.
    error GridEthTransferFailed(address host, uint256 amount);

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
    /// @notice Emitted when `checker` seals its result of checking `host` for `epoch`.
    event CheckSealed(uint256 indexed epoch, address indexed host, address indexed checker, bytes32 sealed_);
    /// @notice Emitted when `checker`'s result is revealed: the bytes `host` was to hold (`held`),
    ///         how many of the `CHALLENGES` challenges it passed, and the CID of the evidence (each
    ///         block fetched, its hash and time to first byte), pinned by the checker.
    ///         `failed` names the sha-256 digest of the block each failed walk stopped at: what a
    ///         host may prove it held by `contest`.
    event CheckRevealed(
        uint256 indexed epoch,
        address indexed host,
        address indexed checker,
        uint256 held,
        uint256 passes,
        bytes evidence,
        bytes32[] failed
    );
    /// @notice Emitted when `host` proves on-chain every block `checker` said it failed to serve:
    ///         that checker's result now counts `passes` (one more per block proven).
    event CheckContested(uint256 indexed epoch, address indexed host, address indexed checker, uint256 passes);
    /// @notice Emitted when `host`'s result for `epoch` is attested: the majority's `held` and
    ///         `passes`, and its hosting units (`held * passes`, 0 below `PASS_MIN` passes).
    event HostAttested(uint256 indexed epoch, address indexed host, uint256 held, uint256 passes, uint256 units);
    /// @notice Emitted when the hosting pot of `epoch` in `token` is fixed (at its first claim): every
    ///         hosts' share the splitter kept since the last pot.
    event HostingPotFixed(uint256 indexed epoch, address indexed token, uint256 pot);
    /// @notice Emitted when `host` is paid its share of `epoch`'s hosting pot in `token`.
    event HostingPayClaimed(address indexed host, uint256 indexed epoch, address indexed token, uint256 amount);

    /// @notice A host's record: its place in the list plus one (0: not a host), when it last
    ///         registered, and the keccak256 of its endpoint (the bytes are in `HostRegistered`).
    struct Host {
        uint32 slot;
        uint64 since;
        bytes32 endpointHash;
    }

    /// @notice A checker's result: the bytes the host was to hold, its passes out of `CHALLENGES`,
    ///         the CID of the evidence (pinned by the checker), and the sha-256 digests of the blocks
    ///         its failed walks stopped at.
    struct Result {
        uint64 held;
        uint8 passes;
        bytes evidence;
        bytes32[] failed;
    }

    /// @notice The checks of one host in one epoch: how many checkers revealed, and the result most
    ///         of them revealed so far (`votes` of them), and whether it is attested.
    struct Tally {
        uint32 revealed;
        uint32 votes;
        uint64 held;
        uint8 passes;
        bool attested;
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
    /// @notice `checker` seals its result of checking `host` for `epoch`, during epoch `epoch + 1`:
    ///         `sealed_ = checkSeal(checker, epoch, host, result, salt)`. The checker
    ///         sits on the host's committee by the seat rule, and both were registered hosts before
    ///         `epoch` began; the checker is an active member who held `hostMinStanding` then (a
    ///         Sybil without standing can neither host nor check). A seal may be replaced until revealed.
    function sealCheck(uint256 epoch, address host, bytes32 sealed_) external;
    /// @notice `sealCheck` for `checker`, by its EIP-712 signature
    ///         `SealCheck(address checker,uint256 epoch,address host,bytes32 sealed,uint256 nonce,uint256 deadline)`.
    function sealCheckBySig(
        address checker,
        uint256 epoch,
        address host,
        bytes32 sealed_,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;
    /// @notice Reveals `checker`'s sealed result, by anyone, during epoch `epoch + 2`.
    function revealCheck(uint256 epoch, address host, address checker, Result calldata result, bytes32 salt)
        external;
    /// @notice Overturns `checker`'s false fail of `host` (during `epoch + 2` or `epoch + 3`, before the
    ///         attestation): `blocks` are the blocks named by the checker's revealed `failed` digests,
    ///         in order, each hashing to its digest; the result then counts one more pass per block.
    ///         Expensive by design (the blocks are calldata: about 40 gas a byte): a rare path.
    function contest(
        uint256 epoch,
        address host,
        address checker,
        uint64 held,
        uint8 passes,
        bytes32[] calldata failed,
        bytes[] calldata blocks
    ) external;
    /// @notice Records `host`'s result for `epoch`, by anyone, during epoch `epoch + 4`: the result a
    ///         strict majority of its revealing checkers revealed (at least two of them when more than
    ///         two hosts were registered). Its units count in the epoch's hosting pay. Returns them.
    function attest(uint256 epoch, address host) external returns (uint256 units);
    /// @notice Pays `host` its share of `epoch`'s hosting pot in `token` (by anyone, from epoch
    ///         `epoch + 5` on): pot * units / the epoch's units, rounded down.
    function claimHostingPay(address host, uint256 epoch, address token) external returns (uint256 amount);

    /// @notice The seal of a result (what `sealCheck` takes).
    function checkSeal(address checker, uint256 epoch, address host, Result calldata result, bytes32 salt)
        external
        pure
        returns (bytes32);
    /// @notice `checker`'s seal for `host` in `epoch` (0: none); once revealed,
    ///         keccak256(abi.encode(held, passes, keccak256(abi.encode(failed)))).
    function sealOf(uint256 epoch, address host, address checker) external view returns (bytes32);
    /// @notice The checks of `host` in `epoch`.
    function tallyOf(uint256 epoch, address host) external view returns (Tally memory);
    /// @notice The hosting units attested in `epoch` (what its pot is divided by).
    function epochUnits(uint256 epoch) external view returns (uint256);
    /// @notice `epoch`'s hosting pot in `token`, and whether it is fixed.
    function hostingPot(uint256 epoch, address token) external view returns (uint256 pot, bool fixed_);
    /// @notice Whether `host` was paid for `epoch` in `token`.
    function hostingPayClaimed(uint256 epoch, address host, address token) external view returns (bool);
    /// @notice `host`'s record (a zero record: not a host).
    function hostOf(address host) external view returns (Host memory);
    /// @notice How many hosts are registered.
    function hostCount() external view returns (uint256);
    /// @notice The `index`-th registered host (the list's order changes as hosts leave).
    function hostAt(uint256 index) external view returns (address);
}
