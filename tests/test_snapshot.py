"""The read-only snapshot: readable while the pipeline writes, never half-built."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.generate import GenerateOptions, generate
from pipelines.run import RunResult
from pipelines.snapshot import snapshot_path
from pipelines.warehouse import open_writer
from tests.conftest import fetch, loyalty, rows_in_one_only, run
from tests.test_incremental import new_exports

UPDATED = "updated from the previous one"

AS_OFS = ("2026-02-15T00:00:00Z", "2026-05-15T00:00:00Z")

# A reader as an analyst's tool is one: its own process, opening the snapshot again and
# again. Every time, each table must hold the rows snapshot_info says it was published
# with, and kpi_monthly must end in the month of build_info's as_of.
READER = textwrap.dedent(
    """
    import sys, time
    import duckdb
    path, seconds = sys.argv[1], float(sys.argv[2])
    seen, checks, deadline = set(), 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        con = duckdb.connect(path, read_only=True)
        try:
            con.execute("set TimeZone = 'UTC'")
            for schema, table, expected in con.execute(
                "select schema_name, table_name, row_count from snapshot_info"
            ).fetchall():
                actual = con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
                assert actual == expected, (schema, table, actual, expected)
            as_of, last_month = con.execute(
                "select (select as_of from marts.build_info), (select max(month) from marts.kpi_monthly)"
            ).fetchone()
            assert last_month == as_of.date().replace(day=1), (as_of, last_month)
            seen.add(as_of.isoformat())
            checks += 1
        finally:
            con.close()
    print(checks, " ".join(sorted(seen)))
    """
)


@pytest.fixture
def company(settings: Settings) -> Settings:
    generate(GenerateOptions(settings.landing, customers=300, months=12, seed=3))
    run(settings, "ingest", "validate", "build", as_of=AS_OFS[0])
    return settings


def test_a_build_publishes_marts_and_audit_with_their_comments(company: Settings) -> None:
    snapshot = snapshot_path(company.warehouse)
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        schemas = {
            r[0] for r in con.execute("select distinct schema_name from duckdb_tables()").fetchall()
        }
        comment = con.execute(
            "select comment from duckdb_tables() where table_name = 'kpi_monthly'"
        ).fetchone()
        nps = con.execute("select nps(5, 2, 10)").fetchone()
    finally:
        con.close()
    assert schemas == {"marts", "audit", "main"}
    assert comment and comment[0].startswith("One row per calendar month")
    assert nps == (30.0,)
    assert not list(snapshot.parent.glob(".*.part*"))


def test_sql_and_report_read_the_snapshot_while_a_writer_holds_the_warehouse(
    company: Settings, tmp_path: Path
) -> None:
    with open_writer(company.warehouse):
        answer = loyalty(
            "sql",
            "select count(*) from marts.kpi_monthly",
            "--warehouse",
            str(company.warehouse),
            cwd=tmp_path,
        )
        assert answer.returncode == 0, answer.stderr
        live = loyalty(
            "sql", "select 1", "--live", "--warehouse", str(company.warehouse), cwd=tmp_path
        )
        assert live.returncode == 1 and "being written by another process" in live.stderr
        report = loyalty(
            "report",
            "--lang",
            "en",
            "--format",
            "html",
            "--out",
            str(tmp_path / "r.html"),
            "--warehouse",
            str(company.warehouse),
            cwd=tmp_path,
        )
        assert report.returncode == 0, report.stderr
    assert (tmp_path / "r.html").stat().st_size > 10_000
    missing = loyalty(
        "sql", "select * from raw.orders", "--warehouse", str(company.warehouse), cwd=tmp_path
    )
    assert missing.returncode == 1 and "add --live for raw, staging and core" in missing.stderr


def test_a_reader_never_fails_and_never_sees_a_half_built_state(company: Settings) -> None:
    snapshot = snapshot_path(company.warehouse)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(snapshot), "12"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    builds = 0
    started = time.monotonic()
    while time.monotonic() - started < 10:
        run(company, "build", as_of=AS_OFS[(builds + 1) % 2])
        builds += 1
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    checks, *seen = out.split()
    assert builds >= 2
    assert int(checks) > builds
    assert len(seen) == 2, out


def differences(settings: Settings) -> dict[str, int]:
    """Rows that only the warehouse or only the snapshot holds, per table of marts."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{settings.warehouse}' as warehouse (read_only)")
        con.execute(f"attach '{snapshot_path(settings.warehouse)}' as snapshot (read_only)")
        tables = [
            f"marts.{row[0]}"
            for row in con.execute(
                "select table_name from duckdb_tables() "
                "where database_name = 'warehouse' and schema_name = 'marts'"
            ).fetchall()
        ] + ["audit.build_state"]
        found = {}
        for table in tables:
            found |= rows_in_one_only(con, "warehouse", "snapshot", table)
        return found
    finally:
        con.close()


def deliver(settings: Settings, name: str) -> RunResult:
    """New exports a few days after the last build's as_of, ingested, validated and built."""
    as_of = fetch(settings, "select as_of from marts.build_info")[0][0]
    new_exports(settings, name, as_of + timedelta(days=3))
    result = run(settings)
    assert result.build is not None and result.build.plan is not None
    assert result.build.plan.incremental, result.build.plan
    return result


@pytest.fixture
def incremental_company(settings: Settings) -> Settings:
    """A company built once with the default as_of, so that later builds are incremental."""
    generate(GenerateOptions(settings.landing, customers=300, months=12, seed=3, flags=False))
    run(settings)
    return settings


def test_an_incremental_build_updates_the_previous_snapshot(incremental_company: Settings) -> None:
    result = deliver(incremental_company, "zz1")
    assert any(UPDATED in note for note in result.notes), result.notes
    assert differences(incremental_company) == {}
    snapshot = duckdb.connect(str(snapshot_path(incremental_company.warehouse)), read_only=True)
    try:
        new_customer = snapshot.execute(
            "select count(*) from marts.customer_loyalty where customer_id = 'zz1-NEW'"
        ).fetchone()
        comment = snapshot.execute(
            "select comment from duckdb_tables() where table_name = 'customer_loyalty'"
        ).fetchone()
    finally:
        snapshot.close()
    assert new_customer == (1,)
    assert comment and comment[0]


def test_a_snapshot_that_missed_a_build_is_copied_anew(
    incremental_company: Settings, tmp_path: Path
) -> None:
    snapshot = snapshot_path(incremental_company.warehouse)
    missed = shutil.copy(snapshot, tmp_path / "before.duckdb")
    deliver(incremental_company, "zz1")
    # As if publishing the last build had failed: the snapshot still holds the one before.
    shutil.copy(missed, snapshot)
    result = deliver(incremental_company, "zz2")
    assert not any(UPDATED in note for note in result.notes), result.notes
    assert differences(incremental_company) == {}
