"""Reading and typing one file: the mapping that fits, the row rules, the drift policy.

The file's records are typed into the temporary table `_typed`; a file that cannot be
read raises NotRead, which carries what was learnt before it failed (the mapping, the
drift, the settings its outcome depended on) for the quarantine's ledger row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from pipelines.ingest import drift
from pipelines.ingest.checks import RowRules, typed_batch_sql
from pipelines.ingest.entities import Entity
from pipelines.ingest.job import FileJob
from pipelines.ingest.lines import RecordLines, csv_record_lines
from pipelines.ingest.mappings import Mapping
from pipelines.ingest.readers import (
    Batch,
    FileAccess,
    batch_source,
    file_format,
    first_line,
    header_for,
)
from pipelines.ingest.sources import SourceConfig
from pipelines.ingest.text import DamagedFile, UnreadableFile, content_size
from pipelines.quoting import UnsafeText, ident

READ_ERRORS = (UnreadableFile, UnsafeText, OSError, UnicodeError)


class MissingColumns(UnreadableFile):
    """No mapping fits: required columns are missing (the closest mapping's are listed)."""

    def __init__(self, message: str, columns: list[str]) -> None:
        super().__init__(message)
        self.columns = columns


@dataclass
class Reading:
    """What reading a file learnt about it, kept in its ledger row whether or not it was read."""

    mapping: str | None = None
    notes: list[str] = field(default_factory=list)
    drift: list[drift.Drift] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TypedFile:
    """A file read into `_typed`: its batch, the physical lines of its rejects, what was learnt."""

    batch: Batch
    lines: RecordLines
    reading: Reading


class NotRead(Exception):
    """The file cannot be read; `cause` says why, `reading` what was learnt before."""

    def __init__(self, cause: BaseException, reading: Reading) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.reading = reading


def read_file(job: FileJob, access: FileAccess, tag: str) -> TypedFile:
    """Type the file's records into `_typed`, applying the drift policy to its columns."""
    reading = Reading()
    try:
        batch, lines = typed_batch(job, access, tag, reading)
    except READ_ERRORS as exc:
        raise NotRead(exc, reading) from exc
    return TypedFile(batch, lines, reading)


def typed_batch(
    job: FileJob, access: FileAccess, tag: str, reading: Reading
) -> tuple[Batch, RecordLines]:
    """Read the file into `_typed`, noting in `reading` what each step learnt.

    A CSV file whose first read fails, or shows bytes that are not UTF-8, is read once
    more from a repaired copy (encoding detected, line endings normalized).
    """
    con, entity, source, settings = job.con, job.entity, job.source, job.settings
    fmt = file_format(access.path)
    if fmt is None:
        raise UnreadableFile("unknown file type: use .csv, .tsv, .ndjson, .jsonl or .parquet")
    if access.size == 0:
        raise UnreadableFile("the file is empty (0 bytes)")
    reading.depends_on = ["max_file_bytes"]
    access.size = content_size(access.path, settings.max_file_bytes)
    reading.depends_on = [
        f"order:{entity.name}",
        *(f"mapping:{m.name}" for m in source.mappings),
    ]
    mapping, header = choose_mapping(con, access, fmt, source.mappings, tag)
    reading.mapping = mapping.name
    reading.depends_on = dependencies(entity, mapping, header, source)
    rules = row_rules(mapping, header, job, reading)
    con.execute("set TimeZone = ?", [mapping.timezone])
    batch = batch_source(con, access, fmt, mapping, tag)
    first_error: UnreadableFile | None = None
    try:
        read_batch(con, batch, typed_batch_sql(entity, rules, batch))
    except UnreadableFile as exc:
        if not batch.repairable:
            raise
        first_error = exc
    if batch.repairable and (first_error or has_invalid_encoding(con, batch)):
        batch = batch_source(con, access, fmt, mapping, f"{tag}_repaired", repair=True)
        try:
            read_batch(con, batch, typed_batch_sql(entity, rules, batch))
        except UnreadableFile as exc:
            raise (first_error or exc) from None
    reading.notes.extend(batch.notes)
    changed = drift.type_changes(con, entity, source.drift)
    reading.drift.extend(changed)
    if any(d.action == "quarantined" for d in changed):
        raise UnreadableFile(drift.describe(changed))
    return batch, find_lines(con, batch, mapping)


def choose_mapping(
    con: duckdb.DuckDBPyConnection,
    access: FileAccess,
    fmt: str,
    mappings: list[Mapping],
    tag: str,
) -> tuple[Mapping, list[str]]:
    """The first mapping whose required columns the file's header has."""
    problems = []
    closest: list[str] | None = None
    for mapping in mappings:
        try:
            header = header_for(con, access, fmt, mapping, tag)
        except DamagedFile:
            raise
        except UnreadableFile as exc:
            problems.append(f"{mapping.name}: {exc}")
            continue
        missing = mapping.missing_required(header)
        if not missing:
            return mapping, header
        problems.append(f"{mapping.name}: missing required column(s) {', '.join(missing)}")
        if closest is None or len(missing) < len(closest):
            closest = missing
    message = (
        "no source mapping fits the file ("
        + "; ".join(problems)
        + "); rename the columns or add a mapping to sources/sources.yaml"
    )
    if closest is None:
        raise UnreadableFile(message)
    raise MissingColumns(message, closest)


def read_batch(con: duckdb.DuckDBPyConnection, batch: Batch, typing_sql: str) -> None:
    """Stage the file if it is staged, then type it; a file DuckDB cannot read at all becomes
    UnreadableFile."""
    try:
        if batch.staging_sql:
            con.execute(batch.staging_sql)
        con.execute(typing_sql)
    except duckdb.Error as exc:
        raise UnreadableFile(
            f"cannot read the file as {batch.file_format}: {first_line(exc)}"
        ) from exc
    finally:
        if batch.staged:
            con.execute(f"drop table if exists {ident(batch.staged)}")


def has_invalid_encoding(con: duckdb.DuckDBPyConnection, batch: Batch) -> bool:
    if batch.file_format != "csv" or not batch.reader_rejects:
        return False
    row = con.execute(
        f"select count(*) from {ident(batch.reader_rejects)} where error_type = 'INVALID ENCODING'"
    ).fetchone()
    return bool(row and row[0])


def dependencies(
    entity: Entity, mapping: Mapping, header: list[str], source: SourceConfig
) -> list[str]:
    """The settings a file read with `mapping` depends on (see pipelines/ingest/fingerprints.py)."""
    names = [m.name for m in source.mappings]
    tried = source.mappings[: names.index(mapping.name) + 1]
    found = [f"order:{entity.name}:{mapping.name}", *(f"mapping:{m.name}" for m in tried)]
    found.append("schema_drift")
    positions = mapping.source_columns(header)
    if "currency" in positions:
        found.append("currency")
    unknown = drift.unknown_columns(header, positions)
    if any(drift.is_email_column(name) for _, name in unknown):
        found.append("privacy")
    return found


def find_lines(con: duckdb.DuckDBPyConnection, batch: Batch, mapping: Mapping) -> RecordLines:
    """The physical lines of a CSV file's rejected records and reader rejects."""
    if batch.file_format != "csv" or batch.text is None or batch.reader_rejects is None:
        return RecordLines()
    wanted = dict(
        con.execute("select _record, _raw_line from _typed where _reject is not null").fetchall()
    )
    reader_lines = {
        row[0]
        for row in con.execute(
            f"select distinct line from {ident(batch.reader_rejects)}"
        ).fetchall()
    }
    if not wanted and not reader_lines:
        return RecordLines()
    skip = mapping.header_row + mapping.skip_after_header
    return csv_record_lines(batch.text, batch.delimiter, skip, wanted, reader_lines)


def row_rules(mapping: Mapping, header: list[str], job: FileJob, reading: Reading) -> RowRules:
    """The row rules of a file; its unknown columns go to `_extra` or quarantine it, per policy."""
    positions = mapping.source_columns(header)
    unknown = drift.unknown_columns(header, positions)
    added = drift.added_columns(unknown, job.source.drift)
    reading.drift.extend(added)
    if added and job.source.drift.unknown_column == "quarantine":
        raise UnreadableFile(drift.describe(added))
    if added:
        reading.notes.append(
            f"unknown column(s) {', '.join(d.column for d in added)} kept in raw._extra"
        )
    extra_sql = drift.extra_sql(unknown, job.source.privacy, job.settings.pii_salt)
    return RowRules(mapping, positions, job.settings.currency, extra_sql)
