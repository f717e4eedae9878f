"""pipelines/ingest/checks.py: the fast trim gives what trimming every value would."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.ingest.checks import trimmed_sql


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("C1", "C1"),
        (" C1", "C1"),
        ("C1 ", "C1"),
        ("\tC1\r\n", "C1"),
        ("C 1", "C 1"),
        ("a\tb", "a\tb"),
        ("\n", None),
        ("   ", None),
        ("", None),
        (None, None),
        ("Müller ", "Müller"),
    ],
)
def test_trimmed_text(value: str | None, expected: str | None) -> None:
    sql = f"select {trimmed_sql('c0')} from (select ?::varchar as c0)"
    assert duckdb.connect().execute(sql, [value]).fetchone() == (expected,)
