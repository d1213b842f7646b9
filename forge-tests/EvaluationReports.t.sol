// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EvaluationReports} from "../contracts/EvaluationReports.sol";
import {FactoryRegistry} from "../contracts/FactoryRegistry.sol";

import {LedgerFixture} from "./base/LedgerFixture.sol";
import {OwnerWallet} from "./base/OwnerWallet.sol";

/// @notice Evaluation reports: signed by an evaluator who holds EVALUATOR_ROLE, anchored once.
contract EvaluationReportsTest is LedgerFixture {
    function test_aReportIsAnchoredAndListed() public {
        EvaluationReports.ReportCommit memory commit = _report(keccak256("report"));
        bytes memory signature = _signReport(commit, EVALUATOR_KEY);
        vm.prank(stranger); // anyone may relay
        uint256 reportId = ledger.anchorReport(commit, signature);

        assertEq(reportId, 1, "first report id");
        assertEq(ledger.reportCount(), 1, "count");
        EvaluationReports.Report memory report = ledger.getReport(1);
        assertEq(report.reportHash, commit.reportHash, "hash");
        assertEq(report.evaluator, evaluator, "evaluator");
        assertEq(report.anchoredBlock, block.number, "block");
        assertEq(report.year, 2025, "year");
        assertEq(report.level, "5*", "level");
        uint256[] memory ids = ledger.reportsFor(FACTORY, 2025, "I");
        assertEq(ids.length, 1, "listed in its series");
        assertEq(ledger.reportsFor(FACTORY, 2025, "II").length, 0, "not in another type's series");

        // A re-evaluation is a new report; the same one again is a replay.
        EvaluationReports.ReportCommit memory again = _report(keccak256("re-evaluation"));
        assertEq(ledger.anchorReport(again, _signReport(again, EVALUATOR_KEY)), 2, "re-evaluation kept");
        vm.expectRevert(abi.encodeWithSelector(EvaluationReports.ReportAlreadyAnchored.selector, 1));
        ledger.anchorReport(commit, signature);
        vm.expectRevert(abi.encodeWithSelector(EvaluationReports.UnknownReport.selector, 3));
        ledger.getReport(3);
    }

    function test_anHourlyMatchingRunIsAReportOfTypeH() public {
        EvaluationReports.ReportCommit memory commit = _report(keccak256("run"));
        commit.reportType = "H";
        commit.level = "CFE 41.27%";
        commit.ruleSet = "hourly-matching@1";
        assertEq(ledger.anchorReport(commit, _signReport(commit, EVALUATOR_KEY)), 1, "run anchored");
        assertEq(ledger.getReport(1).reportType, "H", "type stored");
        assertEq(ledger.reportsFor(FACTORY, 2025, "H").length, 1, "in the H series");
        assertEq(ledger.reportsFor(FACTORY, 2025, "I").length, 0, "not an evaluation");

        // The same document hash as a Type I evaluation is another series, not a replay.
        EvaluationReports.ReportCommit memory evaluation = _report(keccak256("run"));
        assertEq(ledger.anchorReport(evaluation, _signReport(evaluation, EVALUATOR_KEY)), 2, "type I kept apart");
        _expectReportRevert(commit, abi.encodeWithSelector(EvaluationReports.ReportAlreadyAnchored.selector, 1));

        // The type is the exact string: a lower-case "h" is refused.
        commit.reportType = "h";
        _expectReportRevert(commit, abi.encodeWithSelector(EvaluationReports.InvalidReportType.selector, "h"));
    }

    function test_onlyAnEvaluatorNowMaySign() public {
        EvaluationReports.ReportCommit memory commit = _report(keccak256("report"));
        commit.evaluator = stranger;
        bytes memory signature = _signReport(commit, STRANGER_KEY);
        vm.expectRevert(abi.encodeWithSelector(EvaluationReports.NotAnEvaluator.selector, stranger));
        ledger.anchorReport(commit, signature);

        commit = _report(keccak256("report"));
        signature = _signReport(commit, STRANGER_KEY);
        vm.expectRevert(abi.encodeWithSelector(EvaluationReports.InvalidReportSignature.selector, evaluator));
        ledger.anchorReport(commit, signature);

        // Revoking the role stops new reports; the anchored one stays.
        signature = _signReport(commit, EVALUATOR_KEY);
        ledger.anchorReport(commit, signature);
        vm.startPrank(admin);
        ledger.revokeRole(ledger.EVALUATOR_ROLE(), evaluator);
        vm.stopPrank();
        EvaluationReports.ReportCommit memory later = _report(keccak256("later"));
        signature = _signReport(later, EVALUATOR_KEY);
        vm.expectRevert(abi.encodeWithSelector(EvaluationReports.NotAnEvaluator.selector, evaluator));
        ledger.anchorReport(later, signature);
        assertEq(ledger.getReport(1).evaluator, evaluator, "anchored report stays");
    }

    function test_aContractWalletEvaluatorSignsThroughErc1271() public {
        OwnerWallet wallet = new OwnerWallet(vm.addr(NEW_FACTORY_KEY));
        vm.startPrank(admin);
        ledger.grantRole(ledger.EVALUATOR_ROLE(), address(wallet));
        vm.stopPrank();
        EvaluationReports.ReportCommit memory commit = _report(keccak256("report"));
        commit.evaluator = address(wallet);
        assertEq(ledger.anchorReport(commit, _signReport(commit, NEW_FACTORY_KEY)), 1, "wallet's report");
    }

    function test_fieldChecks() public {
        EvaluationReports.ReportCommit memory commit = _report(keccak256("report"));
        commit.year = 1999;
        _expectReportRevert(commit, abi.encodeWithSelector(EvaluationReports.InvalidReportYear.selector, 1999));
        commit.year = 2201;
        _expectReportRevert(commit, abi.encodeWithSelector(EvaluationReports.InvalidReportYear.selector, 2201));

        commit = _report(keccak256("report"));
        commit.reportType = "III";
        _expectReportRevert(commit, abi.encodeWithSelector(EvaluationReports.InvalidReportType.selector, "III"));

        commit = _report(bytes32(0));
        _expectReportRevert(commit, abi.encodeWithSelector(EvaluationReports.ZeroReportHash.selector));

        commit = _report(keccak256("report"));
        commit.level = "";
        _expectReportRevert(commit, abi.encodeWithSelector(EvaluationReports.InvalidReportField.selector, "level", ""));
        commit = _report(keccak256("report"));
        commit.ruleSet = string(new bytes(65));
        _expectReportRevert(
            commit, abi.encodeWithSelector(EvaluationReports.InvalidReportField.selector, "ruleSet", commit.ruleSet)
        );

        commit = _report(keccak256("report"));
        commit.factoryId = "CN-NOBODY";
        _expectReportRevert(commit, abi.encodeWithSelector(FactoryRegistry.UnknownFactory.selector, "CN-NOBODY"));
        assertEq(ledger.reportCount(), 0, "nothing anchored");
    }

    function _expectReportRevert(EvaluationReports.ReportCommit memory commit, bytes memory error) internal {
        bytes memory signature = _signReport(commit, EVALUATOR_KEY);
        vm.expectRevert(error);
        ledger.anchorReport(commit, signature);
    }
}
