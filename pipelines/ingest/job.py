"""One landing file to ingest, and everything its ingest needs."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.config import Settings
from pipelines.ingest.entities import Entity
from pipelines.ingest.readers import FileAccess
from pipelines.ingest.sources import SourceConfig
from pipelines.quoting import path_literal


@dataclass(frozen=True)
class ReadingRoom:
    """Where one ingest reads: a folder of links for DuckDB, one for repaired copies."""

    links: Path
    copies: Path

    @contextmanager
    def access(self, path: Path) -> Iterator[FileAccess]:
        with (
            tempfile.TemporaryDirectory(dir=self.links) as links,
            tempfile.TemporaryDirectory(dir=self.copies) as copies,
        ):
            yield FileAccess(path, Path(links), Path(copies), path.stat().st_size)


@contextmanager
def reading_room(settings: Settings) -> Iterator[ReadingRoom]:
    """Temporary folders for one ingest; the links' folder must be a path DuckDB reads literally."""
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="loyalty-links-") as links,
        tempfile.TemporaryDirectory(dir=settings.warehouse.parent, prefix=".ingest-") as copies,
    ):
        path_literal(Path(links))
        yield ReadingRoom(Path(links), Path(copies))


@dataclass(frozen=True)
class FileJob:
    """One landing file of one entity, read with its source's settings in one ingest run."""

    con: duckdb.DuckDBPyConnection
    entity: Entity
    path: Path
    source: SourceConfig
    settings: Settings
    room: ReadingRoom
    run_id: int | None = None
