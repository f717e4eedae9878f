"""What happened to each file of an ingest, and the run's counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipelines.ingest import drift


@dataclass
class FileResult:
    """What happened to one file; `path` is printable even when the file's name is not UTF-8."""

    path: Path
    entity: str
    status: str
    rows_loaded: int = 0
    rows_rejected: int = 0
    reason: str | None = None
    mapping: str | None = None
    notes: list[str] = field(default_factory=list)
    drift: list[drift.Drift] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    reloaded: bool = False


@dataclass
class IngestSummary:
    """Counts of one ingest run, for the CLI, the DAGs and audit.runs."""

    files: list[FileResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    def line(self) -> str:
        reloaded = sum(1 for f in self.files if f.reloaded)
        return (
            f"files: {self.count('loaded')} loaded, {self.count('duplicate')} skipped as "
            f"duplicates, {self.count('quarantined')} quarantined"
            + (
                f", {self.count('waiting')} still being written (left for the next run)"
                if self.count("waiting")
                else ""
            )
            + (f", {reloaded} re-read after a settings change" if reloaded else "")
            + f"; rows: {self.rows_loaded} loaded, {self.rows_rejected} rejected"
        )
