"""Readers: one export file -> a SELECT of its records as text fields, one row per record.

DuckDB never reads a landing path itself: every file is handed to it through a link with a
plain name in a folder of our own (`FileAccess.link`). A file name with quotes, with glob
characters (orders_*.csv would read every orders file) or with bytes that are not UTF-8
therefore reads exactly that file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.ingest.mappings import LINE_DELIMITER, Mapping
from pipelines.ingest.text import (
    NATIVE_ENCODINGS,
    UnreadableFile,
    canonical_encoding,
    decode_start,
    detect_encoding,
    first_line_longer_than,
    line_count,
    probe,
    utf8_copy,
)
from pipelines.quoting import ident, json_pointer, literal, path_literal, plain_name

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)
DELIMITER_CANDIDATES = (",", ";", "\t", "|")
ENCODING_LABELS = {"cp1252": "Windows-1252", "utf-16": "UTF-16", "iso8859-1": "Latin-1"}
# A record longer than this is rejected with its line (DuckDB's own default maximum).
MAX_LINE_BYTES = 2_097_152
TOO_LONG = f"the line is longer than the maximum line size ({MAX_LINE_BYTES:,} bytes)"
NOT_JSON = "the line is not a complete JSON object (truncated or garbage)"
# DuckDB is told lines may be this long, so that it never drops one on its own: its
# rejects of overlong lines are unreliable (a line over its 32 MB buffer can vanish).
# Files larger than this are checked for longer lines before DuckDB reads them.
READER_LINE_CAP = 1 << 30
# A text copied into UTF-8 (from Windows-1252, say) grows at most this many times.
UTF8_GROWTH = 4
# DuckDB's own default buffer for its default line size (16 x 2 MiB).
MIN_BUFFER_BYTES = 32 * 1024 * 1024


@dataclass
class FileAccess:
    """One file as the readers reach it: its path, DuckDB's links to it, a folder for copies."""

    path: Path
    links: Path
    workdir: Path
    size: int
    lines: dict[str, NdjsonLines] = field(default_factory=dict)

    def link(self, target: Path) -> Path:
        """A link with a plain name to `target`, keeping a .gz suffix for DuckDB's decompression."""
        suffix = ".gz" if target.name.lower().endswith(".gz") else ".txt"
        link = self.links / f"input{len(list(self.links.iterdir())) + 1}{suffix}"
        link.symlink_to(target.absolute())
        return link

    @property
    def buffer_size(self) -> int:
        """The reader's buffer: DuckDB's default is 16 lines of the longest, which for a large
        file's line limit asks for more memory than there is; one line's worth is enough."""
        return max(self.line_limit, MIN_BUFFER_BYTES)

    @property
    def line_limit(self) -> int:
        """The max_line_size DuckDB is given: as long as the whole file can be, within the cap."""
        return min(max(UTF8_GROWTH * self.size + 1, MAX_LINE_BYTES + 1), READER_LINE_CAP)


@dataclass(frozen=True)
class TextSource:
    """What DuckDB reads for a text file: the file itself, or a repaired UTF-8 copy."""

    path: Path
    link: Path
    encoding: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class NdjsonLines:
    """An NDJSON file read line by line into a temp table, with the keys of all its objects."""

    text: TextSource
    table: str
    keys: list[str]


@dataclass(frozen=True)
class Batch:
    """A file's records as SQL: `_record`, `_line`, `_format_error`, text fields c0..cn.

    `staging_sql`, when there is one, reads the file into the temporary table `staged`
    names, which `source_sql` selects from (and which is dropped once the file is typed).
    """

    file_format: str
    header: list[str]
    source_sql: str
    raw_line_sql: str
    reader_rejects: str | None = None
    notes: tuple[str, ...] = ()
    repairable: bool = False
    text: TextSource | None = None
    delimiter: str = ","
    staging_sql: str | None = None
    staged: str | None = None


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


def text_source(access: FileAccess, mapping: Mapping, repair: bool) -> TextSource:
    """The file as DuckDB can read it; `repair` forces a UTF-8 copy with LF line endings."""
    path = access.path
    encoding = detect_encoding(mapping.encoding, probe(path))
    if access.size > READER_LINE_CAP:
        too_long = first_line_longer_than(path, READER_LINE_CAP)
        if too_long is not None:
            raise UnreadableFile(f"line {too_long} is longer than {READER_LINE_CAP:,} bytes")
    if encoding in NATIVE_ENCODINGS and not repair:
        return TextSource(path, access.link(path), NATIVE_ENCODINGS[encoding])
    copy = access.workdir / f"copy{len(list(access.workdir.iterdir())) + 1}.utf8"
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
    return TextSource(copy, access.link(copy), "utf-8", tuple(notes))


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


def reader_options_sql(text: TextSource, access: FileAccess, rejects: str) -> str:
    """The options every text read shares: encoding, line size, and where rejected lines go."""
    return (
        f"encoding = {literal(text.encoding)}, compression = 'auto', auto_detect = false, "
        f"max_line_size = {access.line_limit:d}, buffer_size = {access.buffer_size:d}, "
        "store_rejects = true, "
        f"rejects_table = {literal(rejects)}, rejects_scan = {literal(rejects + '_scan')}"
    )


def ndjson_lines(
    con: duckdb.DuckDBPyConnection, access: FileAccess, mapping: Mapping, tag: str
) -> NdjsonLines:
    """Read an NDJSON file's lines once into a temp table, with the keys of all its objects.

    Every physical line must arrive (a blank one as NULL) or be a reject of the reader. A
    file whose line count DuckDB does not match, or that has bytes which are not valid in
    its encoding, is read once more from a repaired copy, and quarantined if that does not
    match either.
    """
    if mapping.encoding in access.lines:
        return access.lines[mapping.encoding]
    problem = ""
    for repair in (False, True):
        text = text_source(access, mapping, repair)
        table = plain_name(f"_ndjson_lines_{tag}{'_repaired' if repair else ''}")
        rejects = f"{table}_rejects"
        try:
            con.execute(
                f"""
                create or replace temp table {ident(table)} as
                select row_number() over () as _line, line
                from read_csv({path_literal(text.link)}, header = false,
                    columns = {{'line': 'VARCHAR'}}, delim = {literal(LINE_DELIMITER)},
                    quote = '', escape = '', {reader_options_sql(text, access, rejects)})
                """
            )
            read, undecodable = con.execute(
                f"""
                select (select count(*) from {ident(table)})
                       + (select count(distinct line) from {ident(rejects)}),
                       (select count(*) from {ident(rejects)} where error_type = 'INVALID ENCODING')
                """
            ).fetchone()  # type: ignore[misc]
        except duckdb.Error as exc:
            problem = f"cannot read the file as ndjson: {first_line(exc)}"
            continue
        expected = line_count(text.path)
        if read == expected and not undecodable:
            access.lines[mapping.encoding] = NdjsonLines(text, table, json_keys(con, table))
            return access.lines[mapping.encoding]
        problem = (
            f"the reader saw {read:,} of the file's {expected:,} lines; deliver the file again"
        )
    raise UnreadableFile(problem)


def json_keys(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Keys of every JSON object in the lines table, in the order they first appear.

    Lines are grouped by their list of keys (exports repeat a handful of them), and each
    list's keys are taken in the order of the list's first line.
    """
    key_lists = con.execute(
        f"""
        with objects as (
            -- NULL for a line that is not JSON, [] for JSON that is not an object: one parse.
            select _line, try(json_keys(line)) as keys
            from {ident(table)}
            where strlen(line) <= {MAX_LINE_BYTES:d}
        )
        select keys from objects where keys is not null group by keys order by min(_line)
        """
    ).fetchall()
    keys = list(dict.fromkeys(key for (listed,) in key_lists for key in listed))
    if not keys:
        raise UnreadableFile("no line of the file is a JSON object")
    return keys


def parquet_header(con: duckdb.DuckDBPyConnection, link: Path) -> list[str]:
    try:
        rows = con.execute(
            "select name from parquet_schema(?) where num_children is null", [str(link)]
        ).fetchall()
    except duckdb.Error as exc:
        raise UnreadableFile(f"not a readable Parquet file ({first_line(exc)})") from exc
    return [r[0] for r in rows]


def header_for(
    con: duckdb.DuckDBPyConnection, access: FileAccess, fmt: str, mapping: Mapping, tag: str
) -> list[str]:
    if fmt == "csv":
        return csv_header(access.path, mapping)[0]
    if fmt == "ndjson":
        return ndjson_lines(con, access, mapping, tag).keys
    return parquet_header(con, access.link(access.path))


def field_names_sql(count: int) -> str:
    return ", ".join(f"c{i:d}" for i in range(count))


def too_long_sql(access: FileAccess, count: int) -> str:
    """The reject reason of a CSV record longer than MAX_LINE_BYTES; none can be in a small file."""
    if UTF8_GROWTH * access.size <= MAX_LINE_BYTES:
        return "null::varchar"
    length_sql = " + ".join(f"coalesce(strlen(c{i:d}), 0)" for i in range(count))
    return (
        f"case when {length_sql} + {count - 1:d} > {MAX_LINE_BYTES:d} then {literal(TOO_LONG)} end"
    )


def csv_source(access: FileAccess, mapping: Mapping, tag: str, text: TextSource) -> Batch:
    header, delimiter = csv_header(access.path, mapping)
    count = len(header)
    columns_sql = "{" + ", ".join(f"'c{i:d}': 'VARCHAR'" for i in range(count)) + "}"
    padded_sql = ", ".join(f"coalesce(c{i:d}, '')" for i in range(count))
    rejects = plain_name(f"_csv_rejects_{tag}")
    staged = plain_name(f"_csv_text_{tag}")
    # The reader runs on one thread (its buffer holds the whole file, see line_limit), and
    # so would the typing behind it; typed from a table, the records are typed in parallel.
    # The table keeps the file's order, so a record's number is its rowid + 1.
    staging_sql = f"""
        create or replace temp table {ident(staged)} as
        select {field_names_sql(count)}
        from read_csv({path_literal(text.link)},
            header = false, skip = {mapping.header_row + mapping.skip_after_header:d},
            columns = {columns_sql}, delim = {literal(delimiter)}, quote = '"', escape = '"',
            null_padding = false, {reader_options_sql(text, access, rejects)})
    """
    source_sql = f"""
        select rowid + 1 as _record, null::bigint as _line,
               {too_long_sql(access, count)} as _format_error,
               {field_names_sql(count)}
        from {ident(staged)}
    """
    return Batch(
        "csv",
        header,
        source_sql,
        f"concat_ws({literal(delimiter)}, {padded_sql})",
        rejects,
        text.notes,
        repairable=text.path == access.path,
        text=text,
        delimiter=delimiter,
        staging_sql=staging_sql,
        staged=staged,
    )


def ndjson_source(
    con: duckdb.DuckDBPyConnection, access: FileAccess, mapping: Mapping, tag: str
) -> Batch:
    lines = ndjson_lines(con, access, mapping, tag)
    # One list of paths: each line is parsed once for all its fields, not once per field.
    pointers_sql = ", ".join(json_pointer(key) for key in lines.keys)
    fields_sql = ", ".join(f"_values[{i + 1:d}] as c{i:d}" for i in range(len(lines.keys)))
    source_sql = f"""
        with text_lines as (
            select _line, line, strlen(line) > {MAX_LINE_BYTES:d} as _too_long
            from {ident(lines.table)}
            -- Not blank: a cheap test for the usual line (an object) before trimming the rest.
            where line like '{{%' or trim(line) <> ''
        ),
        lines as (
            select _line, line, _too_long,
                   not _too_long and coalesce(json_valid(case when not _too_long then line end), false)
                   and json_type(case when not _too_long and json_valid(line) then line end) = 'OBJECT'
                       as _ok
            from text_lines
        )
        select row_number() over (order by _line) as _record, _line,
               case when _too_long then {literal(TOO_LONG)} when not _ok then {literal(NOT_JSON)} end
                   as _format_error,
               line,
               {fields_sql}
        from (
            select *, json_extract_string(case when _ok then line end, [{pointers_sql}]) as _values
            from lines
        )
    """
    return Batch(
        "ndjson",
        lines.keys,
        source_sql,
        "line",
        f"{lines.table}_rejects",
        lines.text.notes,
        text=lines.text,
    )


def parquet_source(con: duckdb.DuckDBPyConnection, access: FileAccess) -> Batch:
    link = access.link(access.path)
    header = parquet_header(con, link)
    fields_sql = ", ".join(f"cast({ident(h)} as varchar) as c{i:d}" for i, h in enumerate(header))
    padded_sql = ", ".join(f"coalesce(c{i:d}, '')" for i in range(len(header)))
    source_sql = f"""
        select row_number() over () as _record, null::bigint as _line,
               null::varchar as _format_error, *
        from (select {fields_sql} from read_parquet({path_literal(link)}))
    """
    return Batch("parquet", header, source_sql, f"concat_ws(',', {padded_sql})")


def batch_source(
    con: duckdb.DuckDBPyConnection,
    access: FileAccess,
    fmt: str,
    mapping: Mapping,
    tag: str,
    repair: bool = False,
) -> Batch:
    """How to read the file: the SELECT of its records as text fields, to be typed by the checks."""
    if fmt == "parquet":
        return parquet_source(con, access)
    if fmt == "ndjson":
        return ndjson_source(con, access, mapping, tag)
    return csv_source(access, mapping, tag, text_source(access, mapping, repair))


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
