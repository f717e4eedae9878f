"""The bad-input matrix: every messy export the issue lists, one file each, counted independently.

Each case writes its own bytes. After a good baseline file is loaded, the case's file is
ingested; the test then checks the file's outcome, that the ledger's row count equals
rows loaded + rows rejected, that an independent parser (Python's csv or json module)
counts the same records, and that the baseline rows did not change.
"""

from __future__ import annotations

import csv
import gzip
import io
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from tests.conftest import fetch, run

HEADER = "response_id,responded_at,customer_id,nps_score,comment"
FOLDER = "survey/responses"
TYPEFORM_HEADER = (
    "#,Submit Date (UTC),customer_id,"
    "How likely are you to recommend us to a friend or colleague?,"
    "Anything else you would like to tell us?"
)


def lines(*rows: str, header: str = HEADER, end: str = "\n") -> str:
    return end.join([header, *rows]) + end


@dataclass(frozen=True)
class Case:
    """One bad file: its name, bytes, how to count its records, and the expected outcome."""

    name: str
    content: bytes
    status: str
    loaded: int
    rejected: int
    encoding: str = "utf-8"
    reason: str | None = None
    delimiter: str = ","


def gzipped(text: str) -> bytes:
    return gzip.compress(text.encode())


BIG = "".join(f"B{i},2025-03-01,C1,7,row {i}\n" for i in range(20000))
SCORES = lines(
    "S1,2025-03-01,C1,ten,",
    "S2,2025-03-01,C1,N/A,",
    "S3,2025-03-01,C1,7.5,",
    "S4,2025-03-01,C1,11,",
    "S5,2025-03-01,C1,-1,",
    "S6,2025-03-01,C1,9,fine",
)
CASES = [
    Case("utf8_bom.csv", ("\ufeff" + lines("A1,2025-03-01,C1,9,ok", "A2,2025-03-01,C2,8,")).encode(), "loaded", 2, 0),
    Case("windows_1252.csv", lines("A1,2025-03-01,C1,9,Grüße aus Köln – 5 €").encode("cp1252"), "loaded", 1, 0, "cp1252"),
    Case(
        "excel_unicode.txt",
        lines("A1\t2025-03-01\tC1\t9\tSchön", "A2\t2025-03-01\tC2\t3\t日本", header=HEADER.replace(",", "\t"), end="\r\n").encode("utf-16"),
        "loaded", 2, 0, "utf-16", delimiter="\t",
    ),
    Case(
        "short_and_long_rows.csv",
        lines("A1,2025-03-01,C1,9,ok", "A2,2025-03-01,C1,9", "A3,2025-03-01,C1,9,good, but slow").encode(),
        "loaded", 1, 2, reason="fewer fields than the header",
    ),
    Case(
        "stray_quote.csv",
        lines("A1,2025-03-01,C1,9,ok", 'A2,2025-03-01,C1,9,"he said hi', "A3,2025-03-01,C1,8,fine", "A4,2025-03-01,C1,7,ok").encode(),
        "loaded", 1, 1, reason="lines 3 to 5 were read as one record",
    ),
    Case("newline_in_quotes.csv", lines('A1,2025-03-01,C1,9,"first line\nsecond line"', "A2,2025-03-01,C1,9,ok").encode(), "loaded", 2, 0),
    Case("mixed_line_endings.csv", (HEADER + "\r\nA1,2025-03-01,C1,9,a\nA2,2025-03-01,C1,9,b\rA3,2025-03-01,C1,9,c\r\n").encode(), "loaded", 3, 0),
    Case(
        "long_line.csv",
        lines("A1,2025-03-01,C1,9," + "x" * 3_000_000, "A2,2025-03-01,C1,9,ok").encode(),
        "loaded", 1, 1, reason="longer than the maximum line size",
    ),
    Case("bad_scores.csv", SCORES.encode(), "loaded", 1, 5, reason="as a whole number"),
    Case(
        "ambiguous_dates.csv",
        lines("A1,03/04/2025,C1,9,", "A2,2025-04-03,C1,9,").encode(),
        "loaded", 1, 1, reason="cannot read '03/04/2025' as a timestamp (expected ISO 8601",
    ),
    Case(
        "typeform_wrong_date_format.csv",
        lines("T1,03.04.2025 10:00,C1,9,", "T2,2025-04-03 10:00:00,C1,9,", header=TYPEFORM_HEADER).encode(),
        "loaded", 1, 1, reason="expected the format %Y-%m-%d %H:%M:%S that the mapping names",
    ),
    Case(
        "delimiter_changes.csv",
        lines("A1,2025-03-01,C1,9,ok", "A2;2025-03-01;C1;9;ok", "A3,2025-03-01,C1,9,ok").encode(),
        "loaded", 2, 1, reason="fewer fields than the header",
    ),
    Case("zero_bytes.csv", b"", "quarantined", 0, 0, reason="the file is empty"),
    Case("header_only.csv", (HEADER + "\n").encode(), "loaded", 0, 0),
    Case("no_trailing_newline.csv", (HEADER + "\nA1,2025-03-01,C1,9,ok\nA2,2025-03-01,C1,9,last").encode(), "loaded", 2, 0),
    Case(
        "duplicate_keys.csv",
        lines("A1,2025-03-01,C1,9,first", "A1,2025-03-02,C1,3,second").encode(),
        "loaded", 1, 1, reason="duplicate response_id 'A1' in this file (first at record 1)",
    ),
    Case("missing_key.csv", lines(",2025-03-01,C1,9,", "A2,2025-03-01,C1,9,").encode(), "loaded", 1, 1, reason="missing required value"),
    Case(
        "messy_header.csv",
        lines("8,C1,A1,2025-03-01", header='"NPS Score ",Customer_ID,RESPONSE_ID, responded at ').encode(),
        "loaded", 1, 0,
    ),
    Case("controls_cjk_emoji.csv", lines("A1,2025-03-01,C1,9,a\x00b\x07c 日本語 😀 ok").encode(), "loaded", 1, 0),
    Case("gzip_truncated.csv.gz", gzipped(lines(BIG.rstrip("\n")))[:20000], "quarantined", 0, 0, reason="truncated or corrupt"),
    Case("gzip_whole.csv.gz", gzipped(lines(BIG.rstrip("\n"))), "loaded", 20000, 0),
    Case(
        "truncated.ndjson",
        b'{"response_id": "J1", "responded_at": "2025-03-01"}\nnot json at all\n{"response_id": "J2", "respon',
        "loaded", 1, 2, reason="not a complete JSON object",
    ),
    Case("corrupt.parquet", b"PAR1 these bytes are not a parquet file PAR1", "quarantined", 0, 0, reason="not a readable Parquet file"),
]  # fmt: skip


def independent_count(case: Case) -> int:
    """Records in the file by Python's own parsers, without any pipeline code."""
    data = gzip.decompress(case.content) if case.name.endswith(".gz") else case.content
    if case.name.endswith(".ndjson"):
        return sum(1 for line in data.decode().splitlines() if line.strip())
    text = data.decode("utf-8-sig" if case.encoding == "utf-8" else case.encoding)
    csv.field_size_limit(sys.maxsize)
    rows = list(csv.reader(io.StringIO(text, newline=None), delimiter=case.delimiter))
    return max(len(rows) - 1, 0)


def baseline(settings: Settings) -> list[tuple]:
    folder = settings.landing / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "0_baseline.csv").write_text(
        lines("BASE1,2025-02-01,C1,10,great", "BASE2,2025-02-02,C2,6,meh")
    )
    run(settings, "ingest")
    return fetch(settings, "select * from raw.responses order by response_id")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_file_outcome_and_counts(settings: Settings, case: Case) -> None:
    before = baseline(settings)
    (settings.landing / FOLDER / case.name).write_bytes(case.content)
    result = run(settings, "ingest")
    assert result.ingest is not None
    file = next(f for f in result.ingest.files if f.path.name == case.name)
    assert (file.status, file.rows_loaded, file.rows_rejected) == (
        case.status,
        case.loaded,
        case.rejected,
    ), file.reason
    assert "quarantined" in result.ingest.line()
    ledger = fetch(
        settings,
        "select status, rows_in_file, rows_loaded, rows_rejected, reason from audit.files "
        "where file_name = ?",
        [case.name],
    )
    assert ledger[0][0] == case.status
    if case.status == "loaded":
        assert ledger[0][1] == case.loaded + case.rejected == independent_count(case)
        rejected_rows = fetch(
            settings,
            "select count(*) from audit.rejects join audit.files using (file_id) where file_name = ?",
            [case.name],
        )
        assert rejected_rows == [(case.rejected,)]
    if case.reason:
        reasons = fetch(
            settings,
            "select r.reason from audit.rejects r join audit.files using (file_id) where file_name = ? "
            "union all select reason from audit.files where file_name = ? and reason is not null",
            [case.name, case.name],
        )
        assert any(case.reason in r[0] for r in reasons), reasons
    assert (
        fetch(
            settings,
            "select * from raw.responses where response_id like 'BASE%' order by response_id",
        )
        == before
    )


def test_encodings_are_decoded_to_the_right_characters(settings: Settings) -> None:
    folder = settings.landing / FOLDER
    for case in CASES:
        if case.name in ("windows_1252.csv", "excel_unicode.txt", "controls_cjk_emoji.csv"):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / case.name).write_bytes(case.content)
    result = run(settings, "ingest")
    assert result.ingest is not None
    notes = fetch(settings, "select file_name, notes from audit.files order by file_name")
    assert notes == [
        ("controls_cjk_emoji.csv", None),
        ("excel_unicode.txt", "read as UTF-16 (detected: byte-order mark)"),
        ("windows_1252.csv", "read as Windows-1252 (detected: not valid UTF-8)"),
    ]
    comments = fetch(settings, "select comment from raw.responses order by comment")
    assert {c[0] for c in comments} == {
        "Grüße aus Köln – 5 €",
        "Schön",
        "日本",
        "a\x00b\x07c 日本語 😀 ok",
    }


def test_duplicate_keys_across_files_latest_export_wins(settings: Settings) -> None:
    folder = settings.landing / FOLDER
    folder.mkdir(parents=True)
    (folder / "responses_2025-03-01.csv").write_text(lines("D1,2025-03-01,C1,3,first"))
    (folder / "responses_2025-03-02.csv").write_text(lines("D1,2025-03-01,C1,9,corrected"))
    run(settings)
    assert fetch(settings, "select count(*) from raw.responses") == [(2,)]
    assert fetch(settings, "select nps_score, comment from staging.stg_responses") == [
        (9, "corrected")
    ]
    warned = fetch(
        settings,
        "select unexpected_count from audit.validation_results "
        "where expectation = 'expect_response_id_not_redelivered_with_other_values' "
        "and not success",
    )
    assert warned == [(1,)]


def slow_writer(path: Path, rows: int, pause: float) -> subprocess.Popen[bytes]:
    """Another process that writes an export row by row, as a slow upload does."""
    script = (
        "import sys, time\n"
        f"with open({str(path)!r}, 'w') as out:\n"
        f"    out.write({HEADER!r} + '\\n'); out.flush()\n"
        f"    for i in range({rows}):\n"
        "        out.write(f'W{i},2025-03-01,C1,8,row {i}\\n'); out.flush()\n"
        f"        time.sleep({pause})\n"
    )
    return subprocess.Popen([sys.executable, "-c", script])


def test_a_file_still_being_written_is_not_loaded_as_complete(settings: Settings) -> None:
    waiting = settings.with_overrides(settle_seconds=1.0)
    path = settings.landing / FOLDER / "responses_upload.csv"
    path.parent.mkdir(parents=True)
    writer = slow_writer(path, rows=40, pause=0.1)
    try:
        time.sleep(0.5)
        result = run(waiting, "ingest")
    finally:
        writer.wait(timeout=30)
    assert result.ingest is not None
    assert [f.status for f in result.ingest.files] == ["waiting"]
    assert "still being written" in result.ingest.line()
    assert fetch(settings, "select count(*) from audit.files") == [(0,)]
    time.sleep(1.1)
    result = run(waiting, "ingest")
    assert result.ingest is not None
    assert [(f.status, f.rows_loaded) for f in result.ingest.files] == [("loaded", 40)]


def test_a_ready_flag_newer_than_the_file_settles_it_at_once(settings: Settings) -> None:
    waiting = settings.with_overrides(settle_seconds=30.0)
    folder = settings.landing / FOLDER
    folder.mkdir(parents=True)
    (folder / "responses.csv").write_text(lines("F1,2025-03-01,C1,9,"))
    (folder / "_ready").touch()
    started = time.monotonic()
    result = run(waiting, "ingest")
    assert result.ingest is not None
    assert [f.status for f in result.ingest.files] == ["loaded"]
    assert time.monotonic() - started < 10


def test_all_bad_files_together_finish_the_run_and_say_what_happened(
    settings: Settings, tmp_path: Path
) -> None:
    folder = settings.landing / FOLDER
    folder.mkdir(parents=True)
    for case in CASES:
        (folder / case.name).write_bytes(case.content)
    process = subprocess.run(
        [
            str(Path(sys.executable).parent / "loyalty"),
            "ingest",
            "--landing",
            str(settings.landing),
            "--warehouse",
            str(settings.warehouse),
        ],
        capture_output=True,
        text=True,
        env={"LOYALTY_SETTLE_SECONDS": "0", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    output = process.stdout + process.stderr
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert "quarantined" in output and "zero_bytes.csv" in output
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        loaded, rejected = con.execute(
            "select sum(rows_loaded), sum(rows_rejected) from audit.files"
        ).fetchone()  # type: ignore[misc]
        in_raw = con.execute("select count(*) from raw.responses").fetchone()[0]  # type: ignore[index]
        in_rejects = con.execute("select count(*) from audit.rejects").fetchone()[0]  # type: ignore[index]
    finally:
        con.close()
    assert (loaded, rejected) == (in_raw, in_rejects)
    expected = [c for c in CASES if c.status == "loaded"]
    assert loaded == sum(c.loaded for c in expected)
    assert rejected == sum(c.rejected for c in expected)
