// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BatchAnchors} from "../contracts/BatchAnchors.sol";
import {EvaluationReports} from "../contracts/EvaluationReports.sol";
import {RetirementClaims} from "../contracts/RetirementClaims.sol";

import {LedgerFixture} from "./base/LedgerFixture.sol";

/// @notice The digests the contract asks signers for, recomputed here from the EIP-712 type strings
/// the README and the Python client publish: if either side drifts, wallets sign what the contract
/// refuses.
contract Eip712Test is LedgerFixture {
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    function test_theDomainIsCarbonLedgerVersionOneOnThisChainAndContract() public view {
        (, string memory name, string memory version, uint256 chainId, address verifyingContract,,) =
            ledger.eip712Domain();
        assertEq(name, "CarbonLedger", "name");
        assertEq(version, "1", "version");
        assertEq(chainId, block.chainid, "chain id");
        assertEq(verifyingContract, address(ledger), "contract");
    }

    function test_batchCommitDigest() public view {
        BatchAnchors.BatchCommit memory c = _batch(3);
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "BatchCommit(string factoryId,string period,uint32 revision,bytes32 root,uint64 leafCount,string uri)"
                ),
                keccak256(bytes(c.factoryId)),
                keccak256(bytes(c.period)),
                c.revision,
                c.root,
                c.leafCount,
                keccak256(bytes(c.uri))
            )
        );
        assertEq(ledger.hashBatchCommit(c), _typedDigest(structHash), "BatchCommit digest");
    }

    function test_retirementClaimDigest() public view {
        RetirementClaims.ClaimCommit memory c = _claim(BLOCK, 7, 9);
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "RetirementClaim(string factoryId,string registry,string blockId,uint128 serialStart,uint128 serialEnd,"
                    "string consumptionStart,string consumptionEnd,ClaimDetails details)"
                    "ClaimDetails(string projectId,string technology,string quantity,string unit,string generationStart,"
                    "string generationEnd,string purpose,bytes32 evidenceSha256,string country,string region,"
                    "string methodology,string cancellationNumber,string cancellationDate,string bundledWith)"
                ),
                keccak256(bytes(c.factoryId)),
                keccak256(bytes(c.registry)),
                keccak256(bytes(c.blockId)),
                c.serialStart,
                c.serialEnd,
                keccak256(bytes(c.consumptionStart)),
                keccak256(bytes(c.consumptionEnd)),
                c.detailsHash
            )
        );
        assertEq(ledger.hashClaim(c), _typedDigest(structHash), "RetirementClaim digest");
    }

    function test_evaluationReportDigest() public view {
        EvaluationReports.ReportCommit memory c = _report(keccak256("report"));
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "EvaluationReport(string factoryId,uint16 year,string reportType,string level,bytes32 reportHash,"
                    "string factorSet,string ruleSet,address evaluator)"
                ),
                keccak256(bytes(c.factoryId)),
                c.year,
                keccak256(bytes(c.reportType)),
                keccak256(bytes(c.level)),
                c.reportHash,
                keccak256(bytes(c.factorSet)),
                keccak256(bytes(c.ruleSet)),
                c.evaluator
            )
        );
        assertEq(ledger.hashReport(c), _typedDigest(structHash), "EvaluationReport digest");
    }

    function test_signerRotationDigest() public view {
        address next = vm.addr(NEW_FACTORY_KEY);
        bytes32 typeHash = keccak256("SignerRotation(string factoryId,address newSigner,uint256 epoch)");
        assertEq(ledger.SIGNER_ROTATION_TYPEHASH(), typeHash, "SignerRotation type hash");
        bytes32 structHash = keccak256(abi.encode(typeHash, keccak256(bytes(FACTORY)), next, uint256(1)));
        assertEq(ledger.hashSignerRotation(FACTORY, next, 1), _typedDigest(structHash), "SignerRotation digest");
        // Each member is bound: another epoch, key or factory gives another digest.
        assertTrue(ledger.hashSignerRotation(FACTORY, next, 2) != _typedDigest(structHash), "epoch bound");
        assertTrue(ledger.hashSignerRotation(FACTORY, stranger, 1) != _typedDigest(structHash), "key bound");
        assertTrue(ledger.hashSignerRotation("CN-OTHER", next, 1) != _typedDigest(structHash), "factory bound");
    }

    /// @notice A signature made for one chain is refused on another (the domain binds the chain id).
    function test_aSignatureDoesNotCrossChains() public {
        BatchAnchors.BatchCommit memory commit = _batch(1);
        bytes memory signature = _signBatch(commit, FACTORY_KEY);
        vm.chainId(block.chainid + 1);
        vm.expectRevert(abi.encodeWithSelector(BatchAnchors.InvalidCommitSignature.selector, FACTORY, factorySigner));
        ledger.commitBatch(commit, signature);
    }

    function _typedDigest(bytes32 structHash) private view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("CarbonLedger"), keccak256("1"), block.chainid, address(ledger))
        );
        return keccak256(abi.encodePacked(hex"1901", domain, structHash));
    }
}
