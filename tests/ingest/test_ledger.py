"""pipelines/ingest/ledger.py on a fresh DuckDB: hashes, unread keys, ids, one transaction."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.entities import ENTITIES
from pipelines.ingest.ledger import (
    UNREAD,
    Ledger,
    LedgerRow,
    new_file_id,
    record_file,
    sha256_of,
    unread_key,
    write_outcome,
)
from pipelines.ingest.outcomes import FileResult
from pipelines.warehouse import open_writer


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    with open_writer(tmp_path / "warehouse.duckdb") as connection:
        yield connection


@pytest.mark.parametrize("content", [b"", b"order_id\nO1\n", bytes(range(256)) * 40_000])
def test_sha256_of_matches_hashlib(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "file.bin"
    path.write_bytes(content)
    assert sha256_of(path) == hashlib.sha256(content).hexdigest()


def test_unread_keys_differ_by_problem_and_state(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("x\n")
    first = unread_key(path, "too large")
    assert first.startswith(UNREAD)
    assert unread_key(path, "too large") == first
    assert unread_key(path, "a link out") != first
    path.write_text("longer\n")
    assert unread_key(path, "too large") != first


def loaded(path: Path, rows: int) -> FileResult:
    return FileResult(path, "orders", "loaded", rows_loaded=rows, mapping="canonical")


def test_a_recorded_file_is_in_the_ledger_by_hash_and_stat(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("x\n")
    assert new_file_id(con) == 1
    row = LedgerRow(1, "abc", ENTITIES["orders"], path, run_id=None)
    write_outcome(con, row, lambda: record_file(con, row, loaded(path, 3), 3, None))
    ledger = Ledger.read(con)
    assert ledger.entries["abc"].status == "loaded"
    stat = path.stat()
    assert ledger.by_stat[(str(path), stat.st_size, stat.st_mtime_ns)] == "abc"
    assert new_file_id(con) == 2


def test_a_failed_write_leaves_no_ledger_row(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("x\n")
    row = LedgerRow(1, "abc", ENTITIES["orders"], path, run_id=None)

    def fails() -> None:
        record_file(con, row, loaded(path, 3), 3, None)
        raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError):
        write_outcome(con, row, fails)
    assert con.execute("select count(*) from audit.files").fetchone() == (0,)
