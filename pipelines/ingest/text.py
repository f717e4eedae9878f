"""Text exports DuckDB cannot read as delivered: other encodings, stray line endings, bad gzip."""

from __future__ import annotations

import codecs
import gzip
import io
import os
import zlib
from pathlib import Path
from typing import BinaryIO

from pipelines.errors import LoyaltyError

PROBE_BYTES = 1 << 20
COPY_CHARS = 1 << 22
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# What DuckDB decodes itself; every other encoding is decoded by Python into a UTF-8 copy.
NATIVE_ENCODINGS = {"utf-8": "utf-8", "iso8859-1": "latin-1"}
# Tried in order when a file that should be UTF-8 is not: Windows-1252 is what Excel and
# most Western CRMs write; Latin-1 decodes any byte, so the chain always ends.
FALLBACK_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


class UnreadableFile(LoyaltyError):
    """The file as a whole cannot be read; it is quarantined with this message."""


class DamagedFile(UnreadableFile):
    """The bytes themselves are broken (e.g. a truncated gzip): no mapping can help."""


class TooLarge(UnreadableFile):
    """The file is larger than LOYALTY_MAX_FILE_BYTES allows; it is not read."""


def shown(path: Path) -> str:
    """A path as text: bytes that are not UTF-8 written as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def canonical_encoding(name: str) -> str:
    """Python's name for an encoding ('utf8' -> 'utf-8', 'latin1' -> 'iso8859-1')."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise UnreadableFile(
            f"encoding {name!r} is unknown; name one Python knows, e.g. utf-8, cp1252, utf-16"
        ) from None


def open_bytes(path: Path) -> BinaryIO:
    """The file's bytes, decompressed when it is gzipped."""
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def damaged(path: Path, exc: BaseException) -> DamagedFile:
    return DamagedFile(
        f"the compressed file is truncated or corrupt ({exc}); deliver {path.name} again"
    )


def too_large(size: str, limit: int) -> TooLarge:
    return TooLarge(
        f"the file {size} the limit of {limit:,} bytes (LOYALTY_MAX_FILE_BYTES); it was not read: "
        "split the export, or raise the limit and the file is read at the next run"
    )


def content_size(path: Path, limit: int) -> int:
    """The bytes DuckDB will read: the file's size, or a gzip file's size decompressed.

    A gzip file is read to its end: DuckDB's reader stops quietly at a truncated end, and a
    small file can decompress to far more than the limit (which stops the reading early).
    """
    size = path.stat().st_size
    if size > limit:
        raise too_large(f"is {size:,} bytes, larger than", limit)
    if not path.name.lower().endswith(".gz"):
        return size
    total = 0
    try:
        with gzip.open(path, "rb") as raw:
            while chunk := raw.read(COPY_CHARS):
                total += len(chunk)
                if total > limit:
                    raise too_large("decompresses to more than", limit)
    except GZIP_ERRORS as exc:
        raise damaged(path, exc) from exc
    return total


def line_count(path: Path) -> int:
    """Physical lines of a text file (decompressed), a last line without its newline included."""
    count, last = 0, b""
    with open_bytes(path) as raw:
        while chunk := raw.read(COPY_CHARS):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (1 if last not in (b"", b"\n") else 0)


def first_line_longer_than(path: Path, limit: int) -> int | None:
    """The number of the first physical line longer than `limit` bytes, if any."""
    line, length = 1, 0
    with open_bytes(path) as raw:
        while chunk := raw.read(COPY_CHARS):
            pieces = chunk.split(b"\n")
            for index, piece in enumerate(pieces):
                length += len(piece)
                if length > limit:
                    return line
                if index < len(pieces) - 1:
                    line, length = line + 1, 0
    return None


def probe(path: Path) -> bytes:
    """The first megabyte of the (decompressed) file."""
    try:
        with open_bytes(path) as raw:
            return raw.read(PROBE_BYTES)
    except GZIP_ERRORS as exc:
        raise damaged(path, exc) from exc


def detect_encoding(declared: str, start: bytes) -> str:
    """The declared encoding; for the default UTF-8, what the file's start shows instead.

    A UTF-16 byte-order mark (Excel's "Unicode text") means UTF-16; bytes that are not
    UTF-8 mean Windows-1252, the usual encoding of exports that declare none.
    """
    encoding = canonical_encoding(declared)
    if encoding != "utf-8":
        return encoding
    if start.startswith(UTF16_BOMS):
        return "utf-16"
    try:
        start.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut_at_probe_end = len(start) == PROBE_BYTES and exc.end >= len(start) - 3
        if not cut_at_probe_end:
            return "cp1252"
    return "utf-8"


def decode_start(start: bytes, encoding: str) -> str:
    """A file's first megabyte as text in `encoding` (a byte-order mark dropped)."""
    python_encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    try:
        return start.decode(
            python_encoding, errors="ignore" if len(start) == PROBE_BYTES else "strict"
        )
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"cannot read the start of the file as {encoding} ({exc}); "
            "set format.encoding in the source mapping"
        ) from exc


def utf8_copy(path: Path, encoding: str | None, target: Path) -> str:
    """Write `path` as UTF-8 with LF line endings to `target`; return the encoding used.

    `encoding` None tries UTF-8, then Windows-1252, then Latin-1. Universal newlines turn
    CRLF and bare CR into LF, which also mends files whose line endings are mixed.
    """
    for candidate in (encoding,) if encoding else FALLBACK_ENCODINGS:
        try:
            copy_decoded(path, candidate, target)
            return "utf-8" if candidate == "utf-8-sig" else candidate
        except UnicodeDecodeError:
            continue
        except GZIP_ERRORS as exc:
            raise damaged(path, exc) from exc
    raise UnreadableFile(f"cannot decode the file as {encoding}; set format.encoding")


def copy_decoded(path: Path, encoding: str, target: Path) -> None:
    with (
        open_bytes(path) as raw,
        io.TextIOWrapper(raw, encoding=encoding, newline=None) as text,
        target.open("w", encoding="utf-8", newline="\n") as out,
    ):
        while chunk := text.read(COPY_CHARS):
            out.write(chunk)
