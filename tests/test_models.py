"""The SQL model runner: order from the files, one transaction per model, the data dictionary."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.config import SQL_DIR, Settings
from pipelines.docs import model_doc_path, model_page
from pipelines.errors import LoyaltyError, ModelError
from pipelines.generate import GenerateOptions, generate
from pipelines.models import build_order, discover_models
from pipelines.snapshot import snapshot_path
from pipelines.warehouse import open_writer
from tests.conftest import fetch, run, write_entity

ORDERS = [
    {
        "order_id": "O1",
        "customer_id": "C1",
        "ordered_at": "2025-01-05T10:00:00Z",
        "net_amount": "10",
    },
    {
        "order_id": "O2",
        "customer_id": "C1",
        "ordered_at": "2025-02-05T10:00:00Z",
        "net_amount": "20",
    },
]

# The tables the SQL models build, in duckdb_tables() and duckdb_columns().
IN_MODEL_LAYERS = (
    "database_name = current_database() and schema_name in ('staging', 'core', 'marts')"
)


def test_build_order_follows_the_references_in_the_files() -> None:
    models = discover_models()
    order = build_order(models)
    for name, model in models.items():
        for dependency in model.depends_on:
            assert order.index(dependency) < order.index(name), (dependency, name)
    assert "core.customer_flows" in models["marts.kpi_monthly"].depends_on
    assert "core.activity_spells" in models["core.spell_flows"].depends_on


def test_a_failing_model_leaves_the_previous_tables(settings: Settings, tmp_path: Path) -> None:
    write_entity(settings.landing, "orders", "orders.csv", ORDERS)
    run(settings)
    before = fetch(settings, "select * from marts.kpi_monthly order by month")
    broken = tmp_path / "sql"
    shutil.copytree(SQL_DIR, broken)
    path = broken / "core/purchases.sql"
    path.write_text(path.read_text().replace("orders.net_amount,", "orders.no_such_column,", 1))
    from pipelines.models import build

    with (
        open_writer(settings.warehouse) as con,
        pytest.raises(ModelError, match=r"model core\.purchases failed"),
    ):
        build(con, settings, run_id=99, sql_dir=broken)
    assert fetch(settings, "select * from marts.kpi_monthly order by month") == before
    assert fetch(
        settings,
        "select status from audit.runs where run_id = 99 and step = 'model:core.purchases'",
    ) == [("failed",)]


def test_every_table_and_column_of_staging_core_and_marts_has_a_comment(
    settings: Settings,
) -> None:
    write_entity(settings.landing, "orders", "orders.csv", ORDERS)
    run(settings)
    tables = fetch(
        settings,
        "select schema_name || '.' || table_name from duckdb_tables()"
        f" where {IN_MODEL_LAYERS}"
        " order by all",
    )
    assert {name for (name,) in tables} == set(discover_models())
    missing_columns = fetch(
        settings,
        "select schema_name, table_name, column_name from duckdb_columns()"
        f" where {IN_MODEL_LAYERS}"
        " and coalesce(comment, '') = ''",
    )
    assert missing_columns == []
    missing_tables = fetch(
        settings,
        "select schema_name, table_name from duckdb_tables()"
        f" where {IN_MODEL_LAYERS}"
        " and coalesce(comment, '') = ''",
    )
    assert missing_tables == []


def test_docs_pages_match_the_sql_headers() -> None:
    docs = SQL_DIR.parent / "docs"
    for model in discover_models().values():
        page = model_doc_path(model, docs)
        assert page.exists(), f"{page} is missing: run `make docs`"
        assert page.read_text(encoding="utf-8") == model_page(model), (
            f"{page} is stale: run `make docs`"
        )


def test_only_orders_fills_retention_and_leaves_the_rest_empty(settings: Settings) -> None:
    write_entity(settings.landing, "orders", "orders.csv", ORDERS)
    run(settings)
    assert fetch(settings, "select count(*), count(nps) from marts.kpi_monthly") == [(2, 0)]
    assert fetch(settings, "select count(*) from marts.cohort_retention") == [(2,)]
    assert fetch(settings, "select state from marts.customer_loyalty") == [("active",)]


def test_shuffled_file_order_gives_identical_marts(tmp_path: Path) -> None:
    rows = [
        {
            "order_id": f"O{i}",
            "customer_id": f"C{i % 7}",
            "ordered_at": f"2025-{1 + i % 6:02d}-{1 + i % 27:02d}",
            "net_amount": str(i),
        }
        for i in range(60)
    ]
    results = []
    for attempt, order in enumerate([[0, 1, 2], [2, 0, 1]]):
        settings = Settings(
            landing=tmp_path / f"l{attempt}", warehouse=tmp_path / f"w{attempt}.duckdb"
        )
        for position in order:
            write_entity(
                settings.landing,
                "orders",
                f"orders_{position}.csv",
                rows[position * 20 : (position + 1) * 20],
            )
            run(settings, "ingest")
        run(settings, "build", as_of="2025-07-01")
        results.append(
            [
                fetch(settings, f"select * from marts.{t} order by all")
                for t in (
                    "kpi_monthly",
                    "cohort_retention",
                    "lifecycle_monthly",
                    "customer_loyalty",
                )
            ]
        )
    assert results[0] == results[1]


@pytest.mark.parametrize(
    "as_of", ["0001-01-01T00:00:00Z", "2024-12-31T23:59:59Z", "2026-02-06T00:00:00Z", "9999-12-31"]
)
def test_an_as_of_outside_the_data_is_refused(settings: Settings, as_of: str) -> None:
    write_entity(settings.landing, "orders", "orders.csv", ORDERS)
    run(settings)
    before = fetch(settings, "select * from marts.kpi_monthly order by month")
    with pytest.raises(LoyaltyError) as refused:
        run(settings, "build", as_of=as_of)
    assert (
        "the allowed range is 2025-01-05 10:00:00 UTC (the first data) to "
        "2026-02-05 23:59:59 UTC (a year after the last day with data)"
    ) in str(refused.value)
    assert fetch(settings, "select * from marts.kpi_monthly order by month") == before


@pytest.mark.parametrize("as_of", ["2025-01-05T10:00:00Z", "2026-02-05T23:59:59Z"])
def test_an_as_of_at_either_end_of_the_range_is_taken(settings: Settings, as_of: str) -> None:
    write_entity(settings.landing, "orders", "orders.csv", ORDERS)
    run(settings, as_of=as_of)
    assert fetch(settings, "select count(*) > 0 from marts.kpi_monthly") == [(True,)]


def checksums(database: Path) -> dict[str, str]:
    """A digest of every marts table (built_at and fitted_at aside: they say when, not what)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall()
        return {
            table: hashlib.sha256(
                repr(
                    con.execute(
                        f"select columns(c -> c not in ('built_at', 'fitted_at')) from marts.{table} order by all"
                    ).fetchall()
                ).encode()
            ).hexdigest()
            for (table,) in tables
        }
    finally:
        con.close()


def test_a_quarantined_file_influences_no_number(settings: Settings) -> None:
    generate(GenerateOptions(settings.landing, customers=300, months=6, seed=3, flags=False))
    run(settings)
    marts, snapshot = checksums(settings.warehouse), checksums(snapshot_path(settings.warehouse))
    assert len(marts) > 10 and snapshot == marts
    future = datetime.now(UTC) + timedelta(days=120)
    write_entity(
        settings.landing,
        "orders",
        "orders_future.csv",
        [
            {"order_id": f"F{i}", "customer_id": "C000001", "net_amount": "10",
             "ordered_at": f"{future:%Y-%m-%d}T10:0{i}:00Z"}
            for i in range(3)
        ],
    )  # fmt: skip
    with pytest.raises(LoyaltyError, match="quarantined"):
        run(settings)
    assert fetch(settings, "select status from audit.files where file_name = 'orders_future.csv'")[
        0
    ] == ("quarantined",)
    # The quarantine itself is news: marts.alerts gains its validation_quarantine row.
    numbers = {table: digest for table, digest in marts.items() if table != "alerts"}
    for full_build in (False, True):
        run(settings.with_overrides(full_build=full_build), "build")
        for database in (settings.warehouse, snapshot_path(settings.warehouse)):
            after = checksums(database)
            assert {
                table: digest for table, digest in after.items() if table != "alerts"
            } == numbers
        assert fetch(
            settings, "select metric, value from marts.alerts where rule = 'validation_quarantine'"
        ) == [("quarantined_files", 1.0)]
