"""Physical line numbers of a CSV file's rejected records.

DuckDB numbers the records it returns, not the lines they came from: a record can span
lines (a line break inside quotes), blank lines are skipped, and records the reader
rejects are left out (its rejects carry a line count of its own that takes a record over
several lines as one). Only a file with rejects is read a second time, by Python's csv
module and only up to its last rejected record. A line is given only where both readers
agree on the record's fields; when they do not, the rejects of the file carry no line
rather than a wrong one.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from pipelines.ingest.readers import READER_LINE_CAP, TextSource
from pipelines.ingest.text import open_bytes


@dataclass(frozen=True)
class RecordLines:
    """Where records start, by DuckDB's record number, and the lines of the reader's rejects."""

    records: dict[int, int] = field(default_factory=dict)
    reader: dict[int, tuple[int, int]] = field(default_factory=dict)


def csv_record_lines(
    text: TextSource,
    delimiter: str,
    skip: int,
    wanted: dict[int, str],
    reader_lines: set[int],
) -> RecordLines:
    """Physical lines of the `wanted` records (number -> fields joined by the delimiter, to
    check against) and of the reader's rejects (by DuckDB's line number: first, last line).
    """
    last_record = max(wanted, default=0)
    last_reader = max(reader_lines, default=0)
    records: dict[int, int] = {}
    reader: dict[int, tuple[int, int]] = {}
    limit = csv.field_size_limit()
    csv.field_size_limit(READER_LINE_CAP)
    encoding = "utf-8-sig" if text.encoding == "utf-8" else text.encoding
    try:
        with (
            open_bytes(text.path) as raw,
            io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="") as handle,
        ):
            for _ in range(skip):
                handle.readline()
            rows = csv.reader(handle, delimiter=delimiter, quotechar='"', doublequote=True)
            end, item, record = skip, 0, 0
            for row in rows:
                first, end, item = end + 1, skip + rows.line_num, item + 1
                if skip + item in reader_lines:
                    reader[skip + item] = (first, end)
                elif row:
                    record += 1
                    if record in wanted:
                        if delimiter.join(row) != wanted[record]:
                            return RecordLines()
                        records[record] = first
                if record >= last_record and skip + item >= last_reader:
                    break
    except csv.Error:
        return RecordLines()
    finally:
        csv.field_size_limit(limit)
    return RecordLines(records, reader)
