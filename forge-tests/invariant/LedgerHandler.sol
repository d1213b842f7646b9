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
import {LedgerModel} from "./LedgerModel.sol";

/**
 * @title LedgerHandler
 * @notice What the invariant fuzzer may do to the ledger, in random order and with random inputs:
 * anchor batch revisions (right, wrong and replayed revision numbers; current and stale keys),
 * claim serial ranges (small serials so that overlaps are common, and the top of the serial space)
 * with exact, zero, stale and invalid position hints, confirm and revoke claims (as the right role
 * and as others), rotate factories' keys by their own signature (and with forged, stale-epoch ones)
 * or by the admin's force, and let blocks pass. It keeps a model of what the contract should hold
 * (the ghost state) and counts every outcome the model did not predict as a *surprise*.
 * @dev The model ({LedgerModel}: a small world of 3 factories, 2 periods, 2 issuance blocks)
 * predicts every refusal by the error it carries, in the order the contract checks.
 */
contract LedgerHandler is LedgerModel {
    Vm private constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
    CarbonLedger public immutable ledger;
    address public immutable admin;
    address public immutable registrar;
    address public immutable attestor;
    address public immutable stranger;

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

        // a signed claim is recorded once: the same one again is refused before anything else is looked at
        uint256 earlier = _recorded[c.detailsHash];
        bytes memory expected = earlier != 0
            ? abi.encodeWithSelector(RetirementClaims.ClaimAlreadyRecorded.selector, earlier)
            : _expectedClaimError(b, start, end, hint); // empty: accepted
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
            _recorded[c.detailsHash] = claimId;
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

    // ---- helpers ----

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
