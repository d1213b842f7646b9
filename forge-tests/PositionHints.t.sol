// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ClaimAttestations} from "../contracts/ClaimAttestations.sol";
import {RetirementClaims} from "../contracts/RetirementClaims.sol";
import {RangeLists} from "../contracts/utils/RangeLists.sol";

import {LedgerFixture} from "./base/LedgerFixture.sol";

/// @notice The position hint: the live claim of the block just before a range, found off chain and
/// only checked on chain. An exact, stale or zero hint finds the place; any other is refused.
contract PositionHintsTest is LedgerFixture {
    string internal constant OTHER_BLOCK = "GEC-OTHER";

    /// @dev BLOCK holds 1 = [10, 19], 2 = [30, 39], 3 = [50, 59]; OTHER_BLOCK holds 4 = [0, 100].
    function setUp() public override {
        super.setUp();
        _claimUnits(_claim(BLOCK, 10, 19), FACTORY_KEY, 0);
        _claimUnits(_claim(BLOCK, 30, 39), FACTORY_KEY, 1);
        _claimUnits(_claim(BLOCK, 50, 59), FACTORY_KEY, 2);
        _claimUnits(_claim(OTHER_BLOCK, 0, 100), FACTORY_KEY, 0);
        _assertLive(BLOCK, abi.encodePacked(uint256(1), uint256(2), uint256(3)));
    }

    function test_anExactHintInsertsInPlace() public {
        assertEq(_hintFor(BLOCK, 20), 1, "the claim before 20");
        assertEq(_claimUnits(_claim(BLOCK, 20, 29), FACTORY_KEY, 1), 5, "recorded");
        _assertLive(BLOCK, abi.encodePacked(uint256(1), uint256(5), uint256(2), uint256(3)));
        assertEq(_claimUnits(_claim(BLOCK, 60, 60), FACTORY_KEY, 3), 6, "after the last");
        _assertLive(BLOCK, abi.encodePacked(uint256(1), uint256(5), uint256(2), uint256(3), uint256(6)));
    }

    /// @notice A hint made stale by claims recorded since (still a live claim of the block before
    /// the range) walks forward to the place.
    function test_aStaleHintWalksForward() public {
        assertEq(_claimUnits(_claim(BLOCK, 60, 69), FACTORY_KEY, 1), 5, "two steps past the hint");
        assertEq(_claimUnits(_claim(BLOCK, 40, 49), FACTORY_KEY, 1), 6, "one step past the hint");
        _assertLive(BLOCK, abi.encodePacked(uint256(1), uint256(2), uint256(6), uint256(3), uint256(5)));
    }

    function test_hintZeroSearchesFromTheFirstClaim() public {
        assertEq(_hintFor(BLOCK, 0), 0, "nothing before serial 0");
        assertEq(_claimUnits(_claim(BLOCK, 0, 9), FACTORY_KEY, 0), 5, "before the first");
        assertEq(_claimUnits(_claim(BLOCK, 70, 79), FACTORY_KEY, 0), 6, "after the last");
        assertEq(_claimUnits(_claim(BLOCK, 40, 40), FACTORY_KEY, 0), 7, "in the middle");
        _assertLive(BLOCK, abi.encodePacked(uint256(5), uint256(1), uint256(2), uint256(7), uint256(3), uint256(6)));
    }

    /// @notice A hint must be a live claim of this block starting at or before the range: a revoked
    /// claim, another block's claim (its first, or one linked after another), one starting after the
    /// range, or an id that does not exist (the new claim's own id among them) is refused, before any
    /// overlap is looked for.
    function test_invalidHintsAreRefused() public {
        _revoke(1, "revoked");
        assertEq(_claimUnits(_claim(OTHER_BLOCK, 101, 110), FACTORY_KEY, 4), 5, "second claim of the other block");
        uint256[6] memory invalid = [uint256(1), 4, 5, 3, 99, ledger.claimCount() + 1];
        for (uint256 i = 0; i < invalid.length; ++i) {
            // Serial 120: after every claim of both blocks but for claim 3, tried at 40 (it starts at 50).
            uint128 serial = invalid[i] == 3 ? 40 : 120;
            bytes memory refused = abi.encodeWithSelector(RangeLists.InvalidPositionHint.selector, invalid[i]);
            _expectClaimRevert(_claim(BLOCK, serial, serial + 9), invalid[i], refused);
            _expectClaimRevert(_claim(BLOCK, 35, serial + 5), invalid[i], refused); // would overlap too
            vm.expectRevert(refused);
            ledger.claimOf(REGISTRY, BLOCK, serial, invalid[i]);
            vm.expectRevert(refused);
            ledger.precedingClaim(REGISTRY, BLOCK, serial, invalid[i]);
        }
        assertEq(ledger.claimCount(), 5, "nothing recorded");
        _assertLive(BLOCK, abi.encodePacked(uint256(2), uint256(3)));
        _assertLive(OTHER_BLOCK, abi.encodePacked(uint256(4), uint256(5)));
    }

    /// @notice A valid hint that holds the range's first unit is the overlap the claim is refused with;
    /// past it, the next claim is.
    function test_overlapsAreFoundFromTheHint() public {
        _expectClaimRevert(
            _claim(BLOCK, 35, 45),
            2,
            abi.encodeWithSelector(RetirementClaims.ClaimOverlaps.selector, 2, FACTORY, 30, 39)
        );
        _expectClaimRevert(
            _claim(BLOCK, 40, 50),
            1,
            abi.encodeWithSelector(RetirementClaims.ClaimOverlaps.selector, 3, FACTORY, 50, 59)
        );
        _expectClaimRevert(
            _claim(BLOCK, 0, 10), 0, abi.encodeWithSelector(RetirementClaims.ClaimOverlaps.selector, 1, FACTORY, 10, 19)
        );
    }

    /// @notice `claimOf` (the holder of a serial) and `precedingClaim` (the hint for it) over the
    /// same probes, each with an exact, stale or zero hint.
    function test_claimOfAndPrecedingClaimWithHints() public view {
        // serial, hint, holder, preceding claim
        uint256[4][11] memory probes = [
            [uint256(15), 1, 1, 1], // exact hint, inside
            [uint256(15), 0, 1, 1], // hint 0
            [uint256(55), 1, 3, 3], // stale hint
            [uint256(59), 3, 3, 3], // the last unit, the hint itself
            [uint256(45), 2, 0, 2], // a free unit between claims
            [uint256(9), 0, 0, 0], // a free unit before the first
            [uint256(10), 0, 1, 1], // the first's first unit
            [uint256(29), 1, 0, 1], // the gap after the first
            [uint256(30), 1, 2, 2], // one step
            [uint256(1000), 1, 0, 3], // walks to the last
            [uint256(type(uint128).max), 3, 0, 3] // after the last
        ];
        for (uint256 i = 0; i < probes.length; ++i) {
            (uint128 serial, uint256 hint) = (uint128(probes[i][0]), probes[i][1]);
            string memory probe = string.concat("probe ", vm.toString(i));
            assertEq(ledger.claimOf(REGISTRY, BLOCK, serial, hint), probes[i][2], string.concat(probe, ": holder"));
            assertEq(
                ledger.precedingClaim(REGISTRY, BLOCK, serial, hint), probes[i][3], string.concat(probe, ": preceding")
            );
        }
        assertEq(ledger.claimOf(REGISTRY, OTHER_BLOCK, 15, 4), 4, "the other block");
        assertEq(ledger.claimOf(REGISTRY, "GEC-EMPTY", 15, 0), 0, "a block without claims");
        assertEq(ledger.precedingClaim(REGISTRY, "GEC-EMPTY", 1000, 0), 0, "a block without claims");
    }

    function test_liveClaimsInBlockPages() public {
        uint256[] memory page = ledger.liveClaimsInBlock(REGISTRY, BLOCK, 0, 2);
        assertEq(page.length, 2, "a full first page");
        assertEq(page[0], 1, "first");
        assertEq(page[1], 2, "second");
        page = ledger.liveClaimsInBlock(REGISTRY, BLOCK, 2, 2);
        assertEq(page.length, 1, "a short last page");
        assertEq(page[0], 3, "third");
        assertEq(ledger.liveClaimsInBlock(REGISTRY, BLOCK, 3, 2).length, 0, "nothing after the last");
        assertEq(ledger.liveClaimsInBlock(REGISTRY, BLOCK, 0, 0).length, 0, "limit 0");
        assertEq(ledger.liveClaimsInBlock(REGISTRY, "GEC-EMPTY", 0, 5).length, 0, "a block without claims");
        page = ledger.liveClaimsInBlock(REGISTRY, OTHER_BLOCK, 0, 5);
        assertEq(page.length, 1, "the other block's one claim");
        assertEq(page[0], 4, "the other block's claim");

        // A cursor must be a live claim of the block.
        _revoke(2, "revoked");
        uint256[3] memory invalid = [uint256(2), 4, 99];
        for (uint256 i = 0; i < invalid.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(RangeLists.InvalidPositionHint.selector, invalid[i]));
            ledger.liveClaimsInBlock(REGISTRY, BLOCK, invalid[i], 5);
        }
        page = ledger.liveClaimsInBlock(REGISTRY, BLOCK, 1, 5);
        assertEq(page.length, 1, "the revoked claim is skipped");
        assertEq(page[0], 3, "the claim after it");
    }

    // ---- a random history against a model ----

    uint256 private constant SPACE = 48; // serials 0..47, so that ranges often touch and overlap
    uint256 private constant STEPS = 24;
    string private constant FUZZ_BLOCK = "GEC-FUZZ";

    /// @dev The model (fresh for every fuzz run): each serial's live owner (0: free), and each claim's
    /// range and whether it is revoked, by id.
    uint256[SPACE] private _owner;
    mapping(uint256 id => uint128) private _start;
    mapping(uint256 id => uint128) private _end;
    mapping(uint256 id => bool) private _revoked;
    mapping(bytes32 range => uint256 id) private _recordedAs;
    uint256 private _first; // the fuzz block's first claim id
    uint256 private _made;

    /// @notice Any sequence of claims (with exact, zero, stale and invalid hints) and revocations on
    /// one block ends as a model that gives each serial its owner predicts: every outcome, the live
    /// list in serial order after each step, and the holder of every serial at the end.
    function testFuzz_claimsAndRevocationsFollowTheModel(uint256 seed) public {
        _first = ledger.claimCount() + 1;
        for (uint256 step = 0; step < STEPS; ++step) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            if (r % 4 == 0 && _made > 0) {
                _fuzzRevoke(_first + (r >> 8) % _made);
            } else {
                uint128 start = uint128((r >> 8) % SPACE);
                uint128 end = start + uint128((r >> 16) % 6);
                _fuzzClaim(start, end < SPACE ? end : uint128(SPACE - 1), r >> 24);
            }
            _assertLiveIsModel();
        }
        for (uint256 s = 0; s < SPACE; ++s) {
            uint128 serial = uint128(s);
            assertEq(_holder(FUZZ_BLOCK, serial), _owner[s], "holder, hint 0");
            uint256 hint = ledger.precedingClaim(REGISTRY, FUZZ_BLOCK, serial, 0);
            assertEq(ledger.claimOf(REGISTRY, FUZZ_BLOCK, serial, hint), _owner[s], "holder, exact hint");
        }
    }

    function _fuzzRevoke(uint256 id) internal {
        if (_revoked[id]) {
            vm.expectRevert(abi.encodeWithSelector(ClaimAttestations.ClaimAlreadyRevoked.selector, id));
        } else {
            _revoked[id] = true;
            for (uint256 s = _start[id]; s <= _end[id]; ++s) {
                _owner[s] = 0;
            }
        }
        vm.prank(admin);
        ledger.revokeClaim(id, keccak256("fuzz"));
    }

    function _fuzzClaim(uint128 start, uint128 end, uint256 r) internal {
        (uint256 hint, bool valid) = _fuzzHint(start, r);
        bytes memory expected;
        uint256 earlier = _recordedAs[keccak256(abi.encode(start, end))];
        if (earlier != 0) {
            // the same signed claim again (even after its revocation): recorded once
            expected = abi.encodeWithSelector(RetirementClaims.ClaimAlreadyRecorded.selector, earlier);
        } else if (!valid) {
            expected = abi.encodeWithSelector(RangeLists.InvalidPositionHint.selector, hint);
        } else {
            for (uint256 s = start; s <= end && expected.length == 0; ++s) {
                uint256 holder = _owner[s];
                if (holder != 0) {
                    expected = abi.encodeWithSelector(
                        RetirementClaims.ClaimOverlaps.selector, holder, FACTORY, _start[holder], _end[holder]
                    );
                }
            }
        }
        RetirementClaims.ClaimCommit memory commit = _claim(FUZZ_BLOCK, start, end);
        bytes memory signature = _signClaim(commit, FACTORY_KEY);
        if (expected.length != 0) {
            vm.expectRevert(expected);
            ledger.claimRetirement(commit, signature, hint);
            return;
        }
        uint256 id = ledger.claimRetirement(commit, signature, hint);
        assertEq(id, _first + _made, "the next id");
        ++_made;
        (_start[id], _end[id]) = (start, end);
        _recordedAs[keccak256(abi.encode(start, end))] = id;
        for (uint256 s = start; s <= end; ++s) {
            _owner[s] = id;
        }
    }

    /// @dev A hint for a claim starting at `start`, and whether the model says it is valid: mostly
    /// the exact one (the owner of the nearest held serial at or before `start`), else 0, the block's
    /// first live claim (stale when it is not the exact one) or any id, which may be revoked, start
    /// after `start`, or not exist.
    function _fuzzHint(uint128 start, uint256 r) internal view returns (uint256 hint, bool valid) {
        uint256 mode = r % 8;
        if (mode < 4) {
            for (uint256 s = start + 1; s > 0 && hint == 0; --s) {
                hint = _owner[s - 1];
            }
            return (hint, true);
        }
        if (mode == 4) {
            return (0, true);
        }
        if (mode == 5) {
            for (uint256 s = 0; s <= start && hint == 0; ++s) {
                hint = _owner[s];
            }
            return (hint, true);
        }
        hint = _first + (r >> 8) % (_made + 2); // up to two ids past the last
        valid = hint < _first + _made && !_revoked[hint] && _start[hint] <= start;
    }

    function _assertLiveIsModel() internal view {
        uint256[] memory live = _live(FUZZ_BLOCK);
        uint256 n = 0;
        for (uint256 s = 0; s < SPACE; ++s) {
            if (_owner[s] != 0 && (s == 0 || _owner[s - 1] != _owner[s])) {
                assertTrue(n < live.length, "a live claim missing from the list");
                assertEq(live[n++], _owner[s], "live claims in serial order");
            }
        }
        assertEq(live.length, n, "live claims");
    }

    // ---- helpers ----

    function _expectClaimRevert(RetirementClaims.ClaimCommit memory commit, uint256 hint, bytes memory error) internal {
        bytes memory signature = _signClaim(commit, FACTORY_KEY);
        vm.expectRevert(error);
        ledger.claimRetirement(commit, signature, hint);
    }

    /// @dev Asserts that the live claims of `blockId` are, in order, the ids packed in `expected`
    /// (`abi.encodePacked` of uint256 ids, the packing of a uint256 array).
    function _assertLive(string memory blockId, bytes memory expected) internal view {
        assertEq(abi.encodePacked(_live(blockId)), expected, "live claims in serial order");
    }
}
