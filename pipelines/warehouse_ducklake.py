"""The DuckLake backend: catalog in PostgreSQL, data as Parquet files in a folder or S3.

Every process opens an in-memory DuckDB, loads the ducklake, postgres and (for S3) httpfs
extensions from the duckdb-ext-* packages installed beside DuckDB (signature-checked, never
downloaded: autoinstall and autoload are off), and attaches the lake as `lake`. Many
processes on many machines can write at once: DuckLake commits each transaction as a
snapshot in the catalog, and a transaction that touched what another one committed first
fails with a conflict and is retried (see `retry_conflicts`). Readers see the last
committed snapshot, never a half-written table.

The project's macros live in the in-memory database (DuckLake stores no functions); the
search path finds them after the lake's own tables.
"""

from __future__ import annotations

import importlib.util
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import duckdb

from pipelines.config import SQL_DIR, Settings
from pipelines.errors import LoyaltyError, WarehouseBusyError
from pipelines.quoting import literal, plain_name

ALIAS = "lake"
EXTENSIONS = ("ducklake", "postgres")
S3_EXTENSIONS = ("httpfs",)
# Settings every lake connection starts with: extensions come only from the packages.
OFFLINE_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
}
CONFLICT_RETRIES = 8
# What an analyst may run on a lake: DuckDB reads its data files with the reader's own
# file access, so the door lets through queries only (a COPY could write into the folder).
READING_STATEMENTS = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)
T = TypeVar("T")


@dataclass(frozen=True)
class Lake:
    """Where a DuckLake warehouse lives: its PostgreSQL catalog and its data path."""

    catalog: str
    data_path: str
    s3_endpoint: str = ""
    s3_region: str = "us-east-1"
    s3_key_id: str = ""
    s3_secret: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> Lake:
        return cls(
            settings.ducklake_catalog,
            settings.ducklake_data_path,
            settings.s3_endpoint,
            settings.s3_region,
            settings.s3_key_id,
            settings.s3_secret,
        )

    @property
    def on_s3(self) -> bool:
        return self.data_path.startswith("s3://")

    @property
    def data_folder(self) -> str:
        """The data path with one trailing slash, as DuckLake and allowed_directories want it."""
        return self.data_path.rstrip("/") + "/"

    def __str__(self) -> str:
        return f"DuckLake at {self.data_folder} (catalog {self.catalog_shown})"

    @property
    def catalog_shown(self) -> str:
        """The catalog without its password, for messages."""
        return " ".join(
            "password=***" if pair.startswith("password=") else pair
            for pair in self.catalog.split()
        )


def extension_directory() -> str:
    """Where the duckdb-ext-* packages put their extension files (v<version>/<platform>/)."""
    spec = importlib.util.find_spec("duckdb_ext")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        folder = Path(location) / "extensions"
        if folder.is_dir():
            return str(folder)
    raise LoyaltyError(
        "the DuckLake backend needs the duckdb-ext-ducklake, duckdb-ext-postgres and "
        "duckdb-ext-httpfs packages: run `make install`"
    )


def offline_connection(extensions: tuple[str, ...], memory_limit: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with `extensions` loaded from the packages, signature-checked."""
    con = duckdb.connect(
        config={
            **OFFLINE_CONFIG,
            "extension_directory": extension_directory(),
            "memory_limit": memory_limit,
        }
    )
    try:
        for name in extensions:
            con.execute(f"load {plain_name(name)}")
    except duckdb.Error as exc:
        con.close()
        raise LoyaltyError(
            f"cannot load the DuckDB extension {name} from the duckdb-ext packages ({exc}); "
            "run `make install`"
        ) from exc
    return con


def connect_lake(
    lake: Lake, memory_limit: str, read_only: bool = False, at: str | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached as `lake` and in use.

    `at` reads an earlier snapshot: a version number or an ISO timestamp (read-only).
    """
    con = offline_connection(EXTENSIONS + (S3_EXTENSIONS if lake.on_s3 else ()), memory_limit)
    try:
        if lake.on_s3:
            create_s3_secret(con, lake)
        con.execute((SQL_DIR / "setup" / "macros.sql").read_text())
        source_sql = literal("ducklake:postgres:" + lake.catalog)
        options_sql = attach_options_sql(lake, read_only, at)
        con.execute(f"attach {source_sql} as {ALIAS} ({options_sql})")
        con.execute(f"use {ALIAS}")
        con.execute("set search_path = 'lake.main,memory.main'")
    except duckdb.Error as exc:
        con.close()
        if read_only and "does not exist" in str(exc):
            raise LoyaltyError(
                f"no warehouse in the {lake} yet: run `loyalty run` (or `make demo`) first"
            ) from exc
        raise LoyaltyError(f"cannot open the {lake}: {exc}") from exc
    return con


def attach_options_sql(lake: Lake, read_only: bool, at: str | None) -> str:
    options = [f"data_path {literal(lake.data_folder)}"]
    if read_only or at:
        options.append("read_only")
    if at:
        options.append(snapshot_option_sql(at))
    return ", ".join(options)


def snapshot_option_sql(at: str) -> str:
    """SNAPSHOT_VERSION for a whole number, SNAPSHOT_TIME for an ISO timestamp."""
    if at.isdigit():
        return f"snapshot_version {int(at):d}"
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise LoyaltyError(
            f"--at {at!r} is neither a DuckLake snapshot number nor an ISO timestamp "
            "(e.g. 42 or 2026-06-30T23:59:59+00:00)"
        ) from None
    return f"snapshot_time {literal(moment.isoformat())}"


def create_s3_secret(con: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """The S3 endpoint and credentials, from the settings (never from a file)."""
    con.execute(f"create or replace secret lake_s3 ({s3_secret_sql(lake)})")


def s3_secret_sql(lake: Lake) -> str:
    """The options of the S3 secret, every value a quoted literal."""
    options = [
        "type s3",
        f"region {literal(lake.s3_region)}",
        f"scope {literal(lake.data_folder)}",
    ]
    if lake.s3_key_id or lake.s3_secret:
        options += [f"key_id {literal(lake.s3_key_id)}", f"secret {literal(lake.s3_secret)}"]
    if lake.s3_endpoint:
        scheme, _, host = lake.s3_endpoint.partition("://")
        options += [
            f"endpoint {literal(host)}",
            f"use_ssl {'true' if scheme == 'https' else 'false'}",
            "url_style 'path'",
        ]
    return ", ".join(options)


def lock_for_people(con: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """No file but the lake's data, no further ATTACH or extension, then no setting changed."""
    con.execute("set allowed_directories = ?", [[lake.data_folder]])
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")


def refuse_writing(sql: str) -> None:
    """Refuse anything but queries: on a lake, the data folder is open to the reader's COPY."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error:
        return  # running it gives DuckDB's own syntax error
    for statement in statements:
        if statement.type not in READING_STATEMENTS:
            raise LoyaltyError(
                f"{statement.type.name} is not a query: loyalty sql only reads the warehouse "
                "(select, from, describe, show, summarize, explain)"
            )


def current_snapshot(con: duckdb.DuckDBPyConnection) -> int:
    """The DuckLake snapshot this connection reads."""
    row = con.execute(f"select id from {ALIAS}.current_snapshot()").fetchone()
    return int(row[0]) if row else 0


def is_conflict(exc: BaseException | None) -> bool:
    """A DuckLake commit that lost to another writer's (also behind a failed rollback)."""
    while exc is not None:
        if isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def retry_conflicts(work: Callable[[], T], what: str, retries: int = CONFLICT_RETRIES) -> T:
    """Run `work` again while its commit loses to another writer's; it must be idempotent."""
    for attempt in range(1, retries):
        try:
            return work()
        except duckdb.Error as exc:
            if not is_conflict(exc):
                raise
            time.sleep(random.uniform(0.05, 0.3) * attempt)
    try:
        return work()
    except duckdb.Error as exc:
        if is_conflict(exc):
            raise WarehouseBusyError(
                f"{what} lost {retries} commits in a row to other writers of the DuckLake "
                "warehouse; try again when fewer run at once"
            ) from exc
        raise
