// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BatchAnchors} from "../../contracts/BatchAnchors.sol";
import {CarbonLedger} from "../../contracts/CarbonLedger.sol";
import {FactoryRegistry} from "../../contracts/FactoryRegistry.sol";
import {RetirementClaims} from "../../contracts/RetirementClaims.sol";

import {Test} from "../base/Test.sol";
import {LedgerHandler} from "./LedgerHandler.sol";

/**
 * @title LedgerInvariants
 * @notice What must hold after any sequence of anchors, claims, rotations and passing blocks, read
 * from the contract's public views and compared with the handler's model:
 * no two live claims of a block overlap; revisions run 1..n and an anchored revision never changes;
 * an anchor's signer was the factory's key at its block; every call ended as the model predicted.
 * @dev forge runs `invariant…` functions after every call of every run (foundry.toml: runs, depth).
 * `_isLive` is the one place that says which claims count, so that claim states (attested, revoked)
 * change it and not the overlap invariant.
 */
contract LedgerInvariantsTest is Test {
    CarbonLedger internal ledger;
    LedgerHandler internal handler;

    function setUp() public {
        address admin = vm.addr(0xA11CE);
        ledger = new CarbonLedger(admin);
        handler = new LedgerHandler(ledger, admin);
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](4);
        selectors[0] = LedgerHandler.commit.selector;
        selectors[1] = LedgerHandler.claim.selector;
        selectors[2] = LedgerHandler.rotate.selector;
        selectors[3] = LedgerHandler.advance.selector;
        targetSelector(address(handler), selectors);
    }

    /// @notice Every commit and claim was accepted or refused (with the error) as the model said.
    function invariant_everyOutcomeIsTheModels() public view {
        assertEq(handler.surprises(), 0, handler.firstSurprise());
    }

    /// @notice No two live claims of one block share a unit, and `claimOf` gives each claimed edge
    /// unit to the live claim that holds it.
    function invariant_noTwoLiveClaimsOfABlockOverlap() public view {
        uint256 total = 0;
        for (uint256 b = 0; b < handler.blockCount(); ++b) {
            string memory blockId = handler.blockId(b);
            uint256[] memory ids = ledger.claimsInBlock(handler.REGISTRY(), blockId);
            assertEq(ids.length, handler.claims(b).length, "the block holds the claims the model made");
            total += ids.length;
            for (uint256 i = 0; i < ids.length; ++i) {
                if (!_isLive(ids[i])) {
                    continue;
                }
                RetirementClaims.Claim memory a = ledger.getClaim(ids[i]);
                assertEq(a.blockKey, ledger.blockKey(handler.REGISTRY(), blockId), "claim listed in its block");
                for (uint256 j = i + 1; j < ids.length; ++j) {
                    if (!_isLive(ids[j])) {
                        continue;
                    }
                    RetirementClaims.Claim memory c = ledger.getClaim(ids[j]);
                    assertTrue(a.serialEnd < c.serialStart || c.serialEnd < a.serialStart, "two live claims overlap");
                }
                assertEq(ledger.claimOf(handler.REGISTRY(), blockId, a.serialStart), ids[i], "claimOf(first unit)");
                assertEq(ledger.claimOf(handler.REGISTRY(), blockId, a.serialEnd), ids[i], "claimOf(last unit)");
            }
        }
        assertEq(ledger.claimCount(), total, "every claim is in one of the model's blocks");
    }

    /// @notice For every factory and period, revisions run 1..n with nothing after n, and each holds
    /// exactly what was anchored (root, signer, block, leaf count), however much happened since.
    function invariant_revisionsAreContiguousAndNeverChange() public view {
        for (uint256 f = 0; f < handler.factoryCount(); ++f) {
            string memory factoryId = handler.factoryId(f);
            for (uint256 p = 0; p < handler.periodCount(); ++p) {
                string memory period = handler.period(p);
                LedgerHandler.GhostAnchor[] memory expected = handler.anchors(f, p);
                uint32 n = ledger.revisionCount(factoryId, period);
                assertEq(n, expected.length, "revision count");
                for (uint32 r = 1; r <= n; ++r) {
                    BatchAnchors.Anchor memory anchor = ledger.getAnchor(factoryId, period, r);
                    assertEq(anchor.root, expected[r - 1].root, "anchored root");
                    assertEq(anchor.signer, expected[r - 1].signer, "anchored signer");
                    assertEq(anchor.anchoredBlock, expected[r - 1].anchoredBlock, "anchored block");
                    assertEq(anchor.leafCount, expected[r - 1].leafCount, "anchored leaf count");
                }
                try ledger.getAnchor(factoryId, period, n + 1) {
                    assertTrue(false, "a revision after the last one exists");
                } catch (bytes memory reason) {
                    assertEq(
                        reason,
                        abi.encodeWithSelector(BatchAnchors.UnknownRevision.selector, factoryId, period, n + 1),
                        "UnknownRevision after the last"
                    );
                }
            }
        }
    }

    /// @notice Each anchor's signer is the factory key that was in force in the anchor's block: an
    /// epoch of the signer history that began at or before that block and was not replaced before
    /// it. `signerAt(block)` names the key at the *end* of the block, so it equals the anchor's
    /// signer unless a rotation followed in that same block.
    function invariant_anAnchorsSignerWasTheFactorysKeyAtItsBlock() public view {
        for (uint256 f = 0; f < handler.factoryCount(); ++f) {
            string memory factoryId = handler.factoryId(f);
            FactoryRegistry.SignerEpoch[] memory epochs = ledger.signerHistory(factoryId);
            for (uint256 p = 0; p < handler.periodCount(); ++p) {
                string memory period = handler.period(p);
                uint32 n = ledger.revisionCount(factoryId, period);
                for (uint32 r = 1; r <= n; ++r) {
                    BatchAnchors.Anchor memory anchor = ledger.getAnchor(factoryId, period, r);
                    bool inForce = false;
                    bool rotatedLaterInBlock = false;
                    for (uint256 e = 0; e < epochs.length; ++e) {
                        bool begun = epochs[e].validFromBlock <= anchor.anchoredBlock;
                        bool notReplacedBefore =
                            e + 1 == epochs.length || epochs[e + 1].validFromBlock >= anchor.anchoredBlock;
                        if (begun && notReplacedBefore && epochs[e].signer == anchor.signer) {
                            inForce = true;
                            rotatedLaterInBlock =
                                e + 1 < epochs.length && epochs[e + 1].validFromBlock == anchor.anchoredBlock;
                        }
                    }
                    assertTrue(inForce, "anchor signed by a key not in force in its block");
                    if (!rotatedLaterInBlock) {
                        assertEq(ledger.signerAt(factoryId, anchor.anchoredBlock), anchor.signer, "signerAt");
                    }
                }
            }
        }
    }

    /// @dev Whether a claim holds its units. Every recorded claim does today.
    function _isLive(uint256 claimId) internal view virtual returns (bool) {
        return claimId != 0;
    }
}
