"""Incremental builds: what the last build read, and the scope of rows new files can change."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import duckdb

from pipelines.config import SQL_DIR, Settings
from pipelines.registry_sql import new_keys_sql

INCREMENTAL_SQL = SQL_DIR / "incremental"


@dataclass(frozen=True)
class BuildPlan:
    """Full, or incremental over the validated files the last build did not read."""

    incremental: bool
    reason: str
    new_files: list[int]
    previous_as_of: datetime | None = None
    previous_built_at: datetime | None = None

    def describe(self) -> str:
        """For people: "incremental (3 new file(s))", "full (as_of is set explicitly)"."""
        return f"{'incremental' if self.incremental else 'full'} ({self.reason})"


def fingerprint(settings: Settings, model_sql: list[str]) -> str:
    """What an incremental build needs unchanged: models, macros, scope SQL, metric parameters."""
    digest = hashlib.sha256()
    for text in [
        *model_sql,
        (SQL_DIR / "setup" / "macros.sql").read_text(),
        (SQL_DIR / "setup" / "utc_offsets.sql").read_text(),
        (INCREMENTAL_SQL / "scope_tables.sql").read_text(),
        (INCREMENTAL_SQL / "scope_keys.sql").read_text(),
        *new_keys_sql().values(),
        settings.timezone,
        str(settings.inactivity_days),
        str(settings.outcome_days),
        str(settings.min_sample),
        settings.currency,
    ]:
        digest.update(text.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def validated_files(con: duckdb.DuckDBPyConnection) -> list[int]:
    rows = con.execute(
        "select file_id from audit.files where status = 'validated' order by file_id"
    ).fetchall()
    return [row[0] for row in rows]


def plan_build(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    as_of: datetime,
    model_print: str,
    full: bool = False,
) -> BuildPlan:
    """Incremental when the last build completed and only new validated files came since."""
    if full:
        return BuildPlan(False, "a full build was asked for", [])
    state = con.execute(
        "select as_of, explicit_as_of, fingerprint, files, built_at from audit.build_state"
    ).fetchone()
    if state is None:
        return BuildPlan(False, "no complete earlier build", [])
    previous_as_of, explicit, previous_print, previous_files, built_at = state
    files = validated_files(con)
    if previous_print != model_print:
        return BuildPlan(False, "models or parameters changed since the last build", [])
    if explicit or settings.as_of is not None:
        return BuildPlan(False, "as_of is set explicitly", [])
    if as_of < previous_as_of:
        return BuildPlan(False, "as_of moved back", [])
    if not set(previous_files) <= set(files):
        return BuildPlan(False, "files the last build read are no longer validated", [])
    new_files = sorted(set(files) - set(previous_files))
    return BuildPlan(True, f"{len(new_files)} new file(s)", new_files, previous_as_of, built_at)


def prepare_scope(con: duckdb.DuckDBPyConnection, plan: BuildPlan) -> None:
    """Create build_scope and in_scope(); fill the scope for an incremental build."""
    con.execute("set variable full_build = ?", [not plan.incremental])
    con.execute((INCREMENTAL_SQL / "scope_tables.sql").read_text())
    if plan.incremental:
        for kind, keys_sql in new_keys_sql().items():
            con.execute(keys_sql, {"kind": kind, "new_files": plan.new_files})
        con.execute(
            (INCREMENTAL_SQL / "scope_keys.sql").read_text(),
            {"new_files": plan.new_files, "previous_as_of": plan.previous_as_of},
        )


def forget_state(con: duckdb.DuckDBPyConnection) -> None:
    """A build has started: until it completes, the next one must be full."""
    con.execute("delete from audit.build_state")


def record_state(
    con: duckdb.DuckDBPyConnection, settings: Settings, as_of: datetime, model_print: str
) -> None:
    con.execute("delete from audit.build_state")
    con.execute(
        "insert into audit.build_state values (?, ?, ?, ?, now())",
        [as_of, settings.as_of is not None, model_print, validated_files(con)],
    )
