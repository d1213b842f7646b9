// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BatchAnchors} from "../../contracts/BatchAnchors.sol";
import {CarbonLedger} from "../../contracts/CarbonLedger.sol";
import {RetirementClaims} from "../../contracts/RetirementClaims.sol";

import {Vm} from "../base/Test.sol";

/**
 * @title LedgerHandler
 * @notice What the invariant fuzzer may do to the ledger, in random order and with random inputs:
 * anchor batch revisions (right, wrong and replayed revision numbers; current and stale keys),
 * claim serial ranges (small serials so that overlaps are common, and the top of the serial space),
 * rotate factories' keys and let blocks pass. It keeps a model of what the contract should hold (the
 * ghost state) and counts every outcome the model did not predict as a *surprise*.
 * @dev A small world on purpose: 3 factories, 2 periods, 2 issuance blocks, so that a run of 32
 * calls revisits the same keys. A contract change adds an action here (e.g. attest or revoke a
 * claim), updates the model, and the invariants in LedgerInvariants.t.sol still apply.
 */
contract LedgerHandler {
    Vm private constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
    uint256 private constant STRANGER_KEY = 0xBAD;
    string public constant REGISTRY = "GEC";

    /// @notice What the model holds of one anchored revision.
    struct GhostAnchor {
        bytes32 root;
        address signer;
        uint256 anchoredBlock;
        uint64 leafCount;
    }

    /// @notice What the model holds of one recorded claim.
    struct GhostClaim {
        uint256 claimId;
        uint256 factory;
        uint128 start;
        uint128 end;
        bool live;
    }

    CarbonLedger public immutable ledger;
    address public immutable admin;

    string[3] private _factories = ["CN-F0", "CN-F1", "CN-F2"];
    string[2] private _periods = ["2025-01", "2025-02"];
    string[2] private _blocks = ["GEC-B0", "GEC-B1"];

    mapping(uint256 factory => uint256 key) private _currentKey;
    mapping(uint256 factory => uint256 key) private _previousKey;
    uint256 private _nextKey = 0x5000;

    mapping(uint256 factory => mapping(uint256 period => GhostAnchor[])) private _anchors;
    mapping(uint256 blockIndex => GhostClaim[]) private _claims;

    /// @notice Outcomes the model did not predict; the first one's description.
    uint256 public surprises;
    string public firstSurprise;
    /// @notice How often each thing happened, so a run that did nothing shows.
    uint256 public commitsAccepted;
    uint256 public commitsRefused;
    uint256 public claimsAccepted;
    uint256 public claimsRefused;
    uint256 public rotations;

    constructor(CarbonLedger ledger_, address admin_) {
        ledger = ledger_;
        admin = admin_;
        for (uint256 f = 0; f < _factories.length; ++f) {
            _currentKey[f] = _nextKey++;
            vm.prank(admin_);
            ledger_.registerFactory(_factories[f], vm.addr(_currentKey[f]));
        }
    }

    // ---- actions (the fuzzer calls these) ----

    /// @notice Anchors a revision: mostly the next one, sometimes any revision 0..n+2, sometimes the
    /// next one signed by a key that is not the factory's current one.
    function commit(uint256 factorySeed, uint256 periodSeed, uint256 revisionSeed, bytes32 root, uint8 mode) external {
        (uint256 f, uint256 p) = (factorySeed % _factories.length, periodSeed % _periods.length);
        uint32 n = uint32(_anchors[f][p].length);
        uint32 revision = mode % 4 == 2 ? uint32(revisionSeed % (uint256(n) + 3)) : n + 1;
        uint256 key = mode % 4 == 3 ? _otherKey(f) : _currentKey[f];
        BatchAnchors.BatchCommit memory c = BatchAnchors.BatchCommit({
            factoryId: _factories[f],
            period: _periods[p],
            revision: revision,
            root: root,
            leafCount: uint64(revisionSeed % 1000) + 1,
            uri: "ipfs://batch"
        });
        bytes memory signature = _sign(key, ledger.hashBatchCommit(c));

        bytes4 expected; // zero: accepted
        if (root == bytes32(0)) {
            expected = BatchAnchors.ZeroRoot.selector;
        } else if (revision != 0 && revision <= n) {
            expected = BatchAnchors.RevisionAlreadyAnchored.selector;
        } else if (revision != n + 1) {
            expected = BatchAnchors.RevisionGap.selector;
        } else if (key != _currentKey[f]) {
            expected = BatchAnchors.InvalidCommitSignature.selector;
        }
        try ledger.commitBatch(c, signature) {
            _expectOutcome("commitBatch", expected, bytes4(0));
            _anchors[f][p].push(GhostAnchor(root, vm.addr(key), block.number, c.leafCount));
            ++commitsAccepted;
        } catch (bytes memory reason) {
            _expectOutcome("commitBatch", expected, bytes4(reason));
            ++commitsRefused;
        }
    }

    /// @notice Claims a range of a block: small serials (so ranges often touch or overlap), one time
    /// in 16 at the very top of the serial space; sometimes signed by the wrong key.
    function claim(uint256 factorySeed, uint256 blockSeed, uint256 startSeed, uint256 lengthSeed, bool wrongKey)
        external
    {
        (uint256 f, uint256 b) = (factorySeed % _factories.length, blockSeed % _blocks.length);
        uint128 start;
        uint128 end;
        if (startSeed % 16 == 0) {
            end = type(uint128).max - uint128(lengthSeed % 3);
            start = end - uint128((startSeed >> 8) % 40);
        } else {
            start = uint128(startSeed % 256);
            end = start + uint128(lengthSeed % 24);
        }
        RetirementClaims.ClaimCommit memory c = RetirementClaims.ClaimCommit({
            factoryId: _factories[f],
            registry: REGISTRY,
            blockId: _blocks[b],
            serialStart: start,
            serialEnd: end,
            consumptionStart: "2025-01",
            consumptionEnd: "2025-12",
            detailsHash: keccak256(abi.encode(f, b, start, end))
        });
        uint256 key = wrongKey ? _otherKey(f) : _currentKey[f];
        bytes memory signature = _sign(key, ledger.hashClaim(c));

        bytes memory expected; // empty: accepted
        GhostClaim[] storage held = _claims[b];
        for (uint256 i = 0; i < held.length && expected.length == 0; ++i) {
            if (held[i].live && held[i].start <= end && start <= held[i].end) {
                expected = abi.encodeWithSelector(
                    RetirementClaims.ClaimOverlaps.selector,
                    held[i].claimId,
                    _factories[held[i].factory],
                    held[i].start,
                    held[i].end
                );
            }
        }
        if (expected.length == 0 && wrongKey) {
            expected = abi.encodeWithSelector(
                RetirementClaims.InvalidClaimSignature.selector, _factories[f], vm.addr(_currentKey[f])
            );
        }
        try ledger.claimRetirement(c, signature) returns (uint256 claimId) {
            _expectOutcome("claimRetirement", bytes4(expected), bytes4(0));
            if (claimId != ledger.claimCount()) {
                _surprise("claimRetirement returned an id that is not the newest");
            }
            held.push(GhostClaim(claimId, f, start, end, true));
            ++claimsAccepted;
        } catch (bytes memory reason) {
            if (keccak256(reason) != keccak256(expected)) {
                _surprise(string.concat("claimRetirement refused other than the model says: ", vm.toString(reason)));
            }
            ++claimsRefused;
        }
    }

    /// @notice The registrar gives a factory a new key, in force from this block.
    function rotate(uint256 factorySeed) external {
        uint256 f = factorySeed % _factories.length;
        uint256 key = _nextKey++;
        vm.prank(admin);
        ledger.rotateSigner(_factories[f], vm.addr(key));
        (_previousKey[f], _currentKey[f]) = (_currentKey[f], key);
        ++rotations;
    }

    /// @notice Lets 1..3 blocks pass (without it, everything would happen in one block).
    function advance(uint256 blocks) external {
        uint256 n = 1 + blocks % 3;
        vm.roll(block.number + n);
        vm.warp(block.timestamp + 12 * n);
    }

    // ---- the model, for the invariants ----

    function factoryCount() external view returns (uint256) {
        return _factories.length;
    }

    function periodCount() external view returns (uint256) {
        return _periods.length;
    }

    function blockCount() external view returns (uint256) {
        return _blocks.length;
    }

    function factoryId(uint256 f) external view returns (string memory) {
        return _factories[f];
    }

    function period(uint256 p) external view returns (string memory) {
        return _periods[p];
    }

    function blockId(uint256 b) external view returns (string memory) {
        return _blocks[b];
    }

    function anchors(uint256 f, uint256 p) external view returns (GhostAnchor[] memory) {
        return _anchors[f][p];
    }

    function claims(uint256 b) external view returns (GhostClaim[] memory) {
        return _claims[b];
    }

    // ---- helpers ----

    /// @dev A key that does not sign for factory `f` now: its previous key after a rotation, else a stranger's.
    function _otherKey(uint256 f) private view returns (uint256) {
        return _previousKey[f] != 0 ? _previousKey[f] : STRANGER_KEY;
    }

    function _sign(uint256 key, bytes32 digest) private pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _expectOutcome(string memory action, bytes4 expected, bytes4 actual) private {
        if (expected != actual) {
            _surprise(
                string.concat(
                    action,
                    ": model expected ",
                    vm.toString(abi.encodePacked(expected)),
                    ", got ",
                    vm.toString(abi.encodePacked(actual))
                )
            );
        }
    }

    function _surprise(string memory what) private {
        if (surprises++ == 0) {
            firstSurprise = what;
        }
    }
}
