"""DuckLake warehouses for the tests: a fresh catalog database in the local PostgreSQL each."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg
import pytest
from psycopg import sql

from pipelines.config import ENVIRONMENT, Settings
from pipelines.generate import GenerateOptions, generate
from pipelines.warehouse import open_reader, warehouse_of
from tests.conftest import require_service

POSTGRES = "host=127.0.0.1 port=5432 user=postgres"


@pytest.fixture
def lake_catalog() -> Iterator[str]:
    """The conninfo of a new, empty PostgreSQL database, dropped after the test."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"loyalty_lake_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{POSTGRES} dbname=postgres", autocommit=True) as pg:
        pg.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    yield f"dbname={name} {POSTGRES}"
    with psycopg.connect(f"{POSTGRES} dbname=postgres", autocommit=True) as pg:
        pg.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def lake_settings(settings: Settings, tmp_path: Path, lake_catalog: str) -> Settings:
    """The test's settings on a DuckLake: catalog in PostgreSQL, data in a temporary folder."""
    return settings.with_overrides(
        warehouse_backend="ducklake",
        ducklake_catalog=lake_catalog,
        ducklake_data_path=str(tmp_path / "lake"),
    )


def sample_landing(landing: Path, customers: int = 400, months: int = 12) -> list[Path]:
    """The sample company's exports, small."""
    return generate(GenerateOptions(landing, customers=customers, months=months, seed=7))


# The values that say when a build or a validation ran, not what was computed.
RUN_DETAILS = {
    "build_info": "exclude (built_at)",
    "validation_warnings": "exclude (checked_at)",
    "purchase_model": "exclude (fitted_at)",
}


def marts_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'marts' order by 1"
    ).fetchall()
    return [name for (name,) in rows]


def marts(settings: Settings) -> dict[str, list[tuple]]:
    """Every marts table, its rows in a fixed order."""
    with open_reader(warehouse_of(settings)) as con:
        return {
            table: con.execute(
                f'select * {RUN_DETAILS.get(table, "")} from marts."{table}" order by all'
            ).fetchall()
            for table in marts_tables(con)
        }


def environment(settings: Settings) -> dict[str, str]:
    """The settings as the LOYALTY_* variables a worker process reads."""
    fields = (
        "landing",
        "warehouse",
        "reports",
        "settle_seconds",
        "warehouse_backend",
        "ducklake_catalog",
        "ducklake_data_path",
        "s3_endpoint",
        "s3_key_id",
        "s3_secret",
    )
    return {ENVIRONMENT[f]: str(getattr(settings, f)) for f in fields if getattr(settings, f) != ""}
