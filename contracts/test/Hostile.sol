// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title A contract account that joins the DAO and then misbehaves when paid, for tests only.
/// @notice Its owner makes it call anything (join, submit, review, claim). When it receives ETH it
///         accepts (Mode.Accept), reverts (Mode.Refuse), or re-enters the payer's `claim` (Mode.Reenter).
contract Hostile {
    enum Mode {
        Accept,
        Refuse,
        Reenter
    }

    error HostileNotOwner(address caller);
    error HostileRefusesEther(uint256 amount);

    address public immutable owner;
    Mode public mode;

    constructor() {
        owner = msg.sender;
    }

    function setMode(Mode mode_) external {
        if (msg.sender != owner) revert HostileNotOwner(msg.sender);
        mode = mode_;
    }

    /// @notice Calls `target` with `data` as this contract; bubbles up a revert unchanged.
    function exec(address target, bytes calldata data) external returns (bytes memory result) {
        if (msg.sender != owner) revert HostileNotOwner(msg.sender);
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
    }

    receive() external payable {
        if (mode == Mode.Refuse) revert HostileRefusesEther(msg.value);
        if (mode == Mode.Reenter) {
            // claim(address,address) for itself in ETH, on whoever is paying: it must find nothing more
            // owed than the books say (a claim settles before it pays), or be refused
            (bool ok, bytes memory result) =
                msg.sender.call(abi.encodeWithSignature("claim(address,address)", address(this), address(0)));
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(result, 32), mload(result))
                }
            }
        }
    }
}
