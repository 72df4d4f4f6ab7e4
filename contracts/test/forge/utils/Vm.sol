// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title The few cheatcodes these tests use (forge and halmos both answer them at this address).
/// @dev forge-std is not on any registry this project installs from, so its `Vm` is declared here,
///      limited to what the suites call; the signatures are forge's own.
interface Vm {
    function warp(uint256 newTimestamp) external;
    function deal(address account, uint256 newBalance) external;
    function prank(address msgSender) external;
    function startPrank(address msgSender) external;
    function stopPrank() external;
    function assume(bool condition) external pure;
    function snapshotState() external returns (uint256 snapshotId);
    function revertToStateAndDelete(uint256 snapshotId) external returns (bool success);
    function label(address account, string calldata newLabel) external;
    function assertTrue(bool condition, string calldata error) external pure;
    function assertEq(uint256 left, uint256 right, string calldata error) external pure;
    function assertLe(uint256 left, uint256 right, string calldata error) external pure;
    function assertGe(uint256 left, uint256 right, string calldata error) external pure;
}
