// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BatchAnchors} from "../../contracts/BatchAnchors.sol";
import {CarbonLedger} from "../../contracts/CarbonLedger.sol";
import {EvaluationReports} from "../../contracts/EvaluationReports.sol";
import {RetirementClaims} from "../../contracts/RetirementClaims.sol";

import {Test} from "./Test.sol";

/**
 * @title LedgerFixture
 * @notice A freshly deployed CarbonLedger with an admin, one registered factory and an evaluator,
 * and the helpers that build and sign what the contract accepts. Every unit and fuzz test starts
 * from here, so a change of the contract's ABI is mended in one place.
 * @dev Signatures are made with forge's `vm.sign` over the digest the contract itself computes
 * (`hashBatchCommit`, `hashClaim`, `hashReport`); `Eip712.t.sol` checks those digests against an
 * independent encoding. Sign *before* `vm.expectRevert` or `vm.prank`: both apply to the next call,
 * and the digest is a call.
 */
abstract contract LedgerFixture is Test {
    uint256 internal constant ADMIN_KEY = 0xA11CE;
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
    address internal factorySigner;
    address internal evaluator;
    address internal stranger;

    function setUp() public virtual {
        admin = vm.addr(ADMIN_KEY);
        factorySigner = vm.addr(FACTORY_KEY);
        evaluator = vm.addr(EVALUATOR_KEY);
        stranger = vm.addr(STRANGER_KEY);
        vm.label(admin, "admin");
        vm.label(factorySigner, "factorySigner");
        vm.label(evaluator, "evaluator");
        vm.label(stranger, "stranger");

        ledger = new CarbonLedger(admin);
        vm.startPrank(admin);
        ledger.registerFactory(FACTORY, factorySigner);
        ledger.grantRole(ledger.EVALUATOR_ROLE(), evaluator);
        vm.stopPrank();
    }

    // ---- signatures ----

    /// @dev A 65-byte `r ‖ s ‖ v` signature of `digest` by `key`, as wallets send it.
    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
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

    function _claimUnits(RetirementClaims.ClaimCommit memory commit, uint256 key) internal returns (uint256) {
        return ledger.claimRetirement(commit, _signClaim(commit, key));
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
