"""The example factory's hourly year (examples/hourly/) for the tests: its modules, and its batches
signed and posted through a service as a factory and a generator would.

Keys: as everywhere in the tests, each signer is a fresh account the test makes (``new_account``),
registered as a site before it signs — the factory's key signs its revision-2 batches, the wind
farm's own key (site ``GEN-JS-OW-0017``) its generation batches. Nothing here holds a key.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import sys
from types import ModuleType
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount

from ledger.chain.client import LedgerClient
from ledger.eip712.domain import LedgerDomain
from tests.builders import ADMIN, EXAMPLES, FACTORY_ID, batch_json, register_factory

HOURLY = EXAMPLES / "hourly"


def module(name: str) -> ModuleType:
    """``examples/hourly/<name>.py``, imported from its path (the examples are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"hourly_example_{name}", HOURLY / f"{name}.py")
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


generate, batches = module("generate"), module("batches")
revision_two = functools.cache(batches.revision_two)
"""Each month's revision 2, imported once per test run (callers copy before changing it: ``salted``)."""


def register_generator(http: httpx.Client, key: LocalAccount) -> str:
    """Registers the wind farm (``examples/hourly/generator/site.json``) as a site signing with
    ``key``; returns its id."""
    site = json.loads((HOURLY / "generator" / "site.json").read_text(encoding="utf-8"))
    register_factory(http, key, site["id"], name=site["name"])
    response = http.patch(f"/factories/{site['id']}/profile", json=site["profile"], headers=ADMIN)
    assert response.status_code == 200, response.text
    return str(site["id"])


def declare_sources(http: httpx.Client, factory_id: str = FACTORY_ID) -> dict[str, Any]:
    """``PATCH /factories/{id}/profile`` with the example's source register (the office meter
    ``load-profile``); returns the factory."""
    response = http.patch(f"/factories/{factory_id}/profile", json=batches.register(), headers=ADMIN)
    assert response.status_code == 200, response.text
    return dict(response.json())


def post(
    http: httpx.Client, chain: LedgerClient | LedgerDomain, key: LocalAccount, data: dict[str, Any]
) -> dict[str, Any]:
    response = http.post("/batches", json=batch_json(chain, key, batches.salted(data)))
    assert response.status_code == 201, response.text
    return dict(response.json())


def anchor_hourly_year(
    http: httpx.Client, chain: LedgerClient | LedgerDomain, factory: LocalAccount, generator: LocalAccount
) -> list[dict[str, Any]]:
    """After the example year (revision 1 and its claims, e.g. the ``year`` fixture of
    tests/test_evaluation_service.py): the register declared, revision 2 of every month signed by
    ``factory``, the wind farm registered and its two months signed by ``generator``; returns the
    service's answers, months first."""
    declare_sources(http)
    answers = [post(http, chain, factory, revision_two(period)) for period in batches.MONTHS]
    register_generator(http, generator)
    return answers + [post(http, chain, generator, batches.generation_batch(p)) for p in batches.GENERATION_MONTHS]
