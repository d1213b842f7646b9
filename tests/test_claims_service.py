"""Claims over HTTP: the buyer's lookup, and a unit that can never be claimed twice, even in a race."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import select

from api.compose import claim_policy_from
from ledger.claims import parse_claim, sign_claim
from ledger.claims.double_counting import RENEWABLE_EXCEEDS_CONSUMPTION, find_double_counting
from ledger.claims.policy import DEFAULT_CLAIMS_PER_HOUR, ClaimPolicy, parse_min_units
from ledger.claims.signed import parse_signed_claim
from ledger.config import ConfigError, Settings
from ledger.services.ratelimit import RateLimit
from ledger.store.models import ClaimRow
from tests.builders import CLAIM_EXAMPLE as EXAMPLE
from tests.builders import claim_body, claim_json, gec, register_factory
from tests.conftest import Service


@pytest.fixture
def register(service: Service, new_account: Callable[[], LocalAccount]) -> Callable[[str], LocalAccount]:
    def make(factory_id: str) -> LocalAccount:
        key = new_account()
        register_factory(service.http, key, factory_id, name=factory_id)
        return key

    return make


def status(service: Service, serial: str, registry: str = "GEC") -> dict[str, Any]:
    response = service.http.get(f"/certificates/{registry}/{quote(serial, safe='')}")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_claim_and_the_buyers_lookup(service: Service, register: Callable[[str], LocalAccount]) -> None:
    key = register("CN-JS-SZ-0001")
    response = service.http.post(
        "/claims", json=claim_json(service.ledger, key, claim_body("CN-JS-SZ-0001", 4001, 4800))
    )
    assert response.status_code == 201, response.text
    claim = response.json()
    assert claim["status"] == "claimed" and claim["claim_id"] == 1 and claim["tx_hash"].startswith("0x")
    assert (claim["serial_start"], claim["serial_end"]) == ("4001", "4800")

    inside = status(service, gec(4500))
    assert inside["claimed"] and inside["units"] == 1 and inside["units_claimed"] == 1
    (holder,) = inside["claims"]
    assert holder["factory_id"] == "CN-JS-SZ-0001" and holder["signer"] == key.address
    assert (holder["consumption_start"], holder["consumption_end"]) == ("2025-01", "2025-01")
    assert holder["tx_hash"] == claim["tx_hash"] and holder["block_number"] == claim["block_number"]
    assert holder["details"]["evidence_sha256"] == EXAMPLE["evidence_sha256"]
    on_chain = service.ledger.get_claim(holder["claim_id"])
    assert holder["details_hash"] == "0x" + on_chain.details_hash.hex()

    assert not status(service, gec(4000))["claimed"] and not status(service, gec(4801))["claimed"]
    straddling = status(service, f"{gec(3991)}..{gec(4010)}")
    assert straddling["claimed"] and (straddling["units"], straddling["units_claimed"]) == (20, 10)
    assert service.http.get(f"/certificates/GEC/{'1' * 31}").status_code == 422

    again = service.http.post("/claims", json=claim_json(service.ledger, key, claim_body("CN-JS-SZ-0001", 4001, 4800)))
    assert again.status_code == 200 and again.json()["claim_id"] == 1


@pytest.mark.parametrize(("first", "last"), [(4001, 4800), (3000, 4001), (4800, 5000), (4500, 4600)])
def test_an_overlapping_claim_is_409_naming_the_earlier_one(
    service: Service, register: Callable[[str], LocalAccount], first: int, last: int
) -> None:
    a, b = register("CN-A"), register("CN-B")
    winner = service.http.post("/claims", json=claim_json(service.ledger, a, claim_body("CN-A", 4001, 4800))).json()
    refused = service.http.post("/claims", json=claim_json(service.ledger, b, claim_body("CN-B", first, last)))
    assert refused.status_code == 409
    message = refused.json()["detail"]
    for fact in ("CN-A", "claim 1", "4001..4800", "2025-01..2025-01", winner["tx_hash"]):
        assert fact in message
    assert service.ledger.claim_count() == 1


def test_the_chain_decides_when_another_service_claimed_first(
    service: Service, register: Callable[[str], LocalAccount]
) -> None:
    """A claim relayed by another service (straight to the contract) is unknown to this database."""
    a, b = register("CN-A"), register("CN-B")
    elsewhere = parse_claim(claim_body("CN-A", 100, 199))
    claim_id, tx = service.ledger.claim_retirement(elsewhere, sign_claim(a, service.ledger.domain(), elsewhere))
    refused = service.http.post("/claims", json=claim_json(service.ledger, b, claim_body("CN-B", 150, 250)))
    assert refused.status_code == 409
    assert f"claim {claim_id}" in refused.json()["detail"] and tx.tx_hash in refused.json()["detail"]
    assert status(service, gec(150))["claims"][0]["tx_hash"] == tx.tx_hash  # found from the chain's events


@pytest.mark.usefixtures("served")  # clients on their own connections, from threads
def test_twenty_concurrent_overlapping_claims_one_wins(
    service: Service, register: Callable[[str], LocalAccount]
) -> None:
    bodies = []
    for n in range(20):
        factory_id = f"CN-RACE-{n:02d}"
        key = register(factory_id)
        bodies.append(
            claim_json(service.ledger, key, claim_body(factory_id, 1000 + n * 10, 1500 + n * 10))
        )  # all overlap
    results: list[httpx.Response | None] = [None] * len(bodies)
    base = str(service.http.base_url)
    barrier = threading.Barrier(len(bodies))

    def post(i: int) -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            barrier.wait()
            results[i] = client.post("/claims", json=bodies[i])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    codes = [r.status_code if r is not None else None for r in results]
    assert codes.count(201) == 1 and codes.count(409) == 19, codes
    winner = next(r.json() for r in results if r is not None and r.status_code == 201)
    for r in results:
        if r is not None and r.status_code == 409:
            assert winner["factory_id"] in r.json()["detail"] and f"claim {winner['claim_id']}" in r.json()["detail"]
    assert service.ledger.claim_count() == 1
    assert status(service, gec(1500))["claims"][0]["factory_id"] == winner["factory_id"]


def test_refusals_name_the_field_or_the_key(
    service: Service, register: Callable[[str], LocalAccount], new_account: Callable[[], LocalAccount]
) -> None:
    key = register("CN-A")
    wrong_key = service.http.post("/claims", json=claim_json(service.ledger, new_account(), claim_body("CN-A", 1, 10)))
    assert wrong_key.status_code == 403 and key.address in wrong_key.json()["detail"]
    body = claim_json(service.ledger, key, claim_body("CN-A", 1, 10))
    for change, field in (
        ({"quantity": "11"}, "quantity"), ({"unit": "tCO2e"}, "unit"), ({"registry": "XYZ"}, "registry"),
        ({"consumption_end": "2024-12"}, "consumption_end"), ({"serial": "123"}, "serial"),
        ({"signature": "0x12"}, "signature"), ({"surprise": 1}, "surprise"),
    ):  # fmt: skip
        response = service.http.post("/claims", json=body | change)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["detail"][0]["loc"] == ["body", field]
    tampered = body | {"purpose": "something else"}  # the signed details no longer match
    named = service.http.post("/claims", json=tampered)
    assert named.status_code == 422 and named.json()["detail"][0]["loc"] == ["body", "signer"]
    unnamed = {k: v for k, v in tampered.items() if k != "signer"}
    assert service.http.post("/claims", json=unnamed).status_code == 403
    assert service.ledger.claim_count() == 0
    assert service.http.get("/claims/99").status_code == 404


def test_double_counting_checks_read_claims_from_the_chain(
    service: Service, register: Callable[[str], LocalAccount]
) -> None:
    a, b = register("CN-A"), register("CN-B")
    service.http.post("/claims", json=claim_json(service.ledger, a, claim_body("CN-A", 1, 100)))
    service.http.post("/claims", json=claim_json(service.ledger, b, claim_body("CN-B", 101, 200)))
    elsewhere = parse_claim(claim_body("CN-B", 201, 300))  # relayed by someone else, straight to the chain
    service.ledger.claim_retirement(elsewhere, sign_claim(b, service.ledger.domain(), elsewhere))

    desk = service.services.claims
    known, undisclosed = desk.claimed_retirements()
    assert [c.claim_id for c in known] == [1, 2] and undisclosed == [3]
    assert known[0].claim == parse_claim(claim_body("CN-A", 1, 100)) and known[0].signer == a.address
    findings = find_double_counting(
        factory_id="CN-A", period_start="2025-01", period_end="2025-01", claims=known, records=[]
    )
    # 100 MWh of certificates against no metered electricity, and nothing else
    assert [(f.check, f.claim_ids) for f in findings] == [(RENEWABLE_EXCEEDS_CONSUMPTION, (1,))]

    # stored details that no longer hash to what the chain recorded are not trusted
    with service.services.sessions.begin() as session:
        row = session.scalars(select(ClaimRow).where(ClaimRow.claim_id == 1)).one()
        row.body = row.body.replace('"generation_start": "2025-01"', '"generation_start": "2024-12"')
    known, undisclosed = desk.claimed_retirements()
    assert [c.claim_id for c in known] == [2] and undisclosed == [1, 3]


@pytest.mark.usefixtures("served")  # clients on their own connections, from threads
def test_the_same_claim_submitted_twice_at_once_is_one_claim(
    service: Service, register: Callable[[str], LocalAccount]
) -> None:
    body = claim_json(service.ledger, register("CN-A"), claim_body("CN-A", 1, 10))
    results: list[httpx.Response | None] = [None] * 4
    barrier = threading.Barrier(4)
    base = str(service.http.base_url)

    def post(i: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            barrier.wait()
            results[i] = client.post("/claims", json=body)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    codes = sorted(r.status_code for r in results if r is not None)
    assert codes == [200, 200, 200, 201], [r.text for r in results if r is not None]
    assert {(r.json()["claim_id"], r.json()["status"]) for r in results if r is not None} == {(1, "claimed")}
    assert service.ledger.claim_count() == 1


def test_a_claim_a_reorg_took_is_claimed_again_and_a_rival_is_a_kept_conflict(
    service: Service, register: Callable[[str], LocalAccount]
) -> None:
    """The chain is the truth for claims: a claim whose block a reorg removed goes back to pending and
    is claimed again from its stored signature; when another factory's claim took its units in the
    meantime, the row is kept as ``conflict`` naming that claim — never deleted."""
    ours = claim_json(service.ledger, register("CN-A"), claim_body("CN-A", 1, 10))
    first = service.http.post("/claims", json=ours).json()
    assert first["status"] == "claimed" and first["final"] is True
    service.w3.provider.make_request("anvil_reorg", [1, []])  # type: ignore[arg-type]
    assert service.ledger.claim_count() == 0
    assert service.services.claims.watch() == 1
    with service.services.sessions() as session:
        row = session.get(ClaimRow, first["id"])
        assert row is not None and (row.status, row.claim_id) == ("pending", None)
    assert service.services.claims.reconcile() == 1
    again = service.http.post("/claims", json=ours)  # the same signed claim: the same row, claimed
    assert again.status_code == 200 and again.json()["id"] == first["id"] and again.json()["status"] == "claimed"
    on_chain = service.ledger.get_claim(again.json()["claim_id"])  # (the same signed tx may be mined again)
    assert on_chain.claimed_block == again.json()["block_number"] and service.ledger.claim_count() == 1

    # a rival takes the units of a second claim while the reorg has it away
    second = claim_json(service.ledger, register("CN-B"), claim_body("CN-B", 20, 30))
    assert service.http.post("/claims", json=second).json()["status"] == "claimed"
    service.w3.provider.make_request("anvil_reorg", [1, []])  # type: ignore[arg-type]
    rival = claim_json(service.ledger, register("CN-C"), claim_body("CN-C", 25, 26))
    rival_claim = parse_signed_claim(rival).claim
    rival_id, _ = service.ledger.claim_retirement(rival_claim, bytes.fromhex(rival["signature"][2:]))
    assert service.services.claims.watch() == 1  # CN-B's claim is gone: pending again
    service.services.claims.reconcile()  # sent again: refused, its units are the rival's
    with service.services.sessions() as session:
        row = session.scalars(select(ClaimRow).where(ClaimRow.factory_id == "CN-B")).one()
        assert row.status == "conflict" and row.conflict is not None and f"claim {rival_id}" in (row.reason or "")
    again = service.http.post("/claims", json=second)
    assert again.status_code == 409 and f"claim {rival_id}" in again.json()["detail"]


def test_dust_claims_and_a_factory_over_its_hourly_share_are_not_relayed(
    service: Service, register: Callable[[str], LocalAccount]
) -> None:
    """The contract would take a 1-unit claim; the service refuses to pay gas for dust (422 naming
    ``serial_end``) and for more than a factory's share of relays (429 with ``Retry-After``)."""
    claims = service.services.claims
    claims.policy = ClaimPolicy(MappingProxyType({"GEC": 5}), per_hour=2)
    claims.relays = RateLimit(2, burst=2, what="claim relays")
    key = register("CN-A")
    dust = service.http.post("/claims", json=claim_json(service.ledger, key, claim_body("CN-A", 1, 4)))
    assert dust.status_code == 422 and dust.json()["detail"][0]["loc"][-1] == "serial_end", dust.text
    assert "at least 5" in dust.json()["detail"][0]["msg"]
    assert service.ledger.claim_count() == 0
    for first in (1, 11):
        posted = service.http.post(
            "/claims", json=claim_json(service.ledger, key, claim_body("CN-A", first, first + 4))
        )
        assert posted.status_code == 201, posted.text
    third = claim_json(service.ledger, key, claim_body("CN-A", 21, 25))
    limited = service.http.post("/claims", json=third)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0, limited.text
    assert "CN-A" in limited.json()["detail"] and service.ledger.claim_count() == 2
    other = service.http.post("/claims", json=claim_json(service.ledger, register("CN-B"), claim_body("CN-B", 31, 35)))
    assert other.status_code == 201  # the limit is per factory
    again = service.http.post("/claims", json=claim_json(service.ledger, key, claim_body("CN-A", 1, 5)))
    assert again.status_code == 200  # a resubmission of a claim already relayed costs nothing: not limited


def test_claim_policy_settings_name_the_bad_variable() -> None:
    assert dict(parse_min_units("GEC=10, CCER=100")) == {"GEC": 10, "CCER": 100}
    for bad in ("GEC", "NOPE=3", "GEC=0", "GEC=x"):
        with pytest.raises(ValueError, match="ZCL_CLAIM_MIN_UNITS"):
            parse_min_units(bad)
    with pytest.raises(ConfigError, match="ZCL_CLAIMS_PER_HOUR"):
        Settings.from_env({"ZCL_CLAIMS_PER_HOUR": "-1"})
    assert Settings.from_env({"ZCL_CLAIMS_PER_HOUR": "0"}).claims_per_hour is None
    with pytest.raises(ConfigError, match="ZCL_CLAIM_MIN_UNITS"):
        claim_policy_from(Settings.from_env({"ZCL_CLAIM_MIN_UNITS": "GEC=0"}))
    assert claim_policy_from(Settings.from_env({})).per_hour == DEFAULT_CLAIMS_PER_HOUR


def test_a_squatted_block_is_freed_by_the_arbiter_and_counts_for_nothing_meanwhile(
    service: Service, register: Callable[[str], LocalAccount]
) -> None:
    """The finding: any registered factory could claim a whole block of another's certificates (201),
    and the real owner got 409 for ever. The squat still blocks the units at once (no double claim),
    but it is provisional: the buyer's lookup says so, no evaluation counts it, and the arbiter's
    revocation frees the units for the owner, whose claim an attestor then confirms."""
    squatter, owner = register("CN-SQUAT"), register("CN-OWNER")
    squat = service.http.post("/claims", json=claim_json(service.ledger, squatter, claim_body("CN-SQUAT", 0, 10_000)))
    assert squat.status_code == 201 and squat.json()["attestation"] == "provisional"
    looked = status(service, gec(4500))
    assert looked["units_claimed"] == 1 and looked["units_confirmed"] == 0
    assert looked["claims"][0]["attestation"] == "provisional"
    page = service.http.get("/certificates", params={"registry": "GEC", "serial": gec(4500)}).text
    assert 'data-attestation="provisional"' in page and "counts in no" in page
    refused = service.http.post("/claims", json=claim_json(service.ledger, owner, claim_body("CN-OWNER", 4001, 4800)))
    assert refused.status_code == 409 and "CN-SQUAT" in refused.json()["detail"]

    squat_id = squat.json()["claim_id"]
    service.ledger.revoke_claim(squat_id, b"\x5a" * 32)  # the arbiter, after the registry's answer
    assert service.services.claims.index.follow() >= 1  # the reconciler's round: the revocation is indexed
    assert service.http.get(f"/claims/{squat_id}").json()["attestation"] == "revoked"
    assert not status(service, gec(4500))["claimed"]
    owned = service.http.post("/claims", json=claim_json(service.ledger, owner, claim_body("CN-OWNER", 4001, 4800)))
    assert owned.status_code == 201, owned.text
    service.ledger.confirm_claim(
        owned.json()["claim_id"], service.ledger.get_claim(owned.json()["claim_id"]).details_hash
    )
    service.services.claims.index.follow()
    looked = status(service, gec(4500))
    assert looked["units_confirmed"] == 1 and looked["claims"][0]["factory_id"] == "CN-OWNER"
    row = service.http.post("/claims", json=claim_json(service.ledger, owner, claim_body("CN-OWNER", 4001, 4800)))
    assert row.status_code == 200 and row.json()["attestation"] == "confirmed"


def test_the_index_follows_claims_relayed_elsewhere_and_gives_exact_hints(
    service: Service, register: Callable[[str], LocalAccount]
) -> None:
    """Claims straight to the contract (another relayer) reach the index from the events; hints from
    it place the next claim with no walk at all."""
    key = register("CN-A")
    ledger, domain = service.ledger, service.ledger.domain()
    ids = []
    for first in range(100, 1100, 100):
        c = parse_claim(claim_body("CN-A", first, first + 49))
        ids.append(ledger.claim_retirement(c, sign_claim(key, domain, c))[0])
    index = service.services.claims.index
    assert index.near("GEC", parse_claim(claim_body("CN-A", 1, 1)).block_id, 555) == []  # not followed yet
    assert index.follow() == len(ids)
    block = parse_claim(claim_body("CN-A", 1, 1)).block_id
    assert index.near("GEC", block, 555) == [ids[4], ids[3], ids[2]]
    assert ledger.position_hint("GEC", block, 555, index.near("GEC", block, 555)) == ids[4]
    assert index.follow() == len(ids)  # the reorg margin is read again, idempotently
    assert index.statuses(ids) == {i: "provisional" for i in ids}
