"""The read-only snapshot: marts and audit, published after every successful build.

DuckDB lets no other process read a database file while one process writes it. Analysts,
`loyalty sql` and the report therefore read a separate file, `<warehouse>.snapshot.duckdb`.
A build writes the new snapshot under a temporary name and renames it over the old one:
the rename is atomic, so a reader sees the previous snapshot or the new one, never a mix;
a reader that has the old file open keeps reading it undisturbed.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.config import SQL_DIR
from pipelines.errors import LoyaltyError
from pipelines.incremental import BuildPlan
from pipelines.models import BuildResult
from pipelines.quoting import ident, literal, qualified

SNAPSHOT_SCHEMAS = ("marts", "audit")
ALIAS = "snapshot_target"
PREVIOUS = "snapshot_previous"


def snapshot_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.stem + ".snapshot.duckdb")


@dataclass(frozen=True)
class Published:
    path: Path
    updated: bool


def publish_snapshot(
    con: duckdb.DuckDBPyConnection,
    warehouse: Path,
    run_id: int,
    build: BuildResult | None = None,
) -> Published:
    """Write marts and audit to a new file and move it over the previous snapshot.

    After an incremental build the new file starts as a copy of the previous snapshot when
    that one holds the build this one started from: only the rebuilt tables are copied again,
    and the tables the build updated in place get the same rows replaced. Otherwise every
    table is copied into an empty file.
    """
    target = snapshot_path(warehouse)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    partial.unlink(missing_ok=True)
    home = con.execute("select current_database()").fetchone()[0]  # type: ignore[index]
    updated = build.updated if build is not None and holds_start(con, target, build.plan) else None
    if updated is not None:
        try:
            shutil.copyfile(target, partial)
        except OSError:
            partial.unlink(missing_ok=True)
            updated = None
    con.execute(f"attach {literal(str(partial))} as {ALIAS}")
    try:
        if updated is None:
            copy_tables(con, run_id, home)
        else:
            refresh_tables(con, run_id, home, updated)
        con.execute(f"use {ALIAS}")
        con.execute((SQL_DIR / "setup" / "macros.sql").read_text())
        con.execute(f"checkpoint {ALIAS}")
    finally:
        con.execute(f"use {ident(home)}")
        con.execute(f"detach {ALIAS}")
    if Path(str(partial) + ".wal").exists():
        raise LoyaltyError(f"the snapshot {partial} kept a write-ahead log; it was not published")
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    partial.replace(target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return Published(target, updated is not None)


def holds_start(con: duckdb.DuckDBPyConnection, target: Path, plan: BuildPlan | None) -> bool:
    """Whether the previous snapshot holds the build an incremental plan began from (its
    audit.build_state says so)."""
    if plan is None or not plan.incremental or plan.previous_built_at is None:
        return False
    try:
        con.execute(f"attach {literal(str(target))} as {PREVIOUS} (read_only)")
    except duckdb.Error:
        return False
    try:
        state = con.execute(f"select built_at from {PREVIOUS}.audit.build_state").fetchall()
    except duckdb.Error:
        state = []
    finally:
        con.execute(f"detach {PREVIOUS}")
    return state == [(plan.previous_built_at,)]


def refresh_tables(
    con: duckdb.DuckDBPyConnection, run_id: int, home: str, updated: dict[str, str]
) -> None:
    """Bring a copy of the previous snapshot up to this build: replace the rows in scope of
    the tables updated in place, copy every other table again, drop the ones gone."""
    tables = snapshot_tables(con, home)
    previous = {(schema, table) for schema, table, _ in snapshot_tables(con, ALIAS)}
    for schema, table in sorted(previous - {(schema, table) for schema, table, _ in tables}):
        con.execute(f"drop table {qualified(ALIAS, schema, table)}")
    counts = []
    for schema, table, comment in tables:
        model = f"{schema}.{table}"
        condition_sql = updated.get(model)
        if condition_sql is None or (schema, table) not in previous:
            counts.append(copy_table(con, schema, table, comment))
            continue
        target_sql = qualified(ALIAS, schema, table)
        con.execute(f"delete from {target_sql} where {condition_sql}")
        con.execute(
            f"insert into {target_sql} by name select * from {qualified(schema, table)} "
            f"where {condition_sql}"
        )
        counts.append(con.execute(f"select count(*) from {target_sql}").fetchone()[0])  # type: ignore[index]
    con.execute(f"drop table {ALIAS}.main.snapshot_info")
    write_info(con, run_id, tables, counts)


def snapshot_tables(con: duckdb.DuckDBPyConnection, database: str) -> list[tuple[str, str, str]]:
    """Schema, name and comment of every table of the snapshot schemas in one database."""
    return con.execute(
        "select schema_name, table_name, comment from duckdb_tables() "
        "where database_name = ? and schema_name in ? order by all",
        [database, list(SNAPSHOT_SCHEMAS)],
    ).fetchall()


def copy_tables(con: duckdb.DuckDBPyConnection, run_id: int, home: str) -> None:
    """Every table of the snapshot schemas with its comments, and snapshot_info's row counts."""
    tables = snapshot_tables(con, home)
    for schema in SNAPSHOT_SCHEMAS:
        con.execute(f"create schema {qualified(ALIAS, schema)}")
    counts = [copy_table(con, schema, table, comment) for schema, table, comment in tables]
    write_info(con, run_id, tables, counts)


def copy_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, comment: str | None) -> int:
    """One table with its comments into the snapshot; returns its row count."""
    target_sql = qualified(ALIAS, schema, table)
    count = con.execute(
        f"create or replace table {target_sql} as select * from {qualified(schema, table)}"
    ).fetchone()[0]  # type: ignore[index]
    if comment:
        con.execute(f"comment on table {target_sql} is {literal(comment)}")
    copy_column_comments(con, schema, table)
    return count


def write_info(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    tables: list[tuple[str, str, str]],
    counts: list[int],
) -> None:
    """snapshot_info: the run, the time of publishing and every table's row count."""
    published_at = datetime.now().astimezone()
    con.execute(
        f"create table {ALIAS}.main.snapshot_info (run_id bigint, published_at timestamptz, "
        "schema_name varchar, table_name varchar, row_count bigint)"
    )
    con.executemany(
        f"insert into {ALIAS}.main.snapshot_info values (?, ?, ?, ?, ?)",
        [
            [run_id, published_at, schema, table, count]
            for (schema, table, _), count in zip(tables, counts, strict=True)
        ],
    )
    con.execute(
        f"comment on table {ALIAS}.main.snapshot_info is 'When this snapshot was published, "
        "by which run, and the row count of every table in it.'"
    )


def copy_column_comments(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    for column, comment in con.execute(
        "select column_name, comment from duckdb_columns() where database_name = current_database() "
        "and schema_name = ? and table_name = ? and comment is not null",
        [schema, table],
    ).fetchall():
        con.execute(
            f"comment on column {qualified(ALIAS, schema, table, column)} is {literal(comment)}"
        )
