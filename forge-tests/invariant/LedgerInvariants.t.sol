// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BatchAnchors} from "../../contracts/BatchAnchors.sol";
import {CarbonLedger} from "../../contracts/CarbonLedger.sol";
import {FactoryRegistry} from "../../contracts/FactoryRegistry.sol";
import {RetirementClaims} from "../../contracts/RetirementClaims.sol";

import {Test} from "../base/Test.sol";
import {LedgerHandler} from "./LedgerHandler.sol";
import {LedgerModel} from "./LedgerModel.sol";

/**
 * @title LedgerInvariants
 * @notice What must hold after any sequence of anchors, claims, confirmations, revocations,
 * rotations and passing blocks, read from the contract's public views and compared with the
 * handler's model: no two live claims of a block overlap, and each block's live list is sorted,
 * complete and the model's; every claim reads as the model recorded it; revisions run 1..n and an
 * anchored revision never changes; an anchor's signer was the factory's key at its block, and the
 * signer history is the model's; every call ended as the model predicted.
 * @dev forge runs `invariant…` functions after every call of every run (foundry.toml: runs, depth).
 * `_isLive` is the one place that says which claims count (it reads the claim's status), so that
 * claim states change it and not the overlap invariant.
 */
contract LedgerInvariantsTest is Test {
    CarbonLedger internal ledger;
    LedgerHandler internal handler;

    function setUp() public {
        (address admin, address registrar, address attestor) = (vm.addr(0xA11CE), vm.addr(0x4E615), vm.addr(0xA77E5));
        ledger = new CarbonLedger(admin, registrar, attestor);
        handler = new LedgerHandler(ledger, admin, registrar, attestor);
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](6);
        selectors[0] = LedgerHandler.commit.selector;
        selectors[1] = LedgerHandler.claim.selector;
        selectors[2] = LedgerHandler.attest.selector;
        selectors[3] = LedgerHandler.revoke.selector;
        selectors[4] = LedgerHandler.rotate.selector;
        selectors[5] = LedgerHandler.advance.selector;
        targetSelector(address(handler), selectors);
    }

    /// @notice Every commit and claim was accepted or refused (with the error) as the model said.
    function invariant_everyOutcomeIsTheModels() public view {
        assertEq(handler.surprises(), 0, handler.firstSurprise());
    }

    /// @notice No two live claims of one block share a unit (checked pairwise over every claim
    /// ever made, enumerated with claimCount/getClaim); each block's `liveClaimsInBlock` lists exactly
    /// those live claims, in serial order, the same paged or not, and they are the model's; `claimOf`
    /// and `precedingClaim` find each live claim from its edges, with hint 0 or itself.
    function invariant_noTwoLiveClaimsOfABlockOverlap() public view {
        uint256 count = ledger.claimCount();
        string memory registry = handler.REGISTRY();
        RetirementClaims.Claim[] memory all = new RetirementClaims.Claim[](count + 1); // by id
        bool[] memory isLive = new bool[](count + 1);
        for (uint256 id = 1; id <= count; ++id) {
            (all[id], isLive[id]) = (ledger.getClaim(id), _isLive(id));
        }
        for (uint256 b = 0; b < handler.blockCount(); ++b) {
            string memory blockId = handler.blockId(b);
            bytes32 bKey = ledger.blockKey(registry, blockId);
            uint256[] memory live = new uint256[](count);
            uint256 n = 0;
            for (uint256 id = 1; id <= count; ++id) {
                if (all[id].blockKey == bKey && isLive[id]) {
                    live[n++] = id;
                }
            }
            for (uint256 i = 0; i < n; ++i) {
                RetirementClaims.Claim memory a = all[live[i]];
                for (uint256 j = i + 1; j < n; ++j) {
                    RetirementClaims.Claim memory c = all[live[j]];
                    assertTrue(a.serialEnd < c.serialStart || c.serialEnd < a.serialStart, "two live claims overlap");
                }
                assertEq(ledger.claimOf(registry, blockId, a.serialStart, 0), live[i], "claimOf(first unit)");
                assertEq(ledger.claimOf(registry, blockId, a.serialEnd, 0), live[i], "claimOf(last unit)");
                assertEq(ledger.claimOf(registry, blockId, a.serialEnd, live[i]), live[i], "claimOf(itself as hint)");
                assertEq(ledger.precedingClaim(registry, blockId, a.serialStart, 0), live[i], "precedingClaim");
            }

            uint256[] memory listed = ledger.liveClaimsInBlock(registry, blockId, 0, count + 1);
            assertEq(listed.length, n, "the live list holds every live claim of the block");
            for (uint256 i = 0; i < listed.length; ++i) {
                assertEq(all[listed[i]].blockKey, bKey, "a listed claim is of the block");
                assertTrue(isLive[listed[i]], "a listed claim is live");
                if (i > 0) {
                    // Strictly after the previous one: sorted, distinct (so complete) and disjoint.
                    assertTrue(all[listed[i - 1]].serialEnd < all[listed[i]].serialStart, "live list in serial order");
                }
            }
            assertEq(abi.encode(_paged(registry, blockId, 2)), abi.encode(listed), "paged as listed");
            assertEq(abi.encode(handler.liveClaims(b)), abi.encode(listed), "the model's live claims");
        }
    }

    /// @notice Every claim reads through getClaim as the model recorded it: block, range, details,
    /// factory, status, and who decided it, when and why.
    function invariant_everyClaimIsTheModels() public view {
        LedgerModel.GhostClaim[] memory expected = handler.claims();
        assertEq(ledger.claimCount(), expected.length, "claim count");
        for (uint256 id = 1; id <= expected.length; ++id) {
            LedgerModel.GhostClaim memory g = expected[id - 1];
            RetirementClaims.Claim memory c = ledger.getClaim(id);
            assertEq(c.blockKey, ledger.blockKey(handler.REGISTRY(), handler.blockId(g.blockIndex)), "block");
            assertEq(c.serialStart, g.start, "start");
            assertEq(c.serialEnd, g.end, "end");
            assertEq(c.detailsHash, g.detailsHash, "details hash");
            assertEq(c.factoryId, handler.factoryId(g.factory), "factory");
            assertEq(uint256(c.status), g.status, "status");
            assertEq(c.decidedBy, g.decidedBy, "decided by");
            assertEq(c.decidedAt, g.decidedAt, "decided at");
            assertEq(c.reasonHash, g.reasonHash, "reason hash");
        }
    }

    /// @notice For every factory and period, revisions run 1..n with nothing after n, and each holds
    /// exactly what was anchored (root, signer, block, leaf count), however much happened since.
    function invariant_revisionsAreContiguousAndNeverChange() public view {
        for (uint256 f = 0; f < handler.factoryCount(); ++f) {
            string memory factoryId = handler.factoryId(f);
            for (uint256 p = 0; p < handler.periodCount(); ++p) {
                string memory period = handler.period(p);
                LedgerModel.GhostAnchor[] memory expected = handler.anchors(f, p);
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

    /// @notice Each factory's signer history is the model's: every registration, signed rotation and
    /// forced rotation, in order, with its block, and `forced` on exactly the admin's.
    function invariant_signerHistoryIsTheModels() public view {
        for (uint256 f = 0; f < handler.factoryCount(); ++f) {
            FactoryRegistry.SignerEpoch[] memory epochs = ledger.signerHistory(handler.factoryId(f));
            LedgerModel.GhostEpoch[] memory expected = handler.epochs(f);
            assertEq(epochs.length, expected.length, "epochs");
            for (uint256 e = 0; e < epochs.length; ++e) {
                assertEq(epochs[e].signer, expected[e].signer, "epoch signer");
                assertEq(epochs[e].validFromBlock, expected[e].fromBlock, "epoch block");
                assertEq(epochs[e].forced, expected[e].forced, "epoch forced");
            }
            assertEq(ledger.currentSigner(handler.factoryId(f)), expected[expected.length - 1].signer, "current");
        }
    }

    /// @dev Whether a claim holds its units: provisional and confirmed claims do, revoked ones not.
    function _isLive(uint256 claimId) internal view virtual returns (bool) {
        RetirementClaims.ClaimStatus status = ledger.getClaim(claimId).status;
        return status == RetirementClaims.ClaimStatus.Provisional || status == RetirementClaims.ClaimStatus.Confirmed;
    }

    /// @dev The live claims of a block read `limit` at a time, each page after the previous one's last.
    function _paged(string memory registry, string memory blockId, uint256 limit)
        internal
        view
        returns (uint256[] memory all)
    {
        all = new uint256[](ledger.claimCount());
        uint256 n = 0;
        uint256 cursor = 0;
        while (true) {
            uint256[] memory page = ledger.liveClaimsInBlock(registry, blockId, cursor, limit);
            for (uint256 i = 0; i < page.length; ++i) {
                all[n++] = page[i];
            }
            if (page.length < limit) {
                break;
            }
            cursor = page[page.length - 1];
        }
        assembly ("memory-safe") {
            mstore(all, n)
        }
    }
}
