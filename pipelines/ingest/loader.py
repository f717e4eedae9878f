"""Landing zone -> raw: one transaction per file, the ledger, rejects and quarantine.

Every file found in the landing zone ends in one of four ways: loaded (its good rows in
raw, its bad rows in audit.rejects with line and reason), quarantined whole with a reason,
skipped as a duplicate of a file the ledger knows, or left for the next run while it is
still being written. A file that cannot be read, whose name is not valid UTF-8, or that is
a link leaving the landing zone is quarantined; the run goes on with the other files.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.config import Settings
from pipelines.incremental import forget_state
from pipelines.ingest import drift, fingerprints
from pipelines.ingest.checks import SEPARATOR, RowRules, typed_batch_sql
from pipelines.ingest.entities import ENTITIES, FLAG_NAME, Entity
from pipelines.ingest.lines import RecordLines, csv_record_lines
from pipelines.ingest.mappings import Mapping, load_mappings
from pipelines.ingest.readers import (
    Batch,
    FileAccess,
    batch_source,
    file_format,
    first_line,
    header_for,
)
from pipelines.ingest.text import DamagedFile, UnreadableFile, content_size, too_large
from pipelines.ingest.yaml_files import read_yaml
from pipelines.quoting import UnsafeText, ident, literal, path_literal, plain_name
from pipelines.warehouse import hold_file_id

HASH_CHUNK = 1 << 22
STILL_WRITTEN = "the file is still being written; it is left for the next run"
IGNORED_SUFFIXES = (".ready", ".part", ".tmp", ".crdownload", ".filepart")
# Ledger keys of files quarantined without being read: they have no content hash.
UNREAD = "unread:"
# A rejected line longer than this is kept in audit.rejects cut to this many characters.
MAX_RAW_LINE = 10_000
CSV_ERROR_REASONS = {
    "MISSING COLUMNS": "the row has fewer fields than the header",
    "TOO MANY COLUMNS": "the row has more fields than the header (an unquoted delimiter in a text?)",
    "UNQUOTED VALUE": "a quote inside an unquoted field (a stray quote?)",
    "LINE SIZE OVER MAXIMUM": "the line is longer than the maximum line size of the reader",
    "INVALID ENCODING": "the line contains bytes that are not valid in the encoding of the file",
    "INVALID STATE": "the line cannot be parsed (quotes or delimiters out of place)",
}
NOT_A_LINE = "the line is not a complete JSON object (the reader could not take it as one line)"


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


@dataclass(frozen=True)
class SourceConfig:
    """What sources.yaml says about one entity: its mappings, drift policy and privacy rules."""

    mappings: list[Mapping]
    drift: drift.DriftPolicy
    privacy: drift.Privacy


def load_sources(sources_file: Path) -> dict[str, SourceConfig]:
    config = read_yaml(sources_file)
    mappings = load_mappings(config, sources_file)
    policies = drift.load_policies(config, sources_file)
    privacy = drift.load_privacy(config, sources_file)
    return {name: SourceConfig(mappings[name], policies[name], privacy) for name in mappings}


class MissingColumns(UnreadableFile):
    """No mapping fits: required columns are missing (the closest mapping's are listed)."""

    def __init__(self, message: str, columns: list[str]) -> None:
        super().__init__(message)
        self.columns = columns


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


@dataclass(frozen=True)
class LedgerEntry:
    """A file the ledger knows, and whether a settings change wants it read again."""

    file_id: int
    sha256: str
    status: str
    awaiting_reload: str | None


@dataclass
class Ledger:
    """The ledger as one ingest needs it: entries by content hash, hashes by path, size, mtime."""

    entries: dict[str, LedgerEntry]
    by_stat: dict[tuple[str, int, int], str]

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> Ledger:
        rows = con.execute(
            "select file_id, sha256, status, awaiting_reload, path, size_bytes, mtime_ns "
            "from audit.files"
        ).fetchall()
        return cls(
            {
                sha: LedgerEntry(file_id, sha, status, awaiting)
                for file_id, sha, status, awaiting, *_ in rows
            },
            {
                (path, size, mtime): sha
                for _, sha, _, _, path, size, mtime in rows
                if mtime is not None and not sha.startswith(UNREAD)
            },
        )


def shown(path: Path) -> str:
    """A path as text: bytes that are not UTF-8 written as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def unread_key(path: Path, problem: str) -> str:
    """The ledger key of a file quarantined unread: its path, state and problem."""
    try:
        stat = path.lstat()
        state = f"{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        state = "gone"
    return UNREAD + hashlib.sha256(f"{shown(path)}\0{state}\0{problem}".encode()).hexdigest()


def landing_files(
    landing: Path, entities: list[str] | None = None
) -> Iterator[tuple[Entity, Path]]:
    """Every candidate export file in the landing zone, by entity, in name order.

    Links are candidates too (the ingest quarantines those that leave the landing zone);
    a link to a folder inside the landing zone is not, its files are found where they are.
    """
    for entity in ENTITIES.values():
        if entities and entity.name not in entities:
            continue
        folder = landing / entity.folder
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_symlink() or p.is_file()):
            if path.name.startswith((".", "_")) or path.name.endswith(IGNORED_SUFFIXES):
                continue
            if path.is_symlink() and path.is_dir() and link_problem(path, landing, folder) is None:
                continue
            yield entity, path


def link_problem(path: Path, landing: Path, folder: Path) -> str | None:
    """Why a link may not be followed: it points to nothing, or out of the landing zone."""
    if not path.is_symlink():
        return None
    try:
        target = path.resolve()
    except (OSError, RuntimeError):
        return "a symbolic link that leads in a loop; it is not followed"
    if not target.exists():
        return f"a symbolic link that points to nothing ({shown(target)}); it is not followed"
    roots = (landing.resolve(), folder.resolve())
    if not any(target.is_relative_to(root) for root in roots):
        return (
            f"a symbolic link to {shown(target)}, outside the landing zone; links out of it "
            "are not followed: copy the file into the landing zone instead"
        )
    if not target.is_file():
        return f"a symbolic link to {shown(target)}, which is not a file"
    return None


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


@dataclass(frozen=True)
class LedgerRow:
    """The ledger row one outcome is written to: a new one, or that of the file read before."""

    file_id: int
    sha256: str
    entity: Entity
    path: Path
    run_id: int | None
    replacing: bool = False


def record_file(
    con: duckdb.DuckDBPyConnection,
    row: LedgerRow,
    result: FileResult,
    rows_in_file: int | None,
    depends_on: str | None,
) -> None:
    """Write the file's ledger row, and its schema drift."""
    try:
        stat = row.path.stat()
        size, mtime = stat.st_size, stat.st_mtime_ns
    except OSError:
        size, mtime = 0, None
    values = [
        row.entity.name,
        shown(row.path),
        shown(Path(row.path.name)),
        size,
        mtime,
        result.mapping,
        result.status,
        rows_in_file,
        result.rows_loaded,
        result.rows_rejected,
        result.reason,
        "; ".join(result.notes) or None,
        row.run_id,
        depends_on,
    ]
    if row.replacing:
        con.execute(
            """
            update audit.files set entity = ?, path = ?, file_name = ?, size_bytes = ?,
                mtime_ns = ?, mapping = ?, status = ?, rows_in_file = ?, rows_loaded = ?,
                rows_rejected = ?, reason = mask_pii(?), notes = ?, loaded_at = now(),
                run_id = ?, depends_on = ?, awaiting_reload = null
            where file_id = ?
            """,
            [*values, row.file_id],
        )
    else:
        con.execute(
            """
            insert into audit.files (entity, path, file_name, size_bytes, mtime_ns, mapping,
                status, rows_in_file, rows_loaded, rows_rejected, reason, notes, run_id,
                depends_on, file_id, sha256, loaded_at)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, mask_pii(?), ?, ?, ?, ?, ?, now())
            """,
            [*values, row.file_id, row.sha256],
        )
        con.execute(
            "delete from audit.files where path = ? and starts_with(sha256, ?) and file_id <> ?",
            [shown(row.path), UNREAD, row.file_id],
        )
    drift.record_drift(con, row.file_id, row.entity.name, result.drift)


def insert_rows(con: duckdb.DuckDBPyConnection, entity: Entity, file_id: int) -> int:
    columns_sql = ", ".join(plain_name(c) for c in entity.columns)
    return inserted(
        con,
        f"insert into raw.{plain_name(entity.name)} (_file_id, _record, {columns_sql}, _extra) "
        f"select ?, _record, {columns_sql}, _extra from _typed where _reject is null",
        [file_id],
    )


def inserted(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | dict[str, object]
) -> int:
    """Run an INSERT and return how many rows it wrote (DuckDB answers with that count)."""
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def raw_line_sql(column_sql: str) -> str:
    """A rejected line as audit.rejects keeps it: masked, and cut when it is very long."""
    return f"mask_pii(left({column_sql}, {MAX_RAW_LINE:d}))"


def record_line_sql(batch: Batch) -> str:
    """The physical line of a rejected record of `_typed`, where it is known."""
    if batch.file_format == "ndjson" and batch.reader_rejects:
        # A line the reader rejected is missing from the rows: count it back in.
        return (
            "_typed._line + (select count(*) from (select line - row_number() over (order by line) "
            f"as rows_before from (select distinct line from {ident(batch.reader_rejects)})) "
            "as shifts where shifts.rows_before < _typed._line)"
        )
    if batch.file_format == "csv":
        return "lines.line"
    return "_typed._line"


def insert_rejects(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    file_id: int,
    batch: Batch,
    lines: RecordLines,
) -> int:
    count = inserted(
        con,
        f"""
        insert into audit.rejects (file_id, entity, record, line, "column", reason, raw_line)
        select $file_id, $entity, _typed._record, {record_line_sql(batch)},
               nullif(split_part(_reject, $separator, 1), ''),
               mask_pii(split_part(_reject, $separator, 2)), {raw_line_sql("_raw_line")}
        from _typed
        left join (select unnest($records::bigint[]) as record, unnest($lines::bigint[]) as line)
            as lines on lines.record = _typed._record
        where _reject is not null
        """,
        {
            "file_id": file_id,
            "entity": entity.name,
            "separator": SEPARATOR,
            "records": list(lines.records),
            "lines": list(lines.records.values()),
        },
    )
    if batch.reader_rejects:
        count += insert_reader_rejects(
            con,
            batch,
            {
                "file_id": file_id,
                "entity": entity.name,
                "reader_lines": list(lines.reader),
                "first_lines": [first for first, _ in lines.reader.values()],
                "last_lines": [last for _, last in lines.reader.values()],
            },
        )
    return count


def insert_reader_rejects(
    con: duckdb.DuckDBPyConnection, batch: Batch, params: dict[str, object]
) -> int:
    """The records DuckDB's reader itself rejected, by their physical lines where known."""
    cases_sql = " ".join(
        f"when {literal(k)} then {literal(v)}" for k, v in CSV_ERROR_REASONS.items()
    )
    if batch.file_format == "ndjson":
        reason_sql = f"{literal(NOT_A_LINE)} || ' (line ' || first_line || ')'"
    else:
        reason_sql = f"""
            case when last_line > first_line then
                'a quote on line ' || first_line || ' is not closed where its field ends, so lines '
                || first_line || ' to ' || last_line
                || ' were read as one record and rejected together; fix the quote and deliver the file again'
            else coalesce(case error_type {cases_sql} end, error_message) || ' (line ' || first_line || ')'
            end
        """
    return inserted(
        con,
        f"""
        insert into audit.rejects (file_id, entity, record, line, "column", reason, raw_line)
        select $file_id, $entity, null, first_line, null, {reason_sql}, {raw_line_sql("csv_line")}
        from (
            select coalesce(any_value(mapped.first_line), rejects.line) as first_line,
                   coalesce(any_value(mapped.last_line), rejects.line
                       + length(any_value(csv_line)) - length(replace(any_value(csv_line), chr(10), '')))
                       as last_line,
                   min(error_type::varchar) as error_type, min(error_message) as error_message,
                   any_value(trim(csv_line, chr(13) || chr(10))) as csv_line
            from {ident(batch.reader_rejects)} as rejects
            left join (
                select unnest($reader_lines::bigint[]) as reader_line,
                       unnest($first_lines::bigint[]) as first_line,
                       unnest($last_lines::bigint[]) as last_line
            ) as mapped on mapped.reader_line = rejects.line
            group by rejects.line
        )
        """,
        params,
    )


def read_batch(con: duckdb.DuckDBPyConnection, sql: str, fmt: str) -> None:
    """Run the typing SQL; a file DuckDB cannot read at all becomes UnreadableFile."""
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        raise UnreadableFile(f"cannot read the file as {fmt}: {first_line(exc)}") from exc


def has_invalid_encoding(con: duckdb.DuckDBPyConnection, batch: Batch) -> bool:
    if batch.file_format != "csv" or not batch.reader_rejects:
        return False
    row = con.execute(
        f"select count(*) from {ident(batch.reader_rejects)} where error_type = 'INVALID ENCODING'"
    ).fetchone()
    return bool(row and row[0])


def read_file(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    access: FileAccess,
    source: SourceConfig,
    settings: Settings,
    tag: str,
    result: FileResult,
) -> tuple[Batch, RecordLines]:
    """Type the file's records into `_typed`, applying the drift policy to its columns.

    A CSV file whose first read fails, or shows bytes that are not UTF-8, is read once
    more from a repaired copy (encoding detected, line endings normalized).
    """
    fmt = file_format(access.path)
    if fmt is None:
        raise UnreadableFile("unknown file type: use .csv, .tsv, .ndjson, .jsonl or .parquet")
    if access.size == 0:
        raise UnreadableFile("the file is empty (0 bytes)")
    result.depends_on = ["max_file_bytes"]
    access.size = content_size(access.path, settings.max_file_bytes)
    result.depends_on = [
        f"order:{entity.name}",
        *(f"mapping:{m.name}" for m in source.mappings),
    ]
    mapping, header = choose_mapping(con, access, fmt, source.mappings, tag)
    result.mapping = mapping.name
    result.depends_on = dependencies(entity, mapping, header, source)
    rules = row_rules(mapping, header, source, settings, result)
    con.execute("set TimeZone = ?", [mapping.timezone])
    batch = batch_source(con, access, fmt, mapping, tag)
    first_error: UnreadableFile | None = None
    try:
        read_batch(con, typed_batch_sql(entity, rules, batch), fmt)
    except UnreadableFile as exc:
        if not batch.repairable:
            raise
        first_error = exc
    if batch.repairable and (first_error or has_invalid_encoding(con, batch)):
        batch = batch_source(con, access, fmt, mapping, f"{tag}_repaired", repair=True)
        try:
            read_batch(con, typed_batch_sql(entity, rules, batch), fmt)
        except UnreadableFile as exc:
            raise (first_error or exc) from None
    result.notes.extend(batch.notes)
    changed = drift.type_changes(con, entity, source.drift)
    result.drift.extend(changed)
    if any(d.action == "quarantined" for d in changed):
        raise UnreadableFile(drift.describe(changed))
    return batch, find_lines(con, batch, mapping)


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


def row_rules(
    mapping: Mapping,
    header: list[str],
    source: SourceConfig,
    settings: Settings,
    result: FileResult,
) -> RowRules:
    """The row rules of a file; its unknown columns go to `_extra` or quarantine it, per policy."""
    positions = mapping.source_columns(header)
    unknown = drift.unknown_columns(header, positions)
    added = drift.added_columns(unknown, source.drift)
    result.drift.extend(added)
    if added and source.drift.unknown_column == "quarantine":
        raise UnreadableFile(drift.describe(added))
    if added:
        result.notes.append(
            f"unknown column(s) {', '.join(d.column for d in added)} kept in raw._extra"
        )
    extra_sql = drift.extra_sql(unknown, source.privacy, settings.pii_salt)
    return RowRules(mapping, positions, settings.currency, extra_sql)


class FileChanged(Exception):
    """The file changed while it was read: its writer is not done."""


def fingerprint(path: Path) -> tuple[int, int] | None:
    """Size and modification time; None once the file is gone."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns


def delete_rows(con: duckdb.DuckDBPyConnection, entity: Entity, file_id: int) -> int:
    """Remove what an earlier read of a file left in raw and audit; return the raw rows removed."""
    removed = inserted(
        con, f"delete from raw.{plain_name(entity.name)} where _file_id = ?", [file_id]
    )
    con.execute("delete from audit.rejects where file_id = ?", [file_id])
    con.execute("delete from audit.schema_drift where file_id = ?", [file_id])
    return removed


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


def load_file(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    sha: str,
    source: SourceConfig,
    settings: Settings,
    room: ReadingRoom,
    run_id: int | None = None,
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
    row = LedgerRow(
        replacing.file_id if replacing else new_file_id(con),
        sha,
        entity,
        path,
        run_id,
        replacing is not None,
    )
    result = FileResult(Path(shown(path)), entity.name, "loaded", reloaded=row.replacing)
    if replacing:
        result.notes.append(f"re-read: {replacing.awaiting_reload}; its earlier rows were replaced")
    try:
        with room.access(path) as access:
            batch, lines = read_file(
                con, entity, access, source, settings, str(row.file_id), result
            )
            depends_on = fingerprints.fingerprint(result.depends_on, source, settings)

            def write() -> None:
                result.rows_loaded = insert_rows(con, entity, row.file_id)
                result.rows_rejected = insert_rejects(con, entity, row.file_id, batch, lines)
                if seen_as is not None and fingerprint(path) != seen_as:
                    raise FileChanged
                in_file = result.rows_loaded + result.rows_rejected
                record_file(con, row, result, in_file, depends_on)

            write_outcome(con, row, write)
    except (UnreadableFile, UnsafeText, OSError, UnicodeError) as exc:
        missing = drift.missing_required(exc.columns) if isinstance(exc, MissingColumns) else []
        settings_matter = isinstance(exc, UnreadableFile) and not isinstance(exc, DamagedFile)
        result = FileResult(
            result.path,
            entity.name,
            "quarantined",
            reason=quarantine_reason(exc),
            mapping=result.mapping,
            notes=result.notes[:1] if replacing else [],
            drift=[*result.drift, *missing],
            depends_on=result.depends_on if settings_matter else [],
            reloaded=row.replacing,
        )
        quarantine(con, row, result, source, settings)
    except FileChanged:
        result = FileResult(result.path, entity.name, "waiting", reason=STILL_WRITTEN)
    finally:
        con.execute("set TimeZone = 'UTC'")
        drop_temp_tables(con)
    return result


def quarantine_reason(exc: BaseException) -> str:
    """The reason a file was quarantined, for people: an OS error says what the system said."""
    if isinstance(exc, OSError):
        return f"cannot read the file: {exc.strerror or exc}"
    if isinstance(exc, UnicodeError):
        return f"cannot decode the file ({exc}); set format.encoding in the source mapping"
    return str(exc)


def new_file_id(con: duckdb.DuckDBPyConnection) -> int:
    """One more than the ledger's largest id; the writer lock makes this safe.

    A DuckDB sequence would be simpler, but its advance can be lost when the process is
    killed, and the next file would then collide with a committed one.
    """
    row = con.execute("select coalesce(max(file_id), 0) + 1 from audit.files").fetchone()
    return int(row[0]) if row else 1


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


def quarantine(
    con: duckdb.DuckDBPyConnection,
    row: LedgerRow,
    result: FileResult,
    source: SourceConfig,
    settings: Settings,
) -> None:
    depends_on = fingerprints.fingerprint(result.depends_on, source, settings)
    write_outcome(con, row, lambda: record_file(con, row, result, None, depends_on))


def write_outcome(
    con: duckdb.DuckDBPyConnection, row: LedgerRow, write: Callable[[], None]
) -> None:
    """In one transaction: remove what an earlier read of the file left, then `write`.

    When rows were removed, the last build read rows that are gone: the next one is full.
    """
    con.execute("begin transaction")
    try:
        removed = delete_rows(con, row.entity, row.file_id) if row.replacing else 0
        hold_file_id(con, row.file_id, new=not row.replacing)
        write()
        if removed:
            forget_state(con)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def settled(path: Path, ready_flag: Path, settle_seconds: float) -> tuple[int, int] | None:
    """The file's fingerprint once it has been still for `settle_seconds`, else None.

    A writer that is still appending keeps the modification time young; such a file is
    waited for at most `settle_seconds` and then left for the next run. A `_ready` flag
    touched after the file's last change settles it at once.
    """
    deadline = time.monotonic() + settle_seconds
    while (seen := fingerprint(path)) is not None:
        mtime = seen[1] / 1e9
        age = time.time() - mtime
        flagged = ready_flag.exists() and ready_flag.stat().st_mtime_ns >= seen[1]
        if age >= settle_seconds or flagged:
            return seen
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        time.sleep(min(settle_seconds - age, remaining) + 0.01)
    return None


def mark_awaiting_reload(
    con: duckdb.DuckDBPyConnection, sources: dict[str, SourceConfig], settings: Settings
) -> None:
    """Note in the ledger which files were read under settings that have changed since."""
    rows = con.execute(
        "select file_id, entity, depends_on, awaiting_reload from audit.files "
        "where depends_on is not null"
    ).fetchall()
    updates = []
    for file_id, entity, depends_on, awaiting in rows:
        why = fingerprints.changes(depends_on, sources[entity], settings)
        if why != awaiting:
            updates.append([why, file_id])
    if updates:
        con.executemany("update audit.files set awaiting_reload = ? where file_id = ?", updates)


def quarantine_unread(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    reason: str,
    ledger: Ledger,
    run_id: int | None,
    source: SourceConfig,
    settings: Settings,
    depends_on: list[str],
) -> FileResult:
    """Quarantine a file that is not read at all; once per problem, not once per run."""
    key = unread_key(path, reason)
    if key in ledger.entries:
        return FileResult(Path(shown(path)), entity.name, "duplicate")
    result = FileResult(
        Path(shown(path)), entity.name, "quarantined", reason=reason, depends_on=depends_on
    )
    quarantine(
        con, LedgerRow(new_file_id(con), key, entity, path, run_id), result, source, settings
    )
    ledger.entries[key] = LedgerEntry(0, key, "quarantined", None)
    return result


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    source: SourceConfig,
    settings: Settings,
    ledger: Ledger,
    room: ReadingRoom,
    run_id: int | None,
) -> FileResult:
    """One landing file: quarantined unread, waited for, skipped, read again or loaded."""
    args = (con, entity, path)
    folder = settings.landing / entity.folder
    problem = link_problem(path, settings.landing, folder)
    if problem:
        return quarantine_unread(*args, problem, ledger, run_id, source, settings, [])
    seen_as = settled(path, folder / FLAG_NAME, settings.settle_seconds)
    if seen_as is None:
        return FileResult(Path(shown(path)), entity.name, "waiting", reason=STILL_WRITTEN)
    if seen_as[0] > settings.max_file_bytes:
        reason = str(too_large(f"is {seen_as[0]:,} bytes, larger than", settings.max_file_bytes))
        return quarantine_unread(
            *args, reason, ledger, run_id, source, settings, ["max_file_bytes"]
        )
    sha = ledger.by_stat.get((shown(path), *seen_as))
    if sha is None:
        try:
            sha = sha256_of(path)
        except OSError as exc:
            reason = f"{quarantine_reason(exc)}; once it can be read, the next run loads it"
            return quarantine_unread(*args, reason, ledger, run_id, source, settings, [])
    known = ledger.entries.get(sha)
    if known is not None and not known.awaiting_reload:
        return FileResult(Path(shown(path)), entity.name, "duplicate")
    result = load_file(*args, sha, source, settings, room, run_id, seen_as, known)
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
    with reading_room(settings) as room:
        for entity, path in landing_files(settings.landing, entities):
            result = ingest_file(
                con, entity, path, sources[entity.name], settings, ledger, room, run_id
            )
            summary.files.append(result)
            if on_file:
                on_file(result)
    return summary
