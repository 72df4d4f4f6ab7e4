// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ISignedActions} from "./interfaces/ISignedActions.sol";

/// @title Verification of signed actions under this contract's EIP-712 domain.
/// @dev Unordered nonces in a bitmap, as Permit2 keeps them: word `nonce >> 8`, bit `nonce & 255`.
///      Smart-contract wallets sign through ERC-1271 (SignatureChecker).
abstract contract SignedActions is EIP712, ISignedActions {
    /// @dev signer => word index => 256 nonce bits
    mapping(address signer => mapping(uint256 word => uint256 bits)) private _nonceBitmap;

    constructor(string memory name, string memory version) EIP712(name, version) {}

    /// @inheritdoc ISignedActions
    function nonceUsed(address signer, uint256 nonce) external view returns (bool) {
        return _nonceBitmap[signer][nonce >> 8] & (uint256(1) << (nonce & 0xff)) != 0;
    }

    /// @inheritdoc ISignedActions
    function nonceBitmap(address signer, uint256 word) external view returns (uint256) {
        return _nonceBitmap[signer][word];
    }

    /// @inheritdoc ISignedActions
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc ISignedActions
    function cancelNonce(uint256 nonce) external {
        _useNonce(msg.sender, nonce);
    }

    /// @dev Checks deadline, nonce and signature of `structHash` for `signer`, then burns the nonce.
    function _verifySigned(
        address signer,
        bytes32 structHash,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) internal {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        if (!SignatureChecker.isValidSignatureNowCalldata(signer, _hashTypedDataV4(structHash), signature)) {
            revert SignatureInvalid(signer);
        }
        _useNonce(signer, nonce);
    }

    function _useNonce(address signer, uint256 nonce) internal {
        uint256 bit = uint256(1) << (nonce & 0xff);
        uint256 bits = _nonceBitmap[signer][nonce >> 8];
        if (bits & bit != 0) revert NonceAlreadyUsed(signer, nonce);
        _nonceBitmap[signer][nonce >> 8] = bits | bit;
        emit NonceUsed(signer, nonce);
    }
}
