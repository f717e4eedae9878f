"""Rejected rows into audit.rejects: the row rules' rejects and the reader's, by physical line."""

from __future__ import annotations

import duckdb

from pipelines.ingest.checks import SEPARATOR
from pipelines.ingest.entities import Entity
from pipelines.ingest.lines import RecordLines
from pipelines.ingest.readers import Batch
from pipelines.quoting import ident, literal
from pipelines.warehouse import inserted

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
