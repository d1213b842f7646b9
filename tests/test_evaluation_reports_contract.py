"""EvaluationReports on a real anvil: accredited evaluators' signed report hashes, append-only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3

from ledger.chain import errors
from ledger.chain.client import EVALUATOR_ROLE, LedgerClient
from ledger.eip712.evaluation_report import (
    REPORT_TYPE_STRING,
    ReportCommit,
    recover_report_signer,
    report_digest,
    sign_report,
)

FACTORY = "CN-91310000MA1FL0001X"


def report_of(evaluator: str, *, factory_id: str = FACTORY, year: int = 2025, report_type: str = "I",
              level: str = "6★", report_hash: bytes = keccak(text="report v1"),
              factor_set: str = "cn-mee-2023@2025.1", rule_set: str = "t-ceca-g-0171-2022@1") -> ReportCommit:  # fmt: skip
    return ReportCommit(factory_id, year, report_type, level, report_hash, factor_set, rule_set, evaluator)


@pytest.fixture
def evaluator(ledger: LedgerClient, new_account: Callable[[], LocalAccount]) -> LocalAccount:
    """An evaluator appointed by the admin, for a ledger with one registered factory."""
    ledger.register_factory(FACTORY, new_account().address)
    account = new_account()
    ledger.grant_evaluator(account.address)
    return account


def signed(ledger: LedgerClient, key: LocalAccount, commit: ReportCommit) -> bytes:
    return sign_report(key, ledger.domain(), commit)


def test_an_evaluators_signed_report_is_anchored_and_read_back(
    ledger: LedgerClient, evaluator: LocalAccount, w3: Web3, new_account: Callable[[], LocalAccount],
    gas_report: dict[str, list[int]],
) -> None:  # fmt: skip
    assert ledger.is_evaluator(evaluator.address) and not ledger.is_evaluator(ledger.sender.address)  # type: ignore[union-attr]
    assert ledger.report_count() == 0
    commit = report_of(evaluator.address)
    signature = signed(ledger, evaluator, commit)
    # anyone may relay: here a stranger with no role at all
    relayer = LedgerClient(w3, ledger.address, new_account())
    report_id, tx = relayer.anchor_report(commit, signature)
    gas_report.setdefault("anchorReport", []).append(tx.gas_used)
    assert report_id == 1 and ledger.report_count() == 1

    report = ledger.get_report(1)
    assert report.report_id == 1
    assert (report.factory_id, report.year, report.report_type, report.level) == (FACTORY, 2025, "I", "6★")
    assert report.report_hash == commit.report_hash
    assert (report.factor_set, report.rule_set) == ("cn-mee-2023@2025.1", "t-ceca-g-0171-2022@1")
    assert report.evaluator == evaluator.address
    block = w3.eth.get_block(tx.block_number)
    assert (report.anchored_block, report.anchored_at) == (tx.block_number, block["timestamp"])
    assert ledger.reports_for(FACTORY, 2025, "I") == [1]
    assert ledger.reports_for(FACTORY, 2025, "II") == [] and ledger.reports_for(FACTORY, 2024, "I") == []

    receipt = w3.eth.get_transaction_receipt(tx.tx_hash)
    (event,) = ledger.contract.events.ReportAnchored().process_receipt(receipt)
    args = event["args"]
    assert args["reportId"] == 1 and args["evaluator"] == evaluator.address
    assert bytes(args["factoryKey"]) == keccak(text=FACTORY)
    assert dict(args["commit"]) == {
        "factoryId": FACTORY, "year": 2025, "reportType": "I", "level": "6★", "reportHash": commit.report_hash,
        "factorSet": "cn-mee-2023@2025.1", "ruleSet": "t-ceca-g-0171-2022@1", "evaluator": evaluator.address,
    }  # fmt: skip
    # the topics can be filtered on: by factory and by evaluator
    logs = ledger.contract.events.ReportAnchored.get_logs(
        from_block=0, argument_filters={"factoryKey": keccak(text=FACTORY), "evaluator": evaluator.address}
    )
    assert [log["args"]["reportId"] for log in logs] == [1]

    with pytest.raises(errors.UnknownReport) as raised:
        ledger.get_report(2)
    assert raised.value.reportId == 2
    with pytest.raises(errors.UnknownReport):
        ledger.get_report(0)


def test_our_digest_is_the_contracts(ledger: LedgerClient, evaluator: LocalAccount) -> None:
    assert ledger._call(ledger.contract.functions.EVALUATION_REPORT_TYPEHASH()) == keccak(text=REPORT_TYPE_STRING)
    assert ledger._call(ledger.contract.functions.EVALUATOR_ROLE()) == EVALUATOR_ROLE
    commits = [
        report_of(evaluator.address),
        ReportCommit("", 0, "", "", bytes(32), "", "", "0x" + "00" * 20),
        ReportCommit(
            FACTORY, 2**16 - 1, "II", "none", b"\xff" * 32, "因子库@2025.1", "零碳工厂评价规范@1", evaluator.address
        ),
    ]
    for commit in commits:
        assert report_digest(ledger.domain(), commit) == ledger.report_digest(commit)
        assert recover_report_signer(ledger.domain(), commit, signed(ledger, evaluator, commit)) == evaluator.address
    # the evaluator's address is signed: the same report naming someone else is another digest
    other = replace(commits[0], evaluator="0x" + "11" * 20)
    assert report_digest(ledger.domain(), other) != report_digest(ledger.domain(), commits[0])


def test_only_an_evaluator_can_anchor(
    ledger: LedgerClient, evaluator: LocalAccount, new_account: Callable[[], LocalAccount]
) -> None:
    stranger = new_account()
    commit = report_of(stranger.address)
    with pytest.raises(errors.NotAnEvaluator) as raised:
        ledger.anchor_report(commit, signed(ledger, stranger, commit))
    assert raised.value.evaluator == stranger.address
    # the admin is no evaluator unless it appoints itself
    admin = ledger.sender
    assert admin is not None
    commit = report_of(admin.address)
    with pytest.raises(errors.NotAnEvaluator):
        ledger.anchor_report(commit, signed(ledger, admin, commit))
    assert ledger.report_count() == 0


def test_the_signature_must_be_the_named_evaluators(
    ledger: LedgerClient, evaluator: LocalAccount, new_account: Callable[[], LocalAccount]
) -> None:
    commit = report_of(evaluator.address)
    impostor = new_account()
    with pytest.raises(errors.InvalidReportSignature) as raised:
        ledger.anchor_report(commit, signed(ledger, impostor, commit))
    assert raised.value.evaluator == evaluator.address
    # another evaluator's genuine signature does not make it this evaluator's report
    second = new_account()
    ledger.grant_evaluator(second.address)
    with pytest.raises(errors.InvalidReportSignature):
        ledger.anchor_report(commit, signed(ledger, second, commit))
    # the evaluator's signature over other contents (another level) does not cover this report
    with pytest.raises(errors.InvalidReportSignature):
        ledger.anchor_report(commit, signed(ledger, evaluator, replace(commit, level="5★")))
    # nor does one made for another ledger (another verifying contract)
    elsewhere = replace(ledger.domain(), verifying_contract="0x" + "22" * 20)
    with pytest.raises(errors.InvalidReportSignature):
        ledger.anchor_report(commit, sign_report(evaluator, elsewhere, commit))
    with pytest.raises(errors.InvalidReportSignature):
        ledger.anchor_report(commit, b"\x01" * 65)
    assert ledger.report_count() == 0


def test_only_the_admin_appoints_evaluators(
    ledger: LedgerClient, evaluator: LocalAccount, w3: Web3, new_account: Callable[[], LocalAccount]
) -> None:
    outsider = LedgerClient(w3, ledger.address, evaluator)
    candidate = new_account()
    with pytest.raises(errors.AccessControlUnauthorizedAccount) as raised:
        outsider.grant_evaluator(candidate.address)
    assert raised.value.account == evaluator.address
    assert not ledger.is_evaluator(candidate.address)


def test_revoking_the_role_stops_new_reports_and_keeps_old_ones(ledger: LedgerClient, evaluator: LocalAccount) -> None:
    first = report_of(evaluator.address)
    ledger.anchor_report(first, signed(ledger, evaluator, first))
    later = report_of(evaluator.address, report_hash=keccak(text="report v2"))
    later_signature = signed(ledger, evaluator, later)  # signed while still accredited
    ledger.revoke_evaluator(evaluator.address)
    assert not ledger.is_evaluator(evaluator.address)
    with pytest.raises(errors.NotAnEvaluator):
        ledger.anchor_report(later, later_signature)
    assert ledger.report_count() == 1
    kept = ledger.get_report(1)
    assert kept.evaluator == evaluator.address and kept.report_hash == first.report_hash
    assert ledger.reports_for(FACTORY, 2025, "I") == [1]
    # re-appointed, the same signature is good again: the role is checked when the report is anchored
    ledger.grant_evaluator(evaluator.address)
    assert ledger.anchor_report(later, later_signature)[0] == 2


def test_a_report_on_an_unknown_factory_is_refused(ledger: LedgerClient, evaluator: LocalAccount) -> None:
    commit = report_of(evaluator.address, factory_id="CN-NOBODY")
    with pytest.raises(errors.UnknownFactory) as raised:
        ledger.anchor_report(commit, signed(ledger, evaluator, commit))
    assert raised.value.factoryId == "CN-NOBODY"
    assert ledger.report_count() == 0


def test_malformed_reports_revert_with_named_errors(ledger: LedgerClient, evaluator: LocalAccount) -> None:
    base = report_of(evaluator.address)

    def attempt(**changes: object) -> int:
        commit = replace(base, **changes)  # type: ignore[arg-type]
        return ledger.anchor_report(commit, signed(ledger, evaluator, commit))[0]

    for report_type in ("", "III", "i", "1", "I ", "Ⅰ", "h", "HH"):  # "H" is an hourly matching run
        with pytest.raises(errors.InvalidReportType) as raised_type:
            attempt(report_type=report_type)
        assert raised_type.value.reportType == report_type
    for year in (0, 1999, 2201, 2**16 - 1):
        with pytest.raises(errors.InvalidReportYear) as raised_year:
            attempt(year=year)
        assert raised_year.value.year == year
    with pytest.raises(errors.ZeroReportHash):
        attempt(report_hash=bytes(32))
    for field, attribute in (("level", "level"), ("factorSet", "factor_set"), ("ruleSet", "rule_set")):
        for value in ("", "x" * 65):
            with pytest.raises(errors.InvalidReportField) as raised_field:
                attempt(**{attribute: value})
            assert (raised_field.value.field, raised_field.value.value) == (field, value)
    assert ledger.report_count() == 0
    # the edges are accepted
    assert attempt(year=2000, report_type="II", level="x" * 64) == 1
    assert attempt(year=2200, level="none", report_hash=keccak(text="other")) == 2
    assert attempt(report_type="H", level="CFE 41.27%", rule_set="hourly-matching@1") == 3
    assert ledger.reports_for(FACTORY, 2025, "H") == [3]


def test_the_same_report_is_anchored_once(ledger: LedgerClient, evaluator: LocalAccount) -> None:
    commit = report_of(evaluator.address)
    signature = signed(ledger, evaluator, commit)
    first_id, _ = ledger.anchor_report(commit, signature)
    with pytest.raises(errors.ReportAlreadyAnchored) as raised:
        ledger.anchor_report(commit, signature)  # a replay
    assert raised.value.reportId == first_id
    # the same report hash re-signed with another level is still the same report
    relabelled = replace(commit, level="5★")
    with pytest.raises(errors.ReportAlreadyAnchored) as raised:
        ledger.anchor_report(relabelled, signed(ledger, evaluator, relabelled))
    assert raised.value.reportId == first_id
    assert ledger.report_count() == 1
    # the same hash under another year or report type is another report
    for other in (replace(commit, year=2026), replace(commit, report_type="II")):
        ledger.anchor_report(other, signed(ledger, evaluator, other))
    assert ledger.report_count() == 3
    assert [ledger.reports_for(FACTORY, y, t) for y, t in ((2025, "I"), (2026, "I"), (2025, "II"))] == [[1], [2], [3]]


def test_re_evaluations_are_all_kept_in_order(
    ledger: LedgerClient, evaluator: LocalAccount, new_account: Callable[[], LocalAccount],
    gas_report: dict[str, list[int]],
) -> None:  # fmt: skip
    second = new_account()
    ledger.grant_evaluator(second.address)
    ledger.register_factory("CN-OTHER", new_account().address)
    first = report_of(evaluator.address, level="5★", report_hash=keccak(text="2025 evaluation"))
    again = report_of(second.address, level="6★", report_hash=keccak(text="2025 re-evaluation"))
    elsewhere = report_of(evaluator.address, factory_id="CN-OTHER")
    ids = [
        ledger.anchor_report(first, signed(ledger, evaluator, first))[0],
        ledger.anchor_report(elsewhere, signed(ledger, evaluator, elsewhere))[0],
    ]
    third_id, tx = ledger.anchor_report(again, signed(ledger, second, again))
    gas_report.setdefault("anchorReport", []).append(tx.gas_used)
    assert ids + [third_id] == [1, 2, 3]
    assert ledger.reports_for(FACTORY, 2025, "I") == [1, 3]
    assert ledger.reports_for("CN-OTHER", 2025, "I") == [2]
    latest = ledger.get_report(ledger.reports_for(FACTORY, 2025, "I")[-1])
    assert (latest.level, latest.evaluator, latest.report_hash) == ("6★", second.address, again.report_hash)
    assert ledger.get_report(1).level == "5★"  # the earlier evaluation is still there, unchanged


def test_report_commit_checks_only_abi_sizes() -> None:
    evaluator = "0x" + "ab" * 20
    assert report_of(evaluator).evaluator == Web3.to_checksum_address(evaluator)
    with pytest.raises(ValueError, match="report_hash"):
        report_of(evaluator, report_hash=b"\x01" * 31)
    with pytest.raises(ValueError, match="year"):
        report_of(evaluator, year=2**16)
    with pytest.raises(ValueError, match="evaluator"):
        report_of("not an address")
