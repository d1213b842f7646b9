// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {FactoryRegistry} from "./FactoryRegistry.sol";

/**
 * @title EvaluationReports
 * @notice The hashes of zero-carbon factory evaluation reports and hourly (24/7) matching runs,
 * each signed by an accredited evaluator and append-only: a re-evaluation is a new report and no
 * report is ever overwritten.
 * @dev The evaluator signs an EIP-712 `EvaluationReport` that names the evaluator itself, so the
 * signature says who made it; this contract checks it against that address and requires the
 * address to hold {EVALUATOR_ROLE} when the report is anchored, so any relayer may send the
 * transaction and none can forge it. Revoking the role stops new reports; anchored ones stay. The
 * same report hash for the same factory, year and report type can be anchored once, so a signature
 * cannot be replayed.
 */
abstract contract EvaluationReports is FactoryRegistry {
    /// @notice Role of the accredited third parties whose signed reports may be anchored.
    bytes32 public constant EVALUATOR_ROLE = keccak256("EVALUATOR_ROLE");

    /// @notice EIP-712 type hash of {ReportCommit}.
    bytes32 public constant EVALUATION_REPORT_TYPEHASH = keccak256(
        "EvaluationReport(string factoryId,uint16 year,string reportType,string level,bytes32 reportHash,"
        "string factorSet,string ruleSet,address evaluator)"
    );

    /// @notice Earliest accepted evaluation year.
    uint16 public constant MIN_REPORT_YEAR = 2000;
    /// @notice Latest accepted evaluation year.
    uint16 public constant MAX_REPORT_YEAR = 2200;
    /// @notice Longest accepted level, factor set or rule set, in bytes.
    uint256 public constant MAX_LABEL_LENGTH = 64;

    /// @notice What an evaluator signs to anchor one evaluation report.
    /// @param factoryId The registered factory evaluated.
    /// @param year The year the evaluation covers.
    /// @param reportType "I" or "II" (an evaluation), or "H" (an hourly matching run, whose report
    /// document commits to the Merkle root of its hour allocations).
    /// @param level The level awarded, e.g. "6★", "5★", or "none"; for "H" the run's CFE score,
    /// e.g. "CFE 41.27%".
    /// @param reportHash Hash of the report document.
    /// @param factorSet The emission factors used, `name@version`, e.g. "cn-mee-2023@2025.1".
    /// @param ruleSet The evaluation rules applied, `name@version`, e.g. "t-ceca-g-0171-2022@1".
    /// @param evaluator The evaluator who signs: an EOA, or a contract wallet that implements ERC-1271.
    struct ReportCommit {
        string factoryId;
        uint16 year;
        string reportType;
        string level;
        bytes32 reportHash;
        string factorSet;
        string ruleSet;
        address evaluator;
    }

    /// @notice One anchored report, as stored.
    struct Report {
        bytes32 reportHash;
        address evaluator;
        uint48 anchoredAt;
        uint48 anchoredBlock;
        uint16 year;
        string factoryId;
        string reportType;
        string level;
        string factorSet;
        string ruleSet;
    }

    Report[] private _reports;
    mapping(bytes32 seriesKey => uint256[] reportIds) private _reportsBySeries;
    mapping(bytes32 reportKey => uint256 reportId) private _reportIdByKey;

    /// @dev The named evaluator does not hold `EVALUATOR_ROLE` now.
    error NotAnEvaluator(address evaluator);
    /// @dev The signature is not by `evaluator`, the evaluator the report names.
    error InvalidReportSignature(address evaluator);
    /// @dev The report type is none of "I", "II" (evaluations) and "H" (an hourly matching run).
    error InvalidReportType(string reportType);
    /// @dev The year is outside {MIN_REPORT_YEAR}..{MAX_REPORT_YEAR}.
    error InvalidReportYear(uint16 year);
    /// @dev A report cannot have the zero hash.
    error ZeroReportHash();
    /// @dev The level, factor set or rule set (`field`) is empty or longer than {MAX_LABEL_LENGTH}.
    error InvalidReportField(string field, string value);
    /// @dev This report hash is already anchored for this factory, year and type, as report `reportId`.
    error ReportAlreadyAnchored(uint256 reportId);
    /// @dev No report has this id.
    error UnknownReport(uint256 reportId);

    /// @notice An evaluator's report on a factory was anchored.
    event ReportAnchored(
        uint256 indexed reportId, bytes32 indexed factoryKey, address indexed evaluator, ReportCommit commit
    );

    /**
     * @notice Anchors an evaluation report signed by the evaluator it names, who must hold
     * {EVALUATOR_ROLE} now.
     * @dev Anyone may relay. Emits {ReportAnchored}. Reverts with {UnknownFactory},
     * {InvalidReportYear}, {InvalidReportType}, {ZeroReportHash}, {InvalidReportField},
     * {NotAnEvaluator}, {ReportAlreadyAnchored} or {InvalidReportSignature}.
     * @param commit The signed report.
     * @param signature The evaluator's EIP-712 signature of `commit` (or ERC-1271 data).
     * @return reportId The new report's id (from 1).
     */
    function anchorReport(ReportCommit calldata commit, bytes calldata signature) external returns (uint256 reportId) {
        bytes32 fKey = factoryKey(commit.factoryId);
        _currentSigner(fKey, commit.factoryId); // reverts with {UnknownFactory} for an unregistered id
        _checkReport(commit);
        if (!hasRole(EVALUATOR_ROLE, commit.evaluator)) {
            revert NotAnEvaluator(commit.evaluator);
        }
        bytes32 sKey = seriesKey(commit.factoryId, commit.year, commit.reportType);
        bytes32 rKey = keccak256(abi.encode(sKey, commit.reportHash));
        uint256 existing = _reportIdByKey[rKey];
        if (existing != 0) {
            revert ReportAlreadyAnchored(existing);
        }
        if (!SignatureChecker.isValidSignatureNow(commit.evaluator, hashReport(commit), signature)) {
            revert InvalidReportSignature(commit.evaluator);
        }
        _reports.push(
            Report({
                reportHash: commit.reportHash,
                evaluator: commit.evaluator,
                anchoredAt: SafeCast.toUint48(block.timestamp),
                anchoredBlock: SafeCast.toUint48(block.number),
                year: commit.year,
                factoryId: commit.factoryId,
                reportType: commit.reportType,
                level: commit.level,
                factorSet: commit.factorSet,
                ruleSet: commit.ruleSet
            })
        );
        reportId = _reports.length;
        _reportIdByKey[rKey] = reportId;
        _reportsBySeries[sKey].push(reportId);
        emit ReportAnchored(reportId, fKey, commit.evaluator, commit);
    }

    /**
     * @notice The EIP-712 digest an evaluator signs for `commit` on this chain and contract.
     * @param commit The report.
     * @return The typed-data digest.
     */
    function hashReport(ReportCommit calldata commit) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    EVALUATION_REPORT_TYPEHASH,
                    keccak256(bytes(commit.factoryId)),
                    commit.year,
                    keccak256(bytes(commit.reportType)),
                    keccak256(bytes(commit.level)),
                    commit.reportHash,
                    keccak256(bytes(commit.factorSet)),
                    keccak256(bytes(commit.ruleSet)),
                    commit.evaluator
                )
            )
        );
    }

    /**
     * @notice One anchored report.
     * @dev Reverts with {UnknownReport} for an id that does not exist.
     * @param reportId A report id, from 1.
     * @return The report: hash, evaluator, block time and number, and the signed fields.
     */
    function getReport(uint256 reportId) external view returns (Report memory) {
        if (reportId == 0 || reportId > _reports.length) {
            revert UnknownReport(reportId);
        }
        return _reports[reportId - 1];
    }

    /**
     * @notice Every report anchored for a factory, year and report type, in the order they were
     * anchored (the last is the latest evaluation).
     * @param factoryId Any factory id.
     * @param year Any year.
     * @param reportType Any report type.
     * @return The report ids; empty when there are none.
     */
    function reportsFor(string calldata factoryId, uint16 year, string calldata reportType)
        external
        view
        returns (uint256[] memory)
    {
        return _reportsBySeries[seriesKey(factoryId, year, reportType)];
    }

    /**
     * @notice Number of reports ever anchored; report ids run from 1 to this.
     * @return The count.
     */
    function reportCount() external view returns (uint256) {
        return _reports.length;
    }

    /**
     * @notice The storage key of a factory's reports of one type for one year.
     * @param factoryId Any factory id.
     * @param year Any year.
     * @param reportType Any report type.
     * @return `keccak256(abi.encode(keccak256(bytes(factoryId)), year, reportType))`.
     */
    function seriesKey(string calldata factoryId, uint16 year, string calldata reportType)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(factoryKey(factoryId), year, reportType));
    }

    function _checkReport(ReportCommit calldata commit) private pure {
        if (commit.year < MIN_REPORT_YEAR || commit.year > MAX_REPORT_YEAR) {
            revert InvalidReportYear(commit.year);
        }
        bytes32 typeHash = keccak256(bytes(commit.reportType));
        if (typeHash != keccak256("I") && typeHash != keccak256("II") && typeHash != keccak256("H")) {
            revert InvalidReportType(commit.reportType);
        }
        if (commit.reportHash == bytes32(0)) {
            revert ZeroReportHash();
        }
        _checkLabel("level", commit.level);
        _checkLabel("factorSet", commit.factorSet);
        _checkLabel("ruleSet", commit.ruleSet);
    }

    function _checkLabel(string memory field, string calldata value) private pure {
        if (bytes(value).length == 0 || bytes(value).length > MAX_LABEL_LENGTH) {
            revert InvalidReportField(field, value);
        }
    }
}
