// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Signed actions: EIP-712 structs with unordered nonces and deadlines.
/// @notice Every contract that accepts signed actions verifies them itself, under its own domain
///         (name, version, chain id, its own address). A nonce is a 256-bit number chosen by the
///         signer; each may be used once, in any order, so one failed action never blocks the next.
interface ISignedActions {
    /// @notice Thrown when a signature's deadline has passed.
    error SignatureExpired(uint256 deadline);
    /// @notice Thrown when a signature does not come from the account it claims to act for.
    error SignatureInvalid(address signer);
    /// @notice Thrown when the signer already used `nonce`.
    error NonceAlreadyUsed(address signer, uint256 nonce);

    /// @notice Emitted when a signer's nonce is consumed (by a signed action or by cancelling it).
    event NonceUsed(address indexed signer, uint256 nonce);

    /// @notice Whether `signer` has used `nonce`.
    function nonceUsed(address signer, uint256 nonce) external view returns (bool);
    /// @notice 256 nonces of `signer` at once: bit `b` of word `w` is nonce `w * 256 + b`. Clients
    ///         pick unused nonces densely (same word) so that marking one used costs a warm write.
    function nonceBitmap(address signer, uint256 word) external view returns (uint256);
    /// @notice The EIP-712 domain separator of this contract on this chain.
    function DOMAIN_SEPARATOR() external view returns (bytes32);
    /// @notice Burns a nonce so that a signature carrying it can never be used.
    function cancelNonce(uint256 nonce) external;
}
