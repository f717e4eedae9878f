"""What the Airflow tasks call: plain functions, importable and testable without Airflow."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb

from pipelines.actions import export_actions
from pipelines.config import Settings
from pipelines.errors import LoyaltyError
from pipelines.filemodes import restrict_new_files
from pipelines.ingest.entities import ENTITIES
from pipelines.ingest.entities import SYSTEMS as ENTITY_FOLDERS
from pipelines.models import record_step
from pipelines.report.write import write_reports
from pipelines.run import RunOrigin, new_run_id, run_steps, tag_origin
from pipelines.warehouse import open_snapshot, open_writer, warehouse_of

SYSTEMS = {system: list(entities) for system, entities in ENTITY_FOLDERS.items()}
# A failed task's record waits for the writer lock at most this long (a long build holds it).
FAILURE_LOCK_SECONDS = 900


@dataclass(frozen=True)
class StepOutcome:
    """A JSON-friendly summary a task returns (it lands in XCom and the task log)."""

    run_id: int | None
    message: str
    files: list[str]


@dataclass(frozen=True)
class IngestOutcome(StepOutcome):
    """An ingest's summary: the entities that got new files, and each file quarantined, with why."""

    loaded: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)


class QuarantinedAtIngest(LoyaltyError):
    """An ingest quarantined a file it could not read; the other files were loaded."""


def pull_exports(system: str, settings: Settings, location: str | None) -> list[str]:
    """Copy new export files of `system` from `location` into the landing zone.

    The location mirrors the landing layout below the system: e.g. for crm,
    <location>/customers/... and <location>/events/.... A file whose copy with the same size
    is already in the landing zone is skipped; copies land under a temporary name and are
    renamed when complete, so an ingest never sees half a file.
    """
    if not location:
        return []
    import fsspec

    filesystem, root = fsspec.core.url_to_fs(location)
    copied = []
    for entity in SYSTEMS[system]:
        folder = ENTITIES[entity].folder
        source = f"{root.rstrip('/')}/{folder.split('/', 1)[1]}"
        if not filesystem.exists(source):
            continue
        for remote in sorted(filesystem.find(source)):
            name = remote.rsplit("/", 1)[-1]
            if name.startswith((".", "_")):
                continue
            target = settings.landing / folder / name
            if target.exists() and target.stat().st_size == filesystem.size(remote):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            filesystem.get_file(remote, str(partial))
            partial.replace(target)
            copied.append(str(target))
    return copied


def ingest_new_files(settings: Settings, origin: RunOrigin | None = None) -> IngestOutcome:
    """Load every new file of every system: one run per batch, however many systems sent one."""
    restrict_new_files(settings)
    result = run_steps(settings, ("ingest",), origin=origin)
    assert result.ingest is not None
    files = [f for f in result.ingest.files if f.status != "duplicate"]
    return IngestOutcome(
        result.run_id,
        result.ingest.line(),
        [str(f.path) for f in files],
        loaded=sorted({f.entity for f in files if f.status == "loaded"}),
        quarantined=[f"{f.path}: {f.reason}" for f in files if f.status == "quarantined"],
    )


def check_quarantine(quarantined: list[str]) -> str:
    """Fail, naming each file, its reason and the fix, when an ingest quarantined anything."""
    if not quarantined:
        return "no file quarantined"
    raise QuarantinedAtIngest(
        f"{len(quarantined)} file(s) quarantined while reading; none of their rows were loaded:\n"
        + "".join(f"  {line}\n" for line in quarantined)
        + "fix: correct the export and deliver it again under the same name (a changed file is "
        "a new delivery), then touch the folder's _ready flag; the quarantined file stays in "
        "audit.files (`loyalty status` lists it) and may be deleted from the landing zone."
    )


def validate_batches(settings: Settings, origin: RunOrigin | None = None) -> StepOutcome:
    """Validate new batches; fails while any critical quarantine is open, so the build waits."""
    restrict_new_files(settings)
    result = run_steps(settings, ("validate",), origin=origin)
    assert result.validation is not None
    return StepOutcome(
        result.run_id, result.validation.line(), [f.file.file_name for f in result.validation.files]
    )


def build_models(settings: Settings, origin: RunOrigin | None = None) -> StepOutcome:
    restrict_new_files(settings)
    result = run_steps(settings, ("build",), origin=origin)
    assert result.build is not None
    return StepOutcome(result.run_id, f"{len(result.build.built)} models built", [])


def write_actions(settings: Settings) -> StepOutcome:
    """The action lists (customers at risk, detractors to call back) from the snapshot."""
    restrict_new_files(settings)
    written = export_actions(settings)
    return StepOutcome(None, f"{len(written)} action lists", [str(p) for p in written])


def write_report(settings: Settings, month: str | None = None) -> StepOutcome:
    """Write the report of `month` (YYYY-MM; default the latest complete one) from the snapshot.

    The read-only snapshot lets the report run while ingests and builds write.
    """
    restrict_new_files(settings)
    with open_snapshot(warehouse_of(settings), settings.duckdb_memory_limit) as con:
        written = write_reports(con, settings, date.fromisoformat(f"{month}-01") if month else None)
    return StepOutcome(None, f"{len(written)} report files", [str(p) for p in written])


def record_failure(
    settings: Settings,
    step: str,
    message: str,
    origin: RunOrigin | None = None,
    since: datetime | None = None,
) -> bool:
    """Note a failed task in audit.runs unless its pipeline step already did; True if written.

    `since` is when the failed try started: a failed step of the same Airflow run recorded
    after it is this failure. The writer lock is waited for as long as a long build may take.
    """
    restrict_new_files(settings)
    with open_writer(
        warehouse_of(settings), FAILURE_LOCK_SECONDS, settings.duckdb_memory_limit
    ) as con:
        if origin is not None and since is not None and recorded_since(con, origin, since):
            return False
        run_id = new_run_id(con)
        record_step(con, run_id, step, datetime.now().astimezone(), 0.0, "failed", message=message)
        tag_origin(con, run_id, origin)
    return True


def recorded_since(con: duckdb.DuckDBPyConnection, origin: RunOrigin, since: datetime) -> bool:
    row = con.execute(
        "select count(*) from audit.runs where airflow_dag_id = ? and airflow_run_id = ? "
        "and status = 'failed' and step <> 'run' and started_at >= ?",
        [origin.dag_id, origin.run_id, since],
    ).fetchone()
    return bool(row and row[0])
