"""pipelines/ingest/outcomes.py: the one line an ingest run prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.ingest.outcomes import FileResult, IngestSummary


def result(status: str, loaded: int = 0, rejected: int = 0, reloaded: bool = False) -> FileResult:
    return FileResult(Path("f.csv"), "orders", status, loaded, rejected, reloaded=reloaded)


@pytest.mark.parametrize(
    ("files", "line"),
    [
        ([], "files: 0 loaded, 0 skipped as duplicates, 0 quarantined; rows: 0 loaded, 0 rejected"),
        (
            [result("loaded", 10, 2), result("duplicate"), result("quarantined")],
            "files: 1 loaded, 1 skipped as duplicates, 1 quarantined; rows: 10 loaded, 2 rejected",
        ),
        (
            [result("waiting"), result("loaded", 5, 0, reloaded=True)],
            "files: 1 loaded, 0 skipped as duplicates, 0 quarantined, 1 still being written "
            "(left for the next run), 1 re-read after a settings change; rows: 5 loaded, 0 rejected",
        ),
    ],
)
def test_the_summary_line(files: list[FileResult], line: str) -> None:
    assert IngestSummary(files).line() == line
