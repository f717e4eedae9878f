"""Landing zone -> raw: one transaction per file, or a quarantine with a reason.

Every file found in the landing zone ends in one of four ways: loaded (its good rows in
raw, its bad rows in audit.rejects with line and reason), quarantined whole with a reason,
skipped as a duplicate of a file the ledger knows, or left for the next run while it is
still being written. A file that cannot be read, whose name is not valid UTF-8, or that is
a link leaving the landing zone is quarantined; the run goes on with the other files.
The steps live in their own modules: settling (which files, and when), reading (typing
and drift), rejects, and the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from pipelines.config import Settings
from pipelines.ingest import drift, fingerprints
from pipelines.ingest.entities import FLAG_NAME, Entity
from pipelines.ingest.job import FileJob, reading_room
from pipelines.ingest.ledger import (
    Ledger,
    LedgerEntry,
    LedgerRow,
    mark_awaiting_reload,
    new_file_id,
    record_file,
    sha256_of,
    unread_key,
    write_outcome,
)
from pipelines.ingest.outcomes import FileResult, IngestSummary
from pipelines.ingest.reading import (
    READ_ERRORS,
    MissingColumns,
    NotRead,
    Reading,
    TypedFile,
    read_file,
)
from pipelines.ingest.rejects import insert_rejects
from pipelines.ingest.settling import (
    STILL_WRITTEN,
    FileChanged,
    fingerprint,
    landing_files,
    link_problem,
    settled,
)
from pipelines.ingest.sources import load_sources
from pipelines.ingest.text import DamagedFile, UnreadableFile, shown, too_large
from pipelines.quoting import ident, plain_name
from pipelines.warehouse import inserted, one_checkpoint


def insert_rows(con: duckdb.DuckDBPyConnection, entity: Entity, file_id: int) -> int:
    columns_sql = ", ".join(plain_name(c) for c in entity.columns)
    return inserted(
        con,
        f"insert into raw.{plain_name(entity.name)} (_file_id, _record, {columns_sql}, _extra) "
        f"select ?, _record, {columns_sql}, _extra from _typed where _reject is null",
        [file_id],
    )


def outcome(job: FileJob, status: str, **details: Any) -> FileResult:
    """What happened to the job's file, under its printable path."""
    return FileResult(Path(shown(job.path)), job.entity.name, status, **details)


def load_file(
    job: FileJob,
    sha: str,
    seen_as: tuple[int, int] | None = None,
    replacing: LedgerEntry | None = None,
) -> FileResult:
    """Load one file in one transaction, or quarantine it whole; the ledger commits with it.

    The file is read and typed into temporary tables first; only the inserts into raw,
    audit.rejects and the ledger form the transaction. `replacing` is the ledger entry of
    the same file read before: its rows and rejects are replaced by the new ones.

    `seen_as` is the file's fingerprint when it was found; a file that no longer matches
    it before the commit is rolled back and left for the next run.
    """
    con = job.con
    file_id = replacing.file_id if replacing else new_file_id(con)
    row = LedgerRow(file_id, sha, job.entity, job.path, job.run_id, replacing is not None)
    before = (
        [f"re-read: {replacing.awaiting_reload}; its earlier rows were replaced"]
        if replacing
        else []
    )
    reading = Reading()
    try:
        with job.room.access(job.path) as access:
            typed = read_file(job, access, str(file_id))
            reading = typed.reading
            return write_outcome(con, row, lambda: write_file(job, row, typed, before, seen_as))
    except NotRead as exc:
        return quarantine_read(job, row, exc.cause, exc.reading, before)
    except READ_ERRORS as exc:
        return quarantine_read(job, row, exc, reading, before)
    except FileChanged:
        return outcome(job, "waiting", reason=STILL_WRITTEN)
    finally:
        con.execute("set TimeZone = 'UTC'")
        drop_temp_tables(con)


def write_file(
    job: FileJob,
    row: LedgerRow,
    typed: TypedFile,
    notes: list[str],
    seen_as: tuple[int, int] | None,
) -> FileResult:
    """Inside the file's transaction: its rows, its rejects and its ledger row."""
    reading = typed.reading
    loaded = insert_rows(job.con, job.entity, row.file_id)
    rejected = insert_rejects(job.con, job.entity, row.file_id, typed.batch, typed.lines)
    if seen_as is not None and fingerprint(job.path) != seen_as:
        raise FileChanged
    result = outcome(
        job,
        "loaded",
        rows_loaded=loaded,
        rows_rejected=rejected,
        mapping=reading.mapping,
        notes=[*notes, *reading.notes],
        drift=reading.drift,
        depends_on=reading.depends_on,
        reloaded=row.replacing,
    )
    depends_on = fingerprints.fingerprint(result.depends_on, job.source, job.settings)
    record_file(job.con, row, result, loaded + rejected, depends_on)
    return result


def quarantine_read(
    job: FileJob, row: LedgerRow, exc: BaseException, reading: Reading, notes: list[str]
) -> FileResult:
    """Quarantine a file whose reading failed, with what the reading learnt before it did."""
    missing = drift.missing_required(exc.columns) if isinstance(exc, MissingColumns) else []
    settings_matter = isinstance(exc, UnreadableFile) and not isinstance(exc, DamagedFile)
    result = outcome(
        job,
        "quarantined",
        reason=quarantine_reason(exc),
        mapping=reading.mapping,
        notes=notes,
        drift=[*reading.drift, *missing],
        depends_on=reading.depends_on if settings_matter else [],
        reloaded=row.replacing,
    )
    quarantine(job, row, result)
    return result


def quarantine_reason(exc: BaseException) -> str:
    """The reason a file was quarantined, for people: an OS error says what the system said."""
    if isinstance(exc, OSError):
        return f"cannot read the file: {exc.strerror or exc}"
    if isinstance(exc, UnicodeError):
        return f"cannot decode the file ({exc}); set format.encoding in the source mapping"
    return str(exc)


def drop_temp_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The batch tables, the lines read, and DuckDB's reject tables of the file just read."""
    names = con.execute(
        "select table_name from duckdb_tables() where temporary and (table_name in "
        "('_batch', '_typed') "
        "or table_name like '\\_csv\\_rejects\\_%' escape '\\' "
        "or table_name like '\\_ndjson\\_lines\\_%' escape '\\')"
    ).fetchall()
    for (name,) in names:
        con.execute(f"drop table if exists {ident(name)}")


def quarantine(job: FileJob, row: LedgerRow, result: FileResult) -> None:
    depends_on = fingerprints.fingerprint(result.depends_on, job.source, job.settings)
    write_outcome(job.con, row, lambda: record_file(job.con, row, result, None, depends_on))


def quarantine_unread(
    job: FileJob, reason: str, ledger: Ledger, depends_on: list[str]
) -> FileResult:
    """Quarantine a file that is not read at all; once per problem, not once per run."""
    key = unread_key(job.path, reason)
    if key in ledger.entries:
        return outcome(job, "duplicate")
    result = outcome(
        job,
        "quarantined",
        reason=reason,
        depends_on=depends_on,
    )
    row = LedgerRow(new_file_id(job.con), key, job.entity, job.path, job.run_id)
    quarantine(job, row, result)
    ledger.entries[key] = LedgerEntry(0, key, "quarantined", None)
    return result


def ingest_file(job: FileJob, ledger: Ledger) -> FileResult:
    """One landing file: quarantined unread, waited for, skipped, read again or loaded."""
    settings, path = job.settings, job.path
    folder = settings.landing / job.entity.folder
    problem = link_problem(path, settings.landing, folder)
    if problem:
        return quarantine_unread(job, problem, ledger, [])
    seen_as = settled(path, folder / FLAG_NAME, settings.settle_seconds)
    if seen_as is None:
        return outcome(job, "waiting", reason=STILL_WRITTEN)
    if seen_as[0] > settings.max_file_bytes:
        reason = str(too_large(f"is {seen_as[0]:,} bytes, larger than", settings.max_file_bytes))
        return quarantine_unread(job, reason, ledger, ["max_file_bytes"])
    sha = ledger.by_stat.get((shown(path), *seen_as))
    if sha is None:
        try:
            sha = sha256_of(path)
        except OSError as exc:
            reason = f"{quarantine_reason(exc)}; once it can be read, the next run loads it"
            return quarantine_unread(job, reason, ledger, [])
    known = ledger.entries.get(sha)
    if known is not None and not known.awaiting_reload:
        return outcome(job, "duplicate")
    result = load_file(job, sha, seen_as, known)
    if result.status != "waiting":
        ledger.entries[sha] = LedgerEntry(0, sha, result.status, None)
    return result


def ingest_landing(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: int | None = None,
    entities: list[str] | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestSummary:
    """Load every settled file of the landing zone the ledger has not seen, file by file.

    First every ledger entry is checked against the current settings: the files whose
    outcome depended on a setting that changed since are read again when they are found.
    """
    sources = load_sources(settings.sources_file)
    mark_awaiting_reload(con, sources, settings)
    ledger = Ledger.read(con)
    summary = IngestSummary()
    with reading_room(settings) as room, one_checkpoint(con):
        for entity, path in landing_files(settings.landing, entities):
            job = FileJob(con, entity, path, sources[entity.name], settings, room, run_id)
            result = ingest_file(job, ledger)
            summary.files.append(result)
            if on_file:
                on_file(result)
    return summary
