"""Readers: one export file -> a SELECT of its records as text fields, one row per record."""

from __future__ import annotations

import csv
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.errors import LoyaltyError
from pipelines.ingest.mappings import Mapping

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)
DELIMITER_CANDIDATES = (",", ";", "\t", "|")
DUCKDB_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "cp1252": "latin-1",
    "windows-1252": "latin-1",
    "utf-16": "utf-16",
}
HEADER_PROBE_BYTES = 1 << 20
# A control character no export uses: read_csv splits on it, so each line stays whole.
LINE_DELIMITER = "\x1f"


class UnreadableFile(LoyaltyError):
    """The file as a whole cannot be read; it is quarantined with this message."""


@dataclass(frozen=True)
class Batch:
    """A file's records as SQL: text fields c0..cn, `_record`, `_format_error`, and its raw line."""

    file_format: str
    header: list[str]
    source_sql: str
    raw_line: str
    csv_rejects: str | None = None


def file_format(path: Path) -> str | None:
    """csv, ndjson or parquet from the file name (an optional .gz is looked through)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(JSON_SUFFIXES):
        return "ndjson"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def read_start(path: Path, encoding: str) -> str:
    """The first megabyte of a (possibly gzipped) text file, decoded strictly."""
    python_encoding = "utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as raw:
        data = raw.read(HEADER_PROBE_BYTES)
    return data.decode(
        python_encoding, errors="ignore" if len(data) == HEADER_PROBE_BYTES else "strict"
    )


def head_lines(path: Path, encoding: str, count: int) -> list[str]:
    """The first `count` lines of a text file, decoded; an unreadable start is an error."""
    try:
        text = read_start(path, encoding)
    except (UnicodeDecodeError, OSError, EOFError, LookupError) as exc:
        raise UnreadableFile(
            f"cannot read the start of the file as {encoding} ({exc}); "
            "set format.encoding in the source mapping"
        ) from exc
    return text.splitlines()[:count]


def sniff_delimiter(line: str, suffix_hint: str) -> str:
    if suffix_hint == ".tsv":
        return "\t"
    return max(DELIMITER_CANDIDATES, key=line.count)


def csv_header(path: Path, mapping: Mapping) -> tuple[list[str], str]:
    """Header fields and delimiter of a CSV file under `mapping`'s format."""
    lines = head_lines(path, mapping.encoding, mapping.header_row)
    if len(lines) < mapping.header_row or not lines[-1].strip():
        raise UnreadableFile("the file has no header line")
    line = lines[mapping.header_row - 1]
    suffix = Path(path.name.removesuffix(".gz")).suffix.lower()
    delimiter = mapping.delimiter or sniff_delimiter(line, suffix)
    header = next(csv.reader([line], delimiter=delimiter))
    return [h.strip() for h in header], delimiter


def json_header(path: Path, mapping: Mapping) -> list[str]:
    """Keys of the first JSON object in an NDJSON file."""
    for line in head_lines(path, mapping.encoding, 100):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            return list(record)
    raise UnreadableFile("no line of the file's start is a JSON object")


def parquet_header(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    try:
        rows = con.execute(
            "select name from parquet_schema(?) where num_children is null", [str(path)]
        ).fetchall()
    except duckdb.Error as exc:
        raise UnreadableFile(f"not a readable Parquet file ({first_line(exc)})") from exc
    return [r[0] for r in rows]


def header_for(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, mapping: Mapping) -> list[str]:
    if fmt == "csv":
        return csv_header(path, mapping)[0]
    if fmt == "ndjson":
        return json_header(path, mapping)
    return parquet_header(con, path)


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def csv_source(path: Path, mapping: Mapping, tag: str) -> Batch:
    header, delimiter = csv_header(path, mapping)
    encoding = DUCKDB_ENCODINGS.get(mapping.encoding.lower())
    if encoding is None:
        raise UnreadableFile(
            f"encoding {mapping.encoding!r} is not supported; use one of "
            f"{', '.join(sorted(set(DUCKDB_ENCODINGS)))}"
        )
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    rejects = f"_csv_rejects_{tag}"
    fields = ", ".join(f"c{i}" for i in range(len(header)))
    padded = ", ".join(f"coalesce(c{i}, '')" for i in range(len(header)))
    source = f"""
        select row_number() over () as _record, null::varchar as _format_error, {fields}
        from read_csv({sql_literal(str(path))},
            header = false, skip = {mapping.header_row + mapping.skip_after_header},
            columns = {columns}, delim = {sql_literal(delimiter)}, quote = '"', escape = '"',
            encoding = '{encoding}', compression = 'auto', auto_detect = false,
            null_padding = false, store_rejects = true,
            rejects_table = '{rejects}', rejects_scan = '{rejects}_scan')
    """
    return Batch("csv", header, source, f"concat_ws({sql_literal(delimiter)}, {padded})", rejects)


def ndjson_source(path: Path, mapping: Mapping) -> Batch:
    header = json_header(path, mapping)
    fields = ", ".join(
        f"json_extract_string(case when _ok then line end, {sql_literal('$.' + json.dumps(key))}) as c{i}"
        for i, key in enumerate(header)
    )
    encoding = DUCKDB_ENCODINGS.get(mapping.encoding.lower(), "utf-8")
    source = f"""
        with text_lines as (
            select line, coalesce(json_valid(line), false) as _valid
            from read_csv({sql_literal(str(path))}, header = false, columns = {{'line': 'VARCHAR'}},
                delim = '{LINE_DELIMITER}', quote = '', escape = '', auto_detect = false,
                compression = 'auto', encoding = '{encoding}')
            where trim(line) <> ''
        ),
        lines as (
            select line, _valid and json_type(case when _valid then line end) = 'OBJECT' as _ok
            from text_lines
        )
        select row_number() over () as _record,
               case when not _ok then 'the line is not a complete JSON object (truncated or garbage)' end
                   as _format_error,
               line,
               {fields}
        from lines
    """
    return Batch("ndjson", header, source, "line")


def parquet_source(con: duckdb.DuckDBPyConnection, path: Path) -> Batch:
    header = parquet_header(con, path)
    fields = ", ".join(f'cast("{h}" as varchar) as c{i}' for i, h in enumerate(header))
    padded = ", ".join(f"coalesce(c{i}, '')" for i in range(len(header)))
    source = f"""
        select row_number() over () as _record, null::varchar as _format_error, *
        from (select {fields} from read_parquet({sql_literal(str(path))}))
    """
    return Batch("parquet", header, source, f"concat_ws(',', {padded})")


def batch_source(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, mapping: Mapping, tag: str
) -> Batch:
    """How to read `path`: the SELECT of its records as text fields, to be typed by the checks."""
    if fmt == "csv":
        return csv_source(path, mapping, tag)
    if fmt == "ndjson":
        return ndjson_source(path, mapping)
    return parquet_source(con, path)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
