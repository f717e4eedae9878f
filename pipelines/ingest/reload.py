"""Reading files again: which ones a settings change left waiting, and `loyalty reload FILE`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.config import Settings
from pipelines.errors import LoyaltyError
from pipelines.ingest import fingerprints
from pipelines.ingest.entities import ENTITIES
from pipelines.ingest.job import FileJob, reading_room
from pipelines.ingest.ledger import LedgerEntry, sha256_of
from pipelines.ingest.loader import load_file
from pipelines.ingest.outcomes import FileResult
from pipelines.ingest.settling import fingerprint
from pipelines.ingest.sources import load_sources
from pipelines.models import record_step
from pipelines.run import new_run_id
from pipelines.warehouse import open_writer, warehouse_of

BY_HAND = "by hand (loyalty reload)"


@dataclass(frozen=True)
class Waiting:
    """A file whose outcome depended on a setting or mapping that has changed since."""

    file_name: str
    entity: str
    reason: str


def files_awaiting_reload(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[Waiting]:
    """Files the ledger records under settings that differ from today's, and why."""
    sources = load_sources(settings.sources_file)
    rows = con.execute(
        "select file_name, entity, depends_on from audit.files where depends_on is not null "
        "order by entity, file_name"
    ).fetchall()
    waiting = []
    for file_name, entity, depends_on in rows:
        why = fingerprints.changes(depends_on, sources[entity], settings)
        if why:
            waiting.append(Waiting(file_name, entity, why))
    return waiting


def ledger_entry(
    con: duckdb.DuckDBPyConnection, path: Path, settings: Settings
) -> tuple[LedgerEntry, str]:
    """The ledger entry of a landing file (found by its content) and its entity."""
    if not path.is_file():
        raise LoyaltyError(f"no file at {path}")
    row = con.execute(
        "select file_id, sha256, status, entity from audit.files where sha256 = ?",
        [sha256_of(path)],
    ).fetchone()
    if row is None:
        raise LoyaltyError(
            f"{path} is not in the ledger (its content was never read); "
            "`loyalty ingest` loads new files"
        )
    file_id, sha, status, entity = row
    folder = (settings.landing / ENTITIES[entity].folder).resolve()
    if not path.resolve().is_relative_to(folder):
        raise LoyaltyError(f"{path} is not in the landing zone's folder for {entity} ({folder})")
    return LedgerEntry(file_id, sha, status, BY_HAND), entity


def reload_files(settings: Settings, paths: list[Path]) -> list[FileResult]:
    """Read the given landing files again, replacing their earlier rows; one run in audit.runs."""
    results = []
    with open_writer(warehouse_of(settings), limit=settings.duckdb_memory_limit) as con:
        run_id = new_run_id(con)
        started, clock = datetime.now().astimezone(), time.perf_counter()
        sources = load_sources(settings.sources_file)
        entries = [ledger_entry(con, path, settings) for path in paths]
        with reading_room(settings) as room:
            for path, (entry, entity) in zip(paths, entries, strict=True):
                job = FileJob(con, ENTITIES[entity], path, sources[entity], settings, room, run_id)
                results.append(load_file(job, entry.sha256, fingerprint(path), entry))
        seconds = time.perf_counter() - clock
        loaded = sum(r.rows_loaded for r in results)
        message = f"{len(results)} file(s) read again, {loaded} rows loaded"
        record_step(con, run_id, "reload", started, seconds, "ok", loaded, message)
        record_step(con, run_id, "run", started, seconds, "ok", message="reload")
    return results
