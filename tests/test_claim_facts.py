"""The eligibility facts a signed claim carries: each checked, named on error, and part of the signed hash."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.claims import details_hash, parse_claim
from ledger.records.errors import RecordError
from tests.builders import CLAIM_EXAMPLE

CCER = {
    "factory_id": "CN-JS-SZ-0001", "registry": "CCER", "block_id": "CCER-14-2024-0031-V2024-B03",
    "serial_start": "1", "serial_end": "10", "project_id": "CCER-14-2024-0031", "technology": "afforestation",
    "quantity": "10", "unit": "tCO2e", "generation_start": "2024-01", "generation_end": "2024-12",
    "consumption_start": "2025-01", "consumption_end": "2025-12", "purpose": "offset", "evidence_sha256": "ab" * 32,
    "country": "CN", "region": "CN-FJ", "methodology": "CCER-14-001-V01", "cancellation_number": "CCER-ZX-1",
    "cancellation_date": "2025-12-20",
}  # fmt: skip


def refused(body: dict[str, Any]) -> RecordError:
    with pytest.raises(RecordError) as caught:
        parse_claim(body)
    return caught.value


def test_the_example_claim_carries_its_facts_and_they_round_trip() -> None:
    claim = parse_claim(CLAIM_EXAMPLE)
    d = claim.details
    assert (d.country, d.region, d.methodology, d.bundled_with) == ("CN", "CN-JS", "", "")
    assert (d.cancellation_number, d.cancellation_date) == ("GEC-ZX-2025-1218-000431", "2025-12-18")
    assert parse_claim(claim.to_json()) == claim


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "China"}, "country"),
        ({"country": "cn"}, "country"),
        ({"country": None}, "country"),
        ({"region": "GD"}, "region"),
        ({"region": "VN-SG"}, "region"),  # a subdivision of another country than the one declared
        ({"cancellation_number": ""}, "cancellation_number"),
        ({"cancellation_number": " X"}, "cancellation_number"),
        ({"cancellation_date": "2025-02-30"}, "cancellation_date"),
        ({"cancellation_date": "2025-12"}, "cancellation_date"),
        ({"bundled_with": 7}, "bundled_with"),
        ({"methodology": "x" * 65}, "methodology"),
    ],
)
def test_a_bad_fact_is_refused_naming_its_field(change: dict[str, Any], field: str) -> None:
    body = {k: v for k, v in (CLAIM_EXAMPLE | change).items() if v is not None}
    assert refused(body).field == field


def test_a_credit_needs_its_methodology_a_certificate_may_leave_it_empty() -> None:
    assert parse_claim(CCER).details.methodology == "CCER-14-001-V01"
    assert refused(CCER | {"methodology": ""}).field == "methodology"
    assert parse_claim(CLAIM_EXAMPLE | {"methodology": ""}).details.methodology == ""


def test_region_and_bundled_with_may_be_left_out() -> None:
    body = {k: v for k, v in CLAIM_EXAMPLE.items() if k not in ("region", "bundled_with")}
    assert (parse_claim(body).details.region, parse_claim(body).details.bundled_with) == ("", "")


@pytest.mark.parametrize(
    "change",
    [{"country": "VN", "region": ""}, {"region": ""}, {"methodology": "ACM0002"}, {"cancellation_number": "other"},
     {"cancellation_date": "2025-12-19"}, {"bundled_with": "ppa-2025"}],
)  # fmt: skip
def test_every_fact_is_in_the_signed_details_hash(change: dict[str, Any]) -> None:
    assert details_hash(parse_claim(CLAIM_EXAMPLE | change).details) != details_hash(parse_claim(CLAIM_EXAMPLE).details)
