"""The service's schema on PostgreSQL: the migrations build exactly what the models declare.

Runs with ``ZCL_TEST_POSTGRES=1 ./scripts/test tests/test_postgres.py`` (or with
``ZCL_TEST_DATABASE_URL`` pointing at a server); skipped otherwise.
"""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ledger.store.db import make_engine, migrate
from ledger.store.models import Base

pytestmark = pytest.mark.skipif(
    not os.environ.get("ZCL_TEST_DATABASE_URL"),
    reason="needs PostgreSQL: run ZCL_TEST_POSTGRES=1 ./scripts/test (or set ZCL_TEST_DATABASE_URL)",
)


def test_migrations_build_exactly_the_models_schema_on_postgresql(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert engine.dialect.name == "postgresql"
        migrate(engine)
        with engine.connect() as connection:
            diff = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True}),
                Base.metadata,
            )
            tables = set(inspect(connection).get_table_names())
        assert diff == []
        assert {
            "factories",
            "batches",
            "batch_trees",
            "records",
            "claims",
            "evaluations",
            "evidence",
            "alembic_version",
        } <= tables
        migrate(engine)  # a second start finds nothing to do
    finally:
        engine.dispose()


def test_block_numbers_and_times_beyond_32_bits_fit(database_url: str) -> None:
    """Chain numbers (block numbers, timestamps, ids) are unbounded uint256 on chain: the columns
    must hold at least a 64-bit value, which SQLite always did and PostgreSQL's INTEGER does not."""
    engine = make_engine(database_url)
    try:
        migrate(engine)
        columns = {
            (table, column["name"]): column["type"]
            for table in ("factories", "batches", "claims", "evaluations", "evidence")
            for column in inspect(engine).get_columns(table)
        }
        wide = [
            ("factories", "registered_block"),
            ("batches", "block_number"),
            ("batches", "anchored_at"),
            ("claims", "claim_id"),
            ("claims", "block_number"),
            ("evaluations", "report_id"),
            ("evaluations", "block_number"),
            ("evidence", "size"),
        ]
        narrow = [
            name for name in wide if columns[name].python_type is int and type(columns[name]).__name__ != "BIGINT"
        ]
        assert narrow == [], f"32-bit columns for chain numbers: {narrow}"
    finally:
        engine.dispose()
