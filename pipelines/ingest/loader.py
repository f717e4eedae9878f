"""Landing zone -> raw: one transaction per file, the ledger, rejects and quarantine."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.config import Settings
from pipelines.ingest.checks import SEPARATOR, RowRules, typed_batch_sql
from pipelines.ingest.entities import ENTITIES, Entity
from pipelines.ingest.mappings import Mapping, load_mappings
from pipelines.ingest.readers import (
    UnreadableFile,
    batch_source,
    file_format,
    first_line,
    header_for,
)

HASH_CHUNK = 1 << 22
IGNORED_SUFFIXES = (".ready", ".part", ".tmp", ".crdownload", ".filepart")
CSV_ERROR_REASONS = {
    "MISSING COLUMNS": "the row has fewer fields than the header",
    "TOO MANY COLUMNS": "the row has more fields than the header (an unquoted delimiter in a text?)",
    "UNQUOTED VALUE": "a quote inside an unquoted field (a stray quote?)",
    "LINE SIZE OVER MAXIMUM": "the line is longer than the maximum line size of the reader",
    "INVALID UNICODE": "the line contains bytes that are not valid in the encoding of the file",
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
            f"duplicates, {self.count('quarantined')} quarantined; rows: {self.rows_loaded} "
            f"loaded, {self.rows_rejected} rejected"
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


def choose_mapping(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, mappings: list[Mapping]
) -> tuple[Mapping, list[str]]:
    """The first mapping whose required columns the file's header has."""
    problems = []
    for mapping in mappings:
        try:
            header = header_for(con, path, fmt, mapping)
        except UnreadableFile as exc:
            problems.append(f"{mapping.name}: {exc}")
            continue
        missing = mapping.missing_required(header)
        if not missing:
            return mapping, header
        problems.append(f"{mapping.name}: missing required column(s) {', '.join(missing)}")
    raise UnreadableFile(
        "no source mapping fits the file ("
        + "; ".join(problems)
        + "); rename the columns or add a mapping to sources/sources.yaml"
    )


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
    con.execute(
        """
        insert into audit.files (file_id, sha256, entity, path, file_name, size_bytes, mapping,
            status, rows_in_file, rows_loaded, rows_rejected, reason, loaded_at, run_id)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?)
        """,
        [
            file_id,
            sha,
            entity.name,
            str(path),
            path.name,
            path.stat().st_size,
            result.mapping,
            result.status,
            rows_in_file,
            result.rows_loaded,
            result.rows_rejected,
            result.reason,
            run_id,
        ],
    )


def insert_rows(con: duckdb.DuckDBPyConnection, entity: Entity, file_id: int) -> int:
    columns = ", ".join(entity.columns)
    return inserted(
        con,
        f"insert into raw.{entity.name} (_file_id, _record, {columns}) "
        f"select {file_id}, _record, {columns} from _typed where _reject is null",
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
               split_part(_reject, '{SEPARATOR}', 2), _raw_line
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
                   coalesce(case error_type {cases} end, error_message) || ' (line ' || line || ')',
                   csv_line
            from (
                select line, min(error_type::varchar) as error_type,
                       min(error_message) as error_message, any_value(csv_line) as csv_line
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


def load_file(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    sha: str,
    mappings: list[Mapping],
    settings: Settings,
    run_id: int | None = None,
) -> FileResult:
    """Load one file in one transaction, or quarantine it whole; the ledger commits with it."""
    file_id = int(con.execute("select nextval('audit.file_ids')").fetchone()[0])  # type: ignore[index]
    result = FileResult(path, entity.name, "loaded")
    con.execute("begin transaction")
    try:
        fmt = file_format(path)
        if fmt is None:
            raise UnreadableFile("unknown file type: use .csv, .tsv, .ndjson, .jsonl or .parquet")
        if path.stat().st_size == 0:
            raise UnreadableFile("the file is empty (0 bytes)")
        mapping, _ = choose_mapping(con, path, fmt, mappings)
        result.mapping = mapping.name
        con.execute(f"set TimeZone = '{mapping.timezone}'")
        batch = batch_source(con, path, fmt, mapping, str(file_id))
        rules = RowRules(mapping, mapping.source_columns(batch.header), settings.currency)
        read_batch(con, typed_batch_sql(entity, rules, batch), fmt)
        result.rows_loaded = insert_rows(con, entity, file_id)
        result.rows_rejected = insert_rejects(con, entity, file_id, batch.csv_rejects)
        record_file(
            con,
            file_id,
            sha,
            entity,
            path,
            result,
            result.rows_loaded + result.rows_rejected,
            run_id,
        )
        con.execute("commit")
    except UnreadableFile as exc:
        con.execute("rollback")
        result = FileResult(
            path, entity.name, "quarantined", reason=str(exc), mapping=result.mapping
        )
        quarantine(con, file_id, sha, entity, path, result, run_id)
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.execute("set TimeZone = 'UTC'")
        for table in (
            "_batch",
            "_typed",
            f"_csv_rejects_{file_id}",
            f"_csv_rejects_{file_id}_scan",
        ):
            con.execute(f"drop table if exists {table}")
    return result


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


def ingest_landing(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: int | None = None,
    entities: list[str] | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestSummary:
    """Load every file of the landing zone that the ledger has not seen, file by file."""
    mappings = load_mappings(settings.sources_file)
    seen = known_hashes(con)
    summary = IngestSummary()
    for entity, path in landing_files(settings.landing, entities):
        sha = sha256_of(path)
        if sha in seen:
            result = FileResult(path, entity.name, "duplicate")
        else:
            result = load_file(con, entity, path, sha, mappings[entity.name], settings, run_id)
            seen.add(sha)
        summary.files.append(result)
        if on_file:
            on_file(result)
    return summary
