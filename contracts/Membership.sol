// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ICharter} from "./interfaces/ICharter.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {IPayoutSplitter} from "./interfaces/IPayoutSplitter.sol";
import {SignedActions} from "./SignedActions.sol";

/// @title Soulbound membership: anyone may join, anyone may leave, governance may suspend.
/// @dev Suspension belongs to the address, not the token, so leaving and re-joining cannot shed it.
contract Membership is ERC721, SignedActions, IMembership {
    // keccak256("Join(address member,uint256 generation,uint256 nonce,uint256 deadline)")
    bytes32 public constant JOIN_TYPEHASH =
        keccak256("Join(address member,uint256 generation,uint256 nonce,uint256 deadline)");
    // keccak256("Leave(address member,uint256 generation,uint256 nonce,uint256 deadline)")
    bytes32 public constant LEAVE_TYPEHASH =
        keccak256("Leave(address member,uint256 generation,uint256 nonce,uint256 deadline)");
    /// @dev ERC-5192 interface id.
    bytes4 private constant _ERC5192_ID = 0xb45a3c0e;

    /// @dev A member's token id (0 = none), suspension flag and generation (joins plus leaves so
    ///      far), in one word.
    struct Record {
        uint64 tokenId;
        bool suspended;
        uint64 generation;
    }

    ICharter private immutable _charter;
    /// @dev told of every suspension, so that a suspended member's points vote for nobody
    IPayoutSplitter private immutable _splitter;
    mapping(address account => Record record) private _records;
    uint64 private _lastTokenId;
    uint64 private _count;

    /// @dev Nobody is a member at deployment, founders included: everyone joins the same way.
    constructor(ICharter charter_, IPayoutSplitter splitter_)
        ERC721("Starfish Member", "STAR")
        SignedActions("Starfish Membership", "1")
    {
        _charter = charter_;
        _splitter = splitter_;
    }

    // ----------------------------------------------------------------- actions

    /// @inheritdoc IMembership
    function join() external returns (uint256) {
        return _join(msg.sender);
    }

    /// @inheritdoc IMembership
    function joinBySig(address member, uint256 generation_, uint256 nonce, uint256 deadline, bytes calldata signature)
        external
        returns (uint256)
    {
        bytes32 structHash = keccak256(abi.encode(JOIN_TYPEHASH, member, generation_, nonce, deadline));
        _verifySigned(member, structHash, nonce, deadline, signature);
        _requireGeneration(member, generation_);
        return _join(member);
    }

    /// @inheritdoc IMembership
    function leave() external {
        _leave(msg.sender);
    }

    /// @inheritdoc IMembership
    function leaveBySig(address member, uint256 generation_, uint256 nonce, uint256 deadline, bytes calldata signature)
        external
    {
        bytes32 structHash = keccak256(abi.encode(LEAVE_TYPEHASH, member, generation_, nonce, deadline));
        _verifySigned(member, structHash, nonce, deadline, signature);
        _requireGeneration(member, generation_);
        _leave(member);
    }

    /// @inheritdoc IMembership
    function suspend(address account) external {
        _setSuspended(account, true);
        emit Suspended(account);
    }

    /// @inheritdoc IMembership
    function reinstate(address account) external {
        _setSuspended(account, false);
        emit Reinstated(account);
    }

    // ----------------------------------------------------------------- views

    /// @inheritdoc IMembership
    function locked(uint256 tokenId) external view returns (bool) {
        _requireOwned(tokenId);
        return true;
    }

    /// @inheritdoc IMembership
    function tokenOf(address account) external view returns (uint256) {
        return _records[account].tokenId;
    }

    /// @inheritdoc IMembership
    function generation(address account) external view returns (uint256) {
        return _records[account].generation;
    }

    /// @inheritdoc IMembership
    function isMember(address account) external view returns (bool) {
        return _records[account].tokenId != 0;
    }

    /// @inheritdoc IMembership
    function isSuspended(address account) external view returns (bool) {
        return _records[account].suspended;
    }

    /// @inheritdoc IMembership
    function isActive(address account) external view returns (bool) {
        Record memory r = _records[account];
        return r.tokenId != 0 && !r.suspended;
    }

    /// @inheritdoc IMembership
    function memberCount() external view returns (uint256) {
        return _count;
    }

    /// @notice The charter this membership follows.
    function charter() external view returns (ICharter) {
        return _charter;
    }

    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == _ERC5192_ID || super.supportsInterface(interfaceId);
    }

    // ----------------------------------------------------------------- internal

    /// @dev The soulbound rule lives here: only mint (from 0) and burn (to 0) pass.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = super._update(to, tokenId, auth);
        if (from != address(0) && to != address(0)) revert MembershipSoulbound(tokenId);
    }

    function _join(address account) private returns (uint256 tokenId) {
        Record storage r = _records[account];
        if (r.tokenId != 0) revert MembershipAlreadyMember(account);
        unchecked {
            // Cannot overflow: one join per transaction, 2^64 transactions are out of reach.
            tokenId = ++_lastTokenId;
            ++_count;
        }
        r.tokenId = uint64(tokenId);
        unchecked {
            ++r.generation; // one per join or leave of this address: never near 2^64
        }
        _mint(account, tokenId);
        emit Locked(tokenId);
        emit Joined(account, tokenId);
    }

    function _leave(address account) private {
        Record storage r = _records[account];
        uint256 tokenId = r.tokenId;
        if (tokenId == 0) revert MembershipNotMember(account);
        r.tokenId = 0;
        unchecked {
            --_count; // a member exists, so the count is at least one
            ++r.generation;
        }
        _burn(tokenId);
        emit Left(account, tokenId);
    }

    /// @dev A signed Join or Leave names the membership state it was signed in, so a signature
    ///      withheld and replayed later cannot undo what the member did since.
    function _requireGeneration(address account, uint256 expected) private view {
        uint256 current = _records[account].generation;
        if (current != expected) revert MembershipStaleSignature(account, expected, current);
    }

    function _setSuspended(address account, bool suspended) private {
        if (msg.sender != _charter.governance()) revert MembershipUnauthorized(msg.sender);
        Record storage r = _records[account];
        if (r.suspended == suspended) revert MembershipSuspensionUnchanged(account, suspended);
        r.suspended = suspended;
        _splitter.suspensionChanged(account, suspended);
    }
}
