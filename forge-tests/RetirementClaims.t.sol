// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {FactoryRegistry} from "../contracts/FactoryRegistry.sol";
import {RetirementClaims} from "../contracts/RetirementClaims.sol";

import {LedgerFixture} from "./base/LedgerFixture.sol";

/// @notice Retirement claims: a serial range of one issuance block, recorded only if no unit of it
/// was claimed before, by anyone.
contract RetirementClaimsTest is LedgerFixture {
    function test_aClaimIsRecordedAndAnnounced() public {
        RetirementClaims.ClaimCommit memory commit = _claim(BLOCK, 100, 199);
        bytes memory signature = _signClaim(commit, FACTORY_KEY);
        bytes32 bKey = ledger.blockKey(REGISTRY, BLOCK);
        assertEq(bKey, keccak256(abi.encode(REGISTRY, BLOCK)), "block key");
        vm.expectEmit(true, true, true, true, address(ledger));
        emit RetirementClaims.RetirementClaimed(1, bKey, keccak256(bytes(FACTORY)), commit, factorySigner);
        vm.prank(stranger); // anyone may relay
        uint256 claimId = ledger.claimRetirement(commit, signature, 0);

        assertEq(claimId, 1, "first claim id");
        assertEq(ledger.claimCount(), 1, "count");
        RetirementClaims.Claim memory claim = ledger.getClaim(1);
        assertEq(claim.serialStart, 100, "start");
        assertEq(claim.serialEnd, 199, "end");
        assertEq(claim.signer, factorySigner, "signer");
        assertEq(claim.claimedBlock, block.number, "block");
        assertEq(claim.claimedAt, block.timestamp, "time");
        assertEq(claim.blockKey, bKey, "block key stored");
        assertEq(claim.detailsHash, commit.detailsHash, "details hash");
        assertEq(claim.factoryId, FACTORY, "factory");
        assertEq(claim.consumptionEnd, "2025-12", "consumption end");
        _assertStatus(claim, RetirementClaims.ClaimStatus.Provisional, "provisional until decided");
        assertEq(claim.decidedBy, address(0), "nobody decided yet");
        assertEq(claim.decidedAt, 0, "no decision time");
        assertEq(claim.reasonHash, bytes32(0), "no reason");
        assertEq(_holder(BLOCK, 99), 0, "unit before the range is free");
        assertEq(_holder(BLOCK, 100), 1, "first unit");
        assertEq(_holder(BLOCK, 199), 1, "last unit");
        assertEq(_holder(BLOCK, 200), 0, "unit after the range is free");
    }

    function test_anOverlapIsRefusedNamingTheEarlierClaim() public {
        _claimUnits(_claim(BLOCK, 100, 199), FACTORY_KEY);
        uint128[2][4] memory overlapping =
            [[uint128(50), 100], [uint128(199), 300], [uint128(150), 160], [uint128(0), 1000]];
        for (uint256 i = 0; i < overlapping.length; ++i) {
            RetirementClaims.ClaimCommit memory commit = _claim(BLOCK, overlapping[i][0], overlapping[i][1]);
            bytes memory signature = _signClaim(commit, FACTORY_KEY);
            vm.expectRevert(abi.encodeWithSelector(RetirementClaims.ClaimOverlaps.selector, 1, FACTORY, 100, 199));
            ledger.claimRetirement(commit, signature, 0);
        }
        assertEq(ledger.claimCount(), 1, "nothing recorded");
    }

    function test_adjacentRangesAndOtherBlocksAreFree() public {
        _claimUnits(_claim(BLOCK, 100, 199), FACTORY_KEY);
        assertEq(_claimUnits(_claim(BLOCK, 200, 200), FACTORY_KEY), 2, "the next unit");
        assertEq(_claimUnits(_claim(BLOCK, 0, 99), FACTORY_KEY), 3, "the units before");
        assertEq(_claimUnits(_claim("GEC-OTHER", 100, 199), FACTORY_KEY), 4, "same serials, other block");
        uint256[] memory ids = _live(BLOCK);
        assertEq(ids.length, 3, "three claims in the block");
        assertEq(ids[0], 3, "in serial order");
        assertEq(ids[1], 1, "in serial order");
        assertEq(ids[2], 2, "in serial order");
        ids = _live("GEC-OTHER");
        assertEq(ids.length, 1, "one in the other block");
        assertEq(ids[0], 4, "the other block's claim");
    }

    function test_theWholeSerialSpaceIsClaimableOnce() public {
        uint128 top = type(uint128).max;
        _claimUnits(_claim(BLOCK, 0, top), FACTORY_KEY);
        RetirementClaims.ClaimCommit memory commit = _claim(BLOCK, top, top);
        bytes memory signature = _signClaim(commit, FACTORY_KEY);
        vm.expectRevert(abi.encodeWithSelector(RetirementClaims.ClaimOverlaps.selector, 1, FACTORY, 0, top));
        ledger.claimRetirement(commit, signature, 0);
        assertEq(_holder(BLOCK, top), 1, "top unit held");
    }

    function test_fieldChecks() public {
        _expectClaimRevert(
            _claim(BLOCK, 5, 4), abi.encodeWithSelector(RetirementClaims.InvalidSerialRange.selector, 5, 4)
        );
        _expectClaimRevert(
            _claim("", 1, 2), abi.encodeWithSelector(RetirementClaims.InvalidCertificateId.selector, REGISTRY, "")
        );
        string memory longId = string(new bytes(129));
        _expectClaimRevert(
            _claim(longId, 1, 2),
            abi.encodeWithSelector(RetirementClaims.InvalidCertificateId.selector, REGISTRY, longId)
        );
        RetirementClaims.ClaimCommit memory commit = _claim(BLOCK, 1, 2);
        commit.registry = "";
        _expectClaimRevert(commit, abi.encodeWithSelector(RetirementClaims.InvalidCertificateId.selector, "", BLOCK));

        string[2][4] memory badPeriods =
            [["2025-12", "2025-01"], ["2025-13", "2025-13"], ["2025-1", "2025-01"], ["2025-01", ""]];
        for (uint256 i = 0; i < badPeriods.length; ++i) {
            commit = _claim(BLOCK, 1, 2);
            commit.consumptionStart = badPeriods[i][0];
            commit.consumptionEnd = badPeriods[i][1];
            _expectClaimRevert(
                commit,
                abi.encodeWithSelector(
                    RetirementClaims.InvalidConsumptionPeriod.selector, badPeriods[i][0], badPeriods[i][1]
                )
            );
        }
        commit = _claim(BLOCK, 1, 2);
        commit.factoryId = "CN-NOBODY";
        _expectClaimRevert(commit, abi.encodeWithSelector(FactoryRegistry.UnknownFactory.selector, "CN-NOBODY"));

        commit = _claim(BLOCK, 1, 2);
        commit.consumptionStart = "2025-06";
        commit.consumptionEnd = "2025-06";
        _claimUnits(commit, FACTORY_KEY); // a one-month period is fine
        assertEq(ledger.claimCount(), 1, "only the good claim");
        vm.expectRevert(abi.encodeWithSelector(RetirementClaims.UnknownClaim.selector, 2));
        ledger.getClaim(2);
        vm.expectRevert(abi.encodeWithSelector(RetirementClaims.UnknownClaim.selector, 0));
        ledger.getClaim(0);
    }

    function test_onlyTheCurrentKeyClaims() public {
        RetirementClaims.ClaimCommit memory commit = _claim(BLOCK, 1, 10);
        _expectClaimRevertSignedBy(commit, STRANGER_KEY, factorySigner);

        _rotate(FACTORY, FACTORY_KEY, NEW_FACTORY_KEY);
        _expectClaimRevertSignedBy(commit, FACTORY_KEY, vm.addr(NEW_FACTORY_KEY));
        _claimUnits(commit, NEW_FACTORY_KEY);
        assertEq(ledger.getClaim(1).signer, vm.addr(NEW_FACTORY_KEY), "signed by the new key");
    }

    function test_aSignatureCoversEveryField() public {
        RetirementClaims.ClaimCommit memory commit = _claim(BLOCK, 1, 10);
        bytes memory signature = _signClaim(commit, FACTORY_KEY);
        commit.serialEnd = 11;
        vm.expectRevert(abi.encodeWithSelector(RetirementClaims.InvalidClaimSignature.selector, FACTORY, factorySigner));
        ledger.claimRetirement(commit, signature, 0);
        commit.serialEnd = 10;
        commit.detailsHash = keccak256("other details");
        vm.expectRevert(abi.encodeWithSelector(RetirementClaims.InvalidClaimSignature.selector, FACTORY, factorySigner));
        ledger.claimRetirement(commit, signature, 0);
    }

    /// @notice Two claims of one block: the second is recorded iff the ranges share no unit, and then
    /// `claimOf` gives each unit to its claim.
    function testFuzz_secondClaimIsRecordedIffDisjoint(uint128 a0, uint128 a1, uint128 b0, uint128 b1, bool small)
        public
    {
        if (small) {
            // Small serials make overlaps and touching edges common.
            (a0, a1, b0, b1) = (uint128(a0 % 64), uint128(a1 % 64), uint128(b0 % 64), uint128(b1 % 64));
        }
        (a0, a1) = a0 <= a1 ? (a0, a1) : (a1, a0);
        (b0, b1) = b0 <= b1 ? (b0, b1) : (b1, b0);
        _claimUnits(_claim(BLOCK, a0, a1), FACTORY_KEY);

        bool disjoint = b1 < a0 || a1 < b0;
        RetirementClaims.ClaimCommit memory second = _claim(BLOCK, b0, b1);
        bytes memory signature = _signClaim(second, FACTORY_KEY);
        uint256 hint = _hintFor(BLOCK, b0);
        assertEq(hint, a0 <= b0 ? 1 : 0, "the claim before b, if any");
        if (!disjoint) {
            vm.expectRevert(abi.encodeWithSelector(RetirementClaims.ClaimOverlaps.selector, 1, FACTORY, a0, a1));
        }
        ledger.claimRetirement(second, signature, hint);

        assertEq(ledger.claimCount(), disjoint ? 2 : 1, "recorded iff disjoint");
        assertEq(_holder(BLOCK, a0), 1, "a's first unit");
        assertEq(_holder(BLOCK, a1), 1, "a's last unit");
        if (disjoint) {
            assertEq(_holder(BLOCK, b0), 2, "b's first unit");
            assertEq(_holder(BLOCK, b1), 2, "b's last unit");
        }
    }

    /// @notice Consumption periods: accepted iff both are `YYYY-MM` and the start is not after the end.
    function testFuzz_consumptionPeriodOrder(uint16 y0, uint8 m0, uint16 y1, uint8 m1) public {
        (y0, y1) = (uint16(bound(y0, 2020, 2030)), uint16(bound(y1, 2020, 2030)));
        (m0, m1) = (uint8(bound(m0, 0, 13)), uint8(bound(m1, 0, 13)));
        RetirementClaims.ClaimCommit memory commit = _claim(BLOCK, 1, 1);
        commit.consumptionStart = _period(y0, m0);
        commit.consumptionEnd = _period(y1, m1);
        bool valid = m0 >= 1 && m0 <= 12 && m1 >= 1 && m1 <= 12 && (y0 < y1 || (y0 == y1 && m0 <= m1));
        bytes memory signature = _signClaim(commit, FACTORY_KEY);
        if (!valid) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    RetirementClaims.InvalidConsumptionPeriod.selector, commit.consumptionStart, commit.consumptionEnd
                )
            );
        }
        ledger.claimRetirement(commit, signature, 0);
        assertEq(ledger.claimCount(), valid ? 1 : 0, "recorded iff valid");
    }

    function _period(uint16 year, uint8 month) internal pure returns (string memory) {
        bytes memory b = new bytes(7);
        for (uint256 i = 4; i > 0; --i) {
            b[i - 1] = bytes1(uint8(48 + year % 10));
            year /= 10;
        }
        b[4] = "-";
        b[5] = bytes1(uint8(48 + month / 10));
        b[6] = bytes1(uint8(48 + month % 10));
        return string(b);
    }

    function _expectClaimRevert(RetirementClaims.ClaimCommit memory commit, bytes memory error) internal {
        bytes memory signature = _signClaim(commit, FACTORY_KEY);
        vm.expectRevert(error);
        ledger.claimRetirement(commit, signature, 0);
    }

    function _expectClaimRevertSignedBy(RetirementClaims.ClaimCommit memory commit, uint256 key, address expected)
        internal
    {
        bytes memory signature = _signClaim(commit, key);
        vm.expectRevert(abi.encodeWithSelector(RetirementClaims.InvalidClaimSignature.selector, FACTORY, expected));
        ledger.claimRetirement(commit, signature, 0);
    }
}
