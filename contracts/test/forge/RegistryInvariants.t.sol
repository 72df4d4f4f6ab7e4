// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ContributionRegistry} from "../../ContributionRegistry.sol";
import {Membership} from "../../Membership.sol";
import {PayoutSplitter} from "../../PayoutSplitter.sol";
import {IContributionRegistry} from "../../interfaces/IContributionRegistry.sol";
import {Base} from "./utils/Base.sol";
import {Dao} from "./utils/Dao.sol";
import {Fixtures} from "./utils/Fixtures.sol";

/// @title Random members committing, submitting, reviewing and finalizing, against the real
///        registry, splitter, membership and charter (no decay, so points add up exactly).
contract RegistryHandler is Base {
    uint256 internal constant NUM_ACTORS = 4;
    /// @dev few distinct artifacts, so that content collides (supersede, already claimed)
    uint256 internal constant NUM_CONTENTS = 6;
    uint256 public constant GENESIS = 1000e18;

    ContributionRegistry public immutable registry;
    PayoutSplitter public immutable splitter;
    Membership public immutable membership;
    address[] internal _actors;

    uint256 public submitted;
    uint256 public awarded;
    mapping(uint256 id => uint8 status) public lastStatus;
    mapping(uint256 id => uint256 points) public pointsOf;
    mapping(uint256 id => bytes32 contentHash) public contentOf;
    mapping(uint256 id => mapping(address reviewer => uint8 stars)) internal starsOf;
    mapping(uint256 id => mapping(address reviewer => bytes32 salt)) internal saltOf;
    uint256 public violations;
    string public lastViolation;
    uint256 internal _salt;

    constructor() {
        for (uint256 i; i < NUM_ACTORS; ++i) {
            _actors.push(address(uint160(0xB0000 + i)));
        }
        address[] memory founders = new address[](2);
        uint256[] memory points = new uint256[](2);
        (founders[0], founders[1]) = (_actors[0], _actors[1]);
        (points[0], points[1]) = (GENESIS, GENESIS);
        Dao dao = new Dao(
            address(this), address(0), Fixtures.params(0, 1000), Fixtures.document(), new address[](0), founders, points
        );
        (registry, splitter, membership) = (dao.registry(), dao.splitter(), dao.membership());
        require(dao.wired(), "the DAO is not wired");
        for (uint256 i; i < NUM_ACTORS; ++i) {
            vm.prank(_actors[i]);
            membership.join();
        }
    }

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function contentHash(uint256 seed) public pure returns (bytes32) {
        return keccak256(abi.encode("artifact", seed % NUM_CONTENTS));
    }

    function submit(uint256 actorSeed, uint256 effort, uint256 contentSeed) external {
        address author = _actors[actorSeed % NUM_ACTORS];
        bytes32 content = contentHash(contentSeed);
        bytes32 salt = bytes32(++_salt);
        vm.prank(author);
        registry.commit(keccak256(abi.encode(author, content, salt)));
        vm.prank(author);
        try registry.submit(hex"01551220aa", content, uint32(bound(effort, 1, 600)), salt) returns (uint256 id) {
            _check(id == submitted + 1, "ids are not consecutive");
            submitted = id;
            contentOf[id] = content;
        } catch {}
        _afterEach();
    }

    /// @dev seals a rating (the opening is kept here, as a reviewer's client keeps it)
    function review(uint256 actorSeed, uint256 idSeed, uint8 stars) external {
        if (submitted == 0) return;
        uint256 id = bound(idSeed, 1, submitted);
        address reviewer = _actors[actorSeed % NUM_ACTORS];
        bytes32 salt = bytes32(++_salt);
        vm.prank(reviewer);
        try registry.sealReview(id, keccak256(abi.encode(reviewer, id, stars % 6, keccak256(""), salt))) {
            starsOf[id][reviewer] = stars % 6;
            saltOf[id][reviewer] = salt;
        } catch {}
        _afterEach();
    }

    /// @dev anyone opens a held rating, sometimes with other stars than sealed (refused)
    function reveal(uint256 actorSeed, uint256 idSeed, bool wrong) external {
        if (submitted == 0) return;
        uint256 id = bound(idSeed, 1, submitted);
        address reviewer = _actors[actorSeed % NUM_ACTORS];
        bytes32 salt = saltOf[id][reviewer];
        if (salt == 0) return;
        uint8 stars = wrong ? (starsOf[id][reviewer] + 1) % 6 : starsOf[id][reviewer];
        uint256 before = registry.reviewCount(id);
        try registry.revealReview(id, reviewer, stars, "", salt) {
            _check(!wrong, "a rating opened with other stars than sealed");
            _check(registry.reviewCount(id) == before + 1, "a reveal did not count once");
            saltOf[id][reviewer] = 0;
        } catch {}
        _afterEach();
    }

    function finalize(uint256 idSeed) external {
        if (submitted == 0) return;
        uint256 id = bound(idSeed, 1, submitted);
        try registry.finalize(id) returns (bool accepted, uint256 points) {
            IContributionRegistry.Contribution memory c = registry.contribution(id);
            _check(accepted || points == 0, "a rejected contribution earned points");
            _check(points <= (uint256(c.effort) * 5e18) / 3, "more points than effort * 5 stars / 3");
            pointsOf[id] = points;
            awarded += points;
        } catch {}
        _afterEach();
    }

    function warp(uint256 secondsAhead) external {
        vm.warp(block.timestamp + bound(secondsAhead, 1, 3 days));
        _afterEach();
    }

    /// @dev a contribution's status only moves forward: None -> Pending -> Accepted | Rejected | Superseded
    function _afterEach() internal {
        for (uint256 id = 1; id <= submitted; ++id) {
            uint8 now_ = uint8(registry.status(id));
            uint8 was = lastStatus[id];
            if (now_ != was) {
                bool forward = (was == uint8(IContributionRegistry.Status.None)
                        && now_ == uint8(IContributionRegistry.Status.Pending))
                    || was == uint8(IContributionRegistry.Status.Pending);
                _check(forward, "a contribution's status moved back");
                lastStatus[id] = now_;
            }
        }
    }

    function _check(bool ok, string memory what) internal {
        if (!ok) {
            violations++;
            lastViolation = what;
        }
    }
}

contract RegistryInvariantsTest is Base {
    RegistryHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        handler = new RegistryHandler();
        targetContract(address(handler));
    }

    function invariant_noViolationInCalls() public view {
        vm.assertEq(handler.violations(), 0, handler.lastViolation());
    }

    /// @dev points (which earn revenue) exist only as what accepted contributions earned, standing
    ///      only as genesis plus those points (no decay here)
    function invariant_pointsAreAcceptedStandingIsGenesisPlusAccepted() public view {
        address[] memory actors = handler.actors();
        uint256 sum;
        uint256 standing;
        for (uint256 i; i < actors.length; ++i) {
            sum += handler.splitter().pointsOf(actors[i]);
            (, uint256 current) = handler.splitter().standing(actors[i], 0);
            standing += current;
        }
        uint256 expected = handler.awarded();
        vm.assertEq(sum, expected, "members' points");
        vm.assertEq(handler.splitter().totalPoints(), expected, "total points");
        vm.assertEq(standing, 2 * handler.GENESIS() + expected, "members' standing");
    }

    /// @dev an artifact is accepted at most once, and then its content belongs to that contribution;
    ///      only accepted contributions earned points; nobody reviews their own work or twice
    function invariant_contributions() public view {
        ContributionRegistry registry = handler.registry();
        uint256 n = handler.submitted();
        vm.assertEq(registry.contributionCount(), n, "count");
        for (uint256 id = 1; id <= n; ++id) {
            IContributionRegistry.Status st = registry.status(id);
            if (st != IContributionRegistry.Status.Accepted) vm.assertEq(handler.pointsOf(id), 0, "points unaccepted");
            vm.assertLe(registry.reviewCount(id), 3, "more reviews than other members");
            vm.assertLe(registry.reviewCount(id), registry.contribution(id).sealedReviews, "a review never sealed");
            vm.assertTrue(!registry.hasReviewed(id, registry.contribution(id).author), "self-review");
            if (st != IContributionRegistry.Status.Accepted) continue;
            bytes32 content = handler.contentOf(id);
            vm.assertEq(registry.contributionOf(content), id, "accepted content claimed by another");
            for (uint256 other = 1; other <= n; ++other) {
                if (other != id && handler.contentOf(other) == content) {
                    vm.assertTrue(registry.status(other) != IContributionRegistry.Status.Accepted, "accepted twice");
                }
            }
        }
    }
}
