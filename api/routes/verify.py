from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from api.deps import LedgerDep
from api.schemas import VerificationOut
from ledger.hourly import bundle as hourly
from ledger.verify import verify_bundle

router = APIRouter(tags=["verify"])


@router.post("/verify")
def verify(ledger: LedgerDep, bundle: dict[str, Any] = Body(...)) -> VerificationOut:
    """Check a proof bundle (a record's, or a matching claim's: `zcl-hourly-allocation/1`) against this
    service's chain; every check's outcome is listed.

    For verification that does not trust this service, run `zcl verify` against a node of your own.
    """
    if bundle.get("type") == hourly.TYPE:  # a signed matching claim (pieces of an anchored matching run)
        report = hourly.verify_bundle(bundle, ledger.w3, expected_contract=ledger.address)
    else:
        report = verify_bundle(bundle, ledger.w3, expected_contract=ledger.address)
    return VerificationOut(**report.to_json())
