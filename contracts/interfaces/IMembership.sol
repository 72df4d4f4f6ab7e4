// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Soulbound membership (ERC-721 + ERC-5192): one token per address, open to anyone.
interface IMembership {
    /// @notice Thrown when an address that already holds a membership tries to join.
    error MembershipAlreadyMember(address account);
    /// @notice Thrown when an address without a membership tries to leave.
    error MembershipNotMember(address account);
    /// @notice Thrown on any transfer: membership is soulbound.
    error MembershipSoulbound(uint256 tokenId);
    /// @notice Thrown when someone other than governance suspends or reinstates.
    error MembershipUnauthorized(address caller);
    /// @notice Thrown when suspending a suspended address or reinstating one that is not.
    error MembershipSuspensionUnchanged(address account, bool suspended);

    /// @notice Thrown when a signed Join or Leave was signed in another membership state.
    error MembershipStaleSignature(address account, uint256 signedGeneration, uint256 currentGeneration);

    /// @notice ERC-5192: emitted when a token is minted, locked forever.
    event Locked(uint256 tokenId);
    /// @notice Emitted when `member` joins and receives `tokenId`.
    event Joined(address indexed member, uint256 indexed tokenId);
    /// @notice Emitted when `member` leaves and `tokenId` is burned.
    event Left(address indexed member, uint256 indexed tokenId);
    /// @notice Emitted when governance suspends `account` (whether or not it is a member now).
    event Suspended(address indexed account);
    /// @notice Emitted when governance lifts the suspension of `account`.
    event Reinstated(address indexed account);

    /// @notice Joins: mints the caller's membership token.
    function join() external returns (uint256 tokenId);
    /// @notice Joins for `member`, who signed
    ///         `Join(address member,uint256 generation,uint256 nonce,uint256 deadline)` while their
    ///         generation was `generation`.
    function joinBySig(address member, uint256 generation, uint256 nonce, uint256 deadline, bytes calldata signature)
        external
        returns (uint256 tokenId);
    /// @notice Leaves: burns the caller's token. Points and claims are kept.
    function leave() external;
    /// @notice Leaves for `member`, who signed
    ///         `Leave(address member,uint256 generation,uint256 nonce,uint256 deadline)` while their
    ///         generation was `generation`.
    function leaveBySig(address member, uint256 generation, uint256 nonce, uint256 deadline, bytes calldata signature)
        external;
    /// @notice Suspends `account`: it keeps its points and claims but cannot submit or review. Governance only.
    function suspend(address account) external;
    /// @notice Lifts a suspension. Governance only.
    function reinstate(address account) external;

    /// @notice ERC-5192: always true for an existing token.
    function locked(uint256 tokenId) external view returns (bool);
    /// @notice The token held by `account`, or 0.
    function tokenOf(address account) external view returns (uint256);
    /// @notice How many times `account` has joined or left: a signed Join or Leave is valid only in
    ///         the generation it names.
    function generation(address account) external view returns (uint256);
    /// @notice Whether `account` holds a membership.
    function isMember(address account) external view returns (bool);
    /// @notice Whether `account` is suspended.
    function isSuspended(address account) external view returns (bool);
    /// @notice Whether `account` is a member and not suspended.
    function isActive(address account) external view returns (bool);
    /// @notice How many memberships exist now.
    function memberCount() external view returns (uint256);
    /// @notice keccak256("Join(address member,uint256 generation,uint256 nonce,uint256 deadline)")
    function JOIN_TYPEHASH() external view returns (bytes32);
    /// @notice keccak256("Leave(address member,uint256 generation,uint256 nonce,uint256 deadline)")
    function LEAVE_TYPEHASH() external view returns (bytes32);
}
