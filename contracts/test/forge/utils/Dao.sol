// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Charter} from "../../../Charter.sol";
import {ContributionRegistry} from "../../../ContributionRegistry.sol";
import {Membership} from "../../../Membership.sol";
import {PayoutSplitter} from "../../../PayoutSplitter.sol";
import {ICharter} from "../../../interfaces/ICharter.sol";
import {IMembership} from "../../../interfaces/IMembership.sol";
import {IPayoutSplitter} from "../../../interfaces/IPayoutSplitter.sol";

/// @title Deploys a DAO's core contracts wired to each other, as starfish_dao/chain/deployment.py does.
/// @dev The contracts name each other in their constructors, so the later addresses are predicted
///      from this deployer's nonces (a fresh contract's first CREATE has nonce 1). `governance` and,
///      when not 0, `registry` are given addresses (a test or its handler plays them); with registry
///      0 the real ContributionRegistry is deployed. The one place to follow a constructor change.
///      halmos gives new contracts addresses of its own (not the CREATE rule), so there `wired` is
///      false: the membership's and the splitter's pointers to the later contracts are then wrong,
///      which the symbolic suite, which neither suspends nor reviews, does not use.
contract Dao {
    Charter public immutable charter;
    Membership public immutable membership;
    PayoutSplitter public immutable splitter;
    ContributionRegistry public immutable registry;
    /// @dev every predicted address was right
    bool public immutable wired;

    constructor(
        address governance,
        address registry_,
        ICharter.Params memory params,
        bytes memory document,
        address[] memory tokens,
        address[] memory founders,
        uint256[] memory points
    ) {
        address splitterAt = createAddress(address(this), 3);
        address registryAt = registry_ == address(0) ? createAddress(address(this), 4) : registry_;
        charter = new Charter(governance, params, document, tokens); // nonce 1
        membership = new Membership(charter, IPayoutSplitter(splitterAt)); // nonce 2
        splitter = new PayoutSplitter(charter, registryAt, createAddress(address(this), 5), IMembership(address(membership)), founders, points); // 3
        bool ok = address(splitter) == splitterAt;
        if (registry_ == address(0)) {
            registry = new ContributionRegistry(charter, membership, splitter); // nonce 4
            ok = ok && address(registry) == registryAt;
        }
        wired = ok;
    }

    /// @dev The address of the contract `deployer` creates with `nonce` (1..127).
    function createAddress(address deployer, uint256 nonce) public pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes2(0xd694), deployer, uint8(nonce))))));
    }
}
