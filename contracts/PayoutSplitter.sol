// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ICharter} from "./interfaces/ICharter.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {IPayoutSplitter} from "./interfaces/IPayoutSplitter.sol";
import {Decay} from "./libraries/Decay.sol";
import {Dividend} from "./libraries/Dividend.sol";
import {SignedActions} from "./SignedActions.sol";
import {IERC6372} from "@openzeppelin/contracts/interfaces/IERC6372.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

/// @title Revenue in, pay out by points: a dividend accumulator over decaying points.
/// @dev An account's credited points live in the *group* of the era it was last touched in.
///      `_groupTotals[e]` is exactly the sum of the credited points of the accounts in group `e`,
///      and `_acc[e][token]` is the revenue per credited point of that group, scaled by
///      ACC_PRECISION. A receipt in era `E` gives group `e` the share `floor(T_e >> 32(E-e)) / D`,
///      where `D` is the sum of those floors: so what the groups' members can claim adds up to the
///      receipt, less rounding, after any number of eras. A member's pay since their last
///      settlement is `credited * (acc - snapshot) / ACC_PRECISION`, rounded down. Every rounding
///      goes against the payee, so the contract stays solvent; the remainder is dust it keeps.
///      Nothing loops over members; the loops are over the handful of revenue tokens and the at
///      most six groups whose points have not shifted to zero.
contract PayoutSplitter is IPayoutSplitter, SignedActions, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc IPayoutSplitter
    uint256 public constant ERA_HALVINGS = Decay.ERA_HALVINGS;
    /// @inheritdoc IPayoutSplitter
    uint256 public constant ACC_PRECISION = 1 << Dividend.PRECISION_BITS;
    // keccak256("ClaimTo(address member,address token,address to,uint256 nonce,uint256 deadline)")
    bytes32 public constant CLAIM_TO_TYPEHASH =
        keccak256("ClaimTo(address member,address token,address to,uint256 nonce,uint256 deadline)");
    // keccak256("ClaimIncarnationTo(address member,address token,uint256 incarnation,address to,uint256 nonce,uint256 deadline)")
    bytes32 public constant CLAIM_INCARNATION_TO_TYPEHASH = keccak256(
        "ClaimIncarnationTo(address member,address token,uint256 incarnation,address to,uint256 nonce,uint256 deadline)"
    );
    // keccak256("Delegation(address delegatee,uint256 nonce,uint256 expiry)")
    bytes32 public constant DELEGATION_TYPEHASH = keccak256("Delegation(address delegatee,uint256 nonce,uint256 expiry)");
    /// @dev Credited points stay below 2^192, so a group weighs nothing 6 eras (192 bits) later.
    uint256 private constant _LIVE_GROUPS = 6; // 192 / ERA_HALVINGS
    uint256 private constant _BPS = 10_000;
    address private constant _ETH = address(0);

    /// @dev Credited points, expressed in the account's group (the era it was last touched in), how
    ///      many token delistings the account has settled since, and whether its ETH position may hold
    ///      settled pay. ETH is settled at every touch, so its snapshot is always of the account's
    ///      group and its position needs no era: while `ethOwed` is false the position is known to be
    ///      empty and is neither read nor written, which keeps a steady-state ETH claim to four cold
    ///      slots (the books, the account, the accumulator and the snapshot), as few as
    ///      OpenZeppelin's `PaymentSplitter.release` reads.
    ///      `founder` marks an account that holds genesis standing (`_genesis`), read only then.
    struct Account {
        uint192 credited;
        uint24 era;
        uint24 retiredSeen;
        bool ethOwed;
        bool founder;
    }

    struct Voice {
        address delegatee;
        bool muted;
    }

    /// @dev Wei settled but not yet claimed, and the group whose accumulator the snapshot is of.
    struct Position {
        uint192 owed;
        uint64 era;
    }

    /// @dev What the contract accounts for in one token: every unit it holds (`tracked`) and the
    ///      treasury's share of it.
    struct Book {
        uint128 tracked;
        uint128 treasury;
    }

    /// @dev Credited points (of an account, or the sum of the groups' weights) in `era`, from `time` on.
    struct Kept {
        uint128 reviewers;
        uint128 hosts;
    }

    struct Checkpoint {
        uint40 time;
        uint24 era;
        uint192 credited;
    }

    ICharter private immutable _charter;
    address private immutable _registry;
    address private immutable _grid;
    IMembership private immutable _membership;
    uint256 private immutable _firstEra;

    mapping(address member => Account account) private _accounts;
    mapping(uint256 era => uint256 credited) private _groupTotals;
    /// @dev books are kept per token *incarnation* (`_key(token, incarnation)`; ETH is key 0): a token
    ///      listed again after a delisting starts fresh books, the old ones stay claimable
    mapping(address member => mapping(uint256 key => Position position)) private _positions;
    mapping(address member => mapping(uint256 key => uint256 acc)) private _snapshots;
    mapping(uint256 era => mapping(uint256 key => uint256 acc)) private _acc;
    mapping(address token => Book book) private _books;
    /// @dev the reviewers' and the hosts' shares of receipts not yet released to the registry and the
    ///      grid (tracked, like the treasury); one word, so that a receipt keeps both in one write
    mapping(address token => Kept kept) private _kept;
    mapping(address token => uint256 amount) private _undistributed;
    mapping(address member => Checkpoint[] history) private _history;
    Checkpoint[] private _totalHistory;
    /// @dev whom an account's points vote for (0: the account itself) and whether it is suspended
    ///      (then its points vote for nobody until reinstated); one slot, as an award reads both
    mapping(address member => Voice voice) private _voices;
    /// @dev the credited points that vote for an account: its own, unless delegated, plus those
    ///      delegated to it, summed (and shifted as one sum at era changes)
    mapping(address account => Checkpoint[] votes) private _votes;
    /// @dev The founders' genesis points, in the first era's units (shifted to an era when used):
    ///      standing for reviews, votes and quorums that earns no revenue. Only a slash changes them.
    mapping(address founder => uint256 credited) private _genesis;
    uint256 private _genesisTotal;

    /// @param founders receive `genesisPoints` (18 decimals) each, visible as `PointsAwarded(.., 0, ..)`:
    ///        standing, so that the first work can be judged and the first votes cast, which decays
    ///        like every point and earns no revenue (revenue follows reviewed work only).
    constructor(
        ICharter charter_,
        address registry_,
        address grid_,
        IMembership membership_,
        address[] memory founders,
        uint256[] memory genesisPoints
    ) SignedActions("Starfish Splitter", "1") {
        if (founders.length != genesisPoints.length) revert SplitterGenesisMismatch(founders.length, genesisPoints.length);
        _charter = charter_;
        _registry = registry_;
        _grid = grid_;
        _membership = membership_;
        uint256 halvings = charter_.currentHalvings();
        (uint256 era_, uint256 offset) = Decay.split(halvings);
        _firstEra = era_;
        for (uint256 i; i < founders.length; ++i) {
            address founder = founders[i];
            uint256 before = _genesis[founder];
            uint256 held = before + (genesisPoints[i] << offset);
            _genesis[founder] = held;
            _genesisTotal = _toUint192(_genesisTotal + (genesisPoints[i] << offset));
            _accounts[founder].founder = true;
            // held since time 0, so that the founders can review the deployment's second's work
            _checkpoint(founder, held, era_, 0);
            _changeVotes(founder, before, held, halvings, 0);
            emit PointsAwarded(founder, 0, genesisPoints[i]);
        }
    }

    // ----------------------------------------------------------------- revenue

    /// @notice ETH revenue sent plainly (also with the 2,300-gas stipend of `transfer`/`send`): accepted
    ///         only. It is accounted, as revenue of the points that exist then, by the next `sync`,
    ///         `pay`, claim of ETH, award or slash: each of them settles waiting ETH first, so it is
    ///         never paid to points awarded after it arrived.
    receive() external payable {
        emit EthAccepted(msg.sender, msg.value);
    }

    /// @inheritdoc IPayoutSplitter
    function pay(address token, uint256 amount) external payable nonReentrant {
        if (token == _ETH) {
            if (amount == 0 || msg.value != amount) revert SplitterInvalidAmount(msg.value);
            _sync(_ETH);
            return;
        }
        if (msg.value != 0 || !_charter.isRevenueToken(token)) revert SplitterTokenNotAllowed(token);
        if (amount == 0) revert SplitterInvalidAmount(amount);
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        _receive(token, msg.sender, IERC20(token).balanceOf(address(this)) - before);
    }

    /// @inheritdoc IPayoutSplitter
    function sync(address token) external nonReentrant returns (uint256 amount) {
        if (!_charter.isRevenueToken(token)) revert SplitterTokenNotAllowed(token);
        return _sync(token);
    }

    // ----------------------------------------------------------------- pay out

    /// @inheritdoc IPayoutSplitter
    /// @dev ETH takes the lean path, without the reentrancy lock: see `_claimEth`.
    function claim(address member, address token) external returns (uint256) {
        if (token == _ETH) {
            if (member == address(0)) revert SplitterInvalidRecipient(member);
            return _claimEth(member, member);
        }
        return _claimLocked(member, token, member, _incarnationOf(token));
    }

    /// @inheritdoc IPayoutSplitter
    function claimEth() external returns (uint256) {
        return _claimEth(msg.sender, msg.sender);
    }

    /// @inheritdoc IPayoutSplitter
    function claimIncarnation(address member, address token, uint256 incarnation)
        external
        nonReentrant
        returns (uint256)
    {
        _requireIncarnation(token, incarnation);
        return _claim(member, token, member, incarnation);
    }

    /// @inheritdoc IPayoutSplitter
    function claimTo(address token, address to) external returns (uint256) {
        if (token == _ETH) {
            if (to == address(0)) revert SplitterInvalidRecipient(to);
            return _claimEth(msg.sender, to);
        }
        return _claimLocked(msg.sender, token, to, _incarnationOf(token));
    }

    /// @inheritdoc IPayoutSplitter
    function claimToBySig(
        address member,
        address token,
        address to,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external nonReentrant returns (uint256) {
        bytes32 structHash = keccak256(abi.encode(CLAIM_TO_TYPEHASH, member, token, to, nonce, deadline));
        _verifySigned(member, structHash, nonce, deadline, signature);
        return _claim(member, token, to, _incarnationOf(token));
    }

    /// @inheritdoc IPayoutSplitter
    function claimIncarnationTo(address token, uint256 incarnation, address to) external nonReentrant returns (uint256) {
        _requireIncarnation(token, incarnation);
        return _claim(msg.sender, token, to, incarnation);
    }

    /// @inheritdoc IPayoutSplitter
    function claimIncarnationToBySig(
        address member,
        address token,
        uint256 incarnation,
        address to,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external nonReentrant returns (uint256) {
        bytes32 structHash =
            keccak256(abi.encode(CLAIM_INCARNATION_TO_TYPEHASH, member, token, incarnation, to, nonce, deadline));
        _verifySigned(member, structHash, nonce, deadline, signature);
        _requireIncarnation(token, incarnation);
        return _claim(member, token, to, incarnation);
    }

    /// @inheritdoc IPayoutSplitter
    function spend(address token, address to, uint256 amount) external nonReentrant {
        if (msg.sender != _charter.governance()) revert SplitterUnauthorized(msg.sender);
        if (to == address(0)) revert SplitterInvalidRecipient(to);
        Book memory b = _books[token];
        if (amount == 0) revert SplitterInvalidAmount(amount);
        if (amount > b.treasury) revert SplitterInsufficientTreasury(token, amount, b.treasury);
        // Cannot underflow: the treasury is part of what is tracked.
        _books[token] = Book(b.tracked - uint128(amount), b.treasury - uint128(amount));
        emit TreasurySpent(token, to, amount);
        _transfer(token, to, amount);
    }

    /// @inheritdoc IPayoutSplitter
    /// @dev No lock: only the registry calls, and it is paid before anything else happens.
    function releaseReviewerPay(address token) external returns (uint256 amount) {
        if (msg.sender != _registry) revert SplitterOnlyRegistry(msg.sender);
        amount = _kept[token].reviewers;
        _kept[token].reviewers = 0;
        // Cannot underflow: what is kept for reviewers is part of what is tracked (at most the receipts).
        _books[token].tracked -= uint128(amount);
        _transfer(token, msg.sender, amount);
    }

    /// @inheritdoc IPayoutSplitter
    /// @dev No lock: only the grid calls, and it is paid before anything else happens.
    function releaseHostingPay(address token) external returns (uint256 amount) {
        if (msg.sender != _grid) revert SplitterOnlyGrid(msg.sender);
        amount = _kept[token].hosts;
        _kept[token].hosts = 0;
        // Cannot underflow: what is kept for hosts is part of what is tracked (at most the receipts).
        _books[token].tracked -= uint128(amount);
        _transfer(token, msg.sender, amount);
    }

    /// @inheritdoc IPayoutSplitter
    function rescue(address token, address to, uint256 amount) external nonReentrant {
        if (msg.sender != _charter.governance()) revert SplitterUnauthorized(msg.sender);
        if (token == _ETH || _charter.isRevenueToken(token)) revert SplitterTokenNotAllowed(token);
        if (to == address(0)) revert SplitterInvalidRecipient(to);
        if (amount == 0) revert SplitterInvalidAmount(amount);
        uint256 balance = IERC20(token).balanceOf(address(this));
        uint256 tracked_ = _books[token].tracked;
        uint256 untracked = balance > tracked_ ? balance - tracked_ : 0;
        if (amount > untracked) revert SplitterInsufficientUntracked(token, amount, untracked);
        emit Rescued(token, to, amount);
        IERC20(token).safeTransfer(to, amount);
    }

    // ----------------------------------------------------------------- points

    /// @inheritdoc IPayoutSplitter
    function award(address member, uint256 contributionId, uint256 points, uint256 asOf) external nonReentrant {
        if (msg.sender != _registry) revert SplitterOnlyRegistry(msg.sender);
        (ICharter.RevenueToken[] memory tokens, uint256 listed, uint256 retiredCount) = _settleList(member);
        _syncListed(tokens, listed);
        (uint256 halvings, uint256 then) = _charter.halvingsNowAndAt(asOf);
        uint256 era_ = halvings / ERA_HALVINGS;
        // Credited as if awarded at `asOf`: in the group of that era, then shifted to this one,
        // exactly as an award made then would stand now.
        (uint256 thenEra, uint256 thenOffset) = Decay.split(then);
        _credit(member, contributionId, points, Decay.shift(points << thenOffset, era_ - thenEra), halvings, tokens, retiredCount);
    }

    /// @inheritdoc IPayoutSplitter
    function settleRetired(address member, uint256 max) external nonReentrant returns (uint256 settled) {
        Account memory a = _account(member);
        uint256 seen = a.retiredSeen;
        ICharter.RevenueToken[] memory tokens = _charter.retiredRange(seen, max);
        settled = tokens.length;
        if (settled == 0) return 0;
        // retired books take no more revenue: settling them into the account's own group is final
        if (a.credited != 0) {
            for (uint256 i; i < settled; ++i) {
                _settleInto(member, _key(tokens[i].token, tokens[i].incarnation), a, a.era);
            }
        }
        _accounts[member].retiredSeen = uint24(seen + settled);
        emit RetiredSettled(member, seen + settled);
    }

    /// @inheritdoc IPayoutSplitter
    function suspensionChanged(address holder, bool suspended) external nonReentrant {
        if (msg.sender != address(_membership)) revert SplitterOnlyMembership(msg.sender);
        _voices[holder].muted = suspended;
        uint256 halvings = _charter.currentHalvings();
        uint256 credited = _standingIn(holder, halvings / ERA_HALVINGS);
        if (credited == 0) return;
        if (suspended) _changeVotes(delegates(holder), credited, 0, halvings, block.timestamp);
        else _changeVotes(delegates(holder), 0, credited, halvings, block.timestamp);
    }

    /// @inheritdoc IPayoutSplitter
    function slash(address member, uint256 bps) external nonReentrant {
        if (msg.sender != _charter.governance()) revert SplitterUnauthorized(msg.sender);
        if (bps == 0 || bps > _BPS) revert SplitterInvalidAmount(bps);
        (ICharter.RevenueToken[] memory tokens, uint256 listed, uint256 retiredCount) = _settleList(member);
        _syncListed(tokens, listed);
        uint256 halvings = _charter.currentHalvings();
        uint256 era_ = halvings / ERA_HALVINGS;
        (uint256 before, uint256 seen, bool ethOwed) = _touch(member, era_, tokens, retiredCount);
        uint256 cut = (before * bps) / _BPS;
        uint256 credited = before - cut;
        // Cannot underflow: the group's total includes this account's credited points.
        _groupTotals[era_] -= cut;
        bool founder = _accounts[member].founder;
        _storeAccount(member, Account(uint192(credited), uint24(era_), uint24(seen), ethOwed, founder));
        if (founder) {
            // genesis standing is cut alike; from here on, `before` and `credited` are standing
            (uint256 heldBefore, uint256 held) = _cutGenesis(member, bps, era_);
            before += heldBefore;
            credited += held;
        }
        _checkpoint(member, credited, era_, block.timestamp);
        if (!_voices[member].muted) _changeVotes(delegates(member), before, credited, halvings, block.timestamp);
        emit Slashed(member, bps, (before - credited) >> (halvings % ERA_HALVINGS));
    }

    // ----------------------------------------------------------------- views

    /// @inheritdoc IPayoutSplitter
    function pointsOf(address member) public view returns (uint256) {
        (uint256 era_, uint256 offset) = Decay.split(_charter.currentHalvings());
        Account memory a = _account(member);
        return Decay.shift(a.credited, era_ - a.era) >> offset;
    }

    /// @inheritdoc IPayoutSplitter
    function totalPoints() external view returns (uint256) {
        (uint256 era_, uint256 offset) = Decay.split(_charter.currentHalvings());
        (uint256 weight,,,) = _weights(era_);
        return weight >> offset;
    }

    /// @inheritdoc IPayoutSplitter
    function pointsAt(address member, uint256 time) public view returns (uint256) {
        if (time >= block.timestamp) revert SplitterFutureLookup(time, block.timestamp);
        (uint256 era_, uint256 offset) = Decay.split(_charter.halvingsAt(time));
        Checkpoint memory c = _lookup(_history[member], time);
        return Decay.shift(c.credited, era_ - c.era) >> offset;
    }

    /// @inheritdoc IPayoutSplitter
    function totalPointsAt(uint256 time) public view returns (uint256) {
        if (time >= block.timestamp) revert SplitterFutureLookup(time, block.timestamp);
        (uint256 era_, uint256 offset) = Decay.split(_charter.halvingsAt(time));
        Checkpoint memory c = _lookup(_totalHistory, time);
        return Decay.shift(c.credited, era_ - c.era) >> offset;
    }

    /// @inheritdoc IPayoutSplitter
    function reviewStanding(address member, uint256 epochSnapshot, uint256 snapshot)
        external
        view
        returns (uint256 weight)
    {
        weight = pointsAt(member, snapshot);
        // Without a checkpoint between the two times the earlier value is the larger (decay only
        // lowers it): one lookup answers. After an award or slash in between, look the earlier up.
        if (epochSnapshot < snapshot && _lookup(_history[member], snapshot).time > epochSnapshot) {
            uint256 earlier = pointsAt(member, epochSnapshot);
            if (earlier < weight) weight = earlier;
        }
    }

    /// @inheritdoc IPayoutSplitter
    function standing(address member, uint256 time) external view returns (uint256 then, uint256 current) {
        (uint256 era_, uint256 offset) = Decay.split(_charter.currentHalvings());
        return (pointsAt(member, time), _standingIn(member, era_) >> offset);
    }



    /// @notice `member`'s credited points and the group (era) they are expressed in.
    function account(address member) external view returns (uint256 credited, uint256 era_) {
        Account memory a = _account(member);
        return (a.credited, a.era);
    }

    /// @notice The sum of the credited points of every account in group `era_`.
    function groupTotal(uint256 era_) external view returns (uint256) {
        return _groupTotals[era_];
    }

    /// @notice The era of deployment: no group is older.
    function firstEra() external view returns (uint256) {
        return _firstEra;
    }

    /// @notice The accumulator of an incarnation of `token` in group `era_` (revenue per credited point
    ///         * ACC_PRECISION); ETH's incarnation is 0.
    function accumulator(uint256 era_, address token, uint256 incarnation) external view returns (uint256) {
        return _acc[era_][_key(token, incarnation)];
    }



    /// @inheritdoc IPayoutSplitter
    function claimable(address member, address token) external view returns (uint256 amount) {
        (amount,,) = _owed(member, token, token == _ETH ? 0 : _charter.incarnation(token));
    }

    /// @inheritdoc IPayoutSplitter
    function claimableIncarnation(address member, address token, uint256 incarnation)
        external
        view
        returns (uint256 amount)
    {
        (amount,,) = _owed(member, token, incarnation);
    }

    /// @inheritdoc IPayoutSplitter
    function treasury(address token) external view returns (uint256) {
        return _books[token].treasury;
    }

    /// @inheritdoc IPayoutSplitter
    function kept(address token) external view returns (uint256 reviewers, uint256 hosts) {
        Kept memory k = _kept[token];
        return (k.reviewers, k.hosts);
    }

    /// @inheritdoc IPayoutSplitter
    function undistributed(address token) external view returns (uint256) {
        return _undistributed[token];
    }

    /// @inheritdoc IPayoutSplitter
    function tracked(address token) external view returns (uint256) {
        return _books[token].tracked;
    }

    /// @inheritdoc IPayoutSplitter
    function era() external view returns (uint256) {
        return _charter.currentHalvings() / ERA_HALVINGS;
    }

    /// @notice The contracts this splitter works with.
    function wiring() external view returns (ICharter charter, address registry) {
        return (_charter, _registry);
    }

    /// @notice The grid, which alone may take the hosts' share.
    function grid() external view returns (address) {
        return _grid;
    }


    // ----------------------------------------------------------------- votes (IERC5805)

    /// @inheritdoc IERC6372
    function clock() public view returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @inheritdoc IERC6372
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() external pure returns (string memory) {
        return "mode=timestamp";
    }

    /// @inheritdoc IVotes
    function delegates(address holder) public view returns (address) {
        address delegatee = _voices[holder].delegatee;
        return delegatee == address(0) ? holder : delegatee;
    }

    /// @inheritdoc IVotes
    function getVotes(address holder) external view returns (uint256) {
        (uint256 era_, uint256 offset) = Decay.split(_charter.currentHalvings());
        Checkpoint[] storage votes = _votes[holder];
        uint256 n = votes.length;
        if (n == 0) return 0;
        Checkpoint memory c = votes[n - 1];
        return Decay.shift(c.credited, era_ - c.era) >> offset;
    }

    /// @inheritdoc IVotes
    function getPastVotes(address holder, uint256 timepoint) external view returns (uint256) {
        if (timepoint >= block.timestamp) revert ERC5805FutureLookup(timepoint, clock());
        (uint256 era_, uint256 offset) = Decay.split(_charter.halvingsAt(timepoint));
        Checkpoint memory c = _lookup(_votes[holder], timepoint);
        return Decay.shift(c.credited, era_ - c.era) >> offset;
    }

    /// @inheritdoc IVotes
    function getPastTotalSupply(uint256 timepoint) external view returns (uint256) {
        if (timepoint >= block.timestamp) revert ERC5805FutureLookup(timepoint, clock());
        return totalPointsAt(timepoint);
    }

    /// @inheritdoc IVotes
    function delegate(address delegatee) external {
        _delegate(msg.sender, delegatee);
    }

    /// @inheritdoc IVotes
    /// @dev The signature is EIP-712 `Delegation(address delegatee,uint256 nonce,uint256 expiry)` under
    ///      this contract's domain; nonces are unordered, as for every other signed action.
    function delegateBySig(address delegatee, uint256 nonce, uint256 expiry, uint8 v, bytes32 r, bytes32 s)
        external
    {
        if (block.timestamp > expiry) revert VotesExpiredSignature(expiry);
        address signer =
            ECDSA.recover(_hashTypedDataV4(keccak256(abi.encode(DELEGATION_TYPEHASH, delegatee, nonce, expiry))), v, r, s);
        _useNonce(signer, nonce);
        _delegate(signer, delegatee);
    }


    // ----------------------------------------------------------------- internal

    function _incarnationOf(address token) private view returns (uint256) {
        return token == _ETH ? 0 : _charter.incarnation(token);
    }

    function _requireIncarnation(address token, uint256 incarnation) private view {
        if (token == _ETH ? incarnation != 0 : incarnation == 0 || incarnation > _charter.incarnation(token)) {
            revert SplitterTokenNotAllowed(token);
        }
    }

    /// @dev The books a touch of `member` settles: every listed token (the first `listed`), then every
    ///      incarnation retired since the account last settled, and how many retirements there are.
    ///      An account without credited points has nothing to settle in retired books (they take no
    ///      more revenue): it skips them all, so a newcomer's first award costs the same whatever the
    ///      token history.
    function _settleList(address member)
        private
        view
        returns (ICharter.RevenueToken[] memory tokens, uint256 listed, uint256 retiredCount)
    {
        Account memory a = _account(member);
        uint256 seen = a.credited == 0 ? type(uint256).max : a.retiredSeen;
        (tokens, retiredCount) = _charter.settleList(seen);
        listed = tokens.length - (retiredCount > seen ? retiredCount - seen : 0);
    }

    /// @dev Accounts what arrived plainly in ETH and in every listed token before points change, so it
    ///      is revenue of the points that existed when it arrived.
    function _syncListed(ICharter.RevenueToken[] memory tokens, uint256 listed) private {
        _sync(_ETH);
        for (uint256 i; i < listed; ++i) {
            _sync(tokens[i].token);
        }
    }

    function _sync(address token) private returns (uint256 amount) {
        uint256 balance = token == _ETH ? address(this).balance : IERC20(token).balanceOf(address(this));
        uint256 tracked_ = _books[token].tracked;
        if (balance > tracked_) {
            amount = balance - tracked_;
            _receive(token, msg.sender, amount);
        }
    }

    function _receive(address token, address from, uint256 amount) private {
        if (amount == 0) return;
        (uint256 reserveBps, uint256 reviewerBps, uint256 hostingBps) = _charter.receiptShares();
        uint256 reserve = (amount * reserveBps) / _BPS;
        uint256 reviewers = (amount * reviewerBps) / _BPS;
        uint256 hosts = (amount * hostingBps) / _BPS;
        if (reviewers != 0 || hosts != 0) {
            Kept memory k = _kept[token];
            // each is at most what is tracked, which the checked cast below keeps within uint128
            _kept[token] = Kept(_toUint128(k.reviewers + reviewers), _toUint128(k.hosts + hosts));
        }
        Book memory b = _books[token];
        // uint128 holds 3.4e38 units of a token: more than any token's supply; the checked casts
        // refuse a receipt that would pass it rather than wrap.
        _books[token] = Book(_toUint128(b.tracked + amount), _toUint128(b.treasury + reserve));
        (uint256 era_, uint256 offset) = Decay.split(_charter.currentHalvings());
        _distribute(token, amount - reserve - reviewers - hosts, era_, offset);
        emit RevenueReceived(token, from, amount, reserve);
    }

    /// @dev Shares `amount` among the live groups by their weight now. While nobody holds a point
    ///      (`totalPoints()` is 0: every point has decayed away, or none was ever awarded), it waits as
    ///      `undistributed` and joins the next receipt that can be shared.
    function _distribute(address token, uint256 amount, uint256 era_, uint256 offset) private {
        uint256 key = token == _ETH ? 0 : _key(token, _charter.incarnation(token));
        (uint256 weight, uint256 first, uint256[_LIVE_GROUPS] memory weights, uint256[_LIVE_GROUPS] memory totals) =
            _weights(era_);
        if (weight >> offset == 0) {
            _undistributed[token] += amount;
            return;
        }
        uint256 waiting = _undistributed[token];
        if (waiting != 0) {
            amount += waiting;
            _undistributed[token] = 0;
        }
        for (uint256 i; i < _LIVE_GROUPS; ++i) {
            if (weights[i] == 0) continue;
            uint256 share = Math.mulDiv(amount, weights[i], weight);
            _acc[first + i][key] += Math.mulDiv(share, ACC_PRECISION, totals[i]);
        }
    }

    /// @dev The live groups' weights in era `era_` (their totals shifted to it, rounded down), their sum,
    ///      the oldest live group and the groups' totals.
    function _weights(uint256 era_)
        private
        view
        returns (uint256 weight, uint256 first, uint256[_LIVE_GROUPS] memory weights, uint256[_LIVE_GROUPS] memory totals)
    {
        first = era_ >= _firstEra + (_LIVE_GROUPS - 1) ? era_ - (_LIVE_GROUPS - 1) : _firstEra;
        for (uint256 e = first; e <= era_; ++e) {
            uint256 total = _groupTotals[e];
            if (total == 0) continue;
            uint256 w = Decay.shift(total, era_ - e);
            totals[e - first] = total;
            weights[e - first] = w;
            weight += w;
        }
    }

    /// @dev Adds `points` (shifted by the halvings within the era) to `member`, after settling them.
    function _credit(
        address member,
        uint256 contributionId,
        uint256 points,
        uint256 added,
        uint256 halvings,
        ICharter.RevenueToken[] memory tokens,
        uint256 retiredCount
    ) private {
        uint256 era_ = halvings / ERA_HALVINGS;
        (uint256 before, uint256 seen, bool ethOwed) = _touch(member, era_, tokens, retiredCount);
        uint256 credited = before + added;
        _groupTotals[era_] = _toUint192(_groupTotals[era_] + added);
        Account memory a = _account(member);
        _storeAccount(member, Account(_toUint192(credited), uint24(era_), uint24(seen), ethOwed, a.founder));
        // the standing layers (checkpoints, votes) also hold a founder's genesis; the books do not
        uint256 held = _genesisIn(member, a, era_);
        _checkpoint(member, credited + held, era_, block.timestamp);
        if (!_voices[member].muted) _changeVotes(delegates(member), before + held, credited + held, halvings, block.timestamp);
        emit PointsAwarded(member, contributionId, points);
    }

    /// @dev Settles ETH, every listed token and every token delisted since the account last settled,
    ///      and moves the account into group `era_`: out of the old group's total, shifted by the eras
    ///      passed (the fraction shifted off leaves the member and the total alike), into the new one.
    ///      Returns the credited points in `era_`, the delistings now settled and whether the ETH
    ///      position holds pay; the caller writes the account.
    function _touch(address member, uint256 era_, ICharter.RevenueToken[] memory tokens, uint256 retiredCount)
        private
        returns (uint256 credited, uint256 retiredSeen_, bool ethOwed)
    {
        Account memory a = _account(member);
        retiredSeen_ = retiredCount;
        ethOwed = _settleInto(member, 0, a, era_);
        for (uint256 i; i < tokens.length; ++i) {
            _settleInto(member, _key(tokens[i].token, tokens[i].incarnation), a, era_);
        }
        credited = a.credited;
        if (a.era != era_ && credited != 0) {
            _groupTotals[a.era] -= credited;
            credited = Decay.shift(credited, era_ - a.era);
            _groupTotals[era_] += credited;
        }
    }

    /// @dev Settles books `key` of `member` into group `era_`; returns whether the position now holds
    ///      pay. The ETH position is written only when it holds pay or held it (see `Account`).
    function _settleInto(address member, uint256 key, Account memory a, uint256 era_) private returns (bool owes) {
        uint256 owed = _settled(member, key, a);
        owes = owed != 0;
        if (key != 0) _positions[member][key] = Position(_toUint192(owed), uint64(era_));
        else if (owes) _positions[member][0] = Position(_toUint192(owed), 0);
        else if (a.ethOwed) delete _positions[member][0];
        _snapshots[member][key] = _acc[era_][key];
    }

    /// @dev What `member` (whose account is `a`) is owed under books `key`: the position's settled pay
    ///      plus the credited points times the accumulator's growth since the snapshot, over
    ///      ACC_PRECISION (2^128), rounded down. A token position of another group than the account's
    ///      was never written while these points existed (its token was listed after the account last
    ///      moved), so it starts from zero; ETH's is settled at every touch (see `Account`).
    function _settled(address member, uint256 key, Account memory a) private view returns (uint256 owed) {
        uint256 snapshot = 0; // stays 0 for a token position of another group (see above)
        if (key == 0) {
            if (a.ethOwed) owed = _positions[member][0].owed;
            if (a.credited == 0) return owed;
            snapshot = _snapshots[member][0];
        } else {
            Position memory p = _positions[member][key];
            owed = p.owed;
            if (a.credited == 0) return owed;
            if (p.era == a.era) snapshot = _snapshots[member][key];
        }
        owed += Dividend.earned(a.credited, _acc[a.era][key] - snapshot);
    }

    /// @dev What `member` is owed in an incarnation of `token`, its books' key, and whether those books
    ///      are final for this member (a retired incarnation their account settled when it last moved:
    ///      nothing accrues there any more, whatever group the account is in now).
    function _owed(address member, address token, uint256 incarnation)
        private
        view
        returns (uint256 owed, uint256 key, bool final_)
    {
        key = token == _ETH ? 0 : _key(token, incarnation);
        Account memory a = _account(member);
        uint256 retiredAt = token == _ETH ? 0 : _charter.retiredAt(token, incarnation);
        final_ = retiredAt != 0 && a.retiredSeen >= retiredAt;
        if (final_) owed = _positions[member][key].owed;
        else owed = _settled(member, key, a);
    }

    function _key(address token, uint256 incarnation) private pure returns (uint256) {
        return uint256(uint160(token)) | (incarnation << 160);
    }

    function _claimLocked(address member, address token, address to, uint256 incarnation)
        private
        nonReentrant
        returns (uint256)
    {
        return _claim(member, token, to, incarnation);
    }

    /// @dev A claim of ETH in the fewest steps: four cold slots (the books, the account, the
    ///      accumulator, the snapshot; the position only while `ethOwed`), two writes, one short event
    ///      when paid to the member. It takes no reentrancy lock because it needs none: every write is
    ///      done before the one external call and nothing is read after it, so a payee that calls back
    ///      in finds the books settled (a second claim finds nothing owed) and every other function
    ///      that pays out has done its writes before paying too. Waiting ETH is shared first, as by
    ///      `sync`.
    function _claimEth(address member, address to) private returns (uint256 amount) {
        Book storage book = _books[_ETH];
        uint256 tracked_ = book.tracked;
        uint256 balance = address(this).balance;
        if (balance > tracked_) {
            _receive(_ETH, msg.sender, balance - tracked_);
            tracked_ = balance;
        }
        // the account's word read once, its fields unpacked where used (no copy in memory)
        uint256 word = _accountWord(member);
        bool ethOwed = uint8(word >> 240) != 0;
        uint256 credited = uint192(word);
        if (ethOwed) amount = _positions[member][0].owed;
        mapping(uint256 key => uint256 acc) storage snapshots = _snapshots[member];
        uint256 accNow = 0;
        uint256 snapshot = 0;
        if (credited != 0) {
            accNow = _acc[uint24(word >> 192)][0];
            snapshot = snapshots[0];
            uint256 growth;
            // An accumulator only grows, and the snapshot is an earlier value of the same one (ETH is
            // settled at every touch, into the account's group). Were it ever not, the amount would
            // exceed what is tracked and the checked subtraction from `tracked_` below would revert.
            unchecked {
                growth = accNow - snapshot;
            }
            amount += Dividend.earned(credited, growth);
        }
        // Nothing owed: change nothing (see `_claim`).
        if (amount == 0) return 0;
        if (accNow != snapshot) snapshots[0] = accNow;
        if (ethOwed) {
            delete _positions[member][0];
            _accounts[member].ethOwed = false;
        }
        // The subtraction is checked: it cannot underflow while the books are solvent (what is owed is
        // part of what is tracked), and what is left fits the 128 bits it came from.
        book.tracked = uint128(tracked_ - amount);
        if (to == member) emit EthClaimed(member, amount);
        else emit Claimed(member, _ETH, amount, 0, to, msg.sender);
        _transfer(_ETH, to, amount);
    }

    /// @dev `to` is checked here for every claim but `claim` and `claimTo` of ETH, which check it first.
    function _claim(address member, address token, address to, uint256 incarnation) private returns (uint256 amount) {
        if (to == address(0)) revert SplitterInvalidRecipient(to);
        if (token == _ETH) return _claimEth(member, to);
        uint256 key;
        bool final_;
        (amount, key, final_) = _owed(member, token, incarnation);
        // Nothing owed: change nothing. Moving the snapshot here would re-round the member's share
        // without an event, and the books would no longer follow from the event log alone.
        if (amount == 0) return 0;
        Account memory a = _account(member);
        _positions[member][key] = Position(0, final_ ? _positions[member][key].era : a.era);
        if (!final_) _snapshots[member][key] = _acc[a.era][key];
        _books[token].tracked -= uint128(amount);
        emit Claimed(member, token, amount, incarnation, to, msg.sender);
        _transfer(token, to, amount);
    }

    /// @dev `holder` lends its voice to `delegatee` (an active member; itself or 0 to take it back):
    ///      its credited points, brought to the current era, move from one vote tally to the other.
    function _delegate(address holder, address delegatee) private {
        if (_voices[holder].muted) revert SplitterSuspendedHolder(holder);
        if (delegatee == address(0)) delegatee = holder;
        if (delegatee != holder && !_membership.isActive(delegatee)) revert SplitterInvalidDelegate(delegatee);
        address previous = delegates(holder);
        _voices[holder].delegatee = delegatee == holder ? address(0) : delegatee;
        emit DelegateChanged(holder, previous, delegatee);
        if (previous == delegatee) return;
        uint256 halvings = _charter.currentHalvings();
        uint256 credited = _standingIn(holder, halvings / ERA_HALVINGS);
        if (credited == 0) return;
        _changeVotes(previous, credited, 0, halvings, block.timestamp);
        _changeVotes(delegatee, 0, credited, halvings, block.timestamp);
    }

    /// @dev The votes of `holder` lose `removed` and gain `added` credited points of the era of
    ///      `halvings` (the halvings now, which the caller has read), from `time` on. A vote tally is
    ///      shifted as one sum at era changes, so it is at least the sum of what its voters' points
    ///      shift to: removing one of them never underflows (and anything left over is less than one
    ///      unit per voter).
    function _changeVotes(address holder, uint256 removed, uint256 added, uint256 halvings, uint256 time) private {
        if (removed == added) return;
        (uint256 era_, uint256 offset) = Decay.split(halvings);
        Checkpoint[] storage votes = _votes[holder];
        uint256 n = votes.length;
        uint256 current = 0;
        if (n != 0) {
            Checkpoint memory last = votes[n - 1];
            current = Decay.shift(last.credited, era_ - last.era);
        }
        uint256 updated = current + added - removed;
        _push(votes, updated, era_, time);
        emit DelegateVotesChanged(holder, current >> offset, updated >> offset);
    }

    /// @dev Records `member`'s standing (credited points plus genesis, in era `era_`) and the total
    ///      standing (the groups' weights plus all genesis) from `time` on.
    function _checkpoint(address member, uint256 standing_, uint256 era_, uint256 time) private {
        _push(_history[member], standing_, era_, time);
        (uint256 weight,,,) = _weights(era_);
        _push(_totalHistory, weight + Decay.shift(_genesisTotal, era_ - _firstEra), era_, time);
    }

    /// @dev Cuts `bps` of a founder's genesis standing as a slash cuts points; returns it in era
    ///      `era_` before and after the cut.
    function _cutGenesis(address member, uint256 bps, uint256 era_) private returns (uint256 before, uint256 held) {
        uint256 g = _genesis[member];
        uint256 eras = era_ - _firstEra;
        unchecked {
            // bps <= 10,000, so cut <= g <= the total (which sums every founder's g)
            uint256 cut = (g * bps) / _BPS;
            _genesis[member] = g - cut;
            _genesisTotal -= cut;
            return (Decay.shift(g, eras), Decay.shift(g - cut, eras));
        }
    }

    /// @dev What `member`'s voice weighs in era `era_`: their last recorded standing, shifted.
    function _standingIn(address member, uint256 era_) private view returns (uint256) {
        Checkpoint[] storage history = _history[member];
        uint256 n = history.length;
        if (n == 0) return 0;
        Checkpoint memory c = history[n - 1];
        return Decay.shift(c.credited, era_ - c.era);
    }

    /// @dev A founder's genesis standing in era `era_` (0 for everyone else, without reading it).
    function _genesisIn(address member, Account memory a, uint256 era_) private view returns (uint256) {
        return a.founder ? Decay.shift(_genesis[member], era_ - _firstEra) : 0;
    }

    /// @dev `member`'s account, read in one SLOAD (Solidity's own copy reads the slot once per field).
    ///      The layout is Solidity's: credited in bits 0-191, era 192-215, retiredSeen 216-239,
    ///      ethOwed 240-247, founder 248-255.
    function _account(address member) private view returns (Account memory a) {
        uint256 word = _accountWord(member);
        a = Account(uint192(word), uint24(word >> 192), uint24(word >> 216), uint8(word >> 240) != 0, word >> 248 != 0);
    }

    /// @dev `member`'s account as its storage word.
    function _accountWord(address member) private view returns (uint256 word) {
        Account storage stored = _accounts[member];
        assembly ("memory-safe") {
            word := sload(stored.slot)
        }
    }

    /// @dev Writes `member`'s account in one SSTORE (Solidity's own copy writes it once per field).
    function _storeAccount(address member, Account memory a) private {
        uint256 word = uint256(a.credited) | (uint256(a.era) << 192) | (uint256(a.retiredSeen) << 216)
            | (a.ethOwed ? uint256(1) << 240 : 0) | (a.founder ? uint256(1) << 248 : 0);
        Account storage stored = _accounts[member];
        assembly ("memory-safe") {
            sstore(stored.slot, word)
        }
    }

    /// @dev Records a value from `time` on. Always a new entry, even within one second: the gas of an
    ///      award must not depend on whether the block lands in the same second as the last change,
    ///      or wallets' estimates (made at the latest block's time) would fall short.
    function _push(Checkpoint[] storage history, uint256 credited, uint256 era_, uint256 time) private {
        // Casts are safe: credited points stay below 2^192 (checked when credited), eras below 2^24
        // for longer than the chain will exist, times below 2^40 until the year 36812.
        history.push(Checkpoint(uint40(time), uint24(era_), uint192(credited)));
    }

    /// @dev The last checkpoint at or before `time`, or an empty one. Recent times are the common
    ///      case (a review looks up the standing at its contribution's submission), so the search
    ///      first tries the newest entries, then bisects: O(log n) in this history's length.
    function _lookup(Checkpoint[] storage history, uint256 time) private view returns (Checkpoint memory) {
        uint256 high = history.length;
        if (high == 0) return Checkpoint(0, 0, 0);
        Checkpoint memory last = history[high - 1];
        if (last.time <= time) return last;
        uint256 low;
        while (low < high) {
            uint256 mid = Math.average(low, high);
            if (history[mid].time > time) high = mid;
            else low = mid + 1;
        }
        return high == 0 ? Checkpoint(0, 0, 0) : history[high - 1];
    }

    function _transfer(address token, address to, uint256 amount) private {
        if (token == _ETH) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert SplitterEthTransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    function _toUint128(uint256 x) private pure returns (uint128) {
        if (x > type(uint128).max) revert SplitterInvalidAmount(x);
        return uint128(x);
    }

    function _toUint192(uint256 x) private pure returns (uint192) {
        if (x > type(uint192).max) revert SplitterInvalidAmount(x);
        return uint192(x);
    }
}
