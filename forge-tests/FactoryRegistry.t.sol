// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {CarbonLedger} from "../contracts/CarbonLedger.sol";
import {FactoryRegistry} from "../contracts/FactoryRegistry.sol";

import {LedgerFixture} from "./base/LedgerFixture.sol";

/// @notice The factory registry: registration, rotation and the signer history, with every refusal.
contract FactoryRegistryTest is LedgerFixture {
    function test_constructorRefusesTheZeroAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(CarbonLedger.InvalidAdmin.selector, address(0)));
        new CarbonLedger(address(0));
    }

    function test_adminIsFirstRegistrarAndNoEvaluatorAtDeployment() public {
        CarbonLedger fresh = new CarbonLedger(admin);
        assertTrue(fresh.hasRole(fresh.DEFAULT_ADMIN_ROLE(), admin), "admin role");
        assertTrue(fresh.hasRole(fresh.REGISTRAR_ROLE(), admin), "registrar role");
        assertFalse(fresh.hasRole(fresh.EVALUATOR_ROLE(), admin), "no evaluator at deployment");
    }

    function test_registerRecordsTheFirstEpoch() public {
        string memory id = "CN-ZJ-HZ-0002";
        vm.roll(2000);
        vm.warp(1767300000);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit FactoryRegistry.FactoryRegistered(keccak256(bytes(id)), id, stranger);
        vm.prank(admin);
        ledger.registerFactory(id, stranger);

        assertTrue(ledger.isRegistered(id), "registered");
        assertEq(ledger.currentSigner(id), stranger, "current signer");
        FactoryRegistry.SignerEpoch[] memory history = ledger.signerHistory(id);
        assertEq(history.length, 1, "one epoch");
        assertEq(history[0].signer, stranger, "epoch signer");
        assertEq(history[0].validFromBlock, 2000, "epoch block");
        assertEq(history[0].validFromTime, 1767300000, "epoch time");
        assertEq(ledger.signerAt(id, 1999), address(0), "no signer before registration");
        assertEq(ledger.signerAt(id, 2000), stranger, "signer from its block");
    }

    function test_registerRefusesADuplicate() public {
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.FactoryAlreadyRegistered.selector, FACTORY));
        vm.prank(admin);
        ledger.registerFactory(FACTORY, stranger);
    }

    function test_registerRefusesTheZeroSigner() public {
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.InvalidSignerAddress.selector, address(0)));
        vm.prank(admin);
        ledger.registerFactory("CN-NEW", address(0));
    }

    function test_registerRefusesBadIds() public {
        string[5] memory bad = ["", "has space", "slash/", unicode"é", ""];
        bad[4] = _repeat("a", 65);
        for (uint256 i = 0; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.InvalidFactoryId.selector, bad[i]));
            vm.prank(admin);
            ledger.registerFactory(bad[i], stranger);
        }
    }

    function test_registerAcceptsTheWholeAlphabetUpTo64Bytes() public {
        vm.startPrank(admin);
        ledger.registerFactory("AZaz09._:-", stranger);
        ledger.registerFactory(_repeat("x", 64), stranger);
        vm.stopPrank();
        assertTrue(ledger.isRegistered(_repeat("x", 64)), "64-byte id");
    }

    function test_onlyTheRegistrarRegistersAndRotates() public {
        bytes memory denied = abi.encodeWithSelector(
            IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, ledger.REGISTRAR_ROLE()
        );
        vm.expectRevert(denied);
        vm.prank(stranger);
        ledger.registerFactory("CN-NEW", stranger);

        vm.expectRevert(denied);
        vm.prank(stranger);
        ledger.rotateSigner(FACTORY, stranger);
        assertEq(ledger.currentSigner(FACTORY), factorySigner, "signer unchanged");
    }

    function test_rotationAppendsAndKeepsTheHistory() public {
        address next = vm.addr(NEW_FACTORY_KEY);
        vm.roll(block.number + 5);
        uint256 rotatedAt = block.number;
        vm.expectEmit(true, true, true, true, address(ledger));
        emit FactoryRegistry.SignerRotated(keccak256(bytes(FACTORY)), FACTORY, factorySigner, next);
        vm.prank(admin);
        ledger.rotateSigner(FACTORY, next);

        assertEq(ledger.currentSigner(FACTORY), next, "new signer in force");
        assertEq(ledger.signerAt(FACTORY, rotatedAt - 1), factorySigner, "old signer before the rotation");
        assertEq(ledger.signerAt(FACTORY, rotatedAt), next, "new signer from the rotation's block");
        assertEq(ledger.signerHistory(FACTORY).length, 2, "two epochs");
    }

    function test_rotationRefusals() public {
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.InvalidSignerAddress.selector, address(0)));
        ledger.rotateSigner(FACTORY, address(0));
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.SignerUnchanged.selector, FACTORY, factorySigner));
        ledger.rotateSigner(FACTORY, factorySigner);
        vm.expectRevert(abi.encodeWithSelector(FactoryRegistry.UnknownFactory.selector, "CN-NOBODY"));
        ledger.rotateSigner("CN-NOBODY", stranger);
        vm.stopPrank();
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

    /// @notice Whatever the rotation schedule, `signerAt` answers the last epoch begun by that block.
    function testFuzz_signerAtFollowsTheRotations(uint8 rotations, uint256 gapSeed, uint256 query) public {
        uint256 n = bound(rotations, 1, 12);
        uint256[] memory startBlock = new uint256[](n + 1);
        address[] memory signerOf = new address[](n + 1);
        startBlock[0] = block.number;
        signerOf[0] = factorySigner;
        for (uint256 i = 1; i <= n; ++i) {
            // Gaps of 0 blocks too: two rotations in one block leave the later one in force.
            vm.roll(block.number + (uint256(keccak256(abi.encode(gapSeed, i))) % 4));
            startBlock[i] = block.number;
            signerOf[i] = vm.addr(0x1000 + i);
            vm.prank(admin);
            ledger.rotateSigner(FACTORY, signerOf[i]);
        }
        uint256 at = bound(query, startBlock[0] - 1, block.number + 2);
        address expected = address(0);
        for (uint256 i = 0; i <= n; ++i) {
            if (startBlock[i] <= at) {
                expected = signerOf[i];
            }
        }
        assertEq(ledger.signerAt(FACTORY, at), expected, "signerAt");
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
        vm.prank(admin);
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
