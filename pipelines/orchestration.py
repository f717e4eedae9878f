"""What the Airflow tasks call: plain functions, importable and testable without Airflow."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from pipelines.config import Settings
from pipelines.filemodes import restrict_new_files
from pipelines.ingest.entities import ENTITIES
from pipelines.models import record_step
from pipelines.report.write import write_reports
from pipelines.run import new_run_id, run_steps
from pipelines.warehouse import open_snapshot, open_writer

SYSTEMS = {
    system: [e.name for e in ENTITIES.values() if e.system == system]
    for system in ("crm", "shop", "survey")
}


@dataclass(frozen=True)
class StepOutcome:
    """A JSON-friendly summary a task returns (it lands in XCom and the task log)."""

    run_id: int | None
    message: str
    files: list[str]


def source_location(system: str, env: dict[str, str] | None = None) -> str | None:
    """Where a system's exports are pulled from: LOYALTY_SOURCE_<SYSTEM>, any fsspec URL or folder."""
    return (env if env is not None else os.environ).get(f"LOYALTY_SOURCE_{system.upper()}") or None


def pull_exports(system: str, settings: Settings, location: str | None) -> list[str]:
    """Copy new export files of `system` from `location` into the landing zone.

    The location mirrors the landing layout below the system: e.g. for crm,
    <location>/customers/... and <location>/events/.... A file whose copy with the same size
    is already in the landing zone is skipped; copies land under a temporary name and are
    renamed when complete, so an ingest never sees half a file.
    """
    restrict_new_files(settings)
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


def ingest_system(system: str, settings: Settings) -> StepOutcome:
    """Load every new file of the system's entities."""
    restrict_new_files(settings)
    result = run_steps(settings, ("ingest",), entities=SYSTEMS[system])
    assert result.ingest is not None
    files = [str(f.path) for f in result.ingest.files if f.status != "duplicate"]
    return StepOutcome(result.run_id, result.ingest.line(), files)


def validate_batches(settings: Settings) -> StepOutcome:
    """Validate new batches; a critical failure raises, so the build after it does not run."""
    restrict_new_files(settings)
    result = run_steps(settings, ("validate",))
    assert result.validation is not None
    return StepOutcome(
        result.run_id, result.validation.line(), [f.file.file_name for f in result.validation.files]
    )


def build_models(settings: Settings) -> StepOutcome:
    restrict_new_files(settings)
    result = run_steps(settings, ("build",))
    assert result.build is not None
    return StepOutcome(result.run_id, f"{len(result.build.built)} models built", [])


def write_report(settings: Settings) -> StepOutcome:
    """Write the report from the read-only snapshot: it runs while ingests and builds write."""
    restrict_new_files(settings)
    with open_snapshot(settings.warehouse) as con:
        written = write_reports(con, settings)
    return StepOutcome(None, f"{len(written)} report files", [str(p) for p in written])


def record_failure(settings: Settings, step: str, message: str) -> None:
    """Note a failed task in audit.runs, so `loyalty status` shows it beside the pipeline's own runs."""
    restrict_new_files(settings)
    with open_writer(settings.warehouse, lock_timeout=60) as con:
        run_id = new_run_id(con)
        record_step(
            con, run_id, step, datetime.now().astimezone(), 0.0, "failed", message=message[:1000]
        )
