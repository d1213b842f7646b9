// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {BatchAnchors} from "../../contracts/BatchAnchors.sol";
import {CarbonLedger} from "../../contracts/CarbonLedger.sol";
import {ClaimAttestations} from "../../contracts/ClaimAttestations.sol";
import {FactoryRegistry} from "../../contracts/FactoryRegistry.sol";
import {RetirementClaims} from "../../contracts/RetirementClaims.sol";
import {RangeLists} from "../../contracts/utils/RangeLists.sol";

import {Vm} from "../base/Test.sol";

/**
 * @title LedgerHandler
 * @notice What the invariant fuzzer may do to the ledger, in random order and with random inputs:
 * anchor batch revisions (right, wrong and replayed revision numbers; current and stale keys),
 * claim serial ranges (small serials so that overlaps are common, and the top of the serial space)
 * with exact, zero, stale and invalid position hints, confirm and revoke claims (as the right role
 * and as others), rotate factories' keys by their own signature (and with forged, stale-epoch ones)
 * or by the admin's force, and let blocks pass. It keeps a model of what the contract should hold
 * (the ghost state) and counts every outcome the model did not predict as a *surprise*.
 * @dev A small world on purpose: 3 factories, 2 periods, 2 issuance blocks, so that a run of 32
 * calls revisits the same keys. The model predicts every refusal by the error it carries, in the
 * order the contract checks.
 */
contract LedgerHandler {
    Vm private constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
    uint256 private constant STRANGER_KEY = 0xBAD;
    string public constant REGISTRY = "GEC";

    uint8 public constant PROVISIONAL = uint8(RetirementClaims.ClaimStatus.Provisional);
    uint8 public constant CONFIRMED = uint8(RetirementClaims.ClaimStatus.Confirmed);
    uint8 public constant REVOKED = uint8(RetirementClaims.ClaimStatus.Revoked);

    /// @notice What the model holds of one anchored revision.
    struct GhostAnchor {
        bytes32 root;
        address signer;
        uint256 anchoredBlock;
        uint64 leafCount;
    }

    /// @notice What the model holds of one recorded claim; claim `id` is `claims()[id - 1]`.
    struct GhostClaim {
        uint256 blockIndex;
        uint256 factory;
        uint128 start;
        uint128 end;
        bytes32 detailsHash;
        uint8 status;
        address decidedBy;
        uint256 decidedAt;
        bytes32 reasonHash;
    }

    /// @notice What the model holds of one signer epoch.
    struct GhostEpoch {
        address signer;
        uint256 fromBlock;
        bool forced;
    }

    CarbonLedger public immutable ledger;
    address public immutable admin;
    address public immutable registrar;
    address public immutable attestor;
    address public immutable stranger;

    string[3] private _factories = ["CN-F0", "CN-F1", "CN-F2"];
    string[2] private _periods = ["2025-01", "2025-02"];
    string[2] private _blocks = ["GEC-B0", "GEC-B1"];

    mapping(uint256 factory => uint256 key) private _currentKey;
    mapping(uint256 factory => uint256 key) private _previousKey;
    mapping(uint256 factory => GhostEpoch[]) private _epochs;
    uint256 private _nextKey = 0x5000;

    mapping(uint256 factory => mapping(uint256 period => GhostAnchor[])) private _anchors;
    GhostClaim[] private _claims;

    /// @notice Outcomes the model did not predict; the first one's description.
    uint256 public surprises;
    string public firstSurprise;
    /// @notice How often each thing happened, so a run that did nothing shows.
    uint256 public commitsAccepted;
    uint256 public commitsRefused;
    uint256 public claimsAccepted;
    uint256 public claimsRefused;
    uint256 public claimsRefusedForTheHint;
    uint256 public decisionsAccepted;
    uint256 public decisionsRefused;
    uint256 public rotations;
    uint256 public rotationsRefused;

    constructor(CarbonLedger ledger_, address admin_, address registrar_, address attestor_) {
        (ledger, admin, registrar, attestor, stranger) = (ledger_, admin_, registrar_, attestor_, vm.addr(STRANGER_KEY));
        for (uint256 f = 0; f < _factories.length; ++f) {
            _currentKey[f] = _nextKey++;
            vm.prank(registrar_);
            ledger_.registerFactory(_factories[f], vm.addr(_currentKey[f]));
            _epochs[f].push(GhostEpoch(vm.addr(_currentKey[f]), block.number, false));
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
    /// in 16 at the very top of the serial space; sometimes signed by the wrong key. The position
    /// hint is mostly the model's exact predecessor, sometimes 0, a stale one (the block's first live
    /// claim) or an invalid one (revoked, of the other block, starting after the range, unknown).
    function claim(uint256 factorySeed, uint256 blockSeed, uint256 startSeed, uint256 lengthSeed, uint16 mode)
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
        bool wrongKey = mode % 8 == 7;
        bytes memory signature = _sign(wrongKey ? _otherKey(f) : _currentKey[f], ledger.hashClaim(c));
        uint256 hint = _chooseHint(b, start, mode >> 3);

        bytes memory expected = _expectedClaimError(b, start, end, hint); // empty: accepted
        if (expected.length == 0 && wrongKey) {
            expected = abi.encodeWithSelector(
                RetirementClaims.InvalidClaimSignature.selector, _factories[f], vm.addr(_currentKey[f])
            );
        }
        try ledger.claimRetirement(c, signature, hint) returns (uint256 claimId) {
            _expectOutcome("claimRetirement", bytes4(expected), bytes4(0));
            if (claimId != _claims.length + 1) {
                _surprise("claimRetirement returned an id that is not the next one");
            }
            _claims.push(GhostClaim(b, f, start, end, c.detailsHash, PROVISIONAL, address(0), 0, bytes32(0)));
            ++claimsAccepted;
        } catch (bytes memory reason) {
            _expectRevertData("claimRetirement", expected, reason);
            ++claimsRefused;
            if (bytes4(reason) == RangeLists.InvalidPositionHint.selector) {
                ++claimsRefusedForTheHint;
            }
        }
    }

    /// @notice Confirms a claim (mostly one that exists, sometimes any id 0..n+1): mostly by the
    /// attestor with the claim's details hash, sometimes with another hash, sometimes by someone who
    /// is not an attestor.
    function attest(uint256 claimSeed, uint8 mode) external {
        uint256 id = _pickClaim(claimSeed, mode);
        address sender = mode % 8 == 0 ? [admin, registrar, stranger][(mode >> 3) % 3] : attestor;
        bool known = id != 0 && id <= _claims.length;
        bytes32 detailsHash = known ? _claims[id - 1].detailsHash : keccak256("no such claim");
        bytes32 offered = mode % 8 == 1 ? keccak256("other details") : detailsHash;

        bytes memory expected;
        if (sender != attestor) {
            expected = abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, sender, ledger.ATTESTOR_ROLE()
            );
        } else if (!known) {
            expected = abi.encodeWithSelector(RetirementClaims.UnknownClaim.selector, id);
        } else if (_claims[id - 1].status != PROVISIONAL) {
            expected =
                abi.encodeWithSelector(ClaimAttestations.ClaimNotProvisional.selector, id, _claims[id - 1].status);
        } else if (offered != detailsHash) {
            expected = abi.encodeWithSelector(ClaimAttestations.ClaimDetailsMismatch.selector, id, detailsHash);
        }
        vm.prank(sender);
        try ledger.confirmClaim(id, offered) {
            _expectOutcome("confirmClaim", bytes4(expected), bytes4(0));
            _decide(id, CONFIRMED, sender, bytes32(0));
            ++decisionsAccepted;
        } catch (bytes memory reason) {
            _expectRevertData("confirmClaim", expected, reason);
            ++decisionsRefused;
        }
    }

    /// @notice Revokes a claim (mostly one that exists, sometimes any id 0..n+1): mostly by the admin
    /// with a reason, sometimes without one, sometimes by someone who is not the admin. A revoked
    /// claim's units are free again.
    function revoke(uint256 claimSeed, uint8 mode) external {
        uint256 id = _pickClaim(claimSeed, mode);
        address sender = mode % 8 == 0 ? [attestor, registrar, stranger][(mode >> 3) % 3] : admin;
        bytes32 reasonHash = mode % 8 == 1 ? bytes32(0) : keccak256(abi.encode("reason", claimSeed));

        bytes memory expected;
        if (sender != admin) {
            expected = abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, sender, ledger.DEFAULT_ADMIN_ROLE()
            );
        } else if (id == 0 || id > _claims.length) {
            expected = abi.encodeWithSelector(RetirementClaims.UnknownClaim.selector, id);
        } else if (_claims[id - 1].status == REVOKED) {
            expected = abi.encodeWithSelector(ClaimAttestations.ClaimAlreadyRevoked.selector, id);
        } else if (reasonHash == bytes32(0)) {
            expected = abi.encodeWithSelector(FactoryRegistry.ReasonRequired.selector);
        }
        vm.prank(sender);
        try ledger.revokeClaim(id, reasonHash) {
            _expectOutcome("revokeClaim", bytes4(expected), bytes4(0));
            _decide(id, REVOKED, sender, reasonHash);
            ++decisionsAccepted;
        } catch (bytes memory reason) {
            _expectRevertData("revokeClaim", expected, reason);
            ++decisionsRefused;
        }
    }

    /// @notice Gives a factory a new key, in force from this block: mostly signed by its current key
    /// and relayed by a stranger; sometimes signed by another key or for an older epoch (a replay);
    /// one time in 8 forced by the admin (or attempted without a reason, or by the registrar); one
    /// time in 8 to the key already in force.
    function rotate(uint256 factorySeed, uint8 mode) external {
        uint256 f = factorySeed % _factories.length;
        bool unchanged = (mode >> 5) == 0;
        uint256 newKey = unchanged ? _currentKey[f] : _nextKey++;
        bool forced = mode % 8 == 7;
        (address sender, bytes memory call, bytes memory expected) =
            forced ? _forcedRotation(f, vm.addr(newKey), mode) : _signedRotation(f, vm.addr(newKey), mode);
        vm.prank(sender);
        (bool ok, bytes memory reason) = address(ledger).call(call);
        string memory action = forced ? "forceRotateSigner" : "rotateSigner";
        if (ok) {
            _expectOutcome(action, bytes4(expected), bytes4(0));
            (_previousKey[f], _currentKey[f]) = (_currentKey[f], newKey);
            _epochs[f].push(GhostEpoch(vm.addr(newKey), block.number, forced));
            ++rotations;
        } else {
            _expectRevertData(action, expected, reason);
            ++rotationsRefused;
        }
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

    function epochs(uint256 f) external view returns (GhostEpoch[] memory) {
        return _epochs[f];
    }

    /// @notice Every claim the model recorded, by id - 1.
    function claims() external view returns (GhostClaim[] memory) {
        return _claims;
    }

    /// @notice The model's live claims of block `b`, in serial order.
    function liveClaims(uint256 b) public view returns (uint256[] memory ids) {
        ids = new uint256[](_claims.length);
        uint256 n = 0;
        uint256 after_ = 0; // the last id listed; each round takes the next live claim by start
        for (bool found = true; found;) {
            found = false;
            uint256 best = 0;
            for (uint256 id = 1; id <= _claims.length; ++id) {
                if (
                    _isLive(b, id) && (after_ == 0 || _claims[id - 1].start > _claims[after_ - 1].start)
                        && (best == 0 || _claims[id - 1].start < _claims[best - 1].start)
                ) {
                    best = id;
                }
            }
            if (best != 0) {
                (ids[n++], after_, found) = (best, best, true);
            }
        }
        assembly ("memory-safe") {
            mstore(ids, n)
        }
    }

    // ---- helpers ----

    /// @dev A claim id: one that exists, or one time in 4 (and while there is none) any of 0..n+1.
    function _pickClaim(uint256 seed, uint8 mode) private view returns (uint256) {
        uint256 n = _claims.length;
        return n == 0 || mode >> 6 == 0 ? seed % (n + 2) : 1 + seed % n;
    }

    /// @dev A rotation of factory `f` to `next` signed and relayed by a stranger: mode % 8 = 5 signed by
    /// a key that is not the current one, 6 by the current key for the previous epoch (a replay),
    /// else right; the sender, the call and the error the model predicts.
    function _signedRotation(uint256 f, address next, uint8 mode)
        private
        view
        returns (address, bytes memory, bytes memory expected)
    {
        string memory id = _factories[f];
        address current = vm.addr(_currentKey[f]);
        if (next == current) {
            expected = abi.encodeWithSelector(FactoryRegistry.SignerUnchanged.selector, id, next);
        } else if (mode % 8 == 5 || mode % 8 == 6) {
            expected = abi.encodeWithSelector(FactoryRegistry.InvalidRotationSignature.selector, id, current);
        }
        return (stranger, abi.encodeCall(ledger.rotateSigner, (id, next, _rotationSignature(f, next, mode))), expected);
    }

    function _rotationSignature(uint256 f, address next, uint8 mode) private view returns (bytes memory) {
        uint256 signingKey = mode % 8 == 5 ? _otherKey(f) : _currentKey[f];
        uint256 epoch = mode % 8 == 6 ? _epochs[f].length - 1 : _epochs[f].length;
        return _sign(signingKey, ledger.hashSignerRotation(_factories[f], next, epoch));
    }

    /// @dev A forced rotation of factory `f` to `next`: by the admin with a reason, or (by `mode`)
    /// without one, or by the registrar; the sender, the call and the error the model predicts.
    function _forcedRotation(uint256 f, address next, uint8 mode)
        private
        view
        returns (address sender, bytes memory, bytes memory expected)
    {
        string memory id = _factories[f];
        sender = (mode >> 3) % 4 == 1 ? registrar : admin;
        bytes32 reasonHash = (mode >> 3) % 4 == 0 ? bytes32(0) : keccak256(abi.encode("lost key", mode));
        if (sender != admin) {
            expected = abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, sender, ledger.DEFAULT_ADMIN_ROLE()
            );
        } else if (reasonHash == bytes32(0)) {
            expected = abi.encodeWithSelector(FactoryRegistry.ReasonRequired.selector);
        } else if (next == vm.addr(_currentKey[f])) {
            expected = abi.encodeWithSelector(FactoryRegistry.SignerUnchanged.selector, id, next);
        }
        return (sender, abi.encodeCall(ledger.forceRotateSigner, (id, next, reasonHash)), expected);
    }

    /// @dev The hint for a claim of block `b` at `start`: modes 0-4 the exact predecessor, 5 zero,
    /// 6 the block's first live claim (stale, or 0 after `start`), 7 an invalid one.
    function _chooseHint(uint256 b, uint128 start, uint256 mode) private view returns (uint256) {
        uint256 kind = mode % 8;
        if (kind <= 4) {
            return _predecessor(b, start);
        }
        if (kind == 5) {
            return 0;
        }
        uint256[] memory live = liveClaims(b);
        if (kind == 6) {
            return live.length != 0 && _claims[live[0] - 1].start <= start ? live[0] : 0;
        }
        // Invalid (whichever `mode` picks): a revoked claim; a live claim of the other block starting
        // at or before `start` (the last such, so not its first when it has more); a live claim of this
        // block starting after `start`; else an id that does not exist.
        uint256 wanted = (mode >> 3) % 4;
        if (wanted == 1) {
            uint256 other = _predecessor((b + 1) % _blocks.length, start);
            if (other != 0) {
                return other;
            }
        }
        for (uint256 id = 1; id <= _claims.length; ++id) {
            GhostClaim storage g = _claims[id - 1];
            bool revoked = g.status == REVOKED;
            if ((wanted == 0 && revoked) || (wanted == 2 && !revoked && g.blockIndex == b && g.start > start)) {
                return id;
            }
        }
        return _claims.length + 1 + (mode >> 5) % 3;
    }

    /// @dev What the contract refuses a claim of `start..end` in block `b` with `hint` for (empty:
    /// nothing), in its order: the hint, then the live claim before the range if it holds `start`,
    /// then the first live claim after `start` if it starts within the range.
    function _expectedClaimError(uint256 b, uint128 start, uint128 end, uint256 hint)
        private
        view
        returns (bytes memory)
    {
        if (hint != 0 && (!_isLive(b, hint) || _claims[hint - 1].start > start)) {
            return abi.encodeWithSelector(RangeLists.InvalidPositionHint.selector, hint);
        }
        uint256 before = _predecessor(b, start);
        if (before != 0 && _claims[before - 1].end >= start) {
            return _overlap(before);
        }
        uint256 next = 0;
        for (uint256 id = 1; id <= _claims.length; ++id) {
            if (
                _isLive(b, id) && _claims[id - 1].start > start
                    && (next == 0 || _claims[id - 1].start < _claims[next - 1].start)
            ) {
                next = id;
            }
        }
        if (next != 0 && _claims[next - 1].start <= end) {
            return _overlap(next);
        }
        return "";
    }

    function _overlap(uint256 id) private view returns (bytes memory) {
        GhostClaim storage g = _claims[id - 1];
        return
            abi.encodeWithSelector(RetirementClaims.ClaimOverlaps.selector, id, _factories[g.factory], g.start, g.end);
    }

    /// @dev The model's live claim of block `b` with the greatest start at or before `point` (0: none).
    function _predecessor(uint256 b, uint128 point) private view returns (uint256 best) {
        for (uint256 id = 1; id <= _claims.length; ++id) {
            if (
                _isLive(b, id) && _claims[id - 1].start <= point
                    && (best == 0 || _claims[id - 1].start > _claims[best - 1].start)
            ) {
                best = id;
            }
        }
    }

    /// @dev Whether the model holds claim `id` live in block `b`.
    function _isLive(uint256 b, uint256 id) private view returns (bool) {
        if (id == 0 || id > _claims.length) {
            return false;
        }
        GhostClaim storage g = _claims[id - 1];
        return g.blockIndex == b && g.status != REVOKED;
    }

    function _decide(uint256 id, uint8 status, address by, bytes32 reasonHash) private {
        GhostClaim storage g = _claims[id - 1];
        (g.status, g.decidedBy, g.decidedAt, g.reasonHash) = (status, by, block.timestamp, reasonHash);
    }

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

    /// @dev A refusal must carry exactly the error (selector and arguments) the model predicted.
    function _expectRevertData(string memory action, bytes memory expected, bytes memory reason) private {
        if (expected.length == 0 || keccak256(reason) != keccak256(expected)) {
            _surprise(
                string.concat(
                    action,
                    ": model expected ",
                    vm.toString(expected),
                    ", the contract refused with ",
                    vm.toString(reason)
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
