"""The file ledger, audit.files: which files were read, with what outcome, under which settings.

A file's content hash is its identity; a file quarantined without being read has no hash
and is keyed by its path, state and problem instead (`unread:`), once per problem.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

from pipelines.config import Settings
from pipelines.incremental import forget_state
from pipelines.ingest import drift, fingerprints
from pipelines.ingest.entities import Entity
from pipelines.ingest.outcomes import FileResult
from pipelines.ingest.sources import SourceConfig
from pipelines.ingest.text import shown
from pipelines.quoting import plain_name
from pipelines.warehouse import hold_file_id, inserted

HASH_CHUNK = 1 << 22
T = TypeVar("T")
# Ledger keys of files quarantined without being read: they have no content hash.
UNREAD = "unread:"


@dataclass(frozen=True)
class LedgerEntry:
    """A file the ledger knows, and whether a settings change wants it read again."""

    file_id: int
    sha256: str
    status: str
    awaiting_reload: str | None


@dataclass
class Ledger:
    """The ledger as one ingest needs it: entries by content hash, hashes by path, size, mtime."""

    entries: dict[str, LedgerEntry]
    by_stat: dict[tuple[str, int, int], str]

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> Ledger:
        rows = con.execute(
            "select file_id, sha256, status, awaiting_reload, path, size_bytes, mtime_ns "
            "from audit.files"
        ).fetchall()
        return cls(
            {
                sha: LedgerEntry(file_id, sha, status, awaiting)
                for file_id, sha, status, awaiting, *_ in rows
            },
            {
                (path, size, mtime): sha
                for _, sha, _, _, path, size, mtime in rows
                if mtime is not None and not sha.startswith(UNREAD)
            },
        )


@dataclass(frozen=True)
class LedgerRow:
    """The ledger row one outcome is written to: a new one, or that of the file read before."""

    file_id: int
    sha256: str
    entity: Entity
    path: Path
    run_id: int | None
    replacing: bool = False


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def unread_key(path: Path, problem: str) -> str:
    """The ledger key of a file quarantined unread: its path, state and problem."""
    try:
        stat = path.lstat()
        state = f"{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        state = "gone"
    return UNREAD + hashlib.sha256(f"{shown(path)}\0{state}\0{problem}".encode()).hexdigest()


def new_file_id(con: duckdb.DuckDBPyConnection) -> int:
    """One more than the ledger's largest id; the writer lock makes this safe.

    A DuckDB sequence would be simpler, but its advance can be lost when the process is
    killed, and the next file would then collide with a committed one.
    """
    row = con.execute("select coalesce(max(file_id), 0) + 1 from audit.files").fetchone()
    return int(row[0]) if row else 1


def record_file(
    con: duckdb.DuckDBPyConnection,
    row: LedgerRow,
    result: FileResult,
    rows_in_file: int | None,
    depends_on: str | None,
) -> None:
    """Write the file's ledger row, and its schema drift."""
    try:
        stat = row.path.stat()
        size, mtime = stat.st_size, stat.st_mtime_ns
    except OSError:
        size, mtime = 0, None
    values = [
        row.entity.name,
        shown(row.path),
        shown(Path(row.path.name)),
        size,
        mtime,
        result.mapping,
        result.status,
        rows_in_file,
        result.rows_loaded,
        result.rows_rejected,
        result.reason,
        "; ".join(result.notes) or None,
        row.run_id,
        depends_on,
    ]
    if row.replacing:
        con.execute(
            """
            update audit.files set entity = ?, path = ?, file_name = ?, size_bytes = ?,
                mtime_ns = ?, mapping = ?, status = ?, rows_in_file = ?, rows_loaded = ?,
                rows_rejected = ?, reason = mask_pii(?), notes = ?, loaded_at = now(),
                run_id = ?, depends_on = ?, awaiting_reload = null
            where file_id = ?
            """,
            [*values, row.file_id],
        )
    else:
        con.execute(
            """
            insert into audit.files (entity, path, file_name, size_bytes, mtime_ns, mapping,
                status, rows_in_file, rows_loaded, rows_rejected, reason, notes, run_id,
                depends_on, file_id, sha256, loaded_at)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, mask_pii(?), ?, ?, ?, ?, ?, now())
            """,
            [*values, row.file_id, row.sha256],
        )
        con.execute(
            "delete from audit.files where path = ? and starts_with(sha256, ?) and file_id <> ?",
            [shown(row.path), UNREAD, row.file_id],
        )
    drift.record_drift(con, row.file_id, row.entity.name, result.drift)


def delete_rows(con: duckdb.DuckDBPyConnection, entity: Entity, file_id: int) -> int:
    """Remove what an earlier read of a file left in raw and audit; return the raw rows removed."""
    removed = inserted(
        con, f"delete from raw.{plain_name(entity.name)} where _file_id = ?", [file_id]
    )
    con.execute("delete from audit.rejects where file_id = ?", [file_id])
    con.execute("delete from audit.schema_drift where file_id = ?", [file_id])
    return removed


def write_outcome(con: duckdb.DuckDBPyConnection, row: LedgerRow, write: Callable[[], T]) -> T:
    """In one transaction: remove what an earlier read of the file left, then `write`.

    When rows were removed, the last build read rows that are gone: the next one is full.
    """
    con.execute("begin transaction")
    try:
        removed = delete_rows(con, row.entity, row.file_id) if row.replacing else 0
        hold_file_id(con, row.file_id, new=not row.replacing)
        written = write()
        if removed:
            forget_state(con)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return written


def mark_awaiting_reload(
    con: duckdb.DuckDBPyConnection, sources: dict[str, SourceConfig], settings: Settings
) -> None:
    """Note in the ledger which files were read under settings that have changed since."""
    rows = con.execute(
        "select file_id, entity, depends_on, awaiting_reload from audit.files "
        "where depends_on is not null"
    ).fetchall()
    updates = []
    for file_id, entity, depends_on, awaiting in rows:
        why = fingerprints.changes(depends_on, sources[entity], settings)
        if why != awaiting:
            updates.append([why, file_id])
    if updates:
        con.executemany("update audit.files set awaiting_reload = ? where file_id = ?", updates)
