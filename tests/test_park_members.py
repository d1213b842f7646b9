"""A park keeps of each member what the park needs, never its records (issue 15, item 8: a park of ten
factories of 1.2 × 10^6 records each must not hold twelve million records at once).

As soon as a member's year is computed it is reduced to its inventory, its missing months, its
uncovered source-months and, per source, its kinds and record count (:class:`Member`); transfers
between members are checked against those tallies. The park's figures and refusals are those of
tests/golden/test_row13_park_transfers_and_gaps.py, which pass unchanged.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

import pytest
from eth_account.signers.local import LocalAccount

from ledger.accounting.evaluation import load_rules
from ledger.accounting.park import SourceTally, Transfer, park_transfers
from ledger.records import MeasurementRecord
from ledger.records.errors import RecordError
from ledger.services.park import member_of
from tests.conftest import Service
from tests.golden.test_row13_park_transfers_and_gaps import BUYER, SELLER, build_park

KINDS = ("purchased_steam", "purchased_heat")


def live_records() -> int:
    """How many measurement records are alive in this process, whoever holds them."""
    gc.collect()
    return sum(type(o) is MeasurementRecord for o in gc.get_objects())


def test_a_member_is_kept_as_its_inventory_and_tallies_and_its_records_are_let_go(
    service: Service, new_account: Callable[[], LocalAccount]
) -> None:
    """Row 13's buyer B has one whole-month reading of pv-B, grid-B and steam-B in each month of 2025:
    12 records of one kind per source, 36 in all; no month missing, every source-month covered.

    Holding B's year (what the park used to keep per member) keeps its 36 records alive; the member the
    park keeps instead leaves no record alive once it is computed."""
    build_park(service, new_account)
    evaluations = service.services.evaluations
    factors, rules = evaluations.factor_set(None, None), load_rules()
    before = live_records()

    member = member_of(evaluations, BUYER, 2025, factors, rules)
    assert member.sources == {
        "pv-B": SourceTally(frozenset({"onsite_renewable_self_consumed"}), 12),
        "grid-B": SourceTally(frozenset({"grid_electricity"}), 12),
        "steam-B": SourceTally(frozenset({"purchased_steam"}), 12),
    }
    assert member.missing == [] and member.gaps == [] and member.inventory.factory_id == BUYER
    assert live_records() == before

    year_data = evaluations.inventory(BUYER, 2025, factors, rules)[1]
    assert len(year_data.records) == 36 and live_records() == before + 36
    del year_data
    assert live_records() == before


def test_transfers_are_checked_against_the_tallies() -> None:
    """B's steam-B (12 records of purchased_steam) bought from A is a transfer of 12 records; B's grid-B
    is not a purchased-energy kind, and a source B does not have has no records: both refused, naming
    the field, with the words the park has always used."""
    sources = {
        SELLER: {"gas-A": SourceTally(frozenset({"natural_gas"}), 12)},
        BUYER: {
            "steam-B": SourceTally(frozenset({"purchased_steam"}), 12),
            "grid-B": SourceTally(frozenset({"grid_electricity"}), 12),
        },
    }
    steam = {"from_factory": SELLER, "to_factory": BUYER, "source_id": "steam-B"}
    assert park_transfers([steam], sources, KINDS) == [Transfer(SELLER, BUYER, "steam-B", 12)]
    with pytest.raises(RecordError) as grid:
        park_transfers([steam, steam | {"source_id": "grid-B"}], sources, KINDS)
    assert grid.value.field == "transfers[1].source_id" and "'grid-B' records grid_electricity" in str(grid.value)
    with pytest.raises(RecordError) as absent:
        park_transfers([steam | {"source_id": "steam-C"}], sources, KINDS)
    assert "has no records from source 'steam-C' this year" in str(absent.value)
