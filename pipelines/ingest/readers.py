"""Readers: one export file -> a SELECT of its records as text fields, one row per record."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.ingest.mappings import Mapping
from pipelines.ingest.text import (
    NATIVE_ENCODINGS,
    UnreadableFile,
    canonical_encoding,
    decode_start,
    detect_encoding,
    probe,
    utf8_copy,
)

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)
DELIMITER_CANDIDATES = (",", ";", "\t", "|")
ENCODING_LABELS = {"cp1252": "Windows-1252", "utf-16": "UTF-16", "iso8859-1": "Latin-1"}
# A control character no export uses: read_csv splits on it, so each line stays whole.
LINE_DELIMITER = "\x1f"


@dataclass(frozen=True)
class Batch:
    """A file's records as SQL: text fields c0..cn, `_record`, `_format_error`, and its raw line."""

    file_format: str
    header: list[str]
    source_sql: str
    raw_line: str
    csv_rejects: str | None = None
    notes: tuple[str, ...] = ()
    repairable: bool = False


@dataclass(frozen=True)
class TextSource:
    """What DuckDB reads for a text file: the file itself, or a repaired UTF-8 copy."""

    path: Path
    encoding: str
    notes: tuple[str, ...] = ()


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


def head_lines(path: Path, encoding: str, count: int) -> list[str]:
    """The first `count` lines of a text file, decoded in the encoding it turns out to have."""
    start = probe(path)
    return decode_start(start, detect_encoding(encoding, start)).splitlines()[:count]


def text_source(path: Path, mapping: Mapping, workdir: Path, repair: bool) -> TextSource:
    """The file as DuckDB can read it; `repair` forces a UTF-8 copy with LF line endings."""
    encoding = detect_encoding(mapping.encoding, probe(path))
    if encoding in NATIVE_ENCODINGS and not repair:
        return TextSource(path, NATIVE_ENCODINGS[encoding])
    copy = workdir / (path.name + ".utf8")
    used = utf8_copy(path, None if repair and encoding == "utf-8" else encoding, copy)
    notes = []
    if used != "utf-8":
        if canonical_encoding(mapping.encoding) != "utf-8":
            how = "as the mapping declares"
        elif encoding == "utf-16":
            how = "detected: byte-order mark"
        else:
            how = "detected: not valid UTF-8"
        notes.append(f"read as {ENCODING_LABELS.get(used, used)} ({how})")
    if repair:
        notes.append(
            "read from a repaired copy: the first read met bytes or line endings it could not parse"
        )
    return TextSource(copy, "utf-8", tuple(notes))


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


def csv_source(path: Path, mapping: Mapping, tag: str, text: TextSource) -> Batch:
    header, delimiter = csv_header(path, mapping)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    rejects = f"_csv_rejects_{tag}"
    fields = ", ".join(f"c{i}" for i in range(len(header)))
    padded = ", ".join(f"coalesce(c{i}, '')" for i in range(len(header)))
    source = f"""
        select row_number() over () as _record, null::varchar as _format_error, {fields}
        from read_csv({sql_literal(str(text.path))},
            header = false, skip = {mapping.header_row + mapping.skip_after_header},
            columns = {columns}, delim = {sql_literal(delimiter)}, quote = '"', escape = '"',
            encoding = '{text.encoding}', compression = 'auto', auto_detect = false,
            null_padding = false, store_rejects = true,
            rejects_table = '{rejects}', rejects_scan = '{rejects}_scan')
    """
    return Batch(
        "csv",
        header,
        source,
        f"concat_ws({sql_literal(delimiter)}, {padded})",
        rejects,
        text.notes,
        repairable=text.path == path,
    )


def ndjson_source(path: Path, mapping: Mapping, text: TextSource) -> Batch:
    header = json_header(path, mapping)
    fields = ", ".join(
        f"json_extract_string(case when _ok then line end, {sql_literal('$.' + json.dumps(key))}) as c{i}"
        for i, key in enumerate(header)
    )
    source = f"""
        with text_lines as (
            select line, coalesce(json_valid(line), false) as _valid
            from read_csv({sql_literal(str(text.path))}, header = false, columns = {{'line': 'VARCHAR'}},
                delim = '{LINE_DELIMITER}', quote = '', escape = '', auto_detect = false,
                compression = 'auto', encoding = '{text.encoding}')
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
    return Batch("ndjson", header, source, "line", notes=text.notes, repairable=text.path == path)


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
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: str,
    mapping: Mapping,
    tag: str,
    workdir: Path,
    repair: bool = False,
) -> Batch:
    """How to read `path`: the SELECT of its records as text fields, to be typed by the checks."""
    if fmt == "parquet":
        return parquet_source(con, path)
    text = text_source(path, mapping, workdir, repair)
    if fmt == "csv":
        return csv_source(path, mapping, tag, text)
    return ndjson_source(path, mapping, text)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
