"""Analysts read the DuckLake directly: read-only, locked down, and back in time with --at."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.errors import LoyaltyError
from pipelines.warehouse import open_reader, warehouse_of
from pipelines.warehouse_ducklake import current_snapshot
from tests.conftest import loyalty, run, write_entity
from tests.ducklake.conftest import environment

pytestmark = pytest.mark.services

CUSTOMER = {
    "customer_id": "C1",
    "created_at": "2025-01-05T10:00:00Z",
    "updated_at": "2025-01-05T10:00:00Z",
}


def data_files(lake: Settings) -> dict[str, int]:
    return {
        str(p): p.stat().st_size for p in Path(lake.ducklake_data_path).rglob("*") if p.is_file()
    }


def sql(settings: Settings, statement: str, *options: str) -> tuple[int, str]:
    done = loyalty(
        "sql", statement, "--json", *options, cwd=settings.landing.parent, env=environment(settings)
    )
    return done.returncode, done.stdout if done.returncode == 0 else done.stderr


@pytest.fixture
def lake_with_two_snapshots(lake_settings: Settings) -> tuple[Settings, int]:
    """A lake with one customer, then two; returns the snapshot that saw one."""
    write_entity(lake_settings.landing, "customers", "customers_1.csv", [CUSTOMER])
    run(lake_settings, "ingest")
    with open_reader(warehouse_of(lake_settings)) as con:
        first = current_snapshot(con)
    write_entity(
        lake_settings.landing, "customers", "customers_2.csv", [{**CUSTOMER, "customer_id": "C2"}]
    )
    run(lake_settings, "ingest")
    return lake_settings, first


def test_at_reads_an_earlier_snapshot(lake_with_two_snapshots: tuple[Settings, int]) -> None:
    lake, first = lake_with_two_snapshots
    count = "select count(*) as n from raw.customers"
    code, out = sql(lake, count)
    assert code == 0 and json.loads(out) == [{"n": 2}]
    code, out = sql(lake, count, "--at", str(first))
    assert code == 0 and json.loads(out) == [{"n": 1}]
    with open_reader(warehouse_of(lake), at=str(first)) as con:
        assert con.execute(count).fetchall() == [(1,)]


@pytest.mark.parametrize(
    "statement",
    [
        "insert into raw.customers (customer_id) values ('X')",
        "delete from audit.files",
        "drop table raw.customers",
        "copy (select 1) to '{data}/evil.csv'",
        "select * from read_csv('/etc/passwd')",
        "attach '/tmp/other.duckdb' as other",
        "delete from __ducklake_metadata_lake.public.ducklake_snapshot",
        "call postgres_execute('__ducklake_metadata_lake', 'drop table ducklake_snapshot')",
        "set enable_external_access = true",
        "install spatial",
        "load httpfs",
    ],
)
def test_the_door_refuses_every_write(
    lake_with_two_snapshots: tuple[Settings, int], statement: str
) -> None:
    lake, _ = lake_with_two_snapshots
    before = data_files(lake)
    code, message = sql(lake, statement.format(data=lake.ducklake_data_path))
    assert code != 0, message
    assert "Traceback" not in message
    assert data_files(lake) == before
    with open_reader(warehouse_of(lake)) as con:
        assert con.execute("select count(*) from raw.customers").fetchall() == [(2,)]


def test_a_notebook_connection_is_read_only_and_locked(lake_settings: Settings) -> None:
    run(lake_settings, "ingest")
    with open_reader(warehouse_of(lake_settings)) as con:
        for statement in (
            "insert into raw.customers (customer_id) values ('X')",
            "delete from __ducklake_metadata_lake.public.ducklake_snapshot",
            "set lock_configuration = false",
            "select * from read_csv('/etc/passwd')",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(statement)


def test_at_is_refused_on_the_file_backend(settings: Settings) -> None:
    run(settings, "ingest")
    with pytest.raises(LoyaltyError, match="DuckLake"), open_reader(settings.warehouse, at="1"):
        pass
