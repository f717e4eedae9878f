"""The one door to the DuckDB warehouse: connections, the writer lock, schema setup."""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.config import SQL_DIR
from pipelines.errors import LoyaltyError, WarehouseBusyError
from pipelines.ingest.entities import ENTITIES, EXTRA_COLUMN, raw_table_ddl
from pipelines.snapshot import snapshot_path

SCHEMAS = ("raw", "staging", "core", "marts", "audit")
# DuckDB takes 80 % of RAM by default; a bound keeps a pipeline run a good neighbour and
# makes large builds spill to disk instead of growing. LOYALTY_DUCKDB_MEMORY_LIMIT overrides.
DEFAULT_MEMORY_LIMIT = "3.5GB"
LOCK_POLL_SECONDS = 0.5


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


@contextmanager
def writer_lock(warehouse: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the warehouse's writer lock; wait with a message while another process has it."""
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        started = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if timeout is not None and time.monotonic() - started > timeout:
                    raise WarehouseBusyError(
                        f"{warehouse} is still being written by {holder(path)} after "
                        f"{timeout:.0f} s; try again when that run has finished"
                    ) from None
                if not told:
                    print(
                        f"waiting: {warehouse} is being written by {holder(path)}; "
                        "this run continues as soon as that one finishes",
                        file=sys.stderr,
                    )
                    told = True
                time.sleep(LOCK_POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def holder(path: Path) -> str:
    """Who holds the lock, as written in the lock file."""
    text = path.read_text().strip() if path.exists() else ""
    return f"another loyalty process ({text})" if text else "another loyalty process"


@contextmanager
def open_writer(
    warehouse: Path, lock_timeout: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection, holding the writer lock, with every schema in place."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(warehouse, lock_timeout):
        con = duckdb.connect(str(warehouse))
        try:
            con.execute(
                f"set memory_limit = '{os.environ.get('LOYALTY_DUCKDB_MEMORY_LIMIT', DEFAULT_MEMORY_LIMIT)}'"
            )
            ensure_schema(con)
            yield con
        finally:
            con.close()


@contextmanager
def open_reader(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for queries and reports."""
    if not warehouse.exists():
        raise LoyaltyError(
            f"no warehouse at {warehouse}: run `loyalty run` (or `make demo`) first, "
            "or point --warehouse at an existing file"
        )
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as exc:
        raise WarehouseBusyError(
            f"{warehouse} is being written by another process; try again when it has finished"
        ) from exc
    try:
        yield con
    finally:
        con.close()


@contextmanager
def open_snapshot(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published snapshot (marts and audit), readable at any time.

    Before the first build has published one, this falls back to the warehouse itself.
    """
    snapshot = snapshot_path(warehouse)
    if not snapshot.exists():
        with open_reader(warehouse) as con:
            yield con
        return
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        yield con
    finally:
        con.close()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schemas, the raw tables and the audit tables if they are missing."""
    for schema in SCHEMAS:
        con.execute(f"create schema if not exists {schema}")
    for entity in ENTITIES.values():
        con.execute(raw_table_ddl(entity))
        con.execute(f"alter table raw.{entity.name} add column if not exists {EXTRA_COLUMN}")
    con.execute((SQL_DIR / "setup" / "audit.sql").read_text())
    con.execute((SQL_DIR / "setup" / "macros.sql").read_text())


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    views = con.execute(
        "select count(*) from duckdb_views() where schema_name = ? and view_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0]) or bool(views and views[0])
