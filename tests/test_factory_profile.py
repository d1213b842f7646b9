"""A factory's profile (location and boundary) through the API as the registrar/admin sets it: at
registration, edited later field by field, refused naming the field, unknown until given and never
guessed; its page shows it, and a report keeps the boundary it was made with."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from eth_account.signers.local import LocalAccount

from ledger.accounting.profile import grid_regions, provinces, uscc_problem
from ledger.store import factories as factory_rows
from ledger.store.db import MIGRATIONS_DIR, make_engine, migrate, session_factory
from tests.builders import ADMIN, EXAMPLE_STEAM, EXAMPLES, batch_json, example_batch
from tests.conftest import Service

FACTORY = "CN-JS-SZ-0001"
PROFILE = {
    "province": "CN-JS", "grid_region": "east", "legal_entity": "苏州精密零部件有限公司",
    "unified_social_credit_code": "91350100M000100Y43",  # widely cited as GB 32100-2015's example
    "site_address": "88 Xinghu St, Suzhou Industrial Park", "facilities": ["assembly hall A", "rooftop PV 2 MWp"],
}  # fmt: skip


def _register(service: Service, key: LocalAccount, **extra: Any) -> Any:
    body = {"id": FACTORY, "name": "Suzhou Precision Components", "signer": key.address} | extra
    return service.http.post("/factories", json=body, headers=ADMIN)


def test_uscc_check_character_and_the_data_behind_the_choices() -> None:
    assert uscc_problem("91350100M000100Y43") is None and uscc_problem("914403001922038216") is None
    assert "check character" in (uscc_problem("91350100M000100Y44") or "")
    assert "not a character" in (uscc_problem("91350100M000100I43") or "")
    assert len(provinces()) == 34 and provinces()["CN-JS"] == "Jiangsu"
    assert set(grid_regions()) == {"north", "northeast", "east", "central", "northwest", "south", "southwest"}


def test_profile_set_at_registration_edited_later_and_shown(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    response = _register(service, new_account(), profile=PROFILE)
    assert response.status_code == 201, response.text
    profile = response.json()["profile"]
    assert {k: profile[k] for k in PROFILE} == PROFILE and profile["updated_at"] is not None
    # only what is sent changes; null makes a field unknown again
    response = service.http.patch(f"/factories/{FACTORY}/profile", json={"grid_region": "central", "site_address": None},
                                  headers=ADMIN)  # fmt: skip
    assert response.status_code == 200, response.text
    shown = service.http.get(f"/factories/{FACTORY}").json()["profile"]
    assert shown["grid_region"] == "central" and shown["site_address"] is None and shown["province"] == "CN-JS"
    page = service.http.get(f"/factory/{FACTORY}").text
    assert "CN-JS" in page and "central" in page and "assembly hall A; rooftop PV 2 MWp" in page
    assert "Site address</dt><dd>unknown" in page
    assert service.http.patch(f"/factories/{FACTORY}/profile", json={"province": "CN-ZJ"}).status_code in (401, 403)
    bad = service.http.patch(f"/factories/{FACTORY}/profile", json={"province": "CN-XX"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "province"], bad.text
    assert service.http.get(f"/factories/{FACTORY}").json()["profile"]["province"] == "CN-JS"


def test_a_factory_without_a_profile_is_unknown_and_a_report_keeps_its_boundary(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    key = new_account()
    assert _register(service, key).status_code == 201
    profile = service.http.get(f"/factories/{FACTORY}").json()["profile"]
    assert all(profile[k] is None for k in PROFILE) and profile["updated_at"] is None
    assert 'Province</dt><dd><span class="muted unknown">unknown' in service.http.get(f"/factory/{FACTORY}").text
    response = service.http.post("/batches", json=batch_json(service.ledger, key, example_batch()))
    assert response.status_code == 201, response.text

    def evaluate() -> dict[str, Any]:
        response = service.http.post(
            "/evaluations", json={"factory_id": FACTORY, "year": 2025, "type": "I", "steam": EXAMPLE_STEAM}
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    bill = EXAMPLES / "2025-01" / "evidence" / "state-grid-bill-2025-01.pdf"
    with bill.open("rb") as file:  # one of the grid meter's two evidence files is held here
        uploaded = service.http.post("/evidence", files={"file": (bill.name, file, "application/pdf")})
    assert uploaded.status_code in (200, 201), uploaded.text
    before = evaluate()
    assert before["boundary"]["complete"] is False and before["boundary"]["province"] is None
    grid = next(s for s in before["data_quality"] if s["source_id"] == "meter-3205-10K-0457")
    assert (grid["records"], grid["evidence_files"], grid["evidence_files_held"]) == (1, 2, 1)
    assert grid["months_present"] == ["2025-01"] and len(grid["months_absent"]) == 11
    assert set(before["boundary"]["unknown"]) == set(PROFILE)
    assert service.http.patch(f"/factories/{FACTORY}/profile", json=PROFILE, headers=ADMIN).status_code == 200
    after = evaluate()
    assert after["boundary"]["complete"] is True and after["boundary"]["legal_entity"] == PROFILE["legal_entity"]
    again = service.http.get(f"/evaluations/{before['id']}").json()
    assert again["boundary"] == before["boundary"]  # the signed JSON keeps what it was made with
    html = service.http.get(f"/evaluations/{after['id']}/report.html").text
    assert PROFILE["legal_entity"] in html and "91350100M000100Y43" in html and "assembly hall A" in html
    old = service.http.get(f"/evaluations/{before['id']}/report.html").text
    assert "were not given in the" in old


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("province", "Jiangsu", "ISO 3166-2:CN"),
        ("province", "CN-XX", "ISO 3166-2:CN"),
        ("grid_region", "national_average", "regional grid"),
        ("unified_social_credit_code", "91350100M000100Y44", "check character"),
        ("facilities", ["ok", "bad\u202e"], "bidirectional"),
        ("legal_entity", "", "characters"),
    ],
)
def test_a_bad_profile_is_refused_naming_the_field_and_nothing_is_registered(
    service: Service, new_account: Callable[[], LocalAccount], field: str, value: Any, says: str
) -> None:
    response = _register(service, new_account(), profile={field: value})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"][:3] == ["body", "profile", field], detail
    assert says in detail["msg"]
    assert service.http.get(f"/factories/{FACTORY}").status_code == 404


def _alembic(engine: Any, action: Callable[..., None], target: str) -> None:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config, target)


def test_migration_0013_leaves_existing_factories_unknown_and_keeps_the_case_index(tmp_path: Path) -> None:
    """A factory stored before 0013 reads as all-unknown after it; down and up again, ids that differ
    only in case are still one factory (SQLite rebuilds the table on the way down)."""
    profile = old_factory_migrated(tmp_path, "0012")
    assert profile == dict.fromkeys((*PROFILE, "updated_at", "source_register"))  # 0015: nothing declared


def old_factory_migrated(tmp_path: Path, before: str) -> dict[str, Any]:
    """The profile of a factory stored at revision ``before``, after migrating to the latest; then down
    to ``before`` and up again, asserting that ids differing only in case are still one factory."""
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    _alembic(engine, command.upgrade, before)
    with engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO factories (id, name, created_at) VALUES ('CN-OLD-1', 'Old', '2025-01-01')")
        )
    migrate(engine)
    with session_factory(engine)() as session:
        profile = factory_rows.profile_of(factory_rows.get(session, "CN-OLD-1"))
    _alembic(engine, command.downgrade, before)
    migrate(engine)
    with engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
        connection.execute(
            sa.text("INSERT INTO factories (id, name, created_at) VALUES ('cn-old-1', 'x', '2025-01-01')")
        )
    return profile
