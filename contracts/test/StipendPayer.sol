// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title A payer that sends ETH the old way, for tests only: Solidity `transfer` (a 2,300-gas stipend).
contract StipendPayer {
    function pay(address payable to) external payable {
        to.transfer(msg.value);
    }
}
