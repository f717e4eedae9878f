"""Text that reaches SQL: quoted identifiers, rendered literals and the few checked formats.

A value is bound as a parameter (`?`, `$name`) wherever DuckDB takes one. What cannot be
bound - identifiers, and the arguments of ATTACH, COPY and the CSV/JSON/Parquet readers'
options - goes through the functions of this module and nothing else; the test
tests/attack/test_sql_building.py checks every f-string that builds SQL for that.
"""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines.errors import LoyaltyError

__all__ = [
    "fill",
    "ident",
    "json_pointer",
    "literal",
    "path_literal",
    "plain_name",
    "qualified",
    "timestamp_format",
    "timezone_name",
]

PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_]*")
STRFTIME_DIRECTIVE = r"%(?:-[dHIjmMSy]|[aAbBcdfgGHIjmMnpSuUVwWxXyYzZ%])"
TIMESTAMP_FORMAT = re.compile(rf"(?:{STRFTIME_DIRECTIVE}|[A-Za-z0-9 .,:;/_+()\[\]-])+")
# DuckDB reads a path holding one of these as a glob pattern (orders_*.csv would read
# every orders file); paths handed to its readers must not have them.
GLOB_CHARACTERS = frozenset("*?[")


class UnsafeText(LoyaltyError):
    """Text that no quoting makes safe to hand to DuckDB (a NUL character, an invalid path)."""


def refuse_nul(text: str, what: str) -> str:
    if "\x00" in text:
        raise UnsafeText(f"{what} {text!r} contains a NUL character, which DuckDB cannot hold")
    return text


def ident(name: str) -> str:
    """Any name as an identifier: in double quotes, with inner double quotes doubled."""
    return '"' + refuse_nul(name, "the name").replace('"', '""') + '"'


def qualified(*parts: str) -> str:
    """A dotted name (schema.table, database.schema.table.column), every part quoted."""
    return ".".join(ident(part) for part in parts)


def literal(text: str) -> str:
    """Any text as a string literal: in single quotes, with inner single quotes doubled."""
    return "'" + refuse_nul(text, "the text").replace("'", "''") + "'"


def path_literal(path: Path) -> str:
    """A file path as a string literal for ATTACH, COPY and the readers.

    Refused: a path that is not valid UTF-8 (DuckDB takes UTF-8 text), and one with a
    glob character, which the readers would expand instead of reading the file itself.
    """
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafeText(f"the path {text!r} is not valid UTF-8") from None
    if GLOB_CHARACTERS & set(text):
        raise UnsafeText(
            f"the path {text!r} contains one of {' '.join(sorted(GLOB_CHARACTERS))}, "
            "which DuckDB reads as a pattern; use a folder without them"
        )
    return literal(text)


def plain_name(name: str) -> str:
    """A name the code defines (an entity, a column of the contract), checked to need no quotes."""
    if not PLAIN_NAME.fullmatch(name):
        raise UnsafeText(f"{name!r} is not a plain lowercase name")
    return name


def fill(template: str, **parts: str) -> str:
    """A SQL template with its {placeholders} replaced by SQL the code built from plain names."""
    for key, value in parts.items():
        template = template.replace("{" + key + "}", value)
    return template


def json_pointer(key: str) -> str:
    """A JSON Pointer literal for one key of an object: any key, even '', '/' or '~'."""
    return literal("/" + key.replace("~", "~0").replace("/", "~1"))


def timezone_name(zone: str, setting: str) -> str:
    """An IANA time zone name, checked against the zone database; `setting` names it in errors."""
    if zone.startswith(("/", ".")) or ".." in zone or "\x00" in zone:
        raise LoyaltyError(
            f"{setting} {zone!r} is not an IANA time zone: use a name like Europe/Berlin or UTC"
        )
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise LoyaltyError(
            f"{setting} {zone!r} is not an IANA time zone: use a name like Europe/Berlin or UTC"
        ) from None
    return zone


def timestamp_format(pattern: str, setting: str) -> str:
    """A strptime pattern of %-directives and plain separators; `setting` names it in errors."""
    if not TIMESTAMP_FORMAT.fullmatch(pattern) or not re.search(STRFTIME_DIRECTIVE, pattern):
        raise LoyaltyError(
            f"{setting} {pattern!r} is not a strptime pattern: write it with %-directives and "
            "plain separators, e.g. %Y-%m-%dT%H:%M:%S for 2025-06-30T14:05:00 or %d.%m.%Y %H:%M "
            "(no quotes; Java/ICU patterns like yyyy-MM-dd'T'HH:mm are not understood)"
        )
    return pattern
