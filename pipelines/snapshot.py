"""The read-only snapshot: marts and audit, published after every successful build.

DuckDB lets no other process read a database file while one process writes it. Analysts,
`loyalty sql` and the report therefore read a separate file, `<warehouse>.snapshot.duckdb`.
A build writes the new snapshot under a temporary name and renames it over the old one:
the rename is atomic, so a reader sees the previous snapshot or the new one, never a mix;
a reader that has the old file open keeps reading it undisturbed.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.config import SQL_DIR
from pipelines.errors import LoyaltyError
from pipelines.quoting import ident, literal, qualified

SNAPSHOT_SCHEMAS = ("marts", "audit")
ALIAS = "snapshot_target"


def snapshot_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.stem + ".snapshot.duckdb")


def publish_snapshot(con: duckdb.DuckDBPyConnection, warehouse: Path, run_id: int) -> Path:
    """Copy marts and audit into a fresh file and move it over the previous snapshot."""
    target = snapshot_path(warehouse)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    partial.unlink(missing_ok=True)
    home = con.execute("select current_database()").fetchone()[0]  # type: ignore[index]
    con.execute(f"attach {literal(str(partial))} as {ALIAS}")
    try:
        copy_tables(con, run_id)
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
    return target


def copy_tables(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """Every table of the snapshot schemas with its comments, and snapshot_info's row counts."""
    tables = con.execute(
        "select schema_name, table_name, comment from duckdb_tables() "
        "where database_name = current_database() and schema_name in ? order by all",
        [list(SNAPSHOT_SCHEMAS)],
    ).fetchall()
    for schema in SNAPSHOT_SCHEMAS:
        con.execute(f"create schema {qualified(ALIAS, schema)}")
    published_at = datetime.now().astimezone()
    counts = []
    for schema, table, comment in tables:
        target_sql = qualified(ALIAS, schema, table)
        counts.append(
            con.execute(
                f"create table {target_sql} as select * from {qualified(schema, table)}"
            ).fetchone()[0]  # type: ignore[index]
        )
        if comment:
            con.execute(f"comment on table {target_sql} is {literal(comment)}")
        copy_column_comments(con, schema, table)
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
