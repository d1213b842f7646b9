// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {ClaimAttestations} from "../contracts/ClaimAttestations.sol";
import {FactoryRegistry} from "../contracts/FactoryRegistry.sol";
import {RetirementClaims} from "../contracts/RetirementClaims.sol";
import {RangeLists} from "../contracts/utils/RangeLists.sol";

import {LedgerFixture} from "./base/LedgerFixture.sol";

/// @notice Who decides a claim: provisional when recorded, confirmed by an attestor who checked its
/// details, or revoked by the admin with a reason, which frees its units for anyone to claim.
contract ClaimAttestationsTest is LedgerFixture {
    uint256 internal constant OTHER_FACTORY_KEY = 0xFAC9;
    string internal constant OTHER_FACTORY = "CN-GD-SZ-0009";
    bytes32 internal constant REASON = keccak256("registry statement shows the units retired for another buyer");

    uint256 internal claimId;
    bytes32 internal detailsHash;
    bytes32 internal bKey;

    function setUp() public override {
        super.setUp();
        vm.prank(registrar);
        ledger.registerFactory(OTHER_FACTORY, vm.addr(OTHER_FACTORY_KEY));
        RetirementClaims.ClaimCommit memory commit = _claim(BLOCK, 100, 199);
        claimId = _claimUnits(commit, FACTORY_KEY);
        detailsHash = commit.detailsHash;
        bKey = ledger.blockKey(REGISTRY, BLOCK);
    }

    function test_aClaimIsProvisionalWhenRecorded() public view {
        RetirementClaims.Claim memory claim = ledger.getClaim(claimId);
        _assertStatus(claim, RetirementClaims.ClaimStatus.Provisional, "provisional");
        assertEq(claim.decidedBy, address(0), "undecided");
        assertEq(_holder(BLOCK, 150), claimId, "a provisional claim holds its units");
    }

    function test_anAttestorConfirmsTheDetailsItChecked() public {
        vm.warp(block.timestamp + 3600);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit ClaimAttestations.ClaimConfirmed(claimId, bKey, attestor);
        vm.prank(attestor);
        ledger.confirmClaim(claimId, detailsHash);

        RetirementClaims.Claim memory claim =
            _assertDecided(claimId, RetirementClaims.ClaimStatus.Confirmed, attestor, 0);
        assertEq(claim.serialStart, 100, "range kept");
        assertEq(_holder(BLOCK, 199), claimId, "a confirmed claim holds its units");
    }

    function test_aConfirmationOfOtherDetailsIsRefused() public {
        vm.expectRevert(abi.encodeWithSelector(ClaimAttestations.ClaimDetailsMismatch.selector, claimId, detailsHash));
        vm.prank(attestor);
        ledger.confirmClaim(claimId, keccak256("other details"));
        _assertStatus(ledger.getClaim(claimId), RetirementClaims.ClaimStatus.Provisional, "still provisional");
    }

    function test_onlyAnAttestorConfirms() public {
        bytes32 attestorRole = ledger.ATTESTOR_ROLE();
        address[4] memory others = [stranger, admin, registrar, factorySigner];
        for (uint256 i = 0; i < others.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAccessControl.AccessControlUnauthorizedAccount.selector, others[i], attestorRole
                )
            );
            vm.prank(others[i]);
            ledger.confirmClaim(claimId, detailsHash);
        }
        _assertStatus(ledger.getClaim(claimId), RetirementClaims.ClaimStatus.Provisional, "still provisional");

        // An attestor the admin appoints later confirms.
        vm.prank(admin);
        ledger.grantRole(attestorRole, stranger);
        vm.prank(stranger);
        ledger.confirmClaim(claimId, detailsHash);
        assertEq(ledger.getClaim(claimId).decidedBy, stranger, "the appointed attestor");
    }

    function test_aClaimIsConfirmedOnce() public {
        _confirm(claimId);
        vm.expectRevert(
            abi.encodeWithSelector(
                ClaimAttestations.ClaimNotProvisional.selector, claimId, RetirementClaims.ClaimStatus.Confirmed
            )
        );
        vm.prank(attestor);
        ledger.confirmClaim(claimId, detailsHash);
    }

    function test_confirmingAnUnknownClaimIsRefused() public {
        uint256[2] memory unknown = [uint256(0), claimId + 1];
        for (uint256 i = 0; i < unknown.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(RetirementClaims.UnknownClaim.selector, unknown[i]));
            vm.prank(attestor);
            ledger.confirmClaim(unknown[i], detailsHash);
            vm.expectRevert(abi.encodeWithSelector(RetirementClaims.UnknownClaim.selector, unknown[i]));
            vm.prank(admin);
            ledger.revokeClaim(unknown[i], REASON);
        }
    }

    function test_theAdminRevokesAProvisionalClaimAndItsUnitsAreFree() public {
        _expectRevocation(claimId);
        _assertFreedAndReclaimable();
    }

    function test_theAdminRevokesAConfirmedClaimAndItsUnitsAreFree() public {
        _confirm(claimId);
        _expectRevocation(claimId);
        _assertFreedAndReclaimable();
    }

    /// @notice A revoked claim is final: neither confirmed nor revoked again.
    function test_aRevokedClaimCannotBeConfirmedOrRevokedAgain() public {
        _revoke(claimId, "double retirement");
        vm.expectRevert(
            abi.encodeWithSelector(
                ClaimAttestations.ClaimNotProvisional.selector, claimId, RetirementClaims.ClaimStatus.Revoked
            )
        );
        vm.prank(attestor);
        ledger.confirmClaim(claimId, detailsHash);
        vm.expectRevert(abi.encodeWithSelector(ClaimAttestations.ClaimAlreadyRevoked.selector, claimId));
        vm.prank(admin);
        ledger.revokeClaim(claimId, REASON);
        assertEq(ledger.getClaim(claimId).reasonHash, keccak256("double retirement"), "first reason kept");
    }

    function test_onlyTheAdminRevokes() public {
        bytes32 adminRole = ledger.DEFAULT_ADMIN_ROLE();
        address[4] memory others = [attestor, registrar, stranger, factorySigner];
        for (uint256 i = 0; i < others.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, others[i], adminRole)
            );
            vm.prank(others[i]);
            ledger.revokeClaim(claimId, REASON);
        }
        _assertStatus(ledger.getClaim(claimId), RetirementClaims.ClaimStatus.Provisional, "still provisional");
        assertEq(_holder(BLOCK, 100), claimId, "units still held");
    }

    function test_aRevocationNeedsAReason() public {
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.ReasonRequired.selector));
        vm.prank(admin);
        ledger.revokeClaim(claimId, bytes32(0));
        _assertStatus(ledger.getClaim(claimId), RetirementClaims.ClaimStatus.Provisional, "still provisional");
    }

    /// @notice Nothing is erased: a revoked claim keeps its range, block, signer and details, and
    /// says who revoked it, when and why; only its place in the block's live list is gone.
    function test_aRevokedClaimStaysReadable() public {
        vm.warp(block.timestamp + 60);
        _revoke(claimId, "double retirement");
        RetirementClaims.Claim memory claim =
            _assertDecided(claimId, RetirementClaims.ClaimStatus.Revoked, admin, keccak256("double retirement"));
        assertEq(claim.serialStart, 100, "start kept");
        assertEq(claim.serialEnd, 199, "end kept");
        assertEq(claim.blockKey, bKey, "block kept");
        assertEq(claim.signer, factorySigner, "signer kept");
        assertEq(claim.detailsHash, detailsHash, "details kept");
        assertEq(claim.factoryId, FACTORY, "factory kept");
        assertEq(claim.blockId, BLOCK, "block id kept");
        assertEq(_live(BLOCK).length, 0, "no live claim left in the block");
        // The revoked claim is no position hint any more, and no page cursor.
        vm.expectRevert(abi.encodeWithSelector(RangeLists.InvalidPositionHint.selector, claimId));
        ledger.claimOf(REGISTRY, BLOCK, 150, claimId);
        vm.expectRevert(abi.encodeWithSelector(RangeLists.InvalidPositionHint.selector, claimId));
        ledger.liveClaimsInBlock(REGISTRY, BLOCK, claimId, 10);
    }

    /// @notice A revocation frees exactly its claim's units: neighbours keep theirs, and a new claim
    /// may span the freed range up to them, not beyond.
    function test_aRevocationBetweenNeighboursFreesOnlyItsUnits() public {
        uint256 before = _claimUnits(_claim(BLOCK, 0, 99), FACTORY_KEY);
        uint256 after_ = _claimUnits(_claim(BLOCK, 200, 299), FACTORY_KEY);
        _revoke(claimId, "wrong block");
        assertEq(_holder(BLOCK, 99), before, "neighbour before kept");
        assertEq(_holder(BLOCK, 100), 0, "freed");
        assertEq(_holder(BLOCK, 199), 0, "freed");
        assertEq(_holder(BLOCK, 200), after_, "neighbour after kept");

        RetirementClaims.ClaimCommit memory tooWide = _claim(BLOCK, 100, 200);
        tooWide.factoryId = OTHER_FACTORY;
        bytes memory signature = _signClaim(tooWide, OTHER_FACTORY_KEY);
        vm.expectRevert(abi.encodeWithSelector(RetirementClaims.ClaimOverlaps.selector, after_, FACTORY, 200, 299));
        ledger.claimRetirement(tooWide, signature, before);

        uint256[] memory live = _live(BLOCK);
        assertEq(live.length, 2, "two live claims");
        assertEq(live[0], before, "first");
        assertEq(live[1], after_, "second");
    }

    // ---- helpers ----

    function _expectRevocation(uint256 id) internal {
        vm.warp(block.timestamp + 7200);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit ClaimAttestations.ClaimRevoked(id, bKey, admin, REASON);
        vm.prank(admin);
        ledger.revokeClaim(id, REASON);
        _assertDecided(id, RetirementClaims.ClaimStatus.Revoked, admin, REASON);
    }

    /// @dev Asserts that claim `id` was decided now as `status` by `by` with `reasonHash`; returns it.
    function _assertDecided(uint256 id, RetirementClaims.ClaimStatus status, address by, bytes32 reasonHash)
        internal
        view
        returns (RetirementClaims.Claim memory claim)
    {
        claim = ledger.getClaim(id);
        _assertStatus(claim, status, "status");
        assertEq(claim.decidedBy, by, "decided by");
        assertEq(claim.decidedAt, block.timestamp, "decided now");
        assertEq(claim.reasonHash, reasonHash, "reason hash");
    }

    /// @dev After the revocation of the setUp claim: its units are free, and another factory claims them.
    function _assertFreedAndReclaimable() internal {
        assertEq(_holder(BLOCK, 100), 0, "first unit free");
        assertEq(_holder(BLOCK, 199), 0, "last unit free");
        assertEq(_live(BLOCK).length, 0, "no live claim");

        RetirementClaims.ClaimCommit memory again = _claim(BLOCK, 100, 199);
        again.factoryId = OTHER_FACTORY;
        uint256 hint = _hintFor(BLOCK, 100);
        assertEq(hint, 0, "the revoked claim is no predecessor");
        uint256 newId = _claimUnits(again, OTHER_FACTORY_KEY, hint);
        assertEq(newId, claimId + 1, "a new claim");
        assertEq(_holder(BLOCK, 150), newId, "the other factory holds the units");
        assertEq(ledger.getClaim(newId).factoryId, OTHER_FACTORY, "of the other factory");
        _assertStatus(ledger.getClaim(claimId), RetirementClaims.ClaimStatus.Revoked, "the old claim stays revoked");
    }

    /// @notice A revoked claim's signature is public (calldata, events): replayed, it must not take the
    /// units back; the factory signs a new claim instead.
    function test_aRevokedClaimsSignatureCannotBeReplayed() public {
        RetirementClaims.ClaimCommit memory commit = _claim(BLOCK, 1, 10);
        bytes memory signature = _signClaim(commit, FACTORY_KEY);
        uint256 id = ledger.claimRetirement(commit, signature, 0);
        assertEq(ledger.recordedClaim(ledger.hashClaim(commit)), id, "found by its digest");
        vm.expectRevert(abi.encodeWithSelector(RetirementClaims.ClaimAlreadyRecorded.selector, id));
        ledger.claimRetirement(commit, signature, 0);
        vm.prank(admin);
        ledger.revokeClaim(id, keccak256("not the factory's"));
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(RetirementClaims.ClaimAlreadyRecorded.selector, id));
        ledger.claimRetirement(commit, signature, 0);
        assertEq(ledger.claimOf(REGISTRY, BLOCK, 5, 0), 0, "the units stay free");
        commit.consumptionEnd = "2025-06"; // a new signed claim of the same units
        assertEq(ledger.claimRetirement(commit, _signClaim(commit, FACTORY_KEY), 0), id + 1, "a new claim");
    }
}
