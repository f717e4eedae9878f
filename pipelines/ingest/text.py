"""Text exports DuckDB cannot read as delivered: other encodings, stray line endings, bad gzip."""

from __future__ import annotations

import codecs
import gzip
import io
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


def check_gzip(path: Path) -> None:
    """Read a gzip file to its end: DuckDB's reader stops quietly at a truncated end."""
    if not path.name.lower().endswith(".gz"):
        return
    try:
        with gzip.open(path, "rb") as raw:
            while raw.read(COPY_CHARS):
                pass
    except GZIP_ERRORS as exc:
        raise damaged(path, exc) from exc


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
