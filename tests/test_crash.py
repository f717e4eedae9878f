"""Crashes: SIGKILL at the worst moments of ingest and build loses and corrupts nothing.

Each case runs the pipeline in a child process that kills itself with SIGKILL at one
point, reopens the warehouse, reruns, and compares every table with a warehouse that
was built without interruption from the same landing zone.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.generate import GenerateOptions, generate
from pipelines.snapshot import snapshot_path
from tests.conftest import run

BIG_ORDERS = 200_000
# Columns that differ between two correct runs: ids from sequences, times, durations.
VOLATILE = {
    "run_id",
    "loaded_at",
    "checked_at",
    "detected_at",
    "built_at",
    "fitted_at",
    "started_at",
    "finished_at",
    "seconds",
    "published_at",
}
FILE_ID_COLUMNS = {"file_id", "_file_id"}

# The child: patch the named point of the pipeline to SIGKILL the process, then run.
CRASHER = textwrap.dedent(
    """
    import os, signal, sys, threading
    from pathlib import Path
    import pipelines.ingest.loader as loader
    import pipelines.models as models
    from pipelines.config import Settings
    from pipelines.run import run_steps

    point, big, landing, warehouse, *steps = sys.argv[1:]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if point == "before_transaction":
        original_load, calls = loader.load_file, []
        def load_file(*args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                die()
            return original_load(*args, **kwargs)
        loader.load_file = load_file
    elif point == "mid_insert":
        original_insert = loader.insert_rows
        def insert_rows(con, entity, file_id):
            count = con.execute("select count(*) from _typed").fetchone()[0]
            if count >= int(big):
                threading.Timer(0.01, die).start()
            return original_insert(con, entity, file_id)
        loader.insert_rows = insert_rows
    elif point == "after_commit":
        original_load = loader.load_file
        def load_file(*args, **kwargs):
            result = original_load(*args, **kwargs)
            die()
        loader.load_file = load_file
    elif point == "mid_model":
        original_build_model = models.build_model
        def build_model(con, model):
            if model.name == "marts.kpi_monthly":
                con.execute("begin transaction")
                con.execute(f"create or replace table {model.name} as select 1 as half_built")
                die()
            return original_build_model(con, model)
        models.build_model = build_model
    settings = Settings(landing=Path(landing), warehouse=Path(warehouse), settle_seconds=0)
    run_steps(settings, tuple(steps))
    """
)


def crash(point: str, settings: Settings, *steps: str) -> None:
    process = subprocess.run(
        [
            sys.executable,
            "-c",
            CRASHER,
            point,
            str(BIG_ORDERS),
            str(settings.landing),
            str(settings.warehouse),
            *steps,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr


def table_contents(warehouse: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, with file ids replaced by the file's hash and volatile columns left out."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name <> 'audit' or table_name <> 'runs' order by all"
        ).fetchall()
        contents = {}
        for schema, table in tables:
            columns = [
                r[0]
                for r in con.execute(
                    "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                    "order by column_index",
                    [schema, table],
                ).fetchall()
            ]
            select = ", ".join(
                f'(select sha256 from audit.files where file_id = t."{c}")'
                if c in FILE_ID_COLUMNS
                else f't."{c}"'
                for c in columns
                if c not in VOLATILE
            )
            contents[f"{schema}.{table}"] = con.execute(
                f"select {select} from {schema}.{table} as t order by all"
            ).fetchall()
        return contents
    finally:
        con.close()


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small company plus one large orders export, shared read-only by every case."""
    root = tmp_path_factory.mktemp("crash")
    generate(GenerateOptions(root, customers=300, months=12, seed=11))
    big = root / "shop/orders/orders_zz_backfill.csv"
    with big.open("w") as out:
        out.write("order_id,customer_id,ordered_at,net_amount\n")
        for i in range(BIG_ORDERS):
            out.write(
                f"B{i},C{i % 300:07d},2026-0{1 + i % 6}-{1 + i % 28:02d}T10:00:00Z,{i % 97}.50\n"
            )
    return root


@pytest.fixture(scope="module")
def reference(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    warehouse = tmp_path_factory.mktemp("reference") / "warehouse.duckdb"
    run(Settings(landing=landing, warehouse=warehouse, settle_seconds=0))
    return table_contents(warehouse)


def settings_for(landing: Path, tmp_path: Path) -> Settings:
    return Settings(landing=landing, warehouse=tmp_path / "warehouse.duckdb", settle_seconds=0)


def ledger(settings: Settings) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute("select file_name, status from audit.files order by all").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("point", ["before_transaction", "mid_insert", "after_commit"])
def test_ingest_killed_then_rerun_equals_an_uninterrupted_run(
    point: str, landing: Path, reference: dict[str, list[tuple]], tmp_path: Path
) -> None:
    settings = settings_for(landing, tmp_path)
    crash(point, settings, "ingest", "validate", "build")
    after_crash = ledger(settings)
    if point == "mid_insert":
        assert ("orders_zz_backfill.csv", "loaded") not in after_crash
        assert len(after_crash) > 1
    if point == "after_commit":
        assert len(after_crash) == 1
    run(settings)
    assert table_contents(settings.warehouse) == reference


def test_build_killed_mid_model_keeps_the_previous_marts_readable(
    landing: Path, reference: dict[str, list[tuple]], tmp_path: Path
) -> None:
    settings = settings_for(landing, tmp_path)
    run(settings, "ingest", "validate")
    run(settings, "build", as_of="2026-03-15T00:00:00Z")
    before = table_contents(snapshot_path(settings.warehouse))
    crash("mid_model", settings, "build")
    assert table_contents(snapshot_path(settings.warehouse)) == before
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        columns = [r[0] for r in con.execute("describe marts.kpi_monthly").fetchall()]
        assert "half_built" not in columns and "month" in columns
    finally:
        con.close()
    run(settings, "build")
    assert table_contents(settings.warehouse) == reference
