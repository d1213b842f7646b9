"""Issue 15, item 4: a level that is not confirmed is never listed as if it were — not in the API's list
of a factory's evaluations, not on the factory page, not in `zcl evaluation list`.

The example year netted over the year (``matching: annual``) is 6★ (tests/test_evaluation_service.py),
but most of what remains is its steam, priced by ``heat.purchased`` 0.11 tCO2/GJ, which cn-mee-2023
marks ``confirmed = false``: a material unconfirmed factor, so the report says ``level_confirmed``
false, ``level_status`` "unconfirmed factors", and names the factor. By default (``claim_period``) the
year gets no level (tests/golden/test_row07_example_year_matching.py): ``level_confirmed`` null,
``level_status`` "none", nothing to mark. The list shows what each report says, without reading the
report (kept beside it since migration 0014), and reads the report for a row stored before 0014.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import update

from ledger.store.models import EvaluationRow
from tests.conftest import Service
from tests.test_cli import base_env
from tests.test_evaluation_service import FACTORY, evaluate, year  # noqa: F401 (the fixture)

ZCL = str(Path(sys.executable).with_name("zcl"))
LEVEL_KEYS = ("level_confirmed", "level_status", "level_unconfirmed_because")


def listed(service: Service) -> dict[str, dict[str, Any]]:
    response = service.http.get(f"/factories/{FACTORY}/evaluations")
    assert response.status_code == 200, response.text
    return {e["id"]: e for e in response.json()}


def test_the_list_the_factory_page_and_the_cli_say_a_level_is_not_confirmed(
    served: Service,
    service: Service,
    year: dict[str, Any],  # noqa: F811
) -> None:
    """``served``: the service on a loopback port, for the CLI in its own process."""
    unconfirmed, no_level = evaluate(service, matching="annual"), evaluate(service)
    ev = unconfirmed["evaluation"]
    assert (ev["level"], ev["level_confirmed"], ev["level_status"]) == ("6★", False, "unconfirmed factors")
    assert "heat.purchased = 0.11 tCO2/GJ" in ev["level_unconfirmed_because"][0]
    assert (no_level["evaluation"]["level"], no_level["evaluation"]["level_confirmed"]) == ("none", None)

    everything = listed(service)
    for report in (unconfirmed, no_level):
        assert {k: everything[report["id"]][k] for k in LEVEL_KEYS} == {k: report["evaluation"][k] for k in LEVEL_KEYS}
    assert everything[unconfirmed["id"]]["level"] == "6★" and not everything[unconfirmed["id"]]["level_placeholder"]

    page = service.http.get(f"/factory/{FACTORY}").text
    assert page.count("(not confirmed: unconfirmed factors)</span>") == 1
    assert '<td>6★ <span class="badge fail level-unconfirmed" title="material factors' in page
    assert "<td>none</td>" in page  # no level, nothing marked

    out = subprocess.run(
        [ZCL, "--api", str(service.http.base_url), "evaluation", "list", "--factory", FACTORY],
        env=base_env(), capture_output=True, text=True, timeout=120, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert out == [
        f"{unconfirmed['id']}  2025 Type I  level 6★ [NOT CONFIRMED: unconfirmed factors]  draft",
        f"{no_level['id']}  2025 Type I  level none  draft",
    ]


def test_a_report_stored_before_0014_and_0016_is_listed_from_its_json(
    service: Service,
    year: dict[str, Any],  # noqa: F811
) -> None:
    report = evaluate(service, matching="annual")
    with service.services.sessions.begin() as session:
        before = session.get(EvaluationRow, report["id"])
        assert (
            before is not None
            and before.factor_set == f"{report['factor_set']['id']}@{report['factor_set']['version']}"
        )
        session.execute(
            update(EvaluationRow)
            .where(EvaluationRow.id == report["id"])
            .values(level_confirmation=None, factor_set=None)
        )
        stored = session.get(EvaluationRow, report["id"])
        assert stored is not None and stored.level_confirmation is None and stored.factor_set is None
    item = listed(service)[report["id"]]
    assert {k: item[k] for k in LEVEL_KEYS} == {k: report["evaluation"][k] for k in LEVEL_KEYS}
    assert item["level_confirmed"] is False
    # the date and the factor set tell drafts of one year apart; read from the JSON when not kept beside it
    assert item["factor_set"] == f"{report['factor_set']['id']}@{report['factor_set']['version']}"
    assert item["created_at"] == report["created_at"]
