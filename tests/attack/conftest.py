"""The attack suite's shared ground: a small company already loaded, and table checksums.

Every attack starts from a copy of one warehouse built once per session from the sample
generator, and ends by comparing checksums of every raw and marts table with the ones
taken before the attack: an attack may add the rows of its own file, never change or
remove a row that was there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.generate import GenerateOptions, generate
from pipelines.run import run_steps

Checksums = dict[str, tuple[int, int]]
# Columns that say when, not what: left out of the checksums.
WHEN_COLUMNS = {
    "validation_warnings": "exclude (checked_at)",
    "purchase_model": "exclude (fitted_at)",
}


def checksums(warehouse: Path, schemas: tuple[str, ...] = ("raw", "marts")) -> Checksums:
    """Row count and an order-independent hash sum of every table in `schemas`.

    marts.build_info is left out: it records when the marts were built; so are the
    WHEN_COLUMNS, such as marts.validation_warnings.checked_at.
    """
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ? and not (schema_name = 'marts' and table_name = 'build_info') "
            "order by all",
            [list(schemas)],
        ).fetchall()
        result = {}
        for schema, table in tables:
            exclude = WHEN_COLUMNS.get(table, "")
            count, total = con.execute(
                f"select count(*), coalesce(sum(hash(t)), 0) "
                f'from (select * {exclude} from "{schema}"."{table}") as t'
            ).fetchone()  # type: ignore[misc]
            result[f"{schema}.{table}"] = (int(count), int(total))
        return result
    finally:
        con.close()


def raw_checksums_of_files(warehouse: Path, file_ids: list[int]) -> Checksums:
    """Checksums of the raw rows that came from the given files (the ones loaded before an attack)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        result = {}
        for (table,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' order by 1"
        ).fetchall():
            count, total = con.execute(
                f'select count(*), coalesce(sum(hash(t)), 0) from raw."{table}" as t '
                "where _file_id in ?",
                [file_ids],
            ).fetchone()  # type: ignore[misc]
            result[f"raw.{table}"] = (int(count), int(total))
        return result
    finally:
        con.close()


def ledger_ids(warehouse: Path) -> list[int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return [r[0] for r in con.execute("select file_id from audit.files order by 1").fetchall()]
    finally:
        con.close()


def ledger_row(warehouse: Path, file_name: str) -> dict[str, object]:
    """The newest ledger row of a file, by name."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute(
            "select * from audit.files where file_name = ? order by file_id desc limit 1",
            [file_name],
        )
        row = cursor.fetchone()
        assert row is not None, f"{file_name} is not in the ledger"
        return dict(zip([d[0] for d in cursor.description or []], row, strict=True))
    finally:
        con.close()


@pytest.fixture(scope="session")
def company_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("company")
    settings = Settings(
        landing=root / "landing",
        warehouse=root / "warehouse.duckdb",
        reports=root / "reports",
        settle_seconds=0,
    )
    generate(GenerateOptions(settings.landing, customers=150, months=6, seed=11))
    run_steps(settings, ("ingest", "validate", "build"))
    return root


@pytest.fixture
def company(company_template: Path, tmp_path: Path) -> Settings:
    """Settings of a fresh copy of the loaded company (landing zone, warehouse, snapshot)."""
    root = tmp_path / "company"
    shutil.copytree(company_template, root)
    return Settings(
        landing=root / "landing",
        warehouse=root / "warehouse.duckdb",
        reports=root / "reports",
        settle_seconds=0,
    )
