"""The one door to the warehouse: connections, the writer lock, schema setup.

The warehouse is a DuckDB file (the default) or a DuckLake (LOYALTY_WAREHOUSE_BACKEND=
ducklake, see pipelines/warehouse_ducklake.py); `warehouse_of` says which, and every
function here takes either. Two kinds of connection: the pipeline's writer (read-write;
under the writer lock for a file, under DuckLake's own transactions for a lake), and the
one handed to people (`loyalty sql`, `status`, the report, notebooks via
open_snapshot/open_reader): read-only, without access to any file but its database's, no
ATTACH, no extension installed or loaded, and its configuration locked.
"""

from __future__ import annotations

import fcntl
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.config import DEFAULT_MEMORY_LIMIT, SQL_DIR, Settings
from pipelines.errors import LoyaltyError, WarehouseBusyError
from pipelines.ingest.entities import ENTITIES, EXTRA_COLUMN, raw_table_ddl
from pipelines.quoting import plain_name
from pipelines.snapshot import snapshot_path
from pipelines.warehouse_ducklake import (
    Lake,
    connect_lake,
    lock_for_people,
    retry_conflicts,
)

SCHEMAS = ("raw", "staging", "core", "marts", "audit")
LOCK_POLL_SECONDS = 0.5
# The settings of every connection handed to people, given when it opens (DuckDB's
# "Securing DuckDB" page): no file but the database itself (no ATTACH, COPY, read_csv,
# read_text, glob ...), no extension installed or loaded on demand, and then no setting
# changed at all. access_mode makes the database itself read-only.
ANALYST_CONFIG = {
    "access_mode": "READ_ONLY",
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "lock_configuration": True,
}
# DuckLake keeps no key constraints: the ledger's uniqueness comes from audit.id_claims there.
KEY_CONSTRAINT = re.compile(
    r",\s*(primary key|unique)\s*\([^)]*\)|\s+(primary key|unique)\b", re.IGNORECASE
)
Warehouse = Path | Lake


def warehouse_of(settings: Settings) -> Warehouse:
    """The warehouse the settings choose: the DuckDB file, or the DuckLake."""
    if settings.warehouse_backend == "ducklake":
        return Lake.from_settings(settings)
    return settings.warehouse


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
    warehouse: Warehouse,
    lock_timeout: float | None = None,
    limit: str = DEFAULT_MEMORY_LIMIT,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection with every schema in place; a file's holds the writer lock.

    `limit` is DuckDB's memory limit (Settings.duckdb_memory_limit), given as configuration.
    """
    if isinstance(warehouse, Lake):
        con = connect_lake(warehouse, limit)
        try:
            retry_conflicts(lambda: ensure_schema(con), "setting up the warehouse")
            yield con
        finally:
            con.close()
        return
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(warehouse, lock_timeout):
        con = duckdb.connect(str(warehouse), config={"memory_limit": limit})
        try:
            ensure_schema(con)
            yield con
        finally:
            con.close()


def connect_for_people(
    database: Path, limit: str = DEFAULT_MEMORY_LIMIT
) -> duckdb.DuckDBPyConnection:
    """The locked-down read-only connection of ANALYST_CONFIG (see the module docstring)."""
    try:
        return duckdb.connect(str(database), config={**ANALYST_CONFIG, "memory_limit": limit})
    except duckdb.IOException as exc:
        raise WarehouseBusyError(
            f"{database} is being written by another process; try again when it has finished"
        ) from exc


@contextmanager
def open_reader(
    warehouse: Warehouse, at: str | None = None, limit: str = DEFAULT_MEMORY_LIMIT
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only, locked-down connection to the warehouse itself, for queries and reports.

    `at` (DuckLake only) reads an earlier snapshot: its number or an ISO timestamp.
    """
    if isinstance(warehouse, Lake):
        con = connect_lake(warehouse, limit, read_only=True, at=at)
        try:
            lock_for_people(con, warehouse)
            yield con
        finally:
            con.close()
        return
    if at is not None:
        raise LoyaltyError(
            "--at reads an earlier DuckLake snapshot; the DuckDB file keeps no history "
            "(set LOYALTY_WAREHOUSE_BACKEND=ducklake)"
        )
    if not warehouse.exists():
        raise LoyaltyError(
            f"no warehouse at {warehouse}: run `loyalty run` (or `make demo`) first, "
            "or point --warehouse at an existing file"
        )
    con = connect_for_people(warehouse, limit)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def open_snapshot(
    warehouse: Warehouse, limit: str = DEFAULT_MEMORY_LIMIT
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only, locked-down connection to the published snapshot (marts and audit).

    The snapshot is readable at any time; before the first build has published one, this
    falls back to the warehouse itself. A DuckLake is its own snapshot: readers see its
    last commit while writers work, so they read it directly.
    """
    if isinstance(warehouse, Lake):
        with open_reader(warehouse, limit=limit) as con:
            yield con
        return
    snapshot = snapshot_path(warehouse)
    if not snapshot.exists():
        with open_reader(warehouse, limit=limit) as con:
            yield con
        return
    con = connect_for_people(snapshot, limit)
    try:
        yield con
    finally:
        con.close()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schemas, the raw tables and the audit tables if they are missing.

    On a DuckLake it is one transaction (two workers starting at once conflict, and the
    loser retries); the macros are already in its connection's memory database.
    """
    lake = is_lake(con)
    audit = (SQL_DIR / "setup" / "audit.sql").read_text()
    if lake:
        con.execute("begin transaction")
        audit = KEY_CONSTRAINT.sub("", audit)
    try:
        for schema in SCHEMAS:
            con.execute(f"create schema if not exists {plain_name(schema)}")
        for entity in ENTITIES.values():
            con.execute(raw_table_ddl(entity))
            con.execute(
                f"alter table raw.{plain_name(entity.name)} add column if not exists {EXTRA_COLUMN}"
            )
        con.execute(audit)
        if lake:
            con.execute((SQL_DIR / "setup" / "ducklake.sql").read_text())
            con.execute("commit")
        else:
            con.execute((SQL_DIR / "setup" / "macros.sql").read_text())
    except BaseException:
        if lake:
            con.execute("rollback")
        raise


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection works in a DuckLake (rather than a DuckDB file)."""
    row = con.execute(
        "select type from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    return bool(row) and row[0] == "ducklake"


def claim_id(con: duckdb.DuckDBPyConnection, kind: str, candidate: int) -> int:
    """A run or file id no other writer holds: `candidate` on a file (the lock serialises).

    On a DuckLake the id is claimed in audit.id_claims in its own transaction; two writers
    claiming at once conflict and the loser claims again.
    """
    if not is_lake(con):
        return candidate

    def claim() -> int:
        con.execute("begin transaction")
        try:
            row = con.execute(
                "select greatest(last_id + 1, ?) from audit.id_claims where kind = ?",
                [candidate, kind],
            ).fetchone()
            claimed = int(row[0]) if row else candidate
            con.execute("update audit.id_claims set last_id = ? where kind = ?", [claimed, kind])
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return claimed

    return retry_conflicts(claim, f"claiming a {kind} id")


def hold_file_id(con: duckdb.DuckDBPyConnection, file_id: int, new: bool) -> None:
    """Inside a ledger write on a DuckLake: serialise ledger writes, refuse an id taken since.

    Every ledger write updates the same row of audit.id_claims, so two writers committing
    at once conflict and the loser's ingest is retried with a fresh id; nothing on a file.
    """
    if not is_lake(con):
        return
    condition_sql = "last_id < ?" if new else "? >= 0"
    row = con.execute(
        f"update audit.id_claims set last_id = greatest(last_id, ?) "
        f"where kind = 'file' and {condition_sql}",
        [file_id, file_id],
    ).fetchone()
    if not row or not row[0]:
        raise duckdb.TransactionException(
            f"Transaction conflict - file id {file_id} was taken by another writer"
        )


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


def inserted(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | dict[str, object]
) -> int:
    """Run an INSERT or DELETE and return how many rows it touched (DuckDB answers with that count)."""
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


@contextmanager
def one_checkpoint(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Many small commits, one checkpoint: a DuckDB file writes its WAL into the database at
    the end instead of after every few files (each commit stays durable in the WAL)."""
    if is_lake(con):
        yield
        return
    con.execute("set checkpoint_threshold = '1GB'")
    try:
        yield
    finally:
        con.execute("reset checkpoint_threshold")
    con.execute("checkpoint")
