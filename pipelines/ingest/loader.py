"""Landing zone -> raw: one transaction per file, the ledger, rejects and quarantine."""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from pipelines.config import Settings
from pipelines.ingest import drift
from pipelines.ingest.checks import SEPARATOR, RowRules, typed_batch_sql
from pipelines.ingest.entities import ENTITIES, Entity
from pipelines.ingest.mappings import Mapping, load_mappings
from pipelines.ingest.readers import Batch, batch_source, file_format, first_line, header_for
from pipelines.ingest.text import DamagedFile, UnreadableFile, check_gzip

HASH_CHUNK = 1 << 22
STILL_WRITTEN = "the file is still being written; it is left for the next run"
IGNORED_SUFFIXES = (".ready", ".part", ".tmp", ".crdownload", ".filepart")
CSV_ERROR_REASONS = {
    "MISSING COLUMNS": "the row has fewer fields than the header",
    "TOO MANY COLUMNS": "the row has more fields than the header (an unquoted delimiter in a text?)",
    "UNQUOTED VALUE": "a quote inside an unquoted field (a stray quote?)",
    "LINE SIZE OVER MAXIMUM": "the line is longer than the maximum line size of the reader",
    "INVALID ENCODING": "the line contains bytes that are not valid in the encoding of the file",
    "INVALID STATE": "the line cannot be parsed (quotes or delimiters out of place)",
}


@dataclass
class FileResult:
    """What happened to one file."""

    path: Path
    entity: str
    status: str
    rows_loaded: int = 0
    rows_rejected: int = 0
    reason: str | None = None
    mapping: str | None = None
    notes: list[str] = field(default_factory=list)
    drift: list[drift.Drift] = field(default_factory=list)


@dataclass(frozen=True)
class SourceConfig:
    """What sources.yaml says about one entity: its mappings, drift policy and privacy rules."""

    mappings: list[Mapping]
    drift: drift.DriftPolicy
    privacy: drift.Privacy


def load_sources(sources_file: Path) -> dict[str, SourceConfig]:
    config = yaml.safe_load(sources_file.read_text(encoding="utf-8")) or {}
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
        return (
            f"files: {self.count('loaded')} loaded, {self.count('duplicate')} skipped as "
            f"duplicates, {self.count('quarantined')} quarantined"
            + (
                f", {self.count('waiting')} still being written (left for the next run)"
                if self.count("waiting")
                else ""
            )
            + f"; rows: {self.rows_loaded} loaded, {self.rows_rejected} rejected"
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def landing_files(
    landing: Path, entities: list[str] | None = None
) -> Iterator[tuple[Entity, Path]]:
    """Every candidate export file in the landing zone, by entity, in name order."""
    for entity in ENTITIES.values():
        if entities and entity.name not in entities:
            continue
        folder = landing / entity.folder
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if path.name.startswith((".", "_")) or path.name.endswith(IGNORED_SUFFIXES):
                continue
            yield entity, path


def known_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("select sha256 from audit.files").fetchall()}


def known_files(con: duckdb.DuckDBPyConnection) -> set[tuple[str, int, int]]:
    """Path, size and modification time of every file in the ledger: those need no hashing."""
    rows = con.execute(
        "select path, size_bytes, mtime_ns from audit.files where mtime_ns is not null"
    ).fetchall()
    return {(path, size, mtime) for path, size, mtime in rows}


def choose_mapping(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, mappings: list[Mapping]
) -> tuple[Mapping, list[str]]:
    """The first mapping whose required columns the file's header has."""
    problems = []
    closest: list[str] | None = None
    for mapping in mappings:
        try:
            header = header_for(con, path, fmt, mapping)
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


def record_file(
    con: duckdb.DuckDBPyConnection,
    file_id: int,
    sha: str,
    entity: Entity,
    path: Path,
    result: FileResult,
    rows_in_file: int | None,
    run_id: int | None,
) -> None:
    stat = path.stat()
    con.execute(
        """
        insert into audit.files (file_id, sha256, entity, path, file_name, size_bytes, mtime_ns,
            mapping, status, rows_in_file, rows_loaded, rows_rejected, reason, notes, loaded_at,
            run_id)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, mask_pii(?), ?, now(), ?)
        """,
        [
            file_id,
            sha,
            entity.name,
            str(path),
            path.name,
            stat.st_size,
            stat.st_mtime_ns,
            result.mapping,
            result.status,
            rows_in_file,
            result.rows_loaded,
            result.rows_rejected,
            result.reason,
            "; ".join(result.notes) or None,
            run_id,
        ],
    )
    drift.record_drift(con, file_id, entity.name, result.drift)


def insert_rows(con: duckdb.DuckDBPyConnection, entity: Entity, file_id: int) -> int:
    columns = ", ".join(entity.columns)
    return inserted(
        con,
        f"insert into raw.{entity.name} (_file_id, _record, {columns}, _extra) "
        f"select {file_id}, _record, {columns}, _extra from _typed where _reject is null",
    )


def inserted(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """Run an INSERT and return how many rows it wrote (DuckDB answers with that count)."""
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def insert_rejects(
    con: duckdb.DuckDBPyConnection, entity: Entity, file_id: int, csv_rejects: str | None
) -> int:
    count = inserted(
        con,
        f"""
        insert into audit.rejects (file_id, entity, record, line, "column", reason, raw_line)
        select {file_id}, '{entity.name}', _record, null,
               nullif(split_part(_reject, '{SEPARATOR}', 1), ''),
               mask_pii(split_part(_reject, '{SEPARATOR}', 2)), mask_pii(_raw_line)
        from _typed where _reject is not null
        """,
    )
    if csv_rejects:
        cases = " ".join(f"when '{k}' then '{v}'" for k, v in CSV_ERROR_REASONS.items())
        count += inserted(
            con,
            f"""
            insert into audit.rejects (file_id, entity, record, line, "column", reason, raw_line)
            select {file_id}, '{entity.name}', null, line, null,
                   case when strpos(csv_line, chr(10)) > 0 then
                       'a quote on line ' || line || ' is not closed where its field ends, so lines '
                       || line || ' to ' || (line + length(csv_line)
                           - length(replace(csv_line, chr(10), '')))
                       || ' were read as one record and rejected together; fix the quote and deliver the file again'
                   else coalesce(case error_type {cases} end, error_message) || ' (line ' || line || ')'
                   end,
                   mask_pii(csv_line)
            from (
                select line, min(error_type::varchar) as error_type,
                       min(error_message) as error_message,
                       any_value(trim(csv_line, chr(13) || chr(10))) as csv_line
                from {csv_rejects} group by line
            )
            """,
        )
    return count


def read_batch(con: duckdb.DuckDBPyConnection, sql: str, fmt: str) -> None:
    """Run the typing SQL; a file DuckDB cannot read at all becomes UnreadableFile."""
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        raise UnreadableFile(f"cannot read the file as {fmt}: {first_line(exc)}") from exc


def has_invalid_encoding(con: duckdb.DuckDBPyConnection, batch: Batch) -> bool:
    if not batch.csv_rejects:
        return False
    row = con.execute(
        f"select count(*) from {batch.csv_rejects} where error_type = 'INVALID ENCODING'"
    ).fetchone()
    return bool(row and row[0])


def read_file(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    source: SourceConfig,
    settings: Settings,
    tag: str,
    workdir: Path,
    result: FileResult,
) -> Batch:
    """Type the file's records into `_typed`, applying the drift policy to its columns.

    A text file whose first read fails, or shows bytes that are not UTF-8, is read once
    more from a repaired copy (encoding detected, line endings normalized).
    """
    fmt = file_format(path)
    if fmt is None:
        raise UnreadableFile("unknown file type: use .csv, .tsv, .ndjson, .jsonl or .parquet")
    if path.stat().st_size == 0:
        raise UnreadableFile("the file is empty (0 bytes)")
    check_gzip(path)
    mapping, header = choose_mapping(con, path, fmt, source.mappings)
    result.mapping = mapping.name
    rules = row_rules(mapping, header, source, settings, result)
    con.execute(f"set TimeZone = '{mapping.timezone}'")
    batch = batch_source(con, path, fmt, mapping, tag, workdir)
    first_error: UnreadableFile | None = None
    try:
        read_batch(con, typed_batch_sql(entity, rules, batch), fmt)
    except UnreadableFile as exc:
        if not batch.repairable:
            raise
        first_error = exc
    if batch.repairable and (first_error or has_invalid_encoding(con, batch)):
        batch = batch_source(con, path, fmt, mapping, f"{tag}_repaired", workdir, repair=True)
        try:
            read_batch(con, typed_batch_sql(entity, rules, batch), fmt)
        except UnreadableFile as exc:
            raise (first_error or exc) from None
    result.notes.extend(batch.notes)
    changed = drift.type_changes(con, entity, source.drift)
    result.drift.extend(changed)
    if any(d.action == "quarantined" for d in changed):
        raise UnreadableFile(drift.describe(changed))
    return batch


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
    extra = drift.extra_sql(unknown, source.privacy, settings.pii_salt)
    return RowRules(mapping, positions, settings.currency, extra)


class FileChanged(Exception):
    """The file changed while it was read: its writer is not done."""


def fingerprint(path: Path) -> tuple[int, int] | None:
    """Size and modification time; None once the file is gone."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns


def load_file(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    sha: str,
    source: SourceConfig,
    settings: Settings,
    run_id: int | None = None,
    seen_as: tuple[int, int] | None = None,
) -> FileResult:
    """Load one file in one transaction, or quarantine it whole; the ledger commits with it.

    The file is read and typed into temporary tables first; only the inserts into raw,
    audit.rejects and the ledger form the transaction.

    `seen_as` is the file's fingerprint when it was found; a file that no longer matches
    it before the commit is rolled back and left for the next run.
    """
    file_id = new_file_id(con)
    result = FileResult(path, entity.name, "loaded")
    try:
        with tempfile.TemporaryDirectory(
            dir=settings.warehouse.parent, prefix=".ingest-"
        ) as workdir:
            batch = read_file(
                con, entity, path, source, settings, str(file_id), Path(workdir), result
            )
            con.execute("begin transaction")
            try:
                result.rows_loaded = insert_rows(con, entity, file_id)
                result.rows_rejected = insert_rejects(con, entity, file_id, batch.csv_rejects)
                if seen_as is not None and fingerprint(path) != seen_as:
                    raise FileChanged
                rows_in_file = result.rows_loaded + result.rows_rejected
                record_file(con, file_id, sha, entity, path, result, rows_in_file, run_id)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
    except UnreadableFile as exc:
        missing = drift.missing_required(exc.columns) if isinstance(exc, MissingColumns) else []
        result = FileResult(
            path,
            entity.name,
            "quarantined",
            reason=str(exc),
            mapping=result.mapping,
            drift=[*result.drift, *missing],
        )
        quarantine(con, file_id, sha, entity, path, result, run_id)
    except FileChanged:
        result = FileResult(path, entity.name, "waiting", reason=STILL_WRITTEN)
    finally:
        con.execute("set TimeZone = 'UTC'")
        drop_temp_tables(con)
    return result


def new_file_id(con: duckdb.DuckDBPyConnection) -> int:
    """One more than the ledger's largest id; the writer lock makes this safe.

    A DuckDB sequence would be simpler, but its advance can be lost when the process is
    killed, and the next file would then collide with a committed one.
    """
    row = con.execute("select coalesce(max(file_id), 0) + 1 from audit.files").fetchone()
    return int(row[0]) if row else 1


def drop_temp_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The batch tables and DuckDB's CSV reject tables of the file just read."""
    names = con.execute(
        "select table_name from duckdb_tables() where temporary "
        "and (table_name in ('_batch', '_typed') or table_name like '\\_csv\\_rejects\\_%' escape '\\')"
    ).fetchall()
    for (name,) in names:
        con.execute(f'drop table if exists "{name}"')


def quarantine(
    con: duckdb.DuckDBPyConnection,
    file_id: int,
    sha: str,
    entity: Entity,
    path: Path,
    result: FileResult,
    run_id: int | None,
) -> None:
    con.execute("begin transaction")
    record_file(con, file_id, sha, entity, path, result, None, run_id)
    con.execute("commit")


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


def ingest_landing(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: int | None = None,
    entities: list[str] | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestSummary:
    """Load every settled file of the landing zone that the ledger has not seen, file by file."""
    sources = load_sources(settings.sources_file)
    seen = known_hashes(con)
    recorded = known_files(con)
    summary = IngestSummary()
    for entity, path in landing_files(settings.landing, entities):
        flag = settings.landing / entity.folder / "_ready"
        seen_as = settled(path, flag, settings.settle_seconds)
        if seen_as is None:
            result = FileResult(path, entity.name, "waiting", reason=STILL_WRITTEN)
        elif (str(path), *seen_as) in recorded or (sha := sha256_of(path)) in seen:
            result = FileResult(path, entity.name, "duplicate")
        else:
            result = load_file(
                con, entity, path, sha, sources[entity.name], settings, run_id, seen_as
            )
            if result.status != "waiting":
                seen.add(sha)
        summary.files.append(result)
        if on_file:
            on_file(result)
    return summary
