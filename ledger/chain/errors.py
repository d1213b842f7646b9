"""Python exceptions named after the contract's custom errors.

A revert reaches Python as raw bytes (a 4-byte selector and ABI-encoded arguments). Callers want
``except RevisionGap`` and a message that says what was wrong, so :func:`decode_revert` finds the
error in the contract's ABI, decodes its arguments and raises the class of the same name, whose
message quotes the error's NatSpec from the committed artifact.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from eth_abi import decode
from eth_utils import keccak, to_checksum_address

from ledger.chain.artifacts import load_artifact
from ledger.errors import Unavailable, ZclError


class LedgerError(ZclError):
    """Base of every error the chain client raises."""


class ChainUnavailable(LedgerError, Unavailable):
    """The JSON-RPC endpoint did not answer or answered with an error (an :class:`~ledger.errors.Unavailable`)."""


class TransactionTimeout(LedgerError, Unavailable):
    """A transaction was sent but no receipt arrived in time; it may still be mined."""

    def __init__(self, tx_hash: str, timeout: float) -> None:
        super().__init__(
            f"no receipt for transaction {tx_hash} after {timeout:.0f} s; it may still be mined, "
            "so look it up before sending it again"
        )
        self.tx_hash = tx_hash


class TransactionFailed(LedgerError):
    """A transaction was mined but failed, and the reason could not be recovered."""

    def __init__(self, message: str, tx_hash: str | None = None) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


class ContractRevert(LedgerError):
    """The contract refused a call. Subclasses carry the contract error's name and arguments."""

    def __init__(self, error_name: str, arguments: dict[str, Any], explanation: str = "") -> None:
        self.error_name = error_name
        self.arguments = arguments
        self.explanation = explanation
        shown = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
        message = f"{error_name}({shown})"
        super().__init__(f"{message}: {explanation}" if explanation else message)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["arguments"][name]
        except KeyError:
            raise AttributeError(name) from None


# One class per custom error the CarbonLedger ABI can revert with (a test keeps this list complete).
class AccessControlBadConfirmation(ContractRevert): ...


class AccessControlUnauthorizedAccount(ContractRevert): ...


class ClaimAlreadyRecorded(ContractRevert): ...


class ClaimAlreadyRevoked(ContractRevert): ...


class ClaimDetailsMismatch(ContractRevert): ...


class ClaimNotProvisional(ContractRevert): ...


class ClaimOverlaps(ContractRevert): ...


class EmptyBatch(ContractRevert): ...


class FactoryAlreadyRegistered(ContractRevert): ...


class InvalidAdmin(ContractRevert): ...


class InvalidCertificateId(ContractRevert): ...


class InvalidClaimSignature(ContractRevert): ...


class InvalidCommitSignature(ContractRevert): ...


class InvalidConsumptionPeriod(ContractRevert): ...


class InvalidFactoryId(ContractRevert): ...


class InvalidPeriod(ContractRevert): ...


class InvalidPositionHint(ContractRevert): ...


class InvalidReportField(ContractRevert): ...


class InvalidReportSignature(ContractRevert): ...


class InvalidReportType(ContractRevert): ...


class InvalidReportYear(ContractRevert): ...


class InvalidRotationSignature(ContractRevert): ...


class InvalidSerialRange(ContractRevert): ...


class InvalidShortString(ContractRevert): ...


class InvalidSignerAddress(ContractRevert): ...


class LeafCountTooLarge(ContractRevert): ...


class NotAnEvaluator(ContractRevert): ...


class ReasonRequired(ContractRevert): ...


class ReportAlreadyAnchored(ContractRevert): ...


class RevisionAlreadyAnchored(ContractRevert): ...


class RevisionGap(ContractRevert): ...


class SafeCastOverflowedUintDowncast(ContractRevert): ...


class SignerUnchanged(ContractRevert): ...


class StringTooLong(ContractRevert): ...


class UnknownClaim(ContractRevert): ...


class UnknownFactory(ContractRevert): ...


class UnknownReport(ContractRevert): ...


class UnknownRevision(ContractRevert): ...


class UriTooLong(ContractRevert): ...


class ZeroReportHash(ContractRevert): ...


class ZeroRoot(ContractRevert): ...


REVERT_CLASSES: dict[str, type[ContractRevert]] = {cls.__name__: cls for cls in ContractRevert.__subclasses__()}


def decode_revert(data: bytes | str | None, contract_name: str = "CarbonLedger") -> ContractRevert:
    """The exception for revert ``data`` (hex or bytes) from the named contract."""
    raw = bytes.fromhex(data[2:] if data.startswith("0x") else data) if isinstance(data, str) else data or b""
    entry = _errors_by_selector(contract_name).get(raw[:4])
    if entry is None:
        return ContractRevert(
            "UnknownRevert", {"data": "0x" + raw.hex()}, "the contract reverted without a known error"
        )
    name, inputs, explanation = entry
    values = decode([i["type"] for i in inputs], raw[4:]) if inputs else ()
    arguments = {i["name"]: _readable(i["type"], v) for i, v in zip(inputs, values, strict=True)}
    return REVERT_CLASSES.get(name, ContractRevert)(name, arguments, explanation)


def _readable(abi_type: str, value: Any) -> Any:
    if abi_type == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


@cache
def _errors_by_selector(contract_name: str) -> dict[bytes, tuple[str, list[dict[str, Any]], str]]:
    artifact = load_artifact(contract_name)
    docs = artifact.devdoc.get("errors", {})
    table = {}
    for item in artifact.abi:
        if item["type"] != "error":
            continue
        signature = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
        explanation = " ".join(d.get("details", "") for d in docs.get(signature, [])).strip()
        table[keccak(text=signature)[:4]] = (item["name"], item["inputs"], explanation)
    return table
