"""The read-only snapshot: readable while the pipeline writes, never half-built."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.generate import GenerateOptions, generate
from pipelines.snapshot import snapshot_path
from pipelines.warehouse import open_writer
from tests.conftest import loyalty, run

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
