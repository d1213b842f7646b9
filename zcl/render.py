"""What a service answer looks like to a person: dates as local dates, quantities grouped by
thousands with their unit (every digit kept: 412345.6000 stays 412,345.6000), hashes shortened in
tables, and JSON keys as labels in the chosen language.

Commands print :func:`show` of an answer (or pick parts of it) unless ``--json`` asks for the
answer itself; nothing here changes a value, only how it is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from zcl.tables import block, table
from zcl.text import N_, _

HASH = re.compile(r"^(0x)?[0-9a-fA-F]{40,}$")
DECIMAL = re.compile(r"^(-?)(\d+)(\.\d+)?$")

LABELS = {
    "id": N_("id"), "name": N_("name"), "signer": N_("signer"), "status": N_("status"), "final": N_("final"),
    "factory_id": N_("factory"), "period": N_("period"), "revision": N_("revision"), "root": N_("Merkle root"),
    "leaf_count": N_("records"), "record_count": N_("records"), "records": N_("records"), "uri": N_("URI"), "signature": N_("signature"),
    "tx_hash": N_("transaction"), "block_number": N_("block"), "anchored_at": N_("anchored at"),
    "anchored_block": N_("anchored in block"), "registered_tx": N_("registration transaction"),
    "reason": N_("reason"), "message": N_("message"), "conflict": N_("conflict"), "offset": N_("first record"),
    "next_offset": N_("next page from"), "position": N_("position"), "record_hash": N_("record hash"),
    "source_id": N_("source"), "kind": N_("kind"), "value": N_("quantity"), "unit": N_("unit"),
    "interval_start": N_("from"), "interval_end": N_("until"), "profile": N_("profile"),
    "province": N_("province"), "grid_region": N_("grid region"), "legal_entity": N_("legal entity"),
    "unified_social_credit_code": N_("unified social credit code"), "site_address": N_("site address"),
    "facilities": N_("facilities"), "updated_at": N_("updated at"), "source_register": N_("source register"),
    "version": N_("version"), "sources": N_("sources"), "method": N_("method"), "meter": N_("meter"),
    "in_service_from": N_("in service from"), "in_service_until": N_("in service until"),
    "declared_by": N_("declared by"), "declared_at": N_("declared at"), "signer_history": N_("signer history"),
    "valid_from_block": N_("from block"), "valid_from_time": N_("from"), "forced": N_("forced"),
    "registry": N_("registry"), "block_id": N_("certificate block"), "serial_start": N_("first serial"),
    "serial_end": N_("last serial"), "units": N_("units"), "claimed": N_("claimed"),
    "units_claimed": N_("units claimed"), "units_confirmed": N_("units confirmed"), "claims": N_("claims"),
    "contract": N_("contract"), "chain_id": N_("chain id"), "claim_id": N_("claim"),
    "attestation": N_("attestation"), "decided_by": N_("decided by"), "decided_at": N_("decided at"),
    "reason_hash": N_("reason hash"), "reason_sha256": N_("reason sha256"),
    "consumption_start": N_("consumption from"), "consumption_end": N_("consumption until"),
    "details_hash": N_("details hash"), "claimed_at": N_("claimed at"), "address": N_("address"),
    "organisation": N_("organisation"), "accreditation": N_("accreditation"), "roles": N_("roles"),
    "role": N_("role"), "holds": N_("holds the role"), "evaluator": N_("evaluator"), "rpc_url": N_("node"),
    "record": N_("deployment"), "eip712_domain": N_("EIP-712 domain"), "deployed_now": N_("deployed now"),
    "verifyingContract": N_("verifying contract"), "chainId": N_("chain id"), "deployed_block": N_("deployed in block"),
    "sha256": N_("sha256"), "file_name": N_("file"), "media_type": N_("media type"), "size": N_("size"),
    "stored_at": N_("stored at"), "details": N_("details"), "arbiter": N_("arbiter"), "attestor": N_("attestor"),
}  # fmt: skip
"""Labels for the answers' keys; a key not here is shown as itself with spaces for underscores."""

QUIET = frozenset({"reason", "message", "conflict", "next_offset", "offset"})
"""Keys left out of a block while they are empty: they speak only when something happened."""

GROUPED = frozenset({"leaf_count", "record_count", "units", "units_claimed", "units_confirmed", "size"})
"""Integer keys written with thousands separators (block numbers and serials are not: they are names)."""


def label(key: str) -> str:
    """The person's name for a JSON key, in the chosen language."""
    return _(LABELS[key]) if key in LABELS else key.replace("_", " ")


def grouped(text: str) -> str:
    """A decimal string with thousands separators, every digit kept (no rounding, no float)."""
    match = DECIMAL.match(text.strip())
    if match is None:
        return text
    sign, whole, fraction = match.groups()
    return f"{sign}{int(whole):,}{fraction or ''}"


def quantity(value: str, unit: str) -> str:
    """``412345.6`` ``kWh`` as ``412,345.6 kWh``."""
    return f"{grouped(value)} {unit}".strip()


def when(value: Any) -> str:
    """A unix time or an ISO 8601 timestamp as a readable local date and time, with the zone."""
    try:
        moment = (
            datetime.fromtimestamp(int(value), UTC) if isinstance(value, int) else datetime.fromisoformat(str(value))
        )
    except (ValueError, OverflowError, OSError):
        return str(value)
    if moment.tzinfo is None:  # the service stores and sends UTC
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S ") + (local.strftime("%Z") or local.strftime("%z"))


def short(text: str) -> str:
    """A long hash or address cut to its ends (``0x1f2e3d4c…9a8b``) for a table; --json has it whole."""
    if HASH.match(text) and len(text) > 20:
        return f"{text[:10]}…{text[-4:]}"
    return text


def cell(key: str, value: Any, *, in_table: bool = False) -> str:
    """One value as text: dates, grouped counts, yes/no, lists; hashes shortened in tables."""
    if value is None:
        return "-" if in_table else _("(none)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key.endswith(("_at", "_time")) and value != "":
        return when(value)
    if key in GROUPED and isinstance(value, int | str):
        return grouped(str(value))
    if value == {}:
        return _("(none)")
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(str(v) for v in value) if value else _("(none)")
    text = str(value)
    return short(text) if in_table else text


def rows_of(record: Mapping[str, Any], skip: Sequence[str] = ()) -> list[tuple[str, str]]:
    """A record's scalar fields as (label, value); a value with a ``unit`` beside it shows the unit."""
    rows = []
    for key, value in record.items():
        if key in skip or (isinstance(value, dict) and value) or _is_table(value) or (key in QUIET and not value):
            continue
        if key == "unit" and "value" in record:
            continue
        if key == "value" and "unit" in record:
            rows.append((label(key), quantity(str(value), str(record["unit"]))))
            continue
        rows.append((label(key), cell(key, value)))
    return rows


def grid(records: Sequence[Mapping[str, Any]], keys: Sequence[str] | None = None) -> str:
    """Records as an aligned table of ``keys`` (default: every scalar key of the first record)."""
    if not records:
        return _("(none)")
    columns = list(keys or [k for k, v in records[0].items() if not isinstance(v, dict | list)])
    if "value" in columns and "unit" in columns:
        columns.remove("unit")
    body = []
    for record in records:
        row = []
        for key in columns:
            if key == "value" and "unit" in record:
                row.append(quantity(str(record[key]), str(record["unit"])))
            else:
                row.append(cell(key, record.get(key), in_table=True))
        body.append(row)
    numeric = [key in GROUPED or key == "value" for key in columns]
    return table([label(k) for k in columns], body, numeric)


def show(value: Any, skip: Sequence[str] = (), columns: Mapping[str, Sequence[str]] | None = None) -> str:
    """Any answer: a block of its scalar fields, then each nested object as an indented block, each
    list of objects (or map of ids to objects) as a table, under its label; ``columns`` picks a
    table's columns by its key."""
    columns = columns or {}
    if isinstance(value, list):
        return grid(value) if all(isinstance(v, dict) for v in value) else cell("", value)
    if not isinstance(value, dict):
        return cell("", value)
    parts = [block(rows_of(value, skip))]
    for key, nested in value.items():
        if key in skip:
            continue
        if isinstance(nested, dict) and not nested:
            continue  # shown in the block as (none)
        if _is_keyed(nested):  # e.g. sources: {source_id: declaration}: the ids are data, not labels
            nested = [{key: name} | entry for name, entry in nested.items()]
        if isinstance(nested, dict):
            parts.append(f"{label(key)}:\n" + _indent(show(nested, skip, columns)))
        elif _is_table(nested):
            parts.append(f"{label(key)}:\n" + _indent(grid(nested, columns.get(key))))
    return "\n".join(p for p in parts if p)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _is_table(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _is_keyed(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(v, dict) for v in value.values())
