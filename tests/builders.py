"""Shared builders for the tests: the example month, signed batches and claims, claim bodies, factories.

One copy of each, so that a change to the example data or to the wire forms is made once. Each builder
returns plain JSON-shaped dicts (what a client sends), never objects the service would build itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount

from ledger.accounting.inventory import InventoryRecord
from ledger.chain.client import LedgerClient, TxResult
from ledger.chain.session import ROLE_KEYS
from ledger.claims import parse_claim, sign_claim
from ledger.claims.signed import sign_claim_json
from ledger.eip712.domain import LedgerDomain
from ledger.eip712.typed_data import sign as sign_typed_data
from ledger.keys import new_key_file
from ledger.records import new_salt, parse_batch, parse_record
from ledger.signing import sign_batch

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FACTORY_ID = "CN-JS-SZ-0001"
"""The example factory (every ``examples/2025-*/batch.json`` is its)."""
FACTORY_NAME = "Suzhou Precision Components"
ADMIN = {"Authorization": "Bearer test-admin-token"}
"""The admin token of the ``service`` fixture's app."""

CLAIM_EXAMPLE: dict[str, Any] = json.loads((EXAMPLES / "claims" / "gec-2025-01.json").read_text())
"""``examples/claims/gec-2025-01.json``: a GEC claim of the example factory."""
CLAIM_PROJECT: str = CLAIM_EXAMPLE["project_id"]

EXAMPLE_STEAM: dict[str, Any] = {"meter-steam-ST-2210": {"absolute_pressure_mpa": "1.0", "saturated": True}}
"""The example factory's steam supplier's declared conditions (the ``steam`` of ``POST /evaluations``):
its meter reads tonnes, and tonnes become heat only at declared conditions."""


def example_batch(
    factory_id: str = FACTORY_ID,
    revision: int = 1,
    *,
    month: str = "2025-01",
    period: str | None = None,
    **first_record: Any,
) -> dict[str, Any]:
    """``examples/<month>/batch.json`` with fresh salts (so that every call is a new batch), for
    ``factory_id`` and ``revision``, its period set to ``period`` if given (the intervals are left as
    they are) and ``first_record``'s fields set on the first record."""
    data: dict[str, Any] = json.loads((EXAMPLES / month / "batch.json").read_text())
    data["factory_id"], data["revision"] = factory_id, revision
    if period is not None:
        data["period"] = period
    for record in data["records"]:
        record["salt"] = "0x" + new_salt().hex()
    data["records"][0].update(first_record)
    return data


def month_of(factory_id: str, period: str, rows: list[tuple[str, str, str, str]], revision: int = 1) -> dict[str, Any]:
    """A batch of ``factory_id`` for the month ``period``: one whole-month record per ``(source_id, kind,
    value, unit)`` row, freshly salted, no evidence (the golden tests' own factories)."""
    y, m = map(int, period.split("-"))
    end = f"{y + (m == 12)}-{m % 12 + 1:02d}-01T00:00:00+08:00"
    records = [
        {"source_id": source, "kind": kind, "value": value, "unit": unit, "interval_start": f"{period}-01T00:00:00+08:00",
         "interval_end": end, "evidence": [], "salt": "0x" + new_salt().hex()}
        for source, kind, value, unit in rows
    ]  # fmt: skip
    return {"factory_id": factory_id, "period": period, "revision": revision, "uri": "", "records": records}


def hourly_month(factory_id: str, period: str, source: str, kind: str, kwh: Callable[[int], str]) -> dict[str, Any]:
    """A batch of ``factory_id`` for ``period`` with one record per local (China) hour of ``source``:
    ``kwh(hour of day)`` kWh, the same every day of the month (hourly matching's meters and profiles)."""
    china = timezone(timedelta(hours=8))
    y, m = map(int, period.split("-"))
    t, end = datetime(y, m, 1, tzinfo=china), datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=china)
    data = month_of(factory_id, period, [])
    while t < end:
        data["records"].append({
            "source_id": source, "kind": kind, "value": kwh(t.hour), "unit": "kWh", "interval_start": t.isoformat(),
            "interval_end": (t + timedelta(hours=1)).isoformat(), "evidence": [], "salt": "0x" + new_salt().hex(),
        })  # fmt: skip
        t += timedelta(hours=1)
    return data


def _domain(chain: LedgerClient | LedgerDomain) -> LedgerDomain:
    return chain.domain() if isinstance(chain, LedgerClient) else chain


def batch_json(chain: LedgerClient | LedgerDomain, key: LocalAccount, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a batch's JSON) signed by ``key`` for ``chain``'s ledger: the body of ``POST /batches``."""
    return sign_batch(parse_batch(data), key, _domain(chain)).to_json()


def claim_json(chain: LedgerClient | LedgerDomain, key: LocalAccount, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` (a claim's JSON) signed by ``key`` for ``chain``'s ledger: the body of ``POST /claims``."""
    claim = parse_claim(body)
    domain = _domain(chain)
    return sign_claim_json(claim, sign_claim(key, domain, claim), domain)


def gec(seq: int) -> str:
    """The example project's GEC serial number ``seq`` (January 2025)."""
    return f"{CLAIM_PROJECT}202501{seq:07d}11"


def claim_body(factory_id: str, first: int, last: int, **changes: Any) -> dict[str, Any]:
    """The example GEC claim for ``factory_id`` over serials ``first``..``last``, with ``changes``."""
    body = {k: v for k, v in CLAIM_EXAMPLE.items() if k != "serial"}
    return body | {
        "factory_id": factory_id, "serial": f"{gec(first)}..{gec(last)}", "quantity": str(last - first + 1),
    } | changes  # fmt: skip


def register_factory(
    http: httpx.Client,
    signer: LocalAccount | str,
    factory_id: str = FACTORY_ID,
    name: str = FACTORY_NAME,
    headers: dict[str, str] = ADMIN,
) -> None:
    """Registers a factory through the API (``POST /factories`` with the admin token); asserts 201."""
    address = signer if isinstance(signer, str) else signer.address
    response = http.post("/factories", json={"id": factory_id, "name": name, "signer": address}, headers=headers)
    assert response.status_code == 201, response.text


def rotate_on_chain(ledger: LedgerClient, factory_id: str, current: LocalAccount, successor: str) -> TxResult:
    """Rotate a factory's key straight on chain, ``current`` (the key in force) signing the rotation;
    ``ledger``'s sender only relays."""
    rotation = ledger.rotation(factory_id, successor)
    return ledger.rotate_signer(factory_id, successor, rotation.sign(current, ledger.domain()))


def signed_rotation(http: httpx.Client, factory_id: str, current: LocalAccount, successor: str) -> dict[str, str]:
    """The body of ``POST /factories/{id}/signer``: ``current`` (the factory's key in force) signs the
    rotation to ``successor`` the service hands out (``GET /factories/{id}/rotation``)."""
    response = http.get(f"/factories/{factory_id}/rotation", params={"signer": successor})
    assert response.status_code == 200, response.text
    signature = current.sign_typed_data(full_message=response.json()).signature
    return {"signer": successor, "signature": "0x" + bytes(signature).hex()}


def role_key_files(data_dir: Path, password: str, fund: Callable[[str], object]) -> dict[str, LocalAccount]:
    """A configured chain's key files, one per role, as an operator lays them out for ``ZCL_RPC_URL``
    (``<data>/keys/<role>.key``, keystores under ``password``); ``fund`` pays for the ones that send."""
    keys = {role: new_key_file(data_dir / "keys" / f"{role}.key", password) for role in ROLE_KEYS}
    for role in ("relayer", "registrar", "admin"):
        fund(keys[role].address)
    return keys


def inventory_record(n: int, period: str, kind: str, value: str, unit: str) -> InventoryRecord:
    """Record ``n`` of factory CN-G: a whole month of ``period`` metered as ``value`` ``unit``, for the
    inventory tests (anchoring is not their concern)."""
    y, m = map(int, period.split("-"))
    end = f"{y + (m == 12)}-{m % 12 + 1:02d}-01T00:00:00+08:00"
    wire = {
        "source_id": f"meter-{kind}", "kind": kind, "value": value, "unit": unit,
        "interval_start": f"{period}-01T00:00:00+08:00", "interval_end": end, "evidence": [],
        "salt": "0x" + f"{n:064x}",
    }  # fmt: skip
    return InventoryRecord(f"rec-{n}", period, parse_record(wire, factory_id="CN-G", period=period))


def attest(ledger: Any, claim_id: int) -> None:
    """Confirm a provisional claim as an attestor would after checking its cancellation statement (the
    test ledger's deployer holds every role; a deployment gives each role its own key)."""
    ledger.confirm_claim(claim_id, ledger.get_claim(claim_id).details_hash)


def sign_report(http: httpx.Client, report_id: str, evaluator: LocalAccount) -> dict[str, Any]:
    """The evaluator signs a draft report as a user would (the typed data the service gives, signed
    locally) and posts the signature; the answer is the report, anchored."""
    typed = http.get(f"/evaluations/{report_id}/typed-data", params={"evaluator": evaluator.address}).json()
    typed["message"]["reportHash"] = bytes.fromhex(typed["message"]["reportHash"][2:])
    signature = "0x" + sign_typed_data(evaluator, typed).hex()
    signed = http.post(
        f"/evaluations/{report_id}/signature", json={"evaluator": evaluator.address, "signature": signature}
    )
    assert signed.status_code == 200, signed.text
    return dict(signed.json())
