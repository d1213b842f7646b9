// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BatchAnchors} from "../../contracts/BatchAnchors.sol";
import {CarbonLedger} from "../../contracts/CarbonLedger.sol";
import {EvaluationReports} from "../../contracts/EvaluationReports.sol";
import {RetirementClaims} from "../../contracts/RetirementClaims.sol";

import {Test} from "./Test.sol";

/**
 * @title LedgerFixture
 * @notice A freshly deployed CarbonLedger whose powers are held by separate keys (admin, registrar,
 * attestor), with one registered factory and an evaluator, and the helpers that build and sign
 * what the contract accepts. Every unit and fuzz test starts from here, so a change of the
 * contract's ABI is mended in one place.
 * @dev Signatures are made with forge's `vm.sign` over the digest the contract itself computes
 * (`hashBatchCommit`, `hashClaim`, `hashReport`, `hashSignerRotation`); `Eip712.t.sol` checks those
 * digests against an independent encoding. Sign *before* `vm.expectRevert` or `vm.prank`: both
 * apply to the next call, and the digest is a call.
 */
abstract contract LedgerFixture is Test {
    uint256 internal constant ADMIN_KEY = 0xA11CE;
    uint256 internal constant REGISTRAR_KEY = 0x4E615;
    uint256 internal constant ATTESTOR_KEY = 0xA77E5;
    uint256 internal constant FACTORY_KEY = 0xFAC1;
    uint256 internal constant NEW_FACTORY_KEY = 0xFAC2;
    uint256 internal constant EVALUATOR_KEY = 0xE7A1;
    uint256 internal constant STRANGER_KEY = 0xBAD;

    string internal constant FACTORY = "CN-JS-SZ-0001";
    string internal constant PERIOD = "2025-01";
    string internal constant REGISTRY = "GEC";
    string internal constant BLOCK = "GEC-2025-01-PV-0001";

    CarbonLedger internal ledger;
    address internal admin;
    address internal registrar;
    address internal attestor;
    address internal factorySigner;
    address internal evaluator;
    address internal stranger;

    function setUp() public virtual {
        admin = vm.addr(ADMIN_KEY);
        registrar = vm.addr(REGISTRAR_KEY);
        attestor = vm.addr(ATTESTOR_KEY);
        factorySigner = vm.addr(FACTORY_KEY);
        evaluator = vm.addr(EVALUATOR_KEY);
        stranger = vm.addr(STRANGER_KEY);
        vm.label(admin, "admin");
        vm.label(registrar, "registrar");
        vm.label(attestor, "attestor");
        vm.label(factorySigner, "factorySigner");
        vm.label(evaluator, "evaluator");
        vm.label(stranger, "stranger");

        ledger = new CarbonLedger(admin, registrar, attestor);
        vm.prank(registrar);
        ledger.registerFactory(FACTORY, factorySigner);
        bytes32 evaluatorRole = ledger.EVALUATOR_ROLE();
        vm.prank(admin);
        ledger.grantRole(evaluatorRole, evaluator);
    }

    // ---- signatures ----

    /// @dev A 65-byte `r ‖ s ‖ v` signature of `digest` by `key`, as wallets send it.
    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    // ---- factories ----

    /// @dev `key`'s signature of the rotation of `factoryId` to `newSigner` at signer epoch `epoch`.
    function _signRotation(uint256 key, string memory factoryId, address newSigner, uint256 epoch)
        internal
        view
        returns (bytes memory)
    {
        return _sign(key, ledger.hashSignerRotation(factoryId, newSigner, epoch));
    }

    /// @dev The epoch a rotation of `factoryId` signed now must name: its signer history's length.
    function _epoch(string memory factoryId) internal view returns (uint256) {
        return ledger.signerHistory(factoryId).length;
    }

    /// @dev Rotates `factoryId` from the key `currentKey` to `newKey`'s address, signed by the former
    /// and relayed by a stranger (anyone may relay).
    function _rotate(string memory factoryId, uint256 currentKey, uint256 newKey) internal {
        address next = vm.addr(newKey);
        bytes memory signature = _signRotation(currentKey, factoryId, next, _epoch(factoryId));
        vm.prank(stranger);
        ledger.rotateSigner(factoryId, next, signature);
    }

    // ---- batches ----

    function _batch(string memory factoryId, string memory period, uint32 revision, bytes32 root)
        internal
        pure
        returns (BatchAnchors.BatchCommit memory)
    {
        return BatchAnchors.BatchCommit({
            factoryId: factoryId, period: period, revision: revision, root: root, leafCount: 12, uri: "ipfs://batch"
        });
    }

    function _batch(uint32 revision) internal pure returns (BatchAnchors.BatchCommit memory) {
        return _batch(FACTORY, PERIOD, revision, keccak256(abi.encode("root", revision)));
    }

    function _signBatch(BatchAnchors.BatchCommit memory commit, uint256 key) internal view returns (bytes memory) {
        return _sign(key, ledger.hashBatchCommit(commit));
    }

    function _commit(BatchAnchors.BatchCommit memory commit, uint256 key) internal {
        ledger.commitBatch(commit, _signBatch(commit, key));
    }

    // ---- claims ----

    function _claim(string memory blockId, uint128 start, uint128 end)
        internal
        pure
        returns (RetirementClaims.ClaimCommit memory)
    {
        return RetirementClaims.ClaimCommit({
            factoryId: FACTORY,
            registry: REGISTRY,
            blockId: blockId,
            serialStart: start,
            serialEnd: end,
            consumptionStart: "2025-01",
            consumptionEnd: "2025-12",
            detailsHash: keccak256(abi.encode("details", blockId, start, end))
        });
    }

    function _signClaim(RetirementClaims.ClaimCommit memory commit, uint256 key) internal view returns (bytes memory) {
        return _sign(key, ledger.hashClaim(commit));
    }

    /// @dev Records `commit` signed by `key` with position hint `hint`.
    function _claimUnits(RetirementClaims.ClaimCommit memory commit, uint256 key, uint256 hint)
        internal
        returns (uint256)
    {
        return ledger.claimRetirement(commit, _signClaim(commit, key), hint);
    }

    /// @dev Records `commit` signed by `key` with the exact hint, found as a relayer finds it
    /// ({precedingClaim} walking from the block's first claim).
    function _claimUnits(RetirementClaims.ClaimCommit memory commit, uint256 key) internal returns (uint256) {
        return _claimUnits(commit, key, _hintFor(commit.blockId, commit.serialStart));
    }

    /// @dev The exact position hint for serial `serial` of `blockId` (registry {REGISTRY}).
    function _hintFor(string memory blockId, uint128 serial) internal view returns (uint256) {
        return ledger.precedingClaim(REGISTRY, blockId, serial, 0);
    }

    /// @dev Who holds serial `serial` of `blockId` (registry {REGISTRY}), looked up from the first claim.
    function _holder(string memory blockId, uint128 serial) internal view returns (uint256) {
        return ledger.claimOf(REGISTRY, blockId, serial, 0);
    }

    /// @dev Every live claim of `blockId` (registry {REGISTRY}) in serial order, in one page.
    function _live(string memory blockId) internal view returns (uint256[] memory) {
        return ledger.liveClaimsInBlock(REGISTRY, blockId, 0, 1000);
    }

    /// @dev Asserts that `claim` stands as `expected` (statuses compared as numbers, named in `message`).
    function _assertStatus(
        RetirementClaims.Claim memory claim,
        RetirementClaims.ClaimStatus expected,
        string memory message
    ) internal pure {
        assertEq(uint256(claim.status), uint256(expected), message);
    }

    /// @dev The attestor confirms claim `claimId` with the details hash it carries.
    function _confirm(uint256 claimId) internal {
        bytes32 detailsHash = ledger.getClaim(claimId).detailsHash;
        vm.prank(attestor);
        ledger.confirmClaim(claimId, detailsHash);
    }

    /// @dev The admin revokes claim `claimId` with reason `reason`.
    function _revoke(uint256 claimId, string memory reason) internal {
        vm.prank(admin);
        ledger.revokeClaim(claimId, keccak256(bytes(reason)));
    }

    // ---- reports ----

    function _report(bytes32 reportHash) internal view returns (EvaluationReports.ReportCommit memory) {
        return EvaluationReports.ReportCommit({
            factoryId: FACTORY,
            year: 2025,
            reportType: "I",
            level: "5*",
            reportHash: reportHash,
            factorSet: "cn-mee-2023@2025.1",
            ruleSet: "t-ceca-g-0171-2022@1",
            evaluator: evaluator
        });
    }

    function _signReport(EvaluationReports.ReportCommit memory commit, uint256 key)
        internal
        view
        returns (bytes memory)
    {
        return _sign(key, ledger.hashReport(commit));
    }
}
