// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {RetirementClaims} from "../contracts/RetirementClaims.sol";

import {LedgerFixture} from "./base/LedgerFixture.sol";

/// @notice What the position hint is for: with it, a claim and a lookup cost the same however many
/// claims the block already holds. Measured on real calls, each from cold storage (`vm.cool`) and
/// counting only the call (not the 21,000 base and calldata of its transaction, nor this contract's
/// memory). Run `./scripts/contract-checks -vv --match-contract ClaimGas` to see the figures.
contract ClaimGasTest is LedgerFixture {
    uint256 internal constant CLAIMS = 10_000;
    /// @dev The i-th claim made in order holds serials [30 i, 30 i + 9]; [30 i + 10, 30 i + 19] stays
    /// free for a claim measured between two others.
    uint128 internal constant STRIDE = 30;

    /// @notice Like-for-like pairs: the 10,001st claim of a block, appended after the last one, against
    /// the block's first; a claim between two others in a block of 10,001 claims against one between
    /// the only two claims of the block; a lookup of the last claim of 10,001 against of the last of 2.
    function test_the10001stClaimAndItsLookupCostAsTheFirst() public {
        // The ledger already holds a claim of another block, so both measured claims find it non-empty.
        _claimUnits(_claim("GEC-OTHER", 0, 9), FACTORY_KEY, 0);
        Figures memory gas;

        // The first claim of the block.
        uint256 firstId;
        (gas.firstClaim, firstId) = _measureClaim(0, 0);
        // The second; a lookup of it in the block of 2 (hint: that claim); the 3rd, between the two.
        uint256 second = _claimUnits(_claim(BLOCK, STRIDE, STRIDE + 9), FACTORY_KEY, firstId);
        gas.firstLookup = _measureLookup(STRIDE + 5, second, second);
        (gas.earlyBetween,) = _measureClaim(10, firstId);

        // Up to 10,000 claims, each with its exact hint (the claim before it).
        uint256 last = second;
        for (uint256 i = 2; i < CLAIMS - 1; ++i) {
            uint128 start = uint128(i) * STRIDE;
            last = _claimUnits(_claim(BLOCK, start, start + 9), FACTORY_KEY, last);
        }
        assertEq(ledger.liveClaimsInBlock(REGISTRY, BLOCK, 0, CLAIMS).length, CLAIMS, "10,000 live claims");

        // The 10,001st, after the last claim: its exact hint is that claim.
        uint128 end = uint128(CLAIMS - 1) * STRIDE;
        assertEq(_hintFor(BLOCK, end), last, "the exact hint");
        uint256 lastId;
        (gas.lastClaim, lastId) = _measureClaim(end, last);
        gas.lastLookup = _measureLookup(end + 5, lastId, lastId);

        // The 10,002nd, between the 5,000th and the 5,001st claim made in order.
        uint256 middle = firstId + CLAIMS / 2;
        uint128 gap = ledger.getClaim(middle).serialStart + 10;
        assertEq(_hintFor(BLOCK, gap), middle, "the exact hint in the middle");
        uint256 betweenId;
        (gas.lateBetween, betweenId) = _measureClaim(gap, middle);
        assertEq(ledger.liveClaimsInBlock(REGISTRY, BLOCK, middle, 1)[0], betweenId, "inserted in place");
        gas.unhintedLookup = _measureLookup(gap + 5, 0, betweenId);

        _report(gas);
    }

    /// @dev The figures measured, in gas.
    struct Figures {
        uint256 firstClaim;
        uint256 lastClaim;
        uint256 earlyBetween;
        uint256 lateBetween;
        uint256 firstLookup;
        uint256 lastLookup;
        uint256 unhintedLookup;
    }

    function _report(Figures memory gas) internal {
        emit log_named_uint("gas: first claim of a block", gas.firstClaim);
        emit log_named_uint("gas: 10,001st claim of the block, after the last (exact hint)", gas.lastClaim);
        emit log_named_uint("gas: 3rd claim, between the only two", gas.earlyBetween);
        emit log_named_uint("gas: 10,002nd claim, between two of 10,001 (exact hint)", gas.lateBetween);
        emit log_named_uint("gas: claimOf, block of 2 claims, the last (exact hint)", gas.firstLookup);
        emit log_named_uint("gas: claimOf, block of 10,001 claims, the last (exact hint)", gas.lastLookup);
        emit log_named_uint("gas: claimOf, block of 10,002 claims, middle (hint 0)", gas.unhintedLookup);
        _assertWithinTenPercent(gas.lastClaim, gas.firstClaim, "10,001st claim vs first");
        _assertWithinTenPercent(gas.lateBetween, gas.earlyBetween, "between two of 10,001 vs between the only two");
        _assertWithinTenPercent(gas.lastLookup, gas.firstLookup, "lookup in 10,001 claims vs in 2");
        assertTrue(gas.unhintedLookup > 100 * gas.lastLookup, "without a hint the lookup walks half the block");
    }

    /// @dev Gas of one claimRetirement call of [start, start + 9] from cold storage, and the claim's id.
    function _measureClaim(uint128 start, uint256 hint) internal returns (uint256 gasUsed, uint256 claimId) {
        RetirementClaims.ClaimCommit memory commit = _claim(BLOCK, start, start + 9);
        bytes memory signature = _signClaim(commit, FACTORY_KEY);
        bytes memory result;
        (gasUsed, result) = _measuredCall(abi.encodeCall(ledger.claimRetirement, (commit, signature, hint)));
        claimId = abi.decode(result, (uint256));
    }

    /// @dev Gas of one claimOf call from cold storage; asserts that it answers `expected`.
    function _measureLookup(uint128 serial, uint256 hint, uint256 expected) internal returns (uint256 gasUsed) {
        bytes memory result;
        (gasUsed, result) = _measuredCall(abi.encodeCall(ledger.claimOf, (REGISTRY, BLOCK, serial, hint)));
        assertEq(abi.decode(result, (uint256)), expected, "claimOf");
    }

    /// @dev The gas of calling the ledger with `data` (already encoded) from cold storage: only the
    /// call, not this contract's memory, which grows with everything the test made before.
    function _measuredCall(bytes memory data) internal returns (uint256 gasUsed, bytes memory result) {
        address target = address(ledger);
        vm.cool(target);
        bool ok;
        assembly ("memory-safe") {
            let before := gas()
            ok := call(gas(), target, 0, add(data, 32), mload(data), 0, 0)
            gasUsed := sub(before, gas())
            result := mload(0x40)
            mstore(result, returndatasize())
            returndatacopy(add(result, 32), 0, returndatasize())
            mstore(0x40, add(add(result, 32), and(add(returndatasize(), 31), not(31))))
        }
        assertTrue(ok, string.concat("the measured call reverted: ", vm.toString(result)));
    }

    function _assertWithinTenPercent(uint256 measured, uint256 reference_, string memory message) internal pure {
        uint256 difference = measured > reference_ ? measured - reference_ : reference_ - measured;
        assertTrue(
            difference * 10 <= reference_,
            string.concat(message, ": ", vm.toString(measured), " gas against ", vm.toString(reference_))
        );
    }
}
