"""The same pipeline on the DuckDB file and on DuckLake gives the same marts, row for row."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.warehouse import open_reader, warehouse_of
from tests.conftest import run
from tests.ducklake.conftest import sample_landing

pytestmark = pytest.mark.services


def marts_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'marts' order by 1"
    ).fetchall()
    return [name for (name,) in rows]


# The values that say when a build or a validation ran, not what it computed.
BUILD_CLOCK = {"build_info": "exclude (built_at)", "validation_warnings": "exclude (checked_at)"}


def marts(settings: Settings) -> dict[str, list[tuple]]:
    """Every marts table, its rows in a fixed order."""
    with open_reader(warehouse_of(settings)) as con:
        return {
            table: con.execute(
                f'select * {BUILD_CLOCK.get(table, "")} from marts."{table}" order by all'
            ).fetchall()
            for table in marts_tables(con)
        }


def test_the_sample_company_has_the_same_marts_on_file_and_ducklake(
    settings: Settings, lake_settings: Settings, tmp_path: Path
) -> None:
    sample_landing(settings.landing)
    run(settings)
    run(lake_settings)
    on_file, on_lake = marts(settings), marts(lake_settings)
    assert len(on_file) >= 10
    assert sorted(on_lake) == sorted(on_file)
    for table, rows in on_file.items():
        assert on_lake[table] == rows, table
    assert sum(len(rows) for rows in on_file.values()) > 500
