"""Attacks through names a file carries: column names, JSON keys and file names.

A name from a file is data: it may be stored (raw._extra keeps unknown columns under
their own name) but it never becomes SQL, and it never changes a row loaded before.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.run import run_steps
from tests.attack.conftest import checksums, ledger_ids, ledger_row, raw_checksums_of_files
from tests.conftest import fetch

CUSTOMERS = "crm/customers"


def parquet_with_columns(path: Path, columns: dict[str, str]) -> Path:
    """A one-row Parquet file whose columns have exactly the given names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        names = ", ".join("? as " + '"' + name.replace('"', '""') + '"' for name in columns)
        con.execute("create table t as select " + names, list(columns.values()))
        con.execute("copy t to '" + str(path).replace("'", "''") + "' (format parquet)")
    finally:
        con.close()
    return path


def injection_column(parquet: Path) -> str:
    """A column name that, pasted into SQL between double quotes, deletes raw.customers."""
    source = str(parquet).replace("'", "''")
    return (
        f"customer_id\" as varchar) as c3 from read_parquet('{source}'))) select 1; "
        "delete from raw.customers; "
        "create or replace temp table _typed as with batch as (select row_number() over () as _record, "
        'null::varchar as _format_error, * from (select cast("customer_id" as varchar) as c0, '
        'cast("created_at" as varchar) as c1, cast("updated_at" as varchar) as c2, cast("customer_id'
    )


def ingest(settings: Settings) -> None:
    run_steps(settings, ("ingest",))


def assert_nothing_changed(
    settings: Settings, before_ids: list[int], raw_before: dict, marts_before: dict
) -> None:
    assert raw_checksums_of_files(settings.warehouse, before_ids) == raw_before
    marts_after = {k: v for k, v in checksums(settings.warehouse).items() if k.startswith("marts.")}
    assert marts_after == marts_before


@pytest.fixture
def before(company: Settings) -> tuple[list[int], dict, dict]:
    ids = ledger_ids(company.warehouse)
    marts = {k: v for k, v in checksums(company.warehouse).items() if k.startswith("marts.")}
    return ids, raw_checksums_of_files(company.warehouse, ids), marts


def test_a_parquet_column_name_cannot_run_sql(company: Settings, before: tuple) -> None:
    path = company.landing / CUSTOMERS / "evil.parquet"
    parquet_with_columns(
        path,
        {
            "customer_id": "EVIL1",
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
            injection_column(path): "payload",
        },
    )
    ingest(company)
    assert_nothing_changed(company, *before)
    row = ledger_row(company.warehouse, "evil.parquet")
    assert (row["status"], row["rows_in_file"], row["rows_loaded"]) == ("loaded", 1, 1)
    [(extra,)] = fetch(company, "select _extra from raw.customers where customer_id = 'EVIL1'")
    assert json.loads(extra) == {injection_column(path): "payload"}


@pytest.mark.parametrize(
    "name", ['x"', '"', 'a""b', "o'brien", "x\\", "c0", "_extra", "ünïcode 列"]
)
def test_odd_parquet_column_names_are_kept_by_name(
    company: Settings, before: tuple, name: str
) -> None:
    parquet_with_columns(
        company.landing / CUSTOMERS / "odd.parquet",
        {
            "customer_id": "ODD1",
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
            name: "kept",
        },
    )
    ingest(company)
    assert_nothing_changed(company, *before)
    row = ledger_row(company.warehouse, "odd.parquet")
    assert (row["status"], row["rows_loaded"]) == ("loaded", 1), row["reason"]
    [(extra,)] = fetch(company, "select _extra from raw.customers where customer_id = 'ODD1'")
    assert json.loads(extra) == {name: "kept"}


@pytest.mark.parametrize(
    "key", ['x"', "a'b", "$.x", 'q"); delete from raw.customers; --', "a.b", "[0]"]
)
def test_odd_json_keys_are_data(company: Settings, before: tuple, key: str) -> None:
    folder = company.landing / "survey/responses"
    record = {"response_id": "JK1", "responded_at": "2025-03-01T10:00:00Z", key: "kept"}
    (folder / "keys.ndjson").write_text(json.dumps(record) + "\n")
    ingest(company)
    assert_nothing_changed(company, *before)
    row = ledger_row(company.warehouse, "keys.ndjson")
    assert (row["status"], row["rows_loaded"]) == ("loaded", 1), row["reason"]
    [(extra,)] = fetch(company, "select _extra from raw.responses where response_id = 'JK1'")
    assert json.loads(extra) == {key: "kept"}


@pytest.mark.parametrize(
    "name",
    [
        "orders_*.csv",
        "orders_[0-9].csv",
        "orders_?.csv",
        "o'rders.csv",
        'or"ders.csv',
        "orders {x}.csv",
    ],
)
def test_a_file_name_that_looks_like_a_pattern_reads_only_itself(
    company: Settings, before: tuple, name: str
) -> None:
    folder = company.landing / "shop/orders"
    (folder / name).write_text(
        "order_id,customer_id,ordered_at,net_amount\nPAT1,C1,2025-03-01T10:00:00Z,10.00\n"
    )
    (folder / "orders_1.csv").write_text(
        "order_id,customer_id,ordered_at,net_amount\nPAT2,C1,2025-03-01T10:00:00Z,20.00\n"
    )
    ingest(company)
    assert_nothing_changed(company, *before)
    row = ledger_row(company.warehouse, name)
    assert (row["status"], row["rows_in_file"], row["rows_loaded"]) == ("loaded", 1, 1), row[
        "reason"
    ]
    ids = fetch(company, "select order_id from raw.orders where order_id like 'PAT%' order by 1")
    assert ids == [("PAT1",), ("PAT2",)]
