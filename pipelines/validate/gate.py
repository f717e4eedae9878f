"""The gate: validate every newly loaded file; critical failures quarantine it whole."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from pipelines.config import SQL_DIR, Settings
from pipelines.errors import LoyaltyError
from pipelines.ingest.entities import ENTITIES
from pipelines.quoting import fill, ident, plain_name
from pipelines.registry_sql import validation_batch_sql
from pipelines.validate.chunks import ChunkRunner, chunk_runner
from pipelines.validate.gx_runner import CheckResult, apply_mostly
from pipelines.validate.suites import ExpectationSpec, load_suite

CHUNK_ROWS = 500_000
VALIDATION_SQL = SQL_DIR / "validation"
QUARANTINED_SQL = SQL_DIR / "status" / "quarantined.sql"


class ValidationFailed(LoyaltyError):
    """A batch broke a critical expectation; it is quarantined and the marts stay as they were."""


@dataclass(frozen=True)
class PendingFile:
    file_id: int
    entity: str
    file_name: str


@dataclass
class FileValidation:
    file: PendingFile
    results: list[CheckResult]

    @property
    def critical_failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.severity == "critical" and not r.success]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if r.severity == "warning" and not r.success]


@dataclass
class ValidationSummary:
    files: list[FileValidation] = field(default_factory=list)

    @property
    def quarantined(self) -> list[FileValidation]:
        return [f for f in self.files if f.critical_failures]

    def line(self) -> str:
        warnings = sum(len(f.warnings) for f in self.files)
        return (
            f"validation: {len(self.files)} file(s) checked, {len(self.quarantined)} quarantined, "
            f"{warnings} warning(s)"
        )


def pending_files(con: duckdb.DuckDBPyConnection) -> list[PendingFile]:
    rows = con.execute(
        "select file_id, entity, file_name from audit.files where status = 'loaded' order by file_id"
    ).fetchall()
    return [PendingFile(*row) for row in rows]


def suite_checks(
    con: duckdb.DuckDBPyConnection,
    entity: str,
    file_ids: list[int],
    specs: list[ExpectationSpec],
    runner: ChunkRunner,
) -> list[CheckResult]:
    """Run the suite's GX expectations over the files' rows, in bounded chunks."""
    gx_specs = [s for s in specs if s.sql is None]
    if not gx_specs:
        return []
    params = {"file_ids": file_ids}
    rows_sql = batch_sql(entity)
    columns = columns_read(gx_specs, batch_columns(con, rows_sql, params))
    if not columns:
        return []
    reader = con.execute(selected_sql(rows_sql, columns), params).fetch_record_batch(CHUNK_ROWS)
    merged: dict[str, CheckResult] = {}
    for chunk_results in runner.results(entity, iter(reader), gx_specs):
        for result in chunk_results:
            if result.spec.id in merged:
                merged[result.spec.id].merge(result)
            else:
                merged[result.spec.id] = result
    for result in merged.values():
        apply_mostly(result.spec, result)
    return list(merged.values())


def batch_sql(entity: str) -> str:
    """The rows of a batch as its suite sees them: sql/validation/batch_<entity>.sql, or generated."""
    own = VALIDATION_SQL / f"batch_{entity}.sql"
    return own.read_text() if own.exists() else validation_batch_sql(ENTITIES[entity])


def batch_columns(
    con: duckdb.DuckDBPyConnection, rows_sql: str, params: dict[str, object]
) -> list[str]:
    """The columns a batch's rows have, without reading them."""
    cursor = con.execute(f"select * from ({rows_sql}) as batch limit 0", params)
    return [d[0] for d in cursor.description or []]


def columns_read(specs: list[ExpectationSpec], available: list[str]) -> list[str]:
    """The batch's columns the suite's GX expectations read; every column if one reads the table.

    GX hashes and filters the whole DataFrame it is given, so every column it need not see
    costs time for nothing; an expectation on the whole table (a row count, a column list)
    sees the batch as it is.
    """
    if any(not spec.columns for spec in specs):
        return available
    wanted = {column for spec in specs for column in spec.columns}
    return [column for column in available if column in wanted]


def selected_sql(rows_sql: str, columns: list[str]) -> str:
    """The batch's rows, only the given columns, in the batch's order."""
    columns_sql = ", ".join(ident(column) for column in columns)
    return f"select {columns_sql} from ({rows_sql}) as batch"


def sql_check(
    con: duckdb.DuckDBPyConnection, spec: ExpectationSpec, file: PendingFile, settings: Settings
) -> CheckResult:
    """One of our own checks, sql/validation/<spec.sql>.sql, run inside DuckDB on one file."""
    template = (VALIDATION_SQL / f"{plain_name(spec.sql or '')}.sql").read_text()
    sql = fill(template, table=plain_name(file.entity), key=plain_name(ENTITIES[file.entity].key))
    available = {
        "file_id": file.file_id,
        "entity": file.entity,
        "factor": settings.volume_factor,
        "min_n": settings.gaming_min_responses,
        "top_share": settings.gaming_top_share,
        "jump": settings.gaming_jump,
    }
    params = {k: v for k, v in available.items() if f"${k}" in sql}
    row = con.execute(sql, params).fetchone()
    assert row is not None
    success, observed, unexpected, elements, examples = row
    return CheckResult(
        spec=spec,
        success=bool(success),
        unexpected_count=int(unexpected or 0),
        element_count=int(elements or 0),
        observed_value=observed,
        examples=list(examples or []),
    )


def cross_table_checks(
    con: duckdb.DuckDBPyConnection,
    file: PendingFile,
    specs: list[ExpectationSpec],
    settings: Settings,
) -> list[CheckResult]:
    """The suite's own SQL checks on one file."""
    return [sql_check(con, spec, file, settings) for spec in specs if spec.sql is not None]


def record_results(
    con: duckdb.DuckDBPyConnection, run_id: int | None, validation: FileValidation
) -> None:
    rows = [
        [
            run_id,
            validation.file.file_id,
            validation.file.entity,
            r.expectation,
            r.column,
            r.severity,
            r.success,
            r.observed_value,
            r.unexpected_count,
            r.element_count,
            json.dumps(r.examples or [], ensure_ascii=False),
            r.description,
        ]
        for r in validation.results
    ]
    con.executemany(
        "insert into audit.validation_results values "
        "(?, ?, ?, ?, ?, ?, ?, mask_pii(?), ?, ?, mask_pii(?), ?, now())",
        rows,
    )


def failure_text(file: PendingFile, result: CheckResult) -> str:
    examples = ", ".join(result.examples or [])
    share = (
        f"{result.unexpected_count} of {result.element_count} rows"
        if result.element_count
        else result.observed_value
    )
    return (
        f"{file.file_name}: {result.expectation}({result.column or ''}) failed - {result.description} "
        f"({share}{'; e.g. ' + examples if examples else ''})"
    )


def settle(con: duckdb.DuckDBPyConnection, validation: FileValidation, run_id: int | None) -> None:
    """Record a file's results and set its status (validated or quarantined) in one transaction."""
    file = validation.file
    con.execute("begin transaction")
    try:
        record_results(con, run_id, validation)
        failures = validation.critical_failures
        status = "quarantined" if failures else "validated"
        reason = "; ".join(failure_text(file, f) for f in failures) if failures else None
        con.execute(
            "update audit.files set status = ?, reason = coalesce(?, reason) where file_id = ?",
            [status, reason, file.file_id],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def validate_entity(
    con: duckdb.DuckDBPyConnection,
    files: list[PendingFile],
    settings: Settings,
    as_of: datetime,
    run_id: int | None,
    runner: ChunkRunner,
) -> list[FileValidation]:
    """Validate an entity's new files: the suite once over all of them, per file only on a failure."""
    specs = load_suite(files[0].entity, as_of, settings.currency)
    together = suite_checks(con, files[0].entity, [f.file_id for f in files], specs, runner)
    failed = any(r.severity == "critical" and not r.success for r in together)
    validations = []
    for file in files:
        suite = (
            suite_checks(con, file.entity, [file.file_id], specs, runner)
            if failed and len(files) > 1
            else together
        )
        validation = FileValidation(file, suite + cross_table_checks(con, file, specs, settings))
        settle(con, validation, run_id)
        validations.append(validation)
    return validations


def validate_pending(
    con: duckdb.DuckDBPyConnection, settings: Settings, run_id: int | None = None
) -> ValidationSummary:
    """Validate every loaded, not yet validated file; then fail while any quarantine stays open.

    ValidationFailed is raised after every result is recorded, as long as a file that a
    critical expectation quarantined (in this run or an earlier one) is neither replaced nor
    released: a rerun cannot hide the failure.

    Future timestamps are judged against the wall clock, not the metrics' as_of: a backfill
    with an as_of in the past must not quarantine the data that came later.
    """
    as_of = datetime.now(UTC)
    summary = ValidationSummary()
    pending = pending_files(con)
    with chunk_runner(settings.validation_workers) as runner:
        for entity in dict.fromkeys(f.entity for f in pending):
            files = [f for f in pending if f.entity == entity]
            summary.files.extend(validate_entity(con, files, settings, as_of, run_id, runner))
    blocking = open_quarantines(con)
    if blocking:
        raise ValidationFailed(blocked_message(blocking))
    return summary


@dataclass(frozen=True)
class OpenQuarantine:
    """A file a critical expectation quarantined, neither released nor replaced yet."""

    file_id: int
    entity: str
    file_name: str
    path: str
    reason: str | None
    loaded_at: datetime


def open_quarantines(con: duckdb.DuckDBPyConnection) -> list[OpenQuarantine]:
    """Files a critical expectation quarantined that are neither released nor replaced, oldest first."""
    cursor = con.execute(QUARANTINED_SQL.read_text())
    names = [d[0] for d in cursor.description or []]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return [
        OpenQuarantine(
            row["file_id"],
            row["entity"],
            row["file_name"],
            row["path"],
            row["reason"],
            row["loaded_at"],
        )
        for row in reversed(rows)
        if row["blocks_build"]
    ]


def blocked_message(blocking: list[OpenQuarantine]) -> str:
    """Which files block the build, why, and what a person does about it (last lines of a task log)."""
    files = "\n".join(
        f"  {f.path}: {(f.reason or '').replace(f.file_name + ': ', '')}" for f in blocking
    )
    return (
        f"{len(blocking)} file(s) quarantined by a critical expectation; the marts keep their "
        f"previous state until each is replaced or released:\n{files}\n"
        "fix: deliver a corrected export under the same name into the landing zone (it replaces "
        "the quarantined one), or, after a person has decided, `loyalty release FILE --reason "
        '"..."` to accept the rows as they are (`--exclude` builds without them); then run '
        "again (in Airflow: clear the failed validate task)."
    )
