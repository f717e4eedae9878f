"""The pipeline's steps, as the CLI and the DAGs call them: ingest, validate, build, report."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

import duckdb

from pipelines.config import Settings
from pipelines.errors import LoyaltyError
from pipelines.ingest.loader import ingest_landing
from pipelines.ingest.outcomes import FileResult, IngestSummary
from pipelines.models import BuildResult, build, record_step
from pipelines.rejects import MostlyRejected, mostly_rejected
from pipelines.report.write import write_reports
from pipelines.snapshot import publish_snapshot
from pipelines.validate.docs import write_validation_page
from pipelines.validate.gate import ValidationSummary, validate_pending
from pipelines.warehouse import claim_id, is_lake, open_writer, warehouse_of
from pipelines.warehouse_ducklake import current_snapshot, retry_conflicts

STEPS = ("ingest", "validate", "build", "report")


@dataclass
class RunResult:
    """What one run did, step by step."""

    run_id: int
    ingest: IngestSummary | None = None
    mostly_rejected: list[MostlyRejected] = field(default_factory=list)
    validation: ValidationSummary | None = None
    build: BuildResult | None = None
    reports: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RunOrigin:
    """The Airflow DAG run that asked for a run, kept beside its rows in audit.runs."""

    dag_id: str
    run_id: str


@dataclass(frozen=True)
class Progress:
    """Callbacks for long work; the CLI draws bars with them, the DAGs log."""

    on_file: Callable[[FileResult], None] | None = None
    on_model: Callable[[str, float], None] | None = None
    on_step: Callable[[str], None] | None = None
    on_step_done: Callable[[str, RunResult], None] | None = None


def new_run_id(con: duckdb.DuckDBPyConnection) -> int:
    """One more than any run id the warehouse holds.

    Ids come from the tables, not from a DuckDB sequence: a sequence's advance can be lost
    when a process is killed, and the next run would then reuse an id.
    """
    row = con.execute(
        """
        select 1 + greatest(
            (select coalesce(max(run_id), 0) from audit.runs),
            (select coalesce(max(run_id), 0) from audit.files),
            (select coalesce(max(run_id), 0) from audit.validation_results)
        )
        """
    ).fetchone()
    return claim_id(con, "run", int(row[0]) if row else 1)


def run_steps(
    settings: Settings,
    steps: tuple[str, ...] = STEPS,
    progress: Progress | None = None,
    entities: list[str] | None = None,
    origin: RunOrigin | None = None,
) -> RunResult:
    """Run the given steps in order on one writer connection, recording each in audit.runs.

    A failed step is recorded with its message before the error goes on to the caller.
    """
    progress = progress or Progress()
    with open_writer(warehouse_of(settings), limit=settings.duckdb_memory_limit) as con:
        result = RunResult(new_run_id(con))
        run_started, run_clock = datetime.now().astimezone(), time.perf_counter()
        step, started, clock = steps[0], run_started, run_clock
        try:
            for step in steps:
                if progress.on_step:
                    progress.on_step(step)
                started, clock = datetime.now().astimezone(), time.perf_counter()
                rows, message = retry_conflicts(
                    partial(run_step, con, step, settings, result, progress, entities),
                    f"the {step} step",
                )
                seconds = time.perf_counter() - clock
                result.seconds[step] = seconds
                record_step(con, result.run_id, step, started, seconds, "ok", rows, message)
                if progress.on_step_done:
                    progress.on_step_done(step, result)
        except Exception as exc:
            message = failure_message(exc)
            # A step that failed inside a transaction must not keep its failure out of audit.runs.
            with suppress(duckdb.Error):
                con.execute("rollback")
            seconds = time.perf_counter() - clock
            record_step(con, result.run_id, step, started, seconds, "failed", message=message)
            record_run(con, result.run_id, (run_started, run_clock), "failed", message, origin)
            raise
        record_run(con, result.run_id, (run_started, run_clock), "ok", ",".join(steps), origin)
    return result


def record_run(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    began: tuple[datetime, float],
    status: str,
    message: str,
    origin: RunOrigin | None,
) -> None:
    """The run's own row in audit.runs (began: its start as a time and a perf_counter), tagged."""
    started, clock = began
    record_step(con, run_id, "run", started, time.perf_counter() - clock, status, message=message)
    tag_origin(con, run_id, origin)


def failure_message(exc: BaseException) -> str:
    """Our own errors say what to do; anything else is named as unexpected."""
    if isinstance(exc, LoyaltyError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"


def tag_origin(con: duckdb.DuckDBPyConnection, run_id: int, origin: RunOrigin | None) -> None:
    """Write the Airflow DAG run beside every row of the run in audit.runs."""
    if origin is not None:
        con.execute(
            "update audit.runs set airflow_dag_id = ?, airflow_run_id = ? where run_id = ?",
            [origin.dag_id, origin.run_id, run_id],
        )


def run_step(
    con: duckdb.DuckDBPyConnection,
    step: str,
    settings: Settings,
    result: RunResult,
    progress: Progress,
    entities: list[str] | None,
) -> tuple[int | None, str | None]:
    """One step; returns the rows it handled and a one-line message for audit.runs."""
    if step == "ingest":
        result.ingest = ingest_landing(con, settings, result.run_id, entities, progress.on_file)
        result.mostly_rejected = mostly_rejected(con, result.run_id, settings.currency)
        return result.ingest.rows_loaded, result.ingest.line()
    if step == "build":
        result.build = build(
            con, settings, result.run_id, progress.on_model, full=settings.full_build
        )
        if is_lake(con):
            result.notes.append(f"analysts read DuckLake snapshot {current_snapshot(con)} on")
        else:
            snapshot = publish_snapshot(con, settings.warehouse, result.run_id, result.build)
            how = " (updated from the previous one)" if snapshot.updated else ""
            result.notes.append(f"read-only snapshot for analysts{how}: {snapshot.path}")
        built, plan = len(result.build.built), result.build.plan
        return built, f"{built} models built" + (f", {plan.describe()}" if plan else "")
    if step == "validate":
        try:
            result.validation = validate_pending(con, settings, result.run_id)
        finally:
            page = write_validation_page(con, settings.reports / "validation.html")
            result.notes.append(f"validation results: {page}")
        return len(result.validation.files), result.validation.line()
    if step == "report":
        result.reports = write_reports(con, settings)
        return len(
            result.reports
        ), f"{len(result.reports)} report files in {result.reports[0].parent}"
    raise LoyaltyError(f"unknown step {step!r}; steps are {', '.join(STEPS)}")
