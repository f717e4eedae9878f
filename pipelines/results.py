"""Query results for people and for programs: nothing in them is interpreted, nothing is cut.

A table for the terminal shows every value as plain text (no rich markup, no :emoji:
codes) and folds a value that does not fit instead of cutting it; CSV and JSON carry
every digit DuckDB returned.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TextIO
from uuid import UUID

from rich.table import Table
from rich.text import Text

Row = Sequence[object]


def as_text(value: object) -> str:
    """A value as one cell of text: NULL empty, numbers in full, the rest as Python prints it."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def rich_table(columns: list[str], rows: list[Row], title: str | None = None) -> Table:
    """A rich Table whose headers and cells are plain Text; numbers align right."""
    table = Table(title=title)
    for index, column in enumerate(columns):
        numeric = bool(rows) and all(
            isinstance(row[index], int | float | Decimal) and not isinstance(row[index], bool)
            for row in rows
            if row[index] is not None
        )
        table.add_column(Text(column), justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*(Text(as_text(value)) for value in row))
    return table


def write_csv(columns: list[str], rows: list[Row], stream: TextIO) -> None:
    writer = csv.writer(stream)
    writer.writerow(columns)
    writer.writerows([as_text(value) for value in row] for row in rows)


def unique_names(columns: list[str]) -> list[str]:
    """Column names usable as JSON keys: a repeated name becomes 'name (2)', 'name (3)'."""
    seen: set[str] = set()
    names = []
    for column in columns:
        name, copy = column, 1
        while name in seen:
            copy += 1
            name = f"{column} ({copy})"
        seen.add(name)
        names.append(name)
    return names


def json_value(value: object) -> str:
    """One value as JSON text, at full precision: a DECIMAL is written as the number it is."""
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else json.dumps(str(value))
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(str(value))
    if isinstance(value, datetime | date | time):
        return json.dumps(value.isoformat())
    if isinstance(value, timedelta | UUID):
        return json.dumps(str(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return json.dumps(bytes(value).hex())
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(
                f"{json.dumps(str(k), ensure_ascii=False)}: {json_value(v)}"
                for k, v in value.items()
            )
            + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(json_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def json_text(columns: list[str], rows: list[Row]) -> str:
    """The rows as a JSON array of objects, keys in column order."""
    keys = [json.dumps(name, ensure_ascii=False) for name in unique_names(columns)]
    records = [
        "{"
        + ", ".join(f"{key}: {json_value(value)}" for key, value in zip(keys, row, strict=True))
        + "}"
        for row in rows
    ]
    return "[\n" + ",\n".join(f"  {record}" for record in records) + "\n]" if records else "[]"
