// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {CarbonLedger} from "../contracts/CarbonLedger.sol";
import {FactoryRegistry} from "../contracts/FactoryRegistry.sol";

import {LedgerFixture} from "./base/LedgerFixture.sol";
import {OwnerWallet} from "./base/OwnerWallet.sol";

/// @notice The factory registry: registration by the registrar, rotation signed by the current key or
/// forced by the admin, and the signer history, with every refusal.
contract FactoryRegistryTest is LedgerFixture {
    function test_constructorRefusesTheZeroAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(CarbonLedger.InvalidAdmin.selector, address(0)));
        new CarbonLedger(address(0), registrar, attestor);
    }

    function test_eachPowerIsItsOwnKeyAtDeployment() public {
        CarbonLedger fresh = new CarbonLedger(admin, registrar, attestor);
        (bytes32 adminRole, bytes32 registrarRole, bytes32 attestorRole, bytes32 evaluatorRole) =
            (fresh.DEFAULT_ADMIN_ROLE(), fresh.REGISTRAR_ROLE(), fresh.ATTESTOR_ROLE(), fresh.EVALUATOR_ROLE());
        assertTrue(fresh.hasRole(adminRole, admin), "admin role");
        assertFalse(fresh.hasRole(registrarRole, admin), "the admin is not the registrar");
        assertFalse(fresh.hasRole(attestorRole, admin), "the admin is not an attestor");
        assertTrue(fresh.hasRole(registrarRole, registrar), "registrar role");
        assertFalse(fresh.hasRole(adminRole, registrar), "the registrar is not the admin");
        assertFalse(fresh.hasRole(attestorRole, registrar), "the registrar is not an attestor");
        assertTrue(fresh.hasRole(attestorRole, attestor), "attestor role");
        assertFalse(fresh.hasRole(adminRole, attestor), "the attestor is not the admin");
        assertFalse(fresh.hasRole(registrarRole, attestor), "the attestor is not the registrar");
        assertFalse(fresh.hasRole(evaluatorRole, admin), "no evaluator at deployment");
    }

    /// @notice A zero registrar or attestor appoints nobody; the admin appoints them later.
    function test_zeroRegistrarAndAttestorAreAppointedLater() public {
        CarbonLedger fresh = new CarbonLedger(admin, address(0), address(0));
        bytes32 registrarRole = fresh.REGISTRAR_ROLE();
        assertFalse(fresh.hasRole(registrarRole, address(0)), "nobody is registrar");
        assertFalse(fresh.hasRole(fresh.ATTESTOR_ROLE(), address(0)), "nobody is attestor");
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, admin, registrarRole)
        );
        vm.prank(admin);
        fresh.registerFactory("CN-NEW", stranger);

        vm.prank(admin);
        fresh.grantRole(registrarRole, registrar);
        vm.prank(registrar);
        fresh.registerFactory("CN-NEW", stranger);
        assertTrue(fresh.isRegistered("CN-NEW"), "registered by the appointed registrar");
    }

    function test_registerRecordsTheFirstEpoch() public {
        string memory id = "CN-ZJ-HZ-0002";
        vm.roll(2000);
        vm.warp(1767300000);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit FactoryRegistry.FactoryRegistered(keccak256(bytes(id)), id, stranger);
        vm.prank(registrar);
        ledger.registerFactory(id, stranger);

        assertTrue(ledger.isRegistered(id), "registered");
        assertEq(ledger.currentSigner(id), stranger, "current signer");
        FactoryRegistry.SignerEpoch[] memory history = ledger.signerHistory(id);
        assertEq(history.length, 1, "one epoch");
        assertEq(history[0].signer, stranger, "epoch signer");
        assertEq(history[0].validFromBlock, 2000, "epoch block");
        assertEq(history[0].validFromTime, 1767300000, "epoch time");
        assertFalse(history[0].forced, "a registration is not forced");
        assertEq(ledger.signerAt(id, 1999), address(0), "no signer before registration");
        assertEq(ledger.signerAt(id, 2000), stranger, "signer from its block");
    }

    function test_registerRefusesADuplicate() public {
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.FactoryAlreadyRegistered.selector, FACTORY));
        vm.prank(registrar);
        ledger.registerFactory(FACTORY, stranger);
    }

    function test_registerRefusesTheZeroSigner() public {
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.InvalidSignerAddress.selector, address(0)));
        vm.prank(registrar);
        ledger.registerFactory("CN-NEW", address(0));
    }

    function test_registerRefusesBadIds() public {
        string[5] memory bad = ["", "has space", "slash/", unicode"é", ""];
        bad[4] = _repeat("a", 65);
        for (uint256 i = 0; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.InvalidFactoryId.selector, bad[i]));
            vm.prank(registrar);
            ledger.registerFactory(bad[i], stranger);
        }
    }

    function test_registerAcceptsTheWholeAlphabetUpTo64Bytes() public {
        vm.startPrank(registrar);
        ledger.registerFactory("AZaz09._:-", stranger);
        ledger.registerFactory(_repeat("x", 64), stranger);
        vm.stopPrank();
        assertTrue(ledger.isRegistered(_repeat("x", 64)), "64-byte id");
    }

    function test_onlyTheRegistrarRegisters() public {
        address[3] memory others = [stranger, admin, attestor];
        for (uint256 i = 0; i < others.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAccessControl.AccessControlUnauthorizedAccount.selector, others[i], ledger.REGISTRAR_ROLE()
                )
            );
            vm.prank(others[i]);
            ledger.registerFactory("CN-NEW", stranger);
        }
        assertFalse(ledger.isRegistered("CN-NEW"), "not registered");
    }

    /// @notice The current key signs its successor; anyone relays; the history keeps both.
    function test_rotationSignedByTheCurrentKeyAppendsAndKeepsTheHistory() public {
        address next = vm.addr(NEW_FACTORY_KEY);
        vm.roll(block.number + 5);
        uint256 rotatedAt = block.number;
        bytes memory signature = _signRotation(FACTORY_KEY, FACTORY, next, 1);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit FactoryRegistry.SignerRotated(keccak256(bytes(FACTORY)), FACTORY, factorySigner, next);
        vm.prank(stranger);
        ledger.rotateSigner(FACTORY, next, signature);

        assertEq(ledger.currentSigner(FACTORY), next, "new signer in force");
        assertEq(ledger.signerAt(FACTORY, rotatedAt - 1), factorySigner, "old signer before the rotation");
        assertEq(ledger.signerAt(FACTORY, rotatedAt), next, "new signer from the rotation's block");
        FactoryRegistry.SignerEpoch[] memory history = ledger.signerHistory(FACTORY);
        assertEq(history.length, 2, "two epochs");
        assertEq(history[1].signer, next, "second epoch's signer");
        assertEq(history[1].validFromBlock, rotatedAt, "second epoch's block");
        assertFalse(history[1].forced, "a signed rotation is not forced");

        // The new key rotates next, at epoch 2.
        _rotate(FACTORY, NEW_FACTORY_KEY, 0xFAC3);
        assertEq(ledger.currentSigner(FACTORY), vm.addr(0xFAC3), "third key in force");
    }

    /// @notice A rotation signature rotates once: neither sent twice nor kept for a later epoch.
    function test_aRotationSignatureCannotBeReplayed() public {
        address next = vm.addr(NEW_FACTORY_KEY);
        bytes memory toNext = _signRotation(FACTORY_KEY, FACTORY, next, 1);
        ledger.rotateSigner(FACTORY, next, toNext);

        // The same signature again: the key it installs is already in force.
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.SignerUnchanged.selector, FACTORY, next));
        ledger.rotateSigner(FACTORY, next, toNext);

        // Back to the first key, signed by the second: the first key's old signature is for epoch 1,
        // the history is at epoch 3 now.
        ledger.rotateSigner(FACTORY, factorySigner, _signRotation(NEW_FACTORY_KEY, FACTORY, factorySigner, 2));
        vm.expectRevert(
            abi.encodeWithSelector(FactoryRegistry.InvalidRotationSignature.selector, FACTORY, factorySigner)
        );
        ledger.rotateSigner(FACTORY, next, toNext);
        assertEq(ledger.currentSigner(FACTORY), factorySigner, "the replay changed nothing");
        assertEq(ledger.signerHistory(FACTORY).length, 3, "three epochs");
    }

    /// @notice The current key's signature names the epoch the history is at: an older or a later
    /// one is refused.
    function test_aRotationForAnotherEpochIsRefused() public {
        address next = vm.addr(NEW_FACTORY_KEY);
        bytes memory invalid =
            abi.encodeWithSelector(FactoryRegistry.InvalidRotationSignature.selector, FACTORY, factorySigner);
        uint256[2] memory epochs = [uint256(0), 2];
        for (uint256 i = 0; i < epochs.length; ++i) {
            bytes memory signature = _signRotation(FACTORY_KEY, FACTORY, next, epochs[i]);
            vm.expectRevert(invalid);
            ledger.rotateSigner(FACTORY, next, signature);
        }
        assertEq(ledger.signerHistory(FACTORY).length, 1, "still one epoch");
    }

    /// @notice Only the current key's signature of this factory, key and epoch rotates.
    function test_aRotationNotSignedByTheCurrentKeyIsRefused() public {
        address next = vm.addr(NEW_FACTORY_KEY);
        bytes memory invalid =
            abi.encodeWithSelector(FactoryRegistry.InvalidRotationSignature.selector, FACTORY, factorySigner);
        uint256[4] memory wrongKeys = [STRANGER_KEY, NEW_FACTORY_KEY, ADMIN_KEY, REGISTRAR_KEY];
        for (uint256 i = 0; i < wrongKeys.length; ++i) {
            bytes memory signature = _signRotation(wrongKeys[i], FACTORY, next, 1);
            vm.expectRevert(invalid);
            ledger.rotateSigner(FACTORY, next, signature);
        }

        // The current key's signature for another new key, or for another factory it also signs for.
        bytes memory forOther = _signRotation(FACTORY_KEY, FACTORY, stranger, 1);
        vm.expectRevert(invalid);
        ledger.rotateSigner(FACTORY, next, forOther);
        vm.prank(registrar);
        ledger.registerFactory("CN-TWIN", factorySigner);
        bytes memory forTwin = _signRotation(FACTORY_KEY, "CN-TWIN", next, 1);
        vm.expectRevert(invalid);
        ledger.rotateSigner(FACTORY, next, forTwin);
        vm.expectRevert(invalid);
        ledger.rotateSigner(FACTORY, next, hex"1234");
        assertEq(ledger.currentSigner(FACTORY), factorySigner, "signer unchanged");
    }

    /// @notice A contract wallet (ERC-1271) that is a factory's key signs its rotation.
    function test_aContractWalletSignsARotationThroughErc1271() public {
        OwnerWallet wallet = new OwnerWallet(vm.addr(NEW_FACTORY_KEY));
        vm.prank(registrar);
        ledger.registerFactory("CN-WALLET", address(wallet));

        bytes memory byStranger = _signRotation(STRANGER_KEY, "CN-WALLET", factorySigner, 1);
        vm.expectRevert(
            abi.encodeWithSelector(FactoryRegistry.InvalidRotationSignature.selector, "CN-WALLET", address(wallet))
        );
        ledger.rotateSigner("CN-WALLET", factorySigner, byStranger);

        _rotate("CN-WALLET", NEW_FACTORY_KEY, FACTORY_KEY);
        assertEq(ledger.currentSigner("CN-WALLET"), factorySigner, "the wallet handed over to an EOA");
        assertFalse(ledger.signerHistory("CN-WALLET")[1].forced, "signed, not forced");
    }

    /// @notice The registrar registers and nothing more: it can neither rotate nor force a key.
    function test_theRegistrarCannotRotate() public {
        bytes memory byRegistrar = _signRotation(REGISTRAR_KEY, FACTORY, registrar, 1);
        vm.expectRevert(
            abi.encodeWithSelector(FactoryRegistry.InvalidRotationSignature.selector, FACTORY, factorySigner)
        );
        vm.prank(registrar);
        ledger.rotateSigner(FACTORY, registrar, byRegistrar);

        bytes32 adminRole = ledger.DEFAULT_ADMIN_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, registrar, adminRole)
        );
        vm.prank(registrar);
        ledger.forceRotateSigner(FACTORY, registrar, keccak256("lost key"));
        assertEq(ledger.signerHistory(FACTORY).length, 1, "still one epoch");
    }

    function test_rotationRefusals() public {
        bytes memory signature = _signRotation(FACTORY_KEY, FACTORY, address(0), 1);
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.InvalidSignerAddress.selector, address(0)));
        ledger.rotateSigner(FACTORY, address(0), signature);
        signature = _signRotation(FACTORY_KEY, FACTORY, factorySigner, 1);
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.SignerUnchanged.selector, FACTORY, factorySigner));
        ledger.rotateSigner(FACTORY, factorySigner, signature);
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.UnknownFactory.selector, "CN-NOBODY"));
        ledger.rotateSigner("CN-NOBODY", stranger, signature);
    }

    /// @notice The admin replaces a lost key without its signature; the epoch says it was forced.
    function test_theAdminForcesARotationMarkedForced() public {
        address next = vm.addr(NEW_FACTORY_KEY);
        bytes32 reason = keccak256("factory's signed request: key lost");
        vm.roll(block.number + 3);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit FactoryRegistry.SignerForceRotated(keccak256(bytes(FACTORY)), FACTORY, factorySigner, next, admin, reason);
        vm.prank(admin);
        ledger.forceRotateSigner(FACTORY, next, reason);

        assertEq(ledger.currentSigner(FACTORY), next, "new signer in force");
        FactoryRegistry.SignerEpoch[] memory history = ledger.signerHistory(FACTORY);
        assertEq(history.length, 2, "two epochs");
        assertFalse(history[0].forced, "the registration's epoch");
        assertTrue(history[1].forced, "the forced epoch is marked");
        assertEq(history[1].validFromBlock, block.number, "forced from this block");

        // The lost key can no longer rotate; the new one does, at epoch 2, unforced.
        bytes memory byLostKey = _signRotation(FACTORY_KEY, FACTORY, stranger, 2);
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.InvalidRotationSignature.selector, FACTORY, next));
        ledger.rotateSigner(FACTORY, stranger, byLostKey);
        _rotate(FACTORY, NEW_FACTORY_KEY, STRANGER_KEY);
        assertFalse(ledger.signerHistory(FACTORY)[2].forced, "a signed rotation after a forced one");
    }

    function test_aForcedRotationNeedsTheAdminAndAReason() public {
        address next = vm.addr(NEW_FACTORY_KEY);
        bytes32 reason = keccak256("key lost");
        bytes32 adminRole = ledger.DEFAULT_ADMIN_ROLE();
        address[3] memory others = [stranger, registrar, attestor];
        for (uint256 i = 0; i < others.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, others[i], adminRole)
            );
            vm.prank(others[i]);
            ledger.forceRotateSigner(FACTORY, next, reason);
        }
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.ReasonRequired.selector));
        ledger.forceRotateSigner(FACTORY, next, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.InvalidSignerAddress.selector, address(0)));
        ledger.forceRotateSigner(FACTORY, address(0), reason);
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.SignerUnchanged.selector, FACTORY, factorySigner));
        ledger.forceRotateSigner(FACTORY, factorySigner, reason);
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.UnknownFactory.selector, "CN-NOBODY"));
        ledger.forceRotateSigner("CN-NOBODY", next, reason);
        vm.stopPrank();
        assertEq(ledger.signerHistory(FACTORY).length, 1, "still one epoch");
    }

    function test_readersRefuseUnknownFactories() public {
        bytes memory unknown = abi.encodeWithSelector(FactoryRegistry.UnknownFactory.selector, "CN-NOBODY");
        assertFalse(ledger.isRegistered("CN-NOBODY"), "not registered");
        vm.expectRevert(unknown);
        ledger.currentSigner("CN-NOBODY");
        vm.expectRevert(unknown);
        ledger.signerAt("CN-NOBODY", 1);
        vm.expectRevert(unknown);
        ledger.signerHistory("CN-NOBODY");
    }

    /// @notice Whatever the rotation schedule, signed or forced, `signerAt` answers the last epoch
    /// begun by that block and the history marks exactly the forced epochs.
    function testFuzz_signerAtFollowsTheRotations(uint8 rotations, uint256 gapSeed, uint256 query) public {
        uint256 n = bound(rotations, 1, 12);
        uint256[] memory startBlock = new uint256[](n + 1);
        address[] memory signerOf = new address[](n + 1);
        bool[] memory forced = new bool[](n + 1);
        startBlock[0] = block.number;
        signerOf[0] = factorySigner;
        uint256 currentKey = FACTORY_KEY;
        for (uint256 i = 1; i <= n; ++i) {
            uint256 seed = uint256(keccak256(abi.encode(gapSeed, i)));
            // Gaps of 0 blocks too: two rotations in one block leave the later one in force.
            vm.roll(block.number + seed % 4);
            startBlock[i] = block.number;
            signerOf[i] = vm.addr(0x1000 + i);
            forced[i] = (seed >> 8) % 4 == 0;
            if (forced[i]) {
                vm.prank(admin);
                ledger.forceRotateSigner(FACTORY, signerOf[i], keccak256(abi.encode("lost", i)));
            } else {
                _rotate(FACTORY, currentKey, 0x1000 + i);
            }
            currentKey = 0x1000 + i;
        }
        uint256 at = bound(query, startBlock[0] - 1, block.number + 2);
        address expected = address(0);
        for (uint256 i = 0; i <= n; ++i) {
            if (startBlock[i] <= at) {
                expected = signerOf[i];
            }
        }
        assertEq(ledger.signerAt(FACTORY, at), expected, "signerAt");
        FactoryRegistry.SignerEpoch[] memory history = ledger.signerHistory(FACTORY);
        assertEq(history.length, n + 1, "one epoch per rotation");
        for (uint256 i = 0; i <= n; ++i) {
            assertEq(history[i].signer, signerOf[i], "epoch signer");
            assertEq(history[i].forced, forced[i], "forced flag");
        }
    }

    /// @notice An id is accepted iff it is 1..64 bytes of `A-Z a-z 0-9 . _ : -`.
    function testFuzz_factoryIdAlphabet(bytes memory raw) public {
        // Most bytes are mapped into the alphabet, so valid ids come as often as invalid ones.
        bytes memory alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
        bytes memory id = new bytes(raw.length);
        for (uint256 i = 0; i < raw.length; ++i) {
            uint8 b = uint8(raw[i]);
            id[i] = b < 240 ? alphabet[b % alphabet.length] : raw[i];
        }
        bool valid = id.length > 0 && id.length <= 64;
        for (uint256 i = 0; i < id.length && valid; ++i) {
            bytes1 c = id[i];
            valid = (c >= "0" && c <= "9") || (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || c == "." || c == "_"
                || c == ":" || c == "-";
        }
        vm.assume(keccak256(id) != keccak256(bytes(FACTORY)));
        if (!valid) {
            vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.InvalidFactoryId.selector, string(id)));
        }
        vm.prank(registrar);
        ledger.registerFactory(string(id), stranger);
        assertEq(ledger.isRegistered(string(id)), valid, "registered iff valid");
    }

    function _repeat(bytes1 c, uint256 n) internal pure returns (string memory) {
        bytes memory b = new bytes(n);
        for (uint256 i = 0; i < n; ++i) {
            b[i] = c;
        }
        return string(b);
    }
}
