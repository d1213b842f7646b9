// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BatchAnchors} from "../contracts/BatchAnchors.sol";
import {FactoryRegistry} from "../contracts/FactoryRegistry.sol";

import {LedgerFixture} from "./base/LedgerFixture.sol";
import {OwnerWallet} from "./base/OwnerWallet.sol";

/// @notice Batch anchors: revisions 1, 2, 3 … signed by the factory's current key, stored once.
contract BatchAnchorsTest is LedgerFixture {
    function test_revisionOneIsStoredAndAnnounced() public {
        BatchAnchors.BatchCommit memory commit = _batch(1);
        bytes memory signature = _signBatch(commit, FACTORY_KEY);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit BatchAnchors.BatchAnchored(
            keccak256(bytes(FACTORY)),
            keccak256(bytes(PERIOD)),
            1,
            FACTORY,
            PERIOD,
            commit.root,
            12,
            factorySigner,
            "ipfs://batch"
        );
        ledger.commitBatch(commit, signature);

        BatchAnchors.Anchor memory anchor = ledger.getAnchor(FACTORY, PERIOD, 1);
        assertEq(anchor.root, commit.root, "root");
        assertEq(anchor.signer, factorySigner, "signer");
        assertEq(anchor.anchoredBlock, block.number, "block");
        assertEq(anchor.leafCount, 12, "leaf count");
        assertEq(ledger.revisionCount(FACTORY, PERIOD), 1, "one revision");
        assertTrue(ledger.isAnchorSignatureValid(FACTORY, PERIOD, 1, "ipfs://batch", signature), "signature checks");
        assertFalse(ledger.isAnchorSignatureValid(FACTORY, PERIOD, 1, "ipfs://other", signature), "URI is signed");
    }

    function test_anyoneMayRelay() public {
        BatchAnchors.BatchCommit memory commit = _batch(1);
        bytes memory signature = _signBatch(commit, FACTORY_KEY);
        vm.prank(stranger);
        ledger.commitBatch(commit, signature);
        assertEq(ledger.getAnchor(FACTORY, PERIOD, 1).signer, factorySigner, "the factory signed, not the relayer");
    }

    function test_correctionsFollowInOrderAndLeaveEarlierRevisions() public {
        for (uint32 r = 1; r <= 3; ++r) {
            _commit(_batch(r), FACTORY_KEY);
        }
        assertEq(ledger.revisionCount(FACTORY, PERIOD), 3, "three revisions");
        for (uint32 r = 1; r <= 3; ++r) {
            assertEq(ledger.getAnchor(FACTORY, PERIOD, r).root, _batch(r).root, "each revision keeps its root");
        }
        assertEq(ledger.revisionCount(FACTORY, "2025-02"), 0, "periods are separate");
    }

    function test_gapsAndRevisionZeroAreRefused() public {
        BatchAnchors.BatchCommit memory zero = _batch(0);
        bytes memory signature = _signBatch(zero, FACTORY_KEY);
        vm.expectRevert(abi.encodeWithSelector(BatchAnchors.RevisionGap.selector, FACTORY, PERIOD, 1, 0));
        ledger.commitBatch(zero, signature);

        _commit(_batch(1), FACTORY_KEY);
        BatchAnchors.BatchCommit memory three = _batch(3);
        signature = _signBatch(three, FACTORY_KEY);
        vm.expectRevert(abi.encodeWithSelector(BatchAnchors.RevisionGap.selector, FACTORY, PERIOD, 2, 3));
        ledger.commitBatch(three, signature);
    }

    function test_aReplayIsRefused() public {
        BatchAnchors.BatchCommit memory commit = _batch(1);
        bytes memory signature = _signBatch(commit, FACTORY_KEY);
        ledger.commitBatch(commit, signature);
        vm.expectRevert(abi.encodeWithSelector(BatchAnchors.RevisionAlreadyAnchored.selector, FACTORY, PERIOD, 1));
        ledger.commitBatch(commit, signature);

        // Another root under an anchored revision number is refused as well: revisions never change.
        BatchAnchors.BatchCommit memory other = _batch(FACTORY, PERIOD, 1, keccak256("other"));
        signature = _signBatch(other, FACTORY_KEY);
        vm.expectRevert(abi.encodeWithSelector(BatchAnchors.RevisionAlreadyAnchored.selector, FACTORY, PERIOD, 1));
        ledger.commitBatch(other, signature);
        assertEq(ledger.getAnchor(FACTORY, PERIOD, 1).root, commit.root, "revision 1 unchanged");
    }

    function test_onlyTheCurrentKeySigns() public {
        BatchAnchors.BatchCommit memory commit = _batch(1);
        bytes memory byStranger = _signBatch(commit, STRANGER_KEY);
        bytes memory invalid =
            abi.encodeWithSelector(BatchAnchors.InvalidCommitSignature.selector, FACTORY, factorySigner);
        vm.expectRevert(invalid);
        ledger.commitBatch(commit, byStranger);

        // A signature over other fields does not carry over.
        BatchAnchors.BatchCommit memory tampered = _batch(1);
        tampered.leafCount = 13;
        bytes memory signature = _signBatch(commit, FACTORY_KEY);
        vm.expectRevert(invalid);
        ledger.commitBatch(tampered, signature);

        // Neither does a malformed one.
        vm.expectRevert(invalid);
        ledger.commitBatch(commit, hex"1234");
    }

    function test_afterARotationOnlyTheNewKeySignsAndOldAnchorsStillCheck() public {
        BatchAnchors.BatchCommit memory first = _batch(1);
        bytes memory firstSignature = _signBatch(first, FACTORY_KEY);
        ledger.commitBatch(first, firstSignature);
        vm.roll(block.number + 1);
        _rotate(FACTORY, FACTORY_KEY, NEW_FACTORY_KEY);

        BatchAnchors.BatchCommit memory second = _batch(2);
        bytes memory stale = _signBatch(second, FACTORY_KEY);
        vm.expectRevert(
            abi.encodeWithSelector(BatchAnchors.InvalidCommitSignature.selector, FACTORY, vm.addr(NEW_FACTORY_KEY))
        );
        ledger.commitBatch(second, stale);
        _commit(second, NEW_FACTORY_KEY);

        assertEq(ledger.getAnchor(FACTORY, PERIOD, 1).signer, factorySigner, "revision 1 keeps its signer");
        assertEq(ledger.getAnchor(FACTORY, PERIOD, 2).signer, vm.addr(NEW_FACTORY_KEY), "revision 2 new signer");
        assertTrue(
            ledger.isAnchorSignatureValid(FACTORY, PERIOD, 1, "ipfs://batch", firstSignature),
            "old signature checks against the old key"
        );
    }

    function test_fieldChecks() public {
        string[7] memory badPeriods = ["", "2025-1", "2025-00", "2025-13", "2025/01", "20a5-01", "2025-011"];
        for (uint256 i = 0; i < badPeriods.length; ++i) {
            _expectCommitRevert(
                _batch(FACTORY, badPeriods[i], 1, keccak256("r")),
                abi.encodeWithSelector(BatchAnchors.InvalidPeriod.selector, badPeriods[i])
            );
        }
        _expectCommitRevert(
            _batch(FACTORY, PERIOD, 1, bytes32(0)), abi.encodeWithSelector(BatchAnchors.ZeroRoot.selector)
        );

        BatchAnchors.BatchCommit memory commit = _batch(1);
        commit.leafCount = 0;
        _expectCommitRevert(commit, abi.encodeWithSelector(BatchAnchors.EmptyBatch.selector));
        commit.leafCount = uint64(type(uint48).max) + 1;
        _expectCommitRevert(commit, abi.encodeWithSelector(BatchAnchors.LeafCountTooLarge.selector, commit.leafCount));
        commit.leafCount = type(uint48).max;
        commit.uri = string(new bytes(513));
        _expectCommitRevert(commit, abi.encodeWithSelector(BatchAnchors.UriTooLong.selector, 513));
        commit.uri = string(new bytes(512));
        _commit(commit, FACTORY_KEY);
        assertEq(ledger.getAnchor(FACTORY, PERIOD, 1).leafCount, type(uint48).max, "largest leaf count kept");

        _expectCommitRevert(
            _batch("CN-NOBODY", PERIOD, 1, keccak256("r")),
            abi.encodeWithSelector(FactoryRegistry.UnknownFactory.selector, "CN-NOBODY")
        );
        vm.expectRevert(abi.encodeWithSelector(BatchAnchors.UnknownRevision.selector, FACTORY, PERIOD, 2));
        ledger.getAnchor(FACTORY, PERIOD, 2);
    }

    function test_aContractWalletSignsThroughErc1271() public {
        OwnerWallet wallet = new OwnerWallet(vm.addr(NEW_FACTORY_KEY));
        vm.prank(registrar);
        ledger.registerFactory("CN-WALLET", address(wallet));
        BatchAnchors.BatchCommit memory commit = _batch("CN-WALLET", PERIOD, 1, keccak256("w"));
        bytes memory byStranger = _signBatch(commit, STRANGER_KEY);
        vm.expectRevert(
            abi.encodeWithSelector(BatchAnchors.InvalidCommitSignature.selector, "CN-WALLET", address(wallet))
        );
        ledger.commitBatch(commit, byStranger);

        _commit(commit, NEW_FACTORY_KEY);
        assertEq(ledger.getAnchor("CN-WALLET", PERIOD, 1).signer, address(wallet), "the wallet is the signer");
    }

    function test_recordsVerifyAgainstTheAnchoredRoot() public {
        bytes32 a = keccak256("record a");
        bytes32 b = keccak256("record b");
        bytes32 leafA = ledger.recordLeaf(a);
        bytes32 leafB = ledger.recordLeaf(b);
        assertEq(leafA, keccak256(bytes.concat(keccak256(abi.encode(a)))), "StandardMerkleTree leaf");
        bytes32 root = leafA < leafB ? keccak256(abi.encode(leafA, leafB)) : keccak256(abi.encode(leafB, leafA));
        _commit(_batch(FACTORY, PERIOD, 1, root), FACTORY_KEY);

        bytes32[] memory proof = new bytes32[](1);
        proof[0] = leafB;
        assertTrue(ledger.verifyAnchoredRecord(FACTORY, PERIOD, 1, a, proof), "record a is in the batch");
        assertFalse(ledger.verifyAnchoredRecord(FACTORY, PERIOD, 1, b, proof), "b with a's proof is not");
        assertFalse(ledger.verifyRecord(root, leafA, proof), "a leaf is not a record hash");
        vm.expectRevert(abi.encodeWithSelector(BatchAnchors.UnknownRevision.selector, FACTORY, PERIOD, 2));
        ledger.verifyAnchoredRecord(FACTORY, PERIOD, 2, a, proof);
    }

    /// @notice After `existing` revisions, a commit is accepted iff it is revision existing + 1 with a
    /// non-zero root and a leaf count in 1..2^48-1; otherwise the first failing check names it, and
    /// nothing anchored changes.
    function testFuzz_onlyTheNextRevisionIsAccepted(uint8 existing, uint32 revision, bytes32 root, uint64 leafCount)
        public
    {
        uint32 n = uint32(bound(existing, 0, 4));
        for (uint32 r = 1; r <= n; ++r) {
            _commit(_batch(r), FACTORY_KEY);
        }
        // Half the time near the edge, so both outcomes are common.
        if (uint256(root) % 2 == 0) {
            revision = uint32(bound(revision, 0, n + 2));
        }
        BatchAnchors.BatchCommit memory commit = _batch(FACTORY, PERIOD, revision, root);
        commit.leafCount = leafCount;
        bytes memory signature = _signBatch(commit, FACTORY_KEY);

        bytes memory expected;
        if (root == bytes32(0)) {
            expected = abi.encodeWithSelector(BatchAnchors.ZeroRoot.selector);
        } else if (leafCount == 0) {
            expected = abi.encodeWithSelector(BatchAnchors.EmptyBatch.selector);
        } else if (leafCount > type(uint48).max) {
            expected = abi.encodeWithSelector(BatchAnchors.LeafCountTooLarge.selector, leafCount);
        } else if (revision != 0 && revision <= n) {
            expected = abi.encodeWithSelector(BatchAnchors.RevisionAlreadyAnchored.selector, FACTORY, PERIOD, revision);
        } else if (revision != n + 1) {
            expected = abi.encodeWithSelector(BatchAnchors.RevisionGap.selector, FACTORY, PERIOD, n + 1, revision);
        }
        if (expected.length != 0) {
            vm.expectRevert(expected);
        }
        ledger.commitBatch(commit, signature);

        uint32 count = expected.length == 0 ? n + 1 : n;
        assertEq(ledger.revisionCount(FACTORY, PERIOD), count, "revision count");
        for (uint32 r = 1; r <= n; ++r) {
            assertEq(ledger.getAnchor(FACTORY, PERIOD, r).root, _batch(r).root, "earlier revisions unchanged");
        }
        if (expected.length == 0) {
            assertEq(ledger.getAnchor(FACTORY, PERIOD, revision).root, root, "new revision's root");
        }
    }

    /// @notice `revisionCount` (a doubling search, then bisection) finds n for any n.
    function testFuzz_revisionCountFindsTheLatest(uint8 revisions) public {
        uint32 n = uint32(bound(revisions, 0, 40));
        for (uint32 r = 1; r <= n; ++r) {
            _commit(_batch(r), FACTORY_KEY);
            assertEq(ledger.revisionCount(FACTORY, PERIOD), r, "count after each revision");
        }
        assertEq(ledger.revisionCount(FACTORY, PERIOD), n, "count");
    }

    /// @notice A period is accepted iff it is `YYYY-MM`, all digits but the dash, month 01..12.
    function testFuzz_periodFormat(bytes7 raw, bool digits) public {
        bytes memory period = abi.encodePacked(raw);
        if (digits) {
            // Mostly well-formed, so months 00..99 and the dash are what varies.
            for (uint256 i = 0; i < 7; ++i) {
                period[i] = bytes1(uint8(0x30 + uint8(raw[i]) % 10));
            }
            period[4] = uint8(raw[4]) < 200 ? bytes1("-") : raw[4];
        }
        bool valid = period[4] == "-";
        for (uint256 i = 0; i < 7; ++i) {
            if (i != 4 && (period[i] < "0" || period[i] > "9")) {
                valid = false;
            }
        }
        if (valid) {
            uint256 month = (uint8(period[5]) - 48) * 10 + (uint8(period[6]) - 48);
            valid = month >= 1 && month <= 12;
        }
        BatchAnchors.BatchCommit memory commit = _batch(FACTORY, string(period), 1, keccak256("r"));
        bytes memory signature = _signBatch(commit, FACTORY_KEY);
        if (!valid) {
            vm.expectRevert(abi.encodeWithSelector(BatchAnchors.InvalidPeriod.selector, string(period)));
        }
        ledger.commitBatch(commit, signature);
        assertEq(ledger.revisionCount(FACTORY, string(period)), valid ? 1 : 0, "anchored iff valid");
    }

    function _expectCommitRevert(BatchAnchors.BatchCommit memory commit, bytes memory error) internal {
        bytes memory signature = _signBatch(commit, FACTORY_KEY);
        vm.expectRevert(error);
        ledger.commitBatch(commit, signature);
    }
}
